package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Waits, with a deadline, for a condition that SQL on a server checks: that a standby streams, has replayed up to a
 * point, that a slot is free. Checks are {@link Deadline#pause() paced} like every other wait of the fixtures.
 *
 * <p>Stateless; thread-safe.
 */
final class SqlAwait {

    private SqlAwait() {
    }

    /** A condition on a server, checked on a connection. */
    @FunctionalInterface
    interface Condition {
        /**
         * Checks the condition once.
         *
         * @param c a connection to the server
         * @return whether it holds
         * @throws SQLException if the check fails; what that means depends on the wait
         */
        boolean holds(Connection c) throws SQLException;
    }

    /**
     * Checks the condition on one connection to {@code spec}, opened again after a failure, until it holds. An
     * {@link SQLException}, from the connection or the check, counts as "not yet": a server that starts refuses
     * connections for a while.
     *
     * @param failure what went wrong if the condition does not hold in time, for the message
     * @throws TestPostgresException saying {@code failure}, the timeout and the last SQL error, if it does not hold in
     *     time
     */
    static void until(ConnectionSpec spec, Duration timeout, String failure, Condition condition) {
        Deadline deadline = Deadline.after(timeout);
        SQLException last = null;
        Connection c = null;
        try {
            while (true) {
                try {
                    if (c == null) {
                        c = DataSources.unpooled(spec).getConnection();
                    }
                    if (condition.holds(c)) {
                        return;
                    }
                } catch (SQLException e) {
                    last = e;
                    closeQuietly(c);
                    c = null;
                }
                if (deadline.passed()) {
                    throw new TestPostgresException(failure + " within " + timeout
                            + (last == null ? "" : " (last error: " + last.getMessage() + ")"), last);
                }
                deadline.pause();
            }
        } finally {
            closeQuietly(c);
        }
    }

    /**
     * Checks the condition on the caller's connection until it holds; an {@link SQLException} ends the wait.
     *
     * @throws TestPostgresException saying {@code failure}, if the deadline passes first
     */
    static void until(Connection c, Deadline deadline, String failure, Condition condition) throws SQLException {
        while (!condition.holds(c)) {
            if (deadline.passed()) {
                throw new TestPostgresException(failure, null);
            }
            deadline.pause();
        }
    }

    private static void closeQuietly(@Nullable Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // Broken already; nothing to release.
            }
        }
    }
}
