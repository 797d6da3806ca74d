package io.pgdock.core;

import io.pgdock.core.internal.BoundedLogin;
import io.pgdock.core.internal.ConnectRetry;
import io.pgdock.core.internal.LoginTimeout;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The unpooled {@link DataSource} the storage's HikariCP pool draws from: every connection is opened by
 * {@link BoundedLogin}, so a pooled connection's login is bounded like the first one's, and it reaches the pool with the
 * spec's own {@code socketTimeout} (or none) as its network timeout, which HikariCP reads and restores after its own
 * checks. While the pool wants a connection, an attempt that finds no server to serve is tried again on the pool's
 * thread ({@link ConnectRetry}), so the pool connects again soon after the server is back (after a restart or a failover)
 * instead of after HikariCP's own back-off. Thread-safe.
 */
final class LoginDataSource implements DataSource {
    private final ConnectionSpec spec;
    private final Properties properties;
    private final LoginTimeout timeout;
    private volatile int loginTimeoutSeconds;
    /** The last attempt's failure, or null once an attempt succeeded; for {@link PoolDataSource}. */
    private volatile @Nullable SQLException lastFailure;
    /** What the pool wants; nothing until the pool is started, so a failure at start is reported at once. */
    private volatile Supplier<ConnectRetry.Demand> demand = () -> ConnectRetry.Demand.NONE;

    LoginDataSource(ConnectionSpec spec, Properties properties, LoginTimeout timeout) {
        this.spec = spec;
        this.properties = new Properties();
        this.properties.putAll(properties);
        this.timeout = timeout;
    }

    /** Tells this what the pool that draws from it wants, for the retries of {@link ConnectRetry}. */
    void demand(Supplier<ConnectRetry.Demand> poolDemand) {
        this.demand = poolDemand;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return ConnectRetry.open(() -> {
            try {
                Connection c = BoundedLogin.open(spec, properties, timeout);
                lastFailure = null;
                return c;
            } catch (SQLException e) {
                lastFailure = e;
                throw e;
            }
        }, demand);
    }

    /** The failure of the last attempt to open a connection, or null if it succeeded (or none was made). */
    @Nullable SQLException lastFailure() {
        return lastFailure;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("credentials come from the storage's ConnectionSpec");
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
        // HikariCP passes its connection timeout here; the login is bounded by the spec's connect timeout instead.
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

    /** The spec, password masked. */
    @Override
    public String toString() {
        return "LoginDataSource[" + spec + "]";
    }
}
