package io.pgdock.config.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;
import io.pgdock.config.ConfigBindingException;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigParts;
import io.pgdock.config.ConfigPolicy;
import io.pgdock.config.ConfigTransfer;
import io.pgdock.config.ConfigPage;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.config.KeyProvider;
import io.pgdock.config.Secret;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.secret.SecretCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The one {@link ConfigStore} implementation: validation, normalisation, size and schema checks, binding and views are
 * here, storage is in a {@link ConfigBackend}. A view ({@link #as}, {@link #because}, {@link #inScope}) is a new
 * instance sharing the backend and the compiled schemas. Immutable and thread-safe if the backend is.
 */
public final class DefaultConfigStore implements ConfigStore {
    private static final int MAX_ACTOR = 200;
    private static final int MAX_REASON = 1000;
    private static final int MAX_PAGE = 10_000;

    final ConfigBackend backend;
    final ConfigOptions options;
    final ObjectMapper mapper;   // the options' mapper, never handed out
    private final Map<String, JsonSchema> schemas;   // by prefix, longest first
    final String scope;
    final List<String> layers;
    private final @Nullable String actor;
    final @Nullable String reason;
    /** The environment layer above every scope, or null when the options have none (or no variable is set). */
    final @Nullable EnvironmentOverrides overrides;

    /**
     * A store over {@code backend}, in the root scope, without environment overrides.
     *
     * @param backend where entries are kept
     * @param options the store's options
     * @param mapper the mapper the options bind with (the store's own, never handed out)
     */
    public DefaultConfigStore(ConfigBackend backend, ConfigOptions options, ObjectMapper mapper) {
        this(backend, options, mapper, null);
    }

    /**
     * A store over {@code backend}, in the root scope.
     *
     * @param backend where entries are kept
     * @param options the store's options
     * @param mapper the mapper the options bind with (the store's own, never handed out)
     * @param overrides the options' environment layer, or null
     */
    public DefaultConfigStore(ConfigBackend backend, ConfigOptions options, ObjectMapper mapper,
            @Nullable EnvironmentOverrides overrides) {
        this(options.cacheMaxEntries() > 0 ? new CachingConfigBackend(backend, options.cacheMaxEntries(),
                options.ticker()) : backend, options, mapper, compileAll(options), "", null, null,
                overrides == null || overrides.isEmpty() ? null : overrides);
    }

    private DefaultConfigStore(ConfigBackend backend, ConfigOptions options, ObjectMapper mapper,
            Map<String, JsonSchema> schemas, String scope, @Nullable String actor, @Nullable String reason,
            @Nullable EnvironmentOverrides overrides) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.options = Objects.requireNonNull(options, "options");
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.schemas = schemas;
        this.scope = scope;
        this.layers = ConfigKeys.layers(scope);
        this.actor = actor;
        this.reason = reason;
        this.overrides = overrides;
    }

    private static Map<String, JsonSchema> compileAll(ConfigOptions options) {
        Map<String, JsonSchema> compiled = new TreeMap<>(Comparator.comparingInt(String::length).reversed()
                .thenComparing(Comparator.naturalOrder()));
        options.schemas().forEach((prefix, schema) -> compiled.put(prefix, compile(schema)));
        return compiled;
    }

    /** Compiles a JSON Schema, draft 2020-12 unless its {@code $schema} names another. */
    public static JsonSchema compile(JsonNode schema) {
        if (!schema.isObject() && !schema.isBoolean()) {
            throw new IllegalArgumentException("a JSON Schema is an object or a boolean, but this is " + schema.getNodeType());
        }
        SpecVersion.VersionFlag version = schema.has("$schema")
                ? SpecVersionDetector.detect(schema) : SpecVersion.VersionFlag.V202012;
        return JsonSchemaFactory.getInstance(version).getSchema(schema);
    }

    @Override
    public String scope() {
        return scope;
    }

    @Override
    public Optional<ConfigEntry> entry(String key) {
        ConfigKeys.checkKey(key);
        List<ConfigEntry> held = backend.read(layers, key);
        EnvironmentOverrides.Variable variable = override(key);
        if (variable != null) {
            return Optional.of(fromEnvironment(variable, held));
        }
        return ScopeFallback.first(layers, held).map(this::open);
    }

    /**
     * The environment variable that answers for {@code key}, if any.
     *
     * @throws InvalidConfigException naming both keys and the variable, if the key's variable names another key
     */
    EnvironmentOverrides.@Nullable Variable override(String key) {
        return overrides == null ? null : overrides.lookup(key);
    }

    /**
     * The entry of an environment variable, seen from this view: its scope, and the version the key has in it among
     * {@code held} (the key's stored entries in this view's layers), 0 if none, so a compare-and-set from it is
     * checked against what is stored.
     */
    ConfigEntry fromEnvironment(EnvironmentOverrides.Variable variable, List<ConfigEntry> held) {
        long version = 0;
        for (ConfigEntry e : held) {
            if (e.scope().equals(scope)) {
                version = e.version();
            }
        }
        EnvironmentOverrides layer = Objects.requireNonNull(overrides, "overrides");
        return Entries.detached(new ConfigEntry(scope, variable.key(), variable.value(), version, layer.readAt(),
                EnvironmentOverrides.ACTOR, variable.name()));
    }

    /** Logs, once per key, a write of {@code key} that this store's reads will not see. */
    void warnIfOverridden(String key, String what) {
        if (overrides != null) {
            overrides.warnWrite(scope, key, what);
        }
    }

    /** The entry with its secrets decrypted; the same entry if it holds none. */
    @SuppressWarnings("ReferenceEquality") // identity: SecretCodec.open returns its argument when nothing is sealed
    private ConfigEntry open(ConfigEntry e) {
        JsonNode plain = SecretCodec.open(options.keys(), e.scope(), e.key(), e.value());
        return plain == e.value() ? e : Entries.withValue(e, plain);
    }

    @Override
    public <T> Optional<T> get(String key, JavaType type) {
        Objects.requireNonNull(type, "type");
        Optional<ConfigEntry> found = entry(key);
        if (found.isEmpty() || found.get().value().isNull()) {
            return Optional.empty();
        }
        ConfigEntry e = found.get();
        return Optional.ofNullable(bind(e, "", e.value(), type));
    }

    /** Classes and type references are resolved by the store's mapper, whose modules may modify types. */
    @Override
    public <T> Optional<T> get(String key, Class<T> type) {
        return get(key, mapper.getTypeFactory().constructType(Objects.requireNonNull(type, "type")));
    }

    @Override
    public <T> Optional<T> get(String key, TypeReference<T> type) {
        return get(key, mapper.getTypeFactory().constructType(Objects.requireNonNull(type, "type")));
    }

    /**
     * Binds {@code value} (the part at {@code pointer} of the value of {@code key} in {@code scope}) with the store's
     * mapper. Jackson's messages quote the offending value, which may be a secret, and so may a failing deserializer's
     * own exception: the error describes the failure without the value, and keeps Jackson's exception out of the chain
     * for the same reason.
     */
    @SuppressWarnings("TypeParameterUnusedInFormals") // T is the caller's, as for Jackson's readValue
    <T> T bind(ConfigEntry from, String pointer, JsonNode value, JavaType type) {
        String scope = from.scope();
        String key = from.key();
        // A value from the environment is named by its variable, so that the reader knows where to fix it.
        String source = from.variable() == null ? "" : " (the value of the environment variable " + from.variable() + ")";
        try {
            return mapper.readerFor(type).readValue(value);
        } catch (JsonMappingException ex) {
            String at = JsonValues.pointer(ex);
            throw new ConfigBindingException(scope, key, type, pointer + at, JsonValues.describe(ex, value, at) + source,
                    null);
        } catch (IOException ex) {
            // A number out of the target's range at the root, or another failure of the parser over the tree.
            throw new ConfigBindingException(scope, key, type, pointer, JsonValues.describe(ex, value) + source, null);
        } catch (RuntimeException ex) {
            // Only a mapper configured not to wrap exceptions (WRAP_EXCEPTIONS off) lets a deserializer's through.
            throw new ConfigBindingException(scope, key, type, pointer, "the mapper failed with "
                    + ex.getClass().getName() + source, null);
        }
    }

    @Override
    public ConfigEntry put(String key, @Nullable Object value, long expectedVersion) {
        ConfigKeys.checkKey(key);
        Mapped mapped = map(key, value);
        return write(key, mapped.tree(), expectedVersion, mapped.secrets());
    }

    /** A caller's value as JSON, with the {@link Secret}s met on the way (to be sealed). */
    record Mapped(JsonNode tree, SecretCodec.Capture secrets) {
    }

    Mapped map(String key, @Nullable Object value) {
        SecretCodec.Capture capture = SecretCodec.capture(mapper);
        return new Mapped(JsonValues.toTree(scope, key, capture.prepare(value), capture::toTree), capture);
    }

    /** As the interface's, but the value is mapped by the store's mapper, not by {@link Secret#of(Object)}'s. */
    @Override
    public ConfigEntry putSecret(String key, @Nullable Object value) {
        ConfigKeys.checkKey(key);
        if (value instanceof Secret) {
            return put(key, value);
        }
        if (value instanceof JsonNode node && !SecretCodec.hasPojo(node)) {
            return put(key, Secret.of(node));   // plain JSON: no mapper involved, as for put
        }
        JsonNode tree;
        try {
            tree = SecretCodec.toTreeInside(mapper, value);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": a "
                    + (value == null ? "null" : value.getClass().getName()) + " cannot be mapped to JSON as a secret: "
                    + e.getMessage(), e);
        }
        return put(key, Secret.of(tree));
    }

    @Override
    public ConfigEntry putJson(String key, String json, long expectedVersion) {
        ConfigKeys.checkKey(key);
        Objects.requireNonNull(json, "json");
        return write(key, JsonValues.parse(scope, key, json), expectedVersion);
    }

    private ConfigEntry write(String key, JsonNode raw, long expectedVersion) {
        return write(key, raw, expectedVersion, null);
    }

    /**
     * Writes; {@code secrets} holds the {@link Secret}s met while mapping the value (null when it came as JSON text or
     * from the history). Secrets are encrypted after normalising, the schema sees their plain values, the size limit
     * applies to what is stored, and the entry returned holds the plain value, as a read with the key would give.
     */
    private ConfigEntry write(String key, JsonNode raw, long expectedVersion,
            SecretCodec.@Nullable Capture secrets) {
        checkExpected(expectedVersion);
        warnIfOverridden(key, "written");
        JsonNode value = JsonValues.normalize(scope, key, raw);
        JsonNode plain = value;
        if (secrets != null && !secrets.secrets.isEmpty()) {
            KeyProvider keys = SecretCodec.require(options.keys(), scope, key, "", null, "encrypted");
            plain = SecretCodec.seal(value, secrets, (pointer, s) -> JsonValues.normalize(scope, key, s.reveal()));
            value = SecretCodec.seal(value, secrets, (pointer, s) -> SecretCodec.encrypt(keys, scope, key, pointer,
                    JsonValues.normalize(scope, key, s.reveal())));
        } else if (options.keys().isPresent() && SecretCodec.containsSecret(value)) {
            plain = SecretCodec.open(options.keys(), scope, key, value);   // also proves they belong to this key
        }
        return written(key, plain, value, expectedVersion);
    }

    @SuppressWarnings("ReferenceEquality") // identity: SecretCodec.open returns its argument when nothing is sealed
    private ConfigEntry written(String key, JsonNode plain, JsonNode value, long expectedVersion) {
        ConfigEntry e = store(key, value, plain, expectedVersion);
        return plain == value ? e : Entries.withValue(e, plain);
    }

    ConfigEntry store(String key, JsonNode value, JsonNode plain, long expectedVersion) {
        String json = withinLimit(key, value, "value");
        validate(key, plain);
        return backend.write(scope, key, value, json, expectedVersion, context());
    }

    /**
     * {@code value} as compact JSON text, checked against the size limit.
     *
     * @param what names the value in the error, for example {@code "value"} or {@code "the merge patch"}
     */
    String withinLimit(String key, JsonNode value, String what) {
        byte[] json = JsonValues.bytes(value);
        if (json.length > options.maxValueBytes()) {
            throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": " + what + " is "
                    + json.length + " bytes as JSON, over the limit of " + options.maxValueBytes() + " bytes", null);
        }
        return new String(json, StandardCharsets.UTF_8);
    }

    private void validate(String key, JsonNode value) {
        for (Map.Entry<String, JsonSchema> schema : schemas.entrySet()) {
            if (key.startsWith(schema.getKey())) {
                Set<ValidationMessage> errors = schema.getValue().validate(value);
                if (!errors.isEmpty()) {
                    throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key)
                            + ": value does not match the JSON Schema for prefix " + ConfigKeys.show(schema.getKey())
                            + ": " + errors.stream().map(ValidationMessage::getMessage).sorted()
                                    .collect(Collectors.joining("; ")), null);
                }
                return;   // the longest matching prefix decides
            }
        }
    }

    static void checkExpected(long expectedVersion) {
        if (expectedVersion < ANY_VERSION) {
            throw new IllegalArgumentException("expectedVersion: must be ANY_VERSION (-1), 0 (must not exist) or a "
                    + "version, but was " + expectedVersion);
        }
    }

    WriteContext context() {
        return new WriteContext(actor, reason, options.retention());
    }

    @Override
    public boolean delete(String key, long expectedVersion) {
        ConfigKeys.checkKey(key);
        checkExpected(expectedVersion);
        if (expectedVersion == 0) {
            throw new IllegalArgumentException("expectedVersion: 0 (must not exist) makes no sense for a delete");
        }
        warnIfOverridden(key, "deleted");
        return backend.delete(scope, key, expectedVersion, context());
    }

    @Override
    public ConfigPage list(String prefix, @Nullable String afterKey, int limit) {
        ConfigKeys.checkPrefix(prefix);
        if (afterKey != null) {
            ConfigKeys.checkKey(afterKey);
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit: must be 1 to " + MAX_PAGE + ", but was " + limit);
        }
        // One more than asked tells whether another page follows.
        List<ConfigEntry> found = backend.list(layers, prefix, afterKey, limit + 1).stream().map(this::open).toList();
        if (overrides != null) {
            found = withEnvironment(found, prefix, afterKey, limit + 1);
        }
        if (found.size() <= limit) {
            return new ConfigPage(found, null);
        }
        List<ConfigEntry> page = found.subList(0, limit);
        return new ConfigPage(page, page.get(limit - 1).key());
    }

    /**
     * {@code stored} (the first {@code max} stored entries after {@code afterKey}) with the environment layer laid over
     * it: an overridden key's entry replaced by its variable's, keys set only in the environment added, in key order,
     * cut to {@code max}. Every key of the environment in the range is merged before cutting, so none is lost between
     * pages. A stored key whose variable names another key is refused, as a read of it is.
     */
    private List<ConfigEntry> withEnvironment(List<ConfigEntry> stored, String prefix, @Nullable String afterKey,
            int max) {
        EnvironmentOverrides layer = Objects.requireNonNull(overrides, "overrides");
        TreeMap<String, ConfigEntry> merged = new TreeMap<>();
        for (ConfigEntry e : stored) {
            EnvironmentOverrides.Variable v = layer.lookup(e.key());
            // Its version in this view's scope: the listed entry's if it is from this scope, else it has none here.
            merged.put(e.key(), v == null ? e : fromEnvironment(v, List.of(e)));
        }
        java.util.SortedMap<String, EnvironmentOverrides.Variable> range = afterKey == null ? layer.byKey()
                : layer.byKey().tailMap(afterKey + Character.MIN_VALUE);
        for (EnvironmentOverrides.Variable v : range.values()) {
            if (!v.key().startsWith(prefix)) {
                continue;
            }
            if (!merged.containsKey(v.key())) {
                // Not among the stored page: either stored beyond it (then it sorts after the page's last key and
                // is cut below, or read on the next page), or stored nowhere. Its stored entries decide the version.
                merged.put(v.key(), fromEnvironment(v, backend.read(layers, v.key())));
            }
        }
        List<ConfigEntry> all = new ArrayList<>(merged.values());
        return all.size() <= max ? all : all.subList(0, max);
    }

    @Override
    public List<ConfigChange> history(String key) {
        ConfigKeys.checkKey(key);
        return backend.history(scope, key);
    }

    @Override
    public ConfigEntry rollback(String key, long version) {
        ConfigKeys.checkKey(key);
        List<ConfigChange> changes = backend.history(scope, key);
        JsonNode old = null;
        for (ConfigChange change : changes) {
            if (change.version() == version && change.newValue() != null) {
                old = change.newValue();
                break;
            }
        }
        if (old == null) {
            throw new IllegalArgumentException("config key " + ConfigKeys.describe(scope, key) + " has no version "
                    + version + " in its history (it never existed, or retention removed it)");
        }
        // Compare-and-set against the state the history shows, so a write landing meanwhile is not overwritten.
        ConfigChange newest = changes.get(0);
        long expected = newest.kind() == ConfigChange.Kind.DELETE ? 0 : newest.version();
        DefaultConfigStore writer = reason != null ? this : (DefaultConfigStore) because("rollback to version " + version);
        return writer.write(key, old, expected);
    }

    @Override
    public ConfigStore as(String actor) {
        Objects.requireNonNull(actor, "actor");
        if (actor.isBlank() || actor.length() > MAX_ACTOR || actor.chars().anyMatch(Character::isISOControl)
                || !wellFormed(actor)) {
            throw new IllegalArgumentException("actor: must be 1 to " + MAX_ACTOR + " printable characters, but was "
                    + ConfigKeys.show(actor));
        }
        return new DefaultConfigStore(backend, options, mapper, schemas, scope, actor, reason, overrides);
    }

    @Override
    public ConfigStore because(String reason) {
        Objects.requireNonNull(reason, "reason");
        if (reason.isBlank() || reason.length() > MAX_REASON || reason.indexOf('\0') >= 0 || !wellFormed(reason)) {
            throw new IllegalArgumentException("reason: must be 1 to " + MAX_REASON + " characters of Unicode text "
                    + "without NUL, but was "
                    + ConfigKeys.show(reason));
        }
        return new DefaultConfigStore(backend, options, mapper, schemas, scope, actor, reason, overrides);
    }

    /** No unpaired surrogates: the driver would send them as '?', and the stores would record different text. */
    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public ConfigStore inScope(String scope) {
        return new DefaultConfigStore(backend, options, mapper, schemas, ConfigKeys.checkScope(scope), actor, reason,
                overrides);
    }

    /** A value ready to store: normalised, its JSON text, within the size limit and its schema. */
    record Prepared(JsonNode value, String json) {
    }

    /** What {@link #write} checks, for values made by a merge or an import; {@code what} names the value in errors. */
    Prepared prepare(String key, JsonNode raw, String what) {
        JsonNode value = JsonValues.normalize(scope, key, raw);
        String json = withinLimit(key, value, what);
        // With the keys, the schema sees the plain value (and opening proves every envelope belongs to this key), as
        // for put; without them, it sees what is stored.
        validate(key, options.keys().isPresent() && SecretCodec.containsSecret(value)
                ? SecretCodec.open(options.keys(), scope, key, value) : value);
        return new Prepared(value, json);
    }

    /**
     * Whether two stored values of {@code key} are the same once their secrets are decrypted: every sealing of a secret
     * has a fresh data key and IV, so equal secrets differ as ciphertext. Without keys, ciphertexts are compared.
     */
    boolean samePlain(String key, JsonNode a, JsonNode b) {
        if (a.equals(b)) {
            return true;
        }
        if (options.keys().isEmpty() || !SecretCodec.containsSecret(a) || !SecretCodec.containsSecret(b)) {
            return false;
        }
        return SecretCodec.open(options.keys(), scope, key, a).equals(SecretCodec.open(options.keys(), scope, key, b));
    }

    @Override
    public ConfigSubscription watch(String prefix, ConfigListener listener) {
        ConfigKeys.checkPrefix(prefix);
        Objects.requireNonNull(listener, "listener");
        cacheFirst();
        return backend.watch(layers, prefix, -1, marking(listener));
    }

    @Override
    public ConfigSubscription watch(String prefix, long afterPosition, ConfigListener listener) {
        ConfigKeys.checkPrefix(prefix);
        Objects.requireNonNull(listener, "listener");
        if (afterPosition < 0) {
            throw new IllegalArgumentException("afterPosition: must be 0 (the whole history) or a position, but was "
                    + afterPosition);
        }
        cacheFirst();
        return backend.watch(layers, prefix, afterPosition, marking(listener));
    }

    /**
     * {@code listener}, told of each change of a key an environment variable overrides with
     * {@link io.pgdock.config.ConfigEvent#overriddenBy()} set, since reads through this store do not return it.
     */
    private ConfigListener marking(ConfigListener listener) {
        EnvironmentOverrides layer = overrides;
        if (layer == null) {
            return listener;
        }
        return new ConfigListener() {
            @Override
            public void onChange(io.pgdock.config.ConfigEvent event) {
                EnvironmentOverrides.Variable v = layer.exact(event.key());
                listener.onChange(v == null ? event : event.overriddenBy(v.name()));
            }

            @Override
            public void onGap(Exception cause) {
                listener.onGap(cause);
            }

            @Override
            public void onCaughtUp() {
                listener.onCaughtUp();
            }

            @Override
            public String toString() {
                return listener.toString();
            }
        };
    }

    /**
     * Subscribes the read cache, if any, before a listener of the caller: subscriptions are served in the order they
     * were made, on one thread, so the cache then forgets a changed key before any listener hears of the change, and a
     * listener that reads the key gets the new value.
     */
    private void cacheFirst() {
        if (backend instanceof CachingConfigBackend caching) {
            caching.ensureWatching();
        }
    }

    @Override
    public ConfigParts parts() {
        return new StoreParts(this);
    }

    @Override
    public ConfigTransfer transfer() {
        return new StoreTransfer(this);
    }

    @Override
    public ConfigPolicy policy() {
        return new StorePolicy(this);
    }

    /** This view over another backend (a snapshot of this one). */
    DefaultConfigStore over(ConfigBackend other) {
        return new DefaultConfigStore(other, options, mapper, schemas, scope, actor, reason, overrides);
    }

    /** The backend, for tests of this package. */
    public ConfigBackend backend() {
        return backend;
    }

    /** Names the backend and the view; holds no values. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add("scope=\"" + scope + "\"");
        if (actor != null) {
            parts.add("actor=\"" + actor + "\"");
        }
        if (overrides != null) {
            parts.add("environmentOverrides=" + overrides.prefix());
        }
        return "ConfigStore[" + backend + ", " + String.join(", ", parts) + "]";
    }
}
