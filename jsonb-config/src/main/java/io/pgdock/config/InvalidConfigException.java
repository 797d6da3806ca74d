package io.pgdock.config;

import org.jspecify.annotations.Nullable;

/**
 * A key, scope or value was refused before anything was written: a key with a character outside the allowed set, a
 * value that is not valid JSON (with the position of the error), one too large, one PostgreSQL's {@code jsonb} cannot
 * store, or one that fails the JSON Schema of its key prefix. The message names the key and shows the bad part.
 */
public final class InvalidConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The key concerned, or null. */
    private final @Nullable String key;

    /**
     * @param key the key concerned, or null when the key itself could not be named
     * @param message what is wrong
     * @param cause the underlying failure, or null
     */
    public InvalidConfigException(@Nullable String key, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** @return the key concerned, or null */
    public @Nullable String key() {
        return key;
    }
}
