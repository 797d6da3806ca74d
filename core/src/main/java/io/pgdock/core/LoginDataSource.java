package io.pgdock.core;

import io.pgdock.core.internal.BoundedLogin;
import io.pgdock.core.internal.LoginTimeout;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The unpooled {@link DataSource} the storage's HikariCP pool draws from: every connection is opened by
 * {@link BoundedLogin}, so a pooled connection's login is bounded like the first one's, and it reaches the pool with the
 * spec's own {@code socketTimeout} (or none) as its network timeout, which HikariCP reads and restores after its own
 * checks. Thread-safe.
 */
final class LoginDataSource implements DataSource {
    private final ConnectionSpec spec;
    private final Properties properties;
    private final LoginTimeout timeout;
    private volatile int loginTimeoutSeconds;

    LoginDataSource(ConnectionSpec spec, Properties properties, LoginTimeout timeout) {
        this.spec = spec;
        this.properties = new Properties();
        this.properties.putAll(properties);
        this.timeout = timeout;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return BoundedLogin.open(spec, properties, timeout);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("credentials come from the storage's ConnectionSpec");
    }

    @Override
    public PrintWriter getLogWriter() {
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
