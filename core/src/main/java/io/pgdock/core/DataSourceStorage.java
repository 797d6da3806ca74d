package io.pgdock.core;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.copy.BulkTransfer;
import io.pgdock.core.internal.SqlFailures;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.jackson2.Jackson2Plugin;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.slf4j.LoggerFactory;

/**
 * {@link Storage} over a {@link DataSource} the application owns ({@link Storage#over}): pgdock borrows from it, checks
 * that its sessions work in the storage schema, and never closes it.
 *
 * <p>Thread-safe: the closed flag is volatile; everything else is immutable or thread-safe itself.
 */
final class DataSourceStorage implements Storage {
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(DataSourceStorage.class);
    private static final Executor DIRECT = Runnable::run;
    private static final String BORROWED_UNANSWERED = "no connection came from the application's DataSource, or the "
            + "server did not answer on it, in time; its pool may have none free (a busy pool reports DOWN here), or "
            + "the server is down or overloaded";

    private final DataSource owned;
    private final String schema;
    private final String description;
    private final View view;
    private final Jdbi jdbi;
    private final Migrator migrator;
    private final BulkTransfer bulk;
    private final HealthProbe healthProbe;
    private volatile boolean closed;

    private DataSourceStorage(DataSource owned, String schema, String role, StorageOptions options) {
        this.owned = owned;
        this.schema = schema;
        this.description = describe(owned, schema);
        this.view = new View();
        this.jdbi = Jdbi.create(view).installPlugin(new PostgresPlugin()).installPlugin(new Jackson2Plugin());
        this.migrator = Migrator.of(view, schema).withOwner(role);
        this.bulk = BulkTransfer.of(view);
        Duration healthTimeout = options.healthTimeout();
        Ticker ticker = options.ticker();
        this.healthProbe = new HealthProbe(() -> check(healthTimeout, ticker), description, BORROWED_UNANSWERED,
                this::poolStats, options);
    }

    static Storage over(DataSource dataSource, String schema, StorageOptions options) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(options, "options");
        Values.checkSchema("schema", schema);
        String description = describe(dataSource, schema);
        String role;
        boolean canCreate;
        Connection c;
        try {
            c = dataSource.getConnection();
        } catch (SQLException e) {
            throw SqlFailures.connectFailure(e, description);
        }
        try (c) {
            String database;
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT current_user, current_database()")) {
                rs.next();
                role = rs.getString(1);
                database = rs.getString(2);
            }
            canCreate = PostgresStorage.checkSchema(c, role, database, description, schema, options.createSchema());
            checkSearchPath(c, schema, role, database, description);
        } catch (SQLException e) {
            ConnectionFailedException failure = SqlFailures.deploymentFailure(e, description, null);
            if (failure != null) {
                throw failure;
            }
            throw new DataAccessException("checking schema " + Values.quoteIdentifier(schema) + " of " + description
                    + " failed: " + SqlFailures.firstLine(e.getMessage()), e.getSQLState(), e);
        }
        DataSourceStorage storage = new DataSourceStorage(dataSource, schema, role, options);
        PostgresStorage.migrate(storage.migrator, options, canCreate, role, schema);
        LOG.info("Opened storage over {}", description);
        return storage;
    }

    /** The storage schema must be the sessions' current schema: the first existing schema on their search_path. */
    private static void checkSearchPath(Connection c, String schema, String role, String database, String description)
            throws SQLException {
        String current;
        String searchPath;
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_schema(), current_setting('search_path')")) {
            rs.next();
            current = rs.getString(1);
            searchPath = rs.getString(2);
        }
        if (!schema.equals(current)) {
            throw searchPathRefused(schema, current, searchPath, role, database, description);
        }
    }

    private static ConnectionFailedException searchPathRefused(String schema, String current, String searchPath,
            String role, String database, String description) {
        String quoted = Values.quoteIdentifier(schema);
        return new ConnectionFailedException(Reason.SEARCH_PATH, "the connections of " + description + " have "
                + "search_path " + Values.show(searchPath) + (current == null ? ", so no current schema"
                        : ", so their current schema is " + Values.quoteIdentifier(current))
                + ", not the storage schema " + quoted + ", and pgdock does not set it on a pool it does not own; put "
                + quoted + " first on every connection of that pool: currentSchema=" + schema + " in its JDBC URL, or "
                + "its connection-init SQL SET search_path TO " + quoted + ", pg_catalog (HikariCP connectionInitSql; "
                + "Spring Boot spring.datasource.hikari.connection-init-sql), or ALTER ROLE "
                + Values.quoteIdentifier(role) + " IN DATABASE " + Values.quoteIdentifier(database)
                + " SET search_path = " + quoted + ", pg_catalog", null, null);
    }

    private static String describe(DataSource dataSource, String schema) {
        // The class only: a DataSource's toString may show its URL, and so a password.
        return "the application's DataSource (" + dataSource.getClass().getSimpleName() + ", schema "
                + Values.quoteIdentifier(schema) + ")";
    }

    /** One health check on a borrowed connection: the query bounded by the health timeout, the search_path checked. */
    private HealthProbe.Result check(Duration timeout, Ticker ticker) throws SQLException {
        try (Connection c = owned.getConnection()) {
            int saved = c.getNetworkTimeout();
            c.setNetworkTimeout(DIRECT, (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
            try (Statement s = c.createStatement()) {
                long start = ticker.read();
                try (ResultSet rs = s.executeQuery("SELECT current_setting('server_version'), current_schema(), "
                        + "current_setting('search_path'), current_user, current_database()")) {
                    rs.next();
                    long roundTrip = ticker.read() - start;
                    if (!schema.equals(rs.getString(2))) {
                        throw searchPathRefused(schema, rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getString(5), description);
                    }
                    return new HealthProbe.Result(rs.getString(1), roundTrip);
                }
            } finally {
                c.setNetworkTimeout(DIRECT, saved);
            }
        }
    }

    private Health.PoolStats poolStats() {
        try {
            if (owned.isWrapperFor(HikariDataSource.class)) {
                HikariDataSource hikari = owned.unwrap(HikariDataSource.class);
                HikariPoolMXBean bean = hikari.getHikariPoolMXBean();
                if (bean != null && !hikari.isClosed()) {
                    return new Health.PoolStats(bean.getActiveConnections(), bean.getIdleConnections(),
                            bean.getThreadsAwaitingConnection(), bean.getTotalConnections(),
                            hikari.getMaximumPoolSize());
                }
            }
        } catch (SQLException | RuntimeException e) {
            // Counts are a courtesy; a DataSource that cannot tell has none.
        }
        return new Health.PoolStats(0, 0, 0, 0, 0);
    }

    /** There is none: pgdock did not open these connections. */
    @Override
    public ConnectionSpec spec() {
        throw new UnsupportedOperationException("storage over " + description + " has no ConnectionSpec: the "
                + "application's DataSource opens its connections");
    }

    @Override
    public String schema() {
        return schema;
    }

    @Override
    public DataSource dataSource() {
        return view;
    }

    @Override
    public Jdbi jdbi() {
        return jdbi;
    }

    @Override
    public BulkTransfer bulk() {
        return bulk;
    }

    @Override
    public Migrator migrator() {
        return migrator;
    }

    @Override
    public Health health() {
        if (closed) {
            return Health.down(Duration.ZERO, "storage is closed", poolStats(), Instant.now());
        }
        return healthProbe.check();
    }

    @Override
    public Connection dedicatedConnection() {
        if (closed) {
            throw new IllegalStateException("storage is closed: " + this);
        }
        try {
            Connection c = owned.getConnection();
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            return c;
        } catch (SQLException e) {
            throw SqlFailures.connectFailure(e, description);
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    /** Stops lending through {@link #dataSource()}; the application's DataSource stays open. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LOG.info("Closed storage over {} (the DataSource stays open)", description);
        }
    }

    @Override
    public String toString() {
        return "Storage[" + description + "]";
    }

    /** The application's DataSource as the storage lends it: refuses once the storage is closed. */
    private final class View implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            if (closed) {
                throw new SQLTransientConnectionException("storage over " + description + " is closed", "08003");
            }
            return owned.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLFeatureNotSupportedException("the storage lends the application's DataSource's own "
                    + "connections; ask that DataSource for others");
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return owned.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            throw new SQLFeatureNotSupportedException("configure the application's DataSource itself");
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            throw new SQLFeatureNotSupportedException("configure the application's DataSource itself");
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return owned.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return owned.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            if (iface.isInstance(this)) {
                return iface.cast(this);
            }
            return owned.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return iface.isInstance(this) || owned.isWrapperFor(iface);
        }

        @Override
        public String toString() {
            return "DataSource[" + description + (closed ? ", closed" : "") + "]";
        }
    }
}
