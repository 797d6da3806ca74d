package io.pgdock.core;

import org.jspecify.annotations.Nullable;

/**
 * A database operation failed at run time: the server refused a statement (a bad value in a COPY, a missing table, a
 * constraint violation), the connection broke, or the input or output stream given to the operation failed.
 *
 * <p>The message says what failed (for example {@code COPY into "ingest"."events" failed: ...}) followed by the server's
 * own message when there is one. The underlying {@link java.sql.SQLException} or {@link java.io.IOException} is the
 * {@linkplain #getCause() cause}.
 *
 * <p>Instances are immutable once thrown.
 */
public final class DataAccessException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /** The SQLSTATE of the failure, or null when it did not come from the database; part of the serialized form. */
    private final @Nullable String sqlState;

    /**
     * For pgdock's modules; callers rarely need to make one.
     *
     * @param message what failed; must not contain a password or secret value
     * @param sqlState the SQLSTATE, or null when the failure did not come from the database
     * @param cause the underlying failure
     */
    public DataAccessException(String message, @Nullable String sqlState, @Nullable Throwable cause) {
        super(message, cause);
        this.sqlState = sqlState;
    }

    /**
     * The five-character SQLSTATE code of the failure, as reported by the server or the driver; for example
     * {@code "22P02"} (invalid text representation) or {@code "42P01"} (undefined table).
     *
     * @return the SQLSTATE, or {@code null} when the failure did not come from the database (for example an
     *     {@link java.io.IOException} from the caller's input stream)
     */
    public @Nullable String sqlState() {
        return sqlState;
    }
}
