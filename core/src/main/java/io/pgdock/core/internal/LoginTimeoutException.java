package io.pgdock.core.internal;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Objects;

/**
 * A login that did not finish within its {@link LoginTimeout}: SQLSTATE {@code 08001}, the driver's own failure as the
 * cause. The message says how far the login got and what to check. {@link SqlFailures} classifies it, wherever it is in
 * a cause chain (a pool's timeout carries its last connection failure), as
 * {@link io.pgdock.core.ConnectionFailedException.Reason#UNREACHABLE}. Not API: shared by pgdock's modules.
 */
public final class LoginTimeoutException extends SQLTransientConnectionException {
    private static final long serialVersionUID = 1L;

    /** How far the login got before the deadline. */
    public enum Stage {
        /** No TCP connection was accepted. */
        NOT_ACCEPTED,
        /** A TCP connection was accepted, and not a byte came back. */
        NOTHING_RECEIVED,
        /** The server answered, but the login did not finish. */
        LOGIN_UNFINISHED,
        /** Not known: the deadline was kept by read timeouts alone (see {@link BoundedLogin}). */
        UNKNOWN
    }

    private final Duration timeout;
    private final String what;
    private final String setting;
    private final Stage stage;

    LoginTimeoutException(LoginTimeout timeout, Stage stage, SQLException driverFailure) {
        super(message(timeout, stage), "08001", driverFailure);
        this.timeout = timeout.value();
        this.what = timeout.what();
        this.setting = timeout.setting();
        this.stage = Objects.requireNonNull(stage, "stage");
    }

    /**
     * The timeout that expired.
     *
     * @return the timeout, with its name and setting
     */
    public LoginTimeout timeout() {
        return new LoginTimeout(timeout, what, setting);
    }

    /**
     * How far the login got.
     *
     * @return the stage
     */
    public Stage stage() {
        return stage;
    }

    private static String message(LoginTimeout t, Stage stage) {
        String within = " within " + t.describe();
        return switch (stage) {
            case NOT_ACCEPTED -> "no server accepted the TCP connection" + within + "; check host and port, that the "
                    + "server is running, and that no firewall drops the traffic";
            case NOTHING_RECEIVED -> "the server accepted the connection but sent nothing" + within + "; something "
                    + "listens there that does not answer as PostgreSQL does: check that the server is not hung or "
                    + "overloaded (pg_isready), that the port is the server's and not a proxy's or load balancer's "
                    + "without a working backend, and that nothing on the network drops the traffic";
            case LOGIN_UNFINISHED -> "the server answered but the login did not finish" + within + "; the server or "
                    + "the network is slow, or authentication waits on another service (LDAP, RADIUS, Kerberos): check "
                    + "the server's log, or raise the timeout";
            case UNKNOWN -> "the login did not finish" + within + "; check that the server is running and answering "
                    + "(pg_isready), host and port, and the network";
        };
    }
}
