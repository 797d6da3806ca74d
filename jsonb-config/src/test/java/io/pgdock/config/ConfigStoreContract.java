package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.TypeFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link ConfigStore} must have: the contract of {@link ConfigStore}'s Javadoc, as tests. pgdock
 * runs it against its PostgreSQL store and its in-memory fake; run it against your own implementation (a wrapper, a
 * cache, another database) to show that code written and tested against the fake behaves the same on yours.
 *
 * <h2>How to use it</h2>
 *
 * <p>It ships in the {@code tests} classifier of {@code pgdock-jsonb-config}. Add that, and the libraries the tests
 * use (test-jar dependencies are not transitive), in test scope:
 * <pre>{@code
 * <dependency>
 *   <groupId>io.pgdock</groupId>
 *   <artifactId>pgdock-jsonb-config</artifactId>
 *   <type>test-jar</type>
 *   <scope>test</scope>
 * </dependency>
 * <!-- and org.junit.jupiter:junit-jupiter (with junit-jupiter-params) and org.assertj:assertj-core -->
 * }</pre>
 *
 * <p>then extend this class and implement {@link #newStore(ConfigOptions)}:
 * <pre>{@code
 * class MyConfigStoreTest extends ConfigStoreContract {
 *     private final List<AutoCloseable> opened = new ArrayList<>();
 *
 *     @Override
 *     protected ConfigStore newStore(ConfigOptions options) {
 *         MyConfigStore store = MyConfigStore.create(freshDatabase(), options);  // empty, honours every option
 *         opened.add(store);
 *         return store;
 *     }
 *
 *     @AfterEach
 *     void close() throws Exception {
 *         for (AutoCloseable c : opened) {
 *             c.close();
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Every test method is inherited; add your own tests for what only your store does (pgdock's PostgreSQL test, for
 * instance, checks that an edit made with plain SQL is recorded in the history).
 *
 * <h2>What {@code newStore} must return</h2>
 *
 * <ul>
 *   <li>A store that is <b>empty</b> and shares nothing with stores returned before: a test may call it several times
 *       (with different options) and expects each store to start blank.</li>
 *   <li>A store that honours <b>every option</b>: {@link ConfigOptions#maxValueBytes()},
 *       {@link ConfigOptions#retention()}, {@link ConfigOptions#schemas()} and, if the store uses it,
 *       {@link ConfigOptions#clock()}. Tests that need time to pass inject {@link #clock()} (which starts at the real
 *       current time) and call {@link #elapse(Duration)}; a store that keeps its own time, as the PostgreSQL store
 *       stamps its history with the server's {@code now()}, overrides {@code elapse} to move its recorded times back
 *       instead.</li>
 *   <li>A store that can serve at least 8 threads at once (the concurrency test runs 8 writers).</li>
 *   <li>A store that implements {@link ConfigStore#watch(String, long, ConfigListener)} and
 *       {@link ConfigStore#snapshot(String)}: the watch tests wait for deliveries (with a deadline of a minute, never a
 *       sleep) and check order, replay, scopes, closing and listener failures.</li>
 * </ul>
 *
 * <p>Tests never sleep and never assert on elapsed time. The concurrency test waits for its writers with a deadline of
 * a few minutes. Release what {@code newStore} opened in an {@code @AfterEach} method of your subclass.
 *
 * <h2>JSONTestSuite</h2>
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
 * <p>Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class ConfigStoreContract {
    /** System property naming the directory of JSONTestSuite's {@code test_parsing} files. */
    public static final String JSON_TEST_SUITE_PROPERTY = "pgdock.jsontestsuite.dir";

    /**
     * The {@code y_} cases of JSONTestSuite (valid JSON) that PostgreSQL's {@code jsonb}, and so every pgdock store,
     * refuses: text containing U+0000. Each is expected to be refused with a message that names U+0000.
     */
    protected static final Set<String> JSONB_CANNOT_STORE =
            Set.of("y_object_escaped_null_in_key.json", "y_string_null_escape.json");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Parses like a strict reader that keeps every digit; a repeated object key keeps its last value, as in jsonb. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Writes numbers without exponent, so equal text means equal value and equal scale. */
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    /** Numbers compare by value ({@code 1E+2} equals {@code 100}); everything else by {@code equals}. */
    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private final TestClock clock = new TestClock(Instant.now());

    /**
     * A new, empty store with {@code options}, sharing nothing with the stores returned before.
     *
     * @param options the options the store must honour
     * @return the store
     */
    protected abstract ConfigStore newStore(ConfigOptions options);

    /**
     * A new, empty store with {@link ConfigOptions#defaults()}.
     *
     * @return the store
     */
    protected ConfigStore newStore() {
        return newStore(ConfigOptions.defaults());
    }

    /**
     * The clock that tests which need time to pass give their stores ({@link ConfigOptions.Builder#clock}). It starts
     * at the real current time and moves only in {@link #elapse(Duration)}.
     *
     * @return this test's clock
     */
    protected final Clock clock() {
        return clock;
    }

    /**
     * Lets {@code duration} pass for the stores this test made, without waiting: a later write sees their history as
     * that much older. This moves {@link #clock()}; a store that does not take its time from the clock overrides this
     * to also move the times it has recorded back by {@code duration}.
     *
     * @param duration how much time passes, positive
     */
    protected void elapse(Duration duration) {
        clock.advance(duration);
    }

    /** For typed reads. */
    record Limits(int max, String mode) {
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reads: get, entry, typed get, getOrDefault

    @Test
    void aKeyThatWasNeverWrittenReadsAsEmptyEverywhere() {
        ConfigStore store = newStore();

        assertThat(store.scope()).as("scope() of the store itself").isEmpty();
        assertThat(store.entry("ingest.batch_size")).as("entry").isEmpty();
        assertThat(store.get("ingest.batch_size")).as("get").isEmpty();
        assertThat(store.get("ingest.batch_size", Integer.class)).as("get(Class)").isEmpty();
        assertThat(store.get("ingest.batch_size", new TypeReference<List<String>>() { })).as("get(TypeReference)")
                .isEmpty();
        assertThat(store.getOrDefault("ingest.batch_size", Integer.class, 1000)).as("getOrDefault").isEqualTo(1000);
        assertThat(store.history("ingest.batch_size")).as("history").isEmpty();
        assertThat(store.list("")).as("list").isEmpty();
    }

    @Test
    void putReturnsTheEntryThatReadsThenSee() {
        ConfigStore store = newStore();

        ConfigEntry written = store.put("ingest.batch_size", 5000);

        assertThat(written.scope()).isEmpty();
        assertThat(written.key()).isEqualTo("ingest.batch_size");
        assertThat(written.value().intValue()).isEqualTo(5000);
        assertThat(written.version()).as("version of a first write").isEqualTo(1);
        assertThat(written.updatedAt()).isNotNull();
        assertThat(written.updatedBy()).as("default actor").isNotBlank();
        assertThat(store.entry("ingest.batch_size")).as("entry after put").contains(written);
        assertThat(store.get("ingest.batch_size")).as("get after put").contains(written.value());
        assertThat(store.get("ingest.batch_size", Integer.class)).contains(5000);
        assertThat(store.getOrDefault("ingest.batch_size", Integer.class, 1000)).isEqualTo(5000);
    }

    @Test
    void typedReadsBindClassesGenericTypesAndJavaTypes() {
        ConfigStore store = newStore();
        store.put("ingest.limits", Map.of("max", 5, "mode", "fast"));
        store.put("ingest.hosts", List.of("a", "b"));
        store.put("ingest.weights", Map.of("a", 1, "b", 2));
        store.put("ingest.started", Instant.parse("2024-01-02T03:04:05.123456Z"));
        store.put("ingest.ratio", 0.25);

        assertThat(store.get("ingest.limits", Limits.class)).contains(new Limits(5, "fast"));
        assertThat(store.get("ingest.hosts", new TypeReference<List<String>>() { })).contains(List.of("a", "b"));
        JavaType weights = TypeFactory.defaultInstance().constructMapType(Map.class, String.class, Integer.class);
        assertThat(store.<Map<String, Integer>>get("ingest.weights", weights)).contains(Map.of("a", 1, "b", 2));
        assertThat(store.get("ingest.started", Instant.class)).contains(Instant.parse("2024-01-02T03:04:05.123456Z"));
        assertThat(store.get("ingest.ratio", Double.class)).contains(0.25);
        assertThat(store.get("ingest.limits", JsonNode.class).map(n -> n.get("mode").asText())).contains("fast");
    }

    @Test
    void jsonNullIsAValueButTypedReadsSeeNothing() {
        ConfigStore store = newStore();

        ConfigEntry e = store.put("ingest.limit", null);

        assertThat(e.value().isNull()).as("Java null is stored as JSON null").isTrue();
        assertThat(store.get("ingest.limit")).as("get of JSON null").hasValueSatisfying(v -> assertThat(v.isNull())
                .isTrue());
        assertThat(store.get("ingest.limit", Integer.class)).as("typed get of JSON null").isEmpty();
        assertThat(store.get("ingest.limit", new TypeReference<List<String>>() { })).isEmpty();
        assertThat(store.getOrDefault("ingest.limit", Integer.class, 7)).as("getOrDefault of JSON null").isEqualTo(7);
        assertThat(store.putJson("ingest.limit", "null").version()).as("JSON null via putJson").isEqualTo(2);
    }

    @Test
    void aValueThatDoesNotBindNamesTheKeyTheTypeAndTheJsonPath() {
        ConfigStore store = newStore();
        store.putJson("ingest.limits", "{\"max\": \"x\", \"mode\": \"fast\"}");
        store.putJson("ingest.all_limits", "[{\"max\": 1}, {\"max\": \"y\"}]");
        store.put("ingest.batch_size", "many");

        assertThatThrownBy(() -> store.get("ingest.limits", Limits.class))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("ingest.limits")
                .hasMessageContaining("Limits")
                .hasMessageContaining("/max")
                .satisfies(t -> {
                    ConfigBindingException e = (ConfigBindingException) t;
                    assertThat(e.key()).isEqualTo("ingest.limits");
                    assertThat(e.path()).isEqualTo("/max");
                    assertThat(e.type()).contains("Limits");
                });
        assertThatThrownBy(() -> store.get("ingest.all_limits", new TypeReference<List<Limits>>() { }))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("ingest.all_limits")
                .hasMessageContaining("List")
                .hasMessageContaining("/1/max")
                .satisfies(t -> assertThat(((ConfigBindingException) t).path()).isEqualTo("/1/max"));
        assertThatThrownBy(() -> store.getOrDefault("ingest.batch_size", Integer.class, 1000))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("ingest.batch_size")
                .hasMessageContaining("Integer")
                .satisfies(t -> assertThat(((ConfigBindingException) t).path()).as("path of the root").isEmpty());
    }

    @Test
    void theTypeInABindingErrorIsNamedAsInSourceCode() {
        ConfigStore store = newStore();
        store.put("ingest.hosts", List.of(1, 2));

        assertThatThrownBy(() -> store.get("ingest.hosts", new TypeReference<List<Limits>>() { }))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("java.util.List<io.pgdock.config.ConfigStoreContract$Limits>")
                .hasMessageNotContaining("[collection type");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Writes: put, putJson, delete

    @Test
    void everyWriteBumpsTheVersionByOne() {
        ConfigStore store = newStore();

        assertThat(store.put("ingest.batch_size", 1).version()).isEqualTo(1);
        assertThat(store.put("ingest.batch_size", 2).version()).isEqualTo(2);
        assertThat(store.putJson("ingest.batch_size", "3").version()).isEqualTo(3);
        assertThat(store.put("ingest.batch_size", 3).version()).as("writing the same value again").isEqualTo(4);

        assertThat(store.entry("ingest.batch_size")).hasValueSatisfying(e -> {
            assertThat(e.version()).isEqualTo(4);
            assertThat(e.value().intValue()).isEqualTo(3);
        });
    }

    @Test
    void putJsonParsesStrictlyAndNamesTheKeyAndPosition() {
        ConfigStore store = newStore();
        store.put("ingest.limits", Map.of("max", 5));

        for (String bad : List.of("{\"max\": 6,}", "{\"max\": 6} // six", "{\"max\": 6} {}", "", "  ", "{'max': 6}",
                "[1, 2", "NaN", "01")) {
            assertThatThrownBy(() -> store.putJson("ingest.limits", bad))
                    .as("putJson(%s)", bad)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("ingest.limits")
                    .satisfies(t -> assertThat(((InvalidConfigException) t).key()).isEqualTo("ingest.limits"));
        }
        assertThatThrownBy(() -> store.putJson("ingest.limits", "{\n  \"max\": 6,\n}"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("line 3");
        assertUnchanged(store, "ingest.limits", 1, "{\"max\":5}");
    }

    @Test
    void aWriteDoesNotKeepAReferenceToTheCallersTree() {
        ConfigStore store = newStore();
        ObjectNode limits = NODES.objectNode().put("max", 5);
        ArrayNode hosts = NODES.arrayNode().add("a");

        store.put("ingest.limits", limits);
        store.put("ingest.hosts", hosts);
        limits.put("max", 6);
        hosts.add("b");

        assertThat(json(store.get("ingest.limits").orElseThrow())).isEqualTo("{\"max\":5}");
        assertThat(json(store.get("ingest.hosts").orElseThrow())).isEqualTo("[\"a\"]");
    }

    @Test
    void deleteRemovesTheKeyAndSaysWhetherItExisted() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);

        assertThat(store.delete("ingest.batch_size")).as("delete of an existing key").isTrue();
        assertThat(store.get("ingest.batch_size")).as("get after delete").isEmpty();
        assertThat(store.delete("ingest.batch_size")).as("delete of a deleted key").isFalse();
        assertThat(store.delete("never.written")).as("delete of a key never written").isFalse();
        assertThat(store.put("ingest.batch_size", 3).version()).as("first write after a delete").isEqualTo(3);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Compare-and-set

    @Test
    void expectedVersionZeroCreatesOnlyWhenTheKeyIsAbsent() {
        ConfigStore store = newStore();

        assertThat(store.put("ingest.owner", "alice", 0).version()).isEqualTo(1);
        assertThatThrownBy(() -> store.put("ingest.owner", "bob", 0))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.owner")
                .satisfies(t -> {
                    ConfigConflictException e = (ConfigConflictException) t;
                    assertThat(e.key()).isEqualTo("ingest.owner");
                    assertThat(e.scope()).isEmpty();
                    assertThat(e.expectedVersion()).isZero();
                    assertThat(e.currentVersion()).isEqualTo(1);
                });
        assertUnchanged(store, "ingest.owner", 1, "\"alice\"");
    }

    @Test
    void aStaleVersionConflictsCarriesTheCurrentVersionAndWritesNothing() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);
        ConfigEntry second = store.put("ingest.batch_size", 2);

        ConfigEntry third = store.put("ingest.batch_size", 3, second.version());
        assertThat(third.version()).isEqualTo(3);

        assertThatThrownBy(() -> store.put("ingest.batch_size", 99, second.version()))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.batch_size")
                .hasMessageContaining("version 3")
                .hasMessageContaining("version 2")
                .satisfies(t -> {
                    ConfigConflictException e = (ConfigConflictException) t;
                    assertThat(e.expectedVersion()).isEqualTo(2);
                    assertThat(e.currentVersion()).as("currentVersion").isEqualTo(3);
                });
        assertUnchanged(store, "ingest.batch_size", 3, "3");
        assertThat(store.history("ingest.batch_size")).as("history after a conflict").hasSize(3);
    }

    @Test
    void expectingAVersionOfAnAbsentKeyConflictsWithCurrentVersionZero() {
        ConfigStore store = newStore();

        assertThatThrownBy(() -> store.put("ingest.batch_size", 1, 4))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.batch_size")
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isZero());
        assertThat(store.entry("ingest.batch_size")).as("entry after the conflict").isEmpty();
        assertThat(store.history("ingest.batch_size")).as("history after the conflict").isEmpty();
    }

    @Test
    void putJsonComparesAndSetsToo() {
        ConfigStore store = newStore();

        assertThat(store.putJson("ingest.limits", "{\"max\": 1}", 0).version()).isEqualTo(1);
        assertThat(store.putJson("ingest.limits", "{\"max\": 2}", 1).version()).isEqualTo(2);
        assertThatThrownBy(() -> store.putJson("ingest.limits", "{\"max\": 3}", 1))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.limits")
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isEqualTo(2));
        assertThatThrownBy(() -> store.putJson("ingest.limits", "{\"max\": 3}", 0))
                .isInstanceOf(ConfigConflictException.class);
        assertUnchanged(store, "ingest.limits", 2, "{\"max\":2}");
    }

    @Test
    void deleteComparesAndSets() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);

        assertThatThrownBy(() -> store.delete("ingest.batch_size", 1))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("ingest.batch_size")
                .satisfies(t -> {
                    ConfigConflictException e = (ConfigConflictException) t;
                    assertThat(e.expectedVersion()).isEqualTo(1);
                    assertThat(e.currentVersion()).isEqualTo(2);
                });
        assertUnchanged(store, "ingest.batch_size", 2, "2");

        assertThat(store.delete("ingest.batch_size", 2)).isTrue();
        assertThat(store.entry("ingest.batch_size")).isEmpty();
        assertThatThrownBy(() -> store.delete("ingest.batch_size", 2))
                .as("deleting an absent key at a version")
                .isInstanceOf(ConfigConflictException.class)
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isZero());
        assertThat(store.delete("ingest.batch_size", ConfigStore.ANY_VERSION)).isFalse();
    }

    @Test
    void expectedVersionsOutsideTheContractAreCallerErrors() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);

        assertThatThrownBy(() -> store.put("ingest.batch_size", 2, -2))
                .isInstanceOf(IllegalArgumentException.class)
                .isNotInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("expectedVersion")
                .hasMessageContaining("-2");
        assertThatThrownBy(() -> store.delete("ingest.batch_size", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expectedVersion");
        assertUnchanged(store, "ingest.batch_size", 1, "1");
    }

    @Test
    void concurrentCreatesWithExpectedVersionZeroLetExactlyOneWin() throws Exception {
        ConfigStore store = newStore();
        int threads = 8;

        List<Boolean> won = runConcurrently(threads, i -> () -> {
            try {
                store.as("writer-" + i).put("ingest.owner", "writer-" + i, 0);
                return true;
            } catch (ConfigConflictException e) {
                assertThat(e.currentVersion()).isEqualTo(1);
                return false;
            }
        });

        assertThat(won).as("which writers created the key").containsOnlyOnce(true).hasSize(threads);
        ConfigEntry e = store.entry("ingest.owner").orElseThrow();
        assertThat(e.version()).isEqualTo(1);
        assertThat(e.value().asText()).isEqualTo(e.updatedBy());
    }

    @Test
    void eightThreadsIncrementingOneCounterWithCompareAndSetCountExactly() throws Exception {
        ConfigStore store = newStore();
        int threads = 8;
        int perThread = 250;

        List<Integer> conflicts = runConcurrently(threads, i -> () -> {
            ConfigStore writer = store.as("incrementer-" + i);
            int seen = 0;
            for (int done = 0; done < perThread; ) {
                Optional<ConfigEntry> current = writer.entry("counter");
                long version = current.map(ConfigEntry::version).orElse(0L);
                int value = current.map(e -> e.value().intValue()).orElse(0);
                try {
                    writer.put("counter", value + 1, version);
                    done++;
                } catch (ConfigConflictException e) {
                    seen++;
                }
            }
            return seen;
        });

        int total = threads * perThread;
        assertThat(store.get("counter", Integer.class)).as("the counter after %s increments (%s conflicts retried)",
                total, conflicts.stream().mapToInt(Integer::intValue).sum()).contains(total);
        assertThat(store.entry("counter").orElseThrow().version()).isEqualTo(total);
        List<ConfigChange> history = store.history("counter");
        assertThat(history).as("history of the counter").hasSize(total);
        assertThat(history).extracting(ConfigChange::version)
                .as("versions, newest first")
                .containsExactlyElementsOf(IntStream.iterate(total, v -> v - 1).limit(total).mapToObj(v -> (long) v)
                        .toList());
        assertThat(history).allSatisfy(c -> {
            assertThat(c.newValue().intValue()).as("value written as version %s", c.version()).isEqualTo(c.version());
            assertThat(c.oldValue() == null ? 0 : c.oldValue().intValue()).isEqualTo(c.version() - 1);
        });
    }

    // ---------------------------------------------------------------------------------------------------------------
    // list, paged and whole

    @Test
    void listReturnsTheKeysUnderAPrefixInKeyOrder() {
        ConfigStore store = newStore();
        List<String> keys = List.of("ingest.b", "ingest.B", "ingest._", "ingest.-", "ingest.1", "ingest.a:x",
                "ingest.a/x", "ingest.a.x", "ingest", "ingestion", "egress.a");
        for (String key : keys) {
            store.put(key, key.length());
        }

        assertThat(store.list("ingest.")).extracting(ConfigEntry::key)
                .as("keys under \"ingest.\", compared as Java strings (PostgreSQL COLLATE \"C\")")
                .containsExactly("ingest.-", "ingest.1", "ingest.B", "ingest._", "ingest.a.x", "ingest.a/x",
                        "ingest.a:x", "ingest.b");
        assertThat(store.list("")).extracting(ConfigEntry::key)
                .containsExactlyElementsOf(keys.stream().sorted().toList());
        assertThat(store.list("ingest")).hasSize(10);
        assertThat(store.list("nothing.")).isEmpty();
        assertThat(store.list("ingest.a.x")).singleElement().satisfies(e -> {
            assertThat(e.scope()).isEmpty();
            assertThat(e.version()).isEqualTo(1);
            assertThat(e.value().intValue()).isEqualTo(10);
        });
    }

    @Test
    void listTakesThePrefixLiterally() {
        ConfigStore store = newStore();
        store.put("a_b.x", 1);
        store.put("aXb.y", 2);
        store.put("a.b.z", 3);
        store.put("aZb.w", 4);

        assertThat(store.list("a_b")).as("'_' is not a wildcard").extracting(ConfigEntry::key).containsExactly("a_b.x");
        assertThat(store.list("a.b")).as("'.' is not a wildcard").extracting(ConfigEntry::key).containsExactly("a.b.z");
    }

    @Test
    void pagesCoverEveryEntryOnceInKeyOrder() {
        ConfigStore store = newStore();
        List<String> keys = IntStream.range(0, 23).mapToObj(i -> String.format("p.k%02d", i)).toList();
        for (String key : keys) {
            store.put(key, key);
        }
        store.put("q.other", 0);

        List<String> seen = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String after = null;
        for (int pages = 0; pages < 100; pages++) {
            ConfigPage page = store.list("p.", after, 5);
            sizes.add(page.entries().size());
            page.entries().forEach(e -> seen.add(e.key()));
            if (page.nextAfter() == null) {
                break;
            }
            assertThat(page.entries()).as("a page with a nextAfter").isNotEmpty();
            assertThat(page.nextAfter()).as("nextAfter is the last key of its page")
                    .isEqualTo(page.entries().get(page.entries().size() - 1).key());
            assertThat(page.next()).contains(page.nextAfter());
            after = page.nextAfter();
        }

        assertThat(seen).as("keys over all pages").containsExactlyElementsOf(keys);
        assertThat(sizes).as("page sizes").containsExactly(5, 5, 5, 5, 3);
        assertThat(store.list("p.", null, 23).nextAfter()).as("a page that holds the rest").isNull();
        assertThat(store.list("p.", "p.k22", 5).entries()).as("after the last key").isEmpty();
        assertThat(store.list("p.")).extracting(ConfigEntry::key).containsExactlyElementsOf(keys);
    }

    @Test
    void aPageMayStartAfterAKeyThatIsNotStored() {
        ConfigStore store = newStore();
        for (String key : List.of("p.a", "p.b", "p.c", "p.d")) {
            store.put(key, 1);
        }

        assertThat(store.list("p.", "p.b0", 10).entries()).extracting(ConfigEntry::key).containsExactly("p.c", "p.d");
        assertThat(store.list("p.", "a", 2).entries()).as("after a key before the prefix")
                .extracting(ConfigEntry::key).containsExactly("p.a", "p.b");
        assertThat(store.list("p.", "q", 2).entries()).as("after a key past the prefix").isEmpty();
    }

    @Test
    void pageLimitsAreBounded() {
        ConfigStore store = newStore();
        store.put("p.a", 1);

        assertThat(store.list("p.", null, 1).entries()).hasSize(1);
        assertThat(store.list("p.", null, 10_000).entries()).hasSize(1);
        for (int limit : new int[] {0, -1, 10_001}) {
            assertThatThrownBy(() -> store.list("p.", null, limit))
                    .as("limit %s", limit)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("limit")
                    .hasMessageContaining(Integer.toString(limit));
        }
    }

    @Test
    void listRefusesAPrefixOrAfterKeyThatNoKeyCouldHave() {
        ConfigStore store = newStore();

        assertThatThrownBy(() -> store.list("ingest batch"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("ingest batch");
        assertThatThrownBy(() -> store.list("p.", "p.a b", 10))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("p.a b");
        assertThatThrownBy(() -> store.list(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("prefix");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // History, actor, reason, rollback

    @Test
    void historyRecordsEveryChangeNewestFirstWithWhoAndWhy() {
        ConfigStore store = newStore();
        store.as("alice").because("first batch size").put("ingest.batch_size", 1000);
        store.as("bob").put("ingest.batch_size", 5000);
        store.as("carol").because("no longer needed").delete("ingest.batch_size");
        store.as("dave").putJson("ingest.batch_size", "7");

        List<ConfigChange> history = store.history("ingest.batch_size");

        assertThat(history).as("history").hasSize(4);
        assertThat(history).extracting(ConfigChange::kind).containsExactly(ConfigChange.Kind.CREATE,
                ConfigChange.Kind.DELETE, ConfigChange.Kind.UPDATE, ConfigChange.Kind.CREATE);
        assertThat(history).extracting(ConfigChange::version).as("versions").containsExactly(3L, 2L, 2L, 1L);
        assertThat(history).extracting(ConfigChange::actor).containsExactly("dave", "carol", "bob", "alice");
        assertThat(history).extracting(ConfigChange::reason)
                .containsExactly(null, "no longer needed", null, "first batch size");
        assertThat(history).allSatisfy(c -> {
            assertThat(c.scope()).isEmpty();
            assertThat(c.key()).isEqualTo("ingest.batch_size");
            assertThat(c.changedAt()).isNotNull();
        });
        assertThat(history).extracting(c -> c.before().map(ConfigStoreContract::json).orElse("-"))
                .as("old values").containsExactly("-", "5000", "1000", "-");
        assertThat(history).extracting(c -> c.after().map(ConfigStoreContract::json).orElse("-"))
                .as("new values").containsExactly("7", "-", "5000", "1000");
        assertThat(history.get(1).why()).contains("no longer needed");
        assertThat(store.entry("ingest.batch_size").orElseThrow().updatedBy()).isEqualTo("dave");
    }

    @Test
    void theActorIsRecordedOnTheEntry() {
        ConfigStore store = newStore();

        ConfigEntry byDefault = store.put("ingest.batch_size", 1);
        ConfigEntry byOps = store.as("ops-oncall").put("ingest.batch_size", 2);

        assertThat(byDefault.updatedBy()).as("default actor").isNotBlank().isNotEqualTo("ops-oncall");
        assertThat(byOps.updatedBy()).isEqualTo("ops-oncall");
        assertThat(store.entry("ingest.batch_size").orElseThrow().updatedBy()).isEqualTo("ops-oncall");
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::actor)
                .containsExactly("ops-oncall", byDefault.updatedBy());
    }

    @Test
    void viewsLeaveTheStoreItselfUnchanged() {
        ConfigStore store = newStore();
        ConfigStore ops = store.as("ops-oncall").because("raise batch size");
        ConfigStore prod = store.inScope("prod");

        ConfigEntry plain = store.put("ingest.batch_size", 1);
        ops.put("ingest.batch_size", 2);
        ConfigEntry again = store.put("ingest.batch_size", 3);

        assertThat(store.scope()).isEmpty();
        assertThat(prod.scope()).isEqualTo("prod");
        assertThat(ops.scope()).isEmpty();
        assertThat(again.scope()).as("a write through the store after inScope").isEmpty();
        assertThat(again.updatedBy()).as("actor after as(..)").isEqualTo(plain.updatedBy());
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::reason)
                .as("reasons, newest first").containsExactly(null, "raise batch size", null);
        assertThat(store.as("x").because("y").inScope("prod").as("z").scope()).isEqualTo("prod");
    }

    @Test
    void actorsAndReasonsAreValidated() {
        ConfigStore store = newStore();

        for (String actor : List.of("", "  ", "a\nb", "x".repeat(201))) {
            assertThatThrownBy(() -> store.as(actor)).as("as(%s)", actor)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("actor");
        }
        for (String reason : List.of("", " ", "x".repeat(1001), "a\0b")) {
            assertThatThrownBy(() -> store.because(reason)).as("because(%s)", reason)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reason");
        }
        assertThatThrownBy(() -> store.as(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("actor");
        assertThatThrownBy(() -> store.because(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("reason");
        assertThat(store.as("x".repeat(200)).because("y".repeat(1000)).put("k", 1).updatedBy())
                .isEqualTo("x".repeat(200));
        assertThat(store.history("k").get(0).reason()).isEqualTo("y".repeat(1000));
    }

    @Test
    void rollbackWritesAnOldValueAsANewVersion() {
        ConfigStore store = newStore();
        store.put("ingest.limits", Map.of("max", 1));
        store.put("ingest.limits", Map.of("max", 2));
        store.put("ingest.limits", Map.of("max", 3));

        ConfigEntry rolledBack = store.as("ops").because("undo").rollback("ingest.limits", 1);

        assertThat(rolledBack.version()).as("version of the rollback").isEqualTo(4);
        assertThat(json(rolledBack.value())).isEqualTo("{\"max\":1}");
        assertThat(rolledBack.updatedBy()).isEqualTo("ops");
        assertThat(store.get("ingest.limits", Limits.class)).contains(new Limits(1, null));
        ConfigChange newest = store.history("ingest.limits").get(0);
        assertThat(newest.kind()).isEqualTo(ConfigChange.Kind.UPDATE);
        assertThat(newest.version()).isEqualTo(4);
        assertThat(json(newest.oldValue())).isEqualTo("{\"max\":3}");
        assertThat(json(newest.newValue())).isEqualTo("{\"max\":1}");
        assertThat(newest.reason()).isEqualTo("undo");
        assertThat(store.history("ingest.limits")).hasSize(4);
    }

    @Test
    void rollbackOfADeletedKeyWritesItAgain() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);
        store.delete("ingest.batch_size");

        ConfigEntry back = store.rollback("ingest.batch_size", 2);

        assertThat(back.version()).as("a write after a delete continues the numbering").isEqualTo(3);
        assertThat(back.value().intValue()).isEqualTo(2);
        assertThat(store.history("ingest.batch_size").get(0).kind()).isEqualTo(ConfigChange.Kind.CREATE);
    }

    @Test
    void aStaleVersionFromBeforeADeleteCannotWinACompareAndSet() {
        ConfigStore store = newStore();
        long seen = store.put("ingest.batch_size", 1).version();          // a client reads version 1
        store.delete("ingest.batch_size");                                 // someone deletes the key...
        store.put("ingest.batch_size", 2, 0);                              // ...and writes it again
        assertThatThrownBy(() -> store.put("ingest.batch_size", 99, seen))
                .as("compare-and-set with the version of the key's earlier life")
                .isInstanceOfSatisfying(ConfigConflictException.class, e -> assertThat(e.currentVersion()).isEqualTo(2));
        assertThat(store.get("ingest.batch_size", Integer.class)).contains(2);
    }

    @Test
    void rollbackAcrossADeleteFindsTheRightVersion() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 10);     // v1
        store.put("ingest.batch_size", 20);     // v2
        store.delete("ingest.batch_size");
        store.put("ingest.batch_size", 30);     // v3, not a second v1
        assertThat(store.rollback("ingest.batch_size", 1).value().intValue()).isEqualTo(10);
        assertThat(store.entry("ingest.batch_size").orElseThrow().version()).isEqualTo(4);
    }

    @Test
    void entriesChangesAndErrorsNeverPrintAValue() {
        ConfigStore store = newStore();
        ConfigEntry e = store.put("db.password", "hunter2-secret");
        assertThat(e.toString()).contains("db.password").doesNotContain("hunter2");
        store.put("db.password", "hunter3-secret");
        assertThat(store.history("db.password")).allSatisfy(c -> assertThat(c.toString()).doesNotContain("hunter"));
        assertThatThrownBy(() -> store.get("db.password", Integer.class))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("db.password")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("hunter"))
                .satisfies(t -> assertThat(t.getCause()).isNull());
        assertThatThrownBy(() -> store.putJson("db.password", "{\"p\": hunter4secret}"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("line 1, column")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("hunter4"))
                .satisfies(t -> assertThat(t.getCause()).isNull());
    }

    @Test
    void aBrokenSchemaIsRefusedWhenItIsSet() {
        assertThatThrownBy(() -> ConfigOptions.builder().schema("ingest.", "[1]"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema for prefix \"ingest.\"");
        assertThatThrownBy(() -> ConfigOptions.builder().schema("ingest.", "{\"minimum\": \"x\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema for prefix \"ingest.\"");
    }

    @Test
    void actorsAndReasonsMustBeWellFormedText() {
        ConfigStore store = newStore();
        assertThatThrownBy(() -> store.as("bad\uD800actor")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("actor:");
        assertThatThrownBy(() -> store.because("bad\uDC00reason")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reason:");
    }

    @Test
    void anAgeReachingBeforeTheEarliestInstantKeepsEverything() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .retention(HistoryRetention.within(Duration.ofSeconds(Long.MAX_VALUE))).build());
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);
        assertThat(store.history("ingest.batch_size")).hasSize(2);
    }

    @Test
    void rollbackToAVersionThatIsNotInTheHistoryIsRefused() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);

        assertThatThrownBy(() -> store.rollback("ingest.batch_size", 7))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ingest.batch_size")
                .hasMessageContaining("7");
        assertThatThrownBy(() -> store.rollback("never.written", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("never.written");
        assertUnchanged(store, "ingest.batch_size", 1, "1");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Retention

    @Test
    void retentionByCountKeepsTheLatestChangesAndTheCurrentValue() {
        ConfigStore store = newStore(ConfigOptions.builder().retention(HistoryRetention.latest(3)).build());
        for (int i = 1; i <= 5; i++) {
            store.put("ingest.batch_size", i);
        }
        store.put("ingest.other", 1);

        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::version)
                .as("versions kept by latest(3)").containsExactly(5L, 4L, 3L);
        assertThat(store.history("ingest.other")).as("another key's history").hasSize(1);
        assertUnchanged(store, "ingest.batch_size", 5, "5");
        assertThatThrownBy(() -> store.rollback("ingest.batch_size", 2))
                .as("rollback to a version retention removed")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ingest.batch_size");
        assertThat(store.rollback("ingest.batch_size", 3).value().intValue()).isEqualTo(3);
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::version).containsExactly(6L, 5L, 4L);
    }

    @Test
    void retentionByAgeDropsOlderChangesWhenTheKeyIsWritten() {
        ConfigStore store = newStore(ConfigOptions.builder().clock(clock())
                .retention(HistoryRetention.within(Duration.ofHours(1))).build());
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);

        elapse(Duration.ofMinutes(30));
        store.put("ingest.batch_size", 3);
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::version)
                .as("changes younger than an hour").containsExactly(3L, 2L, 1L);

        elapse(Duration.ofDays(2));
        assertThat(store.history("ingest.batch_size")).as("history is trimmed by writes, not by reads").hasSize(3);
        store.put("ingest.batch_size", 4);
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::version)
                .as("after two days and a write").containsExactly(4L);
        assertUnchanged(store, "ingest.batch_size", 4, "4");

        elapse(Duration.ofDays(30));
        assertThat(store.get("ingest.batch_size", Integer.class)).as("the current value never expires").contains(4);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Scopes

    @Test
    void scopedReadsFallBackToTheParentsAndExplainSaysWhichAnswered() {
        ConfigStore root = newStore();
        root.put("ingest.batch_size", 1000);
        root.put("ingest.mode", "safe");
        root.inScope("prod").put("ingest.batch_size", 5000);
        ConfigStore ingest = root.inScope("prod/ingest");

        assertThat(ingest.scope()).isEqualTo("prod/ingest");
        assertThat(ingest.get("ingest.batch_size", Integer.class)).as("from \"prod\"").contains(5000);
        assertThat(ingest.get("ingest.mode", String.class)).as("from the root").contains("safe");
        assertThat(ingest.entry("ingest.batch_size").orElseThrow().scope()).isEqualTo("prod");
        assertThat(root.get("ingest.batch_size", Integer.class)).as("the root's own value").contains(1000);
        assertThat(root.inScope("dev").get("ingest.batch_size", Integer.class)).as("a sibling scope").contains(1000);

        ConfigExplanation explained = ingest.explain("ingest.batch_size");
        assertThat(explained.key()).isEqualTo("ingest.batch_size");
        assertThat(explained.consulted()).containsExactly("prod/ingest", "prod", "");
        assertThat(explained.answeredBy()).contains("prod");
        assertThat(explained.entry().map(e -> e.value().intValue())).contains(5000);
        assertThat(explained.toString()).contains("ingest.batch_size").contains("prod");

        assertThat(ingest.explain("ingest.mode").answeredBy()).contains("");
        ConfigExplanation missing = ingest.explain("ingest.none");
        assertThat(missing.answeredBy()).isEmpty();
        assertThat(missing.entry()).isEmpty();
        assertThat(missing.consulted()).containsExactly("prod/ingest", "prod", "");
        assertThat(root.explain("ingest.mode").consulted()).containsExactly("");
    }

    @Test
    void writesGoToTheBoundScopeOnly() {
        ConfigStore root = newStore();
        root.put("ingest.batch_size", 1000);
        ConfigStore ingest = root.inScope("prod/ingest");

        ConfigEntry e = ingest.put("ingest.batch_size", 7000);

        assertThat(e.scope()).isEqualTo("prod/ingest");
        assertThat(e.version()).as("versions count per scope").isEqualTo(1);
        assertThat(root.get("ingest.batch_size", Integer.class)).as("the root after a scoped write").contains(1000);
        assertThat(root.inScope("prod").explain("ingest.batch_size").answeredBy()).contains("");
        assertThat(ingest.get("ingest.batch_size", Integer.class)).contains(7000);

        assertThat(ingest.put("ingest.only_here", 1, 0).version()).as("CAS create in a scope").isEqualTo(1);
        assertThat(root.get("ingest.only_here")).isEmpty();
        assertThat(ingest.inScope("prod").put("ingest.batch_size", 5000, 0).version())
                .as("CAS create in \"prod\" although the root and \"prod/ingest\" have the key").isEqualTo(1);

        assertThat(ingest.delete("ingest.mode")).as("deleting a key no scope has").isFalse();
        root.put("ingest.mode", "safe");
        assertThat(ingest.delete("ingest.mode")).as("delete never reaches a parent scope").isFalse();
        assertThat(ingest.get("ingest.mode", String.class)).contains("safe");
        assertThat(ingest.delete("ingest.batch_size")).isTrue();
        assertThat(ingest.get("ingest.batch_size", Integer.class)).as("after deleting the scoped value")
                .contains(5000);
    }

    @Test
    void listMergesTheLayersMostSpecificFirst() {
        ConfigStore root = newStore();
        ConfigStore prod = root.inScope("prod");
        ConfigStore ingest = root.inScope("prod/ingest");
        root.put("k1", "root");
        root.put("k2", "root");
        root.put("k3", "root");
        prod.put("k2", "prod");
        prod.put("k4", "prod");
        ingest.put("k3", "ingest");
        ingest.put("k5", "ingest");
        root.inScope("dev").put("k6", "dev");

        assertThat(ingest.list("")).extracting(e -> e.key() + "=" + e.value().asText() + "@" + e.scope())
                .containsExactly("k1=root@", "k2=prod@prod", "k3=ingest@prod/ingest", "k4=prod@prod",
                        "k5=ingest@prod/ingest");
        assertThat(prod.list("")).extracting(e -> e.key() + "=" + e.value().asText())
                .containsExactly("k1=root", "k2=prod", "k3=root", "k4=prod");
        assertThat(root.list("")).extracting(ConfigEntry::key).containsExactly("k1", "k2", "k3");

        ConfigPage first = ingest.list("k", null, 2);
        ConfigPage second = ingest.list("k", first.nextAfter(), 2);
        ConfigPage third = ingest.list("k", second.nextAfter(), 2);
        assertThat(first.entries()).extracting(ConfigEntry::scope).containsExactly("", "prod");
        assertThat(second.entries()).extracting(ConfigEntry::scope).containsExactly("prod/ingest", "prod");
        assertThat(third.entries()).extracting(ConfigEntry::key).containsExactly("k5");
        assertThat(third.nextAfter()).isNull();
    }

    @Test
    void historyAndRollbackBelongToOneScope() {
        ConfigStore root = newStore();
        ConfigStore prod = root.inScope("prod");
        root.put("ingest.batch_size", 1);
        prod.put("ingest.batch_size", 10);
        prod.put("ingest.batch_size", 20);

        assertThat(prod.history("ingest.batch_size")).extracting(ConfigChange::scope).containsOnly("prod");
        assertThat(prod.history("ingest.batch_size")).hasSize(2);
        assertThat(root.history("ingest.batch_size")).hasSize(1);
        assertThat(root.inScope("prod/ingest").history("ingest.batch_size")).as("history does not fall back")
                .isEmpty();

        ConfigEntry back = prod.rollback("ingest.batch_size", 1);
        assertThat(back.scope()).isEqualTo("prod");
        assertThat(back.value().intValue()).as("prod's version 1, not the root's").isEqualTo(10);
        assertThat(root.get("ingest.batch_size", Integer.class)).contains(1);
    }

    @Test
    void badScopesAreRefusedShowingTheScope() {
        ConfigStore store = newStore();

        for (String scope : List.of("prod//ingest", "/prod", "prod/", "/", "prod ingest", "prod/ingest*",
                "s".repeat(257))) {
            assertThatThrownBy(() -> store.inScope(scope))
                    .as("inScope(%s)", scope)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining(scope.substring(0, Math.min(scope.length(), 50)));
        }
        assertThatThrownBy(() -> store.inScope(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("scope");
        assertThat(store.inScope("a.b-c_d:e/F9").scope()).isEqualTo("a.b-c_d:e/F9");
        assertThat(store.inScope("s".repeat(256)).scope()).hasSize(256);
        assertThat(store.inScope("prod").inScope("").scope()).as("inScope names a scope, not a child").isEmpty();
        assertThat(store.inScope("prod").inScope("dev").scope()).isEqualTo("dev");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Keys

    @Test
    void keysOfOneTo256AllowedCharactersAreAccepted() {
        ConfigStore store = newStore();
        String everyCharacter = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/:";

        for (String key : List.of("k", everyCharacter, "k".repeat(256), "/", ":", "..", "-")) {
            assertThatCode(() -> store.put(key, key.length())).as("put(%s)", key).doesNotThrowAnyException();
            assertThat(store.get(key, Integer.class)).as("get(%s)", key).contains(key.length());
        }
    }

    @Test
    void emptyAndOverlongKeysAreRefusedShowingTheKey() {
        ConfigStore store = newStore();
        String tooLong = "k".repeat(200) + "x".repeat(57);

        assertThatThrownBy(() -> store.put("", 1))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"\"");
        assertThatThrownBy(() -> store.put(tooLong, 1))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("257")
                .hasMessageContaining("k".repeat(50));
        assertThatThrownBy(() -> store.put(null, 1)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("key");
        assertThat(store.list("")).as("nothing stored").isEmpty();
    }

    @Test
    void keysWithOtherCharactersAreRefusedShowingTheKey() {
        ConfigStore store = newStore();
        Map<String, String> shown = new LinkedHashMap<>();
        shown.put("ingest batch", "ingest batch");
        shown.put("ingest*", "ingest*");
        shown.put("schlüssel", "schlüssel");
        shown.put("a%b", "a%b");
        shown.put("a'b", "a'b");
        shown.put("a\nb", "a\\u000ab");
        shown.put("a\u0000b", "a\\u0000b");

        for (Map.Entry<String, String> bad : shown.entrySet()) {
            Throwable thrown = catchThrowable(() -> store.put(bad.getKey(), 1));
            assertThat(thrown).as("put(%s)", bad.getValue())
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining(bad.getValue());
            assertThat(thrown.getMessage()).as("no control characters in the message of put(%s)", bad.getValue())
                    .doesNotContain("\n", "\u0000");
        }
        assertThat(store.list("")).as("nothing stored").isEmpty();
    }

    @Test
    void everyMethodThatTakesAKeyChecksIt() {
        ConfigStore store = newStore();
        String bad = "ingest batch";
        Map<String, Consumer<String>> methods = new LinkedHashMap<>();
        methods.put("entry", store::entry);
        methods.put("get", store::get);
        methods.put("get(Class)", k -> store.get(k, Integer.class));
        methods.put("get(TypeReference)", k -> store.get(k, new TypeReference<List<Integer>>() { }));
        methods.put("getOrDefault", k -> store.getOrDefault(k, Integer.class, 1));
        methods.put("put", k -> store.put(k, 1));
        methods.put("put(expected)", k -> store.put(k, 1, 0));
        methods.put("putJson", k -> store.putJson(k, "1"));
        methods.put("putJson(expected)", k -> store.putJson(k, "1", 0));
        methods.put("delete", store::delete);
        methods.put("delete(expected)", k -> store.delete(k, 1));
        methods.put("history", store::history);
        methods.put("rollback", k -> store.rollback(k, 1));
        methods.put("explain", store::explain);

        SoftAssertions softly = new SoftAssertions();
        methods.forEach((name, method) -> softly.assertThatThrownBy(() -> method.accept(bad)).as(name)
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(bad));
        softly.assertAll();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Values and jsonb's rules

    @Test
    void scalarsArraysAndObjectsReadBackAsWritten() {
        ConfigStore store = newStore();
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("v.text", "batch – größe ☃ 🎉 \"quoted\" \\ \t");
        values.put("v.empty_text", "");
        values.put("v.int", 42);
        values.put("v.negative", -7);
        values.put("v.long", Long.MAX_VALUE);
        values.put("v.min_long", Long.MIN_VALUE);
        values.put("v.double", 3.5);
        values.put("v.true", true);
        values.put("v.false", false);
        values.put("v.null", null);
        values.put("v.array", Arrays.asList(1, "two", null, true, List.of(), Map.of()));
        values.put("v.empty_array", List.of());
        values.put("v.empty_object", Map.of());
        values.put("v.nested", Map.of("a", Map.of("b", List.of(Map.of("c", 1)))));
        values.put("v.record", new Limits(5, "fast"));

        for (Map.Entry<String, Object> v : values.entrySet()) {
            ConfigEntry e = store.put(v.getKey(), v.getValue());
            JsonNode expected = v.getValue() == null ? NODES.nullNode() : JSON.valueToTree(v.getValue());
            assertThat(sameMeaning(e.value(), expected)).as("%s as returned by put: %s", v.getKey(), e.value())
                    .isTrue();
            JsonNode read = store.get(v.getKey()).orElseThrow();
            assertThat(sameMeaning(read, expected)).as("%s as read back: %s", v.getKey(), read).isTrue();
        }
        assertThat(store.get("v.long", Long.class)).contains(Long.MAX_VALUE);
        assertThat(store.get("v.min_long", Long.class)).contains(Long.MIN_VALUE);
        assertThat(store.get("v.text", String.class)).contains((String) values.get("v.text"));
        assertThat(store.get("v.record", Limits.class)).contains(new Limits(5, "fast"));
        assertThat(store.get("v.array").orElseThrow().get(2).isNull()).isTrue();
    }

    @Test
    void bytesAreStoredAsBase64Text() {
        ConfigStore store = newStore();

        store.put("v.bytes", new byte[] {1, 2, 3, (byte) 0xff});

        assertThat(store.get("v.bytes").orElseThrow().isTextual()).isTrue();
        assertThat(store.get("v.bytes", String.class)).contains("AQID/w==");
        assertThat(store.get("v.bytes", byte[].class)).hasValueSatisfying(b -> assertThat(b)
                .containsExactly(1, 2, 3, 0xff));
    }

    @Test
    void objectKeysAreOrderedAsJsonbOrdersThemAndTheLastDuplicateWins() {
        ConfigStore store = newStore();

        store.putJson("v.object", "{\"bbb\": 1, \"a\": 2, \"cc\": 3, \"ab\": {\"zz\": 0, \"y\": 0}, \"é\": 4, \"z\": 5}");
        store.putJson("v.duplicates", "{\"a\": 1, \"b\": 2, \"a\": 3}");
        Map<String, Integer> map = new LinkedHashMap<>();
        map.put("long_name", 1);
        map.put("b", 2);
        store.put("v.map", map);

        assertThat(json(store.get("v.object").orElseThrow()))
                .as("shorter keys first, then by their UTF-8 bytes")
                .isEqualTo("{\"a\":2,\"z\":5,\"ab\":{\"y\":0,\"zz\":0},\"cc\":3,\"é\":4,\"bbb\":1}");
        assertThat(json(store.get("v.duplicates").orElseThrow())).isEqualTo("{\"a\":3,\"b\":2}");
        assertThat(json(store.get("v.map").orElseThrow())).isEqualTo("{\"b\":2,\"long_name\":1}");
    }

    @Test
    void aBigDecimalWithFortyDigitsReadsBackEqual() {
        ConfigStore store = newStore();
        BigDecimal decimal = new BigDecimal("1234567890123456789012345678.901234567890");
        BigInteger integer = new BigInteger("-1234567890123456789012345678901234567890");

        store.put("v.decimal", decimal);
        store.put("v.integer", integer);
        store.putJson("v.decimal_json", "[1234567890123456789012345678.901234567890]");

        BigDecimal read = store.get("v.decimal", BigDecimal.class).orElseThrow();
        assertThat(read.compareTo(decimal)).as("%s compared to %s", read, decimal).isZero();
        assertThat(read.toPlainString()).isEqualTo("1234567890123456789012345678.901234567890");
        assertThat(store.get("v.decimal").orElseThrow().decimalValue().toPlainString())
                .isEqualTo("1234567890123456789012345678.901234567890");
        assertThat(store.get("v.integer", BigInteger.class)).contains(integer);
        assertThat(store.get("v.decimal_json", new TypeReference<List<BigDecimal>>() { }).orElseThrow().get(0)
                .toPlainString()).isEqualTo("1234567890123456789012345678.901234567890");
    }

    @Test
    void numbersKeepTheirValueAndScaleButNotTheirSpelling() {
        ConfigStore store = newStore();
        Map<String, String> readsBackAs = new LinkedHashMap<>();
        readsBackAs.put("1.0e2", "100");
        readsBackAs.put("1.000e2", "100.0");
        readsBackAs.put("1.50", "1.50");
        readsBackAs.put("-0", "0");
        readsBackAs.put("-0.0", "0.0");
        readsBackAs.put("1E-7", "0.0000001");
        readsBackAs.put("1e22", "10000000000000000000000");
        readsBackAs.put("-123.456e-2", "-1.23456");
        readsBackAs.put("0.1", "0.1");
        readsBackAs.put("-0e-3", "0.000");
        readsBackAs.put("0e200000", "0");
        readsBackAs.put("0e999999999", "0");

        readsBackAs.forEach((written, expected) -> {
            store.putJson("v.number", written);
            JsonNode read = store.get("v.number").orElseThrow();
            assertThat(read.decimalValue().toPlainString()).as("%s read back", written).isEqualTo(expected);
            assertThat(json(read)).as("%s read back as JSON", written).isEqualTo(expected);
        });
        store.put("v.double", 0.1);
        assertThat(store.get("v.double").orElseThrow().decimalValue().toPlainString())
                .as("the double 0.1 is its shortest decimal, not its binary expansion").isEqualTo("0.1");
        store.put("v.float", 0.1f);
        assertThat(store.get("v.float", Float.class)).contains(0.1f);
    }

    @Test
    void integralNumbersReadBackAsIntegersWhicheverWayTheyWereWritten() {
        ConfigStore store = newStore();

        store.put("v.int", 5);
        store.put("v.long", 5L);
        store.put("v.short", (short) 5);
        store.put("v.big", BigInteger.valueOf(5));
        store.putJson("v.exp", "5e0");
        store.putJson("v.huge", "123456789012345678901234567890");

        for (String key : List.of("v.int", "v.long", "v.short", "v.big", "v.exp")) {
            JsonNode read = store.get(key).orElseThrow();
            assertThat(read.isIntegralNumber()).as("%s (%s) is integral", key, read.getClass().getSimpleName())
                    .isTrue();
            assertThat(read).as(key).isEqualTo(JSON.getNodeFactory().numberNode(5));
        }
        assertThat(store.get("v.huge").orElseThrow().isIntegralNumber()).isTrue();
        assertThat(store.get("v.huge").orElseThrow().bigIntegerValue())
                .isEqualTo(new BigInteger("123456789012345678901234567890"));
    }

    @Test
    void numbersWithThousandsOfDigitsReadBackEqual() {
        ConfigStore store = newStore();
        BigDecimal wide = new BigDecimal("9".repeat(5000) + "." + "1".repeat(5000));
        String text = "7".repeat(20_000);

        store.put("v.wide", wide);
        store.putJson("v.wide_json", text);

        assertThat(store.get("v.wide", BigDecimal.class)).hasValueSatisfying(n -> assertThat(n.compareTo(wide))
                .as("a number with 10,000 digits").isZero());
        assertThat(store.get("v.wide_json").orElseThrow().bigIntegerValue()).isEqualTo(new BigInteger(text));
    }

    @Test
    void longMemberNamesAndStringsReadBackEqual() {
        ConfigStore store = newStore();
        String name = "n".repeat(60_000);
        String text = "t".repeat(100_000);

        store.put("v.object", Map.of(name, text));
        store.putJson("v.object_json", "{\"" + name + "\": \"" + text + "\"}");

        for (String key : List.of("v.object", "v.object_json")) {
            JsonNode read = store.get(key).orElseThrow();
            assertThat(read.size()).as(key).isEqualTo(1);
            assertThat(read.fieldNames().next()).as("member name of %s", key).isEqualTo(name);
            assertThat(read.get(name).asText()).as("member value of %s", key).isEqualTo(text);
        }
    }

    @Test
    void arraysAndObjectsNestUpToAThousandLevels() {
        ConfigStore store = newStore();
        JsonNode deepest = nested(1000);

        assertThat(store.put("v.deep", deepest).version()).isEqualTo(1);
        assertThat(store.putJson("v.deep_json", "[".repeat(999) + "{\"a\": 1}" + "]".repeat(999)).version())
                .isEqualTo(1);
        assertThat(store.get("v.deep").orElseThrow()).isEqualTo(deepest);

        assertThatThrownBy(() -> store.put("v.deep", nested(1001)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("v.deep")
                .hasMessageContaining("1000");
        assertThatThrownBy(() -> store.putJson("v.deep", "[".repeat(1001) + "]".repeat(1001)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("v.deep")
                .hasMessageContaining("1000");
        assertThat(store.entry("v.deep").orElseThrow().version()).isEqualTo(1);
    }

    /** Arrays nested {@code levels} deep, the innermost holding 1. */
    private static JsonNode nested(int levels) {
        JsonNode node = NODES.arrayNode().add(1);
        for (int i = 1; i < levels; i++) {
            node = NODES.arrayNode().add(node);
        }
        return node;
    }

    @Test
    void numbersOutsidePostgresNumericAreRefused() {
        ConfigStore store = newStore();

        for (String bad : List.of("1e131072", "1e-16384", "[1e999999999]", "{\"a\": 1e-999999999}",
                "[0.4e00669999999999999999999999]", "-1e-99999999999999999999")) {
            assertThatThrownBy(() -> store.putJson("v.number", bad))
                    .as("putJson(%s)", bad)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("v.number")
                    .hasMessageContaining("numeric");
        }
        assertThatThrownBy(() -> store.put("v.number", new BigDecimal("1e-20000")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("v.number");
        assertThat(store.putJson("v.number", "1e131071").value().bigIntegerValue().toString())
                .as("131072 digits before the point").hasSize(131_072);
        assertThat(store.putJson("v.number", "1e-16383").value().decimalValue().scale()).isEqualTo(16_383);
        assertThat(store.entry("v.number").orElseThrow().version()).isEqualTo(2);
    }

    @Test
    void textThatJsonbCannotStoreIsRefusedNamingKeyAndPlace() {
        ConfigStore store = newStore();
        store.put("v.text", "ok");
        Map<Object, String> refused = new LinkedHashMap<>();
        refused.put("a\u0000b", "U+0000");
        refused.put(Map.of("a\u0000", 1), "U+0000");
        refused.put(List.of("x", Map.of("b", "\u0000")), "/1/b");
        refused.put("high \uD800 alone", "surrogate");
        refused.put("low \uDC00 alone", "surrogate");
        refused.put(Map.of("\uDFFF", 1), "surrogate");
        refused.put(Double.NaN, "NaN");
        refused.put(Double.POSITIVE_INFINITY, "Infinity");
        refused.put(List.of(1.0, Double.NEGATIVE_INFINITY), "/1");

        refused.forEach((value, mentions) -> {
            assertThatThrownBy(() -> store.put("v.text", value))
                    .as("put(%s)", value)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("v.text")
                    .hasMessageContaining(mentions)
                    .satisfies(t -> assertThat(((InvalidConfigException) t).key()).isEqualTo("v.text"));
        });
        assertThatThrownBy(() -> store.putJson("v.text", "{\"a\": \"\\u0000\"}"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("U+0000").hasMessageContaining("/a");
        assertThatThrownBy(() -> store.putJson("v.text", "[\"\\ud800\"]"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("/0");
        assertThatThrownBy(() -> store.putJson("v.new", "\"\\u0000\"")).isInstanceOf(InvalidConfigException.class);
        assertUnchanged(store, "v.text", 1, "\"ok\"");
        assertThat(store.entry("v.new")).isEmpty();
        assertThat(store.put("v.text", "\uD83C\uDF89 and \\u0000").value().asText())
                .as("a surrogate pair, and an escaped backslash before u0000").isEqualTo("🎉 and \\u0000");
    }

    @Test
    void valuesOverTheDefaultLimitOfOneMebibyteAreRefusedStatingSizeAndLimit() {
        ConfigStore store = newStore();
        assertThat(ConfigOptions.defaults().maxValueBytes()).isEqualTo(1 << 20);

        assertThatThrownBy(() -> store.put("v.big", "x".repeat(1 << 20)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("v.big")
                .hasMessageContaining("1048578")
                .hasMessageContaining("1048576");
        assertThat(store.entry("v.big")).as("nothing stored").isEmpty();
        assertThat(store.history("v.big")).isEmpty();
        assertThat(store.put("v.big", "x".repeat((1 << 20) - 2)).value().asText()).hasSize((1 << 20) - 2);
    }

    @Test
    void theLimitIsConfigurableAndCountsCompactUtf8() {
        ConfigStore store = newStore(ConfigOptions.builder().maxValueBytes(64).build());
        store.put("v.text", "x".repeat(62));

        assertThatThrownBy(() -> store.put("v.text", "y".repeat(63)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("v.text")
                .hasMessageContaining("65")
                .hasMessageContaining("64");
        assertThatThrownBy(() -> store.put("v.text", "é".repeat(32)))
                .as("32 two-byte characters")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("66");
        assertThatThrownBy(() -> store.putJson("v.text", "\"" + "z".repeat(63) + "\""))
                .isInstanceOf(InvalidConfigException.class);
        assertUnchanged(store, "v.text", 1, "\"" + "x".repeat(62) + "\"");
        assertThat(store.put("v.text", "é".repeat(31)).version()).as("62 bytes of text in quotes").isEqualTo(2);
        assertThat(store.putJson("v.list", "[1,    2,    3,    4,    5,    6,    7,    8,    9,    10,   11]")
                .version()).as("whitespace does not count").isEqualTo(1);
    }

    @Test
    void valuesUnderAPrefixMustMatchItsSchemaBeforeAnythingIsWritten() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .schema("ingest.", "{\"type\": \"object\", \"required\": [\"max\"],"
                        + " \"properties\": {\"max\": {\"type\": \"integer\", \"minimum\": 1}}}")
                .build());
        store.put("ingest.limits", Map.of("max", 5));

        assertThatThrownBy(() -> store.put("ingest.limits", Map.of("max", 0)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("ingest.limits")
                .hasMessageContaining("\"ingest.\"")
                .hasMessageContaining("max")
                .satisfies(t -> assertThat(((InvalidConfigException) t).key()).isEqualTo("ingest.limits"));
        assertThatThrownBy(() -> store.putJson("ingest.limits", "{}"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("ingest.limits")
                .hasMessageContaining("max");
        assertThatThrownBy(() -> store.inScope("prod").put("ingest.limits", "five"))
                .as("in another scope")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("ingest.limits");
        assertThatThrownBy(() -> store.put("ingest.new", Map.of("max", -1), 0))
                .isInstanceOf(InvalidConfigException.class);

        assertUnchanged(store, "ingest.limits", 1, "{\"max\":5}");
        assertThat(store.entry("ingest.new")).isEmpty();
        assertThat(store.inScope("prod").list("")).extracting(ConfigEntry::scope).containsOnly("");
        assertThat(store.put("egress.limits", "anything").version()).as("a key under no schema").isEqualTo(1);
        assertThat(store.put("ingest", "x").version()).as("a key shorter than the prefix").isEqualTo(1);
    }

    @Test
    void theLongestMatchingPrefixDecides() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .schema("", "{\"not\": {\"type\": \"null\"}}")
                .schema("ingest.", "{\"type\": \"object\"}")
                .schema("ingest.strict.", "{\"type\": \"integer\"}")
                .build());

        assertThat(store.put("ingest.strict.n", 7).version()).as("an integer under \"ingest.strict.\"").isEqualTo(1);
        assertThat(store.putJson("ingest.strict.n", "123456789012345678901234567890").version())
                .as("a big integer under \"ingest.strict.\"").isEqualTo(2);
        assertThat(store.putJson("ingest.strict.n", "1e2").version()).as("1e2 is the integer 100").isEqualTo(3);
        assertThatThrownBy(() -> store.put("ingest.strict.n", Map.of("max", 5)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"ingest.strict.\"");
        assertThatThrownBy(() -> store.put("ingest.strict.n", 1.5))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"ingest.strict.\"");
        assertThat(store.put("ingest.limits", Map.of("max", 5)).version()).isEqualTo(1);
        assertThatThrownBy(() -> store.put("ingest.limits", 7))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"ingest.\"");
        assertThatThrownBy(() -> store.put("egress.x", null))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"\"");
        assertThat(store.put("egress.x", 1).version()).isEqualTo(1);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // JSONTestSuite

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

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers

    /**
     * Runs {@code threads} tasks at once (released together) and returns their results, failing if one throws or if
     * they are not done within a few minutes.
     */
    private static <T> List<T> runConcurrently(int threads, java.util.function.IntFunction<Callable<T>> task)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Callable<T> body = task.apply(i);
                futures.add(pool.submit(() -> {
                    start.await();
                    return body.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            for (Future<T> f : futures) {
                results.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The key holds {@code json} (compact) at {@code version}. */
    private static void assertUnchanged(ConfigStore store, String key, long version, String json) {
        ConfigEntry e = store.entry(key).orElseThrow(() -> new AssertionError(key + " is not set"));
        assertThat(e.version()).as("version of %s", key).isEqualTo(version);
        assertThat(json(e.value())).as("value of %s", key).isEqualTo(json);
    }

    private static String json(JsonNode node) {
        return canonical(node);
    }

    private static String canonical(JsonNode node) {
        try {
            return CANONICAL.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not JSON: " + text, e);
        }
    }

    /** The same JSON meaning: same structure and strings, numbers equal by value, object members in any order. */
    private static boolean sameMeaning(JsonNode a, JsonNode b) {
        return a.equals(NUMBERS_BY_VALUE, b);
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
        for (char c : file.toCharArray()) {
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                    || c == '_' || c == '-';
            out.append(ok ? c : c == '+' ? "plus" : "_");
        }
        return out.toString();
    }

    // ---- watch and snapshot ----

    /** Records what a watch delivers; tests wait on it with a deadline, never sleep. */
    protected static final class Recorder implements ConfigListener {
        private final List<ConfigEvent> events = new ArrayList<>();
        private int gaps;
        private int caughtUp;

        @Override
        public synchronized void onChange(ConfigEvent event) {
            events.add(event);
            notifyAll();
        }

        @Override
        public synchronized void onGap(Exception cause) {
            gaps++;
            notifyAll();
        }

        @Override
        public synchronized void onCaughtUp() {
            caughtUp++;
            notifyAll();
        }

        public synchronized List<ConfigEvent> events() {
            return new ArrayList<>(events);
        }

        public synchronized int gaps() {
            return gaps;
        }

        public synchronized int caughtUp() {
            return caughtUp;
        }

        /** Waits up to a minute until {@code done} holds for this recorder, or fails naming {@code what}. */
        public synchronized void await(String what, java.util.function.Predicate<Recorder> done) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (!done.test(this)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out waiting for " + what + "; received " + events
                            + ", gaps " + gaps + ", caught up " + caughtUp);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted waiting for " + what, e);
                }
            }
        }

        /** Waits until a change of {@code key} at {@code version} (deleted or not) has arrived. */
        public void awaitChange(String key, long version, boolean deleted) {
            await(key + " v" + version + (deleted ? " deleted" : ""), r -> r.events.stream()
                    .anyMatch(e -> e.key().equals(key) && e.version() == version && e.deleted() == deleted));
        }
    }

    /** "key vN" or "key vN deleted" or "key vN=value", for compact assertions. */
    private static String describeEvent(ConfigEvent e) {
        return e.scope() + ":" + e.key() + " v" + e.version()
                + (e.deleted() ? " deleted" : "=" + e.value().orElseThrow());
    }

    @Test
    void watchDeliversEveryChangeUnderThePrefixInVersionOrder() {
        ConfigStore store = newStore();
        Recorder seen = new Recorder();
        try (ConfigSubscription sub = store.as("alice").watch("app.", seen)) {
            store.put("app.limit", 1);
            store.put("other.limit", 9);
            store.because("raise").put("app.limit", 2);
            store.put("app.name", "x");
            store.delete("app.limit");
            store.put("app.limit", 3);
            seen.awaitChange("app.limit", 3, false);
            assertThat(seen.events()).extracting(ConfigStoreContract::describeEvent).containsExactly(
                    ":app.limit v1=1", ":app.limit v2=2", ":app.name v1=\"x\"", ":app.limit v2 deleted",
                    ":app.limit v3=3");
            ConfigEvent raised = seen.events().get(1);
            assertThat(raised.change().reason()).isEqualTo("raise");
            assertThat(raised.change().kind()).isEqualTo(ConfigChange.Kind.UPDATE);
            assertThat(raised.change().changedAt()).isNotNull();
            assertThat(seen.events()).extracting(ConfigEvent::position).isSorted().doesNotHaveDuplicates();
            assertThat(sub.position()).isEqualTo(seen.events().get(4).position());
            assertThat(sub.isOpen()).isTrue();
        }
    }

    @Test
    void watchFromAPositionReplaysTheHistoryThenGoesOnLiveWithoutDuplicates() {
        ConfigStore store = newStore();
        store.put("app.a", 1);
        store.put("app.a", 2);
        store.put("app.b", 1);
        Recorder all = new Recorder();
        try (ConfigSubscription sub = store.watch("app.", 0, all)) {
            all.awaitChange("app.b", 1, false);
            store.put("app.a", 3);
            all.awaitChange("app.a", 3, false);
            assertThat(all.events()).extracting(ConfigStoreContract::describeEvent)
                    .containsExactly(":app.a v1=1", ":app.a v2=2", ":app.b v1=1", ":app.a v3=3");
            long afterFirst = all.events().get(0).position();
            Recorder rest = new Recorder();
            try (ConfigSubscription resumed = store.watch("app.", afterFirst, rest)) {
                store.put("app.b", 2);
                rest.awaitChange("app.b", 2, false);
                assertThat(rest.events()).extracting(ConfigStoreContract::describeEvent)
                        .containsExactly(":app.a v2=2", ":app.b v1=1", ":app.a v3=3", ":app.b v2=2");
                assertThat(resumed.position()).isEqualTo(rest.events().get(3).position());
            }
            all.awaitChange("app.b", 2, false);
            assertThat(sub.position()).isEqualTo(all.events().get(4).position());
        }
    }

    @Test
    void watchWhileWritersRunMissesNothingAndRepeatsNothing() throws Exception {
        ConfigStore store = newStore();
        ExecutorService writers = Executors.newFixedThreadPool(2);
        try {
            Future<?> a = writers.submit(() -> IntStream.rangeClosed(1, 50).forEach(i -> store.put("w.a", i)));
            Future<?> b = writers.submit(() -> IntStream.rangeClosed(1, 50).forEach(i -> store.put("w.b", i)));
            Recorder seen = new Recorder();
            try (ConfigSubscription sub = store.watch("w.", 0, seen)) {
                a.get(1, TimeUnit.MINUTES);
                b.get(1, TimeUnit.MINUTES);
                seen.awaitChange("w.a", 50, false);
                seen.awaitChange("w.b", 50, false);
                for (String key : List.of("w.a", "w.b")) {
                    assertThat(seen.events().stream().filter(e -> e.key().equals(key)).map(ConfigEvent::version))
                            .as("versions of %s", key).containsExactlyElementsOf(
                                    LongStream.rangeClosed(1, 50).boxed().collect(Collectors.toList()));
                }
                assertThat(sub.isOpen()).isTrue();
            }
        } finally {
            writers.shutdownNow();
        }
    }

    @Test
    void aViewWatchesItsOwnScopeAndItsParentsOnly() {
        ConfigStore store = newStore();
        ConfigStore ingest = store.inScope("prod/ingest");
        Recorder seen = new Recorder();
        try (ConfigSubscription sub = ingest.watch("", seen)) {
            store.inScope("dev").put("k", 1);
            store.inScope("prod/ingest/deeper").put("k", 1);
            store.put("k", 2);
            store.inScope("prod").put("k", 3);
            ingest.put("k", 4);
            seen.awaitChange("k", 1, false);
            seen.await("three changes", r -> r.events().size() >= 3);
            assertThat(seen.events()).extracting(ConfigStoreContract::describeEvent)
                    .containsExactly(":k v1=2", "prod:k v1=3", "prod/ingest:k v1=4");
            assertThat(sub.position()).isEqualTo(seen.events().get(2).position());
        }
    }

    @Test
    void aListenerThatThrowsKeepsItsSubscription() {
        ConfigStore store = newStore();
        Recorder seen = new Recorder();
        ConfigListener throwing = event -> {
            seen.onChange(event);
            throw new IllegalStateException("listener bug (thrown on purpose by the test)");
        };
        try (ConfigSubscription sub = store.watch("k", throwing)) {
            store.put("k", 1);
            store.put("k", 2);
            seen.awaitChange("k", 2, false);
            assertThat(sub.isOpen()).isTrue();
        }
    }

    @Test
    void aClosedSubscriptionReceivesNothingMore() {
        ConfigStore store = newStore();
        Recorder closed = new Recorder();
        Recorder open = new Recorder();
        ConfigSubscription sub = store.watch("k", closed);
        try (ConfigSubscription other = store.watch("k", open)) {
            store.put("k", 1);
            closed.awaitChange("k", 1, false);
            sub.close();
            sub.close();
            assertThat(sub.isOpen()).isFalse();
            store.put("k", 2);
            open.awaitChange("k", 2, false);
            assertThat(closed.events()).extracting(ConfigEvent::version).containsExactly(1L);
            assertThat(other.isOpen()).isTrue();
        }
    }

    @Test
    void aListenerMayCloseItsOwnSubscription() {
        ConfigStore store = newStore();
        Recorder seen = new Recorder();
        Recorder marker = new Recorder();
        ConfigSubscription[] self = new ConfigSubscription[1];
        self[0] = store.watch("k", 0, event -> {
            seen.onChange(event);
            self[0].close();
        });
        try (ConfigSubscription other = store.watch("k", marker)) {
            store.put("k", 1);
            store.put("k", 2);
            marker.awaitChange("k", 2, false);
            seen.awaitChange("k", 1, false);
            assertThat(seen.events()).hasSize(1);
            assertThat(self[0].isOpen()).isFalse();
            assertThat(other.isOpen()).isTrue();
        }
    }

    @Test
    void watchRefusesABadPrefixOrPosition() {
        ConfigStore store = newStore();
        assertThatThrownBy(() -> store.watch("bad key", new Recorder()))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("bad key");
        assertThatThrownBy(() -> store.watch("", -1, new Recorder()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> store.watch("", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("listener");
    }

    @Test
    void aSnapshotPinsItsKeysAndRefusesWrites() {
        ConfigStore store = newStore();
        store.put("run.a", 1);
        store.inScope("prod").put("run.b", 2);
        store.put("run.b", 20);
        store.put("other", 3);
        ConfigStore pinned = store.inScope("prod").snapshot("run.");
        store.put("run.a", 100);
        store.inScope("prod").delete("run.b");
        store.put("run.c", 5);

        assertThat(pinned.get("run.a", Integer.class)).contains(1);
        assertThat(pinned.entry("run.b").orElseThrow().scope()).isEqualTo("prod");
        assertThat(pinned.get("run.b", Integer.class)).contains(2);
        assertThat(pinned.get("run.c")).isEmpty();
        assertThat(pinned.list("run.")).extracting(ConfigEntry::key).containsExactly("run.a", "run.b");
        assertThat(pinned.scope()).isEqualTo("prod");
        assertThatThrownBy(() -> pinned.put("run.a", 2)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("run.a").hasMessageContaining("read-only");
        assertThatThrownBy(() -> pinned.delete("run.a")).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("run.a");
        assertThatThrownBy(() -> pinned.get("other")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("other").hasMessageContaining("run.");
        assertThatThrownBy(() -> pinned.watch("run.", new Recorder()))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(store.get("run.a", Integer.class)).contains(100);
    }

    /** A clock that stands still until a test moves it. */
    static final class TestClock extends Clock {
        private final AtomicReference<Instant> now;

        TestClock(Instant start) {
            this.now = new AtomicReference<>(start);
        }

        void advance(Duration by) {
            now.updateAndGet(t -> t.plus(by));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("a TestClock is always UTC");
        }
    }
}
