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
        assertThat(health.error()).hasValue("no answer within PT0.05S");
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
        assertThat(health.toString()).startsWith("DOWN after ");
    }
}
