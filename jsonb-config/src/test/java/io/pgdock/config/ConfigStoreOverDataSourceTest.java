package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.Wait;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a config store over an application's pool ({@link Storage#over}) does with that pool: a watch holds one of its
 * connections for LISTEN, gives it back when the watch closes or the storage does, and the pool stays open throughout.
 */
class ConfigStoreOverDataSourceTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Bounds a wait for a condition; generous, it only detects a hang. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    private HikariDataSource pool;
    private Storage storage;

    @BeforeEach
    void open() {
        pool = ApplicationPools.pool(PG.spec(), "over_watch", 4);
        storage = Storage.over(pool, "over_watch", StorageOptions.builder().createSchema(true).build());
    }

    @AfterEach
    void close() {
        storage.close();
        pool.close();
    }

    private int active() {
        return pool.getHikariPoolMXBean().getActiveConnections();
    }

    @Test
    void aWatchHoldsOneConnectionOfTheApplicationsPoolAndGivesItBack() throws Exception {
        ConfigStore store = ConfigStore.postgres(storage);
        ConfigStoreFixture.Recorder seen = new ConfigStoreFixture.Recorder();
        ConfigSubscription watch = store.watch("db.", seen);
        try {
            assertThat(active()).as("the listening connection, borrowed from the application's pool").isEqualTo(1);
            store.put("db.pool", 10);
            try (Connection c = pool.getConnection(); java.sql.Statement s = c.createStatement()) {
                s.execute("UPDATE config_entry SET value = '20' WHERE scope = '' AND key = 'db.pool'");
            }
            Wait.until(WAIT, () -> seen.events().size() == 2, "both changes");
            assertThat(seen.events()).extracting(ConfigEvent::version).containsExactly(1L, 2L);
        } finally {
            watch.close();
        }
        Wait.until(WAIT, () -> active() == 0, "the listening connection given back");
        // It went back to the pool listening to nothing: a later borrower of that connection gets no notifications.
        try (Connection c = pool.getConnection(); java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_listening_channels()")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    @Test
    void closingTheStorageEndsTheWatchGivesTheConnectionBackAndLeavesThePoolOpen() throws Exception {
        ConfigStore store = ConfigStore.postgres(storage, ConfigOptions.builder().cache(100).build());
        store.put("a.b", 1);
        assertThat(store.get("a.b", Integer.class)).hasValue(1);   // the cache watches from its first read
        Wait.until(WAIT, () -> active() == 1, "the cache's listening connection");
        storage.close();
        Wait.until(WAIT, () -> active() == 0, "the listening connection given back");
        assertThat(pool.isClosed()).isFalse();
        try (Connection c = pool.getConnection()) {
            assertThat(c.isValid(5)).isTrue();
        }
    }
}
