package io.pgdock.core;

/**
 * A source of elapsed time in nanoseconds, as {@link System#nanoTime()} gives it: only the difference between two
 * readings means anything. pgdock's modules read it wherever they measure elapsed time (a health check's latency and
 * round trip) or check a deadline to decide whether something is due (the dynamic factory's idle eviction, failure
 * back-off and drain deadlines; the config store's heartbeats and the retry of its cache's listening connection), so
 * that a test can pass a ticker it advances by hand instead of sleeping:
 * <pre>{@code
 * AtomicLong nanos = new AtomicLong();
 * Ticker fake = nanos::get;
 * FactoryOptions options = FactoryOptions.builder().ticker(fake).build();
 * ...
 * nanos.addAndGet(Duration.ofMinutes(11).toNanos());   // eleven minutes later, at once
 * }</pre>
 *
 * <p>A ticker measures time; it never makes a thread wait. Where pgdock blocks (for a connection, a login, a query, a
 * permit, between two connection attempts, during a reconnection back-off), it blocks in real time, bounded by the
 * timeouts in the options, so a fake ticker can neither hang nor shorten those waits. What is checked against a ticker
 * that stands still is never due: a fake one must be advanced for a pool to be evicted or a heartbeat to run.
 *
 * <p>Options take one with {@code ticker(Ticker)} ({@link StorageOptions.Builder#ticker(Ticker)}, the config store's
 * and the dynamic factory's options); the default is {@link #system()}.
 *
 * <p>Implementations must be thread-safe, and their readings must never decrease.
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
     * The ticker backed by {@link System#nanoTime()}; the same instance on every call.
     *
     * @return the system ticker
     */
    static Ticker system() {
        return SystemTicker.INSTANCE;
    }
}
