package io.pgdock.config.secret;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.node.NullNode;
import io.pgdock.config.Secret;
import java.io.IOException;

/**
 * Reads a secret field of a type being bound as {@code Secret}'s own creator does: the (decrypted) JSON found there.
 * Registered on every store's mapper, for a mapper that ignores annotations. Stateless and thread-safe.
 */
public final class SecretDeserializer extends StdDeserializer<Secret> {
    private static final long serialVersionUID = 1L;

    /** A deserializer; one is registered per store mapper. */
    public SecretDeserializer() {
        super(Secret.class);
    }

    @Override
    public Secret deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonNode value = ctxt.readTree(p);
        return Secret.of(value == null ? NullNode.getInstance() : value);
    }
}
