package io.pgdock.config;

import io.pgdock.core.PgdockException;

/**
 * The PostgreSQL configuration store could not do what was asked: the server refused a statement (a missing table, a
 * permission, a statement timeout, a constraint or trigger someone added to the tables) or a stored value could not be
 * read. A failure to get a connection is reported as {@link io.pgdock.core.ConnectionFailedException} instead.
 *
 * <p>The message names the key (never its value) and gives the server's first message line. The server's detail lines
 * can quote the row being written, so they are left out: the {@linkplain #getCause() cause}, when there is one, is a
 * {@link java.sql.SQLException} with that first line and the SQLSTATE only.
 *
 * <p>Instances are immutable once thrown.
 */
public final class ConfigAccessException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /** The SQLSTATE of the failure, or null when it did not come from the database; part of the serialized form. */
    private final String sqlState;

    ConfigAccessException(String message, String sqlState, Throwable cause) {
        super(message, cause);
        this.sqlState = sqlState;
    }

    /**
     * The five-character SQLSTATE of the failure, for example {@code "42501"} (insufficient privilege) or
     * {@code "57014"} (statement timeout).
     *
     * @return the SQLSTATE, or {@code null} when the failure did not come from the database
     */
    public String sqlState() {
        return sqlState;
    }
}
