package io.pgdock.spring;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;

/**
 * Puts the config store in the application's {@code Environment} as a {@link ConfigStorePropertySource}, before any
 * bean is made, when {@code pgdock.property-source.enabled=true} ({@link ConfigPropertySourceProperties}). Registered
 * in the starter's {@code META-INF/spring.factories}, so a {@code SpringApplication} runs it; tests with an
 * {@code ApplicationContextRunner} add it with {@code withInitializer(new ConfigPropertySourceInitializer())}.
 *
 * <p>What it does, in order, failing the start with a message that says what is wrong (and closing what it opened) if
 * any step fails:
 * <ol>
 *   <li>opens a {@link Storage} from the {@code pgdock.*} connection properties (the library's {@code PGDOCK_*}
 *       variables: {@code pgdock.url}, {@code pgdock.user}, {@code pgdock.password}, {@code pgdock.schema}, ...), a
 *       pool of its own, since the application's {@code DataSource} does not exist yet;</li>
 *   <li>opens the PostgreSQL {@link ConfigStore} on it, with the master keys of {@code pgdock.config-keys}
 *       ({@code PGDOCK_CONFIG_KEYS}) when set, so secrets can be read, and takes its view in
 *       {@code pgdock.property-source.scope};</li>
 *   <li>starts the store's watch of {@code pgdock.property-source.prefix}, reads every key under it, and adds the
 *       property source just below the operating system's environment variables (see
 *       {@link ConfigStorePropertySource});</li>
 *   <li>registers the storage as bean {@value #STORAGE_BEAN} and the scoped store as bean {@value #STORE_BEAN}, so the
 *       starter's own {@code Storage} and {@code ConfigStore} beans back off and the application uses the same
 *       ones; they are closed with the context: the watch first, then the storage;</li>
 *   <li>adds the post-processor that records {@link RefreshOnConfigChange} beans.</li>
 * </ol>
 * A context whose environment has the source already (a child context) is left alone: it sees its parent's.
 *
 * <p>Stateless and thread-safe; one instance may initialize any number of contexts.
 */
public final class ConfigPropertySourceInitializer
        implements ApplicationContextInitializer<ConfigurableApplicationContext>, Ordered {
    /** The name of the storage bean registered when the property source is enabled. */
    public static final String STORAGE_BEAN = "pgdockStorage";
    /** The name of the config store bean registered when the property source is enabled. */
    public static final String STORE_BEAN = "pgdockConfigStore";

    private static final Logger LOG = LoggerFactory.getLogger(ConfigStorePropertySource.class);

    /** Creates the initializer; Spring Boot does, from {@code META-INF/spring.factories}. */
    public ConfigPropertySourceInitializer() {
    }

    /** Early, but after initializers that add property sources the {@code pgdock.*} settings may come from. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 100;
    }

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        ConfigurableEnvironment environment = context.getEnvironment();
        ConfigPropertySourceProperties properties = Binder.get(environment)
                .bind(ConfigPropertySourceProperties.PREFIX, ConfigPropertySourceProperties.class)
                .orElseGet(ConfigPropertySourceProperties::new);
        if (!properties.isEnabled()) {
            return;
        }
        if (environment.getPropertySources().contains(ConfigStorePropertySource.NAME)) {
            return;
        }
        Map<String, String> variables = PgdockAutoConfiguration.variables(environment);
        Storage storage = null;
        ConfigPropertySourceRefresher refresher = null;
        try {
            storage = Storage.open(ConnectionSpec.fromEnvironment(variables));
            ConfigStore store = ConfigStore.postgres(storage, options(variables)).inScope(nonNull(properties.getScope()));
            refresher = ConfigPropertySourceRefresher.start(context,
                    new ConfigPropertyReader(store, nonNull(properties.getPrefix())), Clock.systemUTC());
            ConfigStorePropertySource source = refresher.source();
            addBelowEnvironmentVariables(environment.getPropertySources(), source);
            register(context, storage, store, refresher);
            LOG.info("pgdock.property-source: {} config key(s) under prefix \"{}\" in scope \"{}\" read as properties",
                    source.keyCount(), source.prefix(), source.scope());
        } catch (RuntimeException e) {
            if (refresher != null) {
                refresher.close();
            }
            if (storage != null) {
                storage.close();
            }
            throw new IllegalStateException(ConfigPropertySourceProperties.PREFIX + ".enabled is true, but the config "
                    + "store could not be read as properties (prefix \"" + properties.getPrefix() + "\", scope \""
                    + properties.getScope() + "\"): " + e.getMessage(), e);
        }
    }

    private static String nonNull(@Nullable String value) {
        return value == null ? "" : value;
    }

    /** The store's options: the master keys of {@code PGDOCK_CONFIG_KEYS} when set. */
    static ConfigOptions options(Map<String, String> variables) {
        ConfigOptions.Builder options = ConfigOptions.builder();
        String keys = variables.get(KeyProvider.ENVIRONMENT_VARIABLE);
        if (keys != null && !keys.isBlank()) {
            options.keys(KeyProvider.fromEnvironment(variables));
        }
        return options.build();
    }

    /**
     * Below command-line arguments, {@code SPRING_APPLICATION_JSON}, system properties and environment variables;
     * above everything after them ({@code random}, {@code application.properties} and the rest).
     */
    static void addBelowEnvironmentVariables(MutablePropertySources sources, ConfigStorePropertySource source) {
        for (String above : List.of(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME, "commandLineArgs")) {
            if (sources.contains(above)) {
                sources.addAfter(above, source);
                return;
            }
        }
        sources.addFirst(source);
    }

    private static void register(ConfigurableApplicationContext context, Storage storage, ConfigStore store,
            ConfigPropertySourceRefresher refresher) {
        ConfigurableListableBeanFactory beans = context.getBeanFactory();
        if (!(beans instanceof DefaultSingletonBeanRegistry registry)) {
            throw new IllegalStateException("the context's bean factory, a " + beans.getClass().getName()
                    + ", cannot close the storage with the context");
        }
        // Destroyed in reverse order of registration, and a bean before what depends on it: the watch (and its
        // refresh thread), then the storage; the refresher also stops at ContextClosedEvent, before any bean goes.
        registry.registerDisposableBean(STORAGE_BEAN, storage::close);
        registry.registerDisposableBean(STORE_BEAN, refresher::close);
        registry.registerDependentBean(STORAGE_BEAN, STORE_BEAN);
        beans.registerSingleton(STORAGE_BEAN, storage);
        beans.registerSingleton(STORE_BEAN, store);
        beans.addBeanPostProcessor(refresher.postProcessor());
        context.addApplicationListener(refresher);
    }
}
