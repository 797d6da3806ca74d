package io.pgdock.core;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.copy.BulkTransfer;
import io.pgdock.core.internal.BoundedLogin;
import io.pgdock.core.internal.ConnectRetry;
import io.pgdock.core.internal.LoginTimeout;
import io.pgdock.core.internal.RoleSettingsCheck;
import io.pgdock.core.internal.SchemaAccess;
import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.ResultSet;
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
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Storage} on a HikariCP pool. */
final class PostgresStorage implements Storage {
    static final String DEFAULT_APPLICATION_NAME = "pgdock";

    private static final Logger LOG = LoggerFactory.getLogger(PostgresStorage.class);

    private final ConnectionSpec spec;
    private final StorageOptions options;
    private final HikariDataSource pool;
    /** The pool as handed out: its timeouts carry the last failed connection attempt. */
    private final DataSource dataSource;
    private final Jdbi jdbi;
    private final Migrator migrator;
    private final BulkTransfer bulk;
    private final HealthProbe healthProbe;
    /** Where dedicated connections go, or null when there are none (transaction pooling without a direct spec). */
    private final @Nullable Dedicated dedicated;

    /** A spec that dedicated connections are opened with, its driver properties and its login bound. */
    private record Dedicated(ConnectionSpec spec, Properties properties, LoginTimeout timeout) {
    }

    private PostgresStorage(ConnectionSpec spec, StorageOptions options, HikariDataSource pool,
            LoginDataSource connections, Properties properties, LoginTimeout timeout) {
        this.spec = spec;
        this.options = options;
        this.pool = pool;
        this.dataSource = new PoolDataSource(pool, connections);
        this.dedicated = dedicated(spec, options, properties, timeout);
        this.healthProbe = new HealthProbe(spec, properties, this::poolStats, options);
        this.jdbi = Jdbi.create(dataSource).installPlugin(new PostgresPlugin()).installPlugin(new Jackson2Plugin());
        this.migrator = Migrator.of(dataSource, schema())
                .withOwner(options.migrationSpec().map(ConnectionSpec::user).orElse(spec.user()));
        this.bulk = BulkTransfer.of(dataSource);
    }

    static Storage open(ConnectionSpec spec, StorageOptions options) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(options, "options");
        String schema = spec.schema().orElseThrow(() -> new InvalidConnectionSpecException("schema",
                "Storage needs a dedicated schema, but the spec names none; set PGDOCK_SCHEMA, currentSchema in the URL, "
                        + "or the builder's schema()"));
        Properties properties = driverProperties(spec, options.transactionPooling());
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
            if (options.transactionPooling()) {
                RoleSettingsCheck.check(probe, spec, "the storage");
            } else {
                refuseUndeclaredPooler(probe, spec);
            }
        } catch (SQLException e) {
            ConnectionFailedException failure = SqlFailures.deploymentFailure(e, spec.toString(), spec);
            if (failure != null) {
                throw failure;
            }
            throw new DataAccessException("checking schema " + Values.quoteIdentifier(schema) + " of " + spec
                    + " failed: " + SqlFailures.firstLine(e.getMessage()), e.getSQLState(), e);
        }
        LoginDataSource connections = new LoginDataSource(spec, properties, timeout);
        HikariDataSource pool = startPool(spec, connections, options);
        connections.demand(() -> demand(pool, options));
        if (options.transactionPooling()) {
            LOG.info("Storage {} runs in transaction pooling mode: no session state is set; dedicated connections {}",
                    spec, options.dedicatedConnectionSpec().map(d -> "go to " + d).orElse("are not available"));
        }
        boolean opened = false;
        try {
            PostgresStorage storage = new PostgresStorage(spec, options, pool, connections, properties, timeout);
            if (options.migrationSpec().isPresent()) {
                migrateAsOwner(options, schema);
            } else {
                migrate(storage.migrator, options, canCreate, spec.user(), schema);
            }
            LOG.info("Opened storage {} in schema {}", spec, Values.quoteIdentifier(schema));
            opened = true;
            return storage;
        } finally {
            if (!opened) {
                pool.close();
            }
        }
    }

    /** The driver properties for a spec: its own, with the default application name, and behind a pooler no prepares. */
    static Properties driverProperties(ConnectionSpec spec, boolean transactionPooling) {
        Properties properties = spec.driverProperties();
        if (spec.applicationName().isEmpty()) {
            properties.setProperty("ApplicationName", DEFAULT_APPLICATION_NAME);
        }
        if (transactionPooling && !spec.options().containsKey("prepareThreshold")) {
            properties.setProperty("prepareThreshold", "0");
        }
        return properties;
    }

    /**
     * Refuses a connection that reaches PostgreSQL through a pooler the options do not declare. PgBouncer (like other
     * poolers) gives its clients a backend process id of its own making at login, so the id the driver was given is not
     * the server's {@code pg_backend_pid()}; directly they are the same process. Behind a transaction-mode pooler the
     * pool's per-connection {@code SET search_path} would stay on one server session while later transactions run on
     * others, and writes would land in whatever schema those sessions have.
     */
    static void refuseUndeclaredPooler(Connection c, ConnectionSpec spec) throws SQLException {
        int loginPid = c.unwrap(PGConnection.class).getBackendPID();
        int serverPid;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            serverPid = rs.getInt(1);
        }
        if (loginPid != serverPid) {
            throw new ConnectionFailedException(Reason.OTHER, spec + " reaches PostgreSQL through a connection pooler "
                    + "such as PgBouncer (the backend process id given at login, " + loginPid + ", is not the server's, "
                    + serverPid + "), and the storage was not told: set StorageOptions.transactionPooling(true), which "
                    + "sets no session state and needs the role's own settings (ALTER ROLE ... IN DATABASE ... SET "
                    + "search_path = ...; open then names the statements), and give LISTEN a direct connection with "
                    + "StorageOptions.dedicatedConnectionSpec(...); or connect to PostgreSQL directly", null, null);
        }
    }

    /**
     * Applies the pending migrations at open as the owner role of {@link StorageOptions#migrationSpec()}, through plain
     * connections (one at a time) of its own, unless automatic migration is off.
     */
    static void migrateAsOwner(StorageOptions options, String schema) {
        ConnectionSpec owner = options.migrationSpec().orElseThrow();
        if (owner.schema().isPresent() && !owner.schema().get().equals(schema)) {
            throw new IllegalArgumentException("migrationSpec: names schema " + Values.quoteIdentifier(owner.schema().get())
                    + ", but the storage's schema is " + Values.quoteIdentifier(schema) + "; use the same schema or none");
        }
        if (owner.schema().isEmpty()) {
            owner = owner.toBuilder().schema(schema).build();
        }
        List<MigrationSet> sets = migrationSets(options);
        if (!options.autoMigrate() || sets.isEmpty()) {
            return;
        }
        LoginDataSource connections = new LoginDataSource(owner, driverProperties(owner, false), LoginTimeout.of(owner));
        Migrator.of(connections, schema).apply(sets);
    }

    /** Applies the pending migrations at open, unless automatic migration is off; refuses them without CREATE. */
    static void migrate(Migrator migrator, StorageOptions options, boolean canCreate, String role, String schema) {
        List<MigrationSet> sets = migrationSets(options);
        if (options.autoMigrate() && !sets.isEmpty()) {
            if (!canCreate && !migrator.pending(sets).isEmpty()) {
                throw new ConnectionFailedException(Reason.PRIVILEGE_MISSING, "role " + Values.show(role)
                        + " may not create objects in schema " + Values.quoteIdentifier(schema)
                        + ", and migrations are pending; apply them as the schema's owner (StorageOptions.migrationSpec"
                        + "(ownerSpec), or 'pgdock migrate' with the owner's URL), or, with one role, make it the "
                        + "owner (the provisioning SQL)", "42501", null);
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

    /** What the pool wants now, for {@link ConnectRetry}: connections for callers waiting, or up to its minimum idle. */
    static ConnectRetry.Demand demand(HikariDataSource pool, StorageOptions options) {
        HikariPoolMXBean bean = pool.getHikariPoolMXBean();
        if (bean == null || pool.isClosed()) {
            return ConnectRetry.Demand.NONE;
        }
        if (bean.getThreadsAwaitingConnection() > 0) {
            return ConnectRetry.Demand.WAITING;
        }
        return bean.getIdleConnections() < options.minimumIdle()
                && bean.getTotalConnections() < options.maximumPoolSize()
                ? ConnectRetry.Demand.REFILL : ConnectRetry.Demand.NONE;
    }

    private static HikariDataSource startPool(ConnectionSpec spec, LoginDataSource connections, StorageOptions options) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(options.poolName());
        config.setDataSource(connections);
        String initSql = spec.sessionInitSql();
        if (!options.transactionPooling() && !initSql.isEmpty()) {
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

    private static @Nullable SQLException findSqlException(Throwable t) {
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
                if ("25006".equals(e.getSQLState())) {
                    throw new ConnectionFailedException(Reason.READ_ONLY, "schema " + quoted + " does not exist in "
                            + "database " + Values.show(database) + " (" + target + "), and it cannot be created "
                            + "here: the server is a standby or the session is read-only; create it on the primary "
                            + "(the provisioning SQL, or Storage.open there with createSchema)", "25006", e);
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

    private static @Nullable Dedicated dedicated(ConnectionSpec spec, StorageOptions options, Properties properties,
            LoginTimeout timeout) {
        if (options.dedicatedConnectionSpec().isPresent()) {
            ConnectionSpec direct = options.dedicatedConnectionSpec().get();
            if (direct.schema().isEmpty()) {
                direct = direct.toBuilder().schema(spec.schema().orElseThrow()).build();
            }
            return new Dedicated(direct, driverProperties(direct, false), LoginTimeout.of(direct));
        }
        return options.transactionPooling() ? null : new Dedicated(spec, properties, timeout);
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
        return dataSource;
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
    public boolean dedicatedConnectionsAvailable() {
        return dedicated != null;
    }

    @Override
    public Connection dedicatedConnection() {
        if (pool.isClosed()) {
            throw new IllegalStateException("storage is closed: " + this);
        }
        if (dedicated == null) {
            throw new SessionRequiredException(this + " runs in transaction pooling mode, where a session does not "
                    + "outlive a transaction, so it has no connection of its own to give (for LISTEN and the like); "
                    + "set StorageOptions.dedicatedConnectionSpec(...) to a spec that reaches the database directly");
        }
        ConnectionSpec spec = dedicated.spec;
        LoginTimeout timeout = dedicated.timeout;
        Connection c = connect(spec, dedicated.properties, timeout);
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
