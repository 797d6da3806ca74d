package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract's tests of JSONTestSuite: every parsing case through {@link ConfigStore#putJson}.
 *
 * <p>{@link #jsonTestSuiteCase} feeds each parsing case of
 * <a href="https://github.com/nst/JSONTestSuite">JSONTestSuite</a> (MIT licence) to {@link ConfigStore#putJson}: every
 * {@code y_} case must be stored with the same JSON meaning (except the ones jsonb cannot store, listed in
 * {@link #JSONB_CANNOT_STORE}), every {@code n_} case must be refused naming the key with nothing stored, and every
 * {@code i_} outcome is reported; {@link #agreesWithTheInMemoryStoreOnEveryJsonTestSuiteCase} requires the store under
 * test to give exactly the in-memory store's outcome on every case. The files are read from the directory named by the
 * system property {@value #JSON_TEST_SUITE_PROPERTY}, else from {@code ../../shared/testdata/JSONTestSuite/test_parsing}
 * relative to the working directory (pgdock's own build); when neither exists, those tests are skipped with a message
 * saying so. Files that are not valid UTF-8 cannot be passed to {@code putJson} unchanged (it takes a {@code String}):
 * they count as refused by the caller's strict UTF-8 decoder, and the text a lenient decoder would make of them
 * (with U+FFFD) is fed to the store instead and must give the in-memory store's outcome too.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code JsonTestSuite}, on the stores its subclass
 * makes ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class JsonTestSuiteContract extends ConfigStoreTester {
    /** System property naming the directory of JSONTestSuite's {@code test_parsing} files. */
    public static final String JSON_TEST_SUITE_PROPERTY = "pgdock.jsontestsuite.dir";

    /**
     * The {@code y_} cases of JSONTestSuite (valid JSON) that PostgreSQL's {@code jsonb}, and so every pgdock store,
     * refuses: text containing U+0000. Each is expected to be refused with a message that names U+0000.
     */
    protected static final Set<String> JSONB_CANNOT_STORE =
            Set.of("y_object_escaped_null_in_key.json", "y_string_null_escape.json");

    /**
     * One JSONTestSuite parsing case through {@link ConfigStore#putJson}: {@code y_} stored with the same meaning,
     * {@code n_} refused naming the key with nothing stored, {@code i_} either. The outcome of each {@code i_} case,
     * and of each file that is not UTF-8, is printed as a line {@code JSONTestSuite <file>: <outcome>} (Maven Surefire
     * keeps it in {@code target/surefire-reports/<test class>-output.txt}).
     *
     * @param file the case's file name
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonTestSuiteFiles")
    void jsonTestSuiteCase(String file) {
        assumeJsonTestSuite();
        byte[] bytes = readCase(file);
        ConfigStore store = newStore();
        String key = "jts." + sanitize(file);
        Optional<String> strict = strictUtf8(bytes);

        if (strict.isEmpty()) {
            // putJson takes a String, and no String holds these bytes unchanged: the caller's strict decoder refuses
            // them, and nothing reaches the store. What a lenient decoder makes of them is checked below.
            assertThat(file).as("a y_ file that is not UTF-8").doesNotStartWith("y_");
            Outcome lenient = Outcome.of(store, key, lenientUtf8(bytes));
            if (file.startsWith("n_")) {
                assertThat(lenient.stored()).as("%s decoded leniently: %s", file, lenient).isFalse();
                assertThat(lenient.detail()).contains(key);
                assertThat(store.entry(key)).isEmpty();
            }
            record(file, "refused: not UTF-8 (a strict decoder refuses it before putJson); decoded with U+FFFD: "
                    + lenient);
            return;
        }
        String text = strict.get();
        if (file.startsWith("y_") && JSONB_CANNOT_STORE.contains(file)) {
            assertThatThrownBy(() -> store.putJson(key, text)).as(file)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining(key)
                    .hasMessageContaining("U+0000");
            assertThat(store.entry(key)).as("%s after the refusal", file).isEmpty();
        } else if (file.startsWith("y_")) {
            JsonNode meaning = parse(text);
            ConfigEntry written = store.putJson(key, text);
            assertThat(sameMeaning(written.value(), meaning))
                    .as("%s: %s written, %s returned by putJson", file, text, written.value()).isTrue();
            JsonNode read = store.get(key).orElseThrow();
            assertThat(sameMeaning(read, meaning)).as("%s: %s written, %s read back", file, text, read).isTrue();
        } else if (file.startsWith("n_")) {
            assertThatThrownBy(() -> store.putJson(key, text)).as(file)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining(key)
                    .satisfies(t -> assertThat(((InvalidConfigException) t).key()).isEqualTo(key));
            assertThat(store.entry(key)).as("%s after the refusal", file).isEmpty();
            assertThat(store.history(key)).as("%s history after the refusal", file).isEmpty();
        } else {
            Outcome outcome = Outcome.of(store, key, text);
            if (outcome.stored()) {
                JsonNode read = store.get(key).orElseThrow();
                assertThat(sameMeaning(read, parse(text))).as("%s: %s written, %s read back", file, text, read)
                        .isTrue();
            } else {
                assertThat(outcome.detail()).as("%s: a refusal is an InvalidConfigException naming the key", file)
                        .startsWith(InvalidConfigException.class.getSimpleName() + ": ")
                        .contains(key);
                assertThat(store.entry(key)).as("%s after the refusal", file).isEmpty();
            }
            record(file, outcome.toString());
        }
    }

    /**
     * Every JSONTestSuite case gives the same outcome here as in {@link ConfigStore#inMemory()}: stored with the same
     * JSON (same text, numbers written out in full, same node types), or refused with the same first line of message.
     * Files that are not UTF-8 are compared as a lenient decoder would give them (with U+FFFD).
     */
    @Test
    void agreesWithTheInMemoryStoreOnEveryJsonTestSuiteCase() {
        assumeJsonTestSuite();
        List<String> files = jsonTestSuiteFiles().toList();
        ConfigStore store = newStore();
        ConfigStore reference = ConfigStore.inMemory();
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            String file = files.get(i);
            byte[] bytes = readCase(file);
            String text = strictUtf8(bytes).orElseGet(() -> lenientUtf8(bytes));
            String key = "jts." + i + "." + sanitize(file);
            Outcome here = Outcome.of(store, key, text);
            Outcome there = Outcome.of(reference, key, text);
            if (!here.equals(there)) {
                disagreements.add(file + "\n    this store: " + here + "\n    in-memory:  " + there);
            }
        }
        assertThat(disagreements).as("JSONTestSuite cases on which this store and the in-memory store disagree (of %s)",
                files.size()).isEmpty();
    }

    /**
     * The JSONTestSuite files, by name. When the directory is not there, one placeholder, so that the test is
     * reported as skipped with the reason (a source that aborts makes the whole test vanish from Surefire's report).
     *
     * @return the names, sorted
     */
    static Stream<String> jsonTestSuiteFiles() {
        Path dir = jsonTestSuiteDirectory();
        if (!Files.isDirectory(dir)) {
            return Stream.of("(JSONTestSuite not found)");
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList()
                    .stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assumeJsonTestSuite() {
        Path dir = jsonTestSuiteDirectory();
        assumeTrue(Files.isDirectory(dir), () -> "JSONTestSuite's test_parsing directory is not at " + dir
                + "; set -D" + JSON_TEST_SUITE_PROPERTY + "=<dir> to run these tests");
    }

    private static void record(String file, String outcome) {
        System.out.println("JSONTestSuite " + file + ": " + outcome);
    }

    private static Path jsonTestSuiteDirectory() {
        String configured = System.getProperty(JSON_TEST_SUITE_PROPERTY);
        return configured != null ? Path.of(configured).toAbsolutePath()
                : Path.of("").toAbsolutePath().resolve("../../shared/testdata/JSONTestSuite/test_parsing").normalize();
    }

    private static byte[] readCase(String file) {
        try {
            return Files.readAllBytes(jsonTestSuiteDirectory().resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a store did with one JSON text: stored (with the canonical text of what reads back) or refused. */
    record Outcome(boolean stored, String detail) {
        static Outcome of(ConfigStore store, String key, String text) {
            try {
                store.putJson(key, text);
            } catch (RuntimeException e) {
                return new Outcome(false, firstLine(e));
            }
            try {
                return new Outcome(true, describe(store.get(key).orElseThrow()));
            } catch (RuntimeException e) {
                return new Outcome(true, "but reading it back failed: " + firstLine(e));
            }
        }

        private static String firstLine(RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            int newline = message.indexOf('\n');
            return e.getClass().getSimpleName() + ": " + (newline < 0 ? message : message.substring(0, newline));
        }

        private static String describe(JsonNode node) {
            String text = canonical(node);
            return (text.length() > 200 ? text.substring(0, 200) + "... (" + text.length() + " characters)" : text)
                    + " " + nodeTypes(node);
        }

        @Override
        public String toString() {
            return (stored ? "stored " : "refused: ") + detail;
        }
    }

    /** The Jackson node classes of a tree's numbers, as in {@code [IntNode, DecimalNode]}. */
    private static String nodeTypes(JsonNode node) {
        List<String> types = new ArrayList<>();
        collectNumberTypes(node, types);
        return types.isEmpty() ? "" : types.stream().distinct().collect(Collectors.joining(", ", "[", "]"));
    }

    private static void collectNumberTypes(JsonNode node, List<String> into) {
        if (node.isNumber()) {
            into.add(node.getClass().getSimpleName());
        }
        node.elements().forEachRemaining(child -> collectNumberTypes(child, into));
    }

    private static Optional<String> strictUtf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static String lenientUtf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String sanitize(String file) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < file.length(); i++) {
            char c = file.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                    || c == '_' || c == '-';
            out.append(ok ? c : c == '+' ? "plus" : "_");
        }
        return out.toString();
    }
}
