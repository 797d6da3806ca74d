package io.pgdock.config;

/**
 * A running {@link ConfigStore#watch(String, ConfigListener) watch}. Close it to stop deliveries; once {@link #close()}
 * returns, the listener is not called again (unless {@code close} is called from the listener itself, in which case
 * the call under way finishes). Thread-safe.
 */
public interface ConfigSubscription extends AutoCloseable {
    /**
     * The position of the last change delivered, for {@link ConfigStore#watch(String, long, ConfigListener)}.
     *
     * @return the position, or the position the watch started after if nothing was delivered yet (0 for a watch of live
     *     changes only)
     */
    long position();

    /** @return whether the subscription is open */
    boolean isOpen();

    /** Stops deliveries. Idempotent. */
    @Override
    void close();
}
