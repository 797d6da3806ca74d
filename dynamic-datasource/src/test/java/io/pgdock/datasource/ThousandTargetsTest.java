package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.Wait;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A thousand live targets cost a constant number of threads: HikariCP's housekeeping runs on the factory's one executor,
 * and the threads HikariCP starts to open and close connections end once idle. The figures go to the test output for
 * RELIABILITY/BENCHMARKS notes; the assertion is on the settled count.
 */
class ThousandTargetsTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Bounds a wait for a condition; generous, it only detects a hang. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static final int TARGETS = 1000;

    static long pgdockThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && (t.getName().startsWith("pgdock-datasource") || t.getName().contains("Hikari")))
                .count();
    }

    @Test
    void aThousandLiveTargetsSettleToAConstantNumberOfThreads() throws SQLException {
        long before = pgdockThreads();
        long peak = 0;
        try (PooledDataSourceFactory factory = (PooledDataSourceFactory) DataSourceFactory.pooled(FactoryOptions.builder()
                .maximumPools(TARGETS).maximumPoolSize(1).maximumConnections(10).build())) {
            List<ConnectionSpec> specs = new ArrayList<>();
            for (int i = 0; i < TARGETS; i++) {
                specs.add(PG.spec().toBuilder().applicationName("pgdock-t" + i).build());
            }
            long lazyStart = System.nanoTime();
            for (ConnectionSpec spec : specs) {
                factory.get(spec);
            }
            long lazyNanos = System.nanoTime() - lazyStart;
            long afterLazy = pgdockThreads() - before;

            long usedStart = System.nanoTime();
            for (int i = 0; i < TARGETS; i++) {
                assertThat(PooledDataSourceFactoryTest.query(factory.get(specs.get(i)), "SELECT 1")).isEqualTo("1");
                if (i % 50 == 0) {
                    peak = Math.max(peak, pgdockThreads() - before);
                }
            }
            long usedNanos = System.nanoTime() - usedStart;
            assertThat(factory.targets()).hasSize(TARGETS);

            Wait.until(WAIT, () -> pgdockThreads() - before <= 4,
                    "HikariCP's connection threads end once idle (at most 4 pgdock threads)");
            long settled = pgdockThreads() - before;
            System.out.printf("ThousandTargetsTest on Java %s: %d lazy pools created in %d ms, threads after "
                    + "creating them: %d; each used once in %d ms (at most 10 connections open), peak threads "
                    + "while in use: %d; settled: %d%n", Runtime.version().feature(), TARGETS, lazyNanos / 1_000_000,
                    afterLazy, usedNanos / 1_000_000, peak, settled);
            assertThat(afterLazy).as("threads after creating %d lazy pools", TARGETS).isLessThanOrEqualTo(1);
            assertThat(factory.targets()).hasSize(TARGETS);
        }
        Wait.until(WAIT, () -> pgdockThreads() - before <= 0, "no pgdock thread after close");
    }
}
