package io.pgdock.datasource;

/**
 * A source of elapsed time in nanoseconds, as {@link System#nanoTime()} gives it: only differences between two readings
 * mean anything. The factory reads it to decide when a pool has been idle long enough to evict, when a failed target may
 * be tried again, and when a draining pool must be closed; tests pass a ticker they advance by hand, so none of that needs
 * a sleep.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Ticker {
    /**
     * Reads the ticker.
     *
     * @return nanoseconds since some fixed, arbitrary origin
     */
    long read();

    /**
     * The ticker backed by {@link System#nanoTime()}.
     *
     * @return the system ticker
     */
    static Ticker system() {
        return System::nanoTime;
    }
}
