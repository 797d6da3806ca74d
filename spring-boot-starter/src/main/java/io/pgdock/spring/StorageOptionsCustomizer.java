package io.pgdock.spring;

import io.pgdock.core.StorageOptions;

/**
 * Adjusts the {@link StorageOptions} of the auto-configured storage after the {@code pgdock.*} properties have been applied,
 * for what has no property (a ticker, an executor, further migrations, ...). Define one or more as beans; they run in
 * their {@link org.springframework.core.annotation.Order order}.
 */
@FunctionalInterface
public interface StorageOptionsCustomizer {
    /**
     * Adjusts the options.
     *
     * @param builder the builder, with the properties applied
     */
    void customize(StorageOptions.Builder builder);
}
