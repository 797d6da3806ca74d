package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pgdock.config.store.CachingConfigBackend;
import io.pgdock.config.store.DefaultConfigStore;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.SilentServer;
import io.pgdock.testing.ThrowawayPostgres;
import io.pgdock.testing.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What only the PostgreSQL store's watches and cache do: notifications of plain-SQL edits and of other processes'
 * writes, recovery from a terminated listening connection and from a server restart, and a cache kept coherent across
 * stores.
 */
class PostgresWatchTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Bounds a wait for a condition; generous, it only detects a hang. */
    private static final Duration WAIT = Duration.ofMinutes(1);

    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private final List<Storage> opened = new ArrayList<>();

    private Storage open(ConnectionSpec spec, String schema) {
        Storage storage = Storage.open(spec.toBuilder().schema(schema).build(),
                StorageOptions.builder().createSchema(true).build());
        opened.add(storage);
        return storage;
    }

    private Storage open(String schema) {
        return open(PG.spec(), schema);
    }

    @AfterEach
    void closeStorage() {
        opened.forEach(Storage::close);
        opened.clear();
    }

    private static void terminateListener(Storage storage, ConfigStore store) {
        int pid = CachedConfigStores.postgresBackend(store).listenerPid();
        assertThat(pid).as("listening connection's pid").isPositive();
        boolean terminated = storage.jdbi().withHandle(h -> h.createQuery("SELECT pg_terminate_backend(:pid)")
                .bind("pid", pid).mapTo(Boolean.class).one());
        assertThat(terminated).isTrue();
    }

    @Test
    void aWatchWhoseServerHasGoneSilentFailsUnreachableWithinTheConnectTimeout() {
        ConnectionSpec real = PG.spec();
        Duration timeout = Duration.ofSeconds(2);
        try (SilentServer proxy = SilentServer.forwardingTo(real.host(), real.port())) {
            Storage storage = open(proxy.redirect(real).toBuilder().connectTimeout(timeout).build(),
                    "watch_silent_" + SCHEMAS.incrementAndGet());
            ConfigStore store = ConfigStore.postgres(storage);
            proxy.silence();
            assertTimeoutPreemptively(timeout.multipliedBy(3), () -> assertThatThrownBy(
                    () -> store.watch("a.", new ConfigStoreFixture.Recorder()))
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(ConnectionFailedException.Reason.UNREACHABLE))
                    .hasMessageContaining("the server accepted the connection but sent nothing within the connect "
                            + "timeout of 2 s (connectTimeout)"));
        }
    }

    @Test
    void theListeningAndDeliveryThreadsComeFromTheCallersFactoryAndEndWithTheWatch() {
        Storage storage = open("watch_threads_" + SCHEMAS.incrementAndGet());
        List<Thread> made = new CopyOnWriteArrayList<>();
        ThreadFactory mine = r -> {
            Thread t = new Thread(r, "mine-config-" + (made.size() + 1));
            t.setDaemon(true);
            made.add(t);
            return t;
        };
        ConfigStore store = ConfigStore.postgres(storage, ConfigOptions.builder().watchThreadFactory(mine).build());
        List<String> calledOn = new CopyOnWriteArrayList<>();
        try (ConfigSubscription sub = store.watch("t.", e -> calledOn.add(Thread.currentThread().getName()))) {
            assertThat(made).as("the listening thread, made when the watch started").hasSize(1);
            assertThat(made.get(0).isAlive()).isTrue();
            store.put("t.a", 1);
            Wait.until(WAIT, () -> !calledOn.isEmpty(), "the change delivered");
            assertThat(sub.isOpen()).isTrue();
        }
        assertThat(calledOn).containsExactly("mine-config-2");
        Wait.until(WAIT, () -> !made.get(0).isAlive(), "the listening thread ends with the last watch");
        Wait.until(WAIT, () -> !made.get(1).isAlive(), "the delivery thread ends when idle");
    }

    @Test
    void plainSqlEditsAndOtherProcessesAreWatched() {
        String schema = "watch_" + SCHEMAS.incrementAndGet();
        Storage mine = open(schema);
        Storage theirs = open(schema);   // another pool on the same schema stands for another process
        ConfigStore store = ConfigStore.postgres(mine);
        ConfigStoreFixture.Recorder seen = new ConfigStoreFixture.Recorder();
        try (ConfigSubscription sub = store.watch("db.", seen)) {
            ConfigStore.postgres(theirs).as("other-process").put("db.pool", 10);
            theirs.jdbi().useHandle(h -> {
                h.execute("UPDATE config_entry SET value = '20' WHERE scope = '' AND key = 'db.pool'");
                h.execute("DELETE FROM config_entry WHERE key = 'db.pool'");
            });
            seen.awaitChange("db.pool", 2, true);
            assertThat(seen.events()).extracting(e -> e.version() + (e.deleted() ? " deleted" : "=" + e.value().get()))
                    .containsExactly("1=10", "2=20", "2 deleted");
            assertThat(seen.events().get(0).change().actor()).isEqualTo("other-process");
            assertThat(sub.isOpen()).isTrue();
        }
    }

    @Test
    void aTerminatedListeningConnectionIsReopenedAndTheGapReplayed() {
        Storage storage = open("watch_" + SCHEMAS.incrementAndGet());
        ConfigStore store = ConfigStore.postgres(storage);
        ConfigStoreFixture.Recorder seen = new ConfigStoreFixture.Recorder();
        try (ConfigSubscription sub = store.watch("k", seen)) {
            store.put("k", 1);
            seen.awaitChange("k", 1, false);
            terminateListener(storage, store);
            store.put("k", 2);   // may be made before the store notices: then it is replayed
            seen.await("a gap", r -> r.gaps() == 1);
            store.put("k", 3);
            seen.await("catching up", r -> r.caughtUp() == 1);
            store.put("k", 4);
            seen.awaitChange("k", 4, false);
            assertThat(seen.events()).extracting(ConfigEvent::version).containsExactly(1L, 2L, 3L, 4L);
            assertThat(seen.gaps()).isEqualTo(1);
            assertThat(sub.position()).isEqualTo(seen.events().get(3).position());
        }
    }

    @Test
    void aServerRestartIsSurvived() {
        try (ThrowawayPostgres server = ThrowawayPostgres.start()) {
            Storage storage = open(server.adminSpec(), "watch_restart");
            ConfigStore store = ConfigStore.postgres(storage);
            ConfigStoreFixture.Recorder seen = new ConfigStoreFixture.Recorder();
            try (ConfigSubscription sub = store.watch("", seen)) {
                store.put("k", 1);
                seen.awaitChange("k", 1, false);
                server.stop();
                seen.await("a gap", r -> r.gaps() == 1);
                server.startAgain();
                putRetrying(store, "k", 2);   // the pool's connections died with the server
                seen.awaitChange("k", 2, false);
                seen.await("catching up", r -> r.caughtUp() == 1);
                store.put("k", 3);
                seen.awaitChange("k", 3, false);
                assertThat(seen.events()).extracting(ConfigEvent::version).containsExactly(1L, 2L, 3L);
                assertThat(sub.isOpen()).isTrue();
            }
        }
    }

    @Test
    void aWatchStartedDuringAnOutageHearsOfTheGapAndTheCatchUp() {
        try (ThrowawayPostgres server = ThrowawayPostgres.start()) {
            Storage storage = open(server.adminSpec(), "watch_late");
            ConfigStore store = ConfigStore.postgres(storage);
            ConfigStoreFixture.Recorder first = new ConfigStoreFixture.Recorder();
            try (ConfigSubscription running = store.watch("", first)) {
                server.stop();
                first.await("a gap", r -> r.gaps() == 1);
                ConfigStoreFixture.Recorder late = new ConfigStoreFixture.Recorder();
                try (ConfigSubscription sub = store.watch("", late)) {
                    late.await("the running gap, told to a watch that started in it", r -> r.gaps() == 1);
                    server.startAgain();
                    late.await("catching up", r -> r.caughtUp() == 1);
                    putRetrying(store, "k", 1);
                    late.awaitChange("k", 1, false);
                    assertThat(sub.isOpen() && running.isOpen()).isTrue();
                }
            }
        }
    }

    @Test
    void watchFailsClearlyWhenTheServerIsDown() {
        try (ThrowawayPostgres server = ThrowawayPostgres.start()) {
            Storage storage = open(server.adminSpec(), "watch_down");
            ConfigStore store = ConfigStore.postgres(storage);
            server.stop();
            assertThatThrownBy(() -> store.watch("", new ConfigStoreFixture.Recorder()))
                    .isInstanceOf(io.pgdock.core.ConnectionFailedException.class)
                    .hasMessageContaining(Integer.toString(server.port()));
            server.startAgain();
            ConfigStoreFixture.Recorder seen = new ConfigStoreFixture.Recorder();
            try (ConfigSubscription sub = store.watch("", seen)) {   // a later watch starts afresh
                putRetrying(store, "k", 1);
                seen.awaitChange("k", 1, false);
                assertThat(sub.isOpen()).isTrue();
            }
        }
    }

    /** Writes, trying again while the pool still hands out connections the restart broke. */
    private static void putRetrying(ConfigStore store, String key, Object value) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                store.put(key, value);
                return;
            } catch (io.pgdock.core.PgdockException e) {
                last = e;
            }
        }
        throw last;
    }

    @Test
    void aCachedStoreSeesWritesMadeElsewhere() {
        String schema = "cache_" + SCHEMAS.incrementAndGet();
        ConfigStore cached = ConfigStore.postgres(open(schema), ConfigOptions.builder().cache(100).build());
        Storage theirs = open(schema);
        ConfigStore writer = ConfigStore.postgres(theirs);
        writer.put("batch", 1);
        assertThat(cached.get("batch", Integer.class)).contains(1);   // miss
        assertThat(cached.get("batch", Integer.class)).contains(1);   // hit
        ConfigCacheStats stats = cached.policy().cacheStats().orElseThrow();
        assertThat(stats.misses()).isEqualTo(1);
        assertThat(stats.hits()).isEqualTo(1);
        assertThat(stats.size()).isEqualTo(1);

        writer.put("batch", 2);
        Wait.until(WAIT, () -> cached.get("batch", Integer.class).orElse(0) == 2, "the cached store to see version 2");
        theirs.jdbi().useHandle(h -> h.execute("UPDATE config_entry SET value = '3' WHERE key = 'batch'"));
        Wait.until(WAIT, () -> cached.get("batch", Integer.class).orElse(0) == 3,
                "the cached store to see a plain-SQL edit");
        writer.delete("batch");
        Wait.until(WAIT, () -> cached.get("batch").isEmpty(), "the cached store to see the deletion");
        assertThat(cached.policy().cacheStats().orElseThrow().invalidations()).isPositive();
        assertThat(ConfigStore.postgres(theirs).policy().cacheStats()).isEmpty();
    }

    @Test
    void aListenerOfACachedStoreReadsTheValueItWasToldOf() {
        String schema = "cache_" + SCHEMAS.incrementAndGet();
        ConfigStore cached = ConfigStore.postgres(open(schema), ConfigOptions.builder().cache(100).build());
        ConfigStore writer = ConfigStore.postgres(open(schema));
        writer.put("reload.limit", 0);
        List<String> mismatches = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.concurrent.atomic.AtomicLong lastSeen = new java.util.concurrent.atomic.AtomicLong();
        // Watch before the first read: the cache must still hear of each change before this listener does.
        try (ConfigSubscription sub = cached.watch("reload.", event -> {
            long read = cached.entry(event.key()).orElseThrow().version();
            if (read < event.version()) {
                mismatches.add("told of v" + event.version() + ", read v" + read);
            }
            lastSeen.set(event.version());
        })) {
            for (int v = 1; v <= 20; v++) {
                writer.put("reload.limit", v);
                long version = v + 1L;
                Wait.until(WAIT, () -> lastSeen.get() >= version, "the listener to hear of v" + version);
            }
            assertThat(sub.isOpen()).isTrue();
        }
        assertThat(mismatches).isEmpty();
    }

    @Test
    void aCachedStoreReadsItsOwnWritesAtOnce() {
        ConfigStore cached = ConfigStore.postgres(open("cache_" + SCHEMAS.incrementAndGet()),
                ConfigOptions.builder().cache(3).build());
        for (int i = 0; i < 10; i++) {
            cached.put("k" + i, i);
            assertThat(cached.get("k" + i, Integer.class)).contains(i);
            cached.put("k" + i, i + 100);
            assertThat(cached.get("k" + i, Integer.class)).contains(i + 100);
            assertThat(cached.inScope("prod").get("k" + i, Integer.class)).contains(i + 100);
        }
        assertThat(cached.policy().cacheStats().orElseThrow().size()).isLessThanOrEqualTo(3);
    }

    @Test
    void aCachedStoreStaysWithinItsBound() {
        String schema = "cache_" + SCHEMAS.incrementAndGet();
        ConfigStore writer = ConfigStore.postgres(open(schema));
        for (int i = 0; i < 10; i++) {
            writer.put("k" + i, i);
        }
        // Written before the cached store watches, so no notification can invalidate what it reads below.
        ConfigStore cached = ConfigStore.postgres(open(schema), ConfigOptions.builder().cache(3).build());
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 10; i++) {
                assertThat(cached.get("k" + i, Integer.class)).contains(i);
            }
        }
        ConfigCacheStats stats = cached.policy().cacheStats().orElseThrow();
        assertThat(stats.size()).isLessThanOrEqualTo(3);
        assertThat(stats.evictions()).isGreaterThanOrEqualTo(17);
        assertThat(stats.hits() + stats.misses()).isEqualTo(20);
        assertThat(cached.get("k9", Integer.class)).contains(9);
        assertThat(cached.policy().cacheStats().orElseThrow().hits()).isEqualTo(stats.hits() + 1);
    }

    @Test
    void aCachedStoreReadsThroughWhileNotificationsAreLost() {
        String schema = "cache_" + SCHEMAS.incrementAndGet();
        Storage storage = open(schema);
        ConfigStore cached = ConfigStore.postgres(storage, ConfigOptions.builder().cache(100).build());
        ConfigStore writer = ConfigStore.postgres(open(schema));
        writer.put("k", 1);
        assertThat(cached.get("k", Integer.class)).contains(1);
        CachingConfigBackend cache = (CachingConfigBackend) ((DefaultConfigStore) cached).backend();
        assertThat(cache.live()).isTrue();
        terminateListener(storage, cached);
        // Whether or not the cache has noticed yet, a write made now is seen: by notification, by the replay after
        // the reconnect, or by reading through.
        writer.put("k", 2);
        Wait.until(WAIT, () -> cached.get("k", Integer.class).orElse(0) == 2, "the cached store to see version 2");
        Wait.until(WAIT, cache::live, "the cache to be live again");
        writer.put("k", 3);
        Wait.until(WAIT, () -> cached.get("k", Integer.class).orElse(0) == 3, "the cached store to see version 3");
    }
}
