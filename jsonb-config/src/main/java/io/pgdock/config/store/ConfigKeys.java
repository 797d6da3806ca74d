package io.pgdock.config.store;

import io.pgdock.config.InvalidConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Validation of keys, prefixes and scopes, and how they appear in messages. Not API. */
public final class ConfigKeys {
    public static final int MAX_KEY_LENGTH = 256;
    public static final int MAX_SCOPE_LENGTH = 256;
    private static final String CHARSET = "letters, digits, '.', '_', '-', '/', ':'";

    private ConfigKeys() {
    }

    private static boolean keyChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-' || c == '/' || c == ':';
    }

    public static String checkKey(String key) {
        return checkChars("config key", key, 1);
    }

    public static String checkPrefix(@Nullable String prefix) {
        return checkChars("key prefix", prefix, 0);
    }

    private static String checkChars(String what, @Nullable String text, int minLength) {
        if (text == null) {
            throw new NullPointerException(what.substring(what.indexOf(' ') + 1));
        }
        if (text.length() < minLength || text.length() > MAX_KEY_LENGTH) {
            throw new InvalidConfigException(null, what + " must be " + minLength + " to " + MAX_KEY_LENGTH
                    + " characters, but was " + text.length() + ": " + show(text), null);
        }
        for (int i = 0; i < text.length(); i++) {
            if (!keyChar(text.charAt(i))) {
                throw new InvalidConfigException(null, what + " " + show(text) + " has a character outside "
                        + CHARSET + " at index " + i, null);
            }
        }
        return text;
    }

    public static String checkScope(@Nullable String scope) {
        if (scope == null) {
            throw new NullPointerException("scope");
        }
        if (scope.isEmpty()) {
            return scope;
        }
        if (scope.length() > MAX_SCOPE_LENGTH) {
            throw new InvalidConfigException(null, "scope must be at most " + MAX_SCOPE_LENGTH + " characters, but was "
                    + scope.length() + ": " + show(scope), null);
        }
        for (String segment : scope.split("/", -1)) {
            if (segment.isEmpty()) {
                throw new InvalidConfigException(null, "scope " + show(scope)
                        + " has an empty segment; write segments separated by single '/', with none at either end", null);
            }
        }
        for (int i = 0; i < scope.length(); i++) {
            if (!keyChar(scope.charAt(i))) {
                throw new InvalidConfigException(null, "scope " + show(scope) + " has a character outside " + CHARSET
                        + " at index " + i, null);
            }
        }
        return scope;
    }
    /**
     * Whether {@code candidate} is {@code scope} or a scope below it ({@code "prod/ingest"} is below {@code "prod"},
     * {@code "prodx"} is not); every scope is at or below the root scope {@code ""}.
     */
    public static boolean atOrBelow(String scope, String candidate) {
        return scope.isEmpty() || candidate.equals(scope) || candidate.startsWith(scope + "/");
    }


    /** The scopes a read in {@code scope} consults, most specific first: "a/b" gives "a/b", "a", "". */
    public static List<String> layers(String scope) {
        List<String> layers = new ArrayList<>();
        String s = scope;
        while (!s.isEmpty()) {
            layers.add(s);
            int slash = s.lastIndexOf('/');
            s = slash < 0 ? "" : s.substring(0, slash);
        }
        layers.add("");
        return List.copyOf(layers);
    }

    /** How a key appears in messages: quoted, with its scope unless it is the root. */
    public static String describe(@Nullable String scope, String key) {
        return show(key) + (scope == null || scope.isEmpty() ? "" : " in scope " + show(scope));
    }

    /** A value as it appears in messages: quoted, control characters escaped, long values cut. */
    public static String show(String value) {
        StringBuilder out = new StringBuilder("\"");
        int max = Math.min(value.length(), 100);
        for (int i = 0; i < max; i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
        if (value.length() > max) {
            out.append("... (").append(value.length()).append(" characters)");
        }
        return out.toString();
    }
}
