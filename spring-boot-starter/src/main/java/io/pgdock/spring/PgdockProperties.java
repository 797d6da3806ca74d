package io.pgdock.spring;

import io.pgdock.core.SslMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code pgdock.*} properties: where the storage connects, with the library's own names ({@code pgdock.url} is
 * {@code PGDOCK_URL}, {@code pgdock.config.keys} is {@code PGDOCK_CONFIG_KEYS}, {@code pgdock.target.warehouse.url} is
 * {@code PGDOCK_TARGET_WAREHOUSE_URL}), and the options of the storage, the config store and the data source factory.
 *
 * <p>The connection settings are read as {@link io.pgdock.core.ConnectionSpec#fromEnvironment(Map)} reads the
 * environment: the same precedence (the URL, then its service, then each field, then the password file) and the same
 * validation. Spring's relaxed binding makes an environment variable and a property the same setting, so a deployment
 * that already sets {@code PGDOCK_URL} needs nothing else. Options left unset keep the library's defaults, shown here.
 *
 * <p>{@link #toString()} shows {@code ***} for the password, the key's password, the master keys and every URL (which
 * may hold a password). Not thread-safe while Spring binds it; read-only afterwards.
 */
@ConfigurationProperties(prefix = "pgdock")
public class PgdockProperties {
    /**
     * Whole connection URL of the storage, postgresql:// or jdbc:postgresql:// (PGDOCK_URL). Setting
     * it, pgdock.host or pgdock.service gives pgdock a pool of its own even when the application has a DataSource.
     */
    private @Nullable String url;

    /** Host, or comma-separated hosts, of the storage's server (PGDOCK_HOST, else libpq's PGHOST). */
    private @Nullable String host;

    /** Port of the storage's server (PGDOCK_PORT, else PGPORT); 5432 when unset. */
    private @Nullable Integer port;

    /** Database of the storage (PGDOCK_DATABASE, else PGDATABASE). */
    private @Nullable String database;

    /** Login role of the storage (PGDOCK_USER, else PGUSER). */
    private @Nullable String user;

    /** Password of the storage's role (PGDOCK_PASSWORD, else PGPASSWORD, else the password file); never shown. */
    private @Nullable String password;

    /**
     * Storage schema: first on every connection's search_path, where pgdock's tables live (PGDOCK_SCHEMA). Required;
     * over the application's DataSource it must be that DataSource's current schema.
     */
    private @Nullable String schema;

    /** TLS mode: disable, allow, prefer, require, verify-ca or verify-full (PGDOCK_SSLMODE, else PGSSLMODE). */
    private @Nullable String sslmode;

    /** CA certificate file, pgjdbc's sslrootcert (PGDOCK_SSLROOTCERT, else PGSSLROOTCERT). */
    private @Nullable String sslrootcert;

    /** Client certificate file, pgjdbc's sslcert (PGDOCK_SSLCERT, else PGSSLCERT). */
    private @Nullable String sslcert;

    /** Client key file (PKCS#8 DER), pgjdbc's sslkey (PGDOCK_SSLKEY, else PGSSLKEY). */
    private @Nullable String sslkey;

    /** Password of an encrypted client key (PGDOCK_SSLPASSWORD); never shown. */
    private @Nullable String sslpassword;

    /** Connection service: a section of the service file (PGDOCK_SERVICE, else PGSERVICE). */
    private @Nullable String service;

    /** Application name shown in pg_stat_activity (PGDOCK_APPNAME, else PGAPPNAME). */
    private @Nullable String appname;

    /**
     * Seconds a whole login may take, 0 for no limit (PGDOCK_CONNECT_TIMEOUT, else PGCONNECT_TIMEOUT); 10 when unset.
     */
    private @Nullable Integer connectTimeout;

    /** Options of the storage. */
    private final Storage storage = new Storage();

    /** Options of the config store. */
    private final Config config = new Config();

    /** Options of the data source factory. */
    private final Factory factory = new Factory();

    /**
     * Targets of the data source factory, by name: pgdock.target.warehouse.url is PGDOCK_TARGET_WAREHOUSE_URL. Each has
     * the connection settings of the storage (url, host, port, database, user, password, schema, sslmode, sslrootcert,
     * sslcert, sslkey, sslpassword, service, appname, connect-timeout), read as TargetResolver.environment reads them.
     */
    private final Map<String, Target> target = new LinkedHashMap<>();

    /** Creates empty properties; Spring binds them. */
    public PgdockProperties() {
    }

    /** @return the URL, if set */
    public @Nullable String getUrl() {
        return url;
    }

    /** @param url the URL */
    public void setUrl(@Nullable String url) {
        this.url = url;
    }

    /** @return the host, if set */
    public @Nullable String getHost() {
        return host;
    }

    /** @param host the host */
    public void setHost(@Nullable String host) {
        this.host = host;
    }

    /** @return the port, if set */
    public @Nullable Integer getPort() {
        return port;
    }

    /** @param port the port */
    public void setPort(@Nullable Integer port) {
        this.port = port;
    }

    /** @return the database, if set */
    public @Nullable String getDatabase() {
        return database;
    }

    /** @param database the database */
    public void setDatabase(@Nullable String database) {
        this.database = database;
    }

    /** @return the user, if set */
    public @Nullable String getUser() {
        return user;
    }

    /** @param user the user */
    public void setUser(@Nullable String user) {
        this.user = user;
    }

    /** @return the password, if set */
    public @Nullable String getPassword() {
        return password;
    }

    /** @param password the password */
    public void setPassword(@Nullable String password) {
        this.password = password;
    }

    /** @return the schema, if set */
    public @Nullable String getSchema() {
        return schema;
    }

    /** @param schema the schema */
    public void setSchema(@Nullable String schema) {
        this.schema = schema;
    }

    /** @return the TLS mode, if set */
    public @Nullable String getSslmode() {
        return sslmode;
    }

    /** @param sslmode the TLS mode */
    public void setSslmode(@Nullable String sslmode) {
        this.sslmode = sslmode;
    }

    /** @return the CA certificate file, if set */
    public @Nullable String getSslrootcert() {
        return sslrootcert;
    }

    /** @param sslrootcert the CA certificate file */
    public void setSslrootcert(@Nullable String sslrootcert) {
        this.sslrootcert = sslrootcert;
    }

    /** @return the client certificate file, if set */
    public @Nullable String getSslcert() {
        return sslcert;
    }

    /** @param sslcert the client certificate file */
    public void setSslcert(@Nullable String sslcert) {
        this.sslcert = sslcert;
    }

    /** @return the client key file, if set */
    public @Nullable String getSslkey() {
        return sslkey;
    }

    /** @param sslkey the client key file */
    public void setSslkey(@Nullable String sslkey) {
        this.sslkey = sslkey;
    }

    /** @return the client key's password, if set */
    public @Nullable String getSslpassword() {
        return sslpassword;
    }

    /** @param sslpassword the client key's password */
    public void setSslpassword(@Nullable String sslpassword) {
        this.sslpassword = sslpassword;
    }

    /** @return the connection service, if set */
    public @Nullable String getService() {
        return service;
    }

    /** @param service the connection service */
    public void setService(@Nullable String service) {
        this.service = service;
    }

    /** @return the application name, if set */
    public @Nullable String getAppname() {
        return appname;
    }

    /** @param appname the application name */
    public void setAppname(@Nullable String appname) {
        this.appname = appname;
    }

    /** @return the connect timeout in seconds, if set */
    public @Nullable Integer getConnectTimeout() {
        return connectTimeout;
    }

    /** @param connectTimeout the connect timeout in seconds */
    public void setConnectTimeout(@Nullable Integer connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    /** @return the storage's options */
    public Storage getStorage() {
        return storage;
    }

    /** @return the config store's options */
    public Config getConfig() {
        return config;
    }

    /** @return the data source factory's options */
    public Factory getFactory() {
        return factory;
    }

    /** @return the factory's targets by name, as bound (see {@link PgdockAutoConfiguration} for how they are read) */
    public Map<String, Target> getTarget() {
        return target;
    }

    /** The settings, secrets and URLs shown as {@code ***}. */
    @Override
    public String toString() {
        return new StringJoiner(", ", "PgdockProperties[", "]")
                .add("url=" + masked(url)).add("host=" + host).add("port=" + port).add("database=" + database)
                .add("user=" + user).add("password=" + masked(password)).add("schema=" + schema)
                .add("sslmode=" + sslmode).add("sslpassword=" + masked(sslpassword)).add("service=" + service)
                .add("storage=" + storage).add("config=" + config).add("factory=" + factory)
                .add("target=" + target.keySet())
                .toString();
    }

    static String masked(@Nullable Object secret) {
        return secret == null ? "null" : "***";
    }

    /** Options of the storage ({@code pgdock.storage.*}), as {@link io.pgdock.core.StorageOptions} has them. */
    public static class Storage {
        /** Whether to make the Storage bean (and so the ConfigStore bean, which lives in it). */
        private boolean enabled = true;

        /** Most connections of pgdock's own pool (not used over the application's DataSource). */
        private int maximumPoolSize = 10;

        /** Idle connections the pool keeps open (not used over the application's DataSource). */
        private int minimumIdle = 1;

        /** Longest wait to borrow a connection; at least 250ms (not used over the application's DataSource). */
        private Duration connectionTimeout = Duration.ofSeconds(10);

        /** Idle connections above the minimum close after it; 0 never (not used over the application's DataSource). */
        private Duration idleTimeout = Duration.ofMinutes(10);

        /** Connections are retired after it; 0 for no limit (not used over the application's DataSource). */
        private Duration maxLifetime = Duration.ofMinutes(30);

        /** Longest a health check (Storage.health, the actuator's pgdock.storage) takes. */
        private Duration healthTimeout = Duration.ofSeconds(5);

        /** Whether to create a missing schema at open (the role then needs CREATE on the database). */
        private boolean createSchema;

        /** Whether to apply pending migrations at open. */
        private boolean autoMigrate = true;

        /** Whether to include the MigrationProviders found on the class path. */
        private boolean discoverMigrations = true;

        /** Name of pgdock's pool in logs, thread names and metrics (not used over the application's DataSource). */
        private String poolName = "pgdock-storage";

        /** Whether the storage reaches PostgreSQL through a transaction-mode pooler such as PgBouncer. */
        private boolean transactionPooling;

        /**
         * URL of a direct connection (not through a transaction-mode pooler) for the config store's LISTEN: its watches
         * and read cache. Needed with transaction-pooling.
         */
        private @Nullable String dedicatedUrl;

        /** URL of the owner role, which runs the migrations at open in a two-role deployment. */
        private @Nullable String migrationUrl;

        /** Creates the defaults. */
        public Storage() {
        }

        /** @return whether the Storage bean is made */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether the Storage bean is made */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the maximum pool size */
        public int getMaximumPoolSize() {
            return maximumPoolSize;
        }

        /** @param maximumPoolSize the maximum pool size */
        public void setMaximumPoolSize(int maximumPoolSize) {
            this.maximumPoolSize = maximumPoolSize;
        }

        /** @return the minimum idle connections */
        public int getMinimumIdle() {
            return minimumIdle;
        }

        /** @param minimumIdle the minimum idle connections */
        public void setMinimumIdle(int minimumIdle) {
            this.minimumIdle = minimumIdle;
        }

        /** @return the connection timeout */
        public Duration getConnectionTimeout() {
            return connectionTimeout;
        }

        /** @param connectionTimeout the connection timeout */
        public void setConnectionTimeout(Duration connectionTimeout) {
            this.connectionTimeout = connectionTimeout;
        }

        /** @return the idle timeout */
        public Duration getIdleTimeout() {
            return idleTimeout;
        }

        /** @param idleTimeout the idle timeout */
        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        /** @return the maximum lifetime */
        public Duration getMaxLifetime() {
            return maxLifetime;
        }

        /** @param maxLifetime the maximum lifetime */
        public void setMaxLifetime(Duration maxLifetime) {
            this.maxLifetime = maxLifetime;
        }

        /** @return the health timeout */
        public Duration getHealthTimeout() {
            return healthTimeout;
        }

        /** @param healthTimeout the health timeout */
        public void setHealthTimeout(Duration healthTimeout) {
            this.healthTimeout = healthTimeout;
        }

        /** @return whether a missing schema is created */
        public boolean isCreateSchema() {
            return createSchema;
        }

        /** @param createSchema whether a missing schema is created */
        public void setCreateSchema(boolean createSchema) {
            this.createSchema = createSchema;
        }

        /** @return whether migrations run at open */
        public boolean isAutoMigrate() {
            return autoMigrate;
        }

        /** @param autoMigrate whether migrations run at open */
        public void setAutoMigrate(boolean autoMigrate) {
            this.autoMigrate = autoMigrate;
        }

        /** @return whether migration providers are discovered */
        public boolean isDiscoverMigrations() {
            return discoverMigrations;
        }

        /** @param discoverMigrations whether migration providers are discovered */
        public void setDiscoverMigrations(boolean discoverMigrations) {
            this.discoverMigrations = discoverMigrations;
        }

        /** @return the pool name */
        public String getPoolName() {
            return poolName;
        }

        /** @param poolName the pool name */
        public void setPoolName(String poolName) {
            this.poolName = poolName;
        }

        /** @return whether the storage is behind a transaction-mode pooler */
        public boolean isTransactionPooling() {
            return transactionPooling;
        }

        /** @param transactionPooling whether the storage is behind a transaction-mode pooler */
        public void setTransactionPooling(boolean transactionPooling) {
            this.transactionPooling = transactionPooling;
        }

        /** @return the URL of the direct connection for LISTEN, if set */
        public @Nullable String getDedicatedUrl() {
            return dedicatedUrl;
        }

        /** @param dedicatedUrl the URL of the direct connection for LISTEN */
        public void setDedicatedUrl(@Nullable String dedicatedUrl) {
            this.dedicatedUrl = dedicatedUrl;
        }

        /** @return the owner role's URL, if set */
        public @Nullable String getMigrationUrl() {
            return migrationUrl;
        }

        /** @param migrationUrl the owner role's URL */
        public void setMigrationUrl(@Nullable String migrationUrl) {
            this.migrationUrl = migrationUrl;
        }

        /** The options, URLs shown as {@code ***}. */
        @Override
        public String toString() {
            return "Storage[enabled=" + enabled + ", maximumPoolSize=" + maximumPoolSize + ", minimumIdle=" + minimumIdle
                    + ", connectionTimeout=" + connectionTimeout + ", idleTimeout=" + idleTimeout + ", maxLifetime="
                    + maxLifetime + ", healthTimeout=" + healthTimeout + ", createSchema=" + createSchema
                    + ", autoMigrate=" + autoMigrate + ", discoverMigrations=" + discoverMigrations + ", poolName="
                    + poolName + ", transactionPooling=" + transactionPooling + ", dedicatedUrl="
                    + masked(dedicatedUrl) + ", migrationUrl=" + masked(migrationUrl) + "]";
        }
    }

    /** Options of the config store ({@code pgdock.config.*}), as {@link io.pgdock.config.ConfigOptions} has them. */
    public static class Config {
        /** Whether to make the ConfigStore bean (ConfigStore.postgres over the storage). */
        private boolean enabled = true;

        /**
         * Master keys for secrets, as PGDOCK_CONFIG_KEYS: comma-separated key-id:base64-key entries, the current key
         * first; never shown. Without them (and without a KeyProvider bean), reading a secret fails naming the key.
         */
        private @Nullable String keys;

        /**
         * Entries of the read cache, kept coherent by LISTEN/NOTIFY; 0 for none. A cache holds one connection for
         * LISTEN (of the application's pool, over its DataSource).
         */
        private int cache;

        /** Largest value, in bytes of its JSON text. */
        private int maxValueBytes = 1_048_576;

        /** Creates the defaults. */
        public Config() {
        }

        /** @return whether the ConfigStore bean is made */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether the ConfigStore bean is made */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return the master keys, if set */
        public @Nullable String getKeys() {
            return keys;
        }

        /** @param keys the master keys */
        public void setKeys(@Nullable String keys) {
            this.keys = keys;
        }

        /** @return the cache's size, 0 for none */
        public int getCache() {
            return cache;
        }

        /** @param cache the cache's size, 0 for none */
        public void setCache(int cache) {
            this.cache = cache;
        }

        /** @return the largest value in bytes */
        public int getMaxValueBytes() {
            return maxValueBytes;
        }

        /** @param maxValueBytes the largest value in bytes */
        public void setMaxValueBytes(int maxValueBytes) {
            this.maxValueBytes = maxValueBytes;
        }

        /** The options, the keys shown as {@code ***}. */
        @Override
        public String toString() {
            return "Config[enabled=" + enabled + ", keys=" + masked(keys) + ", cache=" + cache + ", maxValueBytes="
                    + maxValueBytes + "]";
        }
    }

    /**
     * Options of the data source factory ({@code pgdock.factory.*}), as {@link io.pgdock.datasource.FactoryOptions}
     * has them.
     */
    public static class Factory {
        /** Whether to make the DataSourceFactory bean. */
        private boolean enabled = true;

        /** Connections per target. */
        private int maximumPoolSize = 5;

        /** Live pools; the least recently used idle one is evicted to make room. */
        private int maximumPools = 100;

        /** Open connections across all targets. */
        private int maximumConnections = 50;

        /** A pool unused this long, with nothing lent, is evicted. */
        private Duration idleTtl = Duration.ofMinutes(10);

        /** An idle connection closes after it. */
        private Duration connectionIdleTimeout = Duration.ofMinutes(1);

        /** Connections are replaced after it. */
        private Duration maxLifetime = Duration.ofMinutes(30);

        /** Longest wait for a connection from a busy pool. */
        private Duration borrowTimeout = Duration.ofSeconds(10);

        /** Connect and login timeout, whole seconds, for targets that set none. */
        private Duration connectTimeout = Duration.ofSeconds(10);

        /** A failed target is refused from memory for this long. */
        private Duration failureBackoff = Duration.ofSeconds(5);

        /** A retired pool is closed anyway after it, aborting what is still lent. */
        private Duration drainTimeout = Duration.ofSeconds(30);

        /** TLS mode for targets that set none. */
        private SslMode defaultSslMode = SslMode.PREFER;

        /** Application name for targets that set none. */
        private String applicationName = "pgdock";

        /** Whether the targets are behind PgBouncer in transaction mode (no session state is set). */
        private boolean transactionPooling;

        /** Creates the defaults. */
        public Factory() {
        }

        /** @return whether the DataSourceFactory bean is made */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled whether the DataSourceFactory bean is made */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return connections per target */
        public int getMaximumPoolSize() {
            return maximumPoolSize;
        }

        /** @param maximumPoolSize connections per target */
        public void setMaximumPoolSize(int maximumPoolSize) {
            this.maximumPoolSize = maximumPoolSize;
        }

        /** @return live pools at most */
        public int getMaximumPools() {
            return maximumPools;
        }

        /** @param maximumPools live pools at most */
        public void setMaximumPools(int maximumPools) {
            this.maximumPools = maximumPools;
        }

        /** @return open connections at most */
        public int getMaximumConnections() {
            return maximumConnections;
        }

        /** @param maximumConnections open connections at most */
        public void setMaximumConnections(int maximumConnections) {
            this.maximumConnections = maximumConnections;
        }

        /** @return the idle time after which a pool is evicted */
        public Duration getIdleTtl() {
            return idleTtl;
        }

        /** @param idleTtl the idle time after which a pool is evicted */
        public void setIdleTtl(Duration idleTtl) {
            this.idleTtl = idleTtl;
        }

        /** @return the idle time after which a connection closes */
        public Duration getConnectionIdleTimeout() {
            return connectionIdleTimeout;
        }

        /** @param connectionIdleTimeout the idle time after which a connection closes */
        public void setConnectionIdleTimeout(Duration connectionIdleTimeout) {
            this.connectionIdleTimeout = connectionIdleTimeout;
        }

        /** @return the connections' maximum lifetime */
        public Duration getMaxLifetime() {
            return maxLifetime;
        }

        /** @param maxLifetime the connections' maximum lifetime */
        public void setMaxLifetime(Duration maxLifetime) {
            this.maxLifetime = maxLifetime;
        }

        /** @return the borrow timeout */
        public Duration getBorrowTimeout() {
            return borrowTimeout;
        }

        /** @param borrowTimeout the borrow timeout */
        public void setBorrowTimeout(Duration borrowTimeout) {
            this.borrowTimeout = borrowTimeout;
        }

        /** @return the connect timeout */
        public Duration getConnectTimeout() {
            return connectTimeout;
        }

        /** @param connectTimeout the connect timeout */
        public void setConnectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
        }

        /** @return the failure back-off */
        public Duration getFailureBackoff() {
            return failureBackoff;
        }

        /** @param failureBackoff the failure back-off */
        public void setFailureBackoff(Duration failureBackoff) {
            this.failureBackoff = failureBackoff;
        }

        /** @return the drain timeout */
        public Duration getDrainTimeout() {
            return drainTimeout;
        }

        /** @param drainTimeout the drain timeout */
        public void setDrainTimeout(Duration drainTimeout) {
            this.drainTimeout = drainTimeout;
        }

        /** @return the default TLS mode */
        public SslMode getDefaultSslMode() {
            return defaultSslMode;
        }

        /** @param defaultSslMode the default TLS mode */
        public void setDefaultSslMode(SslMode defaultSslMode) {
            this.defaultSslMode = defaultSslMode;
        }

        /** @return the default application name */
        public String getApplicationName() {
            return applicationName;
        }

        /** @param applicationName the default application name */
        public void setApplicationName(String applicationName) {
            this.applicationName = applicationName;
        }

        /** @return whether the targets are behind a transaction-mode pooler */
        public boolean isTransactionPooling() {
            return transactionPooling;
        }

        /** @param transactionPooling whether the targets are behind a transaction-mode pooler */
        public void setTransactionPooling(boolean transactionPooling) {
            this.transactionPooling = transactionPooling;
        }

        /** The options. */
        @Override
        public String toString() {
            return "Factory[enabled=" + enabled + ", maximumPoolSize=" + maximumPoolSize + ", maximumPools="
                    + maximumPools + ", maximumConnections=" + maximumConnections + ", idleTtl=" + idleTtl
                    + ", connectionIdleTimeout=" + connectionIdleTimeout + ", maxLifetime=" + maxLifetime
                    + ", borrowTimeout=" + borrowTimeout + ", connectTimeout=" + connectTimeout + ", failureBackoff="
                    + failureBackoff + ", drainTimeout=" + drainTimeout + ", defaultSslMode=" + defaultSslMode
                    + ", applicationName=" + applicationName + ", transactionPooling=" + transactionPooling + "]";
        }
    }

    /**
     * One target of the data source factory ({@code pgdock.target.<name>.*}, the library's
     * {@code PGDOCK_TARGET_<NAME>_*}).
     */
    public static class Target {
        /** Whole connection URL of the target (PGDOCK_TARGET_NAME_URL). */
        private @Nullable String url;

        /** Host, or comma-separated hosts (PGDOCK_TARGET_NAME_HOST). */
        private @Nullable String host;

        /** Port (PGDOCK_TARGET_NAME_PORT); 5432 when unset. */
        private @Nullable Integer port;

        /** Database (PGDOCK_TARGET_NAME_DATABASE). */
        private @Nullable String database;

        /** Login role (PGDOCK_TARGET_NAME_USER). */
        private @Nullable String user;

        /** Password (PGDOCK_TARGET_NAME_PASSWORD); never shown. */
        private @Nullable String password;

        /** Schema, first on the search_path (PGDOCK_TARGET_NAME_SCHEMA). */
        private @Nullable String schema;

        /** TLS mode (PGDOCK_TARGET_NAME_SSLMODE). */
        private @Nullable String sslmode;

        /** Creates an empty target. */
        public Target() {
        }

        /** @return the URL, if set */
        public @Nullable String getUrl() {
            return url;
        }

        /** @param url the URL */
        public void setUrl(@Nullable String url) {
            this.url = url;
        }

        /** @return the host, if set */
        public @Nullable String getHost() {
            return host;
        }

        /** @param host the host */
        public void setHost(@Nullable String host) {
            this.host = host;
        }

        /** @return the port, if set */
        public @Nullable Integer getPort() {
            return port;
        }

        /** @param port the port */
        public void setPort(@Nullable Integer port) {
            this.port = port;
        }

        /** @return the database, if set */
        public @Nullable String getDatabase() {
            return database;
        }

        /** @param database the database */
        public void setDatabase(@Nullable String database) {
            this.database = database;
        }

        /** @return the user, if set */
        public @Nullable String getUser() {
            return user;
        }

        /** @param user the user */
        public void setUser(@Nullable String user) {
            this.user = user;
        }

        /** @return the password, if set */
        public @Nullable String getPassword() {
            return password;
        }

        /** @param password the password */
        public void setPassword(@Nullable String password) {
            this.password = password;
        }

        /** @return the schema, if set */
        public @Nullable String getSchema() {
            return schema;
        }

        /** @param schema the schema */
        public void setSchema(@Nullable String schema) {
            this.schema = schema;
        }

        /** @return the TLS mode, if set */
        public @Nullable String getSslmode() {
            return sslmode;
        }

        /** @param sslmode the TLS mode */
        public void setSslmode(@Nullable String sslmode) {
            this.sslmode = sslmode;
        }

        /** The settings, the URL and password shown as {@code ***}. */
        @Override
        public String toString() {
            return "Target[url=" + masked(url) + ", host=" + host + ", port=" + port + ", database=" + database
                    + ", user=" + user + ", password=" + masked(password) + ", schema=" + schema + ", sslmode="
                    + sslmode + "]";
        }
    }
}
