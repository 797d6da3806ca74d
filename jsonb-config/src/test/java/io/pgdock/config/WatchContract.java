package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.config.ConfigStoreFixture.Recorder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of watch and snapshot: {@link ConfigStore#watch(String, ConfigListener) watch} and
 * {@link ConfigPolicy#snapshot}. Deliveries in version order, replay from a position, scopes, closing, listeners
 * that throw or close their own subscription, and a snapshot that pins its keys. The watch tests wait for deliveries
 * with a {@link ConfigStoreFixture.Recorder}, with a deadline of a minute, never a sleep.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Watch}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class WatchContract extends ConfigStoreTester {
    /** "key vN" or "key vN deleted" or "key vN=value", for compact assertions. */
    private static String describeEvent(ConfigEvent e) {
        return e.scope() + ":" + e.key() + " v" + e.version()
                + (e.deleted() ? " deleted" : "=" + e.value().orElseThrow());
    }

    @Test
    void aListenerThatReadsTheChangedKeyReadsTheNewValue() {
        ConfigStore store = newStore();
        List<String> read = java.util.Collections.synchronizedList(new ArrayList<>());
        Recorder seen = new Recorder();
        try (ConfigSubscription sub = store.watch("app.", event -> {
            // A listener that reloads: for a cached store, the cache must have forgotten the old value by now.
            read.add("v" + event.version() + " read v" + store.entry(event.key()).orElseThrow().version());
            seen.onChange(event);
        })) {
            for (int v = 1; v <= 20; v++) {
                store.put("app.limit", v);
                seen.awaitChange("app.limit", v, false);
            }
            assertThat(sub.isOpen()).isTrue();
        }
        assertThat(read).hasSize(20).allSatisfy(line -> {
            String[] parts = line.split(" read ", -1);
            assertThat(parts[1]).as(line).isEqualTo(parts[0]);
        });
    }

    @Test
    void watchDeliversEveryChangeUnderThePrefixInVersionOrder() {
        ConfigStore store = newStore();
        Recorder seen = new Recorder();
        try (ConfigSubscription sub = store.as("alice").watch("app.", seen)) {
            store.put("app.limit", 1);
            store.put("other.limit", 9);
            store.because("raise").put("app.limit", 2);
            store.put("app.name", "x");
            store.delete("app.limit");
            store.put("app.limit", 3);
            seen.awaitChange("app.limit", 3, false);
            assertThat(seen.events()).extracting(WatchContract::describeEvent).containsExactly(
                    ":app.limit v1=1", ":app.limit v2=2", ":app.name v1=\"x\"", ":app.limit v2 deleted",
                    ":app.limit v3=3");
            ConfigEvent raised = seen.events().get(1);
            assertThat(raised.change().reason()).isEqualTo("raise");
            assertThat(raised.change().kind()).isEqualTo(ConfigChange.Kind.UPDATE);
            assertThat(raised.change().changedAt()).isNotNull();
            assertThat(seen.events()).extracting(ConfigEvent::position).isSorted().doesNotHaveDuplicates();
            assertThat(sub.position()).isEqualTo(seen.events().get(4).position());
            assertThat(sub.isOpen()).isTrue();
        }
    }

    @Test
    void watchFromAPositionReplaysTheHistoryThenGoesOnLiveWithoutDuplicates() {
        ConfigStore store = newStore();
        store.put("app.a", 1);
        store.put("app.a", 2);
        store.put("app.b", 1);
        Recorder all = new Recorder();
        try (ConfigSubscription sub = store.watch("app.", 0, all)) {
            all.awaitChange("app.b", 1, false);
            store.put("app.a", 3);
            all.awaitChange("app.a", 3, false);
            assertThat(all.events()).extracting(WatchContract::describeEvent)
                    .containsExactly(":app.a v1=1", ":app.a v2=2", ":app.b v1=1", ":app.a v3=3");
            long afterFirst = all.events().get(0).position();
            Recorder rest = new Recorder();
            try (ConfigSubscription resumed = store.watch("app.", afterFirst, rest)) {
                store.put("app.b", 2);
                rest.awaitChange("app.b", 2, false);
                assertThat(rest.events()).extracting(WatchContract::describeEvent)
                        .containsExactly(":app.a v2=2", ":app.b v1=1", ":app.a v3=3", ":app.b v2=2");
                assertThat(resumed.position()).isEqualTo(rest.events().get(3).position());
            }
            all.awaitChange("app.b", 2, false);
            assertThat(sub.position()).isEqualTo(all.events().get(4).position());
        }
    }

    @Test
    void watchWhileWritersRunMissesNothingAndRepeatsNothing() throws Exception {
        ConfigStore store = newStore();
        ExecutorService writers = Executors.newFixedThreadPool(2);
        try {
            Future<?> a = writers.submit(() -> IntStream.rangeClosed(1, 50).forEach(i -> store.put("w.a", i)));
            Future<?> b = writers.submit(() -> IntStream.rangeClosed(1, 50).forEach(i -> store.put("w.b", i)));
            Recorder seen = new Recorder();
            try (ConfigSubscription sub = store.watch("w.", 0, seen)) {
                a.get(1, TimeUnit.MINUTES);
                b.get(1, TimeUnit.MINUTES);
                seen.awaitChange("w.a", 50, false);
                seen.awaitChange("w.b", 50, false);
                for (String key : List.of("w.a", "w.b")) {
                    assertThat(seen.events().stream().filter(e -> e.key().equals(key)).map(ConfigEvent::version))
                            .as("versions of %s", key).containsExactlyElementsOf(
                                    LongStream.rangeClosed(1, 50).boxed().collect(Collectors.toList()));
                }
                assertThat(sub.isOpen()).isTrue();
            }
        } finally {
            writers.shutdownNow();
        }
    }

    @Test
    void aViewWatchesItsOwnScopeAndItsParentsOnly() {
        ConfigStore store = newStore();
        ConfigStore ingest = store.inScope("prod/ingest");
        Recorder seen = new Recorder();
        try (ConfigSubscription sub = ingest.watch("", seen)) {
            store.inScope("dev").put("k", 1);
            store.inScope("prod/ingest/deeper").put("k", 1);
            store.put("k", 2);
            store.inScope("prod").put("k", 3);
            ingest.put("k", 4);
            seen.awaitChange("k", 1, false);
            seen.await("three changes", r -> r.events().size() >= 3);
            assertThat(seen.events()).extracting(WatchContract::describeEvent)
                    .containsExactly(":k v1=2", "prod:k v1=3", "prod/ingest:k v1=4");
            assertThat(sub.position()).isEqualTo(seen.events().get(2).position());
        }
    }

    @Test
    void aListenerThatThrowsKeepsItsSubscription() {
        ConfigStore store = newStore();
        Recorder seen = new Recorder();
        ConfigListener throwing = event -> {
            seen.onChange(event);
            throw new IllegalStateException("listener bug (thrown on purpose by the test)");
        };
        try (ConfigSubscription sub = store.watch("k", throwing)) {
            store.put("k", 1);
            store.put("k", 2);
            seen.awaitChange("k", 2, false);
            assertThat(sub.isOpen()).isTrue();
        }
    }

    @Test
    void aClosedSubscriptionReceivesNothingMore() {
        ConfigStore store = newStore();
        Recorder closed = new Recorder();
        Recorder open = new Recorder();
        ConfigSubscription sub = store.watch("k", closed);
        try (ConfigSubscription other = store.watch("k", open)) {
            store.put("k", 1);
            closed.awaitChange("k", 1, false);
            sub.close();
            sub.close();
            assertThat(sub.isOpen()).isFalse();
            store.put("k", 2);
            open.awaitChange("k", 2, false);
            assertThat(closed.events()).extracting(ConfigEvent::version).containsExactly(1L);
            assertThat(other.isOpen()).isTrue();
        }
    }

    @Test
    void aListenerMayCloseItsOwnSubscription() {
        ConfigStore store = newStore();
        Recorder seen = new Recorder();
        Recorder marker = new Recorder();
        ConfigSubscription[] self = new ConfigSubscription[1];
        self[0] = store.watch("k", 0, event -> {
            seen.onChange(event);
            self[0].close();
        });
        try (ConfigSubscription other = store.watch("k", marker)) {
            store.put("k", 1);
            store.put("k", 2);
            marker.awaitChange("k", 2, false);
            seen.awaitChange("k", 1, false);
            assertThat(seen.events()).hasSize(1);
            assertThat(self[0].isOpen()).isFalse();
            assertThat(other.isOpen()).isTrue();
        }
    }

    @Test
    void watchRefusesABadPrefixOrPosition() {
        ConfigStore store = newStore();
        assertThatThrownBy(() -> store.watch("bad key", new Recorder()))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("bad key");
        assertThatThrownBy(() -> store.watch("", -1, new Recorder()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> store.watch("", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("listener");
    }

    @Test
    void aSnapshotPinsItsKeysAndRefusesWrites() {
        ConfigStore store = newStore();
        store.put("run.a", 1);
        store.inScope("prod").put("run.b", 2);
        store.put("run.b", 20);
        store.put("other", 3);
        ConfigStore pinned = store.inScope("prod").policy().snapshot("run.");
        store.put("run.a", 100);
        store.inScope("prod").delete("run.b");
        store.put("run.c", 5);

        assertThat(pinned.get("run.a", Integer.class)).contains(1);
        assertThat(pinned.entry("run.b").orElseThrow().scope()).isEqualTo("prod");
        assertThat(pinned.get("run.b", Integer.class)).contains(2);
        assertThat(pinned.get("run.c")).isEmpty();
        assertThat(pinned.list("run.")).extracting(ConfigEntry::key).containsExactly("run.a", "run.b");
        assertThat(pinned.scope()).isEqualTo("prod");
        assertThatThrownBy(() -> pinned.put("run.a", 2)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("run.a").hasMessageContaining("read-only");
        assertThatThrownBy(() -> pinned.delete("run.a")).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("run.a");
        assertThatThrownBy(() -> pinned.get("other")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("other").hasMessageContaining("run.");
        assertThatThrownBy(() -> pinned.watch("run.", new Recorder()))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("a snapshot never changes");
        assertThat(store.get("run.a", Integer.class)).contains(100);
    }
}
