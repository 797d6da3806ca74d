package io.pgdock.datasource.registry;

import io.pgdock.core.ConnectionSpec;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A connection as the registry stores it, for listing and inspecting: its settings without its secrets, whether it has
 * a password and how that is stored, and the version of its config entry. Made by {@link ConnectionRegistry#get},
 * {@link ConnectionRegistry#list} and {@link ConnectionRegistry#put}, which never decrypt a password (so they need no
 * master key); {@link ConnectionRegistry#resolve} gives the spec to connect with.
 *
 * @param name the connection's name
 * @param scope the scope of the config store that holds it ({@code ""} for the root scope)
 * @param spec the stored settings as a spec, <b>without</b> the password and the client key's password,
 *     which {@link #password()} and {@link #sslPassword()} describe
 * @param password how the password is stored
 * @param sslPassword how the client key's password (pgjdbc's option of that name) is stored
 * @param version the version of the config entry, for compare-and-set ({@link ConnectionRegistry#put(String,
 *     ConnectionSpec, long)}, {@link ConnectionRegistry#delete(String, long)})
 * @param updatedAt when that version was written
 * @param updatedBy who wrote it (the store's actor)
 */
public record StoredConnection(String name, String scope, ConnectionSpec spec, Password password,
        Password sslPassword, long version, Instant updatedAt, String updatedBy) {

    /** How a password is stored. */
    public enum Password {
        /** There is none. */
        NONE,
        /** Encrypted, as a {@link io.pgdock.config.Secret} (what {@link ConnectionRegistry#put} writes). */
        SECRET,
        /**
         * In plain text: the value was written around the registry (with {@code pgdock config set} without
         * {@code --secret}, an import, or SQL). It still connects; write the connection again with
         * {@link ConnectionRegistry#put} to encrypt it.
         */
        PLAIN_TEXT
    }

    /**
     * Checks the parts.
     *
     * @param name the connection's name
     * @param scope the scope that holds it
     * @param spec the settings without secrets
     * @param password how the password is stored
     * @param sslPassword how the client key's password is stored
     * @param version the entry's version
     * @param updatedAt when it was written
     * @param updatedBy who wrote it
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if the spec holds a password or sslpassword, or the version is not positive
     */
    public StoredConnection {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(sslPassword, "sslPassword");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(updatedBy, "updatedBy");
        if (spec.password().isPresent() || spec.sslPassword().isPresent()) {
            throw new IllegalArgumentException("spec: must hold no password nor sslpassword (a StoredConnection "
                    + "describes them with password() and sslPassword())");
        }
        if (version < 1) {
            throw new IllegalArgumentException("version: must be positive, but was " + version);
        }
    }

    /**
     * The stored object's fields, as {@link ConnectionRegistry} documents them and in that order, for showing: each
     * password that is set ({@code password}, {@code sslpassword}) is {@value io.pgdock.config.Secret#REDACTED},
     * whether it is stored as a secret or not ({@link #password()} says which); the others are their values (text,
     * numbers, booleans, a list of {@code host}/{@code port} maps for {@code hosts}, a map for {@code options}).
     *
     * @return a new, modifiable map
     */
    public Map<String, Object> fields() {
        Map<String, Object> written = ConnectionJson.write(spec);
        Map<String, Object> fields = new LinkedHashMap<>();
        for (String field : ConnectionJson.FIELDS) {
            if ((field.equals("password") && password != Password.NONE)
                    || (field.equals("sslpassword") && sslPassword != Password.NONE)) {
                fields.put(field, io.pgdock.config.Secret.REDACTED);
            } else if (written.containsKey(field)) {
                fields.put(field, written.get(field));
            }
        }
        return fields;
    }

    /**
     * The config key that holds it.
     *
     * @return {@value ConnectionRegistry#KEY_PREFIX}{@code <name>}
     */
    public String key() {
        return ConnectionRegistry.key(name);
    }
}
