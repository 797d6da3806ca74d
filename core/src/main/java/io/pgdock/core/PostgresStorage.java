package io.pgdock.core;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
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

    /**
     * Runs health checks so that a check can give up after its timeout even while the pool blocks. Daemon threads that
     * end after a minute idle; shared by every storage in the process.
     */
    private static final ExecutorService HEALTH_CHECKS = Executors.newCachedThreadPool(new DaemonThreads("pgdock-health-"));

    private final ConnectionSpec spec;
    private final StorageOptions options;
    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final Migrator migrator;
    private final BulkTransfer bulk;

    private PostgresStorage(ConnectionSpec spec, StorageOptions options, HikariDataSource pool) {
        this.spec = spec;
        this.options = options;
        this.pool = pool;
        this.jdbi = Jdbi.create(pool).installPlugin(new PostgresPlugin()).installPlugin(new Jackson2Plugin());
        this.migrator = Migrator.of(pool, schema());
        this.bulk = BulkTransfer.of(pool);
    }

    static Storage open(ConnectionSpec spec, StorageOptions options) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(options, "options");
        String schema = spec.schema().orElseThrow(() -> new InvalidConnectionSpecException("schema",
                "Storage needs a dedicated schema, but the spec names none; set PGDOCK_SCHEMA, currentSchema in the URL, "
                        + "or the builder's schema()"));
        HikariDataSource pool = startPool(spec, options);
        try {
            boolean canCreate = checkSchema(pool, spec, schema, options.createSchema());
            List<MigrationSet> sets = migrationSets(options);
            PostgresStorage storage = new PostgresStorage(spec, options, pool);
            if (options.autoMigrate() && !sets.isEmpty()) {
                if (!canCreate && !storage.migrator.pending(sets).isEmpty()) {
                    throw new ConnectionFailedException(Reason.PRIVILEGE_MISSING, "role " + Values.show(spec.user())
                            + " may not create objects in schema " + Values.quoteIdentifier(schema)
                            + ", and migrations are pending; grant it CREATE on the schema (the provisioning SQL makes it "
                            + "the owner), or apply the migrations as another role with autoMigrate off", "42501", null);
                }
                storage.migrator.apply(sets);
            }
            LOG.info("Opened storage {} in schema {}", spec, Values.quoteIdentifier(schema));
            return storage;
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    private static HikariDataSource startPool(ConnectionSpec spec, StorageOptions options) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(options.poolName());
        config.setJdbcUrl(spec.jdbcUrl());
        var properties = spec.driverProperties();
        if (spec.applicationName().isEmpty()) {
            properties.setProperty("ApplicationName", DEFAULT_APPLICATION_NAME);
        }
        config.setDataSourceProperties(properties);
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
        // Try one connection now, once: a bad target fails in open(), not on first use.
        config.setInitializationFailTimeout(1);
        try {
            return new HikariDataSource(config);
        } catch (HikariPool.PoolInitializationException e) {
            SQLException cause = findSqlException(e);
            if (cause == null) {
                throw new ConnectionFailedException(Reason.OTHER, "cannot start a pool for " + spec + ": "
                        + SqlFailures.firstLine(e.getMessage()), null, e);
            }
            throw SqlFailures.connectFailure(cause, spec.toString());
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
     * @return whether the role may create objects in the schema
     */
    private static boolean checkSchema(DataSource pool, ConnectionSpec spec, String schema, boolean create) {
        String quoted = Values.quoteIdentifier(schema);
        try (Connection c = pool.getConnection()) {
            boolean[] state = schemaState(c, schema);
            if (!state[0]) {
                if (!create) {
                    throw new ConnectionFailedException(Reason.SCHEMA_MISSING, "schema " + quoted + " does not exist in "
                            + "database " + Values.show(spec.database()) + " (" + spec + "); create it with the "
                            + "provisioning SQL (Provisioning.forRuntime(spec).script()), or allow "
                            + "StorageOptions.createSchema(true)", "3F000", null);
                }
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE SCHEMA IF NOT EXISTS " + quoted);
                } catch (SQLException e) {
                    if ("42501".equals(e.getSQLState())) {
                        throw new ConnectionFailedException(Reason.PRIVILEGE_MISSING, "schema " + quoted + " does not "
                                + "exist and role " + Values.show(spec.user()) + " may not create it in database "
                                + Values.show(spec.database()) + "; have a DBA run the provisioning SQL", "42501", e);
                    }
                    throw e;
                }
                LOG.info("Created schema {} in database {}", quoted, spec.database());
                state = schemaState(c, schema);
            }
            if (!state[1]) {
                throw new ConnectionFailedException(Reason.PRIVILEGE_MISSING, "role " + Values.show(spec.user())
                        + " has no USAGE privilege on schema " + quoted + "; grant it, or make the role the schema's "
                        + "owner with the provisioning SQL", "42501", null);
            }
            return state[2];
        } catch (SQLException e) {
            throw SqlFailures.connectFailure(e, spec.toString());
        }
    }

    /** {exists, usage, create}. */
    private static boolean[] schemaState(Connection c, String schema) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT n.oid IS NOT NULL, "
                + "coalesce(has_schema_privilege(n.oid, 'USAGE'), false), "
                + "coalesce(has_schema_privilege(n.oid, 'CREATE'), false) "
                + "FROM (SELECT 1) one LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = ?")) {
            s.setString(1, schema);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new boolean[] {rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3)};
            }
        }
    }

    private static List<MigrationSet> migrationSets(StorageOptions options) {
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
    public Health health() {
        Instant checkedAt = Instant.now();
        long start = System.nanoTime();
        Duration timeout = options.healthTimeout();
        if (pool.isClosed()) {
            return Health.down(Duration.ZERO, "storage is closed", poolStats(), checkedAt);
        }
        Future<String> check;
        try {
            check = HEALTH_CHECKS.submit(() -> serverVersion(timeout));
        } catch (RejectedExecutionException e) {
            return Health.down(Duration.ZERO, "cannot start a health check: " + e, poolStats(), checkedAt);
        }
        try {
            String version = check.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return Health.up(Duration.ofNanos(System.nanoTime() - start), version, poolStats(), checkedAt);
        } catch (TimeoutException e) {
            check.cancel(true);
            return Health.down(Duration.ofNanos(System.nanoTime() - start), "no answer within " + timeout, poolStats(),
                    checkedAt);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String error = cause instanceof SQLException
                    ? SqlFailures.connectFailure((SQLException) cause, spec.toString()).getMessage()
                    : String.valueOf(cause);
            return Health.down(Duration.ofNanos(System.nanoTime() - start), error, poolStats(), checkedAt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            check.cancel(true);
            return Health.down(Duration.ofNanos(System.nanoTime() - start), "interrupted", poolStats(), checkedAt);
        }
    }

    private String serverVersion(Duration timeout) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
            try (ResultSet rs = s.executeQuery("SELECT current_setting('server_version')")) {
                rs.next();
                return rs.getString(1);
            }
        }
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

    /** Names threads with a prefix and a counter, and makes them daemons. */
    static final class DaemonThreads implements java.util.concurrent.ThreadFactory {
        private final String prefix;
        private final AtomicInteger count = new AtomicInteger();

        DaemonThreads(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, prefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
