package io.pgdock.datasource;

/**
 * Receives a pooled {@link DataSourceFactory}'s lifecycle events: a pool created, a target failed, a password rotated, a
 * pool evicted, a pool closed. Register listeners with {@link FactoryOptions.Builder#listener(FactoryListener)}.
 *
 * <p>Events are delivered one at a time, in the order they happened (a pool's CREATED before its EVICTED or ROTATED,
 * those before its CLOSED), on a thread of the factory's callers or its housekeeping thread (not always the thread that
 * caused the event), and never while the factory holds its lock, so a listener may call the factory. A listener should
 * be quick: while it runs, other events wait. An exception thrown by a listener is logged and otherwise ignored: it never
 * fails the caller or stops other listeners.
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
