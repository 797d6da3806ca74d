package io.pgdock.spring;

import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEvent;

/**
 * Published when the config store's watch behind the {@link ConfigStorePropertySource} stops delivering changes and
 * when it delivers again, so that a property source that no longer hears changes never looks as if it did.
 *
 * <p>The watch stops at a gap: its listening connection broke, the server restarted, or the storage was closed. From
 * then on the properties keep their last values, the {@code pgdockPropertySource} health contributor is DOWN with the
 * problem in its details, and a warning is logged. The store keeps reconnecting; once it has, it delivers the changes
 * made meanwhile (they are applied and published as usual), and this event is published again with
 * {@link #isLive()} true. Published from pgdock's refresh thread, in order with {@link ConfigStoreChangedEvent}s.
 * Immutable.
 */
public final class ConfigStoreWatchEvent extends ApplicationEvent {
    private static final long serialVersionUID = 1L;

    /** Whether changes are delivered again (true) or have stopped (false). */
    private final boolean live;
    /** Why changes stopped, without values; null when live. */
    private final @Nullable String problem;

    /**
     * Creates the event.
     *
     * @param source the property source
     * @param live whether changes are delivered again (true) or have stopped (false)
     * @param problem why they stopped, without values; null when live
     */
    public ConfigStoreWatchEvent(ConfigStorePropertySource source, boolean live, @Nullable String problem) {
        super(source);
        this.live = live;
        this.problem = problem;
    }

    /** @return the property source */
    @Override
    public ConfigStorePropertySource getSource() {
        return (ConfigStorePropertySource) super.getSource();
    }

    /** @return whether changes are delivered again (true) or have stopped (false) */
    public boolean isLive() {
        return live;
    }

    /** @return why changes stopped; empty when live */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    @Override
    public String toString() {
        return "ConfigStoreWatchEvent[" + (live ? "live" : "interrupted: " + problem) + "]";
    }
}
