package io.pgdock.config.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.config.store.ConfigKeys;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * JSON Pointer reads (RFC 6901) and JSON Merge Patch (RFC 7386), shared by both stores. Not API.
 *
 * <p>Merge patch here is RFC 7386 with one exception: a secret envelope, an object whose single member is
 * {@value #SECRET_MEMBER}, is opaque. As a patch it replaces the target as a whole; as a target it counts as a
 * non-object, so an object patch starts from {@code {}} instead of merging into the envelope. The SQL function
 * {@code pgdock_config_merge_patch} in {@code V3__config_merge_patch.sql} implements the same rules; the contract
 * tests hold both to them.
 *
 * <p>Stateless and thread-safe.
 */
public final class JsonPatches {
    /** The single member of a secret envelope. */
    public static final String SECRET_MEMBER = "$pgdock_secret";

    private JsonPatches() {
    }

    /** Whether {@code node} is a secret envelope: an object with the single member {@value #SECRET_MEMBER}. */
    public static boolean isSecret(JsonNode node) {
        return node != null && node.isObject() && node.size() == 1 && node.has(SECRET_MEMBER);
    }

    /** An object a merge patch merges into, or with: an object that is not a secret envelope. */
    public static boolean mergeable(@Nullable JsonNode node) {
        return node != null && node.isObject() && !isSecret(node);
    }

    /**
     * RFC 7386 MergePatch(target, patch), without changing either argument.
     *
     * @param target the current value, or null when there is none
     * @param patch the patch
     * @return the patched value, a new tree (member order as the merge leaves it: normalise before storing)
     */
    public static JsonNode mergePatch(@Nullable JsonNode target, JsonNode patch) {
        if (!mergeable(patch)) {
            return patch.deepCopy();
        }
        ObjectNode root = target != null && mergeable(target) ? (ObjectNode) target.deepCopy()
                : JsonValues.NODES.objectNode();
        // Iterative, not recursive: a patch may nest JsonValues.MAX_DEPTH levels and runs on the caller's thread.
        Deque<Map.Entry<ObjectNode, JsonNode>> work = new ArrayDeque<>();
        work.push(Map.entry(root, patch));
        while (!work.isEmpty()) {
            Map.Entry<ObjectNode, JsonNode> next = work.pop();
            ObjectNode into = next.getKey();
            for (Map.Entry<String, JsonNode> member : next.getValue().properties()) {
                JsonNode value = member.getValue();
                if (value.isNull()) {
                    into.remove(member.getKey());
                } else if (mergeable(value)) {
                    JsonNode existing = into.get(member.getKey());
                    ObjectNode child = mergeable(existing) ? (ObjectNode) existing : JsonValues.NODES.objectNode();
                    into.set(member.getKey(), child);
                    work.push(Map.entry(child, value));
                } else {
                    into.set(member.getKey(), value.deepCopy());
                }
            }
        }
        return root;
    }

    /**
     * The reference tokens of a JSON Pointer, unescaped ({@code ~1} is {@code /}, {@code ~0} is {@code ~}).
     *
     * @throws InvalidConfigException naming the key and the pointer if it is not an RFC 6901 pointer
     */
    public static List<String> tokens(String scope, String key, String pointer) {
        if (pointer.isEmpty()) {
            return List.of();
        }
        if (pointer.charAt(0) != '/') {
            throw badPointer(scope, key, pointer, "it must be empty (the whole value) or start with '/'");
        }
        List<String> tokens = new ArrayList<>();
        StringBuilder token = new StringBuilder();
        for (int i = 1; i <= pointer.length(); i++) {
            char c = i < pointer.length() ? pointer.charAt(i) : '/';
            if (c == '/') {
                tokens.add(token.toString());
                token.setLength(0);
            } else if (c == '~') {
                char escaped = i + 1 < pointer.length() ? pointer.charAt(i + 1) : ' ';
                if (escaped != '0' && escaped != '1') {
                    throw badPointer(scope, key, pointer, "'~' at index " + i + " is not followed by '0' or '1'");
                }
                token.append(escaped == '0' ? '~' : '/');
                i++;
            } else {
                token.append(c);
            }
        }
        return tokens;
    }

    private static InvalidConfigException badPointer(String scope, String key, String pointer, String why) {
        return new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": JSON Pointer "
                + ConfigKeys.show(pointer) + " is malformed: " + why, null);
    }

    /**
     * The part of {@code value} that {@code tokens} point at, or null if there is none: a member that is not there,
     * an index past the end or not written as RFC 6901 array indexes are ({@code 0} or digits without a leading zero;
     * {@code -} names no element), or a token applied to a number, string, boolean or null.
     */
    public static @Nullable JsonNode at(JsonNode value, List<String> tokens) {
        JsonNode node = value;
        for (String token : tokens) {
            if (node.isObject()) {
                node = node.get(token);
            } else if (node.isArray()) {
                int index = index(token);
                node = index < 0 ? null : node.get(index);
            } else {
                node = null;
            }
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    /** An array index as RFC 6901 writes it, or -1. */
    private static int index(String token) {
        if (token.isEmpty() || token.length() > 10 || (token.length() > 1 && token.charAt(0) == '0')) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n > Integer.MAX_VALUE ? -1 : (int) n;
    }

    /**
     * The value as text for messages and diffs: compact JSON with every secret envelope shown as {@code "***"}, cut
     * after {@code max} characters.
     */
    public static String redacted(JsonNode value, int max) {
        String text = JsonValues.text(redact(value));
        return text.length() <= max ? text : text.substring(0, max) + "... (" + text.length() + " characters)";
    }

    /** A copy of {@code value} with every secret envelope replaced by the string {@code "***"}. */
    public static JsonNode redact(JsonNode value) {
        if (isSecret(value)) {
            return JsonValues.NODES.textNode("***");
        }
        if (!value.isContainerNode()) {
            return value;
        }
        JsonNode copy = value.deepCopy();
        Deque<JsonNode> work = new ArrayDeque<>();
        work.push(copy);
        while (!work.isEmpty()) {
            JsonNode node = work.pop();
            if (node.isObject()) {
                ObjectNode object = (ObjectNode) node;
                List<String> names = new ArrayList<>();
                object.properties().forEach(m -> names.add(m.getKey()));
                for (String name : names) {
                    JsonNode member = object.get(name);
                    if (isSecret(member)) {
                        object.put(name, "***");
                    } else if (member.isContainerNode()) {
                        work.push(member);
                    }
                }
            } else {
                ArrayNode array = (ArrayNode) node;
                for (int i = 0; i < array.size(); i++) {
                    if (isSecret(array.get(i))) {
                        array.set(i, JsonValues.NODES.textNode("***"));
                    } else if (array.get(i).isContainerNode()) {
                        work.push(array.get(i));
                    }
                }
            }
        }
        return copy;
    }

    /** Whether {@code value} holds a secret envelope anywhere, itself included. */
    public static boolean holdsSecret(JsonNode value) {
        Deque<JsonNode> work = new ArrayDeque<>();
        work.push(value);
        while (!work.isEmpty()) {
            JsonNode node = work.pop();
            if (isSecret(node)) {
                return true;
            }
            node.elements().forEachRemaining(child -> {
                if (child.isContainerNode()) {
                    work.push(child);
                }
            });
        }
        return false;
    }
}
