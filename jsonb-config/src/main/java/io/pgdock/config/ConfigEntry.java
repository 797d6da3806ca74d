package io.pgdock.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One configuration value as stored: its scope, key, JSON value, version and who last changed it when; or, in a store
 * with {@linkplain ConfigOptions.Builder#environmentOverrides(java.util.Map, String) environment overrides}, the value
 * of an environment variable that overrides the key ({@link #environmentVariable()}).
 *
 * @param scope the scope that holds it ({@code ""} for the root scope); for an entry from the environment, the scope
 *     of the view that read it
 * @param key the key
 * @param value the value, never Java {@code null} (a JSON null is a {@code NullNode}); do not modify it
 * @param version 1 for the first write of the key, one more for every write after it; for an entry from the
 *     environment, the version the key has in {@code scope} in the store, 0 if it has none there
 * @param updatedAt when the current version was written; for an entry from the environment, when it was read
 * @param updatedBy who wrote it (the store's actor, see {@link ConfigStore#as(String)}); {@code "environment"} for an
 *     entry from the environment
 * @param variable the environment variable that holds the value, or null for a stored entry
 */
public record ConfigEntry(String scope, String key, JsonNode value, long version, Instant updatedAt, String updatedBy,
        @Nullable String variable) {
    /**
     * Checks the parts are present.
     *
     * @param scope the scope that holds it ({@code ""} for the root scope), or the view's for an entry from the
     *     environment
     * @param key the key
     * @param value the value, never Java {@code null} (a JSON null is a {@code NullNode}); do not modify it
     * @param version 1 for the first write of the key, one more for every write after it; for an entry from the
     *     environment, the key's version in {@code scope}, 0 if none
     * @param updatedAt when the current version was written, or read from the environment
     * @param updatedBy who wrote it (the store's actor, see {@link ConfigStore#as(String)})
     * @param variable the environment variable that holds the value, or null for a stored entry
     * @throws NullPointerException if a part other than {@code variable} is null
     * @throws IllegalArgumentException if the version is not positive (negative, for an entry from the environment)
     */
    public ConfigEntry {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(updatedBy, "updatedBy");
        if (version < (variable == null ? 1 : 0)) {
            throw new IllegalArgumentException("version: must be " + (variable == null ? "positive" : "0 or more")
                    + ", but was " + version);
        }
    }

    /**
     * A stored entry.
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
    public ConfigEntry(String scope, String key, JsonNode value, long version, Instant updatedAt, String updatedBy) {
        this(scope, key, value, version, updatedAt, updatedBy, null);
    }

    /**
     * The environment variable that answered instead of the store
     * ({@link ConfigOptions.Builder#environmentOverrides(java.util.Map, String)}).
     *
     * @return the variable's name, or empty for a stored entry
     */
    public Optional<String> environmentVariable() {
        return Optional.ofNullable(variable);
    }

    /**
     * Names the entry without its value, which may be a secret: for example
     * {@code ConfigEntry[scope="prod", key="db.password", version=3, updatedAt=..., updatedBy=ops, value=STRING]}
     * (with {@code variable=NAME} before the value for an entry from the environment).
     */
    @Override
    public String toString() {
        return "ConfigEntry[scope=\"" + scope + "\", key=\"" + key + "\", version=" + version + ", updatedAt=" + updatedAt
                + ", updatedBy=" + updatedBy + (variable == null ? "" : ", variable=" + variable) + ", value="
                + value.getNodeType() + "]";
    }
}
