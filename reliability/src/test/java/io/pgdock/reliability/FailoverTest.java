package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.PgdockException;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.internal.SqlFailures;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.testing.ThrowawayPostgres;
import io.pgdock.testing.ThrowawayPostgres.Replication;
import io.pgdock.testing.Wait;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failover on real servers: a primary with a synchronous streaming standby ({@code synchronous_standby_names} set, commits
 * wait for the standby's replay), the same {@link Storage}, {@link ConfigStore} (with a watcher, and a cached store) and
 * {@link DataSourceFactory} target on {@code postgresql://primary,standby/db?targetServerType=primary}, writers on all
 * three; the primary stops as a crash would ({@code pg_ctl stop -m immediate}) and the standby is promoted. The same
 * objects must serve again by themselves, calls during the outage must fail typed and bounded, no acknowledged write may
 * be lost, the watcher must be told of the gap and catch up, and cached reads must be right afterwards.
 *
 * <p>It runs {@value #DEFAULT_ROUNDS} rounds (system property {@code pgdock.failover.rounds}), each on a new standby of
 * the server promoted in the round before, and logs each round's recovery (from the promotion's end to the first
 * acknowledged write of each resource) and the minimum, median and maximum, which RELIABILITY.md records. The assertion
 * on recovery is {@link #RECOVERY_BOUND}, far above the measured figures, so that a loaded machine does not fail it: it
 * proves the objects recover by themselves without waiting out a pool's back-off, not how fast.
 */
@Tag("own-server")
class FailoverTest {
    private static final Logger LOG = LoggerFactory.getLogger(FailoverTest.class);
    private static final int DEFAULT_ROUNDS = 10;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Serving again later than this after the promotion fails the test; see the class comment. */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(3);
    /** A failed call taking longer than this is not "bounded by the connect timeout" (the pool's wait is 2 s too). */
    private static final Duration CALL_BOUND = CONNECT_TIMEOUT.multipliedBy(2).plusSeconds(1);
    private static final Duration HANG = Duration.ofSeconds(60);
    private static final Duration RETRY_PAUSE = Duration.ofMillis(5);
    private static final String SCHEMA = "app";

    /** One writer: what it acknowledged, when, and how its failures looked. */
    private static final class Writer {
        final String name;
        final Set<Long> acked = ConcurrentHashMap.newKeySet();
        final ConcurrentLinkedQueue<Long> ackTimes = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> untyped = new ConcurrentLinkedQueue<>();
        final AtomicLong slowestFailureNanos = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        Thread thread;

        Writer(String name) {
            this.name = name;
        }

        long firstAckAfter(long nanos) {
            return ackTimes.stream().filter(t -> t - nanos > 0).min(Long::compare).orElse(Long.MAX_VALUE);
        }

        long acksAfter(long nanos) {
            return ackTimes.stream().filter(t -> t - nanos > 0).count();
        }
    }

    /** What a writer does with number {@code n}; returns normally only when the write is acknowledged. */
    @FunctionalInterface
    private interface Write {
        void run(long n) throws Exception;
    }

    @Test
    void theSameObjectsServeAgainAfterAPromotionAndNoAcknowledgedWriteIsLost() throws Exception {
        int rounds = Integer.getInteger("pgdock.failover.rounds", DEFAULT_ROUNDS);
        List<Long> storage = new ArrayList<>();
        List<Long> config = new ArrayList<>();
        List<Long> factory = new ArrayList<>();
        List<Long> slowestFailures = new ArrayList<>();
        ThrowawayPostgres primary = ThrowawayPostgres.builder().replication(Replication.SYNCHRONOUS).start();
        try {
            try (Storage setup = Storage.open(primary.adminSpec().toBuilder().schema(SCHEMA).build(),
                    StorageOptions.builder().createSchema(true).build())) {
                setup.jdbi().useHandle(h -> h.execute(
                        "CREATE TABLE acks (writer text NOT NULL, n bigint NOT NULL, PRIMARY KEY (writer, n))"));
                ConfigStore.postgres(setup).put("failover/seed", Map.of("n", 0)); // config migrations, on the primary
            }
            for (int round = 1; round <= rounds; round++) {
                ThrowawayPostgres standby = primary.startStandby();
                try {
                    long[] r = round(primary, standby, round);
                    storage.add(r[0]);
                    config.add(r[1]);
                    factory.add(r[2]);
                    slowestFailures.add(r[3]);
                } catch (Throwable t) {
                    standby.close();
                    throw t;
                }
                primary.close();
                primary = standby;
            }
        } finally {
            primary.close();
        }
        LOG.info("failover: {} rounds; ms from the promotion to the first acknowledged write: storage {}, config store "
                + "{}, factory {}; slowest failed call during an outage, ms: {}", rounds, summary(storage),
                summary(config), summary(factory), summary(slowestFailures));
    }

    /**
     * While the pool retries an unreachable server for the callers waiting, a caller whose wait ends is told the server
     * is unreachable, with the refused connection as the cause, even with a connection lent: never an exhausted pool.
     * (A config call then may also meet the pool's idle connection the stop ended, SQLSTATE 57P01: the classifier's
     * business, not this test's.)
     */
    @Test
    void aWaitThatEndsWhileTheServerIsAwayIsUnreachableNotAnExhaustedPool() throws Exception {
        try (ThrowawayPostgres server = ThrowawayPostgres.start();
                Storage storage = Storage.open(server.adminSpec().toBuilder().schema(SCHEMA).build(),
                        StorageOptions.builder().createSchema(true).maximumPoolSize(2).minimumIdle(0)
                                .connectionTimeout(Duration.ofSeconds(1)).build())) {
            ConfigStore configs = ConfigStore.postgres(storage);
            configs.put("outage/key", Map.of("n", 1));
            try (Connection lent = storage.dataSource().getConnection()) {
                server.stop();
                SQLException failure = null;
                try (Connection c = storage.dataSource().getConnection()) {
                    throw new AssertionError("borrowed " + c + " from a stopped server");
                } catch (SQLException e) {
                    failure = e;
                }
                assertThat(SqlFailures.classify(failure)).as(describe(failure)).isEqualTo(Reason.UNREACHABLE);
                assertThat(failure.getCause()).as(describe(failure)).isInstanceOf(SQLException.class);
                assertThat(((SQLException) failure.getCause()).getSQLState()).isEqualTo("08001");
                assertThat(SqlFailures.connectFailure(failure, storage.spec()).reason()).isEqualTo(Reason.UNREACHABLE);
                assertThat(lent.isClosed()).isFalse(); // still lent: the pool is not empty
                server.startAgain();
                // Its session ended with the stop; HikariCP would lend it again unchecked within 500 ms of its return.
                storage.dataSource().unwrap(HikariDataSource.class).evictConnection(lent);
            }
            assertThat(configs.get("outage/key")).isPresent();
        }
    }

    private static String summary(List<Long> millis) {
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        return "min " + sorted.get(0) + " / median " + sorted.get(sorted.size() / 2) + " / max "
                + sorted.get(sorted.size() - 1) + " " + millis;
    }

    /** One failover; returns the recovery in ms of storage, config store and factory, and the slowest failure. */
    private long[] round(ThrowawayPostgres primary, ThrowawayPostgres standby, int round) throws Exception {
        ConnectionSpec spec = ConnectionSpec.parse("postgresql://postgres@localhost:" + primary.port() + ",localhost:"
                + standby.port() + "/postgres?currentSchema=" + SCHEMA + "&targetServerType=primary&connectTimeout="
                + CONNECT_TIMEOUT.toSeconds());
        String key = "failover/r" + round;
        try (Storage storage = Storage.open(spec, StorageOptions.builder().maximumPoolSize(4)
                        .connectionTimeout(CONNECT_TIMEOUT).build());
                DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder().maximumPoolSize(2)
                        .borrowTimeout(CONNECT_TIMEOUT).connectTimeout(CONNECT_TIMEOUT)
                        .failureBackoff(Duration.ofMillis(100)).build())) {
            ConfigStore configs = ConfigStore.postgres(storage);
            ConfigStore cached = ConfigStore.postgres(storage, ConfigOptions.builder().cache(100).build());
            FaultWatcher watcher = new FaultWatcher();
            DataSource target = factory.get(spec);
            Map<Long, Long> versions = new ConcurrentHashMap<>();
            Writer storageWriter = new Writer("storage");
            Writer configWriter = new Writer("config");
            Writer factoryWriter = new Writer("factory");
            AtomicBoolean stop = new AtomicBoolean();
            try (ConfigSubscription subscription = configs.watch("failover/", watcher)) {
                start(storageWriter, stop, n -> storage.jdbi().useHandle(h ->
                        h.execute("INSERT INTO acks VALUES (?, ?)", "storage-" + round, n)));
                start(configWriter, stop, n -> {
                    ConfigEntry e = configs.put(key, Map.of("n", n));
                    versions.put(n, e.version());
                });
                start(factoryWriter, stop, n -> {
                    try (Connection c = target.getConnection();
                            PreparedStatement s = c.prepareStatement("INSERT INTO acks VALUES (?, ?)")) {
                        s.setString(1, "factory-" + round);
                        s.setLong(2, n);
                        s.executeUpdate();
                    }
                });
                cached.get(key); // the cache's first read starts its listening connection
                long begin = System.nanoTime();
                Wait.until(HANG, () -> storageWriter.acksAfter(begin) >= 3 && configWriter.acksAfter(begin) >= 3
                        && factoryWriter.acksAfter(begin) >= 3, "every writer acknowledged writes before the outage");

                primary.stopImmediately();
                // The outage lasts a different time each round, so the pools' retry cycles stand somewhere else when
                // the promotion ends: a fixed hold of the fault, not a wait for something to happen.
                Thread.sleep(outage(round).toMillis());
                standby.promote();
                long promoted = System.nanoTime();

                List<Writer> writers = List.of(storageWriter, configWriter, factoryWriter);
                Wait.until(HANG, () -> writers.stream().allMatch(w -> w.firstAckAfter(promoted) != Long.MAX_VALUE),
                        () -> "every writer acknowledged a write after the promotion; failures " + describe(writers));
                stop.set(true);
                for (Writer w : writers) {
                    w.thread.join(HANG.toMillis());
                    assertThat(w.thread.isAlive()).as("%s writer ended", w.name).isFalse();
                }
                long[] result = new long[4];
                for (int i = 0; i < writers.size(); i++) {
                    result[i] = Duration.ofNanos(writers.get(i).firstAckAfter(promoted) - promoted).toMillis();
                }
                result[3] = writers.stream().mapToLong(w -> w.slowestFailureNanos.get()).max().orElse(0) / 1_000_000;
                LOG.info("failover round {} (outage held {} ms before the promotion): serving again {} ms (storage), {} ms (config), {} ms (factory) after the "
                        + "promotion; failures during the outage {}; slowest failed call {} ms", round, outage(round).toMillis(),
                        result[0],
                        result[1], result[2], describe(writers), result[3]);

                for (Writer w : writers) {
                    assertThat(w.untyped).as("%s failures that were not typed", w.name).isEmpty();
                    assertThat(Duration.ofNanos(w.slowestFailureNanos.get())).as("%s slowest failed call", w.name)
                            .isLessThan(CALL_BOUND);
                    assertThat(Duration.ofNanos(w.firstAckAfter(promoted) - promoted))
                            .as("%s served again after the promotion", w.name).isLessThan(RECOVERY_BOUND);
                }

                // No acknowledged write lost: every one is on the promoted server.
                assertThat(stored(standby, "storage-" + round)).containsAll(storageWriter.acked);
                assertThat(stored(standby, "factory-" + round)).containsAll(factoryWriter.acked);
                Set<Long> recordedVersions = new HashSet<>();
                for (ConfigChange change : configs.history(key)) {
                    recordedVersions.add(change.version());
                }
                for (long n : configWriter.acked) {
                    assertThat(recordedVersions).as("config version of write %s", n).contains(versions.get(n));
                }
                long last = configWriter.acked.stream().mapToLong(Long::longValue).max().orElseThrow();
                long lastVersion = versions.get(last);

                // The watcher was told of the gap and caught up, and saw the writes after it.
                Wait.until(HANG, () -> watcher.gaps() >= 1 && watcher.caughtUp() >= 1 && watcher.saw(key, lastVersion),
                        () -> "the watcher caught up with " + key + "@" + lastVersion + " (gaps " + watcher.gaps()
                                + ", caught up " + watcher.caughtUp() + ")");
                // The cached store reads the last value.
                Wait.until(HANG, () -> cached.get(key).map(v -> v.get("n").asLong() == last).orElse(false),
                        "the cached store reads write " + last);
                assertThat(subscription.isOpen()).isTrue();
                return result;
            } finally {
                stop.set(true);
            }
        }
    }

    /** How long round {@code round} keeps the primary down before it promotes the standby: 0 to 3.2 s. */
    static Duration outage(int round) {
        return Duration.ofMillis((round * 1300L) % 3300);
    }

    private static String describe(List<Writer> writers) {
        StringBuilder b = new StringBuilder();
        for (Writer w : writers) {
            b.append(w.name).append(' ').append(w.failures.get()).append(w.untyped.isEmpty() ? "" : " untyped "
                    + w.untyped.peek()).append("; ");
        }
        return b.toString();
    }

    private static void start(Writer w, AtomicBoolean stop, Write write) {
        w.thread = new Thread(() -> {
            long n = 0;
            while (!stop.get()) {
                n++;
                long started = System.nanoTime();
                try {
                    write.run(n);
                    w.acked.add(n);
                    w.ackTimes.add(System.nanoTime());
                } catch (Exception e) {
                    long took = System.nanoTime() - started;
                    w.failures.incrementAndGet();
                    w.slowestFailureNanos.accumulateAndGet(took, Math::max);
                    String untyped = untyped(e);
                    if (untyped != null) {
                        w.untyped.add(untyped);
                    }
                    // A client's pause before it tries again, so that a writer failing fast (the factory in its
                    // back-off) does not spin on the machine's two cores; it does not wait for anything.
                    LockSupport.parkNanos(RETRY_PAUSE.toNanos());
                }
            }
        }, "failover-" + w.name);
        w.thread.setDaemon(true);
        w.thread.start();
    }

    /**
     * Null when the failure is typed: a {@link ConnectionFailedException} with a reason other than OTHER, another
     * {@link PgdockException} whose SQLException says a connection failed, or (from plain JDBC and Jdbi) an SQLException
     * that pgdock's classifier gives a reason other than OTHER; else a description of it.
     */
    private static String untyped(Throwable e) {
        if (e instanceof ConnectionFailedException f) {
            return f.reason() == Reason.OTHER ? describe(e) : null;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectionFailedException f) {
                return f.reason() == Reason.OTHER ? describe(e) : null;
            }
            if (t instanceof SQLException sql) {
                return SqlFailures.classify(sql) == Reason.OTHER ? describe(e) : null;
            }
        }
        return describe(e);
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t.getClass().getSimpleName()).append(t instanceof SQLException s ? "[" + s.getSQLState() + "]" : "")
                    .append(": ").append(SqlFailures.firstLine(String.valueOf(t.getMessage()))).append(" <- ");
        }
        return b.toString();
    }

    private static Set<Long> stored(ThrowawayPostgres server, String writer) throws SQLException {
        Set<Long> rows = new HashSet<>();
        try (Connection c = DriverManager.getConnection(server.adminSpec().jdbcUrl(),
                server.adminSpec().driverProperties());
                PreparedStatement s = c.prepareStatement("SELECT n FROM " + SCHEMA + ".acks WHERE writer = ?")) {
            s.setString(1, writer);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(rs.getLong(1));
                }
            }
        }
        return rows;
    }
}
