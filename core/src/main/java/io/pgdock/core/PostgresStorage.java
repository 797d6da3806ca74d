package io.pgdock.core;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.internal.BoundedLogin;
import io.pgdock.core.internal.LoginTimeout;
import io.pgdock.core.internal.SchemaAccess;
import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.ServiceLoader;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.jackson2.Jackson2Plugin;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Storage} on a HikariCP pool. */
final class PostgresStorage implements Storage {
    static final String DEFAULT_APPLICATION_NAME = "pgdock";

    private static final Logger LOG = LoggerFactory.getLogger(PostgresStorage.class);

    private final ConnectionSpec spec;
    private final StorageOptions options;
    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final Migrator migrator;
    private final BulkTransfer bulk;
    private final HealthProbe healthProbe;
    private final Properties properties;
    private final LoginTimeout timeout;

    private PostgresStorage(ConnectionSpec spec, StorageOptions options, HikariDataSource pool, Properties properties,
            LoginTimeout timeout) {
        this.spec = spec;
        this.options = options;
        this.pool = pool;
        this.properties = properties;
        this.timeout = timeout;
        this.healthProbe = new HealthProbe(spec, properties, options.healthTimeout(), this::poolStats);
        this.jdbi = Jdbi.create(pool).installPlugin(new PostgresPlugin()).installPlugin(new Jackson2Plugin());
        this.migrator = Migrator.of(pool, schema()).withOwner(spec.user());
        this.bulk = BulkTransfer.of(pool);
    }

    static Storage open(ConnectionSpec spec, StorageOptions options) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(options, "options");
        String schema = spec.schema().orElseThrow(() -> new InvalidConnectionSpecException("schema",
                "Storage needs a dedicated schema, but the spec names none; set PGDOCK_SCHEMA, currentSchema in the URL, "
                        + "or the builder's schema()"));
        Properties properties = spec.driverProperties();
        if (spec.applicationName().isEmpty()) {
            properties.setProperty("ApplicationName", DEFAULT_APPLICATION_NAME);
        }
        LoginTimeout timeout = LoginTimeout.of(spec);
        // One plain connection first: a bad target fails here with the driver's own error, at once, and the schema is
        // checked before any pool exists.
        boolean canCreate;
        try (Connection probe = connect(spec, properties, timeout)) {
            // The checks are bounded like the login: a server that logs in and then stalls must not hold open().
            if (!timeout.unlimited()) {
                probe.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, timeout.value().toMillis()));
            }
            canCreate = checkSchema(probe, spec.user(), spec.database(), spec.toString(), schema,
                    options.createSchema());
        } catch (SQLException e) {
            ConnectionFailedException failure = SqlFailures.deploymentFailure(e, spec.toString(), spec);
            if (failure != null) {
                throw failure;
            }
            throw new DataAccessException("checking schema " + Values.quoteIdentifier(schema) + " of " + spec
                    + " failed: " + SqlFailures.firstLine(e.getMessage()), e.getSQLState(), e);
        }
        HikariDataSource pool = startPool(spec, new LoginDataSource(spec, properties, timeout), options);
        boolean opened = false;
        try {
            PostgresStorage storage = new PostgresStorage(spec, options, pool, properties, timeout);
            migrate(storage.migrator, options, canCreate, spec.user(), schema);
            LOG.info("Opened storage {} in schema {}", spec, Values.quoteIdentifier(schema));
            opened = true;
            return storage;
        } finally {
            if (!opened) {
                pool.close();
            }
        }
    }

    /** Applies the pending migrations at open, unless automatic migration is off; refuses them without CREATE. */
    static void migrate(Migrator migrator, StorageOptions options, boolean canCreate, String role, String schema) {
        List<MigrationSet> sets = migrationSets(options);
        if (options.autoMigrate() && !sets.isEmpty()) {
            if (!canCreate && !migrator.pending(sets).isEmpty()) {
                throw new ConnectionFailedException(Reason.PRIVILEGE_MISSING, "role " + Values.show(role)
                        + " may not create objects in schema " + Values.quoteIdentifier(schema)
                        + ", and migrations are pending; grant it CREATE on the schema (the provisioning SQL makes it "
                        + "the owner), or apply the migrations as another role with autoMigrate off", "42501", null);
            }
            migrator.apply(sets);
        }
    }

    private static Connection connect(ConnectionSpec spec, Properties properties, LoginTimeout timeout) {
        try {
            return BoundedLogin.open(spec, properties, timeout);
        } catch (SQLException e) {
            throw SqlFailures.connectFailure(e, spec);
        }
    }

    private static HikariDataSource startPool(ConnectionSpec spec, LoginDataSource connections, StorageOptions options) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(options.poolName());
        config.setDataSource(connections);
        String initSql = spec.sessionInitSql();
        if (!initSql.isEmpty()) {
            config.setConnectionInitSql(initSql);
        }
        config.setReadOnly(spec.readOnly());
        config.setMaximumPoolSize(options.maximumPoolSize());
        config.setMinimumIdle(options.minimumIdle());
        config.setConnectionTimeout(options.connectionTimeout().toMillis());
        config.setIdleTimeout(options.idleTimeout().toMillis());
        config.setMaxLifetime(options.maxLifetime().toMillis());
        // The probe connection has just succeeded; open the first pooled one now too, so the first query is not slowed.
        config.setInitializationFailTimeout(1);
        try {
            return new HikariDataSource(config);
        } catch (HikariPool.PoolInitializationException e) {
            SQLException cause = findSqlException(e);
            if (cause == null) {
                throw new ConnectionFailedException(Reason.OTHER, "cannot start a pool for " + spec + ": "
                        + SqlFailures.firstLine(e.getMessage()), null, e);
            }
            throw SqlFailures.connectFailure(cause, spec);
        }
    }

    private static SQLException findSqlException(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException) {
                return (SQLException) c;
            }
        }
        return null;
    }

    /**
     * Checks that the schema exists (creating it if allowed) and that the role may use it.
     *
     * @param role the role connected as, for messages
     * @param database the database, for messages
     * @param target what was connected to, as it may be shown, for messages
     * @return whether the role may create objects in the schema
     */
    static boolean checkSchema(Connection c, String role, String database, String target, String schema,
            boolean create) throws SQLException {
        String quoted = Values.quoteIdentifier(schema);
        SchemaAccess state = SchemaAccess.of(c, schema);
        if (!state.exists()) {
            if (!create) {
                throw new ConnectionFailedException(Reason.SCHEMA_MISSING, "schema " + quoted + " does not exist in "
                        + "database " + Values.show(database) + " (" + target + "); create it with the "
                        + "provisioning SQL (Provisioning.forRuntime(spec).script()), or allow "
                        + "StorageOptions.createSchema(true)", "3F000", null);
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA IF NOT EXISTS " + quoted);
                LOG.info("Created schema {} in database {}", quoted, database);
            } catch (SQLException e) {
                if ("42501".equals(e.getSQLState())) {
                    throw new ConnectionFailedException(Reason.PRIVILEGE_MISSING, "schema " + quoted + " does not "
                            + "exist and role " + Values.show(role) + " may not create it in database "
                            + Values.show(database) + "; have a DBA run the provisioning SQL", "42501", e);
                }
                // 23505/42P06: another process created it at the same moment, which is what we wanted.
                if (!"23505".equals(e.getSQLState()) && !"42P06".equals(e.getSQLState())) {
                    throw e;
                }
            }
            state = SchemaAccess.of(c, schema);
        }
        if (!state.usage()) {
            throw new ConnectionFailedException(Reason.PRIVILEGE_MISSING, "role " + Values.show(role)
                    + " has no USAGE privilege on schema " + quoted + "; grant it, or make the role the schema's "
                    + "owner with the provisioning SQL", "42501", null);
        }
        return state.create();
    }

    static List<MigrationSet> migrationSets(StorageOptions options) {
        List<MigrationSet> sets = new ArrayList<>(options.migrations());
        if (options.discoverMigrations()) {
            for (MigrationProvider provider : ServiceLoader.load(MigrationProvider.class)) {
                MigrationSet set = provider.migrations();
                if (sets.stream().noneMatch(s -> s.module().equals(set.module()))) {
                    sets.add(set);
                }
            }
        }
        return sets;
    }

    @Override
    public ConnectionSpec spec() {
        return spec;
    }

    @Override
    public String schema() {
        return spec.schema().orElseThrow();
    }

    @Override
    public DataSource dataSource() {
        return pool;
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
    public Connection dedicatedConnection() {
        if (pool.isClosed()) {
            throw new IllegalStateException("storage is closed: " + this);
        }
        Connection c = connect(spec, properties, timeout);
        try {
            String initSql = spec.sessionInitSql();
            if (!initSql.isEmpty()) {
                int readTimeout = c.getNetworkTimeout();
                if (!timeout.unlimited()) {
                    // Set up within the connect timeout, like the pool's connections are.
                    c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, timeout.value().toMillis()));
                }
                try (Statement s = c.createStatement()) {
                    s.execute(initSql);
                }
                c.setNetworkTimeout(Runnable::run, readTimeout);
            }
            return c;
        } catch (SQLException e) {
            try {
                c.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw SqlFailures.connectFailure(e, spec);
        }
    }

    @Override
    public boolean isClosed() {
        return pool.isClosed();
    }

    @Override
    public Health health() {
        if (pool.isClosed()) {
            return Health.down(Duration.ZERO, "storage is closed", poolStats(), Instant.now());
        }
        return healthProbe.check();
    }

    private Health.PoolStats poolStats() {
        HikariPoolMXBean bean = pool.getHikariPoolMXBean();
        int max = options.maximumPoolSize();
        if (bean == null || pool.isClosed()) {
            return new Health.PoolStats(0, 0, 0, 0, max);
        }
        return new Health.PoolStats(bean.getActiveConnections(), bean.getIdleConnections(),
                bean.getThreadsAwaitingConnection(), bean.getTotalConnections(), max);
    }

    @Override
    public void close() {
        if (!pool.isClosed()) {
            pool.close();
            LOG.info("Closed storage {}", spec);
        }
    }

    @Override
    public String toString() {
        return "Storage[" + spec + "]";
    }
}
