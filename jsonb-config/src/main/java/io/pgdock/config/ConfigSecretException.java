package io.pgdock.config;

import io.pgdock.core.PgdockException;
import org.jspecify.annotations.Nullable;

/**
 * A secret could not be encrypted or decrypted: the store has no {@link KeyProvider}, the provider does not have the
 * key id the secret was encrypted with, the key does not fit, or the ciphertext was altered or copied from another
 * key or scope. The message names the key, the place of the secret in the value and the key id, for example
 * {@code config key "db" (scope "prod"): the secret at "/password" is encrypted with key id "k1", which the
 * KeyProvider does not have}; it never shows a value, a ciphertext or key material.
 */
public final class ConfigSecretException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Problem {
        /** The store was built without {@link ConfigOptions.Builder#keys(KeyProvider)}. */
        NO_KEY_PROVIDER,
        /** The {@link KeyProvider} does not have the key id. */
        UNKNOWN_KEY_ID,
        /** The key with that id does not unwrap the data key: other key material under the same id, or altered. */
        WRONG_KEY,
        /** The ciphertext fails authentication: altered, or copied from another key, scope or key id. */
        TAMPERED,
        /** The stored secret object is not in a format this version reads. */
        MALFORMED,
        /** The key provider failed or gave an unusable key. */
        KEY_PROVIDER_FAILED
    }

    /** The key concerned, or null. */
    private final @Nullable String key;
    /** The master key id concerned, or null. */
    private final @Nullable String keyId;
    /** What went wrong. */
    private final Problem problem;

    /**
     * An exception about the secret at {@code key}.
     *
     * @param key the config key
     * @param keyId the key id concerned, or null if none is known
     * @param problem what went wrong
     * @param message the whole message, naming the key and key id
     * @param cause the underlying failure (never one whose message holds secret material), or null
     */
    public ConfigSecretException(@Nullable String key, @Nullable String keyId, Problem problem, String message,
            @Nullable Throwable cause) {
        super(message, cause);
        this.key = key;
        this.keyId = keyId;
        this.problem = problem;
    }

    /** @return the config key whose secret failed, or null when no key was concerned yet (a re-encryption refused) */
    public @Nullable String key() {
        return key;
    }

    /** @return the key id concerned, or null if none is known (no key provider and nothing stored yet) */
    public @Nullable String keyId() {
        return keyId;
    }

    /** @return what went wrong */
    public Problem problem() {
        return problem;
    }
}
