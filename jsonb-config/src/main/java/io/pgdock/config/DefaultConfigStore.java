package io.pgdock.config;

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
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
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
final class DefaultConfigStore implements ConfigStore {
    private static final int MAX_ACTOR = 200;
    private static final int MAX_REASON = 1000;
    private static final int MAX_PAGE = 10_000;

    private final ConfigBackend backend;
    private final ConfigOptions options;
    private final Map<String, JsonSchema> schemas;   // by prefix, longest first
    private final String scope;
    private final List<String> layers;
    private final @Nullable String actor;
    private final @Nullable String reason;

    DefaultConfigStore(ConfigBackend backend, ConfigOptions options) {
        this(options.cacheMaxEntries() > 0 ? new CachingConfigBackend(backend, options.cacheMaxEntries()) : backend,
                options, compileAll(options), "", null, null);
    }

    private DefaultConfigStore(ConfigBackend backend, ConfigOptions options, Map<String, JsonSchema> schemas,
            String scope, @Nullable String actor, @Nullable String reason) {
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
        return first(backend.read(layers, key)).map(this::open);
    }

    /** The entry with its secrets decrypted; the same entry if it holds none. */
    @SuppressWarnings("ReferenceEquality") // identity: SecretCodec.open returns its argument when nothing is sealed
    private ConfigEntry open(ConfigEntry e) {
        JsonNode plain = SecretCodec.open(options.keys(), e.scope(), e.key(), e.value());
        return plain == e.value() ? e : e.withValue(plain);
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
        return Optional.ofNullable(bind(e.scope(), key, "", e.value(), type));
    }

    /** Classes and type references are resolved by the store's mapper, whose modules may modify types. */
    @Override
    public <T> Optional<T> get(String key, Class<T> type) {
        return get(key, options.mapper().getTypeFactory().constructType(Objects.requireNonNull(type, "type")));
    }

    @Override
    public <T> Optional<T> get(String key, TypeReference<T> type) {
        return get(key, options.mapper().getTypeFactory().constructType(Objects.requireNonNull(type, "type")));
    }

    @Override
    public <T> Optional<T> get(String key, String pointer, Class<T> type) {
        return get(key, pointer, options.mapper().getTypeFactory().constructType(
                Objects.requireNonNull(type, "type")));
    }

    @Override
    public <T> Optional<T> get(String key, String pointer, TypeReference<T> type) {
        return get(key, pointer, options.mapper().getTypeFactory().constructType(
                Objects.requireNonNull(type, "type")));
    }

    /**
     * Binds {@code value} (the part at {@code pointer} of the value of {@code key} in {@code scope}) with the store's
     * mapper. Jackson's messages quote the offending value, which may be a secret, and so may a failing deserializer's
     * own exception: the error describes the failure without the value, and keeps Jackson's exception out of the chain
     * for the same reason.
     */
    @SuppressWarnings("TypeParameterUnusedInFormals") // T is the caller's, as for Jackson's readValue
    private <T> T bind(String scope, String key, String pointer, JsonNode value, JavaType type) {
        try {
            return options.mapper().readerFor(type).readValue(value);
        } catch (JsonMappingException ex) {
            String at = JsonValues.pointer(ex);
            throw new ConfigBindingException(scope, key, type, pointer + at, JsonValues.describe(ex, value, at), null);
        } catch (IOException ex) {
            // A number out of the target's range at the root, or another failure of the parser over the tree.
            throw new ConfigBindingException(scope, key, type, pointer, JsonValues.describe(ex, value), null);
        } catch (RuntimeException ex) {
            // Only a mapper configured not to wrap exceptions (WRAP_EXCEPTIONS off) lets a deserializer's through.
            throw new ConfigBindingException(scope, key, type, pointer, "the mapper failed with "
                    + ex.getClass().getName(), null);
        }
    }

    @Override
    public ConfigEntry put(String key, @Nullable Object value, long expectedVersion) {
        ConfigKeys.checkKey(key);
        Mapped mapped = map(key, value);
        return write(key, mapped.tree(), expectedVersion, mapped.secrets());
    }

    /** A caller's value as JSON, with the {@link Secret}s met on the way (to be sealed). */
    private record Mapped(JsonNode tree, SecretCodec.Capture secrets) {
    }

    private Mapped map(String key, @Nullable Object value) {
        ObjectMapper mapper = options.mapper();
        try (SecretCodec.Capture capture = SecretCodec.capture()) {
            return new Mapped(JsonValues.toTree(scope, key, capture.prepare(value, mapper), mapper), capture);
        }
    }

    /** As the interface's, but the value is mapped by the store's mapper, not by {@link Secret#of(Object)}'s. */
    @Override
    public ConfigEntry putSecret(String key, @Nullable Object value) {
        ConfigKeys.checkKey(key);
        if (value instanceof Secret) {
            return put(key, value);
        }
        if (value instanceof JsonNode node && !SecretCodec.hasPojo(node)) {
            return put(key, Secret.ofTree(node.deepCopy()));   // plain JSON: no mapper involved, as for put
        }
        JsonNode tree;
        try {
            tree = SecretCodec.toTreeInside(options.mapper(), value);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": a "
                    + (value == null ? "null" : value.getClass().getName()) + " cannot be mapped to JSON as a secret: "
                    + e.getMessage(), e);
        }
        return put(key, Secret.ofTree(tree));
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
        JsonNode value = JsonValues.normalize(scope, key, raw);
        JsonNode plain = value;
        if (secrets != null && !secrets.secrets.isEmpty()) {
            KeyProvider keys = SecretCodec.require(options.keys(), scope, key, "", null, "encrypted");
            plain = SecretCodec.seal(value, secrets, (pointer, s) -> JsonValues.normalize(scope, key, s.value()));
            value = SecretCodec.seal(value, secrets, (pointer, s) -> SecretCodec.encrypt(keys, scope, key, pointer,
                    JsonValues.normalize(scope, key, s.value())));
        } else if (options.keys().isPresent() && SecretCodec.containsSecret(value)) {
            plain = SecretCodec.open(options.keys(), scope, key, value);   // also proves they belong to this key
        }
        return written(key, plain, value, expectedVersion);
    }

    @SuppressWarnings("ReferenceEquality") // identity: SecretCodec.open returns its argument when nothing is sealed
    private ConfigEntry written(String key, JsonNode plain, JsonNode value, long expectedVersion) {
        ConfigEntry e = store(key, value, plain, expectedVersion);
        return plain == value ? e : e.withValue(plain);
    }

    private ConfigEntry store(String key, JsonNode value, JsonNode plain, long expectedVersion) {
        String json = withinLimit(key, value, "value");
        validate(key, plain);
        return backend.write(scope, key, value, json, expectedVersion, context());
    }

    /**
     * {@code value} as compact JSON text, checked against the size limit.
     *
     * @param what names the value in the error, for example {@code "value"} or {@code "the merge patch"}
     */
    private String withinLimit(String key, JsonNode value, String what) {
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
        ConfigKeys.checkKey(key);
        ConfigEntry answer = first(backend.read(layers, key)).orElse(null);
        if (answer != null && SecretCodec.containsSecret(answer.value())) {
            answer = answer.withValue(SecretCodec.redact(answer.value()));
        }
        return new ConfigExplanation(key, layers, answer);
    }

    @Override
    public ReencryptResult reencryptDetailed(String prefix) {
        ConfigKeys.checkPrefix(prefix);
        KeyProvider keys = options.keys().orElseThrow(() -> new ConfigSecretException(null, null,
                ConfigSecretException.Problem.NO_KEY_PROVIDER, "reencrypt(" + ConfigKeys.show(prefix) + ") in scope "
                + ConfigKeys.show(scope) + ": the store has no KeyProvider (ConfigOptions.builder().keys(...))", null));
        List<String> scopes = new ArrayList<>();
        for (String s : backend.scopes()) {
            if (scope.isEmpty() || s.equals(scope) || s.startsWith(scope + "/")) {
                scopes.add(s);
            }
        }
        scopes.sort(Comparator.naturalOrder());
        int rewritten = 0;
        for (String s : scopes) {
            rewritten += ((DefaultConfigStore) inScope(s)).reencryptScope(keys, prefix);
        }
        // After the values: their rewrite appended history rows whose old_value is still under the old key.
        long history = backend.rewrapHistory(scope, prefix, (s, k, version, column, value) -> {
            try {
                return SecretCodec.reseal(keys, s, k, value);
            } catch (ConfigSecretException e) {
                throw new ConfigSecretException(e.key(), e.keyId(), e.problem(), e.getMessage()
                        + " (in its history: " + column + " of version " + version + "); the history rows before it"
                        + " are re-encrypted; give the KeyProvider that key id and run reencrypt again", null);
            }
        }, HISTORY_BATCH);
        return new ReencryptResult(rewritten, history);
    }

    @Override
    public HistoryVerification verifyHistory(String prefix) {
        ConfigKeys.checkPrefix(prefix);
        return backend.verifyHistory(scope, prefix);
    }

    /** History rows per transaction of {@link #reencryptDetailed}. */
    static final int HISTORY_BATCH = 500;

    /** Re-encrypts the values of this view's scope alone. */
    private int reencryptScope(KeyProvider keys, String prefix) {
        List<String> here = List.of(scope);
        int rewritten = 0;
        String after = null;
        List<ConfigEntry> page;
        do {
            page = backend.list(here, prefix, after, 1000);
            for (ConfigEntry e : page) {
                if (reencrypt(keys, e)) {
                    rewritten++;
                }
            }
            after = page.isEmpty() ? null : page.get(page.size() - 1).key();
        } while (page.size() == 1000);
        return rewritten;
    }

    /** Rewrites one entry under the current key; reads it again if a write lands meanwhile. */
    private boolean reencrypt(KeyProvider keys, ConfigEntry entry) {
        ConfigEntry e = entry;
        while (true) {
            JsonNode resealed = SecretCodec.reseal(keys, scope, e.key(), e.value());
            if (resealed == null) {
                return false;
            }
            DefaultConfigStore writer = reason != null ? this
                    : (DefaultConfigStore) because("re-encrypt secrets under key id " + keys.currentKeyId());
            try {
                writer.store(e.key(), resealed, SecretCodec.open(Optional.of(keys), scope, e.key(), resealed),
                        e.version());
                return true;
            } catch (ConfigConflictException conflict) {
                List<ConfigEntry> now = backend.read(List.of(scope), e.key());
                if (now.isEmpty()) {
                    return false;
                }
                e = now.get(0);
            }
        }
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
    public <T> Optional<T> get(String key, String pointer, JavaType type) {
        Objects.requireNonNull(type, "type");
        ConfigKeys.checkKey(key);
        List<String> tokens = JsonPatches.tokens(scope, key, Objects.requireNonNull(pointer, "pointer"));
        Optional<ConfigEntry> found = entry(key);
        JsonNode part = found.map(e -> JsonPatches.at(e.value(), tokens)).orElse(null);
        if (part == null || part.isNull()) {
            return Optional.empty();
        }
        return Optional.ofNullable(bind(found.get().scope(), key, pointer, part, type));
    }

    @Override
    public ConfigEntry patch(String key, Object mergePatch, long expectedVersion) {
        ConfigKeys.checkKey(key);
        Mapped mapped = map(key, mergePatch);
        JsonNode tree = mapped.tree();
        if (!mapped.secrets().secrets.isEmpty()) {
            // A Secret in a patch is sealed as put seals it; the merge then replaces the old envelope with this one.
            KeyProvider keys = SecretCodec.require(options.keys(), scope, key, "", null, "encrypted");
            tree = SecretCodec.seal(JsonValues.normalize(scope, key, tree), mapped.secrets(), (pointer, s) ->
                    SecretCodec.encrypt(keys, scope, key, pointer, JsonValues.normalize(scope, key, s.value())));
        }
        return patchWith(key, tree, expectedVersion);
    }

    @Override
    public ConfigEntry patchJson(String key, String mergePatchJson, long expectedVersion) {
        ConfigKeys.checkKey(key);
        Objects.requireNonNull(mergePatchJson, "mergePatchJson");
        return patchWith(key, JsonValues.parse(scope, key, mergePatchJson), expectedVersion);
    }

    /**
     * The patch is checked as a value is (jsonb's rules, and the size limit, so no patch is larger than a value may
     * be); the backend merges it atomically and lets {@link #prepare} check the result before it commits.
     */
    private ConfigEntry patchWith(String key, JsonNode raw, long expectedVersion) {
        checkExpected(expectedVersion);
        JsonNode patch = JsonValues.normalize(scope, key, raw);
        String json = withinLimit(key, patch, "the merge patch");
        ConfigEntry e = backend.patch(scope, key, patch, json, expectedVersion, context(),
                merged -> prepare(key, merged, "the patched value").value());
        // As put does, return the plain value a read with the keys would give.
        return options.keys().isPresent() && SecretCodec.containsSecret(e.value())
                ? e.withValue(SecretCodec.open(options.keys(), scope, key, e.value())) : e;
    }

    /** A value ready to store: normalised, its JSON text, within the size limit and its schema. */
    private record Prepared(JsonNode value, String json) {
    }

    /** What {@link #write} checks, for values made by a merge or an import; {@code what} names the value in errors. */
    private Prepared prepare(String key, JsonNode raw, String what) {
        JsonNode value = JsonValues.normalize(scope, key, raw);
        String json = withinLimit(key, value, what);
        // With the keys, the schema sees the plain value (and opening proves every envelope belongs to this key), as
        // for put; without them, it sees what is stored.
        validate(key, options.keys().isPresent() && SecretCodec.containsSecret(value)
                ? SecretCodec.open(options.keys(), scope, key, value) : value);
        return new Prepared(value, json);
    }

    @Override
    public JsonNode export(ExportOptions options) {
        Objects.requireNonNull(options, "options");
        List<ConfigEntry> entries = backend.scan(scope, options.prefix());
        return ConfigDocuments.document(scope, options, this.options.clock().instant(), entries);
    }

    @Override
    public void export(ExportOptions options, Writer out) throws IOException {
        Objects.requireNonNull(out, "out");
        ConfigDocuments.write(export(options), out);
    }

    @Override
    public ImportResult importFrom(Reader in, ImportOptions options) throws IOException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(options, "options");
        return importFrom(ConfigDocuments.read(scope, in), options);
    }

    /**
     * Whether two stored values of {@code key} are the same once their secrets are decrypted: every sealing of a secret
     * has a fresh data key and IV, so equal secrets differ as ciphertext. Without keys, ciphertexts are compared.
     */
    private boolean samePlain(String key, JsonNode a, JsonNode b) {
        if (a.equals(b)) {
            return true;
        }
        if (options.keys().isEmpty() || !SecretCodec.containsSecret(a) || !SecretCodec.containsSecret(b)) {
            return false;
        }
        return SecretCodec.open(options.keys(), scope, key, a).equals(SecretCodec.open(options.keys(), scope, key, b));
    }

    /**
     * Checks the whole document, then plans and writes in one backend batch: the plan sees the keys' current entries
     * (locked until the batch ends, in PostgreSQL), so what it compares and merges is what it overwrites.
     */
    @Override
    public ImportResult importFrom(JsonNode document, ImportOptions options) {
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(options, "options");
        List<String> problems = new ArrayList<>();
        List<ConfigDocuments.Incoming> incoming = ConfigDocuments.entries(document, problems);
        Map<String, Prepared> values = new TreeMap<>();   // key order: writes and locks in one order, no deadlocks
        Map<String, ConfigDocuments.Incoming> byKey = new HashMap<>();
        JsonNode documentScope = document.get("scope");
        String from = documentScope != null && documentScope.isTextual() ? documentScope.textValue() : scope;
        for (ConfigDocuments.Incoming in : incoming) {
            try {
                JsonNode value = in.value();
                if (!from.equals(scope) && SecretCodec.containsSecret(value)) {
                    // Secrets are bound to their scope; one exported from another scope is re-sealed for this one.
                    if (this.options.keys().isEmpty()) {
                        problems.add(in.label() + ": holds a secret sealed for scope " + ConfigKeys.show(from)
                                + "; importing it into scope " + ConfigKeys.show(scope) + " re-encrypts it, which "
                                + "needs the store's KeyProvider (ConfigOptions.keys)");
                        continue;
                    }
                    value = SecretCodec.rebind(this.options.keys().get(), from, scope, in.key(), value);
                }
                values.put(in.key(), prepare(in.key(), value, "the value"));
                byKey.put(in.key(), in);
            } catch (InvalidConfigException | ConfigSecretException e) {
                problems.add(in.label() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw ConfigDocuments.refused(scope, problems);
        }
        List<ImportResult.Item> items = new ArrayList<>();
        DefaultConfigStore writer = reason != null ? this : (DefaultConfigStore) because("import");
        List<ConfigEntry> written = backend.writeBatch(scope, List.copyOf(values.keySet()), current -> {
            items.clear();
            List<ConfigBackend.BatchWrite> writes = new ArrayList<>();
            List<String> conflicts = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            for (Map.Entry<String, Prepared> e : values.entrySet()) {
                String key = e.getKey();
                Prepared imported = e.getValue();
                ConfigEntry existing = current.get(key);
                Prepared after = imported;
                ImportResult.Action action;
                if (existing == null) {
                    action = ImportResult.Action.ADDED;
                } else if (options.onConflict() == ImportOptions.ConflictMode.MERGE) {
                    try {
                        after = prepare(key, JsonPatches.mergePatch(existing.value(), imported.value()),
                                "the merged value");
                    } catch (InvalidConfigException | ConfigSecretException ex) {
                        refused.add(Objects.requireNonNull(byKey.get(key), key).label() + ": " + ex.getMessage());
                        continue;
                    }
                    action = samePlain(key, after.value(), existing.value())
                            ? ImportResult.Action.UNCHANGED : ImportResult.Action.CHANGED;
                } else if (samePlain(key, imported.value(), existing.value())) {
                    action = ImportResult.Action.UNCHANGED;
                } else {
                    action = switch (options.onConflict()) {
                        case SKIP -> ImportResult.Action.SKIPPED;
                        case OVERWRITE -> ImportResult.Action.CHANGED;
                        default -> ImportResult.Action.CONFLICT;
                    };
                }
                if (action == ImportResult.Action.CONFLICT) {
                    conflicts.add(key);
                }
                JsonNode kept = existing != null
                        && (action == ImportResult.Action.SKIPPED || action == ImportResult.Action.CONFLICT)
                        ? existing.value() : after.value();
                items.add(new ImportResult.Item(key, action, existing == null ? null : existing.value(),
                        imported.value(), kept, existing == null ? 0 : existing.version()));
                if (action == ImportResult.Action.ADDED || action == ImportResult.Action.CHANGED) {
                    writes.add(new ConfigBackend.BatchWrite(key, after.value(), after.json(),
                            existing == null ? 0 : existing.version()));
                }
            }
            if (!refused.isEmpty()) {
                throw ConfigDocuments.refused(scope, refused);
            }
            if (!conflicts.isEmpty() && !options.dryRun()) {
                throw new ConfigImportConflictException(scope, conflicts);
            }
            return options.dryRun() ? List.of() : writes;
        }, writer.context());
        // The items of written keys carry their new versions.
        Map<String, Long> versions = new HashMap<>();
        written.forEach(e -> versions.put(e.key(), e.version()));
        List<ImportResult.Item> result = new ArrayList<>(items.size());
        for (ImportResult.Item item : items) {
            Long version = versions.get(item.key());
            result.add(version == null ? item : new ImportResult.Item(item.key(), item.action(), item.before(),
                    item.imported(), item.after(), version));
        }
        return new ImportResult(scope, options.dryRun(), result);
    }

    @Override
    public ConfigSubscription watch(String prefix, ConfigListener listener) {
        ConfigKeys.checkPrefix(prefix);
        Objects.requireNonNull(listener, "listener");
        cacheFirst();
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
        cacheFirst();
        return backend.watch(layers, prefix, afterPosition, listener);
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
    public ConfigStore snapshot(String prefix) {
        ConfigKeys.checkPrefix(prefix);
        SnapshotConfigBackend taken = new SnapshotConfigBackend(prefix, layers, backend.snapshot(layers, prefix),
                backend);
        return new DefaultConfigStore(taken, options, schemas, scope, actor, reason);
    }

    @Override
    public Optional<ConfigCacheStats> cacheStats() {
        return backend instanceof CachingConfigBackend caching ? Optional.of(caching.stats()) : Optional.empty();
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
