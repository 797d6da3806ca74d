package io.pgdock.spring;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.datasource.DataSourceFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The actuator's {@code pgdock} health contributor (bean {@code pgdockHealthContributor}), on whichever Spring Boot
 * line is there: {@code pgdock/storage} (the storage's server), {@code pgdock/config} (the config store's listening
 * connection: its read cache and the watches of {@link ConfigWatchMonitor}) and {@code pgdock/targets/<name>} (each
 * target configured in {@code pgdock.target.<name>.*}). A part whose bean is absent is left out. Off with
 * {@code management.health.pgdock.enabled=false}.
 *
 * <p>Spring Boot 3.5 has the health API in {@code org.springframework.boot.actuate.health} (spring-boot-actuator),
 * 4.0 in {@code org.springframework.boot.health.contributor} (spring-boot-health); one nested configuration per line,
 * each loaded only when its line's classes are there.
 */
@AutoConfiguration(after = {PgdockAutoConfiguration.class, PgdockConfigStoreAutoConfiguration.class})
@ConditionalOnProperty(prefix = "management.health.pgdock", name = "enabled", matchIfMissing = true)
public class PgdockHealthAutoConfiguration {
    static final String BEAN = "pgdockHealthContributor";

    /** Creates the configuration; called by Spring. */
    public PgdockHealthAutoConfiguration() {
    }

    /**
     * The checks, by name, as suppliers of results; empty when there is nothing to check.
     *
     * @param storage the storage, if any
     * @param configs the config store, if any
     * @param monitor the watches to report, if any
     * @param factory the factory, if any
     * @param environment for the configured targets' names
     * @param <C> the line's contributor type
     * @param indicator makes a line's indicator of a check
     * @param composite makes a line's composite of named contributors
     * @return the contributors by name
     */
    static <C> Map<String, C> parts(@Nullable Storage storage, @Nullable ConfigStore configs,
            @Nullable ConfigWatchMonitor monitor, @Nullable DataSourceFactory factory, Environment environment,
            Function<Supplier<PgdockHealth.Result>, C> indicator, Function<Map<String, C>, C> composite) {
        Map<String, C> parts = new LinkedHashMap<>();
        if (storage != null) {
            parts.put("storage", indicator.apply(() -> PgdockHealth.storage(storage)));
        }
        if (configs != null) {
            parts.put("config", indicator.apply(() -> PgdockHealth.config(configs, monitor)));
        }
        if (factory != null) {
            List<String> names = PgdockAutoConfiguration.targetNames(environment);
            if (!names.isEmpty()) {
                Map<String, C> targets = new LinkedHashMap<>();
                for (String name : names) {
                    targets.put(name, indicator.apply(() -> PgdockHealth.target(factory, name)));
                }
                parts.put("targets", composite.apply(targets));
            }
        }
        return parts;
    }

    /** Spring Boot 3.5: {@code org.springframework.boot.actuate.health}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthContributor")
    static class Boot3 {
        @Bean(BEAN)
        @ConditionalOnMissingBean(name = BEAN)
        org.springframework.boot.actuate.health.HealthContributor pgdockHealthContributor(
                ObjectProvider<Storage> storage, ObjectProvider<ConfigStore> configs,
                ObjectProvider<ConfigWatchMonitor> monitor, ObjectProvider<DataSourceFactory> factory,
                Environment environment) {
            Map<String, org.springframework.boot.actuate.health.HealthContributor> parts = parts(
                    storage.getIfUnique(), configs.getIfUnique(), monitor.getIfUnique(), factory.getIfUnique(),
                    environment, Boot3::indicator,
                    org.springframework.boot.actuate.health.CompositeHealthContributor::fromMap);
            return org.springframework.boot.actuate.health.CompositeHealthContributor.fromMap(parts);
        }

        private static org.springframework.boot.actuate.health.HealthContributor indicator(
                Supplier<PgdockHealth.Result> check) {
            return (org.springframework.boot.actuate.health.HealthIndicator) () -> {
                PgdockHealth.Result r = check.get();
                return (r.up() ? org.springframework.boot.actuate.health.Health.up()
                        : org.springframework.boot.actuate.health.Health.down()).withDetails(r.details()).build();
            };
        }
    }

    /** Spring Boot 4.0: {@code org.springframework.boot.health.contributor}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthContributor")
    static class Boot4 {
        @Bean(BEAN)
        @ConditionalOnMissingBean(name = BEAN)
        org.springframework.boot.health.contributor.HealthContributor pgdockHealthContributor(
                ObjectProvider<Storage> storage, ObjectProvider<ConfigStore> configs,
                ObjectProvider<ConfigWatchMonitor> monitor, ObjectProvider<DataSourceFactory> factory,
                Environment environment) {
            Map<String, org.springframework.boot.health.contributor.HealthContributor> parts = parts(
                    storage.getIfUnique(), configs.getIfUnique(), monitor.getIfUnique(), factory.getIfUnique(),
                    environment, Boot4::indicator,
                    org.springframework.boot.health.contributor.CompositeHealthContributor::fromMap);
            return org.springframework.boot.health.contributor.CompositeHealthContributor.fromMap(parts);
        }

        private static org.springframework.boot.health.contributor.HealthContributor indicator(
                Supplier<PgdockHealth.Result> check) {
            return (org.springframework.boot.health.contributor.HealthIndicator) () -> {
                PgdockHealth.Result r = check.get();
                return (r.up() ? org.springframework.boot.health.contributor.Health.up()
                        : org.springframework.boot.health.contributor.Health.down()).withDetails(r.details()).build();
            };
        }
    }
}
