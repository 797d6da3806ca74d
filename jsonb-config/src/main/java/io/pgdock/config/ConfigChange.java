package io.pgdock.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One change of one key, as recorded in its history: written by a database trigger in the PostgreSQL store, so changes
 * made with plain SQL are recorded too.
 *
 * @param scope the scope of the key
 * @param key the key
 * @param version the version this change produced; for a deletion, the version that was deleted
 * @param kind what happened
 * @param oldValue the value before, or null when the key was created
 * @param newValue the value after, or null when the key was deleted
 * @param actor who made the change
 * @param reason why, if the writer said (see {@link ConfigStore#because(String)}), else null
 * @param changedAt when the change was made (the start of its transaction, in the PostgreSQL store)
 */
public record ConfigChange(String scope, String key, long version, Kind kind, @Nullable JsonNode oldValue,
        @Nullable JsonNode newValue, String actor, @Nullable String reason, Instant changedAt) {

    /** What a change did. */
    public enum Kind {
        /** The key was created. */
        CREATE,
        /** The key's value was replaced. */
        UPDATE,
        /** The key was deleted. */
        DELETE
    }

    /**
     * Checks the required parts are present.
     *
     * @param scope the scope of the key
     * @param key the key
     * @param version the version this change produced; for a deletion, the version that was deleted
     * @param kind what happened
     * @param oldValue the value before, or null when the key was created
     * @param newValue the value after, or null when the key was deleted
     * @param actor who made the change
     * @param reason why, if the writer said (see {@link ConfigStore#because(String)}), else null
     * @param changedAt when the change was made (the start of its transaction, in the PostgreSQL store)
     * @throws NullPointerException if scope, key, kind, actor or changedAt is null
     */
    public ConfigChange {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(changedAt, "changedAt");
    }

    /**
     * The value before the change.
     *
     * @return the old value, or empty when the key was created
     */
    public Optional<JsonNode> before() {
        return Optional.ofNullable(oldValue);
    }

    /**
     * The value after the change.
     *
     * @return the new value, or empty when the key was deleted
     */
    public Optional<JsonNode> after() {
        return Optional.ofNullable(newValue);
    }

    /** Names the change without its values, which may be secrets. */
    @Override
    public String toString() {
        return "ConfigChange[scope=\"" + scope + "\", key=\"" + key + "\", version=" + version + ", kind=" + kind
                + ", actor=" + actor + ", reason=" + reason + ", changedAt=" + changedAt + "]";
    }

    /**
     * The writer's reason.
     *
     * @return the reason, or empty
     */
    public Optional<String> why() {
        return Optional.ofNullable(reason);
    }
}
