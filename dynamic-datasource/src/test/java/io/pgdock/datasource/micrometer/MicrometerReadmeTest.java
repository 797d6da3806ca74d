package io.pgdock.datasource.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Runs the README's Micrometer example and keeps the README's copy of it identical. */
class MicrometerReadmeTest {

    @Test
    void theExamplePublishesTheFactorysPools() {
        try (TestDatabase db = TestPostgres.get().createDatabase()) {
            // micrometer-example: begin
            MeterRegistry registry = new SimpleMeterRegistry();   // your application's registry
            DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                    .listener(MicrometerFactoryMetrics.of(registry, Tags.of("factory", "orders")))
                    .build());
            // micrometer-example: end
            try (sources) {
                int one = sources.jdbi(db.spec()).withHandle(h -> h.select("SELECT 1").mapTo(Integer.class).one());

                assertThat(one).isEqualTo(1);
                assertThat(registry.get("pgdock.datasource.connections").tags("factory", "orders", "state", "idle")
                        .gauge().value()).isEqualTo(1);
                assertThat(registry.get("pgdock.datasource.pools").tag("factory", "orders").gauge().value())
                        .isEqualTo(1);
            }
        }
    }

    @Test
    void theReadmeShowsTheExampleAsCompiled() throws IOException {
        String source = Files.readString(
                Path.of("src/test/java/io/pgdock/datasource/micrometer/MicrometerReadmeTest.java"));
        String readme = Files.readString(Path.of("README.md"));

        String compiled = dedent(
                between(source, "// micrometer-example: begin\n", "            // micrometer-example: end"));
        String shown = between(between(readme, "<!-- micrometer-example: begin", "<!-- micrometer-example: end -->"),
                "```java\n", "```");

        assertThat(shown).isEqualTo(compiled);
    }

    private static String between(String text, String start, String end) {
        int from = text.indexOf(start);
        assertThat(from).as("marker %s", start).isNotNegative();
        from += start.length();
        int to = text.indexOf(end, from);
        assertThat(to).as("marker %s", end).isNotNegative();
        return text.substring(from, to);
    }

    private static String dedent(String block) {
        int indent = Arrays.stream(block.split("\n")).filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return Arrays.stream(block.split("\n", -1)).map(l -> l.length() >= indent ? l.substring(indent) : l.strip())
                .collect(Collectors.joining("\n"));
    }
}
