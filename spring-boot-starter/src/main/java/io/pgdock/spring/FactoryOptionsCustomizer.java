package io.pgdock.spring;

import io.pgdock.datasource.FactoryOptions;

/**
 * Adjusts the {@link FactoryOptions} of the auto-configured data source factory after the {@code pgdock.*} properties have been applied,
 * for what has no property (a ticker, an executor, further migrations, ...). Define one or more as beans; they run in
 * their {@link org.springframework.core.annotation.Order order}.
 */
@FunctionalInterface
public interface FactoryOptionsCustomizer {
    /**
     * Adjusts the options.
     *
     * @param builder the builder, with the properties applied
     */
    void customize(FactoryOptions.Builder builder);
}
