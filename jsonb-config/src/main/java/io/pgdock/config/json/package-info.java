/**
 * JSON rules (not exported): jsonb's normalisation and limits applied to every value, the store's default
 * {@code ObjectMapper}, error texts that never quote a value, JSON Pointer and JSON Merge Patch (RFC 6901, RFC 7386).
 */
@NullMarked
package io.pgdock.config.json;

import org.jspecify.annotations.NullMarked;
