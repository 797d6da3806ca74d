package io.pgdock.core.internal;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import javax.security.auth.callback.UnsupportedCallbackException;
import org.jspecify.annotations.Nullable;
import org.postgresql.util.PSQLException;

/**
 * The one failure classifier of pgdock's modules: turns the {@link SQLException}s of opening or using a connection into
 * a {@link ConnectionFailedException} with a {@link Reason}, by SQLSTATE (PostgreSQL appendix A), exception types and
 * cause chains. Message text is read only where nothing else tells cases apart, each case pinned by a test against the
 * real driver or pooler: pgjdbc's {@code 08004} templates ({@link DriverRejection}), PgBouncer's own {@code 08P01}
 * errors ({@link PoolerError}) and the quoted name of pgjdbc's server-side statements ({@code "S_1"}).
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
     * Classifies a failure to connect, or to use a connection: the one classifier of pgdock's modules (storage, config
     * store, factory, health and the command line). The order: HikariCP's pool timeouts (by type and counts); pgdock's
     * own login timeout (by type); pgjdbc's {@code 08004} refusals ({@link DriverRejection}); TLS (by the exception types
     * in the cause chain, or by where in pgjdbc the failure was raised); PgBouncer's own errors, which it sends as
     * {@code 08P01} whatever their cause ({@link PoolerError}); then the SQLSTATE:
     * {@code 28P01}/{@code 28000}/{@code 08004} authentication, {@code 3D000} database, {@code 3F000} schema,
     * {@code 42501} privilege, {@code 53300} too many connections, {@code 08P01} protocol, {@code 25006} read-only,
     * {@code 57P01}/{@code 57P02}/{@code 57P03} server unavailable, any other {@code 08} class unreachable. A
     * {@code 26000} or {@code 42P05} about one of pgjdbc's own server-side statements (named {@code S_<n>}) is a
     * protocol error too: it means the statement was prepared on one server connection and used on another, which is
     * what a pooler in transaction mode does to a client with {@code prepareThreshold} above 0.
     *
     * @param e the failure, from the pool or the driver
     * @return the reason, {@link Reason#OTHER} when the failure is the statement's own (a constraint, a bad value)
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
        if (tlsFailure(e) != null) {
            return Reason.TLS;
        }
        PoolerError pooler = PoolerError.of(e);
        if (pooler != null) {
            return pooler.reason();
        }
        Reason byState = switch (state) {
            case "28P01", "28000" -> Reason.AUTHENTICATION;
            // The server or the driver rejected setting the connection up: authentication or encryption, never an
            // unreachable server.
            case "08004" -> Reason.AUTHENTICATION;
            case "08P01" -> Reason.PROTOCOL;
            case "26000", "42P05" -> isDriverStatement(e) ? Reason.PROTOCOL : Reason.OTHER;
            case "25006" -> Reason.READ_ONLY;
            case "57P01", "57P02", "57P03" -> Reason.SERVER_UNAVAILABLE;
            case "3D000" -> Reason.DATABASE_MISSING;
            case "3F000" -> Reason.SCHEMA_MISSING;
            case "42501" -> Reason.PRIVILEGE_MISSING;
            case "53300" -> Reason.TOO_MANY_CONNECTIONS;
            default -> null;
        };
        if (byState != null) {
            return byState;
        }
        if (state.startsWith("08")) {
            return Reason.UNREACHABLE;
        }
        return Reason.OTHER;
    }

    /**
     * The failure of a statement, as a {@link ConnectionFailedException}, when it is the deployment's fault rather than
     * the statement's: the connection broke or could not be made ({@link Reason#UNREACHABLE}, {@link Reason#TLS},
     * {@link Reason#AUTHENTICATION}, {@link Reason#TOO_MANY_CONNECTIONS}), a pooler got in the way
     * ({@link Reason#PROTOCOL}), the server or session is read-only ({@link Reason#READ_ONLY}) or the server is not
     * serving ({@link Reason#SERVER_UNAVAILABLE}). Anything else (a constraint, a bad value, a missing table, a missing
     * privilege on one object) is the statement's, and the caller reports it as a
     * {@link io.pgdock.core.DataAccessException}.
     *
     * @param e the failure of a statement
     * @param target the target as it may be shown (password masked)
     * @param spec the spec connected with, or null when not known
     * @return the exception to throw, or null when the failure is the statement's own
     */
    public static @Nullable ConnectionFailedException deploymentFailure(SQLException e, String target,
            @Nullable ConnectionSpec spec) {
        return switch (classify(e)) {
            case UNREACHABLE, TLS, AUTHENTICATION, TOO_MANY_CONNECTIONS, PROTOCOL, READ_ONLY, SERVER_UNAVAILABLE ->
                    connectFailure(e, target, spec);
            default -> null;
        };
    }

    /**
     * Whether the connection that raised {@code e} cannot be used again: no SQLSTATE, the connection exception class
     * ({@code 08}), or a reason that ends the session (unreachable, TLS, protocol, server unavailable).
     *
     * @param e the failure of a statement
     * @return whether to discard the connection rather than give it back for reuse
     */
    public static boolean isBroken(SQLException e) {
        if (e.getSQLState() == null || e.getSQLState().startsWith("08")) {
            return true;
        }
        return switch (classify(e)) {
            case UNREACHABLE, TLS, PROTOCOL, SERVER_UNAVAILABLE -> true;
            default -> false;
        };
    }

    /** Whether the server's message names one of pgjdbc's server-side statements ({@code "S_<n>"}). */
    private static boolean isDriverStatement(SQLException e) {
        // The name is quoted by the server and not translated, whatever lc_messages says; pinned by a test through
        // PgBouncer in transaction mode.
        String message = e instanceof PSQLException p && p.getServerErrorMessage() != null
                ? p.getServerErrorMessage().getMessage() : null;
        return message != null && DRIVER_STATEMENT.matcher(message).find();
    }

    /** pgjdbc names its server-side prepared statements S_1, S_2, ... */
    private static final Pattern DRIVER_STATEMENT = Pattern.compile("\"S_[0-9]+\"");

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
    public static ConnectionFailedException connectFailure(SQLException e, String target,
            @Nullable ConnectionSpec spec) {
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
            case TLS -> tlsAdvice(e, spec);
            case PROTOCOL -> poolerSuspected(e)
                    ? "a statement prepared on one server connection was used on another: a connection pooler in "
                            + "transaction or statement mode (PgBouncer) is between pgdock and the server, and pgjdbc "
                            + "prepares statements on the server after prepareThreshold uses; set prepareThreshold=0 in "
                            + "the URL (StorageOptions' transaction-pooling mode does), or use the pooler's session mode"
                    : "the server, or a connection pooler in between, answered outside the PostgreSQL protocol; "
                            + "behind PgBouncer in transaction or statement mode set prepareThreshold=0 in the URL "
                            + "(StorageOptions' transaction-pooling mode does), or use session mode, or connect to "
                            + "PostgreSQL directly";
            case READ_ONLY -> "the server or the session is read-only (a standby, readOnly=true in the spec, or "
                    + "default_transaction_read_only), and this needs a write; send writes to the primary "
                    + "(targetServerType=primary with every host listed), or drop readOnly";
            case SERVER_UNAVAILABLE -> switch (e.getSQLState()) {
                case "57P01" -> "the server ended the session: an administrator terminated it "
                        + "(pg_terminate_backend) or the server is shutting down; the pool drops that connection, so "
                        + "retry, and if it keeps happening, check the server's log and who terminates sessions";
                case "57P02" -> "the server crashed and is restarting (crash shutdown); retry once it has recovered, "
                        + "and check the server's log for why it crashed";
                default -> "the server is starting up, shutting down or recovering, and accepts no connections yet; "
                        + "retry, or connect to a server that is up (a standby needs hot_standby=on)";
            };
            case AUTHENTICATION -> "08004".equals(e.getSQLState())
                    ? "the connection was rejected while it was set up (authentication or encryption); check user, "
                            + "password, pg_hba.conf and sslmode"
                    : "authentication failed; check user and password, and pg_hba.conf";
            case DATABASE_MISSING -> "the database does not exist; create it or fix the database name";
            case PRIVILEGE_MISSING -> "the role lacks a privilege it needs (for example CONNECT on the database)";
            case TOO_MANY_CONNECTIONS -> "the server has no free connection slots; lower pool sizes or raise max_connections";
            default -> "see the cause";
        };
        return new ConnectionFailedException(reason,
                "cannot connect to " + target + ": " + advice + " (" + firstLine(e.getMessage()) + ")", e.getSQLState(), e);
    }

    /** What to do about a refusal of pgjdbc's, with what the spec says. */
    private static String advice(DriverRejection rejection, @Nullable ConnectionSpec spec) {
        String role = spec == null ? "the role" : "role " + Shown.show(spec.user());
        String sslmode = spec == null || spec.sslMode().isEmpty() ? "the sslmode in use"
                : "sslmode=" + spec.sslMode().get().value();
        return switch (rejection) {
            case NO_PASSWORD -> "the server asks for a password for " + role + (spec != null && spec.password().isPresent()
                    ? ", and the driver had none to send" : ", and none was given") + "; give one in the URL "
                    + "(user:password@host, or password=...), in PGDOCK_PASSWORD or PGPASSWORD (for a "
                    + "DataSourceFactory target from the environment, PGDOCK_TARGET_<NAME>_PASSWORD), or in a password "
                    + "file (~/.pgpass, or the file PGPASSFILE names; ConnectionSpec.fromEnvironment reads it, and "
                    + "withPasswordFile for a spec made otherwise; the file must be u=rw, 0600, or it is ignored)";
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

    /** Whether {@code e} is about one of pgjdbc's server-side statements, that is, a pooler is the likely cause. */
    private static boolean poolerSuspected(SQLException e) {
        return isDriverStatement(e);
    }

    /** The known refusal of pgjdbc's in {@code e} or its causes, or null. */
    private static @Nullable DriverRejection rejection(Throwable e) {
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
    public static @Nullable LoginTimeoutException loginTimeout(Throwable e) {
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

    private static @Nullable Matcher poolTimeoutCounts(SQLException e) {
        if (!(e instanceof SQLTransientConnectionException) || e.getCause() != null || e.getSQLState() != null
                || e.getMessage() == null) {
            return null;
        }
        Matcher counts = POOL_COUNTS.matcher(e.getMessage());
        return counts.find() ? counts : null;
    }

    /** What went wrong with TLS, as far as types, causes and where pgjdbc raised it tell. */
    private enum TlsFailure {
        /** verify-full: the certificate does not name the host connected to (raised in MakeSSL.verifyPeerName). */
        HOST_NAME,
        /** An encrypted client key and no sslpassword: pgjdbc asked the console, which it cannot do. */
        KEY_PASSWORD,
        /** A certificate or key file named by sslrootcert, sslcert or sslkey cannot be read. */
        FILE,
        /** The server's certificate could not be verified with the CA given. */
        UNTRUSTED,
        /** A certificate or key that cannot be used: a wrong sslpassword, or a format pgjdbc cannot read. */
        KEY,
        /** Anything else in the TLS handshake or pgjdbc's TLS code. */
        OTHER
    }

    /**
     * Which TLS failure {@code e} is, or null when it is not one: an {@link SSLException} or
     * {@link GeneralSecurityException} (a certificate that cannot be read or trusted) in the chain, or a failure raised in
     * pgjdbc's TLS code (where it reads certificate and key files, or checks the host name), known by where it was made
     * (its first stack frame), not by what it says.
     */
    private static @Nullable TlsFailure tlsFailure(SQLException e) {
        boolean inTlsCode = false;
        boolean ssl = false;
        boolean security = false;
        boolean untrusted = false;
        boolean file = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            StackTraceElement[] frames = t.getStackTrace();
            if (t instanceof SQLException && frames.length > 0
                    && frames[0].getClassName().startsWith("org.postgresql.ssl.")) {
                if (frames[0].getClassName().equals("org.postgresql.ssl.MakeSSL")
                        && frames[0].getMethodName().equals("verifyPeerName")) {
                    return TlsFailure.HOST_NAME;
                }
                inTlsCode = true;
            }
            if (t instanceof UnsupportedCallbackException) {
                return TlsFailure.KEY_PASSWORD;
            }
            // An SSLException over a broken socket is a broken connection, not a TLS set-up problem.
            ssl |= t instanceof SSLException && !(t.getCause() instanceof java.net.SocketException
                    || t.getCause() instanceof java.io.EOFException);
            security |= t instanceof GeneralSecurityException;
            untrusted |= t instanceof CertificateException || t instanceof CertPathBuilderException
                    || t instanceof CertPathValidatorException;
            file |= t instanceof IOException && !(t instanceof SSLException);
        }
        if (untrusted && ssl) {
            return TlsFailure.UNTRUSTED;
        }
        if (inTlsCode && file) {
            return TlsFailure.FILE;
        }
        if (security && !ssl) {
            return TlsFailure.KEY;
        }
        return ssl || security || inTlsCode ? TlsFailure.OTHER : null;
    }

    /** What to do about a TLS failure. */
    private static String tlsAdvice(SQLException e, @Nullable ConnectionSpec spec) {
        String sslmode = spec == null || spec.sslMode().isEmpty() ? "the sslmode in use"
                : "sslmode=" + spec.sslMode().get().value();
        TlsFailure failure = tlsFailure(e);
        return switch (failure == null ? TlsFailure.OTHER : failure) {
            case HOST_NAME -> "the server's TLS certificate does not name the host connected to, which " + sslmode
                    + " requires; connect by a name the certificate has (its subject alternative names), or have the "
                    + "server use a certificate that names this host; sslmode=verify-ca checks the CA but not the name";
            case KEY_PASSWORD -> "the client key (sslkey) is encrypted, and no sslpassword was given to decrypt it; "
                    + "set sslpassword in the URL or with the builder's sslPassword(), or PGDOCK_SSLPASSWORD";
            case FILE -> "a certificate or key file that sslrootcert, sslcert or sslkey names cannot be read; check the "
                    + "path and that this process may read it (by default pgjdbc looks in ~/.postgresql/)";
            case UNTRUSTED -> "the server's TLS certificate could not be verified with the CA certificate given; set "
                    + "sslrootcert to the file of the CA that signed the server's certificate";
            case KEY -> "a client certificate or key cannot be used: a wrong sslpassword, or a key format pgjdbc cannot "
                    + "read (it reads PKCS#8 DER keys, encrypted with PBES1, such as openssl pkcs8 -topk8 -outform DER "
                    + "-v1 PBE-SHA1-3DES writes)";
            case OTHER -> "TLS failed; check " + sslmode + " and the server's TLS set-up";
        };
    }

    /** The first line of a server message, so multi-line details do not flood logs. */
    public static String firstLine(@Nullable String message) {
        if (message == null) {
            return "no message";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
