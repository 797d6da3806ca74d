package io.pgdock.datasource;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.internal.BoundedLogin;
import io.pgdock.core.internal.ConnectRetry;
import io.pgdock.core.internal.LoginTimeout;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Opens the physical connections of one target: the {@link DataSource} its HikariCP pool draws from. Every connection
 * holds a permit of the factory's global limit ({@link PermitConnection}); when none is free, the factory is asked to
 * close idle connections of other targets, and the call waits up to the borrow timeout for one, asking again every 50 ms.
 * It keeps track of its open connections, so that closing the target's pool can close any that HikariCP let go of.
 *
 * <p>Every login is bounded as a whole by the target's connect timeout ({@link BoundedLogin}): a server that accepts the
 * TCP connection and never answers fails it within that time, on the calling thread, with nothing left blocked.
 *
 * <p>The first connection of a target is opened by the caller that first needs it (to check the target and report a
 * failure at once, typed) and then handed to the pool through {@link #handOff(Connection)}, so the check costs no extra
 * connection.
 *
 * <p>Thread-safe.
 */
final class TargetConnector implements DataSource {
    private static final long PERMIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ConnectionSpec spec;
    private final Properties properties;
    private final LoginTimeout timeout;
    private final Semaphore permits;
    private final int maximumConnections;
    private final long permitWaitNanos;
    private final TargetPool owner;
    private final AtomicReference<Connection> handoff = new AtomicReference<>();
    private final Set<PermitConnection> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private volatile int loginTimeoutSeconds;

    TargetConnector(ConnectionSpec spec, Properties properties, LoginTimeout timeout, Semaphore permits,
            int maximumConnections, long permitWaitNanos, TargetPool owner) {
        this.spec = spec;
        this.properties = properties;
        this.timeout = timeout;
        this.permits = permits;
        this.maximumConnections = maximumConnections;
        this.permitWaitNanos = permitWaitNanos;
        this.owner = owner;
    }

    /** Opens a physical connection within the global limit; the caller owns it. */
    Connection open() throws SQLException {
        requireOpen();
        acquirePermit();
        Connection c;
        try {
            c = BoundedLogin.open(spec, properties, timeout);
        } catch (SQLException | RuntimeException | Error e) {
            permits.release();
            throw e;
        }
        PermitConnection permitted = new PermitConnection(c, permits, open::remove);
        open.add(permitted);
        if (closed) {
            // The pool closed while this connection was being opened; closeAll() may have run already.
            closeQuietly(permitted);
            requireOpen();
        }
        return permitted;
    }

    private void requireOpen() throws SQLException {
        if (closed) {
            throw new SQLTransientConnectionException("the pool of this target has been closed", "08003");
        }
    }

    /** Waits for a connection slot in short slices, asking the factory to free one before each. */
    private void acquirePermit() throws SQLException {
        if (permits.tryAcquire()) {
            return;
        }
        long deadline = System.nanoTime() + permitWaitNanos;
        try {
            while (true) {
                owner.makeRoom();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                if (permits.tryAcquire(Math.min(left, PERMIT_SLICE_NANOS), TimeUnit.NANOSECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLTransientConnectionException("interrupted while waiting for a free connection slot", "08001",
                    e);
        }
        throw new LimitReachedException("all " + maximumConnections + " connections this factory may open "
                + "(FactoryOptions.maximumConnections) are in use, and none was freed within the borrow timeout");
    }

    /** Gives a checked connection to the pool, which takes it on its next connect; closes it if the pool is closed. */
    void handOff(Connection c) {
        closeQuietly(handoff.getAndSet(c));
        if (closed) {
            discardHandoff();
        }
    }

    /** Refuses further connections; those already open are closed by {@link #closeAll()}. */
    void close() {
        closed = true;
        discardHandoff();
    }

    /** Closes every physical connection of this target still open, and so gives back their slots. */
    void closeAll() {
        discardHandoff();
        for (PermitConnection c : open) {
            closeQuietly(c);
        }
    }

    /** Closes a connection handed off but not yet taken (the pool is being retired). */
    void discardHandoff() {
        closeQuietly(handoff.getAndSet(null));
    }

    /**
     * Called by HikariCP when it needs a connection. While callers wait, an attempt that finds no server to serve (or the
     * target in its back-off) is tried again on HikariCP's thread ({@link ConnectRetry}), so the pool takes a connection
     * a borrower's check handed off, or connects again, soon after the server is back instead of after HikariCP's own
     * back-off.
     */
    @Override
    public Connection getConnection() throws SQLException {
        return ConnectRetry.open(this::attempt, owner::demand);
    }

    private Connection attempt() throws SQLException {
        Connection ready = handoff.getAndSet(null);
        if (ready != null) {
            if (!ready.isClosed()) {
                return ready;
            }
            closeQuietly(ready);   // gives its slot back if the server closed it first
        }
        // A failing target is not contacted again until its back-off ends, however often the pool retries.
        owner.refuseIfFailing();
        try {
            return open();
        } catch (SQLException e) {
            owner.poolConnectFailed(e);
            throw e;
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("credentials come from the target's ConnectionSpec");
    }

    @Override
    public @Nullable PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // pgjdbc logs through java.util.logging; nothing to set.
    }

    @Override
    public void setLoginTimeout(int seconds) {
        // HikariCP passes its connection timeout here; the login is bounded by the target's connect timeout instead.
        this.loginTimeoutSeconds = seconds;
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeoutSeconds;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("pgdock does not log through java.util.logging");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    static void closeQuietly(@Nullable Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // Closing a connection we no longer need; nothing to do about a failure.
            }
        }
    }
}
