package io.pgdock.core;

import io.pgdock.core.internal.Identifiers;
import io.pgdock.core.internal.Shown;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** Small helpers for validating settings and showing bad values in messages. Not API. */
final class Values {
    /** PostgreSQL's NAMEDATALEN - 1: the longest identifier the server keeps without truncating it. */
    static final int MAX_IDENTIFIER_BYTES = Identifiers.MAX_BYTES;

    private Values() {
    }

    /** A value as it should appear in an error message; see {@link Shown#show(String)}. */
    static String show(String value) {
        return Shown.show(value);
    }

    /** SHA-256 of the UTF-8 bytes. */
    static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /**
     * Checks a name the server stores as an identifier (database, role, schema): not empty, no NUL, no unpaired
     * surrogate (it has no UTF-8 form), at most 63 bytes in UTF-8, so the server never silently truncates or changes it.
     */
    static String checkIdentifier(String source, String value) {
        if (value == null) {
            throw new NullPointerException(source);
        }
        String problem = identifierProblem(value);
        if (problem != null) {
            throw new InvalidConnectionSpecException(source, problem);
        }
        return value;
    }

    /** See {@link Identifiers#problem(String)}. */
    static @Nullable String identifierProblem(String value) {
        return Identifiers.problem(value);
    }

    /** The index of the first unpaired surrogate in {@code value}, or -1. */
    static int unpairedSurrogate(String value) {
        return Identifiers.unpairedSurrogate(value);
    }

    /**
     * Checks a schema name: an identifier (see {@link #checkIdentifier}) without a double quote, so that quoting it can
     * never be got wrong.
     */
    static String checkSchema(String source, String value) {
        checkIdentifier(source, value);
        if (value.indexOf('"') >= 0) {
            throw new InvalidConnectionSpecException(source, "must not contain a double quote, but was " + show(value));
        }
        return value;
    }

    /** Quotes a string literal for SQL (standard_conforming_strings on, PostgreSQL's default): {@code it's} becomes
     * {@code 'it''s'}. */
    static String literal(String s) {
        String quoted = "'" + s.replace("'", "''") + "'";
        // An escape-string literal means the same whatever standard_conforming_strings is set to.
        return s.indexOf('\\') < 0 ? quoted : "E" + quoted.replace("\\", "\\\\");
    }

    /** Quotes an identifier for SQL: {@code a"b} becomes {@code "a""b"}. */
    static String quoteIdentifier(String identifier) {
        return Identifiers.quote(identifier);
    }
}
