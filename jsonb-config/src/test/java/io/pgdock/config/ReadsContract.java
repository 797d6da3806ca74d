package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.type.TypeFactory;
import io.pgdock.config.ConfigStoreFixture.Limits;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of reads: {@link ConfigStore#get get}, {@link ConfigStore#entry entry}, typed reads and
 * {@link ConfigStore#getOrDefault getOrDefault}. What a key that was never written reads as, what a write returns
 * and reads then see, binding to classes and generic types, JSON null, and the errors of a value that does not bind.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Reads}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class ReadsContract extends ConfigStoreTester {
    @Test
    void aKeyThatWasNeverWrittenReadsAsEmptyEverywhere() {
        ConfigStore store = newStore();

        assertThat(store.scope()).as("scope() of the store itself").isEmpty();
        assertThat(store.entry("ingest.batch_size")).as("entry").isEmpty();
        assertThat(store.get("ingest.batch_size")).as("get").isEmpty();
        assertThat(store.get("ingest.batch_size", Integer.class)).as("get(Class)").isEmpty();
        assertThat(store.get("ingest.batch_size", new TypeReference<List<String>>() { })).as("get(TypeReference)")
                .isEmpty();
        assertThat(store.getOrDefault("ingest.batch_size", Integer.class, 1000)).as("getOrDefault").isEqualTo(1000);
        assertThat(store.history("ingest.batch_size")).as("history").isEmpty();
        assertThat(store.list("")).as("list").isEmpty();
    }

    @Test
    void putReturnsTheEntryThatReadsThenSee() {
        ConfigStore store = newStore();

        ConfigEntry written = store.put("ingest.batch_size", 5000);

        assertThat(written.scope()).isEmpty();
        assertThat(written.key()).isEqualTo("ingest.batch_size");
        assertThat(written.value().intValue()).isEqualTo(5000);
        assertThat(written.version()).as("version of a first write").isEqualTo(1);
        assertThat(written.updatedAt()).isNotNull();
        assertThat(written.updatedBy()).as("default actor").isNotBlank();
        assertThat(store.entry("ingest.batch_size")).as("entry after put").contains(written);
        assertThat(store.get("ingest.batch_size")).as("get after put").contains(written.value());
        assertThat(store.get("ingest.batch_size", Integer.class)).contains(5000);
        assertThat(store.getOrDefault("ingest.batch_size", Integer.class, 1000)).isEqualTo(5000);
    }

    @Test
    void typedReadsBindClassesGenericTypesAndJavaTypes() {
        ConfigStore store = newStore();
        store.put("ingest.limits", Map.of("max", 5, "mode", "fast"));
        store.put("ingest.hosts", List.of("a", "b"));
        store.put("ingest.weights", Map.of("a", 1, "b", 2));
        store.put("ingest.started", Instant.parse("2024-01-02T03:04:05.123456Z"));
        store.put("ingest.ratio", 0.25);

        assertThat(store.get("ingest.limits", Limits.class)).contains(new Limits(5, "fast"));
        assertThat(store.get("ingest.hosts", new TypeReference<List<String>>() { })).contains(List.of("a", "b"));
        JavaType weights = TypeFactory.defaultInstance().constructMapType(Map.class, String.class, Integer.class);
        assertThat(store.<Map<String, Integer>>get("ingest.weights", weights)).contains(Map.of("a", 1, "b", 2));
        assertThat(store.get("ingest.started", Instant.class)).contains(Instant.parse("2024-01-02T03:04:05.123456Z"));
        assertThat(store.get("ingest.ratio", Double.class)).contains(0.25);
        assertThat(store.get("ingest.limits", JsonNode.class).map(n -> n.get("mode").asText())).contains("fast");
    }

    @Test
    void jsonNullIsAValueButTypedReadsSeeNothing() {
        ConfigStore store = newStore();

        ConfigEntry e = store.put("ingest.limit", null);

        assertThat(e.value().isNull()).as("Java null is stored as JSON null").isTrue();
        assertThat(store.get("ingest.limit")).as("get of JSON null").hasValueSatisfying(v -> assertThat(v.isNull())
                .isTrue());
        assertThat(store.get("ingest.limit", Integer.class)).as("typed get of JSON null").isEmpty();
        assertThat(store.get("ingest.limit", new TypeReference<List<String>>() { })).isEmpty();
        assertThat(store.getOrDefault("ingest.limit", Integer.class, 7)).as("getOrDefault of JSON null").isEqualTo(7);
        assertThat(store.putJson("ingest.limit", "null").version()).as("JSON null via putJson").isEqualTo(2);
    }

    @Test
    void aValueThatDoesNotBindNamesTheKeyTheTypeAndTheJsonPath() {
        ConfigStore store = newStore();
        store.putJson("ingest.limits", "{\"max\": \"x\", \"mode\": \"fast\"}");
        store.putJson("ingest.all_limits", "[{\"max\": 1}, {\"max\": \"y\"}]");
        store.put("ingest.batch_size", "many");

        assertThatThrownBy(() -> store.get("ingest.limits", Limits.class))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("ingest.limits")
                .hasMessageContaining("Limits")
                .hasMessageContaining("/max")
                .satisfies(t -> {
                    ConfigBindingException e = (ConfigBindingException) t;
                    assertThat(e.key()).isEqualTo("ingest.limits");
                    assertThat(e.path()).isEqualTo("/max");
                    assertThat(e.type()).contains("Limits");
                });
        assertThatThrownBy(() -> store.get("ingest.all_limits", new TypeReference<List<Limits>>() { }))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("ingest.all_limits")
                .hasMessageContaining("List")
                .hasMessageContaining("/1/max")
                .satisfies(t -> assertThat(((ConfigBindingException) t).path()).isEqualTo("/1/max"));
        assertThatThrownBy(() -> store.getOrDefault("ingest.batch_size", Integer.class, 1000))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("ingest.batch_size")
                .hasMessageContaining("Integer")
                .satisfies(t -> assertThat(((ConfigBindingException) t).path()).as("path of the root").isEmpty());
    }

    @Test
    void theTypeInABindingErrorIsNamedAsInSourceCode() {
        ConfigStore store = newStore();
        store.put("ingest.hosts", List.of(1, 2));

        assertThatThrownBy(() -> store.get("ingest.hosts", new TypeReference<List<Limits>>() { }))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("java.util.List<io.pgdock.config.ConfigStoreFixture$Limits>")
                .hasMessageNotContaining("[collection type");
    }
}
