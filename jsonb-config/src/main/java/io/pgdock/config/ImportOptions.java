package io.pgdock.config;

import java.util.Objects;

/**
 * How {@link ConfigTransfer#importFrom(com.fasterxml.jackson.databind.JsonNode, ImportOptions)} treats keys that
 * already exist with another value, and whether it writes at all.
 *
 * <pre>{@code
 * ImportResult preview = configs.transfer().importFrom(document,
 *         ImportOptions.builder().onConflict(ConflictMode.MERGE).dryRun().build());
 * System.out.print(preview.diff());
 * }</pre>
 *
 * <p>Immutable and thread-safe; the builder is not.
 */
public final class ImportOptions {
    private static final ImportOptions DEFAULTS = builder().build();

    /** What to do with an imported key that already exists in the scope with another value. */
    public enum ConflictMode {
        /** Import nothing, and say which keys conflict (the default). */
        FAIL,
        /** Keep the existing value; import the other keys. */
        SKIP,
        /** Replace the existing value with the imported one. */
        OVERWRITE,
        /**
         * Apply the imported value as a JSON merge patch (RFC 7386) to the existing one, as {@link ConfigParts#patch}.
         */
        MERGE
    }

    /**
     * Told how far an import's writes have come, for a progress bar: the import checks the document, plans against the
     * store and then writes the keys it adds or changes one by one, in one transaction. Called on the importing
     * thread, inside that transaction (with the imported keys locked, in PostgreSQL): it should return quickly, and
     * what it throws aborts the import, writing nothing.
     */
    @FunctionalInterface
    public interface Progress {
        /** Tells nothing. */
        Progress NONE = (done, total) -> { };

        /**
         * Called with {@code written} 0 once the writes are planned (with {@code total} 0 when there is nothing to
         * write, as in a dry run), then after each write; should the store retry the transaction, it starts again
         * from 0.
         *
         * @param written the keys written so far
         * @param total the keys the import writes (added and changed ones)
         */
        void written(int written, int total);
    }

    private final ConflictMode onConflict;
    private final boolean dryRun;
    private final Progress progress;

    private ImportOptions(Builder b) {
        this.onConflict = b.onConflict;
        this.dryRun = b.dryRun;
        this.progress = b.progress;
    }

    /** @return conflict mode {@link ConflictMode#FAIL}, not a dry run */
    public static ImportOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return what to do with keys that exist with another value */
    public ConflictMode onConflict() {
        return onConflict;
    }

    /** @return whether the import only reports what it would do */
    public boolean dryRun() {
        return dryRun;
    }

    /** @return what is told how far the writes have come; {@link Progress#NONE} by default */
    public Progress progress() {
        return progress;
    }

    @Override
    public String toString() {
        return "ImportOptions[onConflict=" + onConflict + ", dryRun=" + dryRun + "]";
    }

    /** Builds {@link ImportOptions}. Not thread-safe. */
    public static final class Builder {
        private ConflictMode onConflict = ConflictMode.FAIL;
        private boolean dryRun;
        private Progress progress = Progress.NONE;

        private Builder() {
        }

        /**
         * @param mode what to do with keys that exist with another value; default {@link ConflictMode#FAIL}
         * @return this builder
         */
        public Builder onConflict(ConflictMode mode) {
            this.onConflict = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Writes nothing: the import validates the document, compares it with the store and returns what it would do
         * ({@link ImportResult#diff()}); conflicts in mode {@link ConflictMode#FAIL} are reported, not thrown.
         *
         * @return this builder
         */
        public Builder dryRun() {
            this.dryRun = true;
            return this;
        }

        /**
         * @param progress told how far the writes have come (see {@link Progress}); default {@link Progress#NONE}
         * @return this builder
         */
        public Builder progress(Progress progress) {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }

        /** @return the options */
        public ImportOptions build() {
            return new ImportOptions(this);
        }
    }
}
