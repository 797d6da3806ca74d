package io.pgdock.core.internal;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import java.security.GeneralSecurityException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Turns the {@link SQLException}s of opening a connection into a {@link ConnectionFailedException} with a
 * {@link Reason}, by SQLSTATE (PostgreSQL appendix A), exception types and cause chains, never by English message text.
 * pgjdbc's refusals with SQLSTATE {@code 08004} (no password given, no TLS or GSS encryption where required, channel
 * binding, an unsupported authentication method) share one SQLSTATE and carry no cause: {@link DriverRejection} tells
 * them apart by the driver's own rendering of each template. TLS failures are also known by an {@link SSLException} or
 * {@link GeneralSecurityException} in the cause chain, or by having been raised in pgjdbc's TLS code
 * ({@code org.postgresql.ssl}). Not API: shared by pgdock's modules.
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
        DriverRejection rejection = rejection(e);
        if (rejection != null) {
            return rejection == DriverRejection.TLS_UNSUPPORTED || rejection == DriverRejection.GSS_UNSUPPORTED
                    ? Reason.TLS : Reason.AUTHENTICATION;
        }
        if (isTls(e)) {
            return Reason.TLS;
        }
        switch (state) {
            case "28P01", "28000":
                return Reason.AUTHENTICATION;
            case "08004":
                // The server or the driver rejected setting the connection up: authentication or encryption, never an
                // unreachable server.
                return Reason.AUTHENTICATION;
            case "3D000":
                return Reason.DATABASE_MISSING;
            case "3F000":
                return Reason.SCHEMA_MISSING;
            case "42501":
                return Reason.PRIVILEGE_MISSING;
            case "53300":
                return Reason.TOO_MANY_CONNECTIONS;
            case "25006":
                // read_only_sql_transaction: a standby, or a session made read-only (readOnly=true).
                return Reason.READ_ONLY;
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
        return connectFailure(e, target, null);
    }

    /**
     * As {@link #connectFailure(SQLException, String)}, for a connection to {@code spec}, whose settings make the advice
     * precise (whether it has a password, its {@code sslmode}, its user).
     *
     * @param e the failure
     * @param spec what was connected to; shown as {@link ConnectionSpec#toString()} (password masked)
     * @return the exception to throw
     */
    public static ConnectionFailedException connectFailure(SQLException e, ConnectionSpec spec) {
        return connectFailure(e, spec.toString(), spec);
    }

    /**
     * As {@link #connectFailure(SQLException, String)}, with the spec's settings for the advice.
     *
     * @param e the failure
     * @param target the target as it may be shown (password masked)
     * @param spec the spec connected with, or null when not known
     * @return the exception to throw
     */
    public static ConnectionFailedException connectFailure(SQLException e, String target, ConnectionSpec spec) {
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
        DriverRejection rejection = rejection(e);
        String advice = rejection != null ? advice(rejection, spec) : switch (reason) {
            case UNREACHABLE -> "no server answered; check host, port and network, and that the server is running";
            case TLS -> "TLS failed; check sslmode and the server's TLS set-up";
            case AUTHENTICATION -> "08004".equals(e.getSQLState())
                    ? "the connection was rejected while it was set up (authentication or encryption); check user, "
                            + "password, pg_hba.conf and sslmode"
                    : "authentication failed; check user and password, and pg_hba.conf"
                            + (spec != null && spec.password().isEmpty() && "28P01".equals(e.getSQLState())
                                    ? " (the spec has no password, so pgjdbc sent the one of a password file: "
                                            + "~/.pgpass, or the file PGPASSFILE names)" : "");
            case DATABASE_MISSING -> "the database does not exist; create it or fix the database name";
            case PRIVILEGE_MISSING -> "the role lacks a privilege it needs (for example CONNECT on the database)";
            case TOO_MANY_CONNECTIONS -> "the server has no free connection slots; lower pool sizes or raise max_connections";
            case READ_ONLY -> "the server or the session is read-only (a standby, or readOnly=true); write through a "
                    + "spec that reaches the primary (targetServerType=primary)";
            default -> "see the cause";
        };
        return new ConnectionFailedException(reason,
                "cannot connect to " + target + ": " + advice + " (" + firstLine(e.getMessage()) + ")", e.getSQLState(), e);
    }

    /** What to do about a refusal of pgjdbc's, with what the spec says. */
    private static String advice(DriverRejection rejection, ConnectionSpec spec) {
        String role = spec == null ? "the role" : "role " + Shown.show(spec.user());
        String sslmode = spec == null || spec.sslMode().isEmpty() ? "the sslmode in use"
                : "sslmode=" + spec.sslMode().get().value();
        return switch (rejection) {
            case NO_PASSWORD -> "the server asks for a password for " + role + (spec != null && spec.password().isPresent()
                    ? ", and the driver had none to send" : ", and none was given") + "; give one in the URL "
                    + "(user:password@host, or password=...), in PGDOCK_PASSWORD or PGPASSWORD (for a "
                    + "DataSourceFactory target from the environment, PGDOCK_TARGET_<NAME>_PASSWORD), or in a password "
                    + "file, which pgjdbc reads when no password is set (~/.pgpass, or the file PGPASSFILE names)";
            case TLS_UNSUPPORTED -> "the server does not support TLS, but " + sslmode + " requires it; turn ssl on in "
                    + "the server's configuration, or use sslmode=prefer where a plain-text connection is acceptable";
            case GSS_UNSUPPORTED -> "the server does not support GSS encryption, but gssEncMode=require requires it; "
                    + "set the server up for GSSAPI, or use gssEncMode=prefer or disable";
            case CHANNEL_BINDING -> "channelBinding=require, but the server did not authenticate with SCRAM over TLS; "
                    + "have pg_hba.conf use scram-sha-256 and connect with TLS (sslmode=require or stricter), or drop "
                    + "channelBinding=require";
            case METHOD_UNSUPPORTED -> "the server asks for an authentication method pgjdbc does not support; have the "
                    + "server's pg_hba.conf entry for this client use scram-sha-256 (or md5, password, gss)";
        };
    }

    /** The known refusal of pgjdbc's in {@code e} or its causes, or null. */
    private static DriverRejection rejection(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                DriverRejection r = DriverRejection.of(s);
                if (r != null) {
                    return r;
                }
            }
        }
        return null;
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

    /**
     * Whether TLS failed: an {@link SSLException} or {@link GeneralSecurityException} (a certificate that cannot be
     * read or trusted) in the chain, or a failure raised in pgjdbc's TLS code (where it reads certificate and key files,
     * for example), known by where it was made, not by what it says.
     */
    private static boolean isTls(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException || t instanceof GeneralSecurityException) {
                return true;
            }
            StackTraceElement[] frames = t.getStackTrace();
            if (t instanceof SQLException && frames.length > 0
                    && frames[0].getClassName().startsWith("org.postgresql.ssl.")) {
                return true;
            }
        }
        return false;
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
