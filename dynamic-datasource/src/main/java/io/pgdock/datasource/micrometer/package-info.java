/**
 * Micrometer meters for a pooled {@link io.pgdock.datasource.DataSourceFactory}: register
 * {@link io.pgdock.datasource.micrometer.MicrometerFactoryMetrics} as a {@link io.pgdock.datasource.FactoryListener}.
 *
 * <p>This is the only package of the module that uses Micrometer. {@code io.micrometer:micrometer-core} is an optional
 * dependency: add it to use this package; the rest of the module works without it.
 *
 * <p>Nothing here takes or returns {@code null} unless it is marked {@code @Nullable} (JSpecify's
 * {@code org.jspecify.annotations.Nullable}; the package is {@code @NullMarked}).
 */
@NullMarked
package io.pgdock.datasource.micrometer;

import org.jspecify.annotations.NullMarked;
