package io.pgdock.core.internal;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Keeps a HikariCP pool's attempt to open a connection going while the pool needs one, so that a pool whose server was
 * away (stopped, restarted, failed over to a promoted standby) connects again within {@link #WAITING_INTERVAL} and one
 * login of the server answering. Not API: shared by pgdock's modules.
 *
 * <p><b>Why.</b> HikariCP opens connections on one thread per pool, and after a failed attempt that thread sleeps with a
 * back-off that doubles up to 5 s (HikariCP 7 {@code PoolEntryCreator}) before it tries again; callers waiting meanwhile
 * wait for the sleep. Behind a failover, pgdock measured the first successful write 0.02 s to 3.1 s after the standby's
 * promotion, depending on where that sleep stood. The back-off is not configurable.
 *
 * <p><b>How.</b> The pool's {@code DataSource} opens its connections through {@link #open}: a failure that says no server
 * is there to serve ({@link Reason#UNREACHABLE}, {@link Reason#SERVER_UNAVAILABLE}: refused, timed out, no host of the
 * required {@code targetServerType}, shutting down or starting up) is retried on the same thread while the pool wants a
 * connection: every {@link #WAITING_INTERVAL} while callers wait for one, every {@link #REFILL_INTERVAL} while the pool
 * only refills its minimum idle connections. Any other failure (a wrong password, a missing database), and a failure when
 * the pool no longer wants a connection (its callers gave up, it was closed), goes back to HikariCP at once. HikariCP's
 * back-off therefore never grows past its first step while the pool is wanted. The attempts themselves stay bounded by
 * the login timeout; callers still fail after their own wait (the pool's connection timeout), with the last failure.
 *
 * <p>The intervals are waits, so they are measured in real time ({@link System#nanoTime()}), not by an options'
 * {@link io.pgdock.core.Ticker}: a fake ticker must neither hang nor shorten a wait.
 *
 * <p>Thread-safe: a static utility.
 */
public final class ConnectRetry {
    /** How often a connection is tried again while callers wait for one. */
    public static final Duration WAITING_INTERVAL = Duration.ofMillis(50);
    /** How often a connection is tried again while the pool only refills its minimum idle connections. */
    public static final Duration REFILL_INTERVAL = Duration.ofMillis(500);

    /** What the pool wants now. */
    public enum Demand {
        /** Nothing: closed, or nobody needs a connection; a failure goes back to the pool. */
        NONE,
        /** The pool is below its minimum idle connections, and nobody waits. */
        REFILL,
        /** Callers wait for a connection. */
        WAITING
    }

    /** One attempt to open a connection. */
    @FunctionalInterface
    public interface Attempt {
        /**
         * Opens a connection.
         *
         * @return the open connection
         * @throws SQLException if it cannot be opened
         */
        Connection open() throws SQLException;
    }

    private ConnectRetry() {
    }

    /**
     * Opens a connection with {@code attempt}, trying again as the class comment says.
     *
     * @param attempt one attempt
     * @param demand what the pool wants, asked after every failure and between waits
     * @return the open connection
     * @throws SQLException the last failure, once it is not one to retry or the pool no longer wants a connection
     */
    public static Connection open(Attempt attempt, Supplier<Demand> demand) throws SQLException {
        Objects.requireNonNull(attempt, "attempt");
        Objects.requireNonNull(demand, "demand");
        while (true) {
            long tried = System.nanoTime();
            try {
                return attempt.open();
            } catch (SQLException e) {
                if (!retryable(e)) {
                    throw e;
                }
                // Wait in steps of the short interval, so that a caller arriving during a refill's longer wait is
                // served at the short interval.
                while (true) {
                    Demand now = demand.get();
                    if (now == Demand.NONE || Thread.currentThread().isInterrupted()) {
                        throw e;
                    }
                    long interval = (now == Demand.WAITING ? WAITING_INTERVAL : REFILL_INTERVAL).toNanos();
                    long left = tried + interval - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    LockSupport.parkNanos(Math.min(left, WAITING_INTERVAL.toNanos()));
                }
            }
        }
    }

    /** Whether the failure says no server is there to serve now, as opposed to a setting that is wrong. */
    static boolean retryable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectionFailedException f) {
                return f.reason() == Reason.UNREACHABLE || f.reason() == Reason.SERVER_UNAVAILABLE;
            }
            if (t instanceof InterruptedException || t instanceof java.io.InterruptedIOException) {
                return false;
            }
        }
        Reason reason = SqlFailures.classify(e);
        return reason == Reason.UNREACHABLE || reason == Reason.SERVER_UNAVAILABLE;
    }
}
