package io.pgdock.config;

import io.pgdock.config.secret.KeyRing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.SecretKey;

/**
 * Where a {@link ConfigStore} gets the master keys that protect its secrets ({@link Secret}). The keys come from outside
 * the database: an environment variable, a file, or a key service the application plugs in by implementing this
 * interface. Several keys may be known at once, so that secrets written under an older key stay readable while they are
 * re-encrypted ({@link ConfigPolicy#reencrypt(String)}) under the current one.
 *
 * <pre>{@code
 * ConfigStore configs = ConfigStore.postgres(storage, ConfigOptions.builder()
 *         .keys(KeyProvider.fromEnvironment(System.getenv()))   // PGDOCK_CONFIG_KEYS=k2:<base64>,k1:<base64>
 *         .build());
 * }</pre>
 *
 * <p>A key is a 256-bit AES key; a key id is 1 to 64 characters from {@code A-Z a-z 0-9 . _ -}. Key ids are stored
 * beside each secret's ciphertext, so they must never be reused for different key material.
 *
 * <p>Implementations must be thread-safe; the ones made here are immutable.
 */
public interface KeyProvider {
    /** The environment variable {@link #fromEnvironment(Map)} reads. */
    String ENVIRONMENT_VARIABLE = "PGDOCK_CONFIG_KEYS";

    /**
     * The id of the key new secrets are encrypted with. It may change over the provider's life (for example when a key
     * service rotates); {@link #key(String)} must then know it.
     *
     * @return the current key id
     */
    String currentKeyId();

    /**
     * The key with this id.
     *
     * @param keyId a key id, as stored beside a secret
     * @return the 256-bit AES key, or empty if this provider does not have it
     */
    Optional<SecretKey> key(String keyId);

    /**
     * A provider holding the given keys.
     *
     * @param currentKeyId the id of the key to encrypt with; must be one of {@code keys}
     * @param keys the keys by id: 256-bit AES keys
     * @return the provider
     * @throws IllegalArgumentException naming the key id, if an id is malformed, a key is not a 256-bit AES key, or the
     *     current id is not among the keys (no key material is ever shown)
     */
    static KeyProvider of(String currentKeyId, Map<String, SecretKey> keys) {
        return KeyRing.of(currentKeyId, keys);
    }

    /**
     * The keys in the environment variable {@value #ENVIRONMENT_VARIABLE}, for example
     * {@code PGDOCK_CONFIG_KEYS=k2:q83v...=,k1:Zm9v...=}: comma-separated entries {@code <key id>:<base64 key>}, the
     * first being the current key, each key 32 bytes in standard base64. Blanks around entries are ignored.
     *
     * @param env the environment, usually {@code System.getenv()}
     * @return the provider
     * @throws IllegalArgumentException naming the variable and the entry (its number and key id), if the variable is
     *     missing or an entry is malformed, a key is not base64 or not 32 bytes, or a key id repeats; the message never
     *     shows key material
     */
    static KeyProvider fromEnvironment(Map<String, String> env) {
        return fromEnvironment(env, ENVIRONMENT_VARIABLE);
    }

    /**
     * The keys in the environment variable {@code variable}, in the format of {@link #fromEnvironment(Map)}.
     *
     * @param env the environment
     * @param variable the name of the variable
     * @return the provider
     * @throws IllegalArgumentException as for {@link #fromEnvironment(Map)}
     */
    static KeyProvider fromEnvironment(Map<String, String> env, String variable) {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(variable, "variable");
        String text = env.get(variable);
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(variable + ": is not set; expected <key id>:<base64 key>[,...] with the"
                    + " current key first");
        }
        return KeyRing.parse(variable, text.split(",", -1), "entry");
    }

    /**
     * The keys in a UTF-8 text file, one {@code <key id>:<base64 key>} per line, the first being the current key.
     * Blank lines and lines starting with {@code #} are ignored. Keep the file readable by the application only.
     *
     * @param file the file
     * @return the provider
     * @throws IllegalArgumentException naming the file and the line (its number and key id) if the file is malformed,
     *     in the same ways as {@link #fromEnvironment(Map)}; never showing key material
     * @throws UncheckedIOException if the file cannot be read
     */
    static KeyProvider fromFile(Path file) {
        Objects.requireNonNull(file, "file");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": is not UTF-8 text", null);
        } catch (IOException e) {
            throw new UncheckedIOException("key file " + file + " cannot be read", e);
        }
        return KeyRing.parse(file.toString(), text.split("\r?\n", -1), "line");
    }
}
