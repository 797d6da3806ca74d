package io.pgdock.core;

import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * What {@link Storage#dataSource()} hands out: the storage's HikariCP pool, whose wait timeouts carry the reason no
 * connection could be opened. HikariCP attaches its last failed connection attempt to the timeout it throws; while
 * {@link LoginDataSource} keeps retrying an unreachable server for the callers waiting ({@code ConnectRetry}), HikariCP
 * has seen no failure yet, so this attaches the retries' last one, as HikariCP would have: same message, that failure's
 * SQLSTATE, that failure as the cause. Without it, a wait that timed out while a connection was lent would read as an
 * exhausted pool. Thread-safe.
 */
final class PoolDataSource implements DataSource {
    private final HikariDataSource pool;
    private final LoginDataSource connections;

    PoolDataSource(HikariDataSource pool, LoginDataSource connections) {
        this.pool = pool;
        this.connections = connections;
    }

    @Override
    public Connection getConnection() throws SQLException {
        try {
            return pool.getConnection();
        } catch (SQLTransientConnectionException e) {
            SQLException last = connections.lastFailure();
            if (e.getCause() != null || last == null) {
                throw e;
            }
            SQLTransientConnectionException withCause = new SQLTransientConnectionException(e.getMessage(),
                    last.getSQLState(), last);
            withCause.setStackTrace(e.getStackTrace());
            throw withCause;
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("credentials come from the storage's ConnectionSpec");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return pool.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        return pool.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || pool.isWrapperFor(iface);
    }

    @Override
    public String toString() {
        return "PoolDataSource[" + connections + "]";
    }
}
