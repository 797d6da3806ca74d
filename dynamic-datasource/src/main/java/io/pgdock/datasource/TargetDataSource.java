package io.pgdock.datasource;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.jackson2.Jackson2Plugin;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jspecify.annotations.Nullable;

/**
 * The handle {@link PooledDataSourceFactory#get} returns: a {@link DataSource} that lends connections from its target's
 * current pool, and moves to a new pool when that one is retired (evicted, or replaced after a password change).
 *
 * <p><b>Concurrency.</b> {@link #getConnection()} enters the pool it last used ({@link TargetPool#enter()}) before it
 * borrows, and leaves afterwards; a retired pool refuses entry, so a caller never borrows from a pool that may be closing.
 * On refusal the handle asks the factory for the pool to use now and remembers it. No lock on the fast path, no
 * thread-bound state: thread-safe, and safe to share across executors and asynchronous code.
 */
final class TargetDataSource implements DataSource {
    private final PooledDataSourceFactory factory;
    private final @Nullable String name;
    private volatile TargetPool pool;
    private volatile @Nullable Jdbi jdbi;

    TargetDataSource(PooledDataSourceFactory factory, @Nullable String name, TargetPool pool) {
        this.factory = factory;
        this.name = name;
        this.pool = pool;
    }

    /** The target name this handle was asked for by, or null for a handle asked for by spec. */
    @Nullable String name() {
        return name;
    }

    TargetPool pool() {
        return pool;
    }

    @Override
    public Connection getConnection() throws SQLException {
        TargetPool p = pool;
        while (true) {
            if (p.enter()) {
                try {
                    return p.borrow();
                } catch (TargetPool.Retired retired) {
                    // Retired while this caller waited in it: ask for the pool to use now, below.
                } finally {
                    p.exit();
                }
            }
            p = factory.replacement(this, p);
            pool = p;
        }
    }

    Jdbi jdbi() {
        Jdbi j = jdbi;
        if (j == null) {
            synchronized (this) {
                j = jdbi;
                if (j == null) {
                    j = Jdbi.create(this).installPlugin(new PostgresPlugin()).installPlugin(new Jackson2Plugin());
                    jdbi = j;
                }
            }
        }
        return j;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("credentials come from the target's ConnectionSpec; ask the factory "
                + "for a handle on a spec with those credentials");
    }

    @Override
    public @Nullable PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        throw new SQLFeatureNotSupportedException("pgdock logs through SLF4J");
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        throw new SQLFeatureNotSupportedException("set connectTimeout on the ConnectionSpec or the FactoryOptions");
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("pgdock logs through SLF4J");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("a pgdock target handle wraps no " + iface.getName()
                + "; its pool may be replaced at any time");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    /** The target, for logs: label and masked spec. */
    @Override
    public String toString() {
        TargetPool p = pool;
        return "TargetDataSource[" + (name != null ? name : p.label()) + " " + p.spec() + "]";
    }
}
