package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * Runs small test classes (the static nested {@code ...Case} classes) through JUnit's engine, to check what happens
 * around them: which database each class gets, and that it is gone afterwards. Some cases fail on purpose, so they are
 * disabled unless run from here (Surefire skips nested classes by default, but not when {@code -Dtest} names them).
 */
class ExtensionLifecycleTest {

    /** Database names the cases saw, by case. */
    static final Map<String, List<String>> SEEN = new ConcurrentHashMap<>();
    /** Whether a case saw any table besides its own. */
    static final Map<String, Boolean> SAW_OTHERS = new ConcurrentHashMap<>();

    @BeforeEach
    void clear() {
        SEEN.clear();
        SAW_OTHERS.clear();
    }

    @Test
    void twoClassesGetDifferentDatabasesThatAreDroppedAfterEachClass() throws SQLException {
        Events tests = run(FirstCase.class, SecondCase.class);

        tests.assertStatistics(stats -> stats.started(2).succeeded(2).failed(0));
        String first = SEEN.get("first").get(0);
        String second = SEEN.get("second").get(0);
        assertThat(first).isNotEqualTo(second);
        assertThat(SAW_OTHERS).containsOnly(Map.entry("first", false), Map.entry("second", false));
        for (String name : List.of(first, second)) {
            assertThat(Sql.databaseExists(name)).as("database %s exists after its class", name).isFalse();
            assertThat(Sql.roleExists(name)).as("role %s exists after its class", name).isFalse();
        }
    }

    @Test
    void instanceFieldGivesEachTestMethodItsOwnDatabase() throws SQLException {
        Events tests = run(PerMethodCase.class);

        tests.assertStatistics(stats -> stats.started(2).succeeded(2));
        List<String> names = SEEN.get("per-method");
        assertThat(names).hasSize(2).doesNotHaveDuplicates();
        for (String name : names) {
            assertThat(Sql.databaseExists(name)).isFalse();
        }
    }

    @Test
    void failingInitializerFailsTheClassAndDropsItsDatabase() throws SQLException {
        EngineExecutionResults results = execute(FailingInitializerCase.class);

        results.testEvents().assertStatistics(stats -> stats.started(0));
        results.containerEvents().assertThatEvents()
                .haveExactly(1, event(finishedWithFailure(message("no schema for you"))));
        Throwable failure = results.containerEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow())
                .findFirst().orElseThrow();
        assertThat(failure.getSuppressed()).as("reported once, not again from afterAll").isEmpty();
        assertThat(SEEN.get("failing-initializer")).hasSize(1);
        assertThat(Sql.databaseExists(SEEN.get("failing-initializer").get(0))).isFalse();
    }

    @Test
    void testFailureIsReportedAndTheDatabaseIsStillDropped() throws SQLException {
        Events tests = run(FailingTestCase.class);

        tests.assertThatEvents().haveExactly(1, event(test(), finishedWithFailure(message("on purpose"))));
        assertThat(Sql.databaseExists(SEEN.get("failing-test").get(0))).isFalse();
    }

    private static Events run(Class<?>... classes) {
        return execute(classes).testEvents();
    }

    private static EngineExecutionResults execute(Class<?>... classes) {
        var request = EngineTestKit.engine("junit-jupiter").configurationParameter(OnlyFromLifecycleTest.KEY, "true");
        for (Class<?> c : classes) {
            request.selectors(selectClass(c));
        }
        return request.execute();
    }

    private static void record(String caseName, Jdbi jdbi, String ownTable) {
        jdbi.useHandle(h -> {
            h.execute("create table " + ownTable + " (id int)");
            SEEN.computeIfAbsent(caseName, k -> new CopyOnWriteArrayList<>())
                    .add(h.createQuery("select current_database()").mapTo(String.class).one());
            SAW_OTHERS.put(caseName, h.createQuery("select count(*) from pg_tables where schemaname = 'public'"
                    + " and tablename <> :own").bind("own", ownTable).mapTo(Integer.class).one() > 0);
        });
    }

    @ExtendWith(OnlyFromLifecycleTest.class)
    static class FirstCase {
        @RegisterExtension
        static final PgdockExtension pg = PgdockExtension.create();

        @Test
        void createsItsTable() {
            record("first", pg.jdbi(), "first_table");
        }
    }

    @ExtendWith(OnlyFromLifecycleTest.class)
    static class SecondCase {
        @RegisterExtension
        static final PgdockExtension pg = PgdockExtension.create();

        @Test
        void createsItsTable(Jdbi jdbi) {
            record("second", jdbi, "second_table");
        }
    }

    @ExtendWith(OnlyFromLifecycleTest.class)
    static class PerMethodCase {
        @RegisterExtension
        final PgdockExtension pg = PgdockExtension.create();

        @Test
        void one() {
            record("per-method", pg.jdbi(), "same_name");
        }

        @Test
        void two() {
            record("per-method", pg.jdbi(), "same_name");
        }
    }

    @ExtendWith(OnlyFromLifecycleTest.class)
    static class FailingInitializerCase {
        @RegisterExtension
        static final PgdockExtension pg = PgdockExtension.create().withInitializer(db -> {
            SEEN.computeIfAbsent("failing-initializer", k -> new CopyOnWriteArrayList<>()).add(db.name());
            throw new IllegalStateException("no schema for you");
        });

        @Test
        void neverRuns() {
            throw new AssertionError("the initializer failed, so no test should run");
        }
    }

    @ExtendWith(OnlyFromLifecycleTest.class)
    static class FailingTestCase {
        @RegisterExtension
        static final PgdockExtension pg = PgdockExtension.create();

        @Test
        void fails() {
            SEEN.computeIfAbsent("failing-test", k -> new CopyOnWriteArrayList<>()).add(pg.databaseName());
            throw new AssertionError("on purpose");
        }
    }

    /** Enables the cases only when {@link #execute} runs them. */
    static final class OnlyFromLifecycleTest implements ExecutionCondition {
        static final String KEY = "io.pgdock.testing.lifecycle-case";

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return context.getConfigurationParameter(KEY).isPresent()
                    ? ConditionEvaluationResult.enabled("run by ExtensionLifecycleTest")
                    : ConditionEvaluationResult.disabled("a case that ExtensionLifecycleTest runs; some fail on purpose");
        }
    }
}
