package io.pgdock.config.secret;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.pgdock.config.ConfigSecretException;
import io.pgdock.config.KeyProvider;
import io.pgdock.config.Secret;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.store.ConfigKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.jspecify.annotations.Nullable;

/**
 * Envelope encryption of secrets inside JSON values. Not API.
 *
 * <p><b>Format</b> (shared with export/import): a secret is stored as
 * {@code {"$pgdock_secret": {"v": 1, "kid": "<key id>", "alg": "A256GCM", "dek": "<base64>", "iv": "<base64>",
 * "ct": "<base64>"}}}, as the whole value or as any member or element inside it. {@code dek} is a fresh random 256-bit
 * data key wrapped with the master key {@code kid} by AES Key Wrap (RFC 3394, whose integrity check tells a wrong key
 * apart); {@code iv} is a random 96-bit nonce; {@code ct} is AES-256-GCM of the secret's compact JSON text under the data
 * key, with its 128-bit tag. The GCM associated data binds the ciphertext to its version, algorithm, key id, scope and
 * config key (joined with NUL, which none of them can hold), so a ciphertext copied to another key id, scope or key
 * fails to decrypt instead of giving a value that belongs elsewhere.
 *
 * <p><b>Writing.</b> {@link Secret} markers in a Java value turn into placeholders when the value is mapped by a
 * {@link Capture} (a random token per write, so no stored value can pose as one); after the value is normalised,
 * {@link #seal} replaces each placeholder by an envelope (or, for schema checks, by the plain value). The capture
 * reaches {@link Secret.Serializer} as a Jackson per-call attribute ({@link ObjectWriter#withAttribute}, read with
 * {@link SerializerProvider#getAttribute}) of that one mapping, so nothing is left on the thread, and a mapping that
 * does not come from here (any other mapper, or the store's mapper used elsewhere) has no attribute and writes
 * {@code "***"}.
 *
 * <p>Stateless; thread-safe. A {@link Capture} belongs to one write on one thread.
 */
public final class SecretCodec {
    public static final String FIELD = "$pgdock_secret";
    public static final String ALG = "A256GCM";
    public static final int VERSION = 1;
    private static final String PLACEHOLDER = "$pgdock_secret_placeholder";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * The key of the per-call attribute that tells {@link Secret.Serializer} what a mapping is for: a {@link Capture},
     * or {@link #NESTED} while mapping a secret's content; without it a secret is written as {@code "***"}.
     */
    private static final Object CAPTURE = new Object();
    private static final Object NESTED = new Object();

    private SecretCodec() {
    }

    // ------------------------------------------------------------------------------------------------------------
    // Capturing Secret markers while a value is mapped to JSON

    /** The secrets met while one value of one write is mapped by the store's mapper (see {@link #toTree}). */
    public static final class Capture {
        final String token = UUID.randomUUID().toString();
        public final List<Secret> secrets = new ArrayList<>();
        private final ObjectMapper mapper;

        private Capture(ObjectMapper mapper) {
            this.mapper = mapper;
        }

        /**
         * The value to map: a JSON tree holding Java objects in POJO nodes ({@code Secret}s among them) is mapped again
         * by the store's mapper, so that the objects become JSON and the secrets are seen.
         */
        public @Nullable Object prepare(@Nullable Object value) {
            if (value instanceof Secret) {
                return value;
            }
            if (value instanceof JsonNode node && hasPojo(node)) {
                return toTree(node);
            }
            return value;
        }

        /**
         * {@code value} mapped to JSON by the store's mapper, as {@link ObjectMapper#valueToTree} maps it, each
         * {@link Secret} in it written as a placeholder of this capture.
         *
         * @throws IllegalArgumentException if the mapper cannot map it, as {@code valueToTree} does
         */
        public JsonNode toTree(Object value) {
            return SecretCodec.toTree(mapper, value, this);
        }
    }

    /** A capture for one value of one write, mapped by {@code mapper}. */
    public static Capture capture(ObjectMapper mapper) {
        return new Capture(mapper);
    }

    /** {@code value} mapped to JSON as the content of a secret, which cannot hold another {@code Secret}. */
    public static JsonNode toTreeInside(ObjectMapper mapper, @Nullable Object value) {
        return toTree(mapper, value, NESTED);
    }

    /**
     * What {@link ObjectMapper#valueToTree} does (a {@link TokenBuffer} read back as a tree, BigDecimal floats when the
     * mapper reads them so), with {@code purpose} as the {@link #CAPTURE} attribute of this one call.
     */
    private static JsonNode toTree(ObjectMapper mapper, @Nullable Object value, Object purpose) {
        if (value == null) {
            return JsonValues.NODES.nullNode();
        }
        // CLOSE_CLOSEABLE off: valueToTree never closes the value it maps, and neither does this.
        ObjectWriter writer = mapper.writer().without(SerializationFeature.CLOSE_CLOSEABLE).withAttribute(CAPTURE,
                purpose);
        TokenBuffer buffer = new TokenBuffer(mapper, false);
        if (mapper.isEnabled(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)) {
            buffer = buffer.forceUseOfBigDecimal(true);
        }
        try {
            writer.writeValue(buffer, value);
            try (JsonParser p = buffer.asParser()) {
                return mapper.readTree(p);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public static void writePlaceholder(Secret secret, JsonGenerator gen, SerializerProvider provider)
            throws IOException {
        Object capture = provider.getAttribute(CAPTURE);
        if (capture == NESTED) {
            throw new IllegalArgumentException("Secret.of: a secret cannot hold another Secret");
        }
        if (capture instanceof Capture c) {
            gen.writeStartObject();
            gen.writeStringField(PLACEHOLDER, c.token + ":" + c.secrets.size());
            gen.writeEndObject();
            c.secrets.add(secret);
        } else {
            gen.writeString(Secret.REDACTED);
        }
    }

    /** Whether a tree holds POJO nodes (iteratively: trees may be deep). */
    public static boolean hasPojo(JsonNode root) {
        Deque<JsonNode> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            JsonNode n = todo.pop();
            if (n instanceof POJONode) {
                return true;
            }
            if (n.isContainerNode()) {
                n.elements().forEachRemaining(todo::push);
            }
        }
        return false;
    }

    /**
     * {@code value} (normalised, at most {@link JsonValues#MAX_DEPTH} deep) with each placeholder of {@code capture}
     * replaced by {@code replace.apply(pointer, secret)}.
     */
    public static JsonNode seal(JsonNode value, Capture capture, BiFunction<String, Secret, JsonNode> replace) {
        String prefix = capture.token + ":";
        return map(value, "", node -> node.isObject() && node.size() == 1 && node.get(PLACEHOLDER) != null
                && node.get(PLACEHOLDER).isTextual() && node.get(PLACEHOLDER).textValue().startsWith(prefix),
                (pointer, node) -> replace.apply(pointer, capture.secrets.get(
                        Integer.parseInt(node.get(PLACEHOLDER).textValue().substring(prefix.length())))));
    }

    // ------------------------------------------------------------------------------------------------------------
    // Tree walks

    private interface Match {
        boolean test(JsonNode node);
    }

    /** A copy of {@code node} with each matching part replaced; {@code node} itself if nothing matches. */
    private static JsonNode map(JsonNode node, String pointer, Match match, BiFunction<String, JsonNode, JsonNode> f) {
        if (match.test(node)) {
            return f.apply(pointer, node);
        }
        if (!node.isContainerNode() || !contains(node, match)) {
            return node;
        }
        if (node.isObject()) {
            ObjectNode out = JsonValues.NODES.objectNode();
            for (Map.Entry<String, JsonNode> m : node.properties()) {
                out.set(m.getKey(), map(m.getValue(), pointer + "/" + escape(m.getKey()), match, f));
            }
            return out;
        }
        ArrayNode out = JsonValues.NODES.arrayNode(node.size());
        int i = 0;
        for (JsonNode element : node) {
            out.add(map(element, pointer + "/" + i++, match, f));
        }
        return out;
    }

    private static boolean contains(JsonNode root, Match match) {
        Deque<JsonNode> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            JsonNode n = todo.pop();
            if (match.test(n)) {
                return true;
            }
            if (n.isContainerNode()) {
                n.elements().forEachRemaining(todo::push);
            }
        }
        return false;
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    public static boolean isEnvelope(JsonNode node) {
        return node != null && node.isObject() && node.size() == 1 && node.get(FIELD) != null;
    }

    /** Whether {@code value} holds a stored secret anywhere. */
    public static boolean containsSecret(JsonNode value) {
        return value.isContainerNode() && contains(value, SecretCodec::isEnvelope);
    }

    public static JsonNode redact(JsonNode value) {
        return map(value, "", SecretCodec::isEnvelope, (p, n) -> JsonValues.NODES.textNode(Secret.REDACTED));
    }

    // ------------------------------------------------------------------------------------------------------------
    // Encryption

    private static byte[] aad(String kid, String scope, String key) {
        return ("pgdock_secret\0" + VERSION + "\0" + ALG + "\0" + kid + "\0" + scope + "\0" + key)
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String where(String scope, String key, String pointer) {
        return "config key " + ConfigKeys.describe(scope, key) + ": the secret at "
                + (pointer.isEmpty() ? "the root" : ConfigKeys.show(pointer));
    }

    private static SecretKey master(KeyProvider keys, String kid, String scope, String key, String pointer) {
        Optional<SecretKey> found;
        try {
            found = keys.key(kid);
        } catch (RuntimeException e) {
            throw new ConfigSecretException(key, kid, ConfigSecretException.Problem.KEY_PROVIDER_FAILED,
                    where(scope, key, pointer) + ": the KeyProvider failed to give key id \"" + kid + "\" ("
                            + e.getClass().getName() + ")", null);
        }
        if (found == null || found.isEmpty()) {
            throw new ConfigSecretException(key, kid, ConfigSecretException.Problem.UNKNOWN_KEY_ID,
                    where(scope, key, pointer) + " is encrypted with key id \"" + kid
                            + "\", which the store's KeyProvider does not have", null);
        }
        String problem = KeyRing.problem(found.get());
        if (problem != null) {
            throw new ConfigSecretException(key, kid, ConfigSecretException.Problem.KEY_PROVIDER_FAILED,
                    where(scope, key, pointer) + ": key id \"" + kid + "\" from the KeyProvider is unusable: " + problem,
                    null);
        }
        return found.get();
    }

    public static KeyProvider require(Optional<KeyProvider> keys, String scope, String key, String pointer,
            @Nullable String kid, String doing) {
        if (keys.isEmpty()) {
            throw new ConfigSecretException(key, kid, ConfigSecretException.Problem.NO_KEY_PROVIDER,
                    where(scope, key, pointer) + (kid == null ? "" : " (key id \"" + kid + "\")") + " cannot be "
                            + doing + ": the store has no KeyProvider (ConfigOptions.builder().keys(...))", null);
        }
        return keys.get();
    }

    /** Encrypts {@code plain} (normalised JSON) under the provider's current key. */
    public static JsonNode encrypt(KeyProvider keys, String scope, String key, String pointer, JsonNode plain) {
        String kid;
        try {
            kid = keys.currentKeyId();
        } catch (RuntimeException e) {
            throw new ConfigSecretException(key, null, ConfigSecretException.Problem.KEY_PROVIDER_FAILED,
                    where(scope, key, pointer) + ": the KeyProvider failed to name its current key id ("
                            + e.getClass().getName() + ")", null);
        }
        if (!KeyRing.validKeyId(kid)) {
            throw new ConfigSecretException(key, null, ConfigSecretException.Problem.KEY_PROVIDER_FAILED,
                    where(scope, key, pointer) + ": the KeyProvider's current key id " + ConfigKeys.show(kid)
                            + " is not 1 to 64 characters from A-Z a-z 0-9 . _ -", null);
        }
        SecretKey master = master(keys, kid, scope, key, pointer);
        byte[] text = JsonValues.bytes(plain);
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256, RANDOM);
            SecretKey dek = generator.generateKey();
            Cipher wrap = Cipher.getInstance("AESWrap");
            wrap.init(Cipher.WRAP_MODE, master);
            byte[] wrapped = wrap.wrap(dek);
            byte[] iv = new byte[IV_BYTES];
            RANDOM.nextBytes(iv);
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, dek, new GCMParameterSpec(TAG_BITS, iv));
            gcm.updateAAD(aad(kid, scope, key));
            byte[] ct = gcm.doFinal(text);
            ObjectNode body = JsonValues.NODES.objectNode();
            Base64.Encoder b64 = Base64.getEncoder();
            body.put("v", VERSION).put("kid", kid).put("alg", ALG).put("dek", b64.encodeToString(wrapped))
                    .put("iv", b64.encodeToString(iv)).put("ct", b64.encodeToString(ct));
            ObjectNode envelope = JsonValues.NODES.objectNode();
            envelope.set(FIELD, body);
            return JsonValues.normalize(scope, key, envelope);
        } catch (GeneralSecurityException e) {
            throw new ConfigSecretException(key, kid, ConfigSecretException.Problem.KEY_PROVIDER_FAILED,
                    where(scope, key, pointer) + " cannot be encrypted with key id \"" + kid + "\": "
                            + e.getClass().getSimpleName(), null);
        } finally {
            java.util.Arrays.fill(text, (byte) 0);
        }
    }

    /** The key id of an envelope, or null if it has none readable. */
    public static @Nullable String keyId(JsonNode envelope) {
        JsonNode kid = envelope.get(FIELD).get("kid");
        return kid != null && kid.isTextual() && KeyRing.validKeyId(kid.textValue()) ? kid.textValue() : null;
    }

    /** Decrypts one envelope. */
    public static JsonNode decrypt(Optional<KeyProvider> provider, String scope, String key, String pointer, JsonNode envelope) {
        JsonNode body = envelope.get(FIELD);
        String kid = keyId(envelope);
        if (!body.isObject() || kid == null || !body.path("v").isInt() || body.path("v").intValue() != VERSION
                || !ALG.equals(body.path("alg").textValue())) {
            throw malformed(scope, key, pointer, kid, "not version " + VERSION + " with alg " + ALG
                    + " and a valid kid");
        }
        byte[] wrapped = base64(body, "dek", scope, key, pointer, kid);
        byte[] iv = base64(body, "iv", scope, key, pointer, kid);
        byte[] ct = base64(body, "ct", scope, key, pointer, kid);
        if (iv.length != IV_BYTES || ct.length < TAG_BITS / 8 || wrapped.length != KeyRing.KEY_BYTES + 8) {
            throw malformed(scope, key, pointer, kid, "dek, iv or ct has the wrong length");
        }
        KeyProvider keys = require(provider, scope, key, pointer, kid, "decrypted");
        SecretKey master = master(keys, kid, scope, key, pointer);
        SecretKey dek;
        try {
            Cipher unwrap = Cipher.getInstance("AESWrap");
            unwrap.init(Cipher.UNWRAP_MODE, master);
            dek = (SecretKey) unwrap.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
        } catch (InvalidKeyException e) {
            throw new ConfigSecretException(key, kid, ConfigSecretException.Problem.WRONG_KEY,
                    where(scope, key, pointer) + " does not decrypt with key id \"" + kid + "\": the data key does not"
                            + " unwrap, so the key under that id is not the one it was encrypted with (or the data key"
                            + " was altered)", null);
        } catch (GeneralSecurityException e) {
            throw malformed(scope, key, pointer, kid, e.getClass().getSimpleName());
        }
        byte[] text = null;
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, dek, new GCMParameterSpec(TAG_BITS, iv));
            gcm.updateAAD(aad(kid, scope, key));
            text = gcm.doFinal(ct);
            return JsonValues.readStored(new String(text, StandardCharsets.UTF_8));
        } catch (AEADBadTagException e) {
            throw new ConfigSecretException(key, kid, ConfigSecretException.Problem.TAMPERED,
                    where(scope, key, pointer) + " (key id \"" + kid + "\") fails authentication: its ciphertext was"
                            + " altered, or copied from another config key or scope", null);
        } catch (GeneralSecurityException | IOException e) {
            throw malformed(scope, key, pointer, kid, e.getClass().getSimpleName());
        } finally {
            if (text != null) {
                java.util.Arrays.fill(text, (byte) 0);
            }
        }
    }

    private static byte[] base64(JsonNode body, String field, String scope, String key, String pointer, String kid) {
        JsonNode n = body.get(field);
        if (n == null || !n.isTextual()) {
            throw malformed(scope, key, pointer, kid, "\"" + field + "\" is missing or not text");
        }
        try {
            return Base64.getDecoder().decode(n.textValue());
        } catch (IllegalArgumentException e) {
            throw malformed(scope, key, pointer, kid, "\"" + field + "\" is not base64");
        }
    }

    private static ConfigSecretException malformed(String scope, String key, String pointer, @Nullable String kid,
            String why) {
        return new ConfigSecretException(key, kid, ConfigSecretException.Problem.MALFORMED,
                where(scope, key, pointer) + (kid == null ? "" : " (key id \"" + kid + "\")")
                        + " is not a secret this version can read: " + why, null);
    }

    /** {@code value} with each stored secret decrypted; {@code value} itself if it holds none. */
    public static JsonNode open(Optional<KeyProvider> keys, String scope, String key, JsonNode value) {
        if (!value.isContainerNode()) {
            return value;
        }
        return map(value, "", SecretCodec::isEnvelope, (pointer, envelope) -> decrypt(keys, scope, key, pointer,
                envelope));
    }

    /**
     * {@code value}, whose secrets were sealed for {@code key} in {@code fromScope}, with each secret re-encrypted for
     * the same key in {@code toScope} under the current key: the associated data binds a ciphertext to its scope, so an
     * export restored into another scope must be re-sealed (by a store that holds the keys).
     */
    public static JsonNode rebind(KeyProvider keys, String fromScope, String toScope, String key, JsonNode value) {
        return map(value, "", SecretCodec::isEnvelope, (pointer, envelope) -> encrypt(keys, toScope, key, pointer,
                decrypt(Optional.of(keys), fromScope, key, pointer, envelope)));
    }

    /**
     * {@code value} with each stored secret not under the current key re-encrypted under it, or null if every secret
     * already is (or there is none).
     */
    public static @Nullable JsonNode reseal(KeyProvider keys, String scope, String key, JsonNode value) {
        String current = keys.currentKeyId();
        boolean[] changed = {false};
        JsonNode out = map(value, "", SecretCodec::isEnvelope, (pointer, envelope) -> {
            if (current.equals(keyId(envelope))) {
                return envelope;
            }
            changed[0] = true;
            return encrypt(keys, scope, key, pointer, decrypt(Optional.of(keys), scope, key, pointer, envelope));
        });
        return changed[0] ? out : null;
    }
}
