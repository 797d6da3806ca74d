package io.pgdock.datasource;

/**
 * Receives a pooled {@link DataSourceFactory}'s lifecycle events: a pool created, a target failed, a password rotated, a
 * pool evicted, a pool closed. Register listeners with {@link FactoryOptions.Builder#listener(FactoryListener)}.
 *
 * <p>Events are delivered on the thread that caused them (a caller of {@code get}, a borrower, or the factory's
 * housekeeping thread), so a listener must be quick and thread-safe. An exception thrown by a listener is logged and
 * otherwise ignored: it never fails the caller or stops other listeners.
 */
@FunctionalInterface
public interface FactoryListener {
    /**
     * Called once per event.
     *
     * @param event what happened
     */
    void onEvent(FactoryEvent event);
}
