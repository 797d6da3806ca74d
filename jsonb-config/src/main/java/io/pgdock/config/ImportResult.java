package io.pgdock.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.json.JsonPatches;
import io.pgdock.config.store.ConfigKeys;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What an import did, or in a dry run would do: one {@link Item} per entry of the document, in key order.
 * {@link #diff()} prints it for people, with secrets shown as {@code "***"}.
 *
 * <p>Immutable and thread-safe, as long as nobody modifies the {@code JsonNode} values it holds.
 *
 * @param scope the scope imported into
 * @param dryRun whether nothing was written
 * @param items one per imported key, in key order
 */
public record ImportResult(String scope, boolean dryRun, List<Item> items) {
    /** The longest value text {@link #diff()} prints; longer values are cut, saying how long they are. */
    static final int MAX_SHOWN = 1000;

    /** What happened to one key. */
    public enum Action {
        /** The key did not exist and was written. */
        ADDED,
        /** The key existed with another value and was overwritten or merged into. */
        CHANGED,
        /** The key already had the resulting value; nothing was written. */
        UNCHANGED,
        /** The key existed with another value and was kept (conflict mode SKIP). */
        SKIPPED,
        /** The key exists with another value (conflict mode FAIL; reported by dry runs only, a real import throws). */
        CONFLICT
    }

    /**
     * One key of the import.
     *
     * @param key the key
     * @param action what happened
     * @param before the stored value before the import, or null if the key did not exist
     * @param imported the value in the document
     * @param after the value after the import (for a dry run: that it would have)
     * @param version the key's version after the import; 0 when the key is new and nothing was written
     */
    public record Item(String key, Action action, @Nullable JsonNode before, JsonNode imported, JsonNode after,
            long version) {
        /**
         * Checks the parts are present.
         *
         * @param key the key
         * @param action what happened
         * @param before the stored value before the import, or null if the key did not exist
         * @param imported the value in the document
         * @param after the value after the import (for a dry run: that it would have)
         * @param version the key's version after the import; 0 when the key is new and nothing was written
         * @throws NullPointerException if key, action, imported or after is null
         */
        public Item {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(imported, "imported");
            Objects.requireNonNull(after, "after");
        }

        /** Names the key and the action, without values. */
        @Override
        public String toString() {
            return "Item[key=\"" + key + "\", action=" + action + ", version=" + version + "]";
        }

        /** One line of the diff. */
        String line() {
            String k = ConfigKeys.show(key);
            return switch (action) {
                case ADDED -> "added     " + k + " = " + shown(after);
                case CHANGED -> "changed   " + k + ": " + shown(before) + " -> " + shown(after);
                case UNCHANGED -> "unchanged " + k + " = " + shown(after);
                case SKIPPED -> "skipped   " + k + ": keeps " + shown(before) + " (the document has " + shown(imported)
                        + ")";
                case CONFLICT -> "conflict  " + k + ": is " + shown(before) + ", the document has " + shown(imported);
            };
        }

        private static String shown(@Nullable JsonNode value) {
            return value == null ? "(absent)" : JsonPatches.redacted(value, MAX_SHOWN);
        }
    }

    /**
     * Copies the list.
     *
     * @param scope the scope imported into
     * @param dryRun whether nothing was written
     * @param items one per imported key, in key order
     * @throws NullPointerException if a part is null
     */
    public ImportResult {
        Objects.requireNonNull(scope, "scope");
        items = List.copyOf(items);
    }

    /**
     * How many keys had {@code action}.
     *
     * @param action the action
     * @return the count
     */
    public long count(Action action) {
        return items.stream().filter(i -> i.action() == action).count();
    }

    /**
     * The keys that had {@code action}, in key order: for a summary that names, say, the conflicts without their
     * values.
     *
     * @param action the action
     * @return the keys
     */
    public List<String> keys(Action action) {
        return items.stream().filter(i -> i.action() == action).map(Item::key).toList();
    }

    /**
     * The diff, one line per key in key order, values as compact JSON with every secret shown as {@code "***"} and
     * values longer than 1000 characters cut:
     * <pre>
     * added     "ingest.batch_size" = 5000
     * changed   "ingest.limits": {"max":5} -&gt; {"max":7}
     * unchanged "ingest.mode" = "fast"
     * skipped   "ingest.owner": keeps "ops" (the document has "dev")
     * conflict  "db.password": is "***", the document has "***"
     * </pre>
     *
     * @return the lines, each ending with a newline
     */
    public String diff() {
        StringBuilder out = new StringBuilder();
        for (Item item : items) {
            out.append(item.line()).append('\n');
        }
        return out.toString();
    }

    /** Counts per action, without values. */
    @Override
    public String toString() {
        return "ImportResult[scope=\"" + scope + "\", dryRun=" + dryRun + ", added=" + count(Action.ADDED) + ", changed="
                + count(Action.CHANGED) + ", unchanged=" + count(Action.UNCHANGED) + ", skipped=" + count(Action.SKIPPED)
                + ", conflicts=" + count(Action.CONFLICT) + "]";
    }
}
