package io.pgdock.core;

import java.sql.Connection;
import java.sql.SQLException;

/** Runs work in one transaction on a caller's connection: commit on success, roll back on failure. Not API. */
final class Transactions {
    private Transactions() {
    }

    /** Work that runs inside the transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Work inside the transaction that returns nothing. */
    @FunctionalInterface
    interface Action {
        void run(Connection c) throws SQLException;
    }

    /** As {@link #run}, for work that returns nothing. */
    static void use(Connection c, Action action) throws SQLException {
        run(c, tx -> {
            action.run(tx);
            return Boolean.TRUE;   // run needs a result; it is not used
        });
    }

    /**
     * Turns auto-commit off, runs {@code work}, commits, and puts auto-commit back as it was; if the work fails, rolls
     * back and rethrows.
     */
    static <T> T run(Connection c, Work<T> work) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }
}
