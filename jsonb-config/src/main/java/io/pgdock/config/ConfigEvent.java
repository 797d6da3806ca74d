package io.pgdock.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.Optional;

/**
 * One change delivered to a {@link ConfigListener}: the recorded {@link ConfigChange} and its position in the store's
 * change log.
 *
 * <p><b>Positions.</b> Every recorded change has a position, unique in the store and growing in the order changes are
 * <i>made</i> (in the PostgreSQL store, {@code config_history.id}). Pass the position of the last event you handled to
 * {@link ConfigStore#watch(String, long, ConfigListener)} to resume. Changes of one key are made one after the other,
 * so their positions follow their versions; changes of different keys made by concurrent transactions may commit in
 * another order than their positions. See {@link ConfigStore#watch(String, long, ConfigListener)} for what that means
 * when resuming.
 *
 * @param position the change's position in the store's change log, positive
 * @param change the change, with its new value ({@link ConfigChange#newValue()} is null for a deletion); do not modify
 *     its values
 */
public record ConfigEvent(long position, ConfigChange change) {
    /**
     * Checks the parts.
     *
     * @param position the change's position in the store's change log, positive
     * @param change the change, with its new value ({@link ConfigChange#newValue()} is null for a deletion); do not
     *     modify its values
     * @throws NullPointerException if change is null
     * @throws IllegalArgumentException if the position is not positive
     */
    public ConfigEvent {
        Objects.requireNonNull(change, "change");
        if (position < 1) {
            throw new IllegalArgumentException("position: must be positive, but was " + position);
        }
    }

    /** @return the scope of the changed key */
    public String scope() {
        return change.scope();
    }

    /** @return the changed key */
    public String key() {
        return change.key();
    }

    /** @return the version the change produced; for a deletion, the version that was deleted */
    public long version() {
        return change.version();
    }

    /** @return whether the key was deleted */
    public boolean deleted() {
        return change.kind() == ConfigChange.Kind.DELETE;
    }

    /** @return the new value, or empty for a deletion */
    public Optional<JsonNode> value() {
        return change.after();
    }

    /** Names the event without its values, which may be secrets. */
    @Override
    public String toString() {
        return "ConfigEvent[position=" + position + ", " + change + "]";
    }
}
