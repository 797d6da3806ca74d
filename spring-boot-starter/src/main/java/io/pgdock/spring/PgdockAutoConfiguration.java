package io.pgdock.spring;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryListener;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetResolver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * pgdock's {@link Storage} and {@link DataSourceFactory} beans, from the {@code pgdock.*} properties
 * ({@link PgdockProperties}). Each backs off when the application defines its own bean of the type.
 *
 * <p><b>Which pool the storage uses.</b> When the application has a {@link DataSource} (Spring Boot's, from
 * {@code spring.datasource.*}) and no pgdock connection is configured ({@code pgdock.url}, {@code pgdock.host} and
 * {@code pgdock.service} are unset), the storage is {@link Storage#over(DataSource, String, StorageOptions) over} that
 * DataSource, so the application runs one pool; {@code pgdock.schema} must then name the DataSource's current schema.
 * Otherwise pgdock opens a pool of its own from the connection settings, read as
 * {@link ConnectionSpec#fromEnvironment(Map)} reads the environment (libpq's {@code PGHOST}, ... and the password
 * file included). With neither, the application fails to start, saying which property to set.
 *
 * <p><b>Shutdown.</b> The factory and the config store are destroyed before the storage, and the storage before the
 * application's DataSource it borrows from.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"})
@EnableConfigurationProperties(PgdockProperties.class)
public class PgdockAutoConfiguration {
    static final String STORAGE_BEAN = "pgdockStorage";
    static final String FACTORY_BEAN = "pgdockDataSourceFactory";

    /** libpq's variables that the library reads besides its own, passed on from the environment when set. */
    static final List<String> LIBPQ_VARIABLES = List.of("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD",
            "PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGSERVICE", "PGAPPNAME", "PGCONNECT_TIMEOUT",
            "PGSERVICEFILE", "PGSYSCONFDIR", "PGPASSFILE", "HOME", "PGOPTIONS", "PGHOSTADDR");

    /** The fields of a connection, as the last part of a variable's name ({@code CONNECT_TIMEOUT} has two). */
    private static final List<String> CONNECTION_FIELDS = List.of("connect.timeout", "url", "host", "port", "database",
            "user", "password", "schema", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "service",
            "appname");

    /** Creates the configuration; called by Spring. */
    public PgdockAutoConfiguration() {
    }

    /**
     * The storage: over the application's own {@link DataSource} when there is one and no pgdock connection is
     * configured, else a pool of its own from {@code pgdock.*} (the library's {@code PGDOCK_*} variables).
     *
     * @param properties the bound properties
     * @param environment the application's environment
     * @param dataSources the application's DataSource, if any
     * @param customizers adjust the options after the properties
     * @param beanFactory to order the shutdown: the storage before the DataSource it borrows from
     * @return the storage, closed with the context
     * @throws PgdockNotConfiguredException if there is no DataSource and no connection is configured, or the
     *     DataSource is there and {@code pgdock.schema} is not
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "pgdock.storage", name = "enabled", matchIfMissing = true)
    public Storage pgdockStorage(PgdockProperties properties, Environment environment,
            ObjectProvider<DataSource> dataSources, ObjectProvider<StorageOptionsCustomizer> customizers,
            ConfigurableListableBeanFactory beanFactory) {
        Map<String, String> variables = variables(environment);
        StorageOptions options = storageOptions(properties.getStorage(), variables, customizers);
        if (!ownConnectionConfigured(variables)) {
            DataSource application = dataSources.getIfUnique();
            if (application != null) {
                String schema = variables.get("PGDOCK_SCHEMA");
                if (schema == null) {
                    throw new PgdockNotConfiguredException("pgdock.schema", "the storage is over the application's "
                            + "DataSource (no pgdock.url, pgdock.host or pgdock.service is set), and pgdock.schema "
                            + "(PGDOCK_SCHEMA) is not set; set it to the schema first on that DataSource's "
                            + "search_path (e.g. spring.datasource.url=jdbc:postgresql://db/app?currentSchema=app and "
                            + "pgdock.schema=app)");
                }
                dependsOn(beanFactory, DataSource.class, application, STORAGE_BEAN);
                return Storage.over(application, schema, options);
            }
            if (!variables.containsKey("PGHOST") && !variables.containsKey("PGSERVICE")) {
                throw new PgdockNotConfiguredException("pgdock.url", "no connection for the storage: set pgdock.url "
                        + "(PGDOCK_URL), or pgdock.host (PGDOCK_HOST) with pgdock.database, pgdock.user and "
                        + "pgdock.schema, or give the application a DataSource (spring.datasource.url) and set "
                        + "pgdock.schema; or turn the storage off with pgdock.storage.enabled=false");
            }
        }
        return Storage.open(ConnectionSpec.fromEnvironment(variables), options);
    }

    /**
     * The data source factory: pools for the targets of {@code pgdock.target.<name>.*} (the library's
     * {@code PGDOCK_TARGET_<NAME>_*}), then of any {@link TargetResolver} beans, and for any spec it is given.
     *
     * @param properties the bound properties
     * @param environment the application's environment
     * @param resolvers resolvers asked for names the properties do not define, in order
     * @param listeners lifecycle listeners (the metrics, when Micrometer is there)
     * @param customizers adjust the options after the properties
     * @param beanFactory to order the shutdown: the factory before the storage
     * @return the factory, closed with the context
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "pgdock.factory", name = "enabled", matchIfMissing = true)
    public DataSourceFactory pgdockDataSourceFactory(PgdockProperties properties, Environment environment,
            ObjectProvider<TargetResolver> resolvers, ObjectProvider<FactoryListener> listeners,
            ObjectProvider<FactoryOptionsCustomizer> customizers, ConfigurableListableBeanFactory beanFactory) {
        Map<String, String> variables = variables(environment);
        TargetResolver resolver = TargetResolver.environment(variables);
        for (TargetResolver next : resolvers.orderedStream().toList()) {
            resolver = resolver.orElse(next);
        }
        PgdockProperties.Factory f = properties.getFactory();
        FactoryOptions.Builder b = FactoryOptions.builder().resolver(resolver);
        String p = "pgdock.factory.";
        set(p + "maximum-pool-size", () -> b.maximumPoolSize(f.getMaximumPoolSize()));
        set(p + "maximum-pools", () -> b.maximumPools(f.getMaximumPools()));
        set(p + "maximum-connections", () -> b.maximumConnections(f.getMaximumConnections()));
        set(p + "idle-ttl", () -> b.idleTtl(f.getIdleTtl()));
        set(p + "connection-idle-timeout", () -> b.connectionIdleTimeout(f.getConnectionIdleTimeout()));
        set(p + "max-lifetime", () -> b.maxLifetime(f.getMaxLifetime()));
        set(p + "borrow-timeout", () -> b.borrowTimeout(f.getBorrowTimeout()));
        set(p + "connect-timeout", () -> b.connectTimeout(f.getConnectTimeout()));
        set(p + "failure-backoff", () -> b.failureBackoff(f.getFailureBackoff()));
        set(p + "drain-timeout", () -> b.drainTimeout(f.getDrainTimeout()));
        set(p + "default-ssl-mode", () -> b.defaultSslMode(f.getDefaultSslMode()));
        set(p + "application-name", () -> b.applicationName(f.getApplicationName()));
        b.transactionPooling(f.isTransactionPooling());
        listeners.orderedStream().forEach(b::listener);
        customizers.orderedStream().forEach(c -> c.customize(b));
        FactoryOptions options = build("pgdock.factory", b::build);
        for (String storage : beanFactory.getBeanNamesForType(Storage.class, true, false)) {
            beanFactory.registerDependentBean(storage, FACTORY_BEAN);
        }
        return DataSourceFactory.pooled(options);
    }

    /**
     * The {@code pgdock.*} properties under the library's variable names ({@code pgdock.url} is {@code PGDOCK_URL},
     * {@code pgdock.config.keys} is {@code PGDOCK_CONFIG_KEYS}, {@code pgdock.target.my-db.url} is
     * {@code PGDOCK_TARGET_MY_DB_URL}: upper case, {@code .} and {@code -} turned into {@code _}), followed by libpq's
     * own variables ({@link #LIBPQ_VARIABLES}) where the environment sets them. Where two properties give one variable
     * (an environment variable and a property file, say), the one of higher precedence in Spring's environment wins.
     * The map is for the library's {@code fromEnvironment} methods: {@link ConnectionSpec#fromEnvironment(Map)},
     * {@link TargetResolver#environment(Map)}, {@code KeyProvider.fromEnvironment(Map)}.
     *
     * @param environment the application's environment
     * @return the variables, a new mutable map
     */
    static Map<String, String> variables(Environment environment) {
        Map<String, String> bound = Binder.get(environment)
                .bind("pgdock", Bindable.mapOf(String.class, String.class))
                .orElseGet(Map::of);
        Map<String, String> variables = new LinkedHashMap<>();
        // The bound map lists the property sources in precedence order: the first of a variable's names wins.
        bound.forEach((name, value) -> variables.putIfAbsent(variableName(name), value));
        for (String libpq : LIBPQ_VARIABLES) {
            String value = environment.getProperty(libpq);
            if (value != null) {
                variables.putIfAbsent(libpq, value);
            }
        }
        return variables;
    }

    /**
     * The names of the targets configured in {@code pgdock.target.<name>.*} (or {@code PGDOCK_TARGET_<NAME>_*}), in
     * order of name. A name read from an environment variable is in lower case, with {@code _} as {@code .}: target
     * {@code MY_DB} is {@code my.db}, which resolves to the same variables.
     *
     * @param environment the application's environment
     * @return the names
     * @throws IllegalArgumentException if a name is not a valid target name, naming the property
     */
    static List<String> targetNames(Environment environment) {
        Map<String, String> bound = Binder.get(environment)
                .bind("pgdock.target", Bindable.mapOf(String.class, String.class))
                .orElseGet(Map::of);
        Map<String, String> byPrefix = new TreeMap<>();
        for (String key : bound.keySet()) {
            String normal = key.toLowerCase(Locale.ROOT).replace('-', '.').replace('_', '.');
            for (String field : CONNECTION_FIELDS) {
                if (normal.endsWith("." + field) && normal.length() > field.length() + 1) {
                    String name = key.substring(0, key.length() - field.length() - 1);
                    String prefix;
                    try {
                        prefix = TargetResolver.environmentPrefix(name);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("pgdock.target." + key + ": " + e.getMessage(), e);
                    }
                    byPrefix.putIfAbsent(prefix, name);
                    break;
                }
            }
        }
        List<String> names = new ArrayList<>(byPrefix.values());
        names.sort(null);
        return names;
    }

    static String variableName(String property) {
        return "PGDOCK_" + property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static boolean ownConnectionConfigured(Map<String, String> variables) {
        return variables.containsKey("PGDOCK_URL") || variables.containsKey("PGDOCK_HOST")
                || variables.containsKey("PGDOCK_SERVICE");
    }

    /**
     * The storage's options from {@code pgdock.storage.*}, then the customizers. Errors name the property.
     *
     * @param s the storage's properties
     * @param variables the library's variables ({@link #variables(Environment)}), for the password file of the URLs
     * @param customizers the customizers, applied in order
     * @return the options
     * @throws IllegalArgumentException naming the property whose value is refused
     */
    static StorageOptions storageOptions(PgdockProperties.Storage s, Map<String, String> variables,
            ObjectProvider<StorageOptionsCustomizer> customizers) {
        StorageOptions.Builder b = StorageOptions.builder();
        String p = "pgdock.storage.";
        set(p + "maximum-pool-size", () -> b.maximumPoolSize(s.getMaximumPoolSize()));
        set(p + "minimum-idle", () -> b.minimumIdle(s.getMinimumIdle()));
        set(p + "connection-timeout", () -> b.connectionTimeout(s.getConnectionTimeout()));
        set(p + "idle-timeout", () -> b.idleTimeout(s.getIdleTimeout()));
        set(p + "max-lifetime", () -> b.maxLifetime(s.getMaxLifetime()));
        set(p + "health-timeout", () -> b.healthTimeout(s.getHealthTimeout()));
        set(p + "pool-name", () -> b.poolName(s.getPoolName()));
        b.createSchema(s.isCreateSchema()).autoMigrate(s.isAutoMigrate()).discoverMigrations(s.isDiscoverMigrations())
                .transactionPooling(s.isTransactionPooling());
        String dedicated = s.getDedicatedUrl();
        if (dedicated != null) {
            set(p + "dedicated-url", () -> b.dedicatedConnectionSpec(
                    ConnectionSpec.parse(dedicated).withPasswordFile(variables)));
        }
        String migration = s.getMigrationUrl();
        if (migration != null) {
            set(p + "migration-url", () -> b.migrationSpec(ConnectionSpec.parse(migration).withPasswordFile(variables)));
        }
        customizers.orderedStream().forEach(c -> c.customize(b));
        return build("pgdock.storage", b::build);
    }

    /** Runs a builder call, naming the property when the library refuses its value. */
    static void set(String property, Runnable call) {
        try {
            call.run();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(property + ": " + e.getMessage(), e);
        }
    }

    static <T> T build(String properties, java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(properties + ".*: " + e.getMessage(), e);
        }
    }

    /** Makes {@code dependent} be destroyed before the bean of {@code type} that is {@code instance}. */
    static <T> void dependsOn(ConfigurableListableBeanFactory beanFactory, Class<T> type, T instance, String dependent) {
        for (String name : beanFactory.getBeanNamesForType(type, true, false)) {
            if (beanFactory.containsSingleton(name) && beanFactory.getBean(name) == instance) {
                beanFactory.registerDependentBean(name, dependent);
            }
        }
    }
}
