package io.pgdock.testing;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Waits in a test until something holds, with a deadline: the way to wait for what another thread, a pool's
 * housekeeping, a {@code LISTEN} connection or another process does, instead of a sleep.
 *
 * <pre>{@code
 * Wait.until(Duration.ofSeconds(30), () -> pool.idleConnections() == 0, "the pool to close its idle connections");
 * long rows = Wait.untilValue(Duration.ofSeconds(30), () -> countRows(dataSource), n -> n >= 3, "three rows");
 * }</pre>
 *
 * <p>The check runs at once and then again after short pauses that grow from 1 ms to 25 ms, so a wait ends soon after
 * the condition starts to hold and a slow check does not run in a tight loop; no pause reaches past the deadline. The
 * check runs once more when the deadline has passed, so a condition that holds by then is not reported as a failure.
 * The timeout only bounds a wait that would otherwise hang: set it generously (tens of seconds) and never read it as a
 * measurement.
 *
 * <p>What a check may do:
 * <ul>
 *   <li>return normally: the condition holds (or the value is accepted) and the wait ends, or it does not and the wait
 *       goes on;
 *   <li>throw an {@link Exception}: the condition is not met yet (a server that is starting refuses connections for a
 *       while); the wait goes on, and the last such exception becomes the cause of the failure if time runs out;
 *   <li>throw an {@link Error}, such as an {@link AssertionError}: the wait ends at once and the error propagates, so a
 *       check can stop a wait that can no longer succeed (a worker that has died) instead of letting it run out.
 * </ul>
 *
 * <p>When time runs out the wait fails with an {@link AssertionError} whose message names what was awaited, the timeout,
 * how many checks ran and what the last of them saw: the last value (for {@link #untilValue untilValue}) and the last
 * exception, which is also the error's cause. An interrupt of the waiting thread ends the wait with an
 * {@link AssertionError} and leaves the thread's interrupt status set.
 *
 * <p>Thread safety: stateless; any number of threads may wait at once. A check runs on the thread that waits, never on
 * another one, so it may use that thread's connection or transaction.
 */
public final class Wait {

    /** The first pause between two checks; each following pause doubles, up to {@link Deadline#POLL_INTERVAL}. */
    private static final Duration FIRST_PAUSE = Duration.ofMillis(1);

    /** The most of a value's text that a failure message quotes. */
    private static final int MAX_VALUE_CHARS = 2_000;

    private Wait() {
    }

    /**
     * A condition that a test waits for, checked once per call.
     */
    @FunctionalInterface
    public interface Condition {
        /**
         * Checks the condition once.
         *
         * @return whether it holds
         * @throws Exception if it cannot be checked now; the wait goes on (see {@link Wait})
         */
        boolean holds() throws Exception;
    }

    /**
     * Waits until {@code condition} holds.
     *
     * @param timeout how long to wait at most; zero checks once
     * @param condition what to wait for
     * @param expected what the condition means, for the failure message: "the listener to reconnect"
     * @throws AssertionError if the condition does not hold within {@code timeout}, naming {@code expected}, the timeout
     *     and the last exception of the check (also the cause), if it threw one; or whatever {@link Error} the check
     *     threw
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public static void until(Duration timeout, Condition condition, String expected) {
        Objects.requireNonNull(expected, "expected");
        until(timeout, condition, () -> expected);
    }

    /**
     * Waits until {@code condition} holds, describing what was expected only if it does not: {@code expected} may say
     * what the state was by then ("no session left; open: " + sessions()).
     *
     * @param timeout how long to wait at most; zero checks once
     * @param condition what to wait for
     * @param expected what the condition means, for the failure message; called only if the wait fails
     * @throws AssertionError if the condition does not hold within {@code timeout} (see
     *     {@link #until(Duration, Condition, String)}); or whatever {@link Error} the check threw
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public static void until(Duration timeout, Condition condition, Supplier<String> expected) {
        Objects.requireNonNull(condition, "condition");
        poll(timeout, condition::holds, Boolean::booleanValue, expected, false);
    }

    /**
     * Waits until {@code probe} returns a value that {@code accepted} accepts, and returns that value.
     *
     * @param <T> the type of the value
     * @param timeout how long to wait at most; zero probes once
     * @param probe reads the value; may return {@code null}, which {@code accepted} is then asked about
     * @param accepted whether a value is the one waited for
     * @param expected what the accepted value means, for the failure message: "the cache to see version 3"
     * @return the first accepted value
     * @throws AssertionError if no accepted value arrives within {@code timeout}, naming {@code expected}, the timeout,
     *     the last value the probe returned and the last exception it threw (also the cause); or whatever
     *     {@link Error} the probe or {@code accepted} threw
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public static <T> T untilValue(Duration timeout, Callable<? extends T> probe, Predicate<? super T> accepted,
            String expected) {
        Objects.requireNonNull(probe, "probe");
        Objects.requireNonNull(accepted, "accepted");
        Objects.requireNonNull(expected, "expected");
        return poll(timeout, probe, accepted, () -> expected, true);
    }

    private static <T> T poll(Duration timeout, Callable<? extends T> probe, Predicate<? super T> accepted,
            Supplier<String> expected, boolean reportValue) {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(expected, "expected");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, but was " + timeout);
        }
        Deadline deadline = Deadline.after(timeout);
        Duration pause = FIRST_PAUSE;
        long checks = 0;
        boolean sawValue = false;
        T lastValue = null;
        Exception lastFailure = null;
        long lastFailureCheck = 0;
        while (true) {
            boolean last = deadline.passed();
            checks++;
            try {
                T value = probe.call();
                sawValue = true;
                lastValue = value;
                if (accepted.test(value)) {
                    return value;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + describe(expected), e);
            } catch (Exception e) {
                lastFailure = e;
                lastFailureCheck = checks;
            }
            if (last) {
                throw timedOut(timeout, expected, checks, reportValue, sawValue, lastValue, lastFailure,
                        lastFailureCheck);
            }
            deadline.pause(pause);
            if (Thread.currentThread().isInterrupted()) {
                throw new AssertionError("interrupted while waiting for " + describe(expected), lastFailure);
            }
            Duration doubled = pause.multipliedBy(2);
            pause = doubled.compareTo(Deadline.POLL_INTERVAL) < 0 ? doubled : Deadline.POLL_INTERVAL;
        }
    }

    private static AssertionError timedOut(Duration timeout, Supplier<String> expected, long checks,
            boolean reportValue, boolean sawValue, @Nullable Object lastValue, @Nullable Exception lastFailure,
            long lastFailureCheck) {
        StringBuilder m = new StringBuilder("Timed out after ").append(format(timeout)).append(" waiting for ")
                .append(describe(expected)).append(" (").append(checks).append(checks == 1 ? " check" : " checks");
        if (!reportValue) {
            m.append(", none held)");
        } else if (sawValue) {
            m.append("); last value: ").append(quote(lastValue));
        } else {
            m.append(", none returned a value)");
        }
        if (lastFailure != null) {
            m.append("; last exception");
            if (lastFailureCheck != checks) {
                m.append(" (check ").append(lastFailureCheck).append(')');
            }
            m.append(": ").append(lastFailure);
        }
        return new AssertionError(m.toString(), lastFailure);
    }

    private static String describe(Supplier<String> expected) {
        try {
            return String.valueOf(expected.get());
        } catch (RuntimeException e) {
            return "(the description failed: " + e + ")";
        }
    }

    /** The value as a message shows it: arrays by their elements, long text cut. */
    private static String quote(@Nullable Object value) {
        String text = Arrays.deepToString(new Object[] {value});
        text = text.substring(1, text.length() - 1);
        if (text.length() > MAX_VALUE_CHARS) {
            return text.substring(0, MAX_VALUE_CHARS) + "... (" + (text.length() - MAX_VALUE_CHARS) + " more characters)";
        }
        return text;
    }

    /** "250 ms", "30 s", "1.5 s". */
    static String format(Duration d) {
        long millis = d.toMillis();
        if (millis < 1_000) {
            return millis + " ms";
        }
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + " s";
    }
}
