package io.pgdock.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Options of a {@link ConfigStore}, the same for the PostgreSQL store and the in-memory fake.
 *
 * <table>
 * <caption>Options and defaults</caption>
 * <tr><th>option</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code maxValueBytes}</td><td>1 MiB</td><td>largest value, as compact JSON in UTF-8</td></tr>
 * <tr><td>{@code retention}</td><td>{@link HistoryRetention#all()}</td><td>how much history to keep per key</td></tr>
 * <tr><td>{@code schema(prefix, schema)}</td><td>none</td><td>a JSON Schema every value under the key prefix must
 *     satisfy; the longest matching prefix applies</td></tr>
 * <tr><td>{@code clock}</td><td>system UTC</td><td>time of the in-memory store's timestamps and of its retention by age
 *     (the PostgreSQL store uses the server's transaction time for both)</td></tr>
 * <tr><td>{@code keys}</td><td>none</td><td>the master keys that encrypt and decrypt secrets ({@link Secret}); without
 *     them, writing or reading a secret throws {@link ConfigSecretException}</td></tr>
 * <tr><td>{@code cache(maxEntries)}</td><td>0 (no cache)</td><td>a read cache of at most that many keys, kept
 *     coherent by change notifications</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe; the builder is not.
 */
public final class ConfigOptions {
    /** The default largest value: 1 MiB. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;

    private static final ConfigOptions DEFAULTS = builder().build();

    private final int maxValueBytes;
    private final HistoryRetention retention;
    private final Map<String, JsonNode> schemas;
    private final Clock clock;
    private final KeyProvider keys;
    private final int cacheMaxEntries;

    private ConfigOptions(Builder b) {
        this.maxValueBytes = b.maxValueBytes;
        this.retention = b.retention;
        this.schemas = Collections.unmodifiableMap(new TreeMap<>(b.schemas));
        this.clock = b.clock;
        this.keys = b.keys;
        this.cacheMaxEntries = b.cacheMaxEntries;
    }

    /** @return the defaults in the table above */
    public static ConfigOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder starting from the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return largest value in bytes of compact UTF-8 JSON */
    public int maxValueBytes() {
        return maxValueBytes;
    }

    /** @return how much history is kept */
    public HistoryRetention retention() {
        return retention;
    }

    /** @return JSON Schemas by key prefix, sorted by prefix */
    public Map<String, JsonNode> schemas() {
        return schemas;
    }

    /** @return the clock */
    public Clock clock() {
        return clock;
    }

    /** @return the key provider for secrets, or empty if the store has none */
    public Optional<KeyProvider> keys() {
        return Optional.ofNullable(keys);
    }

    /** @return the read cache's bound in keys; 0 when the store is not cached */
    public int cacheMaxEntries() {
        return cacheMaxEntries;
    }

    /** Builds {@link ConfigOptions}; setters validate at once. Not thread-safe. */
    public static final class Builder {
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
        private HistoryRetention retention = HistoryRetention.all();
        private final Map<String, JsonNode> schemas = new TreeMap<>();
        private Clock clock = Clock.systemUTC();
        private KeyProvider keys;
        private int cacheMaxEntries;

        private Builder() {
        }

        /**
         * Puts a read cache in front of the store: reads of a key answered from memory, kept coherent by the store's
         * change notifications (the same as {@link ConfigStore#watch}'s), so that a write committed anywhere (this
         * process, another, plain SQL) is seen by every cached store within the notification delay, and a write through
         * a store is seen by that store at once. While notifications are lost (connection loss, server restart), the
         * cache is emptied and reads go to the database until they flow again. Only single-key reads ({@code get},
         * {@code entry}, {@code explain}) are cached; {@code list} and {@code history} always read the database.
         * Counters: {@link ConfigStore#cacheStats()}. The PostgreSQL store keeps one listening connection open for the
         * cache from the first read until its storage is closed.
         *
         * @param maxEntries the most keys held (each with its entries in the scopes read), at least 1; beyond it, keys
         *     not read lately are dropped
         * @return this builder
         */
        public Builder cache(int maxEntries) {
            if (maxEntries < 1) {
                throw new IllegalArgumentException("cache: maxEntries must be at least 1, but was " + maxEntries);
            }
            this.cacheMaxEntries = maxEntries;
            return this;
        }

        /**
         * @param bytes the largest value, at least 16 bytes and at most 256 MiB (jsonb's own limit)
         * @return this builder
         */
        public Builder maxValueBytes(int bytes) {
            if (bytes < 16 || bytes > (1 << 28)) {
                throw new IllegalArgumentException("maxValueBytes: must be between 16 and 268435456, but was " + bytes);
            }
            this.maxValueBytes = bytes;
            return this;
        }

        /**
         * @param retention how much history to keep
         * @return this builder
         */
        public Builder retention(HistoryRetention retention) {
            this.retention = Objects.requireNonNull(retention, "retention");
            return this;
        }

        /**
         * Requires every value whose key starts with {@code prefix} to satisfy a JSON Schema (draft 2020-12 unless the
         * schema says otherwise in {@code $schema}). Where prefixes overlap, the longest one applies.
         *
         * @param prefix a key prefix, for example {@code "ingest."}; may be empty for all keys
         * @param schemaJson the schema, as JSON text
         * @return this builder
         * @throws IllegalArgumentException if the text is not JSON, or the prefix has a character keys cannot have
         */
        public Builder schema(String prefix, String schemaJson) {
            ConfigKeys.checkPrefix(Objects.requireNonNull(prefix, "prefix"));
            Objects.requireNonNull(schemaJson, "schemaJson");
            try {
                return schema(prefix, JsonValues.MAPPER.readTree(schemaJson));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("schema for prefix " + ConfigKeys.show(prefix) + ": not valid JSON: "
                        + JsonValues.withoutQuotedText(e.getOriginalMessage()), null);
            }
        }

        /**
         * @param prefix a key prefix; may be empty for all keys
         * @param schema the schema
         * @return this builder
         * @see #schema(String, String)
         */
        public Builder schema(String prefix, JsonNode schema) {
            ConfigKeys.checkPrefix(Objects.requireNonNull(prefix, "prefix"));
            Objects.requireNonNull(schema, "schema");
            try {
                // Compiled and tried once now, so a broken schema fails here, not on every later write.
                DefaultConfigStore.compile(schema).validate(JsonValues.NODES.nullNode());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("schema for prefix " + ConfigKeys.show(prefix)
                        + ": not a usable JSON Schema: " + e.getMessage(), e);
            }
            schemas.put(prefix, schema.deepCopy());
            return this;
        }

        /**
         * @param clock the clock for timestamps of the in-memory store and for its retention by age; the PostgreSQL store
         *     uses the server's {@code now()}
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param keys the master keys that encrypt new secrets (under {@link KeyProvider#currentKeyId()}) and decrypt
         *     stored ones (by the key id stored with each)
         * @return this builder
         */
        public Builder keys(KeyProvider keys) {
            this.keys = Objects.requireNonNull(keys, "keys");
            return this;
        }

        /** @return the options */
        public ConfigOptions build() {
            return new ConfigOptions(this);
        }
    }
}
