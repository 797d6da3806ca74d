/**
 * Dynamic connections keyed by configuration.
 *
 * <p>{@link io.pgdock.datasource.DataSourceFactory} hands out {@link javax.sql.DataSource} handles for any number of
 * PostgreSQL targets, each described by a {@link io.pgdock.core.ConnectionSpec} or by a name that a
 * {@link io.pgdock.datasource.TargetResolver} turns into one. {@link io.pgdock.datasource.DataSourceFactory#pooled} keeps
 * a bounded set of HikariCP pools (idle TTL, pool limit, global connection limit, least-recently-used eviction, one
 * shared housekeeping thread), isolates failing targets with a typed error and a back-off, and follows password
 * rotation. {@link io.pgdock.datasource.FixedDataSourceFactory} is the fake for tests. Both pass
 * {@code DataSourceFactoryContract}. Named connections kept in the configuration store are in
 * {@code io.pgdock.datasource.registry}.
 *
 * <p>Every type here is thread-safe unless its documentation says otherwise (builders are not).
 *
 * <p>Nothing here takes or returns {@code null} unless it is marked {@code @Nullable} (JSpecify's
 * {@code org.jspecify.annotations.Nullable}; the package is {@code @NullMarked}).
 */
@NullMarked
package io.pgdock.datasource;

import org.jspecify.annotations.NullMarked;
