/**
 * Named connections kept in the configuration store, pgdock's answer to Airflow's Connections:
 * {@link io.pgdock.datasource.registry.ConnectionRegistry} stores one {@link io.pgdock.core.ConnectionSpec} per name
 * under {@value io.pgdock.datasource.registry.ConnectionRegistry#KEY_PREFIX}{@code <name>}, its password as a secret,
 * and is the {@link io.pgdock.datasource.TargetResolver} a {@link io.pgdock.datasource.DataSourceFactory} resolves names
 * with; environment variables ({@code PGDOCK_TARGET_<NAME>_*}) can override a stored connection.
 *
 * <p>This is the only package of the module that uses the configuration store. {@code io.pgdock:pgdock-jsonb-config}
 * is an optional dependency of the module: an application that uses this package has it already (it makes the
 * {@link io.pgdock.config.ConfigStore} the registry reads); on the module path it {@code requires io.pgdock.config}.
 *
 * <p>Every type here is thread-safe (the records are immutable).
 *
 * <p>Nothing here takes or returns {@code null} unless it is marked {@code @Nullable} (JSpecify's
 * {@code org.jspecify.annotations.Nullable}; the package is {@code @NullMarked}).
 */
@NullMarked
package io.pgdock.datasource.registry;

import org.jspecify.annotations.NullMarked;
