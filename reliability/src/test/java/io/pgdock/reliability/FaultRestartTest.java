package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.PgdockException;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.testing.Wait;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The server restarts in the middle of a workload on all three resources: config writes and reads from several threads
 * with a watcher, COPY loads into the storage, and borrows from the data source factory against a second database.
 * Every write that returned success must be there afterwards, exactly once; calls during the outage must fail with the
 * documented exceptions and return (the library's timeouts are 2 s; a call over 30 s counts as hung); service must
 * come back without reopening anything; and the watcher must have seen every change in the history.
 */
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class FaultRestartTest {
    /** A call that takes longer than this has hung; every call is bounded by 2 s timeouts, so this only catches hangs. */
    private static final Duration HANG = Duration.ofSeconds(30);
    private static final int ROWS_PER_BATCH = 50;
    private static final int CONFIG_WRITERS = 3;
    private static final int KEYS_PER_WRITER = 4;

    @Test
    void aRestartLosesNoAcknowledgedWriteAndServiceResumesByItself() throws Exception {
        try (FaultServer pg = FaultServer.start(Map.of());
                Storage storage = Storage.open(pg.storageSpec(), StorageOptions.builder().createSchema(true)
                        .maximumPoolSize(6).connectionTimeout(Duration.ofSeconds(2)).build());
                DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder().maximumPoolSize(2)
                        .borrowTimeout(Duration.ofSeconds(2)).connectTimeout(Duration.ofSeconds(2))
                        .failureBackoff(Duration.ofMillis(200)).build())) {
            storage.jdbi().useHandle(h -> h.execute(
                    "create table loads (batch bigint not null, line int not null, primary key (batch, line))"));
            pg.execute(FaultServer.TARGET_DATABASE, "create table borrows (id bigint primary key)");
            ConfigStore configs = ConfigStore.postgres(storage);
            FaultWatcher watcher = new FaultWatcher();

            Set<String> ackedVersions = ConcurrentHashMap.newKeySet();
            Set<Long> ackedBatches = ConcurrentHashMap.newKeySet();
            Set<Long> ackedBorrows = ConcurrentHashMap.newKeySet();
            AtomicLong ids = new AtomicLong();
            FaultWorkload work = new FaultWorkload();
            for (int w = 0; w < CONFIG_WRITERS; w++) {
                String prefix = "fault/w" + w + "/k";
                work.add("config-put-" + w, PgdockException.class::isInstance, n -> {
                    String key = prefix + (n % KEYS_PER_WRITER);
                    ConfigEntry e = configs.put(key, Map.of("n", n));
                    ackedVersions.add(key + "@" + e.version());
                });
            }
            work.add("config-read", PgdockException.class::isInstance, n -> {
                configs.get("fault/w0/k" + (n % KEYS_PER_WRITER));
                configs.list("fault/");
            });
            TableName loads = TableName.of(FaultServer.SCHEMA, "loads");
            work.add("copy-in", PgdockException.class::isInstance, n -> {
                long batch = ids.incrementAndGet();
                List<List<?>> rows = IntStream.range(0, ROWS_PER_BATCH).<List<?>>mapToObj(i -> List.of(batch, i))
                        .toList();
                storage.bulk().copyIn(loads, List.of("batch", "line"), rows);
                ackedBatches.add(batch);
            });
            DataSource target = factory.get(pg.targetSpec(1));
            work.add("factory-borrow", FaultRestartTest::typedFactoryFailure, n -> {
                long id = ids.incrementAndGet();
                try (Connection c = target.getConnection();
                        PreparedStatement s = c.prepareStatement("insert into borrows values (?)")) {
                    s.setLong(1, id);
                    s.executeUpdate();
                }
                ackedBorrows.add(id);
            });

            try (ConfigSubscription subscription = configs.watch("fault/", watcher)) {
                work.start();
                Wait.until(HANG, () -> work.allSucceeded(0, 3), "every worker succeeds before the restart");

                work.phase(1);
                pg.server().stop();
                Wait.until(HANG.multipliedBy(2), () -> work.allFailed(1, 2),
                        () -> "every worker fails while the server is down:\n" + work.report());

                work.phase(2);
                pg.server().startAgain();
                Wait.until(HANG.multipliedBy(2), () -> work.allSucceeded(2, 3),
                        () -> "every worker succeeds again after the restart, with nothing reopened:\n"
                                + work.report());
                work.stop();

                ConfigEntry marker = configs.put("fault/marker", "after the restart");
                Wait.until(HANG, () -> watcher.caughtUp() >= 1 && watcher.saw("fault/marker", marker.version()),
                        () -> "the watcher catches up (gaps " + watcher.gaps() + ", caught up " + watcher.caughtUp()
                                + ") and sees a change made after the restart");
                assertThat(subscription.isOpen()).isTrue();
            }

            System.out.printf("FaultRestartTest on %s: gaps %d, caught up %d, watcher deliveries %d%n%s", pg,
                    watcher.gaps(), watcher.caughtUp(), watcher.delivered(), work.report());

            assertThat(work.untyped()).as("failures that are not the documented exceptions").isEmpty();
            for (FaultWorkload.Worker w : work.workers()) {
                assertThat(w.longestMillis()).as("longest call of %s (a hang detector, not a timing check)", w.getName())
                        .isLessThan(HANG.toMillis());
            }
            assertThat(watcher.gaps()).as("the watcher was told of the gap").isGreaterThanOrEqualTo(1);

            // Every acknowledged config write is in the history, and the watcher saw every change in it, once.
            List<ConfigChange> history = new ArrayList<>();
            for (int w = 0; w < CONFIG_WRITERS; w++) {
                for (int k = 0; k < KEYS_PER_WRITER; k++) {
                    List<ConfigChange> changes = configs.history("fault/w" + w + "/k" + k);
                    assertThat(changes).extracting(ConfigChange::version).doesNotHaveDuplicates();
                    history.addAll(changes);
                }
            }
            Set<String> recorded = new HashSet<>();
            history.forEach(c -> recorded.add(c.key() + "@" + c.version()));
            assertThat(recorded).as("acknowledged config writes in the history").containsAll(ackedVersions);
            assertThat(watcher.missing(history)).as("changes the watcher missed").isEmpty();
            assertThat(watcher.repeated()).as("changes the watcher got more than once").isEmpty();

            // Every acknowledged COPY batch is there whole; no batch is there in part.
            Map<Long, Integer> batches = new HashMap<>();
            storage.jdbi().useHandle(h -> h.createQuery("select batch, count(*) from loads group by batch")
                    .map((rs, ctx) -> Map.entry(rs.getLong(1), rs.getInt(2)))
                    .forEach(e -> batches.put(e.getKey(), e.getValue())));
            assertThat(batches.keySet()).as("acknowledged COPY batches").containsAll(ackedBatches);
            assertThat(batches.values()).as("rows per batch").containsOnly(ROWS_PER_BATCH);

            // Every acknowledged insert through the factory is there (the primary key rules out duplicates).
            long found = pg.queryLong(FaultServer.TARGET_DATABASE, "select count(*) from borrows where id = any('{"
                    + String.join(",", ackedBorrows.stream().map(String::valueOf).toList()) + "}'::bigint[])");
            assertThat(found).as("acknowledged factory inserts").isEqualTo(ackedBorrows.size());
            assertThat(ackedVersions).isNotEmpty();
            assertThat(ackedBatches).isNotEmpty();
            assertThat(ackedBorrows).isNotEmpty();
        }
    }

    /**
     * A handle's {@code getConnection()} documents {@link ConnectionFailedException} for an unreachable target (and
     * HikariCP's {@link java.sql.SQLTransientConnectionException} for a busy pool); a statement on a connection the
     * server dropped fails with the driver's {@link SQLException}, as JDBC says it must.
     */
    private static boolean typedFactoryFailure(Throwable t) {
        return t instanceof ConnectionFailedException || t instanceof SQLException;
    }
}
