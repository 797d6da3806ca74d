package io.pgdock.datasource;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * One lifecycle event of a pooled {@link DataSourceFactory}, as given to a {@link FactoryListener}.
 *
 * @param type what happened
 * @param target the target's label: the name it was first asked for by, or {@code user@host:port/database} for a target
 *     asked for by spec ({@code #2}, {@code #3}... appended while another live pool has the label). A pool that replaces
 *     another after a password change keeps its label. Labels are few (one per live pool), so they suit metric tags
 * @param pool the pool's number, distinct for every pool a factory makes: tells apart the pools that carry one label
 *     over time
 * @param spec the target's connection spec; its {@code toString()} masks the password
 * @param detail a sentence for logs: the reason for an eviction, the error of a failure; never a password
 * @param at when it happened, by the factory's clock
 * @param stats live pool counts of this pool (the same supplier in every event of one pool); zeros once it is closed.
 *     Being a live view, it takes part in {@code equals} by identity: two events are equal only if they name one pool
 */
public record FactoryEvent(Type type, String target, long pool, ConnectionSpec spec, String detail, Instant at,
        Supplier<Health.PoolStats> stats) {

    /** Kinds of event. */
    public enum Type {
        /** A pool was created for a target (lazily: it holds no connection yet). */
        CREATED,
        /** Connecting to a target failed; it is refused without a new attempt until the failure back-off ends. */
        FAILED,
        /** A target that had failed answered again. */
        RECOVERED,
        /**
         * A spec that differs from a live one only by its password arrived; the old pool stops lending and drains, and
         * its borrowers move to the new pool. The event names the old pool.
         */
        ROTATED,
        /** A pool was retired: idle for the idle TTL, or least recently used when a limit was hit. It drains, then closes. */
        EVICTED,
        /**
         * A retired pool was closed: drained, or forced when the drain deadline passed (the detail says which), or the
         * factory was closed.
         */
        CLOSED
    }

    /**
     * Checks that no component is null.
     *
     * @param type what happened
     * @param target the target's label: the name it was first asked for by, or {@code user@host:port/database} for a
     *     target asked for by spec ({@code #2}, {@code #3}... appended while another live pool has the label). A pool
     *     that replaces another after a password change keeps its label. Labels are few (one per live pool), so they
     *     suit metric tags
     * @param pool the pool's number, distinct for every pool a factory makes: tells apart the pools that carry one
     *     label over time
     * @param spec the target's connection spec; its {@code toString()} masks the password
     * @param detail a sentence for logs: the reason for an eviction, the error of a failure; never a password
     * @param at when it happened, by the factory's clock
     * @param stats live pool counts of this pool (the same supplier in every event of one pool); zeros once it is
     *     closed. Being a live view, it takes part in {@code equals} by identity: two events are equal only if they
     *     name one pool
     * @throws NullPointerException naming the null component
     */
    public FactoryEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(stats, "stats");
    }

    /** The event for a log line: type, target, masked spec and detail. */
    @Override
    public String toString() {
        return "FactoryEvent[" + type + " " + target + " pool " + pool + " (" + spec + "): " + detail + " at " + at + "]";
    }
}
