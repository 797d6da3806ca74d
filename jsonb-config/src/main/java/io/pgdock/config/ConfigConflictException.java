package io.pgdock.config;

import io.pgdock.config.store.ConfigKeys;
import io.pgdock.core.PgdockException;

/**
 * A compare-and-set write or delete found another version than the caller expected: someone else wrote the key first.
 * Read the key again, decide, and retry with {@link #currentVersion()}.
 */
public final class ConfigConflictException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /** The scope written to. */
    private final String scope;
    /** The key written. */
    private final String key;
    /** The version the writer expected. */
    private final long expectedVersion;
    /** The version the store had. */
    private final long currentVersion;

    /**
     * @param scope the key's scope
     * @param key the key
     * @param expectedVersion the version the caller expected (0: that the key does not exist)
     * @param currentVersion the version found (0: the key does not exist)
     */
    public ConfigConflictException(String scope, String key, long expectedVersion, long currentVersion) {
        super("config key " + ConfigKeys.describe(scope, key) + " is at version " + currentVersion
                + (currentVersion == 0 ? " (absent)" : "") + ", but version " + expectedVersion
                + (expectedVersion == 0 ? " (absent)" : "") + " was expected; read it again and retry", null);
        this.scope = scope;
        this.key = key;
        this.expectedVersion = expectedVersion;
        this.currentVersion = currentVersion;
    }

    /** @return the key's scope */
    public String scope() {
        return scope;
    }

    /** @return the key */
    public String key() {
        return key;
    }

    /** @return the version the caller expected; 0 means "must not exist" */
    public long expectedVersion() {
        return expectedVersion;
    }

    /** @return the version found; 0 means the key does not exist */
    public long currentVersion() {
        return currentVersion;
    }
}
