/**
 * Dynamic connections keyed by configuration: {@code DataSourceFactory}, a bounded cache of pools keyed by
 * {@link io.pgdock.core.ConnectionSpec}, and a fixed fake for tests.
 *
 * <p>Not built yet: this package is reserved for the dynamic-connections issue. See {@code DESIGN.md}, "Dynamic connections".
 */
package io.pgdock.datasource;
