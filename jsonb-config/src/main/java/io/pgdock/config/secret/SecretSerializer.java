package io.pgdock.config.secret;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.pgdock.config.Secret;
import java.io.IOException;

/**
 * Writes a {@link Secret}: a placeholder while a store seals a value, else {@code "***"}. Named by {@code Secret}'s
 * annotation and registered on every store's mapper, so that a mapper that ignores annotations writes secrets the same
 * way. Stateless and thread-safe.
 */
public final class SecretSerializer extends StdSerializer<Secret> {
    private static final long serialVersionUID = 1L;

    /** For Jackson, which creates it from {@code Secret}'s annotation. */
    public SecretSerializer() {
        super(Secret.class);
    }

    @Override
    public void serialize(Secret secret, JsonGenerator gen, SerializerProvider provider) throws IOException {
        SecretCodec.writePlaceholder(secret, gen, provider);
    }
}
