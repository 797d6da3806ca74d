package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

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

    /** Mixtures of fragments and key characters, including 10,000+ character strings now and then. */
    static Arbitrary<String> hostile() {
        Arbitrary<String> mixed = Arbitraries.oneOf(Arbitraries.of(FRAGMENTS),
                        Arbitraries.strings().withChars(KEY_CHARS).ofMinLength(1).ofMaxLength(6))
                .list().ofMinSize(0).ofMaxSize(8).map(parts -> String.join("", parts));
        Arbitrary<String> keyLike = Arbitraries.strings().withChars(KEY_CHARS).ofMinLength(1).ofMaxLength(40);
        Arbitrary<String> veryLong = Arbitraries.of(FRAGMENTS).flatMap(f -> Arbitraries.integers()
                .between(10_000 / Math.max(1, f.length()), 12_000 / Math.max(1, f.length()))
                .map(n -> "k" + f.repeat(n)));
        Arbitrary<String> anyChars = Arbitraries.strings().all().ofMaxLength(30);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, mixed),
                net.jqwik.api.Tuple.of(2, keyLike),
                net.jqwik.api.Tuple.of(1, veryLong),
                net.jqwik.api.Tuple.of(1, anyChars));
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
            assertThat(c < 0x20 && c != '\n' || c == 0x7f).as("raw control character %04x in message %s", (int) c,
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
