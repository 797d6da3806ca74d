package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HealthProbeTest {
    private static final Health.PoolStats STATS = new Health.PoolStats(0, 1, 0, 1, 10);
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T00:00:00Z"), ZoneOffset.UTC);

    /** An executor that keeps what it is given and runs nothing: a check that never answers. */
    private static final class HeldTasks implements Executor {
        final List<Runnable> tasks = new ArrayList<>();

        @Override
        public synchronized void execute(Runnable task) {
            tasks.add(task);
        }
    }

    private static ConnectionSpec spec(int port) {
        return ConnectionSpec.builder().host("127.0.0.1").port(port).database("d").user("u").password("hidden-pw-1")
                .build();
    }

    @Test
    void givesUpAfterTheTimeoutAndReportsDown() {
        HeldTasks executor = new HeldTasks();
        HealthProbe probe = new HealthProbe(spec(5432), spec(5432).driverProperties(), Duration.ofMillis(50),
                () -> STATS, executor, CLOCK);
        Health health = probe.check();
        assertThat(health.status()).isEqualTo(Health.Status.DOWN);
        assertThat(health.reason()).hasValue(ConnectionFailedException.Reason.UNREACHABLE);
        assertThat(health.error()).hasValueSatisfying(e -> assertThat(e).startsWith("no answer from "
                + "postgresql://u:***@127.0.0.1:5432/d within the health timeout of 50 ms (StorageOptions.healthTimeout)"));
        assertThat(health.pool()).isEqualTo(STATS);
        assertThat(health.checkedAt()).isEqualTo(CLOCK.instant());
    }

    @Test
    void startsNoSecondAttemptWhileOneIsStillRunning() {
        HeldTasks executor = new HeldTasks();
        HealthProbe probe = new HealthProbe(spec(5432), spec(5432).driverProperties(), Duration.ofMillis(10),
                () -> STATS, executor, CLOCK);
        for (int i = 0; i < 3; i++) {
            assertThat(probe.check().status()).isEqualTo(Health.Status.DOWN);
        }
        assertThat(executor.tasks).hasSize(1);
    }

    @Test
    void aSilentServerIsDownAndUnreachableWithinTheHealthTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                // Kept so that no accepted socket is closed before the test ends.
                @SuppressWarnings("ModifiedButNotUsed") // only holds the sockets
                List<java.net.Socket> held = new ArrayList<>();
                try {
                    while (true) {
                        held.add(silent.accept());   // accepted, and never answered
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Duration timeout = Duration.ofSeconds(1);
            HealthProbe probe = new HealthProbe(spec(silent.getLocalPort()), spec(silent.getLocalPort())
                    .driverProperties(), timeout, () -> STATS);
            Health health = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(timeout.multipliedBy(3),
                    probe::check);
            assertThat(health.status()).isEqualTo(Health.Status.DOWN);
            assertThat(health.reason()).hasValue(ConnectionFailedException.Reason.UNREACHABLE);
            assertThat(health.error()).hasValueSatisfying(e -> assertThat(e).contains("127.0.0.1:"
                    + silent.getLocalPort()).contains("within the health timeout of 1 s (StorageOptions.healthTimeout)")
                    .doesNotContain("hidden-pw-1"));
        }
    }

    @Test
    void theLatencyIsWhatTheOptionsTickerMeasures() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        AtomicLong nanos = new AtomicLong();
        Ticker sevenMillisAReading = () -> nanos.getAndAdd(Duration.ofMillis(7).toNanos());
        HealthProbe probe = new HealthProbe(spec(port), spec(port).driverProperties(), () -> STATS,
                StorageOptions.builder().ticker(sevenMillisAReading).build());
        Health health = probe.check();
        assertThat(health.status()).isEqualTo(Health.Status.DOWN);
        assertThat(health.latency()).as("one reading at the start, one at the failure").isEqualTo(Duration.ofMillis(7));
    }

    @Test
    void aRefusedConnectionIsDownWithTheReasonAndNoPassword() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        HealthProbe probe = new HealthProbe(spec(port), spec(port).driverProperties(), Duration.ofSeconds(10),
                () -> STATS);
        Health health = probe.check();
        assertThat(health.status()).isEqualTo(Health.Status.DOWN);
        assertThat(health.error()).hasValueSatisfying(e -> assertThat(e)
                .contains("no server answered").contains("127.0.0.1:" + port).doesNotContain("hidden-pw-1"));
        assertThat(health.reason()).hasValue(ConnectionFailedException.Reason.UNREACHABLE);
        assertThat(health.toString()).startsWith("DOWN after ");
    }
}
