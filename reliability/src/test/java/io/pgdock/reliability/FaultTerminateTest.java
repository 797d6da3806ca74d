package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetStatus;
import io.pgdock.testing.Wait;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code pg_terminate_backend} on every session of the library (the storage pool, the config store's listening
 * connection and the factory's pools): the next call of each resource succeeds at the first try, because the pools
 * validate a connection before lending it, and the watcher reconnects and delivers what changed.
 *
 * <p>HikariCP skips that validation for a connection used in the last 500 ms ({@code aliveBypassWindowMs}); a session
 * killed within that window is lent once and the call fails with the documented exception. The test therefore kills
 * sessions that have been idle for longer, which is the case this property is about (a DBA or a failover ending idle
 * sessions), and waits for that on the server's own {@code pg_stat_activity}, not on a clock. (The config store's
 * listening connection is not pooled and runs a heartbeat query every 500 ms; it is killed whenever it is.)
 */
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class FaultTerminateTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void theNextCallAfterAllSessionsWereTerminatedSucceeds() throws Exception {
        try (FaultServer pg = FaultServer.start(Map.of());
                Storage storage = Storage.open(pg.storageSpec(), StorageOptions.builder().createSchema(true)
                        .maximumPoolSize(3).minimumIdle(3).connectionTimeout(Duration.ofSeconds(2)).build());
                DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder().maximumPoolSize(2)
                        .borrowTimeout(Duration.ofSeconds(2)).connectTimeout(Duration.ofSeconds(2)).build())) {
            storage.jdbi().useHandle(h -> h.execute("create table loads (id bigint primary key)"));
            ConfigStore configs = ConfigStore.postgres(storage);
            FaultWatcher watcher = new FaultWatcher();
            DataSource target = factory.get(pg.targetSpec(1));
            try (ConfigSubscription subscription = configs.watch("term/", watcher)) {
                ConfigEntry before = configs.put("term/key", "before");
                Wait.until(WAIT, () -> watcher.saw("term/key", before.version()), "the watcher sees the first change");
                assertThat(queryInt(target, "select 1")).isEqualTo(1);
                storage.bulk().copyIn(TableName.of(FaultServer.SCHEMA, "loads"), List.of("id"), List.of(List.of(1L)));

                // The storage pool's 3 connections (HikariCP opens them in the background) and the config store's
                // listening connection; the factory's one. Then every pooled one idle for over 600 ms, past HikariCP's
                // 500 ms bypass window (the listener runs a heartbeat every 500 ms and is left out of that).
                Wait.until(WAIT, () -> pg.sessions(FaultServer.STORAGE_APP) == 4
                                && pg.sessions(FaultServer.FACTORY_APP) == 1
                                && pg.queryLong("postgres", "select count(*) from pg_stat_activity where"
                                + " application_name like 'pgdock-rel-%'"
                                + " and query not like '%txid_current_snapshot%'"
                                + " and (state <> 'idle' or state_change > now() - interval '600 ms')") == 0,
                        () -> "4 storage and 1 factory sessions, the pooled ones idle for 600 ms:"
                                + pg.describeSessions("pgdock-rel-"));
                List<Integer> storageSessions = pg.pids(FaultServer.STORAGE_APP);
                List<Integer> factorySessions = pg.pids(FaultServer.FACTORY_APP);
                assertThat(storageSessions).hasSize(4);
                assertThat(factorySessions).hasSize(1);

                int ended = pg.terminate(storageSessions) + pg.terminate(factorySessions);
                assertThat(ended).isEqualTo(5);

                // Each resource's next call, at the first try.
                int loaded = storage.jdbi().withHandle(h -> h.createQuery("select count(*) from loads")
                        .mapTo(Integer.class).one());
                assertThat(loaded).isEqualTo(1);
                ConfigEntry after = configs.put("term/key", "after");
                assertThat(configs.get("term/key", String.class)).contains("after");
                storage.bulk().copyIn(TableName.of(FaultServer.SCHEMA, "loads"), List.of("id"), List.of(List.of(2L)));
                assertThat(queryInt(target, "select 2")).isEqualTo(2);
                assertThat(factory.targets()).singleElement()
                        .satisfies(t -> assertThat(t.state()).as("the target's state").isEqualTo(TargetStatus.State.READY));

                Wait.until(WAIT, () -> watcher.caughtUp() >= 1 && watcher.saw("term/key", after.version()),
                        () -> "the watcher reconnects (gaps " + watcher.gaps() + ", caught up " + watcher.caughtUp()
                                + ") and sees the change made after the kill");
                assertThat(watcher.gaps()).isEqualTo(1);
                assertThat(watcher.missing(configs.history("term/key"))).isEmpty();
                assertThat(watcher.repeated()).isEmpty();
                assertThat(subscription.isOpen()).isTrue();
                assertThat(pg.pids(FaultServer.STORAGE_APP)).as("no terminated session is still listed")
                        .doesNotContainAnyElementsOf(storageSessions);
            }
        }
    }

    private static int queryInt(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
