package io.pgdock.config.secret;

import io.pgdock.config.KeyProvider;
import io.pgdock.config.store.ConfigKeys;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * The {@link KeyProvider} made from a fixed set of keys (given, or parsed from an environment variable or file).
 * Messages name the source, the entry and the key id, never key material. Immutable and thread-safe.
 */
public final class KeyRing implements KeyProvider {
    public static final int KEY_BYTES = 32;
    private static final int MAX_KEY_ID = 64;

    private final String current;
    private final Map<String, SecretKey> keys;

    private KeyRing(String current, Map<String, SecretKey> keys) {
        this.current = current;
        this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    public static KeyRing of(String currentKeyId, Map<String, SecretKey> keys) {
        Objects.requireNonNull(currentKeyId, "currentKeyId");
        Objects.requireNonNull(keys, "keys");
        Map<String, SecretKey> copy = new LinkedHashMap<>();
        keys.forEach((id, key) -> {
            if (!validKeyId(id)) {
                throw new IllegalArgumentException("keys: key id " + ConfigKeys.show(id) + " " + KEY_ID_RULE);
            }
            String problem = problem(Objects.requireNonNull(key, "keys[" + id + "]"));
            if (problem != null) {
                throw new IllegalArgumentException("keys: key id \"" + id + "\": " + problem);
            }
            copy.put(id, key);
        });
        if (!copy.containsKey(currentKeyId)) {
            throw new IllegalArgumentException("currentKeyId: " + ConfigKeys.show(currentKeyId)
                    + " is not among the keys " + copy.keySet());
        }
        return new KeyRing(currentKeyId, copy);
    }

    private static final String KEY_ID_RULE = "must be 1 to " + MAX_KEY_ID + " characters from A-Z a-z 0-9 . _ -";

    public static boolean validKeyId(@Nullable String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_KEY_ID) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
                    || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Why {@code key} is not a usable 256-bit AES key, or null. Keys that do not reveal their bytes are trusted. */
    public static @Nullable String problem(SecretKey key) {
        if (!"AES".equalsIgnoreCase(key.getAlgorithm())) {
            return "not an AES key (algorithm " + key.getAlgorithm() + ")";
        }
        byte[] encoded = key.getEncoded();
        if (encoded != null) {
            int length = encoded.length;
            java.util.Arrays.fill(encoded, (byte) 0);
            if (length != KEY_BYTES) {
                return "the key is " + length + " bytes; AES-256 needs " + KEY_BYTES;
            }
        }
        return null;
    }

    /**
     * Parses {@code <key id>:<base64 key>} items, the first being current. {@code source} names the variable or file,
     * {@code unit} is "entry" or "line". Lines of a file may be blank or comments; entries of a variable may not.
     */
    public static KeyRing parse(String source, String[] items, String unit) {
        boolean lines = unit.equals("line");
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        String current = null;
        for (int i = 0; i < items.length; i++) {
            String item = items[i].strip();
            String where = source + ": " + unit + " " + (i + 1);
            if (lines && (item.isEmpty() || item.startsWith("#"))) {
                continue;
            }
            if (item.isEmpty()) {
                throw new IllegalArgumentException(where + " is empty; expected <key id>:<base64 key>[,...]");
            }
            int colon = item.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(where + " has no ':' between the key id and the key; expected"
                        + " <key id>:<base64 key>");
            }
            String id = item.substring(0, colon).strip();
            if (!validKeyId(id)) {
                // Not shown: what stands before ':' may be key material written the wrong way round.
                throw new IllegalArgumentException(where + ": the key id (before ':') " + KEY_ID_RULE);
            }
            where += " (key id \"" + id + "\")";
            if (keys.containsKey(id)) {
                throw new IllegalArgumentException(where + ": the key id appears twice");
            }
            byte[] bytes;
            try {
                bytes = java.util.Base64.getDecoder().decode(item.substring(colon + 1).strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": the key is not standard base64", null);
            }
            if (bytes.length != KEY_BYTES) {
                int length = bytes.length;
                java.util.Arrays.fill(bytes, (byte) 0);
                throw new IllegalArgumentException(where + ": the key is " + length + " bytes; AES-256 needs "
                        + KEY_BYTES + " (44 characters of base64)");
            }
            keys.put(id, new SecretKeySpec(bytes, "AES"));
            java.util.Arrays.fill(bytes, (byte) 0);
            if (current == null) {
                current = id;
            }
        }
        if (current == null) {
            throw new IllegalArgumentException(source + ": holds no key; expected <key id>:<base64 key> "
                    + (lines ? "lines" : "entries") + ", the current key first");
        }
        return new KeyRing(current, keys);
    }

    @Override
    public String currentKeyId() {
        return current;
    }

    @Override
    public Optional<SecretKey> key(String keyId) {
        return Optional.ofNullable(keys.get(keyId));
    }

    /** Names the key ids, never the keys. */
    @Override
    public String toString() {
        return "KeyProvider[current=" + current + ", keyIds=" + keys.keySet() + "]";
    }
}
