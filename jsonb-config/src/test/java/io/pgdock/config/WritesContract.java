package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of writes: {@link ConfigStore#put put}, {@link ConfigStore#putJson putJson} and
 * {@link ConfigStore#delete delete}. Versions, strict parsing in {@code putJson}, copies of the caller's tree, and
 * what {@code delete} returns.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Writes}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class WritesContract extends ConfigStoreTester {
    @Test
    void everyWriteBumpsTheVersionByOne() {
        ConfigStore store = newStore();

        assertThat(store.put("ingest.batch_size", 1).version()).isEqualTo(1);
        assertThat(store.put("ingest.batch_size", 2).version()).isEqualTo(2);
        assertThat(store.putJson("ingest.batch_size", "3").version()).isEqualTo(3);
        assertThat(store.put("ingest.batch_size", 3).version()).as("writing the same value again").isEqualTo(4);

        assertThat(store.entry("ingest.batch_size")).hasValueSatisfying(e -> {
            assertThat(e.version()).isEqualTo(4);
            assertThat(e.value().intValue()).isEqualTo(3);
        });
    }

    @Test
    void putJsonParsesStrictlyAndNamesTheKeyAndPosition() {
        ConfigStore store = newStore();
        store.put("ingest.limits", Map.of("max", 5));

        for (String bad : List.of("{\"max\": 6,}", "{\"max\": 6} // six", "{\"max\": 6} {}", "", "  ", "{'max': 6}",
                "[1, 2", "NaN", "01")) {
            assertThatThrownBy(() -> store.putJson("ingest.limits", bad))
                    .as("putJson(%s)", bad)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("ingest.limits")
                    .satisfies(t -> assertThat(((InvalidConfigException) t).key()).isEqualTo("ingest.limits"));
        }
        assertThatThrownBy(() -> store.putJson("ingest.limits", "{\n  \"max\": 6,\n}"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("line 3");
        assertUnchanged(store, "ingest.limits", 1, "{\"max\":5}");
    }

    @Test
    void aWriteDoesNotKeepAReferenceToTheCallersTree() {
        ConfigStore store = newStore();
        ObjectNode limits = NODES.objectNode().put("max", 5);
        ArrayNode hosts = NODES.arrayNode().add("a");

        store.put("ingest.limits", limits);
        store.put("ingest.hosts", hosts);
        limits.put("max", 6);
        hosts.add("b");

        assertThat(json(store.get("ingest.limits").orElseThrow())).isEqualTo("{\"max\":5}");
        assertThat(json(store.get("ingest.hosts").orElseThrow())).isEqualTo("[\"a\"]");
    }

    @Test
    void deleteRemovesTheKeyAndSaysWhetherItExisted() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);

        assertThat(store.delete("ingest.batch_size")).as("delete of an existing key").isTrue();
        assertThat(store.get("ingest.batch_size")).as("get after delete").isEmpty();
        assertThat(store.delete("ingest.batch_size")).as("delete of a deleted key").isFalse();
        assertThat(store.delete("never.written")).as("delete of a key never written").isFalse();
        assertThat(store.put("ingest.batch_size", 3).version()).as("first write after a delete").isEqualTo(3);
    }
}
