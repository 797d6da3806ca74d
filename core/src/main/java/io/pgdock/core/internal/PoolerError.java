package io.pgdock.core.internal;

import io.pgdock.core.ConnectionFailedException.Reason;
import java.sql.SQLException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * The errors PgBouncer (1.18) raises itself, not passed on from PostgreSQL. PgBouncer sends almost all of them with
 * SQLSTATE {@code 08P01} (protocol violation), whatever the cause: a wrong password, an unknown database, a server it
 * cannot reach and its own client limit all look like protocol errors. So here, and only for {@code 08P01} errors that
 * came as a server's error message (pgjdbc's own protocol errors have none), the primary message is compared with
 * PgBouncer's texts, exactly or by a fixed prefix. Each is pinned by a test against a real PgBouncer
 * ({@code FailureClassificationTest} in the reliability module), so a PgBouncer that words one differently fails the
 * build. An {@code 08P01} that matches none of them is a protocol error ({@link Reason#PROTOCOL}).
 */
enum PoolerError {
    /** PgBouncer refused the client's credentials (it checks them itself, or with auth_query). */
    AUTHENTICATION(Reason.AUTHENTICATION, List.of("password authentication failed", "SASL authentication failed",
            "\"trust\" authentication failed", "certificate authentication failed", "PAM authentication failed"),
            List.of("SCRAM authentication failed")),
    /** PgBouncer has no such database in its [databases] section (and no fallback). */
    DATABASE_MISSING(Reason.DATABASE_MISSING, List.of(), List.of("no such database: ")),
    /** PgBouncer is at max_client_conn. */
    CLIENT_LIMIT(Reason.TOO_MANY_CONNECTIONS, List.of("no more connections allowed (max_client_conn)"), List.of()),
    /** PgBouncer could not reach, or log in to, the PostgreSQL server behind it. */
    SERVER_UNREACHABLE(Reason.UNREACHABLE, List.of(
            "server login has been failing, try again later (server_login_retry)",
            "client_login_timeout (server down)", "query_wait_timeout", "server conn crashed?",
            "pgbouncer cannot connect to server"), List.of("server login failed: "));

    private final Reason reason;
    @SuppressWarnings("ImmutableEnumChecker") // List.of lists, never handed out
    private final List<String> exact;
    @SuppressWarnings("ImmutableEnumChecker") // List.of lists, never handed out
    private final List<String> prefixes;

    PoolerError(Reason reason, List<String> exact, List<String> prefixes) {
        this.reason = reason;
        this.exact = exact;
        this.prefixes = prefixes;
    }

    /** The reason this error stands for. */
    Reason reason() {
        return reason;
    }

    /**
     * Which of PgBouncer's own errors {@code e} is.
     *
     * @return the error, or null when {@code e} is not an {@code 08P01} server message of PgBouncer's
     */
    static @Nullable PoolerError of(SQLException e) {
        if (!"08P01".equals(e.getSQLState()) || !(e instanceof PSQLException p)) {
            return null;
        }
        ServerErrorMessage server = p.getServerErrorMessage();
        String message = server == null ? null : server.getMessage();
        if (message == null) {
            return null;
        }
        for (PoolerError error : values()) {
            if (error.exact.contains(message) || error.prefixes.stream().anyMatch(message::startsWith)) {
                return error;
            }
        }
        return null;
    }
}
