package io.pgdock.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * How {@link Storage#open(ConnectionSpec, StorageOptions)} opens the default storage: pool sizes and timeouts, whether
 * a missing schema may be created, and which migrations run at open.
 *
 * <table>
 * <caption>Options and defaults</caption>
 * <tr><th>option</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code maximumPoolSize}</td><td>10</td><td>most connections the pool opens</td></tr>
 * <tr><td>{@code minimumIdle}</td><td>1</td><td>idle connections the pool keeps open</td></tr>
 * <tr><td>{@code connectionTimeout}</td><td>10 s</td><td>longest wait to borrow a connection before an error</td></tr>
 * <tr><td>{@code idleTimeout}</td><td>10 min</td><td>an idle connection above {@code minimumIdle} is closed after it</td></tr>
 * <tr><td>{@code maxLifetime}</td><td>30 min</td><td>a connection is retired after it</td></tr>
 * <tr><td>{@code healthTimeout}</td><td>5 s</td><td>longest {@link Storage#health()} takes</td></tr>
 * <tr><td>{@code createSchema}</td><td>false</td><td>create the schema at open if it is missing</td></tr>
 * <tr><td>{@code autoMigrate}</td><td>true</td><td>apply pending migrations at open</td></tr>
 * <tr><td>{@code discoverMigrations}</td><td>true</td><td>include {@link MigrationProvider}s found on the class path</td></tr>
 * <tr><td>{@code migrations}</td><td>none</td><td>further migration sets to apply</td></tr>
 * <tr><td>{@code migrationSpec}</td><td>none</td><td>the owner role's spec: migrations at open run through one plain
 * connection as it, not as the runtime role (two-role deployments, see {@link Provisioning})</td></tr>
 * <tr><td>{@code poolName}</td><td>{@code pgdock-storage}</td><td>the pool's name in logs and thread names</td></tr>
 * <tr><td>{@code transactionPooling}</td><td>false</td><td>the spec reaches PostgreSQL through a transaction-mode
 *     pooler such as PgBouncer: no session state is set (see {@link Builder#transactionPooling(boolean)})</td></tr>
 * <tr><td>{@code dedicatedConnectionSpec}</td><td>none</td><td>where {@link Storage#dedicatedConnection()} connects,
 *     directly to PostgreSQL, for work that needs a session of its own such as the config store's {@code LISTEN}
 *     (see {@link Builder#dedicatedConnectionSpec(ConnectionSpec)})</td></tr>
 * <tr><td>{@code ticker}</td><td>{@link Ticker#system()}</td><td>measures the health check's latency and round trip;
 *     tests pass a fake (see {@link Builder#ticker(Ticker)})</td></tr>
 * <tr><td>{@code healthExecutor}</td><td>pgdock's shared health threads</td><td>runs each {@link Storage#health()}
 *     check's attempt (see {@link Builder#healthExecutor(Executor)}); a caller's executor is never shut down by
 *     pgdock</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe; the builder is not.
 */
public final class StorageOptions {
    private static final StorageOptions DEFAULTS = builder().build();

    private final int maximumPoolSize;
    private final int minimumIdle;
    private final Duration connectionTimeout;
    private final Duration idleTimeout;
    private final Duration maxLifetime;
    private final Duration healthTimeout;
    private final boolean createSchema;
    private final boolean autoMigrate;
    private final boolean discoverMigrations;
    private final List<MigrationSet> migrations;
    private final String poolName;
    private final boolean transactionPooling;
    private final @Nullable ConnectionSpec dedicatedConnectionSpec;
    private final @Nullable ConnectionSpec migrationSpec;
    private final Ticker ticker;
    private final @Nullable Executor healthExecutor;

    private StorageOptions(Builder b) {
        this.maximumPoolSize = b.maximumPoolSize;
        this.minimumIdle = b.minimumIdle;
        this.connectionTimeout = b.connectionTimeout;
        this.idleTimeout = b.idleTimeout;
        this.maxLifetime = b.maxLifetime;
        this.healthTimeout = b.healthTimeout;
        this.createSchema = b.createSchema;
        this.autoMigrate = b.autoMigrate;
        this.discoverMigrations = b.discoverMigrations;
        this.migrations = List.copyOf(b.migrations);
        this.poolName = b.poolName;
        this.transactionPooling = b.transactionPooling;
        this.dedicatedConnectionSpec = b.dedicatedConnectionSpec;
        this.migrationSpec = b.migrationSpec;
        this.ticker = b.ticker;
        this.healthExecutor = b.healthExecutor;
    }

    /**
     * The defaults in the table above.
     *
     * @return the default options
     */
    public static StorageOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return most connections the pool opens */
    public int maximumPoolSize() {
        return maximumPoolSize;
    }

    /** @return idle connections the pool keeps open */
    public int minimumIdle() {
        return minimumIdle;
    }

    /** @return longest wait to borrow a connection */
    public Duration connectionTimeout() {
        return connectionTimeout;
    }

    /** @return idle time after which a connection above the minimum is closed */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** @return age at which a connection is retired */
    public Duration maxLifetime() {
        return maxLifetime;
    }

    /** @return longest time a health check takes */
    public Duration healthTimeout() {
        return healthTimeout;
    }

    /** @return whether a missing schema is created at open */
    public boolean createSchema() {
        return createSchema;
    }

    /** @return whether pending migrations are applied at open */
    public boolean autoMigrate() {
        return autoMigrate;
    }

    /** @return whether migrations of {@link MigrationProvider}s on the class path are included */
    public boolean discoverMigrations() {
        return discoverMigrations;
    }

    /** @return migration sets given explicitly */
    public List<MigrationSet> migrations() {
        return migrations;
    }

    /** @return the pool's name */
    public String poolName() {
        return poolName;
    }

    /** @return whether the storage is reached through a transaction-mode pooler and sets no session state */
    public boolean transactionPooling() {
        return transactionPooling;
    }

    /** @return the owner role's spec that migrations at open run as, if set */
    public Optional<ConnectionSpec> migrationSpec() {
        return Optional.ofNullable(migrationSpec);
    }

    /** @return where {@link Storage#dedicatedConnection()} connects instead of the storage's own spec, if set */
    public Optional<ConnectionSpec> dedicatedConnectionSpec() {
        return Optional.ofNullable(dedicatedConnectionSpec);
    }

    /** @return what measures elapsed time */
    public Ticker ticker() {
        return ticker;
    }

    /** @return the caller's executor for health checks, or empty for pgdock's shared one */
    public Optional<Executor> healthExecutor() {
        return Optional.ofNullable(healthExecutor);
    }

    /** Options as they may be logged; a dedicated connection or migration spec is shown with its password masked. */
    @Override
    public String toString() {
        return "StorageOptions[maximumPoolSize=" + maximumPoolSize + ", minimumIdle=" + minimumIdle
                + ", connectionTimeout=" + connectionTimeout + ", idleTimeout=" + idleTimeout + ", maxLifetime="
                + maxLifetime + ", healthTimeout=" + healthTimeout + ", createSchema=" + createSchema
                + ", autoMigrate=" + autoMigrate + ", discoverMigrations=" + discoverMigrations + ", migrations="
                + migrations.stream().map(MigrationSet::module).toList() + ", poolName=" + poolName
                + ", transactionPooling=" + transactionPooling + ", dedicatedConnectionSpec="
                + (dedicatedConnectionSpec == null ? "none" : dedicatedConnectionSpec.toString()) + ", migrationSpec="
                + (migrationSpec == null ? "none" : migrationSpec.toString()) + "]";
    }

    /** Builds {@link StorageOptions}; each setter validates at once. Not thread-safe. */
    public static final class Builder {
        private int maximumPoolSize = 10;
        private int minimumIdle = 1;
        private Duration connectionTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofMinutes(10);
        private Duration maxLifetime = Duration.ofMinutes(30);
        private Duration healthTimeout = Duration.ofSeconds(5);
        private boolean createSchema;
        private boolean autoMigrate = true;
        private boolean discoverMigrations = true;
        private final List<MigrationSet> migrations = new ArrayList<>();
        private String poolName = "pgdock-storage";
        private boolean transactionPooling;
        private @Nullable ConnectionSpec dedicatedConnectionSpec;
        private @Nullable ConnectionSpec migrationSpec;
        private Ticker ticker = Ticker.system();
        private @Nullable Executor healthExecutor;

        private Builder() {
        }

        /**
         * Sets where {@link Storage#health()} runs its attempt (a login and one query, or a borrow and one query for
         * storage over an application's DataSource), so that {@code health()} itself returns within the health timeout
         * even when the server does not answer. Each storage has at most one attempt in flight: a check that finds one
         * still running waits for it instead of starting another, so a storage never holds more than one of the
         * executor's threads: for storage pgdock opened, for up to about the health timeout (the attempt's login and query
         * are bounded by it); for storage over an application's DataSource, for as long as that pool makes the borrow
         * wait, plus the query's health timeout.
         *
         * <p>pgdock never shuts this executor down: it is the caller's, and stays usable after the storage is closed.
         * If it rejects a task, the check reports DOWN saying so.
         *
         * <p>Without it, checks run on pgdock's health threads, shared by every storage in the process: daemon threads
         * named {@code pgdock-health-<n>}, made when a check needs one and ended after a minute idle, so they hold
         * nothing while nobody checks and need no closing.
         *
         * @param executor the executor
         * @return this builder
         */
        public Builder healthExecutor(Executor executor) {
            this.healthExecutor = Objects.requireNonNull(executor, "healthExecutor");
            return this;
        }

        /**
         * Sets what measures elapsed time: the latency and round trip a {@link Storage#health()} reports. Waits stay in
         * real time: the health timeout, the pool's connection timeout and the login are bounded by the clock of the
         * JDK and the driver, whatever the ticker says (see {@link Ticker}).
         *
         * @param ticker the ticker; {@link Ticker#system()} by default
         * @return this builder
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * Declares that the spec reaches PostgreSQL through a transaction-mode pooler such as PgBouncer
         * ({@code pool_mode = transaction}), where consecutive transactions of one client connection may run on
         * different server sessions, and a server session may be replaced at any time (PgBouncer reconnects after
         * {@code server_lifetime}, a failed server, or {@code RECONNECT}). Then the storage sets no session state: no
         * {@code SET} of {@code search_path} or timeouts on its connections (a {@code SET} would stay on one server
         * session while the next transaction runs on another), and pgjdbc's server-side prepared statements are off
         * ({@code prepareThreshold=0}) unless the spec sets {@code prepareThreshold}, since PgBouncer 1.18 cannot pool
         * them.
         *
         * <p>The spec's schema and timeouts must then be the role's own settings on the server, which every new server
         * session gets:
         * <pre>{@code
         * ALTER ROLE "app" IN DATABASE "app" SET search_path = "app";
         * ALTER ROLE "app" IN DATABASE "app" SET statement_timeout = 30000;
         * }</pre>
         * {@link Storage#open(ConnectionSpec, StorageOptions)} checks that they are, and fails with
         * {@link ConnectionFailedException.Reason#SEARCH_PATH} (the schema) or {@link ConnectionFailedException.Reason#OTHER}
         * (a timeout) naming the statements to run when they are not.
         *
         * <p>Without this mode, {@code open} refuses a spec that turns out to reach PostgreSQL through a pooler
         * (PgBouncer gives each client a backend process id of its own making, so the id pgjdbc was given at login is
         * not the server's {@code pg_backend_pid()}): its per-connection {@code SET search_path} cannot be trusted
         * there, and writes could land in another schema.
         *
         * <p>Work that needs a session, such as the config store's watches and read cache ({@code LISTEN}), needs a
         * direct connection: see {@link #dedicatedConnectionSpec(ConnectionSpec)}.
         *
         * @param on whether the spec reaches PostgreSQL through a transaction-mode pooler
         * @return this builder
         */
        public Builder transactionPooling(boolean on) {
            this.transactionPooling = on;
            return this;
        }

        /**
         * Sets where {@link Storage#dedicatedConnection()} connects: a spec that reaches the same database directly (or
         * through a pooler in session mode), for work that holds a session, such as the config store's {@code LISTEN}
         * for its watches and read cache. Behind a transaction-mode pooler ({@link #transactionPooling(boolean)}) that
         * work needs it: without it {@code dedicatedConnection()} throws {@link SessionRequiredException}, and so do a
         * watch and a cached config store. Its connections get the storage's schema (when the spec names none) and its
         * own timeouts as session settings, like the connections of storage without a pooler.
         *
         * @param spec a spec for the storage's database, reaching it without a transaction-mode pooler
         * @return this builder
         */
        public Builder dedicatedConnectionSpec(ConnectionSpec spec) {
            this.dedicatedConnectionSpec = Objects.requireNonNull(spec, "dedicatedConnectionSpec");
            return this;
        }

        /**
         * @param size 1 or more
         * @return this builder
         */
        public Builder maximumPoolSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("maximumPoolSize: must be at least 1, but was " + size);
            }
            this.maximumPoolSize = size;
            return this;
        }

        /**
         * @param idle 0 or more, at most {@code maximumPoolSize} (checked in {@link #build()})
         * @return this builder
         */
        public Builder minimumIdle(int idle) {
            if (idle < 0) {
                throw new IllegalArgumentException("minimumIdle: must be 0 or more, but was " + idle);
            }
            this.minimumIdle = idle;
            return this;
        }

        /**
         * @param timeout at least 250 ms (HikariCP's floor)
         * @return this builder
         */
        public Builder connectionTimeout(Duration timeout) {
            this.connectionTimeout = atLeast("connectionTimeout", timeout, Duration.ofMillis(250));
            return this;
        }

        /**
         * @param timeout at least 10 s (HikariCP's floor), or zero to never close idle connections
         * @return this builder
         */
        public Builder idleTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "idleTimeout");
            this.idleTimeout = timeout.isZero() ? timeout : atLeast("idleTimeout", timeout, Duration.ofSeconds(10));
            return this;
        }

        /**
         * @param lifetime at least 30 s (HikariCP's floor), or zero for no limit
         * @return this builder
         */
        public Builder maxLifetime(Duration lifetime) {
            Objects.requireNonNull(lifetime, "maxLifetime");
            this.maxLifetime = lifetime.isZero() ? lifetime : atLeast("maxLifetime", lifetime, Duration.ofSeconds(30));
            return this;
        }

        /**
         * @param timeout longer than zero
         * @return this builder
         */
        public Builder healthTimeout(Duration timeout) {
            this.healthTimeout = atLeast("healthTimeout", timeout, Duration.ofMillis(1));
            return this;
        }

        /**
         * @param create true to create a missing schema at open (the role then needs CREATE on the database)
         * @return this builder
         */
        public Builder createSchema(boolean create) {
            this.createSchema = create;
            return this;
        }

        /**
         * @param migrate false to leave pending migrations alone at open; print them with
         *     {@code Migrator.pendingSql} and apply them with {@link Migrator#apply} instead
         * @return this builder
         */
        public Builder autoMigrate(boolean migrate) {
            this.autoMigrate = migrate;
            return this;
        }

        /**
         * @param discover false to ignore {@link MigrationProvider}s on the class path
         * @return this builder
         */
        public Builder discoverMigrations(boolean discover) {
            this.discoverMigrations = discover;
            return this;
        }

        /**
         * The owner role's spec, for a two-role deployment ({@link Provisioning#withOwner(ConnectionSpec)}): pending
         * migrations at open are applied through one plain connection as this role, which owns the schema, so the
         * runtime role the storage opens with needs no CREATE. Its schema, if it names one, must be the storage's;
         * if it names none, the storage's is used. Without it, migrations run as the storage's own role.
         *
         * @param spec the owner's spec
         * @return this builder
         */
        public Builder migrationSpec(ConnectionSpec spec) {
            this.migrationSpec = Objects.requireNonNull(spec, "migrationSpec");
            return this;
        }

        /**
         * Adds a migration set to apply at open, besides discovered ones.
         *
         * @param set the set
         * @return this builder
         */
        public Builder addMigrations(MigrationSet set) {
            migrations.add(Objects.requireNonNull(set, "set"));
            return this;
        }

        /**
         * @param name the pool's name: letters, digits, {@code - _ .}, at most 63 characters
         * @return this builder
         */
        public Builder poolName(String name) {
            Objects.requireNonNull(name, "poolName");
            if (!name.matches("[A-Za-z0-9._-]{1,63}")) {
                throw new IllegalArgumentException("poolName: must be 1-63 of letters, digits, '.', '_', '-', but was "
                        + Values.show(name));
            }
            this.poolName = name;
            return this;
        }

        private static Duration atLeast(String field, Duration value, Duration floor) {
            Objects.requireNonNull(value, field);
            if (value.compareTo(floor) < 0) {
                throw new IllegalArgumentException(field + ": must be at least " + floor + ", but was " + value);
            }
            return value;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException if {@code minimumIdle} exceeds {@code maximumPoolSize}, two migration sets
         *     share a module name, or {@code idleTimeout} is not at least 1 s shorter than a {@code maxLifetime}
         *     (HikariCP would ignore it)
         */
        public StorageOptions build() {
            if (minimumIdle > maximumPoolSize) {
                throw new IllegalArgumentException("minimumIdle: must be at most maximumPoolSize (" + maximumPoolSize
                        + "), but was " + minimumIdle);
            }
            // HikariCP silently turns the idle timeout off when it is within a second of the lifetime.
            if (!idleTimeout.isZero() && !maxLifetime.isZero() && idleTimeout.plusSeconds(1).compareTo(maxLifetime) > 0) {
                throw new IllegalArgumentException("idleTimeout (" + idleTimeout + ") must be at least 1 s shorter than"
                        + " maxLifetime (" + maxLifetime + "), or zero; HikariCP would otherwise ignore it");
            }
            long modules = migrations.stream().map(MigrationSet::module).distinct().count();
            if (modules != migrations.size()) {
                throw new IllegalArgumentException("migrations: two sets have the same module name: "
                        + migrations.stream().map(MigrationSet::module).toList());
            }
            return new StorageOptions(this);
        }
    }
}
