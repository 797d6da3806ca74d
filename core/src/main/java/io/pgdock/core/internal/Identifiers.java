package io.pgdock.core.internal;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Checks and quotes the names the server stores as identifiers (databases, roles, schemas, tables, columns). Not API:
 * shared by pgdock's packages.
 */
public final class Identifiers {
    /** PostgreSQL's NAMEDATALEN - 1: the longest identifier the server keeps without truncating it. */
    public static final int MAX_BYTES = 63;

    private Identifiers() {
    }

    /**
     * What is wrong with a name the server stores as an identifier, or null if nothing: empty, a NUL character, an
     * unpaired surrogate, or more than 63 bytes in UTF-8 (the server would silently truncate it). Callers word the exception.
     */
    public static @Nullable String problem(String value) {
        if (value.isEmpty()) {
            return "must not be empty";
        }
        if (value.indexOf('\0') >= 0) {
            return "must not contain a NUL character, but was " + Shown.show(value);
        }
        int surrogate = unpairedSurrogate(value);
        if (surrogate >= 0) {
            return "must be valid Unicode (UTF-8 would turn the unpaired surrogate at index " + surrogate
                    + " into '?'), but was " + Shown.show(value);
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            return "must be at most " + MAX_BYTES + " bytes in UTF-8 (PostgreSQL would truncate it), but was "
                    + bytes + " bytes: " + Shown.show(value);
        }
        return null;
    }

    /** The index of the first unpaired surrogate in {@code value}, or -1. */
    public static int unpairedSurrogate(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** Quotes an identifier for SQL: {@code a"b} becomes {@code "a""b"}. */
    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
