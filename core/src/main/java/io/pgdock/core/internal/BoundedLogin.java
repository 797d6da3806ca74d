package io.pgdock.core.internal;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.internal.LoginDeadlineSocketFactory.Attempt;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way pgdock's modules open a pgjdbc connection: the whole login (TCP connect, TLS, authentication, the
 * driver's first queries, every host of a multi-host spec, pgjdbc's fallback from TLS to plain text) is bounded by one
 * {@link LoginTimeout}, on the calling thread. Not API: shared by pgdock's modules.
 *
 * <p><b>Why.</b> pgjdbc's {@code connectTimeout} bounds only the TCP connect: against a peer that accepts and never
 * answers, a login waits forever. Its {@code loginTimeout} returns in time, but leaves its own connect thread blocked on
 * the socket. Its {@code socketTimeout} bounds each read, but an attempt makes several (the answer to the TLS request,
 * then, for {@code sslmode=prefer} or {@code allow}, a second connection), so it takes up to twice as long, and it stays
 * on the connection after the login unless reset.
 *
 * <p><b>How.</b> The login runs with {@link LoginDeadlineSocketFactory}, whose sockets give every connect and read only
 * the time left until the deadline, and fail at once after it. A login that runs out of time fails with a
 * {@link LoginTimeoutException} that says how far it got (no TCP connection; accepted but nothing received; answered
 * but not finished), told apart by what the sockets saw, never by the driver's message. The connection handed out reads
 * with the spec's own {@code socketTimeout} (or none), as pgjdbc set it: HikariCP, which reads it to restore it after
 * its validation queries, sees that value. A timeout of zero (a spec's explicit {@code connectTimeout=0}) means no limit
 * at all: pgjdbc then waits as long as the server takes.
 *
 * <p><b>Fallback.</b> pgjdbc loads the socket factory by name, through its own class loader and then the thread's context
 * class loader. Where neither sees this class (pgjdbc in a server's shared libraries, pgdock in an application's), the
 * deadline is kept by read timeouts instead: the login runs with {@code socketTimeout} set to the timeout, which is put
 * back to the spec's with {@link Connection#setNetworkTimeout} before the connection is handed out. That bound is per
 * read, so such a login can take up to about twice the timeout; a warning is logged once.
 *
 * <p>Thread-safe: a static utility.
 */
public final class BoundedLogin {
    private static final Logger LOG = LoggerFactory.getLogger(BoundedLogin.class);
    private static final Driver DRIVER = new Driver();
    private static final Executor DIRECT = Runnable::run;

    /** Cleared when pgjdbc could not use the socket factory; from then on, read timeouts keep the deadline. */
    private static volatile boolean factoryUsable = true;

    /** Cleared when pgjdbc could not load {@link NoPasswordPlugin}. */
    private static volatile boolean pluginUsable = true;

    private static final String PLUGIN_PROPERTY = "authenticationPluginClassName";

    private BoundedLogin() {
    }

    /**
     * Opens a connection to {@code spec}'s servers and database with {@code properties}, the login bounded by
     * {@code timeout}.
     *
     * @param spec where to connect (its {@link ConnectionSpec#jdbcUrl()} is used)
     * @param properties the driver properties, usually {@link ConnectionSpec#driverProperties()} with the caller's
     *     defaults; not changed. Its {@code connectTimeout} is replaced by the timeout, in whole seconds rounded up.
     * @param timeout the limit for the whole login
     * @return the open connection; the caller closes it
     * @throws LoginTimeoutException if the login did not finish in time
     * @throws SQLException as the driver throws it for any other failure
     */
    public static Connection open(ConnectionSpec spec, Properties properties, LoginTimeout timeout) throws SQLException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(timeout, "timeout");
        Properties p = new Properties();
        p.putAll(Objects.requireNonNull(properties, "properties"));
        p.setProperty("connectTimeout", Long.toString(timeout.seconds()));
        if (timeout.unlimited()) {
            return connect(spec, p);
        }
        if (!factoryUsable) {
            return openWithReadTimeouts(spec, p, timeout);
        }
        Attempt attempt = Attempt.start(timeout.value());
        p.setProperty("socketFactory", LoginDeadlineSocketFactory.class.getName());
        p.setProperty("socketFactoryArg", attempt.id);
        Connection c;
        try {
            c = connect(spec, p);
        } catch (SQLException e) {
            attempt.end();
            if (attempt.expired) {
                throw new LoginTimeoutException(timeout, attempt.stage(), e);
            }
            if (!attempt.engaged && isReflectionFailure(e)) {
                factoryUnusable(e);
                p.remove("socketFactory");
                p.remove("socketFactoryArg");
                return openWithReadTimeouts(spec, p, timeout);
            }
            throw e;
        } catch (RuntimeException | Error e) {
            attempt.end();
            throw e;
        }
        attempt.end();
        if (!attempt.engaged) {
            // pgjdbc made a socket factory of another copy of this class (another class loader): unbounded, this time.
            factoryUnusable(null);
        }
        return c;
    }

    /** The fallback: the login's reads bounded by {@code socketTimeout}, then the spec's put back. */
    static Connection openWithReadTimeouts(ConnectionSpec spec, Properties p, LoginTimeout timeout)
            throws SQLException {
        String own = p.getProperty("socketTimeout");
        p.setProperty("socketTimeout", Long.toString(timeout.seconds()));
        Connection c;
        try {
            c = connect(spec, p);
        } catch (SQLException e) {
            if (hasCause(e, SocketTimeoutException.class)) {
                throw new LoginTimeoutException(timeout, LoginTimeoutException.Stage.UNKNOWN, e);
            }
            throw e;
        }
        try {
            c.setNetworkTimeout(DIRECT, own == null ? 0 : (int) Math.min(Integer.MAX_VALUE, Long.parseLong(own) * 1000));
            return c;
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Opens the connection. Without a password in {@code p}, pgjdbc is given {@link NoPasswordPlugin}, so that it does
     * not send a password of its own finding (it reads {@code ~/.pgpass} when none is given); pgdock reads the password
     * file itself. Where pgjdbc cannot load the plugin (another class loader), the login is retried without it, and a
     * warning says that pgjdbc may then read a password file itself.
     */
    private static Connection connect(ConnectionSpec spec, Properties p) throws SQLException {
        boolean plugin = p.getProperty("password") == null && pluginUsable;
        if (plugin) {
            p.setProperty(PLUGIN_PROPERTY, NoPasswordPlugin.class.getName());
        }
        try {
            return connectOnce(spec, p);
        } catch (SQLException e) {
            if (!plugin || !isReflectionFailure(e) || e.getMessage() == null
                    || !e.getMessage().contains(NoPasswordPlugin.class.getName())) {
                throw e;
            }
            if (pluginUsable) {
                pluginUsable = false;
                LOG.warn("pgjdbc cannot load {} (it loads classes through its own class loader and the thread's "
                        + "context class loader); a spec without a password is now handed to pgjdbc as it is, and "
                        + "pgjdbc may send the password of a password file it reads itself (~/.pgpass, PGPASSFILE, "
                        + "without libpq's permission check) ({})", NoPasswordPlugin.class.getName(),
                        SqlFailures.firstLine(e.getMessage()));
            }
            p.remove(PLUGIN_PROPERTY);
            return connectOnce(spec, p);
        }
    }

    private static Connection connectOnce(ConnectionSpec spec, Properties p) throws SQLException {
        Connection c = DRIVER.connect(spec.jdbcUrl(), p);
        if (c == null) {
            throw new SQLException("pgjdbc did not accept the URL " + spec.jdbcUrl(), "08001");
        }
        return c;
    }

    private static void factoryUnusable(@Nullable SQLException e) {
        if (factoryUsable) {
            factoryUsable = false;
            LOG.warn("pgjdbc cannot load {} (it loads classes through its own class loader and the thread's context "
                    + "class loader); logins are bounded by read timeouts instead, which can take up to twice the "
                    + "connect timeout{}", LoginDeadlineSocketFactory.class.getName(),
                    e == null ? "" : " (" + SqlFailures.firstLine(e.getMessage()) + ")");
        }
    }

    /** pgjdbc's failure to instantiate a socket factory has the reflective failure as its cause. */
    private static boolean isReflectionFailure(SQLException e) {
        return hasCause(e, ReflectiveOperationException.class) || hasCause(e, ClassCastException.class)
                || hasCause(e, LinkageError.class);
    }

    static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
