package io.pgdock.core;

import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.internal.BoundedLogin;
import io.pgdock.core.internal.LoginTimeout;
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
import org.jspecify.annotations.Nullable;

/**
 * Checks a server the way {@code pg_isready} does: a fresh connection, not a pooled one, so a busy pool is not mistaken
 * for a dead server, and a health check never takes a connection a caller is waiting for.
 *
 * <p><b>Bounded time.</b> The check runs on a background thread; {@link #check()} waits at most the timeout and then
 * reports DOWN ({@link ConnectionFailedException.Reason#UNREACHABLE}, naming the health timeout). The background attempt
 * itself is bounded by the same timeout: its login by {@link BoundedLogin}, its query by a socket timeout of the same
 * length (rounded up to whole seconds, pgjdbc's unit), so it ends soon after a check gives up, and leaves no thread or
 * socket behind.
 *
 * <p><b>Single flight.</b> At most one attempt per probe runs at a time: a check that finds one still running (say,
 * during an outage) waits for that one instead of starting another, so polling cannot pile up threads or connections.
 *
 * <p>Thread-safe.
 */
final class HealthProbe {
    /** What a check on a fresh connection that got no answer in time says. */
    private static final String FRESH_UNANSWERED = "the server did not accept a connection, log in and answer a query "
            + "in time; check that it is running and not overloaded (pg_isready), and the network";

    /**
     * The default: shared by every probe in the process, daemon threads named {@code pgdock-health-<n>} that end after a
     * minute idle (so it is never shut down, and holds no thread while nobody checks).
     */
    private static final ExecutorService SHARED = Executors.newCachedThreadPool(new DaemonThreads("pgdock-health-"));

    /** One attempt of a check: reach the server and ask its version. */
    @FunctionalInterface
    interface Attempt {
        Result run() throws SQLException;
    }

    /**
     * What an attempt found.
     *
     * @param serverVersion the server's {@code server_version}
     * @param roundTripNanos the round trip of the query
     */
    record Result(String serverVersion, long roundTripNanos) {
    }

    private final Attempt attempt;
    private final String target;
    /** The spec connected to, for precise advice; null when the attempt does not connect by spec. */
    private final @Nullable ConnectionSpec spec;
    /** What a check that got no answer in time says, after naming the timeout. */
    private final String unanswered;
    private final Duration timeout;
    private final LoginTimeout described;
    private final Supplier<Health.PoolStats> poolStats;
    private final Executor executor;
    private final Clock clock;
    private final Ticker ticker;

    private @Nullable FutureTask<Result> inFlight;   // guarded by this

    /** A probe on fresh connections to {@code spec}, with the health timeout, executor and ticker of {@code options}. */
    HealthProbe(ConnectionSpec spec, Properties driverProperties, Supplier<Health.PoolStats> poolStats,
            StorageOptions options) {
        this(freshConnection(spec, driverProperties, healthTimeout(options.healthTimeout()), options.ticker()),
                spec.toString(), spec, FRESH_UNANSWERED, options.healthTimeout(), poolStats,
                options.healthExecutor().orElse(SHARED), Clock.systemUTC(), options.ticker());
    }

    /** A probe that checks with {@code attempt}, with the health timeout, executor and ticker of {@code options}. */
    HealthProbe(Attempt attempt, String target, String unanswered, Supplier<Health.PoolStats> poolStats,
            StorageOptions options) {
        this(attempt, target, null, unanswered, options.healthTimeout(), poolStats, options.healthExecutor().orElse(SHARED),
                Clock.systemUTC(), options.ticker());
    }

    HealthProbe(ConnectionSpec spec, Properties driverProperties, Duration timeout, Supplier<Health.PoolStats> poolStats) {
        this(spec, driverProperties, timeout, poolStats, SHARED, Clock.systemUTC());
    }

    HealthProbe(ConnectionSpec spec, Properties driverProperties, Duration timeout, Supplier<Health.PoolStats> poolStats,
            Executor executor, Clock clock) {
        this(freshConnection(spec, driverProperties, healthTimeout(timeout), Ticker.system()), spec.toString(), spec,
                FRESH_UNANSWERED, timeout, poolStats, executor, clock, Ticker.system());
    }

    private HealthProbe(Attempt attempt, String target, @Nullable ConnectionSpec spec, String unanswered, Duration timeout,
            Supplier<Health.PoolStats> poolStats, Executor executor, Clock clock, Ticker ticker) {
        this.attempt = attempt;
        this.target = target;
        this.spec = spec;
        this.unanswered = unanswered;
        this.timeout = timeout;
        this.described = healthTimeout(timeout);
        this.poolStats = poolStats;
        this.executor = executor;
        this.clock = clock;
        this.ticker = ticker;
    }

    /** The health timeout, as messages name it. */
    static LoginTimeout healthTimeout(Duration timeout) {
        return new LoginTimeout(timeout, "health timeout", "StorageOptions.healthTimeout");
    }

    /** An attempt on a fresh connection: the login and the query each bounded by {@code timeout}. */
    private static Attempt freshConnection(ConnectionSpec spec, Properties driverProperties, LoginTimeout timeout,
            Ticker ticker) {
        Properties properties = new Properties();
        properties.putAll(driverProperties);
        properties.setProperty("socketTimeout", Long.toString(Math.max(1, timeout.seconds())));
        return () -> {
            try (Connection c = BoundedLogin.open(spec, properties, timeout); Statement s = c.createStatement()) {
                long start = ticker.read();
                try (ResultSet rs = s.executeQuery("SELECT current_setting('server_version')")) {
                    rs.next();
                    return new Result(rs.getString(1), ticker.read() - start);
                }
            }
        };
    }

    /** Checks the server; never throws. */
    Health check() {
        Instant checkedAt = clock.instant();
        long start = ticker.read();
        FutureTask<Result> running;
        try {
            running = attempt();
        } catch (RejectedExecutionException e) {
            return Health.down(Duration.ZERO, "cannot start a health check: " + e.getMessage(), poolStats.get(), checkedAt);
        }
        try {
            Result result = running.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return Health.up(Duration.ofNanos(result.roundTripNanos()), result.serverVersion(), poolStats.get(), checkedAt);
        } catch (TimeoutException e) {
            return Health.down(elapsed(start), Reason.UNREACHABLE, "no answer from " + target + " within "
                    + described.describe() + ": " + unanswered, poolStats.get(), checkedAt);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SQLException sql) {
                ConnectionFailedException failure = SqlFailures.connectFailure(sql, target, spec);
                return Health.down(elapsed(start), failure.reason(), failure.getMessage(), poolStats.get(), checkedAt);
            }
            if (cause instanceof ConnectionFailedException failure) {
                return Health.down(elapsed(start), failure.reason(), failure.getMessage(), poolStats.get(), checkedAt);
            }
            return Health.down(elapsed(start), String.valueOf(cause), poolStats.get(), checkedAt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Health.down(elapsed(start), "interrupted", poolStats.get(), checkedAt);
        } catch (RuntimeException e) {
            return Health.down(elapsed(start), String.valueOf(e), poolStats.get(), checkedAt);
        }
    }

    private synchronized FutureTask<Result> attempt() {
        if (inFlight == null || inFlight.isDone()) {
            FutureTask<Result> task = new FutureTask<>(attempt::run);
            executor.execute(task);
            inFlight = task;
        }
        return inFlight;
    }

    private Duration elapsed(long startNanos) {
        return Duration.ofNanos(Math.max(0, ticker.read() - startNanos));
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
