/**
 * Bulk transfer of rows in and out of PostgreSQL with {@code COPY}: {@link io.pgdock.core.copy.BulkTransfer} streams
 * rows from Java values or from text/CSV readers and streams query results out, {@link io.pgdock.core.copy.CopyFormat}
 * describes a raw COPY's text or CSV format, and {@link io.pgdock.core.copy.TableName} names the table a COPY loads.
 *
 * <p>A storage hands out one ready to use: {@link io.pgdock.core.Storage#bulk()}.
 *
 * <p>Nothing here takes or returns {@code null} unless it is marked {@code @Nullable} (JSpecify's
 * {@code org.jspecify.annotations.Nullable}; the package is {@code @NullMarked}).
 */
@NullMarked
package io.pgdock.core.copy;

import org.jspecify.annotations.NullMarked;
