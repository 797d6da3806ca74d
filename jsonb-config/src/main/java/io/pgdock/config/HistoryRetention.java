package io.pgdock.config;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How much history a store keeps per key. The current value is never removed; only history rows older than the limits
 * are, when a key is written. Immutable.
 *
 * @param latestVersions how many of a key's most recent changes to keep; 0 for no limit
 * @param maxAge how old a change may get before it is removed; null for no limit
 */
public record HistoryRetention(int latestVersions, @Nullable Duration maxAge) {
    private static final HistoryRetention ALL = new HistoryRetention(0, null);

    /**
     * Validates the limits.
     *
     * @param latestVersions how many of a key's most recent changes to keep; 0 for no limit
     * @param maxAge how old a change may get before it is removed; null for no limit
     * @throws IllegalArgumentException if a limit is negative
     */
    public HistoryRetention {
        if (latestVersions < 0) {
            throw new IllegalArgumentException("latestVersions: must be 0 (no limit) or more, but was " + latestVersions);
        }
        if (maxAge != null && (maxAge.isNegative() || maxAge.isZero())) {
            throw new IllegalArgumentException("maxAge: must be positive, but was " + maxAge);
        }
    }

    /** @return keep every change (the default) */
    public static HistoryRetention all() {
        return ALL;
    }

    /**
     * @param versions how many of each key's latest changes to keep, at least 1
     * @return the retention
     */
    public static HistoryRetention latest(int versions) {
        if (versions < 1) {
            throw new IllegalArgumentException("versions: must be at least 1, but was " + versions);
        }
        return new HistoryRetention(versions, null);
    }

    /**
     * @param age how long to keep changes
     * @return the retention
     */
    public static HistoryRetention within(Duration age) {
        return new HistoryRetention(0, Objects.requireNonNull(age, "age"));
    }

    /** @return whether this keeps everything */
    public boolean keepsAll() {
        return latestVersions == 0 && maxAge == null;
    }
}
