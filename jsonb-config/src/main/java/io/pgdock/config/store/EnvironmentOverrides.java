package io.pgdock.config.store;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.secret.SecretCodec;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The environment layer of a store ({@code ConfigOptions.Builder.environmentOverrides}): the variables under a prefix,
 * read once, each decoded to the one key it names and its text to a JSON value. Not API.
 *
 * <h2>Design: the mapping</h2>
 *
 * A key becomes a variable name ({@link #variable}) character by character: {@code a-z} upper-cased, {@code A-Z} and
 * {@code 0-9} kept, and each punctuation character a run of underscores whose length says which it is:
 * {@code _} one, {@code .} two, {@code -} three, {@code /} four, {@code :} five. A variable name decodes
 * ({@link #decode}) the other way: letters lower-cased, digits kept, each maximal run of 1 to 5 underscores one
 * character. Decoding is a function, so each variable names at most one key; encoding is not injective on every key,
 * because letter case and two punctuation characters side by side are lost ({@code "a._b"} and {@code "a-b"} both give
 * {@code A___B}). A key is <i>representable</i> when decoding its variable gives it back: no upper-case letter, no two
 * punctuation characters next to each other. Only representable keys can be overridden; a read of a key that is not
 * but whose variable is set is refused ({@link #lookup}), naming both keys and the variable, since the variable was
 * likely meant for it. So no read is ever answered by a variable that names another key, and nothing is guessed.
 *
 * <p>Values: text that is one JSON value (RFC 8259, strictly) is that value; text starting, after JSON whitespace,
 * with <code>{</code>, <code>[</code> or <code>"</code> must be one, or the variable is refused (a broken object must not become a
 * string silently); any other text is a JSON string, exactly as given.
 *
 * <p>Immutable and thread-safe, apart from the set of keys already warned about, which is concurrent.
 */
public final class EnvironmentOverrides {
    /** The default prefix of the variables. */
    public static final String DEFAULT_PREFIX = "PGDOCK_VAR_";

    /** Who an entry from the environment was "written by". */
    public static final String ACTOR = "environment";

    private static final Logger LOG = LoggerFactory.getLogger(io.pgdock.config.ConfigStore.class);

    /** The code of each punctuation character: its index + 1 underscores. */
    private static final String PUNCTUATION = "_.-/:";

    private static final int MAX_PREFIX = 64;

    /** pgdock's own variables and namespaces, which a prefix must not take as config keys. */
    private static final List<String> OWN_VARIABLES = List.of("PGDOCK_URL", "PGDOCK_HOST", "PGDOCK_PASSWORD",
            "PGDOCK_CONFIG_KEYS", "PGDOCK_CONFIG_ENV_OVERRIDES", "PGDOCK_CONFIG_ENV_PREFIX", "PGDOCK_TARGET_",
            "PGDOCK_TEST_URL", "PGDOCK_ADMIN_URL", "PGDOCK_OWNER_URL");
    private static final List<String> OWN_NAMESPACES = List.of("PGDOCK_CONFIG_", "PGDOCK_TARGET_");

    /**
     * One variable of the layer.
     *
     * @param key the key it overrides
     * @param name the variable's name
     * @param value its value as JSON
     */
    public record Variable(String key, String name, JsonNode value) {
    }

    private final String prefix;
    private final Instant readAt;
    private final Map<String, String> texts;                 // variable -> text, sorted
    private final NavigableMap<String, Variable> byKey;      // key -> override
    private final Map<String, Variable> byVariable;          // variable -> override
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    private EnvironmentOverrides(String prefix, Instant readAt, Map<String, String> texts,
            NavigableMap<String, Variable> byKey) {
        this.prefix = prefix;
        this.readAt = readAt;
        this.texts = texts;
        this.byKey = byKey;
        Map<String, Variable> v = new TreeMap<>();
        byKey.values().forEach(o -> v.put(o.name(), o));
        this.byVariable = Collections.unmodifiableMap(v);
    }

    /**
     * Reads the variables of {@code env} that start with {@code prefix}.
     *
     * @param env the environment; copied
     * @param prefix the prefix, already {@link #checkPrefix checked}
     * @param readAt when, for the entries' {@code updatedAt}
     * @throws IllegalArgumentException naming the variable, if its name decodes to no key or its value is refused; the
     *     message never shows a value
     */
    public static EnvironmentOverrides read(Map<String, String> env, String prefix, Instant readAt) {
        Objects.requireNonNull(env, "env");
        checkPrefix(prefix);
        Map<String, String> texts = new TreeMap<>();
        NavigableMap<String, Variable> byKey = new TreeMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            String variable = Objects.requireNonNull(e.getKey(), "a variable name in env");
            if (!variable.startsWith(prefix)) {
                continue;
            }
            String text = Objects.requireNonNull(e.getValue(), () -> "the value of " + variable + " in env");
            String key = decode(prefix, variable);
            byKey.put(key, new Variable(key, variable, value(variable, key, text)));
            texts.put(variable, text);
        }
        return new EnvironmentOverrides(prefix, readAt, Collections.unmodifiableMap(texts),
                Collections.unmodifiableNavigableMap(byKey));
    }

    /**
     * Checks a prefix: 2 to 64 characters from {@code A-Z 0-9 _}, starting with a letter and ending with {@code _},
     * and not one that takes pgdock's own variables.
     *
     * @return the prefix
     */
    public static String checkPrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        boolean ok = prefix.length() >= 2 && prefix.length() <= MAX_PREFIX && prefix.charAt(0) >= 'A'
                && prefix.charAt(0) <= 'Z' && prefix.endsWith("_");
        for (int i = 0; ok && i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        }
        if (!ok) {
            throw new IllegalArgumentException("environmentOverrides: the prefix must be 2 to " + MAX_PREFIX
                    + " characters from A-Z, 0-9 and '_', starting with a letter and ending with '_' (such as "
                    + DEFAULT_PREFIX + "), but was " + ConfigKeys.show(prefix));
        }
        for (String own : OWN_VARIABLES) {
            if (own.startsWith(prefix)) {
                throw new IllegalArgumentException("environmentOverrides: the prefix " + ConfigKeys.show(prefix)
                        + " would read pgdock's own variable " + own + " as a config key; choose a prefix of its own,"
                        + " such as " + DEFAULT_PREFIX);
            }
        }
        for (String own : OWN_NAMESPACES) {
            if (prefix.startsWith(own)) {
                throw new IllegalArgumentException("environmentOverrides: the prefix " + ConfigKeys.show(prefix)
                        + " is inside pgdock's own variables " + own + "*; choose a prefix of its own, such as "
                        + DEFAULT_PREFIX);
            }
        }
        return prefix;
    }

    /**
     * The variable that overrides {@code key}: {@code prefix} and the key encoded as the class comment says. Defined
     * for every valid key; for a key that is not {@link #representable} it is the variable of another key (or of none).
     */
    public static String variable(String prefix, String key) {
        StringBuilder out = new StringBuilder(prefix.length() + key.length() + 8).append(prefix);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            int p = PUNCTUATION.indexOf(c);
            if (p >= 0) {
                out.append("_".repeat(p + 1));
            } else if (c >= 'a' && c <= 'z') {
                out.append((char) (c - 'a' + 'A'));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Whether {@code key}'s variable decodes back to it: no upper-case letter, no two punctuation marks in a row. */
    public static boolean representable(String key) {
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return false;
            }
            if (i > 0 && PUNCTUATION.indexOf(c) >= 0 && PUNCTUATION.indexOf(key.charAt(i - 1)) >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The one key {@code variable} (which starts with {@code prefix}) names.
     *
     * @throws IllegalArgumentException naming the variable and what is wrong with its name
     */
    public static String decode(String prefix, String variable) {
        String rest = variable.substring(prefix.length());
        if (rest.isEmpty()) {
            throw notAKey(variable, prefix, "nothing follows the prefix");
        }
        StringBuilder key = new StringBuilder(rest.length());
        for (int i = 0; i < rest.length(); ) {
            char c = rest.charAt(i);
            if (c == '_') {
                int run = i;
                while (run < rest.length() && rest.charAt(run) == '_') {
                    run++;
                }
                int length = run - i;
                if (length > PUNCTUATION.length()) {
                    throw notAKey(variable, prefix, "a run of " + length + " underscores at index "
                            + (prefix.length() + i) + " stands for no character (1 to 5 stand for _ . - / :)");
                }
                key.append(PUNCTUATION.charAt(length - 1));
                i = run;
            } else if (c >= 'A' && c <= 'Z') {
                key.append((char) (c - 'A' + 'a'));
                i++;
            } else if (c >= '0' && c <= '9') {
                key.append(c);
                i++;
            } else {
                throw notAKey(variable, prefix, "the character " + describeChar(c) + " at index "
                        + (prefix.length() + i) + " is not one of A-Z, 0-9 and '_'"
                        + (c >= 'a' && c <= 'z' ? " (write letters upper-case; keys are read lower-case)" : ""));
            }
        }
        if (key.length() > ConfigKeys.MAX_KEY_LENGTH) {
            throw notAKey(variable, prefix, "it names a key of " + key.length() + " characters, over the limit of "
                    + ConfigKeys.MAX_KEY_LENGTH);
        }
        return ConfigKeys.checkKey(key.toString());
    }

    private static String describeChar(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private static IllegalArgumentException notAKey(String variable, String prefix, String why) {
        return new IllegalArgumentException("environment variable " + ConfigKeys.show(variable) + " starts with the "
                + "config override prefix " + prefix + " but names no config key: " + why + "; rename or unset it, or"
                + " choose another prefix", null);
    }

    /** The value of a variable's text, as the class comment says; errors name the variable, never the text. */
    static JsonNode value(String variable, String key, String text) {
        JsonNode value;
        int first = 0;
        while (first < text.length() && " \t\r\n".indexOf(text.charAt(first)) >= 0) {
            first++;   // JSON's whitespace only
        }
        boolean looksLikeJson = first < text.length() && "{[\"".indexOf(text.charAt(first)) >= 0;
        try {
            JsonNode parsed = JsonValues.INTERNAL.readTree(text);
            value = parsed == null || parsed.isMissingNode() ? TextNode.valueOf(text) : parsed;
        } catch (JsonProcessingException e) {
            if (looksLikeJson) {
                JsonLocation at = e.getLocation();
                String where = at == null ? "" : " at column " + at.getColumnNr();
                throw new IllegalArgumentException("environment variable " + variable + " (config key "
                        + ConfigKeys.show(key) + "): the value starts like JSON ('{', '[' or '\"') but is not valid"
                        + " JSON" + where + ": " + JsonValues.withoutQuotedText(e.getOriginalMessage()) + "; write"
                        + " valid JSON, or text that does not start with one of those", null);
            }
            value = TextNode.valueOf(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("environment variable " + variable + " (config key "
                    + ConfigKeys.show(key) + "): a number is outside PostgreSQL numeric's range", null);
        }
        try {
            value = JsonValues.normalize("", key, value);
        } catch (InvalidConfigException e) {
            throw new IllegalArgumentException("environment variable " + variable + ": " + e.getMessage(), null);
        }
        if (SecretCodec.containsSecret(value)) {
            throw new IllegalArgumentException("environment variable " + variable + " (config key "
                    + ConfigKeys.show(key) + "): the value holds an encrypted secret envelope; the environment holds"
                    + " plain values (the key is read as stored when the variable is unset)", null);
        }
        return value;
    }

    /**
     * Checks every value against the options' size limit and JSON Schemas, as a write of it would be checked.
     *
     * @throws IllegalArgumentException naming the variable and the key; never showing the value
     */
    public void check(int maxValueBytes, Map<String, JsonNode> schemas) {
        List<Map.Entry<String, JsonNode>> byLength = new java.util.ArrayList<>(schemas.entrySet());
        byLength.sort(java.util.Comparator.comparingInt((Map.Entry<String, JsonNode> e) -> e.getKey().length())
                .reversed());
        for (Variable v : byKey.values()) {
            int bytes = JsonValues.bytes(v.value()).length;
            if (bytes > maxValueBytes) {
                throw new IllegalArgumentException("environment variable " + v.name() + " (config key "
                        + ConfigKeys.show(v.key()) + "): the value is " + bytes + " bytes as JSON, over the limit of "
                        + maxValueBytes + " bytes (maxValueBytes)", null);
            }
            for (Map.Entry<String, JsonNode> schema : byLength) {
                if (v.key().startsWith(schema.getKey())) {
                    Set<com.networknt.schema.ValidationMessage> errors = DefaultConfigStore.compile(schema.getValue())
                            .validate(v.value());
                    if (!errors.isEmpty()) {
                        throw new IllegalArgumentException("environment variable " + v.name() + " (config key "
                                + ConfigKeys.show(v.key()) + "): the value does not match the JSON Schema for prefix "
                                + ConfigKeys.show(schema.getKey()) + ": " + errors.stream()
                                        .map(com.networknt.schema.ValidationMessage::getMessage).sorted()
                                        .collect(java.util.stream.Collectors.joining("; ")), null);
                    }
                    break;   // the longest matching prefix decides, as for writes
                }
            }
        }
    }

    /** @return the prefix */
    public String prefix() {
        return prefix;
    }

    /** @return when the environment was read */
    public Instant readAt() {
        return readAt;
    }

    /** @return the variables read, name to text, sorted by name */
    public Map<String, String> texts() {
        return texts;
    }

    /** @return the overrides by key, in key order */
    public SortedMap<String, Variable> byKey() {
        return byKey;
    }

    /** @return whether no variable is set under the prefix */
    public boolean isEmpty() {
        return byKey.isEmpty();
    }

    /**
     * The override of {@code key}, if its variable is set.
     *
     * @throws InvalidConfigException naming both keys and the variable, if the key's variable is set but names
     *     another key (the key is not {@link #representable})
     */
    public @Nullable Variable lookup(String key) {
        if (byKey.isEmpty()) {
            return null;
        }
        Variable exact = byKey.get(key);
        if (exact != null) {
            return exact;
        }
        String variable = variable(prefix, key);
        Variable other = byVariable.get(variable);
        if (other != null) {
            throw new InvalidConfigException(key, "config key " + ConfigKeys.show(key) + " is ambiguous with the"
                    + " environment: the variable " + variable + " is set, but it names the key "
                    + ConfigKeys.show(other.key()) + " (" + why(key) + "); rename the key, or unset the variable", null);
        }
        return null;
    }

    /** The override of {@code key} for a write's warning: as {@link #lookup}, but never throws. */
    @Nullable Variable exact(String key) {
        return byKey.get(key);
    }

    private static String why(String key) {
        for (int i = 0; i < key.length(); i++) {
            if (key.charAt(i) >= 'A' && key.charAt(i) <= 'Z') {
                return "variable names have no letter case, and keys from the environment are lower-case";
            }
        }
        return "two punctuation characters side by side run together into one run of underscores";
    }

    /**
     * Logs once per key, at WARN, that a write of an overridden key is stored but not what reads through this store
     * return. Names the key and the variable, never a value.
     */
    void warnWrite(String scope, String key, String what) {
        Variable o = byKey.get(key);
        if (o != null && warned.add(key) && LOG.isWarnEnabled()) {
            LOG.warn("config key {} was {}{}, but the environment variable {} overrides it: reads through this store"
                    + " return the variable's value until it is unset (logged once per key)", ConfigKeys.show(key),
                    what, scope.isEmpty() ? "" : " in scope " + ConfigKeys.show(scope), o.name());
        }
    }

    /** Names the prefix and the variables, never their values. */
    @Override
    public String toString() {
        return "EnvironmentOverrides[prefix=" + prefix + ", variables=" + byVariable.keySet() + "]";
    }
}
