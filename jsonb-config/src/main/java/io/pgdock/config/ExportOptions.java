package io.pgdock.config;

import io.pgdock.config.store.ConfigKeys;
import java.util.Objects;

/**
 * What {@link ConfigTransfer#export(ExportOptions)} writes: the keys under a prefix (default: all keys of the scope),
 * and whether values holding secrets are written (encrypted, as stored; the default) or left out.
 *
 * <pre>{@code
 * JsonNode backup = configs.inScope("prod").transfer()
 *         .export(ExportOptions.builder().prefix("ingest.").leaveOutSecrets().build());
 * }</pre>
 *
 * <p>Immutable and thread-safe; the builder is not.
 */
public final class ExportOptions {
    private static final ExportOptions DEFAULTS = builder().build();

    private final String prefix;
    private final boolean leaveOutSecrets;

    private ExportOptions(Builder b) {
        this.prefix = b.prefix;
        this.leaveOutSecrets = b.leaveOutSecrets;
    }

    /** @return every key of the scope, secrets included (encrypted) */
    public static ExportOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the key prefix; {@code ""} for all keys */
    public String prefix() {
        return prefix;
    }

    /** @return whether entries holding a secret are left out */
    public boolean leaveOutSecrets() {
        return leaveOutSecrets;
    }

    @Override
    public String toString() {
        return "ExportOptions[prefix=" + ConfigKeys.show(prefix) + ", leaveOutSecrets=" + leaveOutSecrets + "]";
    }

    /** Builds {@link ExportOptions}; setters validate at once. Not thread-safe. */
    public static final class Builder {
        private String prefix = "";
        private boolean leaveOutSecrets;

        private Builder() {
        }

        /**
         * @param prefix export only keys starting with this; {@code ""} (the default) for all keys
         * @return this builder
         * @throws InvalidConfigException if the prefix has a character keys cannot have
         */
        public Builder prefix(String prefix) {
            this.prefix = ConfigKeys.checkPrefix(Objects.requireNonNull(prefix, "prefix"));
            return this;
        }

        /**
         * Leaves out every entry whose value is, or holds anywhere inside, a secret (an object whose single member is
         * {@code "$pgdock_secret"}); their keys are listed in the document's {@code "secretsLeftOut"}. By default such
         * values are exported as stored: encrypted.
         *
         * @return this builder
         */
        public Builder leaveOutSecrets() {
            this.leaveOutSecrets = true;
            return this;
        }

        /** @return the options */
        public ExportOptions build() {
            return new ExportOptions(this);
        }
    }
}
