package io.pgdock.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.secret.SecretCodec;
import io.pgdock.config.secret.SecretSerializer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A value, or a part of a value, to be stored encrypted. Put it anywhere in what you write: as the whole value
 * ({@link ConfigStore#putSecret(String, Object)}), as a map entry, as a field or record component, or in a Jackson tree
 * with {@code ObjectNode.putPOJO}:
 *
 * <pre>{@code
 * configs.putSecret("smtp.password", "hunter2");
 * configs.put("db", Map.of("url", "jdbc:postgresql://db/app", "password", Secret.of("hunter2")));
 * record Db(String url, Secret password) { }
 * configs.put("db", new Db("jdbc:postgresql://db/app", Secret.of("hunter2")));
 *
 * String pw = configs.get("db", Db.class).orElseThrow().password().revealText();  // needs the key
 * String same = configs.get("db").orElseThrow().at("/password").textValue();      // reads decrypt
 * }</pre>
 *
 * <p>The store encrypts each secret when it writes (envelope encryption, AES-256-GCM, see {@link KeyProvider}) and
 * decrypts it when a store that has the key reads it; the database only ever holds ciphertext, history included.
 * Reading the value back gives the plain JSON in place of the secret, which binds to a {@code String} field as well as
 * to a {@code Secret} one.
 *
 * <p>A {@code Secret} prints as {@value #REDACTED} and serializes as {@code "***"} with any Jackson mapper other than
 * the store's own writing, so it cannot leak through a log line or another serializer. The value itself is reached only
 * with {@link #reveal()} or {@link #revealText()}.
 *
 * <p>Immutable and thread-safe.
 */
@JsonSerialize(using = SecretSerializer.class)
public final class Secret {
    /** What a secret is shown as wherever a value is printed. */
    public static final String REDACTED = "***";

    private final JsonNode value;

    private Secret(JsonNode value) {
        this.value = value;
    }

    /**
     * A secret holding {@code value}, mapped to JSON now with the settings of
     * {@link ConfigOptions#defaultObjectMapper()}: a {@code Secret} belongs to no store, so a store's own
     * {@link ConfigOptions.Builder#objectMapper mapper} does not map it. For a value that needs your mapper, use
     * {@link ConfigStore#putSecret(String, Object)}, which maps with the store's mapper, or give a tree:
     * {@code Secret.of(mapper.valueToTree(value))}.
     *
     * @param value anything Jackson maps to JSON; Java {@code null} is JSON null; a {@code Secret} is returned as is
     * @return the secret
     * @throws IllegalArgumentException if the value cannot be mapped to JSON, or holds another {@code Secret}
     */
    public static Secret of(@Nullable Object value) {
        if (value instanceof Secret secret) {
            return secret;
        }
        if (value instanceof JsonNode node) {
            if (SecretCodec.hasPojo(node)) {
                throw new IllegalArgumentException("Secret.of: a JSON tree holding other objects (such as a Secret) "
                        + "cannot be a secret; give plain JSON");
            }
            return new Secret(node.deepCopy());
        }
        return new Secret(SecretCodec.toTreeInside(JsonValues.DEFAULT_MAPPER, value));
    }

    /** For Jackson: a secret field of a type being read binds the (decrypted) JSON found there. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Secret fromJson(JsonNode value) {
        return new Secret(value == null ? JsonValues.NODES.nullNode() : value);
    }

    /**
     * The value.
     *
     * @return a copy of the JSON value
     */
    public JsonNode reveal() {
        return value.deepCopy();
    }

    /**
     * The value as text.
     *
     * @return the text, if the value is a JSON string
     * @throws IllegalStateException if it is not a JSON string (the message says which JSON type it is)
     */
    public String revealText() {
        if (!value.isTextual()) {
            throw new IllegalStateException("the secret is a JSON " + value.getNodeType() + ", not a string");
        }
        return value.textValue();
    }

    /**
     * Whether {@code node} is a secret as stored: an object {@code {"$pgdock_secret": {...}}} holding the key id and
     * the ciphertext.
     *
     * @param node a JSON value, or null
     * @return true if it is a stored secret
     */
    public static boolean isEncrypted(JsonNode node) {
        return SecretCodec.isEnvelope(node);
    }

    /**
     * A copy of {@code value} with every stored secret in it replaced by the text {@value #REDACTED}, for showing a
     * value read without decryption (from {@link ConfigStore#history(String)} or {@link ConfigPolicy#explain(String)}).
     *
     * @param value a JSON value
     * @return the redacted copy; {@code value} itself if it holds no secret
     */
    public static JsonNode redact(JsonNode value) {
        return SecretCodec.redact(Objects.requireNonNull(value, "value"));
    }

    /** Two secrets are equal if their values are. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    /** Always {@value #REDACTED}. */
    @Override
    public String toString() {
        return REDACTED;
    }
}
