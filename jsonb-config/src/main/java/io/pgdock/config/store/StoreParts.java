package io.pgdock.config.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigParts;
import io.pgdock.config.KeyProvider;
import io.pgdock.config.json.JsonPatches;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.secret.SecretCodec;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link ConfigParts} of one {@link DefaultConfigStore} view: JSON Pointer reads bind as the view's typed reads do, and
 * merge patches are checked as values are, merged atomically by the backend. Immutable and thread-safe.
 */
final class StoreParts implements ConfigParts {
    private final DefaultConfigStore store;

    StoreParts(DefaultConfigStore store) {
        this.store = store;
    }

    @Override
    public Optional<JsonNode> get(String key, String pointer) {
        ConfigKeys.checkKey(key);
        List<String> tokens = JsonPatches.tokens(store.scope, key, Objects.requireNonNull(pointer, "pointer"));
        return store.get(key).map(value -> JsonPatches.at(value, tokens));
    }

    @Override
    public <T> Optional<T> get(String key, String pointer, Class<T> type) {
        return get(key, pointer, store.mapper.getTypeFactory().constructType(Objects.requireNonNull(type, "type")));
    }

    @Override
    public <T> Optional<T> get(String key, String pointer, TypeReference<T> type) {
        return get(key, pointer, store.mapper.getTypeFactory().constructType(Objects.requireNonNull(type, "type")));
    }

    @Override
    public <T> Optional<T> get(String key, String pointer, JavaType type) {
        Objects.requireNonNull(type, "type");
        ConfigKeys.checkKey(key);
        List<String> tokens = JsonPatches.tokens(store.scope, key, Objects.requireNonNull(pointer, "pointer"));
        Optional<ConfigEntry> found = store.entry(key);
        JsonNode part = found.map(e -> JsonPatches.at(e.value(), tokens)).orElse(null);
        if (part == null || part.isNull()) {
            return Optional.empty();
        }
        return Optional.ofNullable(store.bind(found.get(), pointer, part, type));
    }

    @Override
    public ConfigEntry patch(String key, Object mergePatch, long expectedVersion) {
        ConfigKeys.checkKey(key);
        DefaultConfigStore.Mapped mapped = store.map(key, mergePatch);
        JsonNode tree = mapped.tree();
        if (!mapped.secrets().secrets.isEmpty()) {
            // A Secret in a patch is sealed as put seals it; the merge then replaces the old envelope with this one.
            String scope = store.scope;
            KeyProvider keys = SecretCodec.require(store.options.keys(), scope, key, "", null, "encrypted");
            tree = SecretCodec.seal(JsonValues.normalize(scope, key, tree), mapped.secrets(), (pointer, s) ->
                    SecretCodec.encrypt(keys, scope, key, pointer, JsonValues.normalize(scope, key, s.reveal())));
        }
        return patchWith(key, tree, expectedVersion);
    }

    @Override
    public ConfigEntry patchJson(String key, String mergePatchJson, long expectedVersion) {
        ConfigKeys.checkKey(key);
        Objects.requireNonNull(mergePatchJson, "mergePatchJson");
        return patchWith(key, JsonValues.parse(store.scope, key, mergePatchJson), expectedVersion);
    }

    /**
     * The patch is checked as a value is (jsonb's rules, and the size limit, so no patch is larger than a value may
     * be); the backend merges it atomically and lets {@link DefaultConfigStore#prepare} check the result before it
     * commits.
     */
    private ConfigEntry patchWith(String key, JsonNode raw, long expectedVersion) {
        DefaultConfigStore.checkExpected(expectedVersion);
        store.warnIfOverridden(key, "patched");
        String scope = store.scope;
        JsonNode patch = JsonValues.normalize(scope, key, raw);
        String json = store.withinLimit(key, patch, "the merge patch");
        ConfigEntry e = store.backend.patch(scope, key, patch, json, expectedVersion, store.context(),
                merged -> store.prepare(key, merged, "the patched value").value());
        // As put does, return the plain value a read with the keys would give.
        return store.options.keys().isPresent() && SecretCodec.containsSecret(e.value())
                ? Entries.withValue(e, SecretCodec.open(store.options.keys(), scope, key, e.value())) : e;
    }
}
