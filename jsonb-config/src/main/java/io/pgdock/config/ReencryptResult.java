package io.pgdock.config;

/**
 * What {@link ConfigPolicy#reencrypt(String)} rewrote: how many current values were written as new versions
 * under the current key, and how many history rows had their secrets re-encrypted in place. Immutable and thread-safe.
 *
 * @param values current values rewritten, each as a new version through the normal write path
 * @param historyRows history rows whose {@code old_value} and/or {@code new_value} were re-encrypted in place
 */
public record ReencryptResult(int values, long historyRows) {
    /**
     * Checks the counts.
     *
     * @param values current values rewritten, at least 0
     * @param historyRows history rows rewritten, at least 0
     * @throws IllegalArgumentException if a count is negative
     */
    public ReencryptResult {
        if (values < 0 || historyRows < 0) {
            throw new IllegalArgumentException("values and historyRows must be at least 0, but were " + values + " and "
                    + historyRows);
        }
    }

    /**
     * Both counts together; 0 means nothing was left under another key, so the old keys may be retired.
     *
     * @return {@code values + historyRows}
     */
    public long total() {
        return values + historyRows;
    }
}
