package io.pgdock.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A point in time to wait until, for the fixtures that start processes and check on them and for {@link Wait}: loop on
 * the condition, and {@link #pause()} between checks until {@link #passed()}. The pause is short, so the wait ends soon
 * after the condition holds; it is never how long the wait is.
 *
 * <p>Not thread-safe; each wait makes its own.
 */
final class Deadline {

    /** The longest pause between two checks of a condition. */
    static final Duration POLL_INTERVAL = Duration.ofMillis(25);

    private final long deadlineNanos;

    private Deadline(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /** A deadline {@code timeout} from now. */
    static Deadline after(Duration timeout) {
        return new Deadline(System.nanoTime() + timeout.toNanos());
    }

    /** Whether the deadline has passed. */
    boolean passed() {
        return System.nanoTime() - deadlineNanos >= 0;
    }

    /** What is left until the deadline, zero once it has passed. */
    Duration remaining() {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    /** Pauses briefly before the next check of a condition: at most 25 ms, never past the deadline. */
    void pause() {
        pause(POLL_INTERVAL);
    }

    /**
     * Pauses for {@code atMost}, never past the deadline. An interrupt ends the pause early and stays set, for the caller
     * to see.
     */
    void pause(Duration atMost) {
        LockSupport.parkNanos(Math.min(atMost.toNanos(), remaining().toNanos()));
    }
}
