package io.pgdock.datasource.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.Secret;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.TargetResolver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Named connections kept in the configuration store, and the {@link TargetResolver} over them: pgdock's answer to
 * Airflow's Connections.
 *
 * <pre>{@code
 * ConnectionRegistry connections = ConnectionRegistry.of(configs.as("ops")).withEnvironment(System.getenv());
 * connections.put("warehouse", ConnectionSpec.parse("postgresql://reader@wh:5432/sales?sslmode=verify-full")
 *         .toBuilder().password(password).build());                 // the password is stored as a secret
 * try (DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
 *         .resolver(connections).build())) {
 *     Jdbi warehouse = sources.jdbi("warehouse");
 * }
 * }</pre>
 *
 * <p><b>Stored shape.</b> Connection {@code warehouse} is the config key {@code pgdock.connections.warehouse}
 * ({@link #KEY_PREFIX} and the name; names are target names, see {@link TargetResolver#checkName}), one JSON object:
 * <pre>{@code
 * {"host": "wh", "port": 5432, "database": "sales", "user": "reader", "password": <secret>, "schema": "mart",
 *  "sslmode": "verify-full", "sslrootcert": "/etc/pgdock/ca.crt", "sslcert": "...", "sslkey": "...",
 *  "sslpassword": <secret>, "applicationName": "etl", "connectTimeout": 10, "socketTimeout": 0,
 *  "statementTimeout": 30000, "lockTimeout": 5000, "idleInTransactionSessionTimeout": 60000, "readOnly": true,
 *  "targetServerType": "primary", "options": {"tcpKeepAlive": "true"}}
 * }</pre>
 * Only {@code host}, {@code database} and {@code user} are required; {@code port} defaults to 5432; several servers
 * are {@code "hosts": [{"host": "db1", "port": 5432}, {"host": "db2"}]} instead of {@code host} and {@code port}.
 * Timeouts are in the URL's units: {@code connectTimeout} and {@code socketTimeout} in seconds, the others in
 * milliseconds. {@code options} are the other pgjdbc options of {@link ConnectionSpec#ALLOWED_OPTIONS}. The password
 * and {@code sslpassword} are written as {@link Secret}s, so the store needs a {@link io.pgdock.config.KeyProvider}
 * to write and to {@link #resolve} them, but not to {@link #get} or {@link #list} a connection.
 *
 * <p><b>Strict.</b> Every read checks the whole value and refuses it with an {@link InvalidConnectionException} that
 * names the connection, the field and the bad value (never a password): an unknown field (a typo is not ignored), a
 * field of the wrong JSON type, a value {@link ConnectionSpec.Builder} refuses, a missing required field. So a
 * connection written around the registry ({@code pgdock config set}, an import, SQL) fails where it is used, saying
 * what to fix.
 *
 * <p><b>Versions, history, scopes.</b> Connections are ordinary config entries: each write is a new version with
 * the store view's actor and reason ({@code configs.as("ops").because("rotate")}), recorded in the key's history
 * ({@code configs.history(ConnectionRegistry.key("warehouse"))}, secrets encrypted there too); {@link #put(String,
 * ConnectionSpec, long)} and {@link #delete(String, long)} compare and set. A registry over
 * {@code configs.inScope("prod")} reads a connection from {@code prod}, else from the root scope, and writes to
 * {@code prod}.
 *
 * <p><b>Environment override.</b> {@link #withEnvironment(Map)} returns a registry whose {@link #resolve} and
 * {@link #find} ask the environment first: when any variable {@link TargetResolver#environment(Map)} reads for the
 * name is set ({@code PGDOCK_TARGET_WAREHOUSE_URL}, {@code _HOST}, ..., {@code _PASSWORD}), the connection comes from
 * the environment as a whole, and the stored one is not read; fields are not merged, so a variable set alone where
 * others are needed fails naming the missing ones, rather than fall back to the store. {@link #get}, {@link #list},
 * {@link #put} and {@link #delete} are about stored connections only.
 *
 * <p><b>Unknown names.</b> {@link #resolve} answers empty for a name neither source knows, so a
 * {@link io.pgdock.datasource.DataSourceFactory} throws {@link io.pgdock.datasource.UnknownTargetException}.
 *
 * <p>The factory resolves a name on every {@code get(name)}, so a password changed in the store reaches the next call
 * (the factory then builds a pool for the new password and drains the old one). Each resolve reads the store: give
 * it a read cache ({@link io.pgdock.config.ConfigOptions.Builder#cache(int)}) where names are resolved often.
 *
 * <p>Thread-safe, as the store is. Immutable.
 */
public final class ConnectionRegistry implements TargetResolver {
    /** The config key prefix of connections: connection {@code warehouse} is key {@code pgdock.connections.warehouse}. */
    public static final String KEY_PREFIX = "pgdock.connections.";

    /** Where a resolved connection came from. */
    public enum Source {
        /** The environment variables {@link TargetResolver#environmentPrefix(String)} names. */
        ENVIRONMENT,
        /** The configuration store. */
        CONFIG_STORE
    }

    /**
     * A connection to connect with, and where it came from.
     *
     * @param name the connection's name
     * @param spec the spec, with its password
     * @param source which source answered
     * @param scope the scope of the store that holds it, or null when it came from the environment
     * @param version the version of its config entry, or 0 when it came from the environment
     */
    public record Resolution(String name, ConnectionSpec spec, Source source, @Nullable String scope, long version) {
        /**
         * Checks the parts.
         *
         * @param name the connection's name
         * @param spec the spec, with its password
         * @param source which source answered
         * @param scope the scope that holds it, or null for the environment
         * @param version the entry's version, or 0 for the environment
         * @throws NullPointerException if the name, spec or source is null, or the scope is null for the store
         */
        public Resolution {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(source, "source");
            if (source == Source.CONFIG_STORE) {
                Objects.requireNonNull(scope, "scope");
            }
        }

        /**
         * Where it came from, in words: for example {@code the environment (PGDOCK_TARGET_WAREHOUSE_*)} or
         * {@code config key "pgdock.connections.warehouse" in scope (root), version 3}.
         *
         * @return the description
         */
        public String origin() {
            if (source == Source.ENVIRONMENT) {
                return "the environment (" + TargetResolver.environmentPrefix(name) + "*)";
            }
            return "config key \"" + key(name) + "\" in scope " + (Objects.requireNonNull(scope).isEmpty() ? "(root)"
                    : "\"" + scope + "\"") + ", version " + version;
        }

        /** Names the connection, the source and the spec (its password masked). */
        @Override
        public String toString() {
            return "Resolution[" + name + " from " + origin() + ": " + spec + "]";
        }
    }

    private final ConfigStore configs;
    private final @Nullable Map<String, String> env;

    private ConnectionRegistry(ConfigStore configs, @Nullable Map<String, String> env) {
        this.configs = configs;
        this.env = env;
    }

    /**
     * A registry over a store view: it reads from the view's scope (falling back to its parents) and writes there,
     * as the view's actor with its reason.
     *
     * @param configs the store, for example {@code configs.as("ops").inScope("prod")}
     * @return the registry, without an environment override
     */
    public static ConnectionRegistry of(ConfigStore configs) {
        return new ConnectionRegistry(Objects.requireNonNull(configs, "configs"), null);
    }

    /**
     * This registry with the environment as an override: {@link #resolve} and {@link #find} read a name's
     * {@code PGDOCK_TARGET_<NAME>_*} variables first (as {@link TargetResolver#environment(Map)} does) and the store
     * only when none is set. The map is read on every lookup and not copied.
     *
     * @param env the environment, usually {@code System.getenv()}
     * @return a registry over the same store with the override
     */
    public ConnectionRegistry withEnvironment(Map<String, String> env) {
        return new ConnectionRegistry(configs, Objects.requireNonNull(env, "env"));
    }

    /**
     * The config key of a connection.
     *
     * @param name a connection name
     * @return {@value #KEY_PREFIX}{@code <name>}
     * @throws IllegalArgumentException if the name is not a valid target name
     */
    public static String key(String name) {
        return KEY_PREFIX + TargetResolver.checkName(name);
    }

    /**
     * The spec to connect to {@code name} with: from the environment when {@link #withEnvironment(Map)} gave one and
     * it has the name's variables, else from the store (its password decrypted).
     *
     * @param name a valid target name
     * @return the spec, or empty when no source knows the name
     * @throws InvalidConnectionException if the stored connection is not valid
     * @throws io.pgdock.core.InvalidConnectionSpecException naming the variable, if the environment's variables for
     *     the name are invalid or incomplete
     * @throws io.pgdock.config.ConfigSecretException if the store has no key for the stored password
     */
    @Override
    public Optional<ConnectionSpec> resolve(String name) {
        return find(name).map(Resolution::spec);
    }

    /**
     * As {@link #resolve(String)}, saying which source answered.
     *
     * @param name a connection name
     * @return the connection and its source, or empty when no source knows the name
     * @throws IllegalArgumentException if the name is not a valid target name
     * @throws InvalidConnectionException if the stored connection is not valid
     */
    public Optional<Resolution> find(String name) {
        String key = key(name);
        if (env != null) {
            Optional<ConnectionSpec> fromEnvironment = TargetResolver.environment(env).resolve(name);
            if (fromEnvironment.isPresent()) {
                return Optional.of(new Resolution(name, fromEnvironment.get(), Source.ENVIRONMENT, null, 0));
            }
        }
        return configs.entry(key).map(e -> new Resolution(name,
                ConnectionJson.read(e.value(), false, name, key, e.scope()).spec(), Source.CONFIG_STORE, e.scope(),
                e.version()));
    }

    /**
     * The stored connection of that name, without decrypting its password (no master key is needed). The
     * environment is not consulted.
     *
     * @param name a connection name
     * @return the connection, or empty when the store does not hold it
     * @throws IllegalArgumentException if the name is not a valid target name
     * @throws InvalidConnectionException if the stored connection is not valid
     */
    public Optional<StoredConnection> get(String name) {
        String key = key(name);
        // explain reads the value as stored, every secret shown as "***", so nothing is decrypted.
        return configs.policy().explain(key).entry().map(e -> stored(name, e.scope(), e.value(), e.version(),
                e.updatedAt(), e.updatedBy()));
    }

    /**
     * The names of the stored connections, as reads in this view's scope see them (a connection of a parent scope
     * included), in order. Reads no password.
     *
     * @return the names
     */
    public List<String> names() {
        return new ArrayList<>(storedEntries().keySet());
    }

    /**
     * Every stored connection, in name order, each from the most specific scope that has it, without decrypting
     * passwords.
     *
     * @return the connections
     * @throws InvalidConnectionException for the first stored connection that is not valid (or whose key, after the
     *     prefix, is not a valid name); {@link #names()} and {@link #get(String)} read them one by one
     */
    public List<StoredConnection> list() {
        List<StoredConnection> out = new ArrayList<>();
        storedEntries().forEach((name, e) -> out.add(stored(name, e.scope(), e.value(), e.version(), e.updatedAt(),
                e.updatedBy())));
        return out;
    }

    /**
     * Stores a connection, as the next version of its key, whatever the current version is.
     *
     * @param name a connection name
     * @param spec where to connect; its password and sslpassword are stored as secrets
     * @return the stored connection
     * @throws IllegalArgumentException if the name is not a valid target name
     * @throws io.pgdock.config.ConfigSecretException if the spec has a password and the store has no key to encrypt
     *     it with
     */
    public StoredConnection put(String name, ConnectionSpec spec) {
        return put(name, spec, ConfigStore.ANY_VERSION);
    }

    /**
     * Stores a connection if its key is at {@code expectedVersion} (compare-and-set).
     *
     * @param name a connection name
     * @param spec where to connect; its password and sslpassword are stored as secrets
     * @param expectedVersion the version the connection must be at; 0 if it must not exist yet;
     *     {@link ConfigStore#ANY_VERSION} for any
     * @return the stored connection
     * @throws io.pgdock.config.ConfigConflictException if it is at another version; nothing is written
     * @throws IllegalArgumentException if the name is not a valid target name
     * @throws io.pgdock.config.ConfigSecretException if the spec has a password and the store has no key
     */
    public StoredConnection put(String name, ConnectionSpec spec, long expectedVersion) {
        String key = key(name);
        Objects.requireNonNull(spec, "spec");
        ConfigEntry e = configs.put(key, ConnectionJson.write(spec), expectedVersion);
        return new StoredConnection(name, e.scope(), spec.toBuilder().password(null).sslPassword(null).build(),
                spec.password().isPresent() ? StoredConnection.Password.SECRET : StoredConnection.Password.NONE,
                spec.sslPassword().isPresent() ? StoredConnection.Password.SECRET : StoredConnection.Password.NONE,
                e.version(), e.updatedAt(), e.updatedBy());
    }

    /**
     * Deletes a stored connection from this view's scope (a parent scope's stays).
     *
     * @param name a connection name
     * @return true if it existed
     * @throws IllegalArgumentException if the name is not a valid target name
     */
    public boolean delete(String name) {
        return delete(name, ConfigStore.ANY_VERSION);
    }

    /**
     * Deletes a stored connection if it is at {@code expectedVersion}.
     *
     * @param name a connection name
     * @param expectedVersion the version it must be at; {@link ConfigStore#ANY_VERSION} for any
     * @return true if it existed and was deleted
     * @throws io.pgdock.config.ConfigConflictException if it is at another version (or absent, when a version was
     *     expected)
     * @throws IllegalArgumentException if the name is not a valid target name
     */
    public boolean delete(String name, long expectedVersion) {
        return configs.delete(key(name), expectedVersion);
    }

    /** Names the store view and whether the environment overrides it. */
    @Override
    public String toString() {
        return "ConnectionRegistry[scope=" + (configs.scope().isEmpty() ? "(root)" : "\"" + configs.scope() + "\"")
                + ", keys " + KEY_PREFIX + "*" + (env == null ? "" : ", environment first (PGDOCK_TARGET_<NAME>_*)")
                + "]";
    }

    private static StoredConnection stored(String name, String scope, JsonNode redacted, long version,
            Instant updatedAt, String updatedBy) {
        String key = KEY_PREFIX + name;
        try {
            TargetResolver.checkName(name);
        } catch (IllegalArgumentException e) {
            throw new InvalidConnectionException(name, key, scope, "", "the key does not end in a valid connection "
                    + "name: " + e.getMessage(), e);
        }
        ConnectionJson.Read r = ConnectionJson.read(redacted, true, name, key, scope);
        return new StoredConnection(name, scope, r.spec(), r.password(), r.sslPassword(), version, updatedAt,
                updatedBy);
    }

    /** One stored entry of a connection, its value redacted. */
    private record Stored(String scope, JsonNode value, long version, Instant updatedAt, String updatedBy) {
    }

    /**
     * The stored connections by name, each from the most specific scope that has it, values as stored with their
     * secrets redacted: one export per scope consulted (an export is a scope's own entries, with secrets as
     * ciphertext, so no key is needed; {@code list} would decrypt).
     */
    private Map<String, Stored> storedEntries() {
        Map<String, Stored> byName = new TreeMap<>();
        for (String layer : layers(configs.scope())) {
            for (JsonNode e : configs.inScope(layer).transfer().export(KEY_PREFIX).get("entries")) {
                String name = e.get("key").asText().substring(KEY_PREFIX.length());
                byName.putIfAbsent(name, new Stored(layer, Secret.redact(e.get("value")), e.get("version").asLong(),
                        Instant.parse(e.get("updatedAt").asText()), e.get("updatedBy").asText()));
            }
        }
        return byName;
    }

    /** The scopes a read in {@code scope} consults, most specific first: {@code a/b}, {@code a}, the root. */
    private static List<String> layers(String scope) {
        List<String> layers = new ArrayList<>();
        for (String s = scope; !s.isEmpty(); s = s.contains("/") ? s.substring(0, s.lastIndexOf('/')) : "") {
            layers.add(s);
        }
        layers.add("");
        return layers;
    }
}
