package io.pgdock.core;

import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.postgresql.Driver;

/**
 * Checks a server the way {@code pg_isready} does: a fresh connection, not a pooled one, so a busy pool is not mistaken
 * for a dead server, and a health check never takes a connection a caller is waiting for.
 *
 * <p><b>Bounded time.</b> The check runs on a background thread; {@link #check()} waits at most the timeout and then
 * reports DOWN. The background attempt itself is bounded by connect and socket timeouts of the same length (rounded up
 * to whole seconds, pgjdbc's unit).
 *
 * <p><b>Single flight.</b> At most one attempt per probe runs at a time: a check that finds one still running (say,
 * during an outage) waits for that one instead of starting another, so polling cannot pile up threads or connections.
 *
 * <p>Thread-safe.
 */
final class HealthProbe {
    private static final Driver DRIVER = new Driver();

    /** Shared by every probe in the process: daemon threads that end after a minute idle. */
    private static final ExecutorService SHARED = Executors.newCachedThreadPool(new DaemonThreads("pgdock-health-"));

    private final String url;
    private final Properties properties;
    private final Duration timeout;
    private final Supplier<Health.PoolStats> poolStats;
    private final Executor executor;
    private final Clock clock;
    private final String target;

    private FutureTask<Result> inFlight;   // guarded by this

    private record Result(String serverVersion, long roundTripNanos) {
    }

    HealthProbe(ConnectionSpec spec, Properties driverProperties, Duration timeout, Supplier<Health.PoolStats> poolStats) {
        this(spec, driverProperties, timeout, poolStats, SHARED, Clock.systemUTC());
    }

    HealthProbe(ConnectionSpec spec, Properties driverProperties, Duration timeout, Supplier<Health.PoolStats> poolStats,
            Executor executor, Clock clock) {
        this.url = spec.jdbcUrl();
        this.target = spec.toString();
        this.properties = new Properties();
        this.properties.putAll(driverProperties);
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        this.properties.setProperty("connectTimeout", Long.toString(seconds));
        this.properties.setProperty("socketTimeout", Long.toString(seconds));
        this.timeout = timeout;
        this.poolStats = poolStats;
        this.executor = executor;
        this.clock = clock;
    }

    /** Checks the server; never throws. */
    Health check() {
        Instant checkedAt = clock.instant();
        long start = System.nanoTime();
        FutureTask<Result> attempt;
        try {
            attempt = attempt();
        } catch (RejectedExecutionException e) {
            return Health.down(Duration.ZERO, "cannot start a health check: " + e.getMessage(), poolStats.get(), checkedAt);
        }
        try {
            Result result = attempt.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return Health.up(Duration.ofNanos(result.roundTripNanos()), result.serverVersion(), poolStats.get(), checkedAt);
        } catch (TimeoutException e) {
            return Health.down(elapsed(start), "no answer within " + timeout, poolStats.get(), checkedAt);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String error = cause instanceof SQLException
                    ? SqlFailures.connectFailure((SQLException) cause, target).getMessage()
                    : String.valueOf(cause);
            return Health.down(elapsed(start), error, poolStats.get(), checkedAt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.down(elapsed(start), "interrupted", poolStats.get(), checkedAt);
        } catch (RuntimeException e) {
            return Health.down(elapsed(start), String.valueOf(e), poolStats.get(), checkedAt);
        }
    }

    private synchronized FutureTask<Result> attempt() {
        if (inFlight == null || inFlight.isDone()) {
            FutureTask<Result> task = new FutureTask<>(this::probe);
            executor.execute(task);
            inFlight = task;
        }
        return inFlight;
    }

    private Result probe() throws SQLException {
        try (Connection c = DRIVER.connect(url, properties); Statement s = c.createStatement()) {
            long start = System.nanoTime();
            try (ResultSet rs = s.executeQuery("SELECT current_setting('server_version')")) {
                rs.next();
                return new Result(rs.getString(1), System.nanoTime() - start);
            }
        }
    }

    private static Duration elapsed(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** Names threads with a prefix and a counter, and makes them daemons. */
    static final class DaemonThreads implements java.util.concurrent.ThreadFactory {
        private final String prefix;
        private final AtomicInteger count = new AtomicInteger();

        DaemonThreads(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, prefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
