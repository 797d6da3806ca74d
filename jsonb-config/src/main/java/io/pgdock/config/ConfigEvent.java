package io.pgdock.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

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
 * <p><b>Environment overrides.</b> In a store with
 * {@linkplain ConfigOptions.Builder#environmentOverrides(java.util.Map, String) environment overrides}, a change of a
 * key that an environment variable overrides is still delivered (it is a change of the store, which other processes
 * read), with {@link #overriddenBy()} naming the variable: reads through this store keep returning the variable's
 * value, not the event's.
 *
 * @param position the change's position in the store's change log, positive
 * @param change the change, with its new value ({@link ConfigChange#newValue()} is null for a deletion); do not modify
 *     its values
 * @param variable the environment variable that overrides the key in the watching store, or null
 */
public record ConfigEvent(long position, ConfigChange change, @Nullable String variable) {
    /**
     * Checks the parts.
     *
     * @param position the change's position in the store's change log, positive
     * @param change the change, with its new value ({@link ConfigChange#newValue()} is null for a deletion); do not
     *     modify its values
     * @param variable the environment variable that overrides the key in the watching store, or null
     * @throws NullPointerException if change is null
     * @throws IllegalArgumentException if the position is not positive
     */
    public ConfigEvent {
        Objects.requireNonNull(change, "change");
        if (position < 1) {
            throw new IllegalArgumentException("position: must be positive, but was " + position);
        }
    }

    /**
     * An event of a key no environment variable overrides.
     *
     * @param position the change's position in the store's change log, positive
     * @param change the change; do not modify its values
     * @throws NullPointerException if change is null
     * @throws IllegalArgumentException if the position is not positive
     */
    public ConfigEvent(long position, ConfigChange change) {
        this(position, change, null);
    }

    /**
     * The environment variable that overrides the changed key in the store that delivered this event: if present, the
     * change is stored, but reads through that store return the variable's value.
     *
     * @return the variable's name, or empty when reads see this change
     */
    public Optional<String> overriddenBy() {
        return Optional.ofNullable(variable);
    }

    /**
     * This event, marked as overridden by {@code variable}.
     *
     * @param variable the variable's name
     * @return the marked event
     */
    public ConfigEvent overriddenBy(String variable) {
        return new ConfigEvent(position, change, Objects.requireNonNull(variable, "variable"));
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
        return "ConfigEvent[position=" + position + ", " + change + (variable == null ? "" : ", overriddenBy=" + variable)
                + "]";
    }
}
