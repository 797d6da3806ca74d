package io.pgdock.config;

import com.fasterxml.jackson.databind.JavaType;
import io.pgdock.config.store.ConfigKeys;
import io.pgdock.core.PgdockException;
import java.lang.reflect.Type;
import org.jspecify.annotations.Nullable;

/**
 * A stored value does not bind to the type the caller asked for. The message names the key, the type and the JSON path
 * where binding failed, for example {@code config key "ingest.limits" does not bind to Limits at /max: ...}.
 */
public final class ConfigBindingException extends PgdockException {
    private static final long serialVersionUID = 1L;

    /** The key whose value could not be bound. */
    private final String key;
    /** The type asked for. */
    private final String type;
    /** The JSON Pointer of the part that failed. */
    private final String path;

    /**
     * @param scope the scope that held the value
     * @param key the key
     * @param type the requested type
     * @param path the JSON Pointer of the failing part ({@code ""} for the whole value)
     * @param problem what did not fit
     * @param cause the binding failure
     */
    public ConfigBindingException(String scope, String key, Type type, String path, String problem,
            @Nullable Throwable cause) {
        super("config key " + ConfigKeys.describe(scope, key) + " does not bind to " + typeName(type) + " at "
                + (path.isEmpty() ? "the root" : path) + ": " + problem, cause);
        this.key = key;
        this.type = typeName(type);
        this.path = path;
    }

    /** A Jackson {@code JavaType} names itself as "[collection type; class java.util.List, contains ...]". */
    private static String typeName(Type type) {
        return type instanceof JavaType javaType ? javaType.toCanonical() : type.getTypeName();
    }

    /** @return the key */
    public String key() {
        return key;
    }

    /** @return the requested type's name */
    public String type() {
        return type;
    }

    /** @return the JSON Pointer of the part that failed, {@code ""} for the whole value */
    public String path() {
        return path;
    }
}
