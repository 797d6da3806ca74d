package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The metadata IDEs complete {@code pgdock.*} from, as the starter's jar ships it. */
class ConfigurationMetadataTest {
    @Test
    void listsTheMainPropertiesEachWithADescription() throws Exception {
        JsonNode metadata = null;
        for (URL url : Collections.list(getClass().getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                JsonNode node = new ObjectMapper().readTree(in);
                if (node.path("groups").findValuesAsText("name").contains("pgdock")) {
                    metadata = node;
                }
            }
        }
        assertThat(metadata).as("the starter's spring-configuration-metadata.json").isNotNull();
        Map<String, String> descriptions = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (JsonNode p : metadata.path("properties")) {
            names.add(p.path("name").asText());
            descriptions.put(p.path("name").asText(), p.path("description").asText());
        }
        assertThat(names).contains("pgdock.url", "pgdock.host", "pgdock.port", "pgdock.database", "pgdock.user",
                "pgdock.password", "pgdock.schema", "pgdock.sslmode", "pgdock.connect-timeout", "pgdock.config.keys",
                "pgdock.config.cache", "pgdock.storage.maximum-pool-size", "pgdock.storage.create-schema",
                "pgdock.storage.enabled", "pgdock.factory.maximum-pool-size", "pgdock.factory.idle-ttl",
                "pgdock.target", "management.health.pgdock.enabled");
        assertThat(descriptions.get("pgdock.url")).contains("PGDOCK_URL");
        assertThat(descriptions.get("pgdock.config.keys")).contains("PGDOCK_CONFIG_KEYS");
        names.stream().filter(n -> n.startsWith("pgdock.")).forEach(n ->
                assertThat(descriptions.get(n)).as("description of %s", n).isNotBlank().doesNotContain("{@"));
        assertThat(metadata.path("properties").findValues("name").stream().map(JsonNode::asText)
                .filter(n -> n.equals("pgdock.storage.maximum-pool-size")).count()).isEqualTo(1);
    }
}
