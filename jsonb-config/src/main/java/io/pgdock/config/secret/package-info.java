/**
 * Envelope encryption of secrets (not exported): AES-GCM data keys wrapped by a master key of a
 * {@link io.pgdock.config.KeyProvider}, bound to scope, key and JSON path; the key ring parsed from
 * {@code PGDOCK_CONFIG_KEYS}; and {@link io.pgdock.config.Secret}'s Jackson serializers.
 */
@NullMarked
package io.pgdock.config.secret;

import org.jspecify.annotations.NullMarked;
