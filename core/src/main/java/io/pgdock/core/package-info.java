/**
 * pgdock's core: where to connect ({@link io.pgdock.core.ConnectionSpec}), the default storage resource
 * ({@link io.pgdock.core.Storage}), migrations and provisioning. Bulk transfer with COPY is in
 * {@link io.pgdock.core.copy}.
 *
 * <p>Nothing here takes or returns {@code null} unless it is marked {@code @Nullable} (JSpecify's
 * {@code org.jspecify.annotations.Nullable}; the package is {@code @NullMarked}).
 */
@NullMarked
package io.pgdock.core;

import org.jspecify.annotations.NullMarked;
import org.jspecify.annotations.Nullable;
