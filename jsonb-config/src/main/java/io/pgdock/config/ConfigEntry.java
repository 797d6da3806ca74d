package io.pgdock.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * One configuration value as stored: its scope, key, JSON value, version and who last changed it when.
 *
 * @param scope the scope that holds it ({@code ""} for the root scope)
 * @param key the key
 * @param value the value, never Java {@code null} (a JSON null is a {@code NullNode}); do not modify it
 * @param version 1 for the first write of the key, one more for every write after it
 * @param updatedAt when the current version was written
 * @param updatedBy who wrote it (the store's actor, see {@link ConfigStore#as(String)})
 */
public record ConfigEntry(String scope, String key, JsonNode value, long version, Instant updatedAt, String updatedBy) {
    /**
     * Checks the parts are present.
     *
     * @param scope the scope that holds it ({@code ""} for the root scope)
     * @param key the key
     * @param value the value, never Java {@code null} (a JSON null is a {@code NullNode}); do not modify it
     * @param version 1 for the first write of the key, one more for every write after it
     * @param updatedAt when the current version was written
     * @param updatedBy who wrote it (the store's actor, see {@link ConfigStore#as(String)})
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if the version is not positive
     */
    public ConfigEntry {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(updatedBy, "updatedBy");
        if (version < 1) {
            throw new IllegalArgumentException("version: must be positive, but was " + version);
        }
    }

    /**
     * Names the entry without its value, which may be a secret: for example
     * {@code ConfigEntry[scope="prod", key="db.password", version=3, updatedAt=..., updatedBy=ops, value=STRING]}.
     */
    @Override
    public String toString() {
        return "ConfigEntry[scope=\"" + scope + "\", key=\"" + key + "\", version=" + version + ", updatedAt=" + updatedAt
                + ", updatedBy=" + updatedBy + ", value=" + value.getNodeType() + "]";
    }
}
