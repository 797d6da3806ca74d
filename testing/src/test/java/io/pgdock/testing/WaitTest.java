package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link Wait}: what it returns, and what its failures say. */
class WaitTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Generous: the waits that succeed end long before; the ones that time out use short timeouts of their own. */
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration SHORT = Duration.ofMillis(100);

    @Test
    void returnsAsSoonAsTheConditionHoldsCheckingUntilThen() {
        AtomicInteger checks = new AtomicInteger();
        Wait.until(WAIT, () -> checks.incrementAndGet() == 5, "the fifth check");
        assertThat(checks).hasValue(5);
    }

    @Test
    void untilValueReturnsTheFirstAcceptedValue() {
        AtomicInteger n = new AtomicInteger();
        int value = Wait.untilValue(WAIT, n::incrementAndGet, v -> v >= 3, "a value of at least 3");
        assertThat(value).isEqualTo(3);
    }

    @Test
    void aConditionThatHoldsAtOnceIsCheckedOnceEvenWithAZeroTimeout() {
        AtomicInteger checks = new AtomicInteger();
        Wait.until(Duration.ZERO, () -> checks.incrementAndGet() > 0, "the first check");
        assertThat(checks).hasValue(1);
    }

    @Test
    void aTimeoutSaysWhatWasAwaitedForHowLongAndHowManyChecksRan() {
        AtomicInteger checks = new AtomicInteger();
        assertThatThrownBy(() -> Wait.until(SHORT, () -> checks.incrementAndGet() < 0, "the listener to reconnect"))
                .isExactlyInstanceOf(AssertionError.class)
                .hasMessageStartingWith("Timed out after 100 ms waiting for the listener to reconnect (")
                .hasMessageEndingWith(" checks, none held)")
                .hasMessageContaining("(" + checks.get() + " checks")
                .hasNoCause();
        assertThat(checks.get()).as("checked more than once, at least once after the deadline").isGreaterThan(1);
    }

    @Test
    void aTimeoutOfUntilValueQuotesTheLastValue() {
        AtomicInteger n = new AtomicInteger();
        assertThatThrownBy(() -> Wait.untilValue(SHORT, () -> List.of("v" + n.incrementAndGet()), v -> false,
                "version 3"))
                .isExactlyInstanceOf(AssertionError.class)
                .hasMessageStartingWith("Timed out after 100 ms waiting for version 3 (")
                .satisfies(e -> assertThat(e.getMessage()).endsWith("checks); last value: [v" + n.get() + "]"))
                .hasNoCause();
    }

    @Test
    void aCheckThatThrowsIsNotMetYetAndItsLastExceptionIsTheCause() {
        AtomicInteger checks = new AtomicInteger();
        assertThatThrownBy(() -> Wait.untilValue(SHORT, () -> {
            throw new SQLException("connection refused, check " + checks.incrementAndGet(), "08001");
        }, v -> true, "the server to accept connections"))
                .isExactlyInstanceOf(AssertionError.class)
                .hasMessageContaining("waiting for the server to accept connections (")
                .hasMessageContaining(" checks, none returned a value); last exception: java.sql.SQLException: "
                        + "connection refused, check ")
                .satisfies(e -> assertThat(e.getMessage()).endsWith("check " + checks.get()))
                .cause().isInstanceOf(SQLException.class).hasMessage("connection refused, check " + checks.get());
    }

    @Test
    void aFailureAfterAnEarlierExceptionQuotesBothTheLastValueAndThatException() {
        AtomicInteger checks = new AtomicInteger();
        assertThatThrownBy(() -> Wait.untilValue(SHORT, () -> {
            if (checks.incrementAndGet() == 1) {
                throw new IllegalStateException("not started");
            }
            return "starting";
        }, "ready"::equals, "the state to be ready"))
                .isExactlyInstanceOf(AssertionError.class)
                .hasMessageContaining("); last value: starting; last exception (check 1): "
                        + "java.lang.IllegalStateException: not started")
                .cause().isInstanceOf(IllegalStateException.class).hasMessage("not started");
    }

    @Test
    void aCheckThatThrowsAnErrorEndsTheWaitAtOnce() {
        AtomicInteger checks = new AtomicInteger();
        AssertionError dead = new AssertionError("the worker died");
        assertThatThrownBy(() -> Wait.until(WAIT, () -> {
            checks.incrementAndGet();
            throw dead;
        }, "the worker to finish")).isSameAs(dead);
        assertThat(checks).hasValue(1);
    }

    @Test
    void theDescriptionOfAFailedWaitIsMadeOnlyWhenItFails() {
        AtomicInteger sessions = new AtomicInteger(2);
        AtomicInteger described = new AtomicInteger();
        Wait.until(WAIT, () -> sessions.decrementAndGet() == 0, () -> "described " + described.incrementAndGet());
        assertThat(described).hasValue(0);
        assertThatThrownBy(() -> Wait.until(SHORT, () -> false, () -> "no session left; open: " + sessions.get()))
                .hasMessageContaining("waiting for no session left; open: 0 (");
    }

    @Test
    void anInterruptEndsTheWaitAndStaysSet() throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            AtomicBoolean interruptedAfter = new AtomicBoolean();
            Future<Throwable> waited = thread.submit(() -> {
                Thread.currentThread().interrupt();
                try {
                    Wait.until(WAIT, () -> false, "something that never happens");
                    return null;
                } catch (AssertionError e) {
                    interruptedAfter.set(Thread.currentThread().isInterrupted());
                    return e;
                }
            });
            assertThat(waited.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .hasMessage("interrupted while waiting for something that never happens");
            assertThat(interruptedAfter).isTrue();
        } finally {
            thread.shutdownNow();
        }
    }

    @Test
    void longValuesAreCutAndArraysShowTheirElements() {
        assertThatThrownBy(() -> Wait.untilValue(Duration.ZERO, () -> new int[] {1, 2}, v -> false, "an array"))
                .hasMessageEndingWith("(1 check); last value: [1, 2]");
        assertThatThrownBy(() -> Wait.untilValue(Duration.ZERO, () -> "x".repeat(2_010), v -> false, "text"))
                .hasMessageEndingWith("x... (10 more characters)");
        assertThatThrownBy(() -> Wait.untilValue(Duration.ZERO, () -> null, v -> v != null, "anything"))
                .hasMessageEndingWith("(1 check); last value: null");
    }

    @Test
    void aNegativeTimeoutOrAMissingArgumentIsRefused() {
        assertThatThrownBy(() -> Wait.until(Duration.ofSeconds(-1), () -> true, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout must not be negative, but was PT-1S");
        assertThatThrownBy(() -> Wait.until(null, () -> true, "x")).isInstanceOf(NullPointerException.class)
                .hasMessage("timeout");
        assertThatThrownBy(() -> Wait.until(WAIT, null, "x")).isInstanceOf(NullPointerException.class)
                .hasMessage("condition");
        assertThatThrownBy(() -> Wait.until(WAIT, () -> true, (String) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("expected");
        assertThatThrownBy(() -> Wait.untilValue(WAIT, () -> 1, null, "x")).isInstanceOf(NullPointerException.class)
                .hasMessage("accepted");
    }

    @Test
    void durationsAreShownAsPeopleWriteThem() {
        assertThat(Wait.format(Duration.ofMillis(250))).isEqualTo("250 ms");
        assertThat(Wait.format(Duration.ofSeconds(30))).isEqualTo("30 s");
        assertThat(Wait.format(Duration.ofMillis(1_500))).isEqualTo("1.5 s");
        assertThat(Wait.format(Duration.ofMinutes(2))).isEqualTo("120 s");
    }

    /** The README's example: a test waits for what another thread writes, on a real database. */
    @Test
    void waitsForRowsThatAnotherThreadWrites() throws Exception {
        DataSource dataSource = PG.dataSource();
        Sql.execute(dataSource, "create table events (id int primary key)");
        ExecutorService background = Executors.newSingleThreadExecutor();
        try {
            Future<?> writer = background.submit(() -> {
                for (int id = 1; id <= 3; id++) {
                    Sql.execute(dataSource, "insert into events values (" + id + ")");
                }
                return null;
            });
            // wait-example: begin
            long rows = Wait.untilValue(Duration.ofSeconds(30), () -> count(dataSource, "events"), n -> n >= 3,
                    "the writer's three events");
            Wait.until(Duration.ofSeconds(30), writer::isDone, "the writer to finish");
            // wait-example: end
            assertThat(rows).isEqualTo(3);
            writer.get();
        } finally {
            background.shutdownNow();
        }
    }

    private static long count(DataSource dataSource, String table) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
