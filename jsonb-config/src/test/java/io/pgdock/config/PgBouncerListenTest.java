package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgdock.config.postgres.PostgresConfigBackend;
import io.pgdock.core.SessionRequiredException;
import io.pgdock.core.Storage;
import io.pgdock.testing.PgBouncer;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.Wait;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What needs a session behind PgBouncer in transaction mode: watches and the read cache LISTEN on the storage's direct
 * connection spec, refuse to start without one (PgBouncer would drop the notifications: a watch would hear nothing),
 * and a cached store whose listening connection dies reads through, saying so in its stats, until it is back.
 */
class PgBouncerListenTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Bounds a wait for a condition; generous, it only detects a hang. */
    private static final Duration WAIT = Duration.ofMinutes(1);

    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private BouncedStorages bounced;

    @BeforeEach
    void needsPgBouncer() {
        PgBouncer.assumeAvailable();
        bounced = new BouncedStorages(PG);
    }

    @AfterEach
    void closeAll() {
        if (bounced != null) {
            bounced.close();
        }
    }

    private static String schema() {
        return "bounced_listen_" + SCHEMAS.incrementAndGet();
    }

    @Test
    void withoutADirectConnectionAWatchAndACachedStoreRefuseToStartNamingTheFix() {
        Storage storage = bounced.open(schema(), false);
        ConfigStore store = ConfigStore.postgres(storage);
        store.put("batch", 1);   // reads and writes work through the pooler
        assertThat(store.get("batch", Integer.class)).contains(1);

        SessionRequiredException watch = catchThrowableOfType(SessionRequiredException.class,
                () -> store.watch("", event -> { }));
        assertThat(watch.getMessage()).contains("watch() LISTENs").contains("transaction pooling mode")
                .contains("StorageOptions.dedicatedConnectionSpec(");
        SessionRequiredException cache = catchThrowableOfType(SessionRequiredException.class,
                () -> ConfigStore.postgres(storage, ConfigOptions.builder().cache(10).build()));
        assertThat(cache.getMessage()).contains("read cache").contains("StorageOptions.dedicatedConnectionSpec(");
    }

    @Test
    void aWatchHearsChangesMadeThroughThePoolerOnItsDirectConnection() {
        String schema = schema();
        Storage storage = bounced.open(schema, true);
        ConfigStore store = ConfigStore.postgres(storage);
        List<ConfigEvent> heard = new CopyOnWriteArrayList<>();
        ConfigSubscription watch = store.watch("", heard::add);
        try {
            store.put("batch", 1);
            store.put("batch", 2);
            Wait.until(WAIT, () -> heard.size() == 2, "two changes heard");
        } finally {
            watch.close();
        }
        assertThat(heard).extracting(e -> e.change().newValue().asInt()).containsExactly(1, 2);
    }

    @Test
    void aCachedStoreWhoseListenerDiedReadsThroughAndSaysSoUntilItIsBack() {
        String schema = schema();
        Storage storage = bounced.open(schema, true);
        ConfigStore cached = ConfigStore.postgres(storage, ConfigOptions.builder().cache(100).build());
        ConfigStore writer = ConfigStore.postgres(storage);
        writer.put("batch", 1);
        assertThat(cached.get("batch", Integer.class)).contains(1);
        assertThat(cached.get("batch", Integer.class)).contains(1);
        assertThat(cached.policy().cacheStats().orElseThrow().hits()).isEqualTo(1);
        assertThat(cached.policy().cacheStats().orElseThrow().readingThrough()).isFalse();

        PostgresConfigBackend backend = CachedConfigStores.postgresBackend(cached);
        int pid = backend.listenerPid();
        assertThat(pid).as("listening connection's pid").isPositive();
        // The listener may not log in again until the role may (PgBouncer keeps its server connections meanwhile).
        String role = storage.spec().user();
        Jdbi admin = Jdbi.create(PG.adminDataSource());
        admin.useHandle(h -> h.execute("ALTER ROLE " + role + " NOLOGIN"));
        try {
            boolean terminated = admin.withHandle(h -> h.createQuery("SELECT pg_terminate_backend(:pid)")
                    .bind("pid", pid).mapTo(Boolean.class).one());
            assertThat(terminated).isTrue();
            Wait.until(WAIT, () -> cached.policy().cacheStats().orElseThrow().readingThrough(),
                    "the cache to notice its listener died");

            // A change made elsewhere (plain SQL, another session) is seen at once: the cache reads through.
            admin.useHandle(h -> h.execute("UPDATE \"" + schema + "\".config_entry SET value = '2' "
                    + "WHERE key = 'batch'"));
            ConfigCacheStats before = cached.policy().cacheStats().orElseThrow();
            assertThat(cached.get("batch", Integer.class)).as("a read while the listener is down").contains(2);
            ConfigCacheStats during = cached.policy().cacheStats().orElseThrow();
            assertThat(during.readingThrough()).isTrue();
            assertThat(during.readsThrough()).isEqualTo(before.readsThrough() + 1);
            assertThat(during.hits()).isEqualTo(before.hits());
        } finally {
            admin.useHandle(h -> h.execute("ALTER ROLE " + role + " LOGIN"));
        }

        Wait.until(WAIT, () -> {
            ConfigCacheStats s = cached.policy().cacheStats().orElseThrow();
            return !s.readingThrough() && backend.listenerPid() != 0 && backend.listenerPid() != pid;
        }, "the listener to be back and the cache to serve again");
        assertThat(cached.get("batch", Integer.class)).contains(2);
        assertThat(cached.get("batch", Integer.class)).contains(2);
        long hits = cached.policy().cacheStats().orElseThrow().hits();
        assertThat(cached.get("batch", Integer.class)).contains(2);
        assertThat(cached.policy().cacheStats().orElseThrow().hits()).as("served from the cache again").isEqualTo(hits + 1);
        writer.put("batch", 3);
        Wait.until(WAIT, () -> cached.get("batch", Integer.class).orElse(0) == 3, "the cache to see the next change");
    }
}
