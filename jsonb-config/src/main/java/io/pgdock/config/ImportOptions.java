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

    private final ConflictMode onConflict;
    private final boolean dryRun;

    private ImportOptions(Builder b) {
        this.onConflict = b.onConflict;
        this.dryRun = b.dryRun;
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

    @Override
    public String toString() {
        return "ImportOptions[onConflict=" + onConflict + ", dryRun=" + dryRun + "]";
    }

    /** Builds {@link ImportOptions}. Not thread-safe. */
    public static final class Builder {
        private ConflictMode onConflict = ConflictMode.FAIL;
        private boolean dryRun;

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

        /** @return the options */
        public ImportOptions build() {
            return new ImportOptions(this);
        }
    }
}
