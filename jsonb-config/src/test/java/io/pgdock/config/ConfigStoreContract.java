package io.pgdock.config;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Nested;

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
 * <p>Every test is inherited. The tests are grouped by feature into testers, abstract classes of their own
 * ({@link ReadsContract}, {@link WritesContract}, {@link CompareAndSetContract}, {@link ListsContract},
 * {@link HistoryContract}, {@link SecretsContract}, {@link TamperEvidenceContract}, {@link RetentionContract},
 * {@link ScopesContract}, {@link KeysContract}, {@link ValuesContract}, {@link PartsContract},
 * {@link TransferContract}, {@link JsonTestSuiteContract}, {@link MappingContract}, {@link WatchContract} and
 * {@link EnvironmentOverridesContract}), and
 * this class runs each as a {@code @Nested} class ({@code Reads}, {@code Writes}, ...) whose stores come from your
 * {@code newStore}: your subclass's {@code @BeforeEach} and {@code @AfterEach} methods, tags and extensions apply to
 * every test of every tester. Maven Surefire counts them in your class's report ({@code TEST-<your class>.xml}),
 * naming each test's class as it is declared: {@code ConfigStoreContract$Reads}, and so on. Add your own tests for
 * what only your store does (pgdock's PostgreSQL test, for instance, checks that an edit made with plain SQL is
 * recorded in the history).
 *
 * <h2>What {@code newStore} must return</h2>
 *
 * <ul>
 *   <li>A store that is <b>empty</b> and shares nothing with stores returned before: a test may call it several times
 *       (with different options) and expects each store to start blank.</li>
 *   <li>A store that honours <b>every option</b>: {@link ConfigOptions#maxValueBytes()},
 *       {@link ConfigOptions#retention()}, {@link ConfigOptions#schemas()},
 *       {@link ConfigOptions#environmentOverrides()} (with {@link ConfigOptions#environmentPrefix()}) and, if the store
 *       uses it,
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
 * <p>{@link JsonTestSuiteContract} feeds each parsing case of
 * <a href="https://github.com/nst/JSONTestSuite">JSONTestSuite</a> (MIT licence) to {@link ConfigStore#putJson} and
 * requires the store under test to give exactly the in-memory store's outcome on every case; cases jsonb cannot store
 * are listed in {@link #JSONB_CANNOT_STORE}. The files are read from the directory named by the system property
 * {@value #JSON_TEST_SUITE_PROPERTY}, else from {@code ../../shared/testdata/JSONTestSuite/test_parsing} relative to
 * the working directory (pgdock's own build); when neither exists, those tests are skipped with a message saying so.
 *
 * <p>Instances are made by JUnit, one per test (for a nested tester's test too, as its enclosing instance); not
 * thread-safe.
 */
public abstract class ConfigStoreContract extends ConfigStoreFixture {
    /** System property naming the directory of JSONTestSuite's {@code test_parsing} files. */
    public static final String JSON_TEST_SUITE_PROPERTY = JsonTestSuiteContract.JSON_TEST_SUITE_PROPERTY;

    /**
     * The {@code y_} cases of JSONTestSuite (valid JSON) that PostgreSQL's {@code jsonb}, and so every pgdock store,
     * refuses: text containing U+0000. Each is expected to be refused with a message that names U+0000.
     */
    protected static final Set<String> JSONB_CANNOT_STORE = JsonTestSuiteContract.JSONB_CANNOT_STORE;

    /** {@link ReadsContract} on this contract's stores. */
    @Nested
    class Reads extends ReadsContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link WritesContract} on this contract's stores. */
    @Nested
    class Writes extends WritesContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link CompareAndSetContract} on this contract's stores. */
    @Nested
    class CompareAndSet extends CompareAndSetContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link ListsContract} on this contract's stores. */
    @Nested
    class Lists extends ListsContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link HistoryContract} on this contract's stores. */
    @Nested
    class History extends HistoryContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link SecretsContract} on this contract's stores. */
    @Nested
    class Secrets extends SecretsContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link TamperEvidenceContract} on this contract's stores. */
    @Nested
    class TamperEvidence extends TamperEvidenceContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link RetentionContract} on this contract's stores. */
    @Nested
    class Retention extends RetentionContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link ScopesContract} on this contract's stores. */
    @Nested
    class Scopes extends ScopesContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link KeysContract} on this contract's stores. */
    @Nested
    class Keys extends KeysContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link ValuesContract} on this contract's stores. */
    @Nested
    class Values extends ValuesContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link PartsContract} on this contract's stores. */
    @Nested
    class Parts extends PartsContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link TransferContract} on this contract's stores. */
    @Nested
    class Transfer extends TransferContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link JsonTestSuiteContract} on this contract's stores. */
    @Nested
    class JsonTestSuite extends JsonTestSuiteContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link MappingContract} on this contract's stores. */
    @Nested
    class Mapping extends MappingContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link WatchContract} on this contract's stores. */
    @Nested
    class Watch extends WatchContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }

    /** {@link EnvironmentOverridesContract} on this contract's stores. */
    @Nested
    class EnvironmentOverrides extends EnvironmentOverridesContract {
        @Override
        protected ConfigStoreFixture fixture() {
            return ConfigStoreContract.this;
        }
    }
}
