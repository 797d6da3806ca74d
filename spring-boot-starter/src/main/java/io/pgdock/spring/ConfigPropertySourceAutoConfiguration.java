package io.pgdock.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * The beans that go with the {@link ConfigStorePropertySource} when {@code pgdock.property-source.enabled=true}: the
 * actuator's {@code SanitizingFunction} that masks its secrets, and the {@code pgdockPropertySource} health contributor
 * that reports its watch. The source itself, and the storage and store beans, come from
 * {@link ConfigPropertySourceInitializer}, which runs before any bean is made.
 */
@AutoConfiguration
@ConditionalOnProperty(prefix = ConfigPropertySourceProperties.PREFIX, name = "enabled", havingValue = "true")
@EnableConfigurationProperties(ConfigPropertySourceProperties.class)
public class ConfigPropertySourceAutoConfiguration {

    /** Creates the configuration; called by Spring. */
    public ConfigPropertySourceAutoConfiguration() {
    }

    /** The source in {@code environment}, if the initializer put it there. */
    static @Nullable ConfigStorePropertySource source(ConfigurableEnvironment environment) {
        return environment.getPropertySources().get(ConfigStorePropertySource.NAME) instanceof ConfigStorePropertySource s
                ? s : null;
    }

    /** The health status name and details of the source's watch, for either Spring Boot line's health types. */
    static Map.Entry<String, Map<String, Object>> health(ConfigurableEnvironment environment) {
        ConfigStorePropertySource source = source(environment);
        Map<String, Object> details = new LinkedHashMap<>();
        if (source == null) {
            details.put("problem", "no config store property source in the environment: "
                    + ConfigPropertySourceInitializer.class.getSimpleName() + " did not run in this context");
            return Map.entry("UNKNOWN", details);
        }
        details.put("prefix", source.prefix());
        details.put("scope", source.scope());
        details.put("keys", source.keyCount());
        details.put("watch", source.isWatchLive() ? "live" : "interrupted");
        source.watchProblem().ifPresent(p -> details.put("problem", p));
        source.watchInterruptedAt().ifPresent(t -> details.put("interruptedAt", t.toString()));
        if (!source.unreadKeys().isEmpty()) {
            details.put("unreadKeys", source.unreadKeys());
        }
        return Map.entry(source.isWatchLive() && source.unreadKeys().isEmpty() ? "UP" : "DOWN", details);
    }

    /** Masks the secrets of the config store in the actuator's {@code env} and {@code configprops} endpoints. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.SanitizingFunction")
    static class Sanitizing {
        /**
         * The function: a value from the {@link ConfigStorePropertySource} whose property is a secret is shown as
         * {@code ******}, even with {@code show-values=ALWAYS}; every other value is left to the other functions and
         * to the endpoint's {@code show-values}.
         *
         * @return the function
         */
        @Bean
        SanitizingFunction pgdockConfigSecretSanitizingFunction() {
            return Sanitizing::sanitize;
        }

        static SanitizableData sanitize(SanitizableData data) {
            if (data.getPropertySource() instanceof ConfigStorePropertySource source
                    && source.isSecret(data.getKey())) {
                return data.withSanitizedValue();
            }
            return data;
        }
    }

    /** The watch's health on Spring Boot 3.5. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    static class Boot3Health {
        @Bean
        org.springframework.boot.actuate.health.HealthIndicator pgdockPropertySourceHealthIndicator(
                ConfigurableEnvironment environment) {
            return () -> {
                Map.Entry<String, Map<String, Object>> health = health(environment);
                return org.springframework.boot.actuate.health.Health.status(health.getKey())
                        .withDetails(health.getValue()).build();
            };
        }
    }

    /** The watch's health on Spring Boot 4.0. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class Boot4Health {
        @Bean
        org.springframework.boot.health.contributor.HealthIndicator pgdockPropertySourceHealthIndicator(
                ConfigurableEnvironment environment) {
            return () -> {
                Map.Entry<String, Map<String, Object>> health = health(environment);
                return org.springframework.boot.health.contributor.Health.status(health.getKey())
                        .withDetails(health.getValue()).build();
            };
        }
    }
}
