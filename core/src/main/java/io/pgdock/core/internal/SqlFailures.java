package io.pgdock.core.internal;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Turns the {@link SQLException}s of opening a connection into a {@link ConnectionFailedException} with a
 * {@link Reason}, by SQLSTATE (PostgreSQL appendix A) and, for TLS, by the driver's message or cause. Not API: shared by
 * pgdock's modules.
 */
public final class SqlFailures {
    private SqlFailures() {
    }

    /**
     * Classifies a failure to connect.
     *
     * @param e the failure, usually from the pool or the driver
     * @return the reason
     */
    public static Reason classify(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (isBusyPool(e)) {
            return Reason.TOO_MANY_CONNECTIONS;
        }
        if (isTls(e)) {
            return Reason.TLS;
        }
        switch (state) {
            case "28P01", "28000":
                return Reason.AUTHENTICATION;
            case "3D000":
                return Reason.DATABASE_MISSING;
            case "3F000":
                return Reason.SCHEMA_MISSING;
            case "42501":
                return Reason.PRIVILEGE_MISSING;
            case "53300":
                return Reason.TOO_MANY_CONNECTIONS;
            default:
                break;
        }
        if (state.startsWith("08") || state.equals("57P03")) {
            return Reason.UNREACHABLE;
        }
        return Reason.OTHER;
    }

    /**
     * Builds the exception for a failure to connect to {@code target}, with advice that fits the reason.
     *
     * @param e the failure
     * @param target the target as it may be shown (password masked), for example {@code spec.toString()}
     * @return the exception to throw
     */
    public static ConnectionFailedException connectFailure(SQLException e, String target) {
        if (isBusyPool(e)) {
            return new ConnectionFailedException(Reason.TOO_MANY_CONNECTIONS, "no pooled connection for " + target
                    + " came free within the pool's connection timeout: all are lent; return connections sooner, or "
                    + "raise the pool's maximum size (" + firstLine(e.getMessage()) + ")", e.getSQLState(), e);
        }
        Reason reason = classify(e);
        String advice = switch (reason) {
            case UNREACHABLE -> "no server answered; check host, port and network, and that the server is running";
            case TLS -> "TLS failed; check sslmode and the server's TLS set-up";
            case AUTHENTICATION -> "authentication failed; check user and password, and pg_hba.conf";
            case DATABASE_MISSING -> "the database does not exist; create it or fix the database name";
            case PRIVILEGE_MISSING -> "the role lacks a privilege it needs (for example CONNECT on the database)";
            case TOO_MANY_CONNECTIONS -> "the server has no free connection slots; lower pool sizes or raise max_connections";
            default -> "see the cause";
        };
        return new ConnectionFailedException(reason,
                "cannot connect to " + target + ": " + advice + " (" + firstLine(e.getMessage()) + ")", e.getSQLState(), e);
    }

    /**
     * Whether {@code e} is HikariCP's timeout for a pool that had no free connection while the server was fine: its
     * {@link SQLTransientConnectionException} carries a cause and an SQLSTATE only when the pool's own attempts to
     * connect failed (server down, refused, full), which the other reasons describe.
     */
    private static boolean isBusyPool(SQLException e) {
        return e instanceof SQLTransientConnectionException && e.getCause() == null && e.getSQLState() == null;
    }

    private static boolean isTls(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return true;
            }
        }
        String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
        return message.contains("ssl") && !message.contains("password");
    }

    /** The first line of a server message, so multi-line details do not flood logs. */
    public static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
