package io.pgdock.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How a read of one key was answered in a scoped store: which scopes were consulted, most specific first, and which one
 * answered; or, in a store with
 * {@linkplain ConfigOptions.Builder#environmentOverrides(java.util.Map, String) environment overrides}, that an
 * environment variable answered ({@link #environmentVariable()}) and which stored entry it hides ({@link #shadowed()}).
 *
 * @param key the key
 * @param consulted the scopes looked at, most specific first, ending with the root scope {@code ""}
 * @param answer the entry that answered, or null when neither the environment nor a scope holds the key
 * @param hidden the stored entry that would answer without the environment variable, or null (no variable answered,
 *     or no scope holds the key)
 */
public record ConfigExplanation(String key, List<String> consulted, @Nullable ConfigEntry answer,
        @Nullable ConfigEntry hidden) {
    /**
     * Copies the list.
     *
     * @param key the key
     * @param consulted the scopes looked at, most specific first, ending with the root scope {@code ""}
     * @param answer the entry that answered, or null when neither the environment nor a scope holds the key
     * @param hidden the stored entry the environment variable hides, or null
     * @throws NullPointerException if the key or list is null
     */
    public ConfigExplanation {
        Objects.requireNonNull(key, "key");
        consulted = List.copyOf(Objects.requireNonNull(consulted, "consulted"));
    }

    /**
     * An explanation where no environment variable answered.
     *
     * @param key the key
     * @param consulted the scopes looked at, most specific first, ending with the root scope {@code ""}
     * @param answer the entry that answered, or null when no scope holds the key
     * @throws NullPointerException if the key or list is null
     */
    public ConfigExplanation(String key, List<String> consulted, @Nullable ConfigEntry answer) {
        this(key, consulted, answer, null);
    }

    /**
     * The environment variable that answered, above every scope.
     *
     * @return the variable's name, or empty when a scope answered or nothing did
     */
    public Optional<String> environmentVariable() {
        return entry().flatMap(ConfigEntry::environmentVariable);
    }

    /**
     * The stored entry hidden by the {@linkplain #environmentVariable() environment variable} that answered.
     *
     * @return the entry that would answer without the variable, or empty
     */
    public Optional<ConfigEntry> shadowed() {
        return Optional.ofNullable(hidden);
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
     * @return the scope, or empty when no scope holds the key or an {@linkplain #environmentVariable() environment
     *     variable} answered
     */
    public Optional<String> answeredBy() {
        return entry().filter(e -> e.variable() == null).map(ConfigEntry::scope);
    }

    /**
     * For example {@code ingest.batch_size: answered by "prod" at version 3 (consulted "prod/ingest", "prod", "")}, or
     * {@code ingest.batch_size: answered by the environment variable PGDOCK_VAR_INGEST__BATCH_SIZE, over "prod" at
     * version 3 (consulted ...)}. Holds no values.
     */
    @Override
    public String toString() {
        String where;
        if (answer == null) {
            where = "not set";
        } else if (answer.variable() != null) {
            where = "answered by the environment variable " + answer.variable() + (hidden == null ? ", over nothing stored"
                    : ", over \"" + hidden.scope() + "\" at version " + hidden.version());
        } else {
            where = "answered by \"" + answer.scope() + "\" at version " + answer.version();
        }
        return key + ": " + where + " (consulted " + String.join(", ", consulted.stream().map(s -> "\"" + s + "\"").toList())
                + ")";
    }
}
