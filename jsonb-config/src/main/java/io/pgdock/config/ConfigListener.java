package io.pgdock.config;

/**
 * Receives the changes of a {@link ConfigStore#watch(String, ConfigListener) watch}.
 *
 * <p>Calls for one subscription are made one at a time, from a thread of the store's (never the thread that calls
 * {@code watch}), in a fixed order: the changes of one key in version order (a deletion of version {@code n} after
 * version {@code n} itself and before version {@code n + 1}), each change at most once. A listener that throws is logged
 * and keeps its subscription. Listeners of one store share that thread: keep them short, and hand slow work to an
 * executor of yours.
 *
 * <p>When the store loses its notifications (its listening connection broke, or the server restarted), it calls
 * {@link #onGap(Exception)} at once, keeps trying to reconnect, then delivers the changes made meanwhile from the
 * history, and calls {@link #onCaughtUp()}. Changes are never silently missed; but changes that history retention
 * removed before the store could read them are not delivered (a later change of the same key always is).
 */
@FunctionalInterface
public interface ConfigListener {
    /**
     * A change under the watched prefix.
     *
     * @param event the change
     */
    void onChange(ConfigEvent event);

    /**
     * Notifications stopped: changes made from now on are delivered late, after {@link #onCaughtUp()}'s reconnect.
     * The default does nothing.
     *
     * @param cause why, without values
     */
    default void onGap(Exception cause) {
    }

    /**
     * Notifications are flowing again after a {@link #onGap(Exception) gap}, and the changes made during the gap have
     * been delivered. The default does nothing.
     */
    default void onCaughtUp() {
    }
}
