package io.pgdock.config;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;
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

/**
 * The one {@link ConfigStore} implementation: validation, normalisation, size and schema checks, binding and views are
 * here, storage is in a {@link ConfigBackend}. A view ({@link #as}, {@link #because}, {@link #inScope}) is a new
 * instance sharing the backend and the compiled schemas. Immutable and thread-safe if the backend is.
 */
final class DefaultConfigStore implements ConfigStore {
    private static final int MAX_ACTOR = 200;
    private static final int MAX_REASON = 1000;
    private static final int MAX_PAGE = 10_000;

    private final ConfigBackend backend;
    private final ConfigOptions options;
    private final Map<String, JsonSchema> schemas;   // by prefix, longest first
    private final String scope;
    private final List<String> layers;
    private final String actor;
    private final String reason;

    DefaultConfigStore(ConfigBackend backend, ConfigOptions options) {
        this(options.cacheMaxEntries() > 0 ? new CachingConfigBackend(backend, options.cacheMaxEntries()) : backend,
                options, compileAll(options), "", null, null);
    }

    private DefaultConfigStore(ConfigBackend backend, ConfigOptions options, Map<String, JsonSchema> schemas,
            String scope, String actor, String reason) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.options = Objects.requireNonNull(options, "options");
        this.schemas = schemas;
        this.scope = scope;
        this.layers = ConfigKeys.layers(scope);
        this.actor = actor;
        this.reason = reason;
    }

    private static Map<String, JsonSchema> compileAll(ConfigOptions options) {
        Map<String, JsonSchema> compiled = new TreeMap<>(Comparator.comparingInt(String::length).reversed()
                .thenComparing(Comparator.naturalOrder()));
        options.schemas().forEach((prefix, schema) -> compiled.put(prefix, compile(schema)));
        return compiled;
    }

    /** Compiles a JSON Schema, draft 2020-12 unless its {@code $schema} names another. */
    static JsonSchema compile(JsonNode schema) {
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
        return first(backend.read(layers, key));
    }

    private Optional<ConfigEntry> first(List<ConfigEntry> found) {
        for (String layer : layers) {
            for (ConfigEntry e : found) {
                if (e.scope().equals(layer)) {
                    return Optional.of(e);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public <T> Optional<T> get(String key, JavaType type) {
        Objects.requireNonNull(type, "type");
        Optional<ConfigEntry> found = entry(key);
        if (found.isEmpty() || found.get().value().isNull()) {
            return Optional.empty();
        }
        ConfigEntry e = found.get();
        try {
            return Optional.ofNullable(JsonValues.MAPPER.readerFor(type).readValue(e.value()));
        } catch (JsonMappingException ex) {
            // Jackson's own message quotes the offending value, which may be a secret: describe it without the value,
            // and keep Jackson's exception out of the chain for the same reason.
            throw new ConfigBindingException(e.scope(), key, type, JsonValues.pointer(ex), JsonValues.describe(ex), null);
        } catch (java.io.IOException ex) {
            throw new ConfigBindingException(e.scope(), key, type, "", ex.getClass().getSimpleName(), null);
        }
    }

    @Override
    public ConfigEntry put(String key, Object value, long expectedVersion) {
        ConfigKeys.checkKey(key);
        return write(key, JsonValues.toTree(scope, key, value), expectedVersion);
    }

    @Override
    public ConfigEntry putJson(String key, String json, long expectedVersion) {
        ConfigKeys.checkKey(key);
        Objects.requireNonNull(json, "json");
        return write(key, JsonValues.parse(scope, key, json), expectedVersion);
    }

    private ConfigEntry write(String key, JsonNode raw, long expectedVersion) {
        checkExpected(expectedVersion);
        JsonNode value = JsonValues.normalize(scope, key, raw);
        byte[] json = JsonValues.bytes(value);
        int size = json.length;
        if (size > options.maxValueBytes()) {
            throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": value is "
                    + size + " bytes as JSON, over the limit of " + options.maxValueBytes() + " bytes", null);
        }
        validate(key, value);
        return backend.write(scope, key, value, new String(json, StandardCharsets.UTF_8), expectedVersion, context());
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

    private static void checkExpected(long expectedVersion) {
        if (expectedVersion < ANY_VERSION) {
            throw new IllegalArgumentException("expectedVersion: must be ANY_VERSION (-1), 0 (must not exist) or a "
                    + "version, but was " + expectedVersion);
        }
    }

    private WriteContext context() {
        return new WriteContext(actor, reason, options.retention());
    }

    @Override
    public boolean delete(String key, long expectedVersion) {
        ConfigKeys.checkKey(key);
        checkExpected(expectedVersion);
        if (expectedVersion == 0) {
            throw new IllegalArgumentException("expectedVersion: 0 (must not exist) makes no sense for a delete");
        }
        return backend.delete(scope, key, expectedVersion, context());
    }

    @Override
    public ConfigPage list(String prefix, String afterKey, int limit) {
        ConfigKeys.checkPrefix(prefix);
        if (afterKey != null) {
            ConfigKeys.checkKey(afterKey);
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit: must be 1 to " + MAX_PAGE + ", but was " + limit);
        }
        // One more than asked tells whether another page follows.
        List<ConfigEntry> found = backend.list(layers, prefix, afterKey, limit + 1);
        if (found.size() <= limit) {
            return new ConfigPage(found, null);
        }
        List<ConfigEntry> page = found.subList(0, limit);
        return new ConfigPage(page, page.get(limit - 1).key());
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
    public ConfigExplanation explain(String key) {
        return new ConfigExplanation(ConfigKeys.checkKey(key), layers, entry(key).orElse(null));
    }

    @Override
    public ConfigStore as(String actor) {
        Objects.requireNonNull(actor, "actor");
        if (actor.isBlank() || actor.length() > MAX_ACTOR || actor.chars().anyMatch(Character::isISOControl)
                || !wellFormed(actor)) {
            throw new IllegalArgumentException("actor: must be 1 to " + MAX_ACTOR + " printable characters, but was "
                    + ConfigKeys.show(actor));
        }
        return new DefaultConfigStore(backend, options, schemas, scope, actor, reason);
    }

    @Override
    public ConfigStore because(String reason) {
        Objects.requireNonNull(reason, "reason");
        if (reason.isBlank() || reason.length() > MAX_REASON || reason.indexOf('\0') >= 0 || !wellFormed(reason)) {
            throw new IllegalArgumentException("reason: must be 1 to " + MAX_REASON + " characters of Unicode text "
                    + "without NUL, but was "
                    + ConfigKeys.show(reason));
        }
        return new DefaultConfigStore(backend, options, schemas, scope, actor, reason);
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
        return new DefaultConfigStore(backend, options, schemas, ConfigKeys.checkScope(scope), actor, reason);
    }

    @Override
    public ConfigSubscription watch(String prefix, ConfigListener listener) {
        ConfigKeys.checkPrefix(prefix);
        Objects.requireNonNull(listener, "listener");
        return backend.watch(layers, prefix, -1, listener);
    }

    @Override
    public ConfigSubscription watch(String prefix, long afterPosition, ConfigListener listener) {
        ConfigKeys.checkPrefix(prefix);
        Objects.requireNonNull(listener, "listener");
        if (afterPosition < 0) {
            throw new IllegalArgumentException("afterPosition: must be 0 (the whole history) or a position, but was "
                    + afterPosition);
        }
        return backend.watch(layers, prefix, afterPosition, listener);
    }

    @Override
    public ConfigStore snapshot(String prefix) {
        ConfigKeys.checkPrefix(prefix);
        SnapshotConfigBackend taken = new SnapshotConfigBackend(prefix, layers, backend.snapshot(layers, prefix),
                backend);
        return new DefaultConfigStore(taken, options, schemas, scope, actor, reason);
    }

    @Override
    public Optional<ConfigCacheStats> cacheStats() {
        return backend instanceof CachingConfigBackend
                ? Optional.of(((CachingConfigBackend) backend).stats()) : Optional.empty();
    }

    /** The backend, for tests of this package. */
    ConfigBackend backend() {
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
        return "ConfigStore[" + backend + ", " + String.join(", ", parts) + "]";
    }
}
