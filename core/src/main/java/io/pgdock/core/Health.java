package io.pgdock.core;

import io.pgdock.core.ConnectionFailedException.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one health check, like {@code pg_isready} plus pool statistics: up or down, the round-trip latency of a
 * trivial query, the server version and the pool's counts. Produced by {@link Storage#health()}, which never throws:
 * a failure is reported as {@link Status#DOWN} with an {@link #error()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Health {
    /** Whether the server answered in time. */
    public enum Status {
        /** The server answered the check query within the timeout. */
        UP,
        /** The server did not answer, or answered with an error, within the timeout. */
        DOWN
    }

    /**
     * Connection counts of a pool at the time of a check.
     *
     * @param active connections lent out
     * @param idle connections open and waiting to be lent
     * @param waiting threads waiting for a connection
     * @param total open connections ({@code active + idle})
     * @param maximum the pool's maximum size
     */
    public record PoolStats(int active, int idle, int waiting, int total, int maximum) {
    }

    private final Status status;
    private final Duration latency;
    private final @Nullable String serverVersion;
    private final PoolStats pool;
    private final @Nullable Reason reason;
    private final @Nullable String error;
    private final Instant checkedAt;

    private Health(Status status, Duration latency, @Nullable String serverVersion, PoolStats pool,
            @Nullable Reason reason, @Nullable String error, Instant checkedAt) {
        this.status = status;
        this.latency = latency;
        this.serverVersion = serverVersion;
        this.pool = pool;
        this.reason = reason;
        this.error = error;
        this.checkedAt = checkedAt;
    }

    /**
     * A successful check.
     *
     * @param latency the round trip of the check query
     * @param serverVersion the server's {@code server_version}
     * @param pool the pool's counts
     * @param checkedAt when the check started
     * @return the result
     */
    public static Health up(Duration latency, String serverVersion, PoolStats pool, Instant checkedAt) {
        return new Health(Status.UP, Objects.requireNonNull(latency, "latency"),
                Objects.requireNonNull(serverVersion, "serverVersion"), Objects.requireNonNull(pool, "pool"), null, null,
                Objects.requireNonNull(checkedAt, "checkedAt"));
    }

    /**
     * A failed check whose cause has no {@link Reason} (the storage was closed, say).
     *
     * @param elapsed how long the check took before it failed or gave up
     * @param error what went wrong, without secrets
     * @param pool the pool's counts
     * @param checkedAt when the check started
     * @return the result
     */
    public static Health down(Duration elapsed, String error, PoolStats pool, Instant checkedAt) {
        return new Health(Status.DOWN, Objects.requireNonNull(elapsed, "elapsed"), null,
                Objects.requireNonNull(pool, "pool"), null, Objects.requireNonNull(error, "error"),
                Objects.requireNonNull(checkedAt, "checkedAt"));
    }

    /**
     * A failed check, with the reason a connection failed, as {@link ConnectionFailedException#reason()} gives it.
     *
     * @param elapsed how long the check took before it failed or gave up
     * @param reason why it failed
     * @param error what went wrong and what to check, without secrets
     * @param pool the pool's counts
     * @param checkedAt when the check started
     * @return the result
     */
    public static Health down(Duration elapsed, Reason reason, String error, PoolStats pool, Instant checkedAt) {
        return new Health(Status.DOWN, Objects.requireNonNull(elapsed, "elapsed"), null,
                Objects.requireNonNull(pool, "pool"), Objects.requireNonNull(reason, "reason"),
                Objects.requireNonNull(error, "error"), Objects.requireNonNull(checkedAt, "checkedAt"));
    }

    /**
     * Up or down.
     *
     * @return the status
     */
    public Status status() {
        return status;
    }

    /**
     * True when {@link #status()} is {@link Status#UP}.
     *
     * @return whether the server answered
     */
    public boolean isUp() {
        return status == Status.UP;
    }

    /**
     * When up, the round trip of the check query on its fresh connection (connecting excluded); when down, the time
     * spent before giving up.
     *
     * @return the latency
     */
    public Duration latency() {
        return latency;
    }

    /**
     * The server version, for example {@code "17.7"}, when up.
     *
     * @return the version, or empty when down
     */
    public Optional<String> serverVersion() {
        return Optional.ofNullable(serverVersion);
    }

    /**
     * The pool's counts at the end of the check.
     *
     * @return the pool statistics
     */
    public PoolStats pool() {
        return pool;
    }

    /**
     * Why the check failed, when it is down because a connection failed or did not answer in time: for example
     * {@link Reason#UNREACHABLE} for a server that did not answer within the timeout, {@link Reason#AUTHENTICATION} for
     * a password it refused.
     *
     * @return the reason; empty when up, or when the failure has none (the storage was closed)
     */
    public Optional<Reason> reason() {
        return Optional.ofNullable(reason);
    }

    /**
     * What went wrong, when down.
     *
     * @return the error, or empty when up
     */
    public Optional<String> error() {
        return Optional.ofNullable(error);
    }

    /**
     * When the check started.
     *
     * @return the instant
     */
    public Instant checkedAt() {
        return checkedAt;
    }

    /** For example {@code UP in 0.8 ms, PostgreSQL 17.7, pool 1 active / 2 idle / 0 waiting (max 10)}. */
    @Override
    public String toString() {
        String poolText = "pool " + pool.active() + " active / " + pool.idle() + " idle / " + pool.waiting()
                + " waiting (max " + pool.maximum() + ")";
        String ms = String.format(java.util.Locale.ROOT, "%.1f ms", latency.toNanos() / 1e6);
        return status == Status.UP
                ? "UP in " + ms + ", PostgreSQL " + serverVersion + ", " + poolText
                : "DOWN after " + ms + ": " + error + ", " + poolText;
    }
}
