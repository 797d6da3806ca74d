package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.TypeFactory;
import io.pgdock.config.secret.SecretCodec;
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
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
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
 *       {@link ConfigPolicy#snapshot(String)}: the watch tests wait for deliveries (with a deadline of a minute, never a
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
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("\"ingest.limits\" is at version 2, but version 0 (absent) was expected")
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isEqualTo(2));
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
    // Secrets

    /** A key provider whose keys a test changes while the store runs, as a user's key service would. */
    protected static final class TestKeys implements KeyProvider {
        private final Map<String, javax.crypto.SecretKey> keys = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile String current;

        TestKeys(String... ids) {
            for (String id : ids) {
                add(id);
            }
            current = ids[0];
        }

        TestKeys add(String id) {
            byte[] bytes = new byte[32];
            new java.security.SecureRandom().nextBytes(bytes);
            keys.put(id, new javax.crypto.spec.SecretKeySpec(bytes, "AES"));
            return this;
        }

        @Override
        public String currentKeyId() {
            return current;
        }

        @Override
        public Optional<javax.crypto.SecretKey> key(String keyId) {
            return Optional.ofNullable(keys.get(keyId));
        }
    }

    /** For typed reads of values with secret fields. */
    record Db(String url, String password) {
    }

    /** The same, keeping the password wrapped. */
    record SealedDb(String url, Secret password) {
    }

    private ConfigStore newStore(KeyProvider keys) {
        return newStore(ConfigOptions.builder().keys(keys).build());
    }

    private static JsonNode stored(ConfigStore store, String key) {
        return store.history(key).get(0).newValue();
    }

    @Test
    void aWholeValueStoredAsASecretReadsBackPlainAndIsStoredEncrypted() {
        ConfigStore store = newStore(new TestKeys("k1"));

        ConfigEntry written = store.putSecret("smtp.password", "hunter2-secret");

        assertThat(written.value().textValue()).as("putSecret returns the plain value").isEqualTo("hunter2-secret");
        assertThat(store.entry("smtp.password")).contains(written);
        assertThat(store.get("smtp.password", String.class)).contains("hunter2-secret");
        assertThat(store.list("smtp.")).containsExactly(written);
        JsonNode stored = stored(store, "smtp.password");
        assertThat(Secret.isEncrypted(stored)).as("stored form %s", stored).isTrue();
        JsonNode body = stored.get("$pgdock_secret");
        assertThat(body.get("v").intValue()).isEqualTo(1);
        assertThat(body.get("kid").textValue()).isEqualTo("k1");
        assertThat(body.get("alg").textValue()).isEqualTo("A256GCM");
        assertThat(java.util.Base64.getDecoder().decode(body.get("dek").textValue())).hasSize(40);
        assertThat(java.util.Base64.getDecoder().decode(body.get("iv").textValue())).hasSize(12);
        assertThat(stored.toString()).doesNotContain("hunter2");
        store.putSecret("smtp.password", "hunter2-secret");
        assertThat(stored(store, "smtp.password").get("$pgdock_secret").get("ct"))
                .as("a fresh data key and nonce per write").isNotEqualTo(body.get("ct"));
    }

    @Test
    void secretFieldsInMapsRecordsAndTreesAreEncryptedAloneAndBindWhenRead() {
        ConfigStore store = newStore(new TestKeys("k1"));
        store.put("db.map", Map.of("url", "jdbc:postgresql://db/app", "password", Secret.of("hunter2-secret")));
        store.put("db.record", new SealedDb("jdbc:postgresql://db/app", Secret.of("hunter2-secret")));
        ObjectNode tree = NODES.objectNode().put("url", "jdbc:postgresql://db/app");
        tree.putPOJO("password", Secret.of("hunter2-secret"));
        String before = tree.toString();
        store.put("db.tree", tree);
        assertThat(tree.toString()).as("the caller's tree is left alone").isEqualTo(before);

        for (String key : List.of("db.map", "db.record", "db.tree")) {
            assertThat(store.get(key, Db.class)).as(key).contains(new Db("jdbc:postgresql://db/app", "hunter2-secret"));
            assertThat(store.get(key, SealedDb.class).orElseThrow().password().revealText()).isEqualTo("hunter2-secret");
            JsonNode stored = stored(store, key);
            assertThat(stored.get("url").textValue()).as(key + ": other fields stay plain").isEqualTo("jdbc:postgresql://db/app");
            assertThat(Secret.isEncrypted(stored.get("password"))).as(key + ": %s", stored).isTrue();
            assertThat(stored.toString()).doesNotContain("hunter2");
        }
    }

    /** A value whose serialization also writes a secret with a mapper of its own, as a careless getter might. */
    public static final class WritesASecretElsewhere {
        private final List<String> elsewhere;

        WritesASecretElsewhere(List<String> elsewhere) {
            this.elsewhere = elsewhere;
        }

        public String getUrl() throws JsonProcessingException {
            elsewhere.add(new ObjectMapper().writeValueAsString(Secret.of("not-for-this-write")));
            return "jdbc:postgresql://db/app";
        }

        public Secret getPassword() {
            return Secret.of("hunter2-secret");
        }
    }

    @Test
    void onlyTheStoresOwnMappingOfAWriteSealsItsSecretsNotAnotherMappingOnTheSameThread() {
        ConfigStore store = newStore(new TestKeys("k1"));
        List<String> elsewhere = new ArrayList<>();

        store.put("db.bean", new WritesASecretElsewhere(elsewhere));

        assertThat(elsewhere).as("the other mapper's output, written during the store's mapping").containsExactly(
                "\"***\"");
        assertThat(store.get("db.bean", Db.class)).contains(new Db("jdbc:postgresql://db/app", "hunter2-secret"));
        assertThat(Secret.isEncrypted(stored(store, "db.bean").get("password"))).isTrue();
    }

    @Test
    void aSecretInAPatchIsSealedAndReplacesTheOldOne() {
        ConfigStore store = newStore(ConfigOptions.builder().keys(new TestKeys("k1"))
                .schema("db", "{\"properties\": {\"password\": {\"type\": \"string\", \"minLength\": 8}}}").build());
        store.put("db", Map.of("url", "db://a", "password", Secret.of("old-password")));

        ConfigEntry patched = store.parts().patch("db", Map.of("password", Secret.of("new-password")));

        assertThat(patched.value().get("password").textValue()).as("returned plain, as put returns").isEqualTo(
                "new-password");
        assertThat(store.get("db", Db.class).orElseThrow().password()).isEqualTo("new-password");
        assertThat(Secret.isEncrypted(stored(store, "db").get("password"))).isTrue();
        assertThat(stored(store, "db").toString()).doesNotContain("new-password").doesNotContain("***");
        // A patch of another member: the schema sees the secret's plain value, not its envelope.
        assertThat(store.parts().patch("db", Map.of("url", "db://b")).value().get("url").textValue()).isEqualTo("db://b");
        assertThatThrownBy(() -> store.parts().patch("db", Map.of("password", Secret.of("short"))))
                .isInstanceOf(InvalidConfigException.class)
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("short"));
        assertThat(store.get("db", Db.class).orElseThrow().password()).isEqualTo("new-password");
    }

    @Test
    void anyJsonValueCanBeASecretAndTheSchemaSeesItPlain() {
        ConfigStore store = newStore(ConfigOptions.builder().keys(new TestKeys("k1"))
                .schema("db.", "{\"properties\": {\"password\": {\"type\": \"string\", \"minLength\": 8}}}").build());
        store.put("db.a", Map.of("password", Secret.of("long-enough")));
        assertThatThrownBy(() -> store.put("db.b", Map.of("password", Secret.of("short"))))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("db.b")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("short"));
        assertThat(store.get("db.b")).isEmpty();
        store.putSecret("n.object", Map.of("a", List.of(1, new BigDecimal("2.50"), true), "b", "x"));
        store.putSecret("n.null", null);
        assertThat(store.get("n.object").orElseThrow().toString()).isEqualTo("{\"a\":[1,2.50,true],\"b\":\"x\"}");
        assertThat(store.get("n.null").orElseThrow().isNull()).isTrue();
        assertThat(Secret.isEncrypted(stored(store, "n.null"))).isTrue();
    }

    @Test
    void aSecretCannotBeWrittenWithoutAKeyProvider() {
        ConfigStore store = newStore();
        assertThatThrownBy(() -> store.putSecret("smtp.password", "hunter2-secret"))
                .isInstanceOfSatisfying(ConfigSecretException.class, e -> {
                    assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER);
                    assertThat(e.key()).isEqualTo("smtp.password");
                })
                .hasMessageContaining("smtp.password").hasMessageContaining("KeyProvider")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("hunter2"));
        assertThat(store.get("smtp.password")).as("nothing written").isEmpty();
        assertThatThrownBy(() -> store.policy().reencrypt("smtp."))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER))
                .hasMessageStartingWith("reencrypt(\"smtp.\") in scope \"\": the store has no KeyProvider");
    }

    @Test
    void readingASecretWithoutTheKeyFailsNamingTheKeyAndKeyId() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore keyed = newStore(keys);
        keyed.put("db", Map.of("url", "u", "password", Secret.of("hunter2-secret")));
        String stored = stored(keyed, "db").toString();

        // The same ciphertext in a store with no key provider: kept as it is, not readable.
        ConfigStore keyless = newStore();
        keyless.putJson("db", stored);
        assertThatThrownBy(() -> keyless.get("db"))
                .isInstanceOfSatisfying(ConfigSecretException.class, e -> {
                    assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER);
                    assertThat(e.keyId()).isEqualTo("k1");
                })
                .hasMessageContaining("config key \"db\"").hasMessageContaining("\"/password\"")
                .hasMessageContaining("\"k1\"");
        assertThatThrownBy(() -> keyless.get("db", Db.class))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER))
                .hasMessageContaining("config key \"db\"").hasMessageContaining("no KeyProvider");
        assertThatThrownBy(() -> keyless.list(""))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER))
                .hasMessageContaining("config key \"db\"").hasMessageContaining("no KeyProvider");
        assertThat(keyless.policy().explain("db").entry().orElseThrow().value().get("password").textValue())
                .as("explain needs no key and shows the secret redacted").isEqualTo("***");
        assertThat(keyless.history("db")).hasSize(1);

        // The key id gone from the provider.
        keys.keys.clear();
        keys.add("k2").current = "k2";
        assertThatThrownBy(() -> keyed.get("db"))
                .isInstanceOfSatisfying(ConfigSecretException.class, e -> {
                    assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.UNKNOWN_KEY_ID);
                    assertThat(e.keyId()).isEqualTo("k1");
                    assertThat(e.key()).isEqualTo("db");
                })
                .hasMessageContaining("config key \"db\"").hasMessageContaining("key id \"k1\"")
                .hasMessageContaining("does not have");

        // Other key material under the same id.
        keys.add("k1");
        assertThatThrownBy(() -> keyed.get("db"))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.WRONG_KEY))
                .hasMessageContaining("config key \"db\"").hasMessageContaining("key id \"k1\"");
    }

    @Test
    void alteredOrCopiedCiphertextFailsAuthentication() {
        ConfigStore store = newStore(new TestKeys("k1"));
        store.putSecret("db.password", "hunter2-secret");
        ObjectNode stored = (ObjectNode) stored(store, "db.password");

        ObjectNode altered = stored.deepCopy();
        ObjectNode body = (ObjectNode) altered.get("$pgdock_secret");
        byte[] ct = java.util.Base64.getDecoder().decode(body.get("ct").textValue());
        ct[0] ^= 1;
        body.put("ct", java.util.Base64.getEncoder().encodeToString(ct));
        assertThatThrownBy(() -> store.putJson("db.password", altered.toString()))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.TAMPERED))
                .hasMessageContaining("db.password").hasMessageContaining("fails authentication");

        assertThatThrownBy(() -> store.putJson("db.other", stored.toString()))
                .as("copied to another key").isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.TAMPERED));
        assertThatThrownBy(() -> store.inScope("prod").putJson("db.password", stored.toString()))
                .as("copied to another scope").isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.TAMPERED))
                .hasMessageContaining("in scope \"prod\"");
        ObjectNode relabelled = stored.deepCopy();
        ((ObjectNode) relabelled.get("$pgdock_secret")).put("kid", "k2");
        assertThat(store.get("db.password", String.class)).contains("hunter2-secret");

        ConfigStore twoKeys = newStore(new TestKeys("k1", "k2"));
        assertThatThrownBy(() -> twoKeys.putJson("db.password", relabelled.toString()))
                .as("relabelled with another key id").isInstanceOf(ConfigSecretException.class)
                .hasMessageContaining("\"k2\"");
        ObjectNode broken = stored.deepCopy();
        ((ObjectNode) broken.get("$pgdock_secret")).put("iv", "not base64!");
        assertThatThrownBy(() -> store.putJson("db.password", broken.toString()))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.MALFORMED))
                .hasMessageContaining("\"iv\"");
        assertThat(store.entry("db.password").orElseThrow().version()).as("nothing written").isEqualTo(1);
    }

    @Test
    void reencryptMovesSecretsToTheCurrentKeyThroughTheWritePath() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore store = newStore(keys);
        store.putSecret("app.token", "hunter2-token");
        store.put("app.db", Map.of("url", "u", "password", Secret.of("hunter2-db")));
        store.put("app.plain", 5);
        store.put("other.token", Secret.of("hunter2-other"));
        store.inScope("prod").putSecret("app.token", "hunter2-prod");

        keys.add("k2").current = "k2";
        store.putSecret("app.new", "hunter2-new");
        assertThat(store.inScope("prod/x").policy().reencrypt("").total()).as("a scope below prod holds nothing").isZero();
        assertThat(store.policy().reencrypt("app.").values()).as("rewritten under k2, in the root scope and in prod")
                .isEqualTo(3);

        assertThat(stored(store, "app.token").get("$pgdock_secret").get("kid").textValue()).isEqualTo("k2");
        assertThat(stored(store, "app.db").get("password").get("$pgdock_secret").get("kid").textValue()).isEqualTo("k2");
        ConfigChange change = store.history("app.token").get(0);
        assertThat(change.version()).isEqualTo(2);
        assertThat(change.reason()).isEqualTo("re-encrypt secrets under key id k2");
        assertThat(store.entry("app.plain").orElseThrow().version()).as("plain values untouched").isEqualTo(1);
        assertThat(store.entry("app.new").orElseThrow().version()).as("already under k2").isEqualTo(1);
        assertThat(stored(store, "other.token").get("$pgdock_secret").get("kid").textValue()).as("outside the prefix")
                .isEqualTo("k1");
        assertThat(store.policy().reencrypt("app.").total()).as("nothing left to do").isZero();
        store.inScope("prod").put("other.token", Secret.of("hunter2-prod-other"));
        store.inScope("prodx").put("other.token", Secret.of("hunter2-prodx-other"));
        keys.current = "k1";
        store.inScope("prod").put("other.old", Secret.of("hunter2-prod-old"));
        store.inScope("prodx").put("other.old", Secret.of("hunter2-prodx-old"));
        keys.current = "k2";
        assertThat(store.inScope("prod").policy().reencrypt("").values()).as("prod's own values, not prodx's")
                .isEqualTo(1);
        assertThat(stored(store.inScope("prodx"), "other.old").at("/$pgdock_secret/kid").textValue()).isEqualTo("k1");
        assertThat(keyIds(store.inScope("prodx").history("other.old"))).as("prodx's history is not below prod")
                .containsOnly("k1");
        assertThat(keyIds(store.inScope("prod").history("other.old"))).as("prod's history: v1, and v2's old and new")
                .containsExactly("k2", "k2", "k2");
        assertThat(store.policy().reencrypt("").values()).as("the root's rest, and prodx").isEqualTo(2);

        keys.keys.remove("k1");
        assertThat(store.get("app.token", String.class)).contains("hunter2-token");
        assertThat(store.get("app.db", Db.class)).contains(new Db("u", "hunter2-db"));
        assertThat(store.inScope("prod").get("app.token", String.class)).contains("hunter2-prod");
        assertThat(store.get("other.token", String.class)).contains("hunter2-other");
        assertThat(store.rollback("app.token", 1).version()).as("history was re-encrypted too").isEqualTo(3);
        assertThat(store.get("app.token", String.class)).contains("hunter2-token");
    }

    @Test
    void keyRetirementCoversHistorySoEveryVersionReadsAndRollsBackUnderTheNewKeyAlone() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore store = newStore(keys);
        store.as("alice").because("first").putSecret("svc.token", "hunter2-v1");
        store.as("bob").put("svc.token", Map.of("user", "u", "password", Secret.of("hunter2-v2"), "n", List.of(1, 2)));
        store.put("svc.token", 7);
        store.putSecret("svc.gone", "hunter2-gone");
        store.delete("svc.gone");
        store.inScope("prod").putSecret("svc.token", "hunter2-prod");
        store.put("other.token", Secret.of("hunter2-other"));
        List<ConfigChange> before = store.history("svc.token");
        List<ConfigChange> goneBefore = store.history("svc.gone");

        keys.add("k2").current = "k2";
        ReencryptResult result = store.policy().reencrypt("svc.");

        assertThat(result.values()).as("prod's svc.token; the root's is plain now, svc.gone is deleted").isEqualTo(1);
        assertThat(result.historyRows()).as("svc.token v1-v3, svc.gone's CREATE and DELETE, prod's v1 and v2")
                .isEqualTo(7);
        assertThat(store.policy().reencrypt("svc.")).as("restartable: nothing left").isEqualTo(new ReencryptResult(0, 0));
        assertThat(audited(store.history("svc.token"))).as("version, kind, actor, reason, time and the values outside"
                + " their secrets are unchanged").isEqualTo(audited(before));
        assertThat(audited(store.history("svc.gone"))).isEqualTo(audited(goneBefore));
        assertThat(keyIds(store.history("svc.token"))).containsOnly("k2").hasSize(4);
        assertThat(keyIds(store.history("svc.gone"))).containsOnly("k2").hasSize(2);
        assertThat(keyIds(store.inScope("prod").history("svc.token"))).containsOnly("k2").hasSize(3);
        assertThat(keyIds(store.history("other.token"))).as("outside the prefix").containsOnly("k1");

        keys.keys.remove("k1");
        store.rollback("svc.token", 1);
        assertThat(store.get("svc.token", String.class)).contains("hunter2-v1");
        store.rollback("svc.token", 2);
        assertThat(store.get("svc.token").orElseThrow().get("password").textValue()).isEqualTo("hunter2-v2");
        store.rollback("svc.gone", 1);
        assertThat(store.get("svc.gone", String.class)).as("a deleted key's history too").contains("hunter2-gone");
        store.inScope("prod").rollback("svc.token", 1);
        assertThat(store.inScope("prod").get("svc.token", String.class)).contains("hunter2-prod");
    }

    @Test
    void reencryptNamesTheHistoryRowWhoseKeyIsMissingAndRunsAgainOnceItIsThere() {
        TestKeys keys = new TestKeys("k0");
        ConfigStore store = newStore(keys);
        store.putSecret("svc.token", "hunter2-v1");
        keys.add("k1").current = "k1";
        store.putSecret("svc.token", "hunter2-v2");
        javax.crypto.SecretKey k0 = keys.keys.remove("k0");
        keys.add("k2").current = "k2";

        assertThatThrownBy(() -> store.policy().reencrypt(""))
                .isInstanceOfSatisfying(ConfigSecretException.class, e -> {
                    assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.UNKNOWN_KEY_ID);
                    assertThat(e.keyId()).isEqualTo("k0");
                })
                .hasMessageContaining("svc.token").hasMessageContaining("new_value of version 1")
                .hasMessageContaining("\"k0\"");
        assertThat(store.history("svc.token").get(0).version()).as("the current value was rewritten first")
                .isEqualTo(3);

        keys.keys.put("k0", k0);
        assertThat(store.policy().reencrypt("").historyRows()).as("v1 new, v2 old/new, v3 old").isEqualTo(3);
        assertThat(keyIds(store.history("svc.token"))).containsOnly("k2");
    }

    /** The history with every secret redacted: what an audit of it shows, which re-encryption must not change. */
    private static List<List<Object>> audited(List<ConfigChange> history) {
        List<List<Object>> out = new java.util.ArrayList<>();
        for (ConfigChange c : history) {
            out.add(java.util.Arrays.asList(c.version(), c.kind(), c.actor(), c.reason(), c.changedAt(),
                    c.oldValue() == null ? null : SecretCodec.redact(c.oldValue()),
                    c.newValue() == null ? null : SecretCodec.redact(c.newValue())));
        }
        return out;
    }

    /** The key id of every secret in a history's old and new values. */
    private static List<String> keyIds(List<ConfigChange> history) {
        List<String> ids = new java.util.ArrayList<>();
        for (ConfigChange c : history) {
            for (JsonNode v : java.util.Arrays.asList(c.oldValue(), c.newValue())) {
                if (v != null) {
                    v.findValues("$pgdock_secret").forEach(body -> ids.add(body.get("kid").textValue()));
                }
            }
        }
        return ids;
    }

    @Test
    void reencryptReadsAgainAValueWrittenWhileItWorks() {
        TestKeys keys = new TestKeys("k1");
        AtomicReference<Runnable> onLookup = new AtomicReference<>();
        KeyProvider hooked = new KeyProvider() {
            @Override
            public String currentKeyId() {
                return keys.currentKeyId();
            }

            @Override
            public Optional<javax.crypto.SecretKey> key(String keyId) {
                Runnable hook = onLookup.getAndSet(null);
                if (hook != null) {
                    hook.run();   // another writer lands between reencrypt's read and its write
                }
                return keys.key(keyId);
            }
        };
        ConfigStore store = newStore(hooked);
        store.putSecret("app.token", "hunter2-v1");
        keys.add("k2").current = "k2";
        ConfigStore other = store.as("other-writer");
        onLookup.set(() -> {   // the other writer still encrypts under k1
            keys.current = "k1";
            other.putSecret("app.token", "hunter2-v2");
            keys.current = "k2";
        });

        assertThat(store.policy().reencrypt("")).as("the value once; then its three history rows, v1 to v3, which the"
                + " other writer's and reencrypt's writes left under k1").isEqualTo(new ReencryptResult(1, 3));

        List<ConfigChange> history = store.history("app.token");
        assertThat(history).extracting(ConfigChange::version).containsExactly(3L, 2L, 1L);
        assertThat(history.get(1).actor()).isEqualTo("other-writer");
        assertThat(history.get(0).newValue().at("/$pgdock_secret/kid").textValue()).isEqualTo("k2");
        assertThat(store.get("app.token", String.class)).as("the other writer's value, re-encrypted").contains("hunter2-v2");
    }

    @Test
    void secretsNeverShowInToStringsExplanationsOrErrors() {
        ConfigStore store = newStore(new TestKeys("k1"));
        ConfigEntry e = store.put("db", new SealedDb("jdbc:postgresql://db/app", Secret.of("hunter2-secret")));
        String ct = stored(store, "db").get("password").get("$pgdock_secret").get("ct").textValue();
        List<String> printed = new ArrayList<>();
        printed.add(e.toString());
        printed.add(store.entry("db").orElseThrow().toString());
        printed.add(store.history("db").get(0).toString());
        printed.add(store.policy().explain("db").toString());
        printed.add(store.policy().explain("db").entry().orElseThrow().value().toString());
        printed.add(store.toString());
        printed.add(Secret.of("hunter2-secret").toString());
        printed.add(new SealedDb("u", Secret.of("hunter2-secret")).toString());
        printed.add(catchThrowable(() -> store.get("db", Limits.class)).getMessage());
        printed.add(catchThrowable(() -> store.get("db", Integer.class)).getMessage());
        try {
            printed.add(new ObjectMapper().writeValueAsString(new SealedDb("u", Secret.of("hunter2-secret"))));
        } catch (JsonProcessingException ex) {
            throw new UncheckedIOException(ex);
        }
        assertThat(printed).allSatisfy(p -> assertThat(p).doesNotContain("hunter2").doesNotContain(ct));
        assertThat(store.policy().explain("db").entry().orElseThrow().value().get("password").textValue()).isEqualTo("***");
        assertThat(printed.get(printed.size() - 1)).contains("\"password\":\"***\"");
        assertThat(Secret.redact(stored(store, "db")).toString()).isEqualTo("{\"url\":\"jdbc:postgresql://db/app\","
                + "\"password\":\"***\"}");
    }

    @Test
    void aSecretCannotHoldAnotherSecret() {
        assertThatThrownBy(() -> Secret.of(Map.of("inner", Secret.of("x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another Secret");
        assertThat(Secret.of(Secret.of("x")).revealText()).isEqualTo("x");
        assertThatThrownBy(() -> Secret.of(5).revealText()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("NUMBER");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Tamper evidence: verifyHistory on untouched stores (tampering itself is tried in the reliability module)

    @Test
    void verifyHistoryOfAnUntouchedStoreIsIntactWhateverItsValuesHold() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore store = newStore(keys);
        store.as("alice").because("first \"quoted\" \u00e9\t\u0001 reason").put("a.text",
                "tab\t nl\n quote\" back\\ ctrl\u0001\u001f del\u007f \u00e9 \ud83d\ude00");
        store.put("a.numbers", Map.of("decimal", new BigDecimal("1.50"), "exp", new BigDecimal("1e2"),
                "big", new BigInteger("123456789012345678901234567890"), "neg", -0.25, "small", new BigDecimal("1e-7")));
        store.put("a.order", Map.of("bb", 1, "a", 2, "\u00e9", 3, "ab", List.of(true, false, Map.of())));
        store.put("a.secret", Map.of("user", "u", "password", Secret.of("hunter2-a"),
                "nested", List.of(1, Map.of("token", Secret.of("hunter2-b"))), "$pgdock_secret", "not an envelope"));
        store.putSecret("a.secret", "hunter2-whole");
        store.parts().patch("a.secret2", Map.of("p", Secret.of("hunter2-c"), "q", 1));
        store.parts().patch("a.secret2", Map.of("q", 2));
        store.put("a.gone", 1);
        store.delete("a.gone");
        store.put("a.gone", 2);
        store.put("b.gone", "x");
        store.delete("b.gone");
        store.inScope("prod").put("a.text", "prod");
        store.inScope("prod/x").put("a.text", "prod/x");
        store.inScope("prodx").put("a.text", "prodx");

        HistoryVerification all = store.policy().verifyHistory("");
        assertThat(all.intact()).as("untouched: %s", all.breaks()).isTrue();
        assertThat(all.firstBreak()).isEmpty();
        assertThat(all.keys()).as("7 keys of the root scope and one in each of 3 other scopes").isEqualTo(10);
        assertThat(all.rows()).as("1+1+1+2+2+3+2 in the root, 1 each elsewhere").isEqualTo(15);
        HistoryVerification prod = store.inScope("prod").policy().verifyHistory("a.");
        assertThat(prod.keys()).as("prod and prod/x, not prodx").isEqualTo(2);
        assertThat(prod.intact()).isTrue();
        assertThat(store.policy().verifyHistory("a.secret").rows()).as("a.secret and a.secret2").isEqualTo(4);
        assertThat(store.policy().verifyHistory("zz.").keys()).isZero();
        assertThatThrownBy(() -> store.policy().verifyHistory("bad prefix"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad prefix");
    }

    @Test
    void retentionAndReencryptKeepTheChainVerifiable() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore store = newStore(ConfigOptions.builder().keys(keys).retention(HistoryRetention.latest(2)).build());
        for (int i = 1; i <= 5; i++) {
            store.put("r.key", Map.of("n", i, "password", Secret.of("hunter2-" + i)));
        }
        store.delete("r.key");
        store.put("r.key", Map.of("n", 7));
        assertThat(store.history("r.key")).as("retention kept two rows").hasSize(2);
        HistoryVerification trimmed = store.policy().verifyHistory("r.");
        assertThat(trimmed.intact()).as("the chain continues from where retention stopped: %s", trimmed.breaks())
                .isTrue();
        assertThat(trimmed.rows()).isEqualTo(2);

        ConfigStore kept = newStore(ConfigOptions.builder().keys(keys).build());
        kept.put("s.key", Map.of("password", Secret.of("hunter2-s1")));
        kept.put("s.key", Map.of("password", Secret.of("hunter2-s2"), "v", 2));
        keys.add("k2").current = "k2";
        assertThat(kept.policy().reencrypt("s.").historyRows()).as("history re-encrypted in place").isPositive();
        HistoryVerification rewrapped = kept.policy().verifyHistory("");
        assertThat(rewrapped.intact()).as("re-encryption changes secrets only, which the chain hashes as"
                + " placeholders: %s", rewrapped.breaks()).isTrue();
        assertThat(rewrapped.rows()).as("2 writes and reencrypt's own").isEqualTo(3);
    }

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

        ConfigExplanation explained = ingest.policy().explain("ingest.batch_size");
        assertThat(explained.key()).isEqualTo("ingest.batch_size");
        assertThat(explained.consulted()).containsExactly("prod/ingest", "prod", "");
        assertThat(explained.answeredBy()).contains("prod");
        assertThat(explained.entry().map(e -> e.value().intValue())).contains(5000);
        assertThat(explained.toString()).contains("ingest.batch_size").contains("prod");

        assertThat(ingest.policy().explain("ingest.mode").answeredBy()).contains("");
        ConfigExplanation missing = ingest.policy().explain("ingest.none");
        assertThat(missing.answeredBy()).isEmpty();
        assertThat(missing.entry()).isEmpty();
        assertThat(missing.consulted()).containsExactly("prod/ingest", "prod", "");
        assertThat(root.policy().explain("ingest.mode").consulted()).containsExactly("");
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
        assertThat(root.inScope("prod").policy().explain("ingest.batch_size").answeredBy()).contains("");
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
        methods.put("explain", store.policy()::explain);

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
        assertThatThrownBy(() -> store.putJson("v.new", "\"\\u0000\"")).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("config key \"v.new\"").hasMessageContaining("U+0000");
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
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("65 bytes");
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
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("config key \"ingest.new\"").hasMessageContaining("$.max");

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
    // Partial reads (JSON Pointer) and updates (JSON Merge Patch)

    @Test
    void aJsonPointerReadsOnePartOfAValue() {
        ConfigStore store = newStore();
        store.putJson("db.settings", "{\"pool\": {\"max\": 20, \"min\": 2}, \"hosts\": [\"a\", \"b\"], \"a/b\": 1,"
                + " \"m~n\": 2, \"\": 3, \"off\": null}");

        assertThat(store.parts().get("db.settings", "/pool/max")).contains(NODES.numberNode(20));
        assertThat(store.parts().get("db.settings", "/pool/max", Integer.class)).contains(20);
        assertThat(store.parts().get("db.settings", "/hosts", new TypeReference<List<String>>() { })).contains(List.of("a", "b"));
        assertThat(store.parts().get("db.settings", "/pool", TypeFactory.defaultInstance()
                .constructMapType(Map.class, String.class, Integer.class))).contains(Map.of("max", 20, "min", 2));
        assertThat(store.parts().get("db.settings", "/hosts/1")).as("an array index").contains(NODES.textNode("b"));
        assertThat(store.parts().get("db.settings", "/a~1b")).as("~1 is /").contains(NODES.numberNode(1));
        assertThat(store.parts().get("db.settings", "/m~0n")).as("~0 is ~").contains(NODES.numberNode(2));
        assertThat(store.parts().get("db.settings", "/")).as("the member named \"\"").contains(NODES.numberNode(3));
        assertThat(store.parts().get("db.settings", "")).as("the whole value").isEqualTo(store.get("db.settings"));
        assertThat(store.parts().get("db.settings", "/off")).as("JSON null is a value").contains(NODES.nullNode());
        assertThat(store.parts().get("db.settings", "/off", Integer.class)).as("typed reads of null are empty").isEmpty();
        for (String missing : List.of("/pool/nope", "/hosts/2", "/hosts/01", "/hosts/-", "/hosts/x", "/pool/max/x",
                "/off/x", "/nope/deeper")) {
            assertThat(store.parts().get("db.settings", missing)).as("pointer %s", missing).isEmpty();
            assertThat(store.parts().get("db.settings", missing, Integer.class)).as("typed, pointer %s", missing).isEmpty();
        }
        assertThat(store.parts().get("db.unset", "/pool/max")).as("a key that is not set").isEmpty();
        assertThat(store.inScope("prod").parts().get("db.settings", "/pool/min", Integer.class)).as("from the parent scope")
                .contains(2);
    }

    @Test
    void aMalformedPointerIsRefusedNamingKeyAndPointer() {
        ConfigStore store = newStore();
        store.put("db.settings", Map.of("pool", Map.of("max", 20)));

        assertThatThrownBy(() -> store.parts().get("db.settings", "pool/max"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"db.settings\"")
                .hasMessageContaining("\"pool/max\"")
                .hasMessageContaining("start with '/'");
        assertThatThrownBy(() -> store.parts().get("db.settings", "/pool~2", Integer.class))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"/pool~2\"")
                .hasMessageContaining("'~' at index 5");
        assertThatThrownBy(() -> store.parts().get("db.unset", "/a~"))
                .as("checked before the key is read")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"db.unset\"")
                .hasMessageContaining("\"/a~\"");
        assertThatThrownBy(() -> store.parts().get("db.settings", (String) null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("pointer");
        assertThatThrownBy(() -> store.parts().get("bad key", "/a")).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"bad key\"");
    }

    @Test
    void aPartThatDoesNotBindNamesTheWholePathButNotTheValue() {
        ConfigStore store = newStore();
        store.put("db.settings", Map.of("pool", Map.of("max", "very-secret-text")));

        ConfigBindingException e = catchThrowableOfType(ConfigBindingException.class,
                () -> store.parts().get("db.settings", "/pool", Limits.class));

        assertThat(e.path()).isEqualTo("/pool/max");
        assertThat(e).hasMessageContaining("\"db.settings\"").hasMessageNotContaining("very-secret-text");
    }

    /** RFC 7386, appendix A (all of it), then the example of section 3: original, patch, result. */
    static Stream<List<String>> mergePatchExamples() {
        return Stream.of(
                List.of("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"),
                List.of("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"),
                List.of("{\"a\":\"b\"}", "{\"a\":null}", "{}"),
                List.of("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"),
                List.of("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"),
                List.of("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"),
                List.of("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"),
                List.of("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"),
                List.of("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"),
                List.of("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"),
                List.of("{\"a\":\"foo\"}", "null", "null"),
                List.of("{\"a\":\"foo\"}", "\"bar\"", "\"bar\""),
                List.of("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"),
                List.of("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"),
                List.of("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"),
                List.of("{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
                                + "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}",
                        "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\",\"author\":{\"familyName\":null},"
                                + "\"tags\":[\"example\"]}",
                        "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
                                + "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mergePatchExamples")
    void mergePatchFollowsRfc7386(List<String> example) {
        ConfigStore store = newStore();
        store.putJson("doc", example.get(0));

        ConfigEntry patched = store.parts().patchJson("doc", example.get(1));

        assertThat(patched.value()).as("the patched entry").isEqualTo(parse(example.get(2)));
        assertThat(store.get("doc")).as("read back").contains(patched.value());
        assertThat(patched.version()).isEqualTo(2);
        ConfigChange change = store.history("doc").get(0);
        assertThat(change.kind()).isEqualTo(ConfigChange.Kind.UPDATE);
        assertThat(change.oldValue()).isEqualTo(parse(example.get(0)));
        assertThat(change.newValue()).isEqualTo(patched.value());
    }

    @Test
    void patchingAKeyThatIsNotSetPatchesNothing() {
        ConfigStore store = newStore();

        ConfigEntry created = store.parts().patch("db.settings", Map.of("pool", Map.of("max", 20), "off",
                NODES.nullNode()));
        ConfigEntry scalar = store.parts().patchJson("db.flag", "true");

        assertThat(json(created.value())).as("null members dropped").isEqualTo("{\"pool\":{\"max\":20}}");
        assertThat(created.version()).isEqualTo(1);
        assertThat(store.history("db.settings")).singleElement()
                .satisfies(c -> assertThat(c.kind()).isEqualTo(ConfigChange.Kind.CREATE));
        assertThat(scalar.value()).isEqualTo(NODES.booleanNode(true));
        assertThat(store.inScope("prod").parts().patch("db.settings", Map.of("pool", Map.of("min", 1))).value())
                .as("a patch in a scope patches that scope's own value, not the parent's")
                .isEqualTo(parse("{\"pool\":{\"min\":1}}"));
        assertUnchanged(store, "db.settings", 1, "{\"pool\":{\"max\":20}}");
    }

    @Test
    void patchComparesAndSets() {
        ConfigStore store = newStore();
        ConfigEntry first = store.put("db.settings", Map.of("a", 1));

        assertThatThrownBy(() -> store.parts().patch("db.settings", Map.of("b", 2), first.version() + 1))
                .isInstanceOf(ConfigConflictException.class)
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isEqualTo(1));
        assertThatThrownBy(() -> store.parts().patchJson("db.settings", "{\"b\":2}", 0))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("\"db.settings\" is at version 1, but version 0 (absent) was expected")
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isEqualTo(1));
        assertThatThrownBy(() -> store.parts().patch("db.other", Map.of("b", 2), 3))
                .isInstanceOf(ConfigConflictException.class)
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isZero());
        assertThatThrownBy(() -> store.parts().patch("db.settings", Map.of("b", 2), -2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expectedVersion").hasMessageContaining("but was -2");
        assertUnchanged(store, "db.settings", 1, "{\"a\":1}");
        assertThat(store.entry("db.other")).isEmpty();

        assertThat(store.parts().patch("db.settings", Map.of("b", 2), 1).value()).isEqualTo(parse("{\"a\":1,\"b\":2}"));
        assertThat(store.parts().patch("db.other", Map.of("c", 3), 0).version()).isEqualTo(1);
    }

    @Test
    void aPatchedValueOverTheSizeLimitIsRefusedAndNothingIsWritten() {
        ConfigStore store = newStore(ConfigOptions.builder().maxValueBytes(64).build());
        store.put("v.obj", Map.of("a", "x".repeat(40)));   // {"a":"xxx...x"}: 48 bytes

        assertThatThrownBy(() -> store.parts().patch("v.obj", Map.of("b", "y".repeat(10))))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"v.obj\"")
                .hasMessageContaining("patched value")
                .hasMessageContaining("65 bytes")
                .hasMessageContaining("64 bytes");
        assertThatThrownBy(() -> store.parts().patch("v.obj", Map.of("a", NODES.nullNode(), "z", "y".repeat(70))))
                .as("a patch larger than a value may be")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("merge patch is");
        assertUnchanged(store, "v.obj", 1, "{\"a\":\"" + "x".repeat(40) + "\"}");
        assertThat(store.history("v.obj")).as("no history row for a refused patch").hasSize(1);
        assertThat(store.parts().patch("v.obj", Map.of("b", "y".repeat(9))).version()).as("64 bytes fit").isEqualTo(2);
    }

    @Test
    void aPatchedValueMustMatchItsSchema() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .schema("ingest.", "{\"type\": \"object\", \"required\": [\"max\"],"
                        + " \"properties\": {\"max\": {\"type\": \"integer\", \"minimum\": 1}}}")
                .build());
        store.put("ingest.limits", Map.of("max", 5, "mode", "fast"));

        assertThatThrownBy(() -> store.parts().patch("ingest.limits", Map.of("max", 0)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"ingest.limits\"")
                .hasMessageContaining("\"ingest.\"");
        assertThatThrownBy(() -> store.parts().patchJson("ingest.limits", "{\"max\": null}"))
                .as("removing a required member")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("max");
        assertThatThrownBy(() -> store.parts().patch("ingest.new", Map.of("mode", "slow")))
                .as("a new key made by a patch")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("config key \"ingest.new\"")
                .hasMessageContaining("does not match the JSON Schema for prefix \"ingest.\"");
        assertUnchanged(store, "ingest.limits", 1, "{\"max\":5,\"mode\":\"fast\"}");
        assertThat(store.entry("ingest.new")).isEmpty();
        assertThat(store.history("ingest.new")).isEmpty();
        assertThat(store.parts().patch("ingest.limits", Map.of("max", 7)).value())
                .isEqualTo(parse("{\"max\":7,\"mode\":\"fast\"}"));
    }

    @Test
    void secretsAreReplacedAsAWholeNeverMergedInto() {
        ConfigStore store = newStore();
        String secret = "{\"$pgdock_secret\":{\"v\":1,\"kid\":\"k1\",\"alg\":\"A256GCM\",\"dek\":\"ZGVr\","
                + "\"iv\":\"aXY=\",\"ct\":\"Y3Q=\"}}";
        String other = secret.replace("k1", "k2");
        store.putJson("db.settings", "{\"password\":" + secret + ",\"user\":\"app\"}");

        assertThat(store.parts().patchJson("db.settings", "{\"password\":{\"plain\":\"x\"}}").value())
                .as("an object patched onto a secret starts from {}")
                .isEqualTo(parse("{\"password\":{\"plain\":\"x\"},\"user\":\"app\"}"));
        assertThat(store.parts().patchJson("db.settings", "{\"password\":" + other + "}").value())
                .as("a secret patched onto an object replaces it")
                .isEqualTo(parse("{\"password\":" + other + ",\"user\":\"app\"}"));
        assertThat(store.parts().patchJson("db.settings", "{\"password\":" + secret + "}").value().get("password"))
                .as("a secret patched onto a secret replaces it")
                .isEqualTo(parse(secret));
        store.putJson("db.password", secret);
        assertThat(store.parts().patchJson("db.password", "{\"a\":1}").value()).isEqualTo(parse("{\"a\":1}"));
        assertThat(store.parts().patchJson("db.password", other).value()).as("a whole secret as the patch")
                .isEqualTo(parse(other));
        assertThat(store.parts().patchJson("db.password", "{\"$pgdock_secret\":null,\"x\":1}").value())
                .as("an object with more than that member is a plain patch, applied to {}")
                .isEqualTo(parse("{\"x\":1}"));
    }

    @Test
    void twoWritersPatchingDifferentMembersBothWin() throws Exception {
        ConfigStore store = newStore();
        store.put("shared", Map.of());
        int perWriter = 150;

        runConcurrently(2, w -> () -> {
            String name = w == 0 ? "left" : "right";
            for (int i = 0; i < perWriter; i++) {
                store.as(name).parts().patch("shared", Map.of(name, Map.of("last", i, "n" + i, true)));
            }
            return null;
        });

        JsonNode value = store.get("shared").orElseThrow();
        for (String name : List.of("left", "right")) {
            assertThat(value.get(name).get("last").intValue()).as("%s's last write", name).isEqualTo(perWriter - 1);
            assertThat(value.get(name).size()).as("%s's members: every patch kept", name).isEqualTo(perWriter + 1);
        }
        assertThat(store.entry("shared").orElseThrow().version()).isEqualTo(1 + 2 * perWriter);
        List<ConfigChange> history = store.history("shared");
        assertThat(history).as("one history row per patch").hasSize(1 + 2 * perWriter);
        assertThat(history.stream().filter(c -> c.actor().equals("left"))).hasSize(perWriter);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Export and import

    private static final String SECRET = "{\"$pgdock_secret\":{\"v\":1,\"kid\":\"k1\",\"alg\":\"A256GCM\","
            + "\"dek\":\"ZGVrLWNpcGhlcnRleHQ=\",\"iv\":\"aXY=\",\"ct\":\"c2VjcmV0LWNpcGhlcnRleHQ=\"}}";

    @Test
    void exportWritesTheEntriesOfTheScopeItselfInKeyOrder() throws Exception {
        ConfigStore store = newStore();
        store.put("ingest.a", 1);
        store.put("ingest.b", 2);
        ConfigStore prod = store.inScope("prod");
        ConfigEntry b = prod.as("ops").put("ingest.b", 3);
        prod.put("ingest.c", Map.of("x", List.of(1, 2)));
        prod.put("egress.d", "d");

        JsonNode doc = prod.transfer().export("ingest.");

        assertThat(doc.get("format").asText()).isEqualTo("pgdock-config");
        assertThat(doc.get("version").intValue()).isEqualTo(1);
        assertThat(doc.get("scope").asText()).isEqualTo("prod");
        assertThat(doc.get("prefix").asText()).isEqualTo("ingest.");
        assertThat(Instant.parse(doc.get("exportedAt").asText())).isNotNull();
        assertThat(doc.get("entries")).extracting(e -> e.get("key").asText())
                .as("the scope's own entries: ingest.a is inherited from the root, egress.d has another prefix")
                .containsExactly("ingest.b", "ingest.c");
        JsonNode first = doc.get("entries").get(0);
        assertThat(first.get("value")).isEqualTo(NODES.numberNode(3));
        assertThat(first.get("version").longValue()).isEqualTo(b.version());
        assertThat(Instant.parse(first.get("updatedAt").asText())).isEqualTo(b.updatedAt());
        assertThat(first.get("updatedBy").asText()).isEqualTo("ops");
        assertThat(store.transfer().export(ExportOptions.defaults()).get("entries")).extracting(e -> e.get("key").asText())
                .containsExactly("ingest.a", "ingest.b");

        java.io.StringWriter text = new java.io.StringWriter();
        prod.transfer().export(ExportOptions.builder().prefix("ingest.").build(), text);
        assertThat(JSON.readTree(text.toString()).get("entries")).isEqualTo(JSON.readTree(JSON.writeValueAsString(
                doc.get("entries"))));
    }

    @Test
    void exportKeepsSecretsEncryptedOrLeavesThemOut() {
        ConfigStore store = newStore();
        store.putJson("db.password", SECRET);
        store.putJson("db.settings", "{\"user\":\"app\",\"password\":" + SECRET + "}");
        store.put("db.url", "postgres://db");

        JsonNode all = store.transfer().export("db.");
        JsonNode without = store.transfer().export(ExportOptions.builder().prefix("db.").leaveOutSecrets().build());

        assertThat(all.get("entries").get(0).get("value")).as("the envelope as stored").isEqualTo(parse(SECRET));
        assertThat(all.has("secretsLeftOut")).isFalse();
        assertThat(without.get("entries")).extracting(e -> e.get("key").asText()).containsExactly("db.url");
        assertThat(without.get("secretsLeftOut")).extracting(JsonNode::asText)
                .containsExactly("db.password", "db.settings");
    }

    @Test
    void aSecretImportedIntoAnotherScopeNeedsTheKeysToBeResealed() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore source = newStore(keys);
        source.putSecret("ingest.token", "t0ken-value");
        JsonNode document = source.transfer().export("");

        assertThatThrownBy(() -> newStore().inScope("staging").transfer().importFrom(document, ImportOptions.defaults()))
                .hasMessageContaining("ingest.token").hasMessageContaining("KeyProvider")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("t0ken-value"));
        ConfigStore sameScope = newStore(keys);
        sameScope.transfer().importFrom(document, ImportOptions.defaults());
        assertThat(sameScope.get("ingest.token", String.class)).contains("t0ken-value");
    }

    @Test
    void anExportImportsIntoAnotherStoreAsNewVersions() throws Exception {
        TestKeys keys = new TestKeys("k1");
        ConfigStore source = newStore(keys);
        source.put("ingest.a", Map.of("max", 5, "ratio", new BigDecimal("1.50")));
        source.put("ingest.a", Map.of("max", 6, "ratio", new BigDecimal("1.50")));
        source.putSecret("ingest.b", "s3cret-to-move");
        source.put("ingest.c", null);
        java.io.StringWriter text = new java.io.StringWriter();
        source.transfer().export(ExportOptions.defaults(), text);
        assertThat(text.toString()).doesNotContain("s3cret-to-move");
        // Another scope: the secret, bound to the root scope, is re-sealed for "staging" on the way in.
        ConfigStore target = newStore(keys).inScope("staging");

        ImportResult result = target.as("restorer").transfer().importFrom(new java.io.StringReader(text.toString()),
                ImportOptions.defaults());

        assertThat(result.dryRun()).isFalse();
        assertThat(result.items()).extracting(ImportResult.Item::key, ImportResult.Item::action, ImportResult.Item::version)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("ingest.a", ImportResult.Action.ADDED, 1L),
                        org.assertj.core.groups.Tuple.tuple("ingest.b", ImportResult.Action.ADDED, 1L),
                        org.assertj.core.groups.Tuple.tuple("ingest.c", ImportResult.Action.ADDED, 1L));
        for (ConfigEntry e : source.list("")) {
            ConfigEntry copy = target.entry(e.key()).orElseThrow();
            assertThat(copy.value()).as("value of %s", e.key()).isEqualTo(e.value());
            assertThat(copy.scope()).isEqualTo("staging");
            assertThat(copy.version()).isEqualTo(1);
            assertThat(copy.updatedBy()).isEqualTo("restorer");
            assertThat(target.history(e.key())).singleElement()
                    .satisfies(c -> assertThat(c.reason()).isEqualTo("import"));
        }
        assertThat(target.because("restore").transfer().importFrom(source.transfer().export(""), ImportOptions.defaults()).items())
                .as("importing the same again changes nothing")
                .extracting(ImportResult.Item::action).containsOnly(ImportResult.Action.UNCHANGED);
        assertThat(target.entry("ingest.a").orElseThrow().version()).isEqualTo(1);
    }

    /** The target of the conflict-mode tests: one key of each kind. */
    private static ConfigStore conflictTarget(ConfigStore store) {
        store.putJson("k.merge", "{\"a\":1,\"b\":2}");
        store.put("k.same", "same");
        store.put("k.other", "old");
        return store;
    }

    private static JsonNode conflictDocument() {
        return parse("{\"format\":\"pgdock-config\",\"version\":1,\"scope\":\"\",\"entries\":["
                + "{\"key\":\"k.other\",\"value\":\"new\"},"
                + "{\"key\":\"k.merge\",\"value\":{\"b\":null,\"c\":3}},"
                + "{\"key\":\"k.same\",\"value\":\"same\"},"
                + "{\"key\":\"k.added\",\"value\":{\"n\":null}}]}");
    }

    private static ImportOptions mode(ImportOptions.ConflictMode mode) {
        return ImportOptions.builder().onConflict(mode).build();
    }

    @Test
    void conflictModeFailImportsNothingAndNamesTheKeys() {
        ConfigStore store = conflictTarget(newStore());

        ConfigImportConflictException e = catchThrowableOfType(ConfigImportConflictException.class,
                () -> store.transfer().importFrom(conflictDocument(), ImportOptions.defaults()));

        assertThat(e.keys()).containsExactly("k.merge", "k.other");
        assertThat(e).hasMessageContaining("\"k.merge\", \"k.other\"").hasMessageContaining("nothing was imported")
                .hasMessageNotContaining("old").hasMessageNotContaining("new");
        assertThat(store.entry("k.added")).as("not even the key without conflict").isEmpty();
        assertUnchanged(store, "k.other", 1, "\"old\"");
        assertUnchanged(store, "k.merge", 1, "{\"a\":1,\"b\":2}");
    }

    @Test
    void conflictModesSkipOverwriteAndMerge() {
        ConfigStore skip = conflictTarget(newStore());
        ConfigStore overwrite = conflictTarget(newStore());
        ConfigStore merge = conflictTarget(newStore());

        ImportResult skipped = skip.transfer().importFrom(conflictDocument(), mode(ImportOptions.ConflictMode.SKIP));
        ImportResult overwritten = overwrite.transfer().importFrom(conflictDocument(), mode(ImportOptions.ConflictMode.OVERWRITE));
        ImportResult merged = merge.transfer().importFrom(conflictDocument(), mode(ImportOptions.ConflictMode.MERGE));

        assertThat(skipped.items()).extracting(ImportResult.Item::action).containsExactly(ImportResult.Action.ADDED,
                ImportResult.Action.SKIPPED, ImportResult.Action.SKIPPED, ImportResult.Action.UNCHANGED);
        assertUnchanged(skip, "k.merge", 1, "{\"a\":1,\"b\":2}");
        assertUnchanged(skip, "k.other", 1, "\"old\"");
        assertUnchanged(skip, "k.added", 1, "{\"n\":null}");

        assertThat(overwritten.items()).extracting(ImportResult.Item::action).containsExactly(
                ImportResult.Action.ADDED, ImportResult.Action.CHANGED, ImportResult.Action.CHANGED,
                ImportResult.Action.UNCHANGED);
        assertUnchanged(overwrite, "k.merge", 2, "{\"b\":null,\"c\":3}");
        assertUnchanged(overwrite, "k.other", 2, "\"new\"");
        assertUnchanged(overwrite, "k.same", 1, "\"same\"");

        assertThat(merged.items()).extracting(ImportResult.Item::action).containsExactly(ImportResult.Action.ADDED,
                ImportResult.Action.CHANGED, ImportResult.Action.CHANGED, ImportResult.Action.UNCHANGED);
        assertUnchanged(merge, "k.merge", 2, "{\"a\":1,\"c\":3}");
        assertUnchanged(merge, "k.other", 2, "\"new\"");
        assertUnchanged(merge, "k.added", 1, "{\"n\":null}");
        assertThat(merged.items().get(1).version()).isEqualTo(2);
        assertThat(merge.transfer().importFrom(conflictDocument(), mode(ImportOptions.ConflictMode.MERGE)).items())
                .as("merging the same document again: as a merge patch, {\"n\":null} removes n from k.added")
                .extracting(ImportResult.Item::action).containsExactly(ImportResult.Action.CHANGED,
                        ImportResult.Action.UNCHANGED, ImportResult.Action.UNCHANGED, ImportResult.Action.UNCHANGED);
        assertUnchanged(merge, "k.added", 2, "{}");
    }

    @Test
    void aDryRunPrintsTheDiffWithSecretsRedactedAndWritesNothing() {
        ConfigStore store = conflictTarget(newStore());
        store.putJson("k.secret", SECRET);
        ObjectNode doc = (ObjectNode) conflictDocument();
        ((ArrayNode) doc.get("entries")).add(parse("{\"key\":\"k.secret\",\"value\":"
                + SECRET.replace("c2VjcmV0LWNpcGhlcnRleHQ=", "b3RoZXItY2lwaGVydGV4dA==") + "}"));

        ImportResult fail = store.transfer().importFrom(doc, ImportOptions.builder().dryRun().build());
        ImportResult merge = store.transfer().importFrom(doc, ImportOptions.builder()
                .onConflict(ImportOptions.ConflictMode.MERGE).dryRun().build());

        assertThat(fail.dryRun()).isTrue();
        assertThat(fail.diff()).isEqualTo(""
                + "added     \"k.added\" = {\"n\":null}\n"
                + "conflict  \"k.merge\": is {\"a\":1,\"b\":2}, the document has {\"b\":null,\"c\":3}\n"
                + "conflict  \"k.other\": is \"old\", the document has \"new\"\n"
                + "unchanged \"k.same\" = \"same\"\n"
                + "conflict  \"k.secret\": is \"***\", the document has \"***\"\n");
        assertThat(merge.diff()).isEqualTo(""
                + "added     \"k.added\" = {\"n\":null}\n"
                + "changed   \"k.merge\": {\"a\":1,\"b\":2} -> {\"a\":1,\"c\":3}\n"
                + "changed   \"k.other\": \"old\" -> \"new\"\n"
                + "unchanged \"k.same\" = \"same\"\n"
                + "changed   \"k.secret\": \"***\" -> \"***\"\n");
        assertThat(merge.toString()).isEqualTo(
                "ImportResult[scope=\"\", dryRun=true, added=1, changed=3, unchanged=1, skipped=0, conflicts=0]");
        assertThat(merge.items()).allSatisfy(i -> assertThat(i.toString()).doesNotContain("old", "Y2lwaGVy"));
        assertThat(store.entry("k.added")).isEmpty();
        assertUnchanged(store, "k.merge", 1, "{\"a\":1,\"b\":2}");
        assertThat(store.history("k.other")).hasSize(1);
    }

    @Test
    void anInvalidDocumentIsRefusedNamingEveryBadEntryAndNothingIsImported() {
        ConfigStore store = newStore(ConfigOptions.builder().maxValueBytes(32)
                .schema("typed.", "{\"type\": \"integer\"}").build());
        JsonNode doc = parse("{\"format\":\"pgdock-config\",\"version\":1,\"scope\":\"\",\"entries\":["
                + "{\"key\":\"ok.first\",\"value\":1},"
                + "{\"key\":\"bad key\",\"value\":1},"
                + "{\"key\":\"too.big\",\"value\":\"" + "x".repeat(40) + "\"},"
                + "{\"key\":\"typed.n\",\"value\":\"seven\"},"
                + "{\"key\":\"ok.first\",\"value\":2},"
                + "{\"key\":\"no.value\"},"
                + "{\"key\":\"extra\",\"value\":1,\"description\":\"d\"},"
                + "{\"key\":\"when\",\"value\":1,\"updatedAt\":\"yesterday\"},"
                + "[1]]}");

        assertThatThrownBy(() -> store.transfer().importFrom(doc, ImportOptions.defaults()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("nothing was imported: 8 problems")
                .hasMessageContaining("entry 1: config key \"bad key\"")
                .hasMessageContaining("entry 2 (key \"too.big\"): config key \"too.big\": the value is 42 bytes")
                .hasMessageContaining("entry 3 (key \"typed.n\"): config key \"typed.n\": value does not match")
                .hasMessageContaining("entry 4 (key \"ok.first\"): the key is also entry 0")
                .hasMessageContaining("entry 5 (key \"no.value\") has no \"value\"")
                .hasMessageContaining("entry 6 (key \"extra\") has an unknown member \"description\"")
                .hasMessageContaining("entry 7 (key \"when\"): \"updatedAt\" must be an ISO-8601 instant")
                .hasMessageContaining("entry 8 is a JSON ARRAY")
                .hasMessageNotContaining("xxxx")
                .hasMessageNotContaining("seven");
        assertThat(store.list("")).as("not even the valid entry").isEmpty();
        assertThatThrownBy(() -> store.transfer().importFrom(parse("{\"format\":\"pgdock-config\",\"version\":2,\"entries\":[]}"),
                ImportOptions.defaults()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"version\" is 2; this pgdock reads version 1");
        assertThatThrownBy(() -> store.transfer().importFrom(parse("{\"format\":\"other\"}"), ImportOptions.defaults()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"format\" must be \"pgdock-config\", but is \"other\"");
        assertThatThrownBy(() -> store.transfer().importFrom(new java.io.StringReader("{\"format\": \"pgdock-config\",}"),
                ImportOptions.defaults()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("not valid JSON at line 1, column ");
    }

    @Test
    void aMergedValueThatIsRefusedStopsTheWholeImport() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .schema("ingest.", "{\"type\": \"object\", \"required\": [\"max\"]}").build());
        store.put("ingest.limits", Map.of("max", 5));
        JsonNode doc = parse("{\"format\":\"pgdock-config\",\"version\":1,\"entries\":["
                + "{\"key\":\"ingest.added\",\"value\":{\"max\":1}},"
                + "{\"key\":\"ingest.limits\",\"value\":{\"max\":null}}]}");

        assertThatThrownBy(() -> store.transfer().importFrom(doc, mode(ImportOptions.ConflictMode.MERGE)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("entry 1 (key \"ingest.limits\"): config key \"ingest.limits\": value does not "
                        + "match the JSON Schema");
        assertThat(store.entry("ingest.added")).isEmpty();
        assertUnchanged(store, "ingest.limits", 1, "{\"max\":5}");
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
    // The ObjectMapper: pgdock's default, and yours (ConfigOptions.Builder.objectMapper)

    /** Every JDK 8 and java.time type a config value commonly holds. */
    record Schedule(Optional<Integer> retries, Optional<String> label, OptionalInt limit, OptionalLong max,
            OptionalDouble ratio, Instant since, LocalDate day, Duration timeout, OffsetDateTime at) {
    }

    /** For enum coercion. */
    enum Mode { FAST, SAFE }

    /** For coercion inside a record. */
    record Named(String name, int port) {
    }

    @Test
    void optionalsAndJavaTimeValuesRoundTripWithTheDefaultMapper() {
        ConfigStore store = newStore();
        Instant since = Instant.parse("2024-01-02T03:04:05.123456789Z");
        LocalDate day = LocalDate.of(2024, 1, 2);
        Duration timeout = Duration.ofSeconds(90, 5);
        OffsetDateTime at = OffsetDateTime.parse("2024-01-02T03:04:05+02:00");
        Schedule full = new Schedule(Optional.of(3), Optional.of("nightly"), OptionalInt.of(10), OptionalLong.of(1L << 40),
                OptionalDouble.of(0.25), since, day, timeout, at);
        Schedule empty = new Schedule(Optional.empty(), Optional.empty(), OptionalInt.empty(), OptionalLong.empty(),
                OptionalDouble.empty(), since, day, timeout, at);

        store.put("m.opt", Optional.of(1));
        store.put("m.none", Optional.empty());
        store.put("m.int", OptionalInt.of(2));
        store.put("m.since", since);
        store.put("m.day", day);
        store.put("m.timeout", timeout);
        store.put("m.at", at);
        store.put("m.full", full);
        store.put("m.empty", empty);

        assertThat(store.get("m.opt")).as("Optional.of(1) is stored as 1").contains(NODES.numberNode(1));
        assertThat(store.get("m.opt", new TypeReference<Optional<Integer>>() { })).contains(Optional.of(1));
        assertThat(store.get("m.none").map(JsonNode::isNull)).as("Optional.empty() is JSON null").contains(true);
        assertThat(store.get("m.int", OptionalInt.class)).contains(OptionalInt.of(2));
        assertThat(store.get("m.since")).as("ISO-8601 text").contains(NODES.textNode("2024-01-02T03:04:05.123456789Z"));
        assertThat(store.get("m.day")).contains(NODES.textNode("2024-01-02"));
        assertThat(store.get("m.timeout")).contains(NODES.textNode("PT1M30.000000005S"));
        assertThat(store.get("m.at")).contains(NODES.textNode("2024-01-02T03:04:05+02:00"));
        assertThat(store.get("m.since", Instant.class)).contains(since);
        assertThat(store.get("m.day", LocalDate.class)).contains(day);
        assertThat(store.get("m.timeout", Duration.class)).contains(timeout);
        assertThat(store.get("m.at", OffsetDateTime.class)).as("keeps its offset").contains(at);
        assertThat(store.get("m.full", Schedule.class)).contains(full);
        assertThat(store.get("m.empty", Schedule.class)).contains(empty);
        assertThat(store.parts().get("m.full", "/limit", OptionalInt.class)).contains(OptionalInt.of(10));
        assertThat(store.get("m.empty")).hasValueSatisfying(v -> assertThat(v.get("retries").isNull()).isTrue());
        assertThat(store.policy().snapshot("m.").get("m.full", Schedule.class)).as("through a snapshot").contains(full);

        store.parts().patch("m.full", Map.of("since", Instant.parse("2025-06-07T08:09:10Z"), "retries", Optional.of(4)));
        assertThat(store.get("m.full", Schedule.class)).contains(new Schedule(Optional.of(4), Optional.of("nightly"),
                OptionalInt.of(10), OptionalLong.of(1L << 40), OptionalDouble.of(0.25),
                Instant.parse("2025-06-07T08:09:10Z"), day, timeout, at));
    }

    /** The default mapper refuses {@code json} as {@code type} with a binding error that shows no value. */
    private static void refusesWithoutCoercion(ConfigStore store, String json, Class<?> type, String found,
            String shownType) {
        String key = "c.k" + Math.abs(json.hashCode() % 100_000) + type.getSimpleName().toLowerCase(Locale.ROOT);
        store.putJson(key, json);
        ConfigBindingException e = catchThrowableOfType(ConfigBindingException.class, () -> store.get(key, type));
        assertThat(e).as("%s as %s", json, type).isNotNull();
        assertThat(e.key()).isEqualTo(key);
        assertThat(e.path()).isEmpty();
        assertThat(e.type()).isEqualTo(shownType);
        assertThat(e).hasMessage("config key \"" + key + "\" does not bind to " + shownType + " at the root: " + found
                + " cannot be read as " + shownType).hasNoCause();
    }

    @Test
    void theDefaultMapperDoesNotCoerceOneScalarTypeToAnother() {
        ConfigStore store = newStore();
        store.put("c.port", 500);

        ConfigBindingException asText = catchThrowableOfType(ConfigBindingException.class,
                () -> store.get("c.port", String.class));
        assertThat(asText).hasMessage("config key \"c.port\" does not bind to java.lang.String at the root: a JSON "
                + "integer cannot be read as java.lang.String").hasNoCause();
        assertThat(asText.key()).isEqualTo("c.port");
        assertThat(asText.type()).isEqualTo("java.lang.String");
        assertThat(asText.path()).isEmpty();

        refusesWithoutCoercion(store, "731.25", String.class, "a JSON number with a fraction", "java.lang.String");
        refusesWithoutCoercion(store, "true", String.class, "a JSON boolean", "java.lang.String");
        refusesWithoutCoercion(store, "\"4711\"", Integer.class, "a JSON string", "java.lang.Integer");
        refusesWithoutCoercion(store, "\"4711\"", int.class, "a JSON string", "int");
        refusesWithoutCoercion(store, "\"4711\"", Long.class, "a JSON string", "java.lang.Long");
        refusesWithoutCoercion(store, "\"4711.5\"", BigDecimal.class, "a JSON string", "java.math.BigDecimal");
        refusesWithoutCoercion(store, "\"4711.5\"", Double.class, "a JSON string", "java.lang.Double");
        refusesWithoutCoercion(store, "\"true\"", Boolean.class, "a JSON string", "java.lang.Boolean");
        refusesWithoutCoercion(store, "1", Boolean.class, "a JSON integer", "java.lang.Boolean");
        refusesWithoutCoercion(store, "true", Integer.class, "a JSON boolean", "java.lang.Integer");
        refusesWithoutCoercion(store, "731.5", Integer.class, "a JSON number with a fraction", "java.lang.Integer");
        refusesWithoutCoercion(store, "731.0", long.class, "a JSON number with a fraction", "long");
        refusesWithoutCoercion(store, "731.5", BigInteger.class, "a JSON number with a fraction",
                "java.math.BigInteger");
        refusesWithoutCoercion(store, "\"\"", Integer.class, "an empty JSON string", "java.lang.Integer");
        refusesWithoutCoercion(store, "\"\"", Instant.class, "an empty JSON string", "java.time.Instant");
        refusesWithoutCoercion(store, "\"\"", Limits.class, "an empty JSON string",
                "io.pgdock.config.ConfigStoreContract$Limits");
        refusesWithoutCoercion(store, "1", Mode.class, "a JSON integer", "io.pgdock.config.ConfigStoreContract$Mode");
        refusesWithoutCoercion(store, "\"1\"", Mode.class, "a JSON string",
                "io.pgdock.config.ConfigStoreContract$Mode");
        refusesWithoutCoercion(store, "19000", LocalDate.class, "a JSON integer", "java.time.LocalDate");
    }

    @Test
    void aScalarThatIsNotCoercedInsideAValueNamesItsPath() {
        ConfigStore store = newStore();
        store.put("c.named", Map.of("name", 7311, "port", 5432));
        store.put("c.names", List.of("a", 7312));
        store.put("c.flags", Map.of("on", true));

        ConfigBindingException inRecord = catchThrowableOfType(ConfigBindingException.class,
                () -> store.get("c.named", Named.class));
        assertThat(inRecord.path()).isEqualTo("/name");
        assertThat(inRecord).hasMessageEndingWith("at /name: a JSON integer cannot be read as java.lang.String")
                .hasMessageNotContaining("7311");
        assertThat(catchThrowableOfType(ConfigBindingException.class,
                () -> store.get("c.names", new TypeReference<List<String>>() { })))
                .hasMessageEndingWith("at /1: a JSON integer cannot be read as java.lang.String")
                .hasMessageNotContaining("7312")
                .satisfies(e -> assertThat(e.path()).isEqualTo("/1"));
        assertThat(catchThrowableOfType(ConfigBindingException.class,
                () -> store.get("c.flags", new TypeReference<Map<String, String>>() { })))
                .hasMessageEndingWith("at /on: a JSON boolean cannot be read as java.lang.String");
        assertThat(catchThrowableOfType(ConfigBindingException.class, () -> store.parts().get("c.named", "/name",
                String.class))).as("by pointer").satisfies(e -> assertThat(e.path()).isEqualTo("/name"))
                .hasMessageEndingWith("at /name: a JSON integer cannot be read as java.lang.String");
    }

    @Test
    void whatTheDefaultMapperStillReads() {
        ConfigStore store = newStore();
        store.put("r.count", 5);
        store.put("r.epoch", 1_700_000_000);
        store.putJson("r.price", "1.50");
        store.put("r.mode", "SAFE");
        store.put("r.any", Map.of("n", 5, "d", new BigDecimal("1.50")));

        assertThat(store.get("r.count", Double.class)).as("an integer as a floating-point type").contains(5.0);
        assertThat(store.get("r.count", BigDecimal.class)).contains(BigDecimal.valueOf(5));
        assertThat(store.get("r.count", Long.class)).contains(5L);
        assertThat(store.get("r.epoch", Instant.class)).as("seconds since the epoch")
                .contains(Instant.ofEpochSecond(1_700_000_000));
        assertThat(store.get("r.count", Duration.class)).as("seconds").contains(Duration.ofSeconds(5));
        store.putJson("r.old_timeout", "90.000000005");
        assertThat(store.get("r.old_timeout", Duration.class)).as("a Duration as pgdock wrote it before it wrote text")
                .contains(Duration.ofSeconds(90, 5));
        assertThat(store.get("r.price", BigDecimal.class)).contains(new BigDecimal("1.50"));
        assertThat(store.get("r.mode", Mode.class)).contains(Mode.SAFE);
        assertThat(store.get("r.any", Object.class)).as("numbers of untyped values: Integer, or exact BigDecimal")
                .contains(Map.of("n", 5, "d", new BigDecimal("1.50")));
    }

    @Test
    void aNumberOutOfTheTypesRangeNamesTheTypeButNotTheNumber() {
        ConfigStore store = newStore();
        store.put("c.big", 98_765_432_109L);
        store.put("c.limits", Map.of("max", 98_765_432_109L, "mode", "fast"));

        assertThat(catchThrowableOfType(ConfigBindingException.class, () -> store.get("c.big", Integer.class)))
                .hasMessage("config key \"c.big\" does not bind to java.lang.Integer at the root: a JSON number out of"
                        + " the range of int").hasNoCause();
        assertThat(catchThrowableOfType(ConfigBindingException.class, () -> store.get("c.limits", Limits.class)))
                .hasMessageEndingWith("at /max: a JSON number out of the range of int")
                .hasMessageNotContaining("98765432109").hasNoCause()
                .satisfies(e -> assertThat(e.path()).isEqualTo("/max"));
    }

    @Test
    void aMapperOfYourOwnDecidesCoercion() {
        ConfigStore store = newStore(ConfigOptions.builder().objectMapper(new ObjectMapper()).build());
        store.put("c.port", 500);
        store.put("c.text", "5");

        assertThat(store.get("c.port", String.class)).as("Jackson's own default coerces").contains("500");
        assertThat(store.get("c.text", Integer.class)).contains(5);
        assertThatThrownBy(() -> store.put("c.opt", Optional.of(1)))
                .as("a mapper without Jdk8Module cannot map an Optional; the message says which module it needs")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("config key \"c.opt\": a java.util.Optional cannot be mapped to JSON: ")
                .hasMessageContaining("jackson-datatype-jdk8");
        assertThat(store.entry("c.opt")).as("nothing written").isEmpty();
    }

    /** A type of the caller's, which only the caller's module maps: {@code "1250 EUR"}. */
    record Money(long cents, String currency) {
    }

    /** Field names the caller's naming strategy changes. */
    record Budget(String ownerName, Money monthlyLimit) {
    }

    /** With a secret field. */
    record Account(String ownerName, Secret apiToken) {
    }

    /** The same, read as plain text. */
    record PlainAccount(String ownerName, String apiToken) {
    }

    private static JsonMapper snakeCaseMoneyMapper() {
        SimpleModule money = new SimpleModule("money")
                .addSerializer(Money.class, new com.fasterxml.jackson.databind.ser.std.StdSerializer<Money>(Money.class) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public void serialize(Money m, com.fasterxml.jackson.core.JsonGenerator gen,
                            com.fasterxml.jackson.databind.SerializerProvider provider) throws IOException {
                        gen.writeString(m.cents() + " " + m.currency());
                    }
                })
                .addDeserializer(Money.class, new com.fasterxml.jackson.databind.deser.std.StdDeserializer<Money>(
                        Money.class) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public Money deserialize(com.fasterxml.jackson.core.JsonParser p,
                            com.fasterxml.jackson.databind.DeserializationContext ctxt) throws IOException {
                        String[] parts = p.getValueAsString().split(" ", -1);
                        return new Money(Long.parseLong(parts[0]), parts[1]);
                    }
                });
        return JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).addModule(money)
                .build();
    }

    @Test
    void aMapperOfYourOwnMapsAndBindsOnEveryPath() throws Exception {
        JsonMapper mine = snakeCaseMoneyMapper();
        Set<Object> modulesBefore = Set.copyOf(mine.getRegisteredModuleIds());
        ConfigOptions options = ConfigOptions.builder().objectMapper(mine).keys(new TestKeys("k1")).build();
        ConfigStore store = newStore(options);
        Budget budget = new Budget("ann", new Money(1250, "EUR"));

        store.put("u.budget", budget);
        assertThat(store.get("u.budget")).as("written by the caller's mapper, in jsonb's member order")
                .contains(JSON.readTree("{\"owner_name\": \"ann\", \"monthly_limit\": \"1250 EUR\"}"));
        assertThat(store.get("u.budget").orElseThrow().fieldNames()).toIterable()
                .containsExactly("owner_name", "monthly_limit");
        assertThat(store.get("u.budget", Budget.class)).as("get(Class)").contains(budget);
        assertThat(store.get("u.budget", new TypeReference<Budget>() { })).as("get(TypeReference)").contains(budget);
        assertThat(store.<Budget>get("u.budget", mine.constructType(Budget.class))).as("get(JavaType)")
                .contains(budget);
        assertThat(store.parts().get("u.budget", "/monthly_limit", Money.class)).as("by pointer")
                .contains(new Money(1250, "EUR"));
        assertThat(store.getOrDefault("u.unset", Budget.class, budget)).isEqualTo(budget);
        assertThat(store.inScope("prod").get("u.budget", Budget.class)).as("through a scope's fallback")
                .contains(budget);
        assertThat(store.policy().snapshot("u.").get("u.budget", Budget.class)).as("through a snapshot").contains(budget);

        store.parts().patch("u.budget", Map.of("monthly_limit", new Money(2000, "EUR")));
        assertThat(store.get("u.budget", Budget.class)).as("patch").contains(new Budget("ann", new Money(2000, "EUR")));

        ObjectNode tree = NODES.objectNode().put("owner_name", "bob");
        tree.putPOJO("monthly_limit", new Money(5, "USD"));
        store.put("u.tree", tree);
        assertThat(store.parts().get("u.tree", "/monthly_limit")).as("a Java object in a tree").contains(
                NODES.textNode("5 USD"));

        store.putSecret("u.limit", new Money(7, "CHF"));
        assertThat(Secret.isEncrypted(stored(store, "u.limit"))).as("putSecret encrypts").isTrue();
        assertThat(store.get("u.limit", Money.class)).as("putSecret maps with the store's mapper")
                .contains(new Money(7, "CHF"));

        store.put("u.account", new Account("cid", Secret.of("t0ken-secret")));
        assertThat(Secret.isEncrypted(stored(store, "u.account").get("api_token"))).as("a Secret field is sealed")
                .isTrue();
        assertThat(store.get("u.account", Account.class).orElseThrow().apiToken().revealText()).isEqualTo("t0ken-secret");
        assertThat(store.get("u.account", PlainAccount.class)).contains(new PlainAccount("cid", "t0ken-secret"));

        assertThat(mine.getRegisteredModuleIds()).as("the caller's mapper is not changed").isEqualTo(modulesBefore);
        mine.setPropertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE);
        store.put("u.later", budget);
        assertThat(store.get("u.later").orElseThrow().has("owner_name"))
                .as("changing the caller's mapper later does not reach the store").isTrue();
        assertThat(options.objectMapper()).hasValueSatisfying(m -> assertThat(m).isNotSameAs(mine)
                .satisfies(copy -> assertThat(copy.getPropertyNamingStrategy())
                        .isSameAs(PropertyNamingStrategies.SNAKE_CASE)));
    }

    @Test
    void secretFieldsAreSealedAndReadEvenByAMapperThatIgnoresAnnotations() {
        JsonMapper plain = JsonMapper.builder().disable(MapperFeature.USE_ANNOTATIONS).build();
        ConfigStore store = newStore(ConfigOptions.builder().objectMapper(plain).keys(new TestKeys("k1")).build());

        store.put("db", new SealedDb("jdbc:postgresql://db/app", Secret.of("hunter2-secret")));

        assertThat(Secret.isEncrypted(stored(store, "db").get("password"))).isTrue();
        assertThat(stored(store, "db").toString()).doesNotContain("hunter2");
        assertThat(store.get("db", SealedDb.class).orElseThrow().password().revealText()).isEqualTo("hunter2-secret");
        assertThat(store.get("db", Db.class)).contains(new Db("jdbc:postgresql://db/app", "hunter2-secret"));
    }

    @Test
    void aFailureOfYourMappersDeserializerNamesTheKeyAndTheTypeButNotTheValue() {
        SimpleModule failing = new SimpleModule("failing").addDeserializer(Money.class,
                new com.fasterxml.jackson.databind.deser.std.StdDeserializer<Money>(Money.class) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public Money deserialize(com.fasterxml.jackson.core.JsonParser p,
                            com.fasterxml.jackson.databind.DeserializationContext ctxt) throws IOException {
                        throw new IllegalStateException("cannot parse " + p.getValueAsString());
                    }
                });
        JsonMapper unwrapped = JsonMapper.builder().addModule(failing)
                .disable(DeserializationFeature.WRAP_EXCEPTIONS).build();
        ConfigStore store = newStore(ConfigOptions.builder().objectMapper(unwrapped).build());
        store.put("u.money", Map.of("limit", "12 very-secret-money"));

        assertThat(catchThrowableOfType(ConfigBindingException.class, () -> store.parts().get("u.money", "/limit", Money.class)))
                .hasMessage("config key \"u.money\" does not bind to io.pgdock.config.ConfigStoreContract$Money at "
                        + "/limit: the mapper failed with java.lang.IllegalStateException")
                .hasNoCause();
    }

    @Test
    void aMapperOfYourOwnCannotLoosenWhatAValueMustBe() {
        JsonMapper lax = JsonMapper.builder(com.fasterxml.jackson.core.JsonFactory.builder()
                        .streamWriteConstraints(com.fasterxml.jackson.core.StreamWriteConstraints.builder()
                                .maxNestingDepth(5000).build())
                        .build())
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_JAVA_COMMENTS)
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_TRAILING_COMMA)
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
        ConfigStore store = newStore(ConfigOptions.builder().objectMapper(lax).maxValueBytes(64).build());

        assertThatThrownBy(() -> store.putJson("l.k", "/* a comment */ [1,]")).as("putJson parses strictly")
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> store.put("l.k", Double.NaN)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("is not a JSON number");
        assertThatThrownBy(() -> store.put("l.k", "a\u0000b")).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("U+0000");
        assertThatThrownBy(() -> store.put("l.k", new BigDecimal("1e-20000"))).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("numeric's range");
        assertThatThrownBy(() -> store.put("l.k", "x".repeat(100))).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("over the limit of 64 bytes");
        Object deep = "leaf";
        for (int i = 0; i < 1001; i++) {
            deep = List.of(deep);
        }
        Object tooDeep = deep;
        assertThatThrownBy(() -> store.put("l.k", tooDeep)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("deeper than 1000 levels");
        assertThat(store.entry("l.k")).as("nothing written").isEmpty();

        store.put("l.order", new Limits(1, "m"));
        store.put("l.float", 0.1f);
        assertThat(store.get("l.order").orElseThrow().fieldNames()).toIterable().as("jsonb's member order")
                .containsExactly("max", "mode");
        store.put("l.order", Map.of("zz", 1, "a", 2, "mmm", 3));
        assertThat(store.get("l.order").orElseThrow().fieldNames()).toIterable().containsExactly("a", "zz", "mmm");
        assertThat(store.get("l.float")).as("a float is stored as the decimal it prints as")
                .contains(NODES.numberNode(new BigDecimal("0.1")));
    }

    @Test
    void aValueTheDefaultMapperCannotMapNamesTheKeyAndWritesNothing() {
        ConfigStore store = newStore();
        Object noProperties = new Object();

        assertThatThrownBy(() -> store.put("m.thing", noProperties)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("config key \"m.thing\": a java.lang.Object cannot be mapped to JSON: ");
        assertThatThrownBy(() -> store.putSecret("m.thing", noProperties)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("config key \"m.thing\": a java.lang.Object cannot be mapped to JSON as a secret:");
        assertThat(store.entry("m.thing")).isEmpty();
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
        for (int i = 0; i < file.length(); i++) {
            char c = file.charAt(i);
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
    void aListenerThatReadsTheChangedKeyReadsTheNewValue() {
        ConfigStore store = newStore();
        List<String> read = java.util.Collections.synchronizedList(new ArrayList<>());
        Recorder seen = new Recorder();
        try (ConfigSubscription sub = store.watch("app.", event -> {
            // A listener that reloads: for a cached store, the cache must have forgotten the old value by now.
            read.add("v" + event.version() + " read v" + store.entry(event.key()).orElseThrow().version());
            seen.onChange(event);
        })) {
            for (int v = 1; v <= 20; v++) {
                store.put("app.limit", v);
                seen.awaitChange("app.limit", v, false);
            }
            assertThat(sub.isOpen()).isTrue();
        }
        assertThat(read).hasSize(20).allSatisfy(line -> {
            String[] parts = line.split(" read ", -1);
            assertThat(parts[1]).as(line).isEqualTo(parts[0]);
        });
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
        ConfigStore pinned = store.inScope("prod").policy().snapshot("run.");
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
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("a snapshot never changes");
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
