package io.pgdock.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How a read of one key was answered in a scoped store: which scopes were consulted, most specific first, and which one
 * answered.
 *
 * @param key the key
 * @param consulted the scopes looked at, most specific first, ending with the root scope {@code ""}
 * @param answer the entry that answered, or null when no scope holds the key
 */
public record ConfigExplanation(String key, List<String> consulted, @Nullable ConfigEntry answer) {
    /**
     * Copies the list.
     *
     * @param key the key
     * @param consulted the scopes looked at, most specific first, ending with the root scope {@code ""}
     * @param answer the entry that answered, or null when no scope holds the key
     * @throws NullPointerException if the key or list is null
     */
    public ConfigExplanation {
        Objects.requireNonNull(key, "key");
        consulted = List.copyOf(Objects.requireNonNull(consulted, "consulted"));
    }

    /**
     * The entry that answered.
     *
     * @return the entry, or empty when no scope holds the key
     */
    public Optional<ConfigEntry> entry() {
        return Optional.ofNullable(answer);
    }

    /**
     * The scope that answered.
     *
     * @return the scope, or empty when no scope holds the key
     */
    public Optional<String> answeredBy() {
        return entry().map(ConfigEntry::scope);
    }

    /** For example {@code ingest.batch_size: answered by "prod" (consulted "prod/ingest", "prod", "")}. */
    @Override
    public String toString() {
        String where = answer == null ? "not set" : "answered by \"" + answer.scope() + "\" at version " + answer.version();
        return key + ": " + where + " (consulted " + String.join(", ", consulted.stream().map(s -> "\"" + s + "\"").toList())
                + ")";
    }
}
