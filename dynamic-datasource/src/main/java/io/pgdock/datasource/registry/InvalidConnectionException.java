package io.pgdock.datasource.registry;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A connection stored in the configuration store is not valid: its value is not a JSON object, has a field this
 * registry does not know, or a field of the wrong type or with a bad value. Thrown when the connection is read (by
 * {@link ConnectionRegistry#resolve}, {@link ConnectionRegistry#get}, {@link ConnectionRegistry#list}), so a value
 * written around the registry (with {@code pgdock config set}, an import or plain SQL) is refused where it is used.
 *
 * <p>The message names the connection, its config key and scope, the field, and the bad value, for example
 * {@code connection "warehouse" (config key "pgdock.connections.warehouse", scope (root)): port: must be a whole
 * number from 1 to 65535, but was 70000}; never a password (for {@code password} and {@code sslpassword} only the
 * JSON type is named).
 *
 * <p>Bad configuration, like {@link io.pgdock.core.InvalidConnectionSpecException}, so an
 * {@link IllegalArgumentException}.
 */
public final class InvalidConnectionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The connection's name. */
    private final String name;
    /** Its config key. */
    private final String key;
    /** The scope that holds it. */
    private final String scope;
    /** The field that is wrong, or {@code ""} for the value as a whole. */
    private final String field;

    InvalidConnectionException(String name, String key, String scope, String field, String problem,
            @Nullable Throwable cause) {
        super("connection \"" + name + "\" (config key \"" + key + "\", scope " + (scope.isEmpty() ? "(root)"
                : "\"" + scope + "\"") + "): " + (field.isEmpty() ? "" : field + ": ") + problem, cause);
        this.name = Objects.requireNonNull(name, "name");
        this.key = Objects.requireNonNull(key, "key");
        this.scope = Objects.requireNonNull(scope, "scope");
        this.field = Objects.requireNonNull(field, "field");
    }

    /**
     * The connection's name.
     *
     * @return the name, for example {@code warehouse}
     */
    public String name() {
        return name;
    }

    /**
     * The config key that holds it.
     *
     * @return for example {@code pgdock.connections.warehouse}
     */
    public String key() {
        return key;
    }

    /**
     * The scope that holds it.
     *
     * @return the scope; {@code ""} for the root scope
     */
    public String scope() {
        return scope;
    }

    /**
     * The field that is wrong, as a path into the stored object.
     *
     * @return for example {@code port}, {@code hosts[1].port} or {@code options.tcpKeepAlive}; {@code ""} when the
     *     value as a whole is wrong (not an object)
     */
    public String field() {
        return field;
    }
}
