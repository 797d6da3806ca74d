package io.pgdock.spring;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.core.Storage;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * pgdock's {@link ConfigStore} bean: {@link ConfigStore#postgres(Storage, ConfigOptions)} over the application's
 * {@link Storage} bean (the auto-configured one or its own), with the options of {@code pgdock.config.*}. Backs off
 * when the application defines its own ConfigStore bean, and when there is no Storage bean.
 *
 * <p><b>Master keys.</b> A {@link KeyProvider} bean if there is one, else {@code pgdock.config.keys}
 * ({@code PGDOCK_CONFIG_KEYS}, read by {@link KeyProvider#fromEnvironment(Map)}), else none (secrets cannot be read).
 *
 * <p><b>The read cache</b> ({@code pgdock.config.cache}) starts listening when the bean is made, so its listening
 * connection is open (and its health known) from startup. The store holds no resource of its own besides that
 * connection, which ends with the storage: the store is destroyed before the storage, which closes it.
 */
@AutoConfiguration(after = PgdockAutoConfiguration.class)
@ConditionalOnBean(Storage.class)
@ConditionalOnProperty(prefix = "pgdock.config", name = "enabled", matchIfMissing = true)
public class PgdockConfigStoreAutoConfiguration {
    /** A key that is never written; read once at startup to open a cached store's listening connection. */
    static final String LISTEN_CHECK_KEY = "pgdock.starter.listen-check";

    /** Creates the configuration; called by Spring. */
    public PgdockConfigStoreAutoConfiguration() {
    }

    /**
     * The config store.
     *
     * @param storage the storage its tables live in
     * @param properties the bound properties
     * @param environment the application's environment
     * @param keys the application's key provider, if any
     * @param customizers adjust the options after the properties
     * @return the store
     */
    @Bean
    @ConditionalOnMissingBean
    public ConfigStore pgdockConfigStore(Storage storage, PgdockProperties properties, Environment environment,
            ObjectProvider<KeyProvider> keys, ObjectProvider<ConfigOptionsCustomizer> customizers) {
        ConfigOptions options = configOptions(properties.getConfig(), PgdockAutoConfiguration.variables(environment),
                keys, customizers);
        ConfigStore store = ConfigStore.postgres(storage, options);
        if (options.cacheMaxEntries() > 0) {
            store.entry(LISTEN_CHECK_KEY);
        }
        return store;
    }

    /**
     * Where the watches the actuator reports are started ({@link ConfigWatchMonitor#watch}).
     *
     * @return the monitor
     */
    @Bean
    @ConditionalOnMissingBean
    public ConfigWatchMonitor pgdockConfigWatchMonitor() {
        return new ConfigWatchMonitor();
    }

    /**
     * The config store's options from {@code pgdock.config.*}, a key provider and the customizers.
     *
     * @param c the config store's properties
     * @param variables the library's variables ({@link PgdockAutoConfiguration#variables(Environment)})
     * @param keys the application's key provider, if any
     * @param customizers applied last, in order
     * @return the options
     * @throws IllegalArgumentException naming the property whose value is refused (never showing a key)
     */
    static ConfigOptions configOptions(PgdockProperties.Config c, Map<String, String> variables,
            ObjectProvider<KeyProvider> keys, ObjectProvider<ConfigOptionsCustomizer> customizers) {
        ConfigOptions.Builder b = ConfigOptions.builder();
        String p = "pgdock.config.";
        if (c.getCache() != 0) {
            PgdockAutoConfiguration.set(p + "cache", () -> b.cache(c.getCache()));
        }
        PgdockAutoConfiguration.set(p + "max-value-bytes", () -> b.maxValueBytes(c.getMaxValueBytes()));
        KeyProvider provider = keys.getIfAvailable();
        if (provider != null) {
            b.keys(provider);
        } else if (variables.containsKey(KeyProvider.ENVIRONMENT_VARIABLE)) {
            PgdockAutoConfiguration.set(p + "keys", () -> b.keys(KeyProvider.fromEnvironment(variables)));
        }
        customizers.orderedStream().forEach(customizer -> customizer.customize(b));
        return PgdockAutoConfiguration.build("pgdock.config", b::build);
    }
}
