package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import static org.quicktheories.generators.SourceDSL.lists;

import java.util.List;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Generators of strings that try to escape from SQL, JSON Pointers, LIKE patterns and error messages, and the check
 * that an error message showing such a string is clear. Shared by the {@code Hostile*} tests. Stateless, thread-safe.
 */
final class HostileStrings {
    /** Pieces that break quoting or pattern matching somewhere. */
    static final List<String> FRAGMENTS = List.of(
            "'", "''", "\"", "\\", "\\'", "$$", "$tag$", "$pgdock$", ";", "--", "/*", "*/", "\u0000", "\uD800", "\uDC00",
            "\uFFFD", "\u00ff\u00fe", "'); drop table config_entry; --", "\"; drop schema public cascade; --",
            "%", "_", "~0", "~1", "~", "/", ".", ":", "-", " ", "\n", "\r", "\t", "E'\\x00'", "' or '1'='1",
            "${x}", "\u202e", "\uD83D\uDE00", "a", "B", "7", "set role postgres;", "{", "}", "[", "]", "=", "&", "?",
            "#", "@", "+", "%27", "%00", "%2F");

    /** Characters valid in config keys, so that some generated keys are accepted and checked for literal storage. */
    private static final String KEY_CHARS = "abcXYZ019._-/:";

    /** Outcomes per property ("refused" or "stored"), printed after each class for RELIABILITY.md. */
    private static final java.util.Map<String, java.util.Map<String, Integer>> OUTCOMES =
            new java.util.concurrent.ConcurrentSkipListMap<>();

    private HostileStrings() {
    }

    /** Counts one outcome of a property. */
    static void count(String property, boolean refused) {
        OUTCOMES.computeIfAbsent(property, p -> new java.util.concurrent.ConcurrentSkipListMap<>())
                .merge(refused ? "refused" : "accepted", 1, Integer::sum);
    }

    /** Prints and forgets the outcomes counted so far. */
    static void printOutcomes(String testClass) {
        OUTCOMES.forEach((property, counts) -> System.out.printf("RELIABILITY %s.%s: %s%n", testClass, property, counts));
        OUTCOMES.clear();
    }

    /**
     * Mixtures of fragments and key characters, including 10,000+ character strings now and then; described (in a
     * failure message) by {@link #describe}. Weights: 6 mixtures of up to 8 pieces, 2 key-like strings, 1 long
     * repetition of a fragment, 1 string of any UTF-16 chars (unpaired surrogates included). Shrinks towards fewer
     * pieces, the first fragment ({@code '}) and the character {@code a}.
     */
    static Gen<String> hostile() {
        Gen<String> fragment = Generate.pick(FRAGMENTS);
        Gen<String> mixed = lists().of(Generate.oneOf(fragment, keyChars(1, 6))).ofSizeBetween(0, 8)
                .map(parts -> String.join("", parts));
        Gen<String> keyLike = keyChars(1, 40);
        Gen<String> veryLong = fragment.flatMap(f -> Generate.range(10_000 / Math.max(1, f.length()),
                12_000 / Math.max(1, f.length())).map(n -> "k" + f.repeat(n)));
        Gen<String> anyChars = chars(Generate.range(Character.MIN_VALUE, Character.MAX_VALUE, 'a')
                .map(c -> (char) c.intValue()), 0, 30);
        return Generate.frequency(Pair.of(6, mixed), Pair.of(2, keyLike), Pair.of(1, veryLong), Pair.of(1, anyChars))
                .describedAs(HostileStrings::describe);
    }

    /** Strings of characters valid in keys, of the given lengths. */
    private static Gen<String> keyChars(int minLength, int maxLength) {
        List<Character> keyChars = KEY_CHARS.chars().mapToObj(c -> (char) c).toList();
        return chars(Generate.pick(keyChars), minLength, maxLength);
    }

    private static Gen<String> chars(Gen<Character> chars, int minLength, int maxLength) {
        return lists().of(chars).ofSizeBetween(minLength, maxLength).map(list -> {
            StringBuilder s = new StringBuilder(list.size());
            list.forEach(s::append);
            return s.toString();
        });
    }

    /**
     * A string as a failure message shows it: quoted and {@linkplain #escape escaped}; over 200 characters, its first
     * 100 and last 30 characters and its length.
     */
    static String describe(String s) {
        if (s == null) {
            return "null";
        }
        if (s.length() <= 200) {
            return "\"" + escape(s) + "\"";
        }
        return "\"" + escape(s.substring(0, 100)) + "\" ... \"" + escape(s.substring(s.length() - 30)) + "\" ("
                + s.length() + " chars)";
    }

    /**
     * Escapes a string to printable ASCII, so that it prints safely and unambiguously: backslash and double quote are
     * escaped, tab, CR and LF as {@code \t \r \n}, any other character outside printable ASCII (control characters,
     * NUL, surrogates, a right-to-left override, any non-ASCII letter) as {@code \}{@code uXXXX}.
     */
    static String escape(String s) {
        return escape(s, true);
    }

    /** Like {@link #escape}, but leaves backslash and double quote alone: for text that quotes values, not a value. */
    static String printable(String s) {
        return escape(s, false);
    }

    private static String escape(String s, boolean quotes) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append(quotes ? "\\\\" : "\\");
                case '"' -> out.append(quotes ? "\\\"" : "\"");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        out.append(c);
                    } else {
                        out.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
        }
        return out.toString();
    }

    /** The string if it has at most {@code max} characters, else its start and its length. */
    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "... (" + s.length() + " chars)";
    }

    /** True if the string is printable ASCII without the characters a message must escape. */
    static boolean plain(String s) {
        return s.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '"' && c != '\\');
    }

    /**
     * Checks that an error message is clear about a refused value: it names the field, shows short plain values
     * literally, stays bounded however long the value is, and carries no raw control character or unpaired surrogate
     * (so it prints safely in a log or terminal).
     */
    static void assertClearMessage(Throwable error, String field, String value) {
        String message = error.getMessage();
        assertThat(message).as("message of %s", error.getClass().getName()).isNotNull().contains(field);
        assertThat(message.length()).as("message length for a %d-character value: %s", value.length(), message)
                .isLessThan(1_000);
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            assertThat((c < 0x20 && c != '\n') || c == 0x7f).as("raw control character %04x in message %s", (int) c,
                    message).isFalse();
            if (Character.isHighSurrogate(c) && i + 1 < message.length() && Character.isLowSurrogate(message.charAt(i + 1))) {
                i++;
            } else {
                assertThat(Character.isSurrogate(c)).as("unpaired surrogate in message %s", message).isFalse();
            }
        }
        if (!value.isEmpty() && value.length() <= 60 && plain(value)) {
            assertThat(message).as("the refused value is shown").contains(value);
        }
    }
}
