package io.pgdock.config;

import io.pgdock.config.store.ConfigKeys;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link ConfigPolicy#verifyHistory(String)} found: how many keys and history rows it checked and the broken
 * links, first first. Immutable and thread-safe.
 *
 * <p>Keys are checked in (scope, key) order and each key's rows oldest first; a key is reported once, at its first
 * broken link (its later rows cannot be judged once a link is gone). At most 100 breaks are listed;
 * {@link #brokenKeys()} counts them all.
 *
 * @param keys keys checked (with history rows, or with a current value)
 * @param rows history rows checked
 * @param brokenKeys keys with a broken link
 * @param breaks the first broken link of each broken key, at most 100, in (scope, key) order
 */
public record HistoryVerification(long keys, long rows, long brokenKeys, List<Break> breaks) {
    /**
     * Checks the counts and copies the list.
     *
     * @param keys keys checked
     * @param rows history rows checked
     * @param brokenKeys keys with a broken link
     * @param breaks the first broken link of each broken key, at most 100
     * @throws IllegalArgumentException if a count is negative, or fewer keys are counted broken than listed
     */
    public HistoryVerification {
        breaks = List.copyOf(breaks);
        if (keys < 0 || rows < 0 || brokenKeys < breaks.size() || brokenKeys > keys) {
            throw new IllegalArgumentException("counts: keys=" + keys + ", rows=" + rows + ", brokenKeys=" + brokenKeys
                    + ", breaks listed=" + breaks.size());
        }
    }

    /**
     * Whether every link held: no row was edited, removed, inserted or reordered, as far as the chain can tell.
     *
     * @return true if nothing is broken
     */
    public boolean intact() {
        return brokenKeys == 0;
    }

    /**
     * The first broken link, in (scope, key, version) order.
     *
     * @return the first break, or empty if the history is intact
     */
    public Optional<Break> firstBreak() {
        return breaks.isEmpty() ? Optional.empty() : Optional.of(breaks.get(0));
    }

    /** What is wrong at a broken link. */
    public enum Problem {
        /** The row's contents do not give its hash: it was edited after it was written. */
        ROW_CHANGED,
        /** The row does not link to the one before it: a row was removed or inserted before it, or rows reordered. */
        LINK_BROKEN,
        /** The row links correctly but cannot follow the row before it (version, kind or old value). */
        OUT_OF_SEQUENCE,
        /** The row has no hash: it was inserted while the store's triggers were disabled. */
        UNCHAINED,
        /** The key's current value is not what its newest history row recorded, or a live key has no history. */
        ENTRY_MISMATCH
    }

    /**
     * The first broken link of one key. Names the row, never its values (they may be secrets).
     *
     * @param scope the scope
     * @param key the config key
     * @param version the version of the row (or current value) where the chain breaks
     * @param problem what is wrong
     * @param detail what was found, in a sentence
     */
    public record Break(String scope, String key, long version, Problem problem, String detail) {
        /**
         * Checks the parts are present.
         *
         * @param scope the scope
         * @param key the config key
         * @param version the version where the chain breaks
         * @param problem what is wrong
         * @param detail what was found
         * @throws NullPointerException if a part is null
         */
        public Break {
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(problem, "problem");
            Objects.requireNonNull(detail, "detail");
        }

        /** For example {@code config key "db.url" in scope "prod", version 3: ROW_CHANGED (...)}. */
        @Override
        public String toString() {
            return "config key " + ConfigKeys.describe(scope, key) + ", version " + version + ": " + problem + " ("
                    + detail + ")";
        }
    }
}
