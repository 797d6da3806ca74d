package io.pgdock.core.internal;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        if (isUnansweredPool(e) || loginTimeout(e) != null) {
            return Reason.UNREACHABLE;
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
                    + " came free within the pool's connection timeout: all open connections were lent and no new one"
                    + " was opened in time; return connections sooner, or raise the pool's maximum size ("
                    + firstLine(e.getMessage()) + ")", e.getSQLState(), e);
        }
        if (isUnansweredPool(e)) {
            return new ConnectionFailedException(Reason.UNREACHABLE, "cannot connect to " + target + ": no connection"
                    + " was opened within the pool's connection timeout; the server did not answer in time, so check"
                    + " host, port and network, and that the server is running (" + firstLine(e.getMessage()) + ")",
                    e.getSQLState(), e);
        }
        LoginTimeoutException timeout = loginTimeout(e);
        if (timeout != null) {
            // Directly, or as the last connection failure behind a pool's timeout.
            return new ConnectionFailedException(Reason.UNREACHABLE, "cannot connect to " + target + ": "
                    + timeout.getMessage() + (timeout == e ? "" : " (" + firstLine(e.getMessage()) + ")"),
                    timeout.getSQLState(), e);
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

    /** The login timeout in {@code e}'s cause chain, or null. */
    public static LoginTimeoutException loginTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof LoginTimeoutException l) {
                return l;
            }
        }
        return null;
    }

    /** HikariCP's pool counts in its timeout message: {@code (total=4, active=4, idle=0, waiting=2)}. */
    private static final Pattern POOL_COUNTS = Pattern.compile("\\(total=(\\d+), active=(\\d+), idle=(\\d+)");

    /**
     * Whether {@code e} is HikariCP's timeout for a pool whose open connections were all lent while the server was
     * fine. HikariCP's {@link SQLTransientConnectionException} carries a cause and an SQLSTATE only when the pool's own
     * attempts to connect failed (server down, refused, full), which the other reasons describe; without them, its
     * counts tell a pool whose connections were all lent from one that never got a connection at all (a server that
     * does not answer within the pool's timeout, see {@link #isUnansweredPool}).
     */
    private static boolean isBusyPool(SQLException e) {
        Matcher counts = poolTimeoutCounts(e);
        return counts != null && Integer.parseInt(counts.group(2)) > 0 && counts.group(1).equals(counts.group(2))
                && Integer.parseInt(counts.group(3)) == 0;
    }

    /** Whether {@code e} is HikariCP's timeout for a pool with no connection open at all, and no failure yet. */
    private static boolean isUnansweredPool(SQLException e) {
        Matcher counts = poolTimeoutCounts(e);
        return counts != null && Integer.parseInt(counts.group(1)) == 0;
    }

    private static Matcher poolTimeoutCounts(SQLException e) {
        if (!(e instanceof SQLTransientConnectionException) || e.getCause() != null || e.getSQLState() != null
                || e.getMessage() == null) {
            return null;
        }
        Matcher counts = POOL_COUNTS.matcher(e.getMessage());
        return counts.find() ? counts : null;
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
