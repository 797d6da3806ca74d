/**
 * pgdock's core: where to connect ({@link io.pgdock.core.ConnectionSpec}), the default storage resource
 * ({@link io.pgdock.core.Storage}), migrations and provisioning. Bulk transfer with COPY is in
 * {@link io.pgdock.core.copy}.
 */
package io.pgdock.core;
