package io.pgdock.config;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.type.TypeFactory;
import java.util.Objects;
import java.util.Optional;

/**
 * Parts of values, for one {@link ConfigStore} view: reads of one part at a JSON Pointer, and JSON Merge Patch writes
 * that change some members and keep the others. Reads and writes go through the view's scope, actor and reason, with
 * the same checks as {@link ConfigStore#get} and {@link ConfigStore#put}. Obtain it with {@link ConfigStore#parts()}.
 *
 * <pre>{@code
 * int max = configs.parts().get("db.settings", "/pool/max", Integer.class).orElse(10);
 * configs.parts().patch("db.settings", Map.of("pool", Map.of("max", 20)));   // other members are kept
 * }</pre>
 *
 * <p>Implementations are thread-safe.
 */
public interface ConfigParts {
    /**
     * One part of the value of {@code key}, named by a JSON Pointer (RFC 6901): {@code get("db.settings",
     * "/pool/max")}. In a pointer, {@code ~1} stands for {@code /} and {@code ~0} for {@code ~} in member names; array
     * elements are named by their index ({@code "/hosts/0"}). {@code ""} names the whole value.
     *
     * @param key the key
     * @param pointer the JSON Pointer
     * @return the part (a {@code NullNode} for JSON null), or empty if the key is not set or its value has no such
     *     part (a missing member, an index past the end, or a step into a number, string, boolean or null)
     * @throws InvalidConfigException naming the key and the pointer, if the pointer is malformed (not empty and not
     *     starting with {@code /}, or a {@code ~} not followed by {@code 0} or {@code 1})
     */
    Optional<JsonNode> get(String key, String pointer);

    /**
     * One part of the value of {@code key}, named by a JSON Pointer, bound to {@code type} by the store's
     * {@code ObjectMapper}.
     *
     * @param key the key
     * @param pointer the JSON Pointer, as for {@link #get(String, String)}
     * @param type the type to bind to
     * @param <T> the type
     * @return the bound part, or empty if the key is not set, has no such part or the part is JSON null
     * @throws InvalidConfigException if the pointer is malformed
     * @throws ConfigBindingException naming the key, the type and the JSON path (the pointer and the place inside the
     *     part), if the part does not bind
     */
    <T> Optional<T> get(String key, String pointer, JavaType type);

    /**
     * One part of the value of {@code key}, bound to a class: {@code get("db.settings", "/pool/max", Integer.class)}.
     *
     * @param key the key
     * @param pointer the JSON Pointer, as for {@link #get(String, String)}
     * @param type the class
     * @param <T> the type
     * @return the bound part, or empty if the key is not set, has no such part or the part is JSON null
     * @throws ConfigBindingException if the part does not bind
     */
    default <T> Optional<T> get(String key, String pointer, Class<T> type) {
        return get(key, pointer, TypeFactory.defaultInstance().constructType(Objects.requireNonNull(type, "type")));
    }

    /**
     * One part of the value of {@code key}, bound to a generic type.
     *
     * @param key the key
     * @param pointer the JSON Pointer, as for {@link #get(String, String)}
     * @param type the type
     * @param <T> the type
     * @return the bound part, or empty if the key is not set, has no such part or the part is JSON null
     * @throws ConfigBindingException if the part does not bind
     */
    default <T> Optional<T> get(String key, String pointer, TypeReference<T> type) {
        return get(key, pointer, TypeFactory.defaultInstance().constructType(Objects.requireNonNull(type, "type")));
    }

    /**
     * Applies a JSON Merge Patch (RFC 7386) to the value of {@code key} in this view's scope, atomically in the store:
     * two writers patching different members of one value both win. Members of the patch replace the value's members,
     * object members are merged recursively, a {@code null} member removes the member, and a patch that is not an
     * object replaces the whole value. A key that is not set is patched as if it held nothing (an object patch then
     * becomes the value, without its {@code null} members). Secrets (objects whose single member is
     * {@code "$pgdock_secret"}) are replaced as a whole, never merged into.
     *
     * <pre>{@code
     * configs.parts().patch("db.settings", Map.of("pool", Map.of("max", 20)));  // the other members are kept
     * }</pre>
     *
     * <p>The result is checked as a {@link ConfigStore#put} value is (size limit, JSON Schema of its prefix); if it
     * fails, nothing is written. Each patch is a new version with its history row.
     *
     * @param key the key
     * @param mergePatch the patch, anything Jackson maps to JSON (a {@code Map}, a {@code JsonNode}, ...); to pass JSON
     *     text, use {@link #patchJson(String, String)}
     * @return the new entry, with the patched value
     * @throws InvalidConfigException if the key, the patch or the patched value is refused; nothing is written
     */
    default ConfigEntry patch(String key, Object mergePatch) {
        return patch(key, mergePatch, ConfigStore.ANY_VERSION);
    }

    /**
     * Compare-and-set form of {@link #patch(String, Object)}: patches only if the key is at {@code expectedVersion}.
     *
     * @param key the key
     * @param mergePatch the patch
     * @param expectedVersion as for {@link ConfigStore#put(String, Object, long)}
     * @return the new entry
     * @throws ConfigConflictException if the key is at another version; nothing is written
     * @throws InvalidConfigException if the key, the patch or the patched value is refused; nothing is written
     */
    ConfigEntry patch(String key, Object mergePatch, long expectedVersion);

    /**
     * {@link #patch(String, Object)} with the patch as JSON text, parsed as strictly as {@link ConfigStore#putJson}.
     *
     * @param key the key
     * @param mergePatchJson the patch as JSON text
     * @return the new entry
     * @throws InvalidConfigException if the text is not valid JSON, or the key or patched value is refused
     */
    default ConfigEntry patchJson(String key, String mergePatchJson) {
        return patchJson(key, mergePatchJson, ConfigStore.ANY_VERSION);
    }

    /**
     * Compare-and-set form of {@link #patchJson(String, String)}.
     *
     * @param key the key
     * @param mergePatchJson the patch as JSON text
     * @param expectedVersion as for {@link ConfigStore#put(String, Object, long)}
     * @return the new entry
     * @throws ConfigConflictException if the key is at another version
     * @throws InvalidConfigException if the text, the key or the patched value is refused
     */
    ConfigEntry patchJson(String key, String mergePatchJson, long expectedVersion);
}
