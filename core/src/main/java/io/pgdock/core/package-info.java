/**
 * pgdock's core: where to connect ({@link io.pgdock.core.ConnectionSpec}), the default storage resource, and bulk
 * transfer of rows in and out of PostgreSQL with COPY ({@link io.pgdock.core.BulkTransfer}).
 *
 * <p>Nothing here takes or returns {@code null} unless it is marked {@code @Nullable} (JSpecify's
 * {@code org.jspecify.annotations.Nullable}; the package is {@code @NullMarked}).
 */
@NullMarked
package io.pgdock.core;

import org.jspecify.annotations.NullMarked;
