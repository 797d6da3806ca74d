/**
 * pgdock's core: where to connect ({@link io.pgdock.core.ConnectionSpec}), the default storage resource, and bulk
 * transfer of rows in and out of PostgreSQL with COPY ({@link io.pgdock.core.BulkTransfer}).
 */
package io.pgdock.core;
