package io.pgdock.spring;

import io.pgdock.config.ConfigOptions;

/**
 * Adjusts the {@link ConfigOptions} of the auto-configured config store after the {@code pgdock.*} properties have been applied,
 * for what has no property (a ticker, an executor, further migrations, ...). Define one or more as beans; they run in
 * their {@link org.springframework.core.annotation.Order order}.
 */
@FunctionalInterface
public interface ConfigOptionsCustomizer {
    /**
     * Adjusts the options.
     *
     * @param builder the builder, with the properties applied
     */
    void customize(ConfigOptions.Builder builder);
}
