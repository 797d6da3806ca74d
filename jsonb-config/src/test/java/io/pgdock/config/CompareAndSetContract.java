package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of compare-and-set: writes and deletes with an expected version. Creating only when absent,
 * stale versions, expected versions outside the contract, and eight threads racing on one key.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code CompareAndSet}, on the stores its subclass
 * makes ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class CompareAndSetContract extends ConfigStoreTester {
    @Test
    void expectedVersionZeroCreatesOnlyWhenTheKeyIsAbsent() {
        ConfigStore store = newStore();

        assertThat(store.put("ingest.owner", "alice", 0).version()).isEqualTo(1);
        assertThatThrownBy(() -> store.put("ingest.owner", "bob", 0))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.owner")
                .satisfies(t -> {
                    ConfigConflictException e = (ConfigConflictException) t;
                    assertThat(e.key()).isEqualTo("ingest.owner");
                    assertThat(e.scope()).isEmpty();
                    assertThat(e.expectedVersion()).isZero();
                    assertThat(e.currentVersion()).isEqualTo(1);
                });
        assertUnchanged(store, "ingest.owner", 1, "\"alice\"");
    }

    @Test
    void aStaleVersionConflictsCarriesTheCurrentVersionAndWritesNothing() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);
        ConfigEntry second = store.put("ingest.batch_size", 2);

        ConfigEntry third = store.put("ingest.batch_size", 3, second.version());
        assertThat(third.version()).isEqualTo(3);

        assertThatThrownBy(() -> store.put("ingest.batch_size", 99, second.version()))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.batch_size")
                .hasMessageContaining("version 3")
                .hasMessageContaining("version 2")
                .satisfies(t -> {
                    ConfigConflictException e = (ConfigConflictException) t;
                    assertThat(e.expectedVersion()).isEqualTo(2);
                    assertThat(e.currentVersion()).as("currentVersion").isEqualTo(3);
                });
        assertUnchanged(store, "ingest.batch_size", 3, "3");
        assertThat(store.history("ingest.batch_size")).as("history after a conflict").hasSize(3);
    }

    @Test
    void expectingAVersionOfAnAbsentKeyConflictsWithCurrentVersionZero() {
        ConfigStore store = newStore();

        assertThatThrownBy(() -> store.put("ingest.batch_size", 1, 4))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.batch_size")
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isZero());
        assertThat(store.entry("ingest.batch_size")).as("entry after the conflict").isEmpty();
        assertThat(store.history("ingest.batch_size")).as("history after the conflict").isEmpty();
    }

    @Test
    void putJsonComparesAndSetsToo() {
        ConfigStore store = newStore();

        assertThat(store.putJson("ingest.limits", "{\"max\": 1}", 0).version()).isEqualTo(1);
        assertThat(store.putJson("ingest.limits", "{\"max\": 2}", 1).version()).isEqualTo(2);
        assertThatThrownBy(() -> store.putJson("ingest.limits", "{\"max\": 3}", 1))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.limits")
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isEqualTo(2));
        assertThatThrownBy(() -> store.putJson("ingest.limits", "{\"max\": 3}", 0))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("\"ingest.limits\" is at version 2, but version 0 (absent) was expected")
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isEqualTo(2));
        assertUnchanged(store, "ingest.limits", 2, "{\"max\":2}");
    }

    @Test
    void deleteComparesAndSets() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);

        assertThatThrownBy(() -> store.delete("ingest.batch_size", 1))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.batch_size")
                .satisfies(t -> {
                    ConfigConflictException e = (ConfigConflictException) t;
                    assertThat(e.expectedVersion()).isEqualTo(1);
                    assertThat(e.currentVersion()).isEqualTo(2);
                });
        assertUnchanged(store, "ingest.batch_size", 2, "2");

        assertThat(store.delete("ingest.batch_size", 2)).isTrue();
        assertThat(store.entry("ingest.batch_size")).isEmpty();
        assertThatThrownBy(() -> store.delete("ingest.batch_size", 2))
                .as("deleting an absent key at a version")
                .isInstanceOf(ConfigConflictException.class)
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isZero());
        assertThat(store.delete("ingest.batch_size", ConfigStore.ANY_VERSION)).isFalse();
    }

    @Test
    void expectedVersionsOutsideTheContractAreCallerErrors() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);

        assertThatThrownBy(() -> store.put("ingest.batch_size", 2, -2))
                .isInstanceOf(IllegalArgumentException.class)
                .isNotInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("expectedVersion")
                .hasMessageContaining("-2");
        assertThatThrownBy(() -> store.delete("ingest.batch_size", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expectedVersion");
        assertUnchanged(store, "ingest.batch_size", 1, "1");
    }

    @Test
    void concurrentCreatesWithExpectedVersionZeroLetExactlyOneWin() throws Exception {
        ConfigStore store = newStore();
        int threads = 8;

        List<Boolean> won = runConcurrently(threads, i -> () -> {
            try {
                store.as("writer-" + i).put("ingest.owner", "writer-" + i, 0);
                return true;
            } catch (ConfigConflictException e) {
                assertThat(e.currentVersion()).isEqualTo(1);
                return false;
            }
        });

        assertThat(won).as("which writers created the key").containsOnlyOnce(true).hasSize(threads);
        ConfigEntry e = store.entry("ingest.owner").orElseThrow();
        assertThat(e.version()).isEqualTo(1);
        assertThat(e.value().asText()).isEqualTo(e.updatedBy());
    }

    @Test
    void eightThreadsIncrementingOneCounterWithCompareAndSetCountExactly() throws Exception {
        ConfigStore store = newStore();
        int threads = 8;
        int perThread = 250;

        List<Integer> conflicts = runConcurrently(threads, i -> () -> {
            ConfigStore writer = store.as("incrementer-" + i);
            int seen = 0;
            for (int done = 0; done < perThread; ) {
                Optional<ConfigEntry> current = writer.entry("counter");
                long version = current.map(ConfigEntry::version).orElse(0L);
                int value = current.map(e -> e.value().intValue()).orElse(0);
                try {
                    writer.put("counter", value + 1, version);
                    done++;
                } catch (ConfigConflictException e) {
                    seen++;
                }
            }
            return seen;
        });

        int total = threads * perThread;
        assertThat(store.get("counter", Integer.class)).as("the counter after %s increments (%s conflicts retried)",
                total, conflicts.stream().mapToInt(Integer::intValue).sum()).contains(total);
        assertThat(store.entry("counter").orElseThrow().version()).isEqualTo(total);
        List<ConfigChange> history = store.history("counter");
        assertThat(history).as("history of the counter").hasSize(total);
        assertThat(history).extracting(ConfigChange::version)
                .as("versions, newest first")
                .containsExactlyElementsOf(IntStream.iterate(total, v -> v - 1).limit(total).mapToObj(v -> (long) v)
                        .toList());
        assertThat(history).allSatisfy(c -> {
            assertThat(c.newValue().intValue()).as("value written as version %s", c.version()).isEqualTo(c.version());
            assertThat(c.oldValue() == null ? 0 : c.oldValue().intValue()).isEqualTo(c.version() - 1);
        });
    }
}
