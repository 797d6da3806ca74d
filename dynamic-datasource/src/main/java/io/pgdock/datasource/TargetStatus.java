package io.pgdock.datasource;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one live target of a {@link DataSourceFactory}, as listed by {@link DataSourceFactory#targets()}.
 *
 * @param target the target's label (see {@link FactoryEvent#target()})
 * @param spec the target's spec; its {@code toString()} masks the password
 * @param state whether the target has answered, has not been tried, or is failing
 * @param pool the pool's connection counts
 * @param idle time since a connection was last asked of this target
 * @param lastError the message of the failure that put the target in {@link State#FAILED}; null in the other states
 */
public record TargetStatus(String target, ConnectionSpec spec, State state, Health.PoolStats pool, Duration idle,
        @Nullable String lastError) {

    /** What the factory knows of a target. */
    public enum State {
        /** Created, not yet connected: pools start lazily. */
        NEW,
        /** Connected successfully; connections are lent. */
        READY,
        /** The last attempt to connect failed; until the back-off ends, callers get that failure without a new attempt. */
        FAILED
    }

    /**
     * Checks the required components.
     *
     * @param target the target's label (see {@link FactoryEvent#target()})
     * @param spec the target's spec; its {@code toString()} masks the password
     * @param state whether the target has answered, has not been tried, or is failing
     * @param pool the pool's connection counts
     * @param idle time since a connection was last asked of this target
     * @param lastError the message of the failure that put the target in {@link State#FAILED}; null in the other states
     * @throws NullPointerException naming a null required component
     */
    public TargetStatus {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(idle, "idle");
    }
}
