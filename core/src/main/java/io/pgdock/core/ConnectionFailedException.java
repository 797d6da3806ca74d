package io.pgdock.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A connection to PostgreSQL could not be opened or used as configured. {@link #reason()} says which of the usual causes
 * it was, so callers can react (retry an unreachable server, alert on a wrong password) without parsing messages.
 *
 * <p>The message names the target as {@link ConnectionSpec#toString()} shows it (password masked) and says what to
 * check.
 */
public final class ConnectionFailedException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /** Why a connection failed. */
    public enum Reason {
        /**
         * No server answered: refused, unknown host, timed out, or the connection broke; or a pooler could not reach
         * the server behind it.
         */
        UNREACHABLE,
        /**
         * TLS could not be negotiated as the spec's {@code sslmode} requires (the server does not offer it, its
         * certificate cannot be verified or does not name the host under {@code verify-full}, a certificate or key file
         * cannot be read, an encrypted client key has no or a wrong {@code sslpassword}), or GSS encryption as
         * {@code gssEncMode} requires.
         */
        TLS,
        /**
         * The server refused the credentials, or asked for a password the spec does not have, or has no such role, or no
         * {@code pg_hba.conf} entry allows it, or asked for an authentication method the driver does not support, or
         * could not give the channel binding {@code channelBinding=require} asks for.
         */
        AUTHENTICATION,
        /** The server has no such database. */
        DATABASE_MISSING,
        /** The database has no such schema. */
        SCHEMA_MISSING,
        /** The role may not do what is needed: connect to the database, use or create in the schema. */
        PRIVILEGE_MISSING,
        /**
         * The sessions of a DataSource the application owns ({@link Storage#over}) do not have the storage schema as
         * their current schema (first on the {@code search_path}); the message says how to set it.
         */
        SEARCH_PATH,
        /**
         * The server is at its connection limit, or a pool is: every connection it may open is lent and none came
         * free within its timeout. The message says which.
         */
        TOO_MANY_CONNECTIONS,
        /**
         * The server, or a connection pooler between it and pgdock, answered outside the protocol (SQLSTATE
         * {@code 08P01}), or a server-side statement of pgjdbc's ({@code S_1}, ...) was missing or another's
         * ({@code 26000}, {@code 42P05}): for example PgBouncer in transaction mode with {@code prepareThreshold} above
         * 0. The server is reachable; the deployment's settings are wrong. PgBouncer's own errors, which it also sends
         * as {@code 08P01} (a wrong password, an unknown database, an upstream it cannot reach), get their own reasons.
         */
        PROTOCOL,
        /**
         * A write was needed where the server or the session is read-only (SQLSTATE {@code 25006}): a standby, a spec
         * with {@code readOnly=true}, or {@code default_transaction_read_only}; for example migrations pending on a
         * standby.
         */
        READ_ONLY,
        /**
         * The server is shutting down, starting up or recovering, or an administrator ended the session (SQLSTATE
         * {@code 57P01}, {@code 57P02}, {@code 57P03}): reachable, but not serving for now.
         */
        SERVER_UNAVAILABLE,
        /** Anything else; see the cause. */
        OTHER
    }

    /** Why it failed. */
    private final Reason reason;
    /** The SQLSTATE reported, or null. */
    private final @Nullable String sqlState;

    /**
     * @param reason why it failed
     * @param message what failed and what to check; must not contain a password
     * @param sqlState the SQLSTATE the server or driver reported, or null
     * @param cause the underlying failure, or null
     */
    public ConnectionFailedException(Reason reason, String message, @Nullable String sqlState,
            @Nullable Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.sqlState = sqlState;
    }

    /**
     * Why the connection failed.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The SQLSTATE the server or driver reported, for example {@code "28P01"} for a wrong password.
     *
     * @return the SQLSTATE, or null if there was none
     */
    public @Nullable String sqlState() {
        return sqlState;
    }
}
