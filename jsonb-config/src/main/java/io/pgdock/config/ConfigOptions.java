package io.pgdock.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.store.ConfigKeys;
import io.pgdock.config.store.DefaultConfigStore;
import io.pgdock.config.store.EnvironmentOverrides;
import io.pgdock.core.Ticker;
import java.time.Clock;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;

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
 * <tr><td>{@code ticker}</td><td>{@link Ticker#system()}</td><td>when the listening connection's heartbeat is due and
 *     when a cache that could not start listening tries again (see {@link Builder#ticker(Ticker)})</td></tr>
 * <tr><td>{@code watchThreadFactory}</td><td>pgdock's daemon threads</td><td>makes the threads of watches and of the
 *     read cache: the PostgreSQL store's listening thread and the thread that calls listeners (see
 *     {@link Builder#watchThreadFactory(ThreadFactory)})</td></tr>
 * <tr><td>{@code keys}</td><td>none</td><td>the master keys that encrypt and decrypt secrets ({@link Secret}); without
 *     them, writing or reading a secret throws {@link ConfigSecretException}</td></tr>
 * <tr><td>{@code cache(maxEntries)}</td><td>0 (no cache)</td><td>a read cache of at most that many keys, kept
 *     coherent by change notifications</td></tr>
 * <tr><td>{@code objectMapper}</td><td>{@link #defaultObjectMapper()}</td><td>the Jackson mapper that turns your Java
 *     values into JSON ({@code put}, {@code patch}, {@code putSecret}) and JSON into your types (typed {@code get});
 *     see {@link Builder#objectMapper(ObjectMapper)} for what pgdock still checks on top of it</td></tr>
 * <tr><td>{@code environmentOverrides(env[, prefix])}</td><td>off</td><td>a layer above every scope read from the
 *     variables {@value #DEFAULT_ENVIRONMENT_PREFIX}{@code <KEY>} of {@code env}; see
 *     {@link Builder#environmentOverrides(Map, String)}</td></tr>
 * <tr><td>{@code fromEnvironment(env)}</td><td>not applied</td><td>sets {@code keys} and
 *     {@code environmentOverrides} from pgdock's variables ({@value #KEYS_VARIABLE}, {@value #ENV_OVERRIDES_VARIABLE},
 *     {@value #ENV_PREFIX_VARIABLE}), as the CLI does</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe; the builder is not.
 */
public final class ConfigOptions {
    /** The default largest value: 1 MiB. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;

    /** The default prefix of {@link Builder#environmentOverrides(Map) environment overrides}. */
    public static final String DEFAULT_ENVIRONMENT_PREFIX = EnvironmentOverrides.DEFAULT_PREFIX;

    /** The variable {@link Builder#fromEnvironment(Map)} reads the master keys of secrets from. */
    public static final String KEYS_VARIABLE = KeyProvider.ENVIRONMENT_VARIABLE;

    /**
     * The variable that turns {@link Builder#environmentOverrides(Map) environment overrides} on in
     * {@link Builder#fromEnvironment(Map)}: {@code true} or {@code false}.
     */
    public static final String ENV_OVERRIDES_VARIABLE = "PGDOCK_CONFIG_ENV_OVERRIDES";

    /** The variable that changes the prefix of environment overrides in {@link Builder#fromEnvironment(Map)}. */
    public static final String ENV_PREFIX_VARIABLE = "PGDOCK_CONFIG_ENV_PREFIX";

    private static final ConfigOptions DEFAULTS = builder().build();

    private final int maxValueBytes;
    private final HistoryRetention retention;
    private final Map<String, JsonNode> schemas;
    private final Clock clock;
    private final Ticker ticker;
    private final @Nullable ThreadFactory watchThreadFactory;
    private final @Nullable KeyProvider keys;
    private final int cacheMaxEntries;
    private final @Nullable ObjectMapper objectMapper;   // the store's own copy, or null for the default
    private final @Nullable EnvironmentOverrides overrides;

    private ConfigOptions(Builder b) {
        this.maxValueBytes = b.maxValueBytes;
        this.retention = b.retention;
        this.schemas = Collections.unmodifiableMap(new TreeMap<>(b.schemas));
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.watchThreadFactory = b.watchThreadFactory;
        this.keys = b.keys;
        this.cacheMaxEntries = b.cacheMaxEntries;
        this.objectMapper = b.objectMapper;
        this.overrides = b.overrides;
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

    /** @return what tells when a heartbeat or a retry is due */
    public Ticker ticker() {
        return ticker;
    }

    /** @return the caller's factory of watch threads, or empty for pgdock's own */
    public Optional<ThreadFactory> watchThreadFactory() {
        return Optional.ofNullable(watchThreadFactory);
    }

    /** @return the key provider for secrets, or empty if the store has none */
    public Optional<KeyProvider> keys() {
        return Optional.ofNullable(keys);
    }

    /** @return the read cache's bound in keys; 0 when the store is not cached */
    public int cacheMaxEntries() {
        return cacheMaxEntries;
    }

    /**
     * The mapper given to {@link Builder#objectMapper(ObjectMapper)}, as a new copy on each call: changing it changes
     * nothing in these options.
     *
     * @return a copy of the mapper the store binds with, or empty if it uses {@link #defaultObjectMapper()}'s settings
     */
    public Optional<ObjectMapper> objectMapper() {
        return Optional.ofNullable(objectMapper).map(ObjectMapper::copy);
    }

    /**
     * The prefix of the environment overrides.
     *
     * @return the prefix, or empty when the options have no environment overrides
     */
    public Optional<String> environmentPrefix() {
        return Optional.ofNullable(overrides).map(EnvironmentOverrides::prefix);
    }

    /**
     * The variables the environment overrides were read from, as given: name to text, sorted by name (values may be
     * secrets: do not print them). Only those under the prefix are kept.
     *
     * @return the variables; empty when the options have no environment overrides, or none is set
     */
    public Map<String, String> environmentOverrides() {
        return overrides == null ? Map.of() : overrides.texts();
    }

    /**
     * The variable that overrides {@code key} under {@code prefix}: the prefix, then the key with letters upper-cased,
     * digits kept and each of {@code _ . - / :} written as 1, 2, 3, 4 or 5 underscores; for example
     * {@code ingest.batch_size} is {@code PGDOCK_VAR_INGEST__BATCH_SIZE}. Such a variable decodes back to
     * {@code key} only if the key has no upper-case letter and no two of those characters side by side; otherwise it
     * names another key, and reads of {@code key} are refused while it is set (see
     * {@link Builder#environmentOverrides(Map, String)}).
     *
     * @param prefix the prefix, such as {@value #DEFAULT_ENVIRONMENT_PREFIX}
     * @param key a valid key
     * @return the variable's name
     * @throws IllegalArgumentException if the prefix or key is not valid
     */
    public static String environmentVariable(String prefix, String key) {
        return EnvironmentOverrides.variable(EnvironmentOverrides.checkPrefix(prefix), ConfigKeys.checkKey(key));
    }

    /** The environment layer, if any; for the store. */
    @Nullable EnvironmentOverrides overrides() {
        return overrides;
    }

    /** The mapper stores with these options bind with; never handed out, never changed. */
    ObjectMapper mapper() {
        return objectMapper != null ? objectMapper : JsonValues.DEFAULT_MAPPER;
    }

    /**
     * A new mapper with the settings a store uses when {@link Builder#objectMapper(ObjectMapper)} is not called, to
     * start your own from: {@code ConfigOptions.defaultObjectMapper().rebuild().addModule(myModule).build()}.
     *
     * <ul>
     *   <li><b>Modules</b>: {@code Jdk8Module} ({@code Optional}, {@code OptionalInt}, {@code OptionalLong},
     *       {@code OptionalDouble}; an empty one is JSON null) and {@code JavaTimeModule}.</li>
     *   <li><b>Dates and times</b> are ISO-8601 text: {@code Instant} {@code "2024-01-02T03:04:05.123456Z"},
     *       {@code LocalDate} {@code "2024-01-02"}, {@code Duration} {@code "PT1M30S"}, {@code OffsetDateTime} with
     *       its offset, which it keeps when read back ({@code ADJUST_DATES_TO_CONTEXT_TIME_ZONE} is off). A
     *       {@code ZonedDateTime} is written with its offset only, not its zone id.</li>
     *   <li><b>Numbers</b>: bound to {@code Object}, a {@code Map} or a {@code List}, numbers with a fraction are
     *       {@code BigDecimal}s (exact, trailing zeros kept), others {@code Integer}, {@code Long} or
     *       {@code BigInteger} by size.</li>
     *   <li><b>No scalar coercion.</b> A JSON number or boolean does not read as a {@code String} ({@code 500} is
     *       not {@code "500"}); text does not read as a number, boolean or enum ordinal ({@code "5"} is not
     *       {@code 5}); {@code ""} does not read as null, 0 or false; a number with a fraction does not read as an
     *       integer type ({@code 1.5} and {@code 1.0} are not {@code 1}); a number does not read as a boolean, an
     *       enum or a {@code LocalDate}. Each is a {@link ConfigBindingException} naming the key, the JSON path, the JSON type found and
     *       the type asked for, never the value. What still reads: an integer as a floating-point type or
     *       {@code BigDecimal}; a number as an {@code Instant} (seconds since the epoch) or a {@code Duration}
     *       (seconds), as Jackson's {@code java.time} module reads them; JSON null, and a member that is missing, as
     *       Java {@code null} (or {@code 0} and {@code false} for primitives: use boxed types to tell them
     *       apart).</li>
     *   <li>Unknown properties of a bean or record are refused (Jackson's default).</li>
     * </ul>
     *
     * @return a new mapper; yours to change
     */
    public static JsonMapper defaultObjectMapper() {
        return JsonValues.newDefaultMapper();
    }

    /** Builds {@link ConfigOptions}; setters validate at once. Not thread-safe. */
    public static final class Builder {
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
        private HistoryRetention retention = HistoryRetention.all();
        private final Map<String, JsonNode> schemas = new TreeMap<>();
        private Clock clock = Clock.systemUTC();
        private Ticker ticker = Ticker.system();
        private @Nullable ThreadFactory watchThreadFactory;
        private @Nullable KeyProvider keys;
        private int cacheMaxEntries;
        private @Nullable ObjectMapper objectMapper;
        private @Nullable EnvironmentOverrides overrides;

        private Builder() {
        }

        /**
         * The Jackson mapper that turns your Java values into JSON ({@link ConfigStore#put(String, Object)},
         * {@link ConfigParts#patch(String, Object)}, {@link ConfigStore#putSecret(String, Object)}, Java objects in
         * {@code POJONode}s of a tree you write) and JSON into your types (every typed {@code get}: by
         * {@code Class}, {@code TypeReference} or {@code JavaType}, whole or by JSON Pointer, through views, scopes
         * and snapshots; a {@code Class} or {@code TypeReference} is resolved by this mapper's {@code TypeFactory}).
         * Its modules, naming strategy, features and coercion settings decide how values map: with a plain
         * {@code new ObjectMapper()}, for instance, a JSON number reads as a {@code String}, which
         * {@link ConfigOptions#defaultObjectMapper() the default} refuses.
         *
         * <p>The store keeps a copy made now ({@link ObjectMapper#copy()}) and never changes {@code mapper}; changes
         * made to {@code mapper} later do not reach the store. The copy is used by every thread that uses the store,
         * at once, as Jackson mappers may be once configured: serializers and deserializers your modules add must be
         * thread-safe. The copy is given {@link Secret}'s serializer and
         * deserializer as a module, so that secret fields are sealed and read even by a mapper that ignores
         * annotations.
         *
         * <p><b>What pgdock applies on top, whatever the mapper.</b>
         * <ul>
         *   <li>What the mapper makes of a value is normalised to what PostgreSQL {@code jsonb} stores, and refused
         *       as {@link ConfigStore} says when {@code jsonb} could not store it: members reordered, numbers exact
         *       within {@code numeric}'s range ({@code NaN} and infinities refused), no U+0000 or unpaired surrogate,
         *       at most 1000 levels of nesting, {@code byte[]} as base64 text; then the size limit and the JSON Schema
         *       of the key's prefix. Both stores therefore keep the same tree, whatever the mapper.</li>
         *   <li>Typed reads bind that normalised tree, with secrets decrypted: the mapper sees numbers as
         *       {@code int}, {@code long}, {@code BigInteger} or {@code BigDecimal} nodes by size, never as
         *       {@code double}s, and sees members in {@code jsonb}'s order.</li>
         *   <li>A value that does not bind is a {@link ConfigBindingException} naming the key, the type and the JSON
         *       path, without Jackson's message where that could quote the value, and without Jackson's exception as
         *       its cause. A value the mapper cannot map is an {@link InvalidConfigException} naming the key and the
         *       value's class.</li>
         *   <li>The mapper is not used for pgdock's own JSON text: {@link ConfigStore#putJson} and
         *       {@link ConfigParts#patchJson} text, values read back from PostgreSQL, export and import documents,
         *       change notifications and JSON Schemas are parsed and written by pgdock's internal strict mapper (RFC
         *       8259, no comments or trailing text, the limits above).</li>
         *   <li>{@link Secret#of(Object)} is not tied to a store and maps its value with the default mapper's
         *       settings; for a value that needs yours, use {@link ConfigStore#putSecret(String, Object)} (the
         *       store's mapper) or give {@code Secret.of} a tree: {@code Secret.of(mapper.valueToTree(value))}.</li>
         * </ul>
         *
         * @param mapper the mapper; it must support {@link ObjectMapper#copy()}, as {@code ObjectMapper},
         *     {@code JsonMapper} and Jackson's other mappers do
         * @return this builder
         * @throws IllegalArgumentException if {@code mapper} cannot be copied
         */
        public Builder objectMapper(ObjectMapper mapper) {
            Objects.requireNonNull(mapper, "mapper");
            ObjectMapper copy;
            try {
                copy = mapper.copy();
            } catch (IllegalStateException e) {
                throw new IllegalArgumentException("objectMapper: a " + mapper.getClass().getName()
                        + " cannot be copied (it does not override ObjectMapper.copy()); the store needs a copy of its"
                        + " own", e);
            }
            this.objectMapper = JsonValues.forStores(copy);
            return this;
        }

        /**
         * Puts a read cache in front of the store: reads of a key answered from memory, kept coherent by the store's
         * change notifications (the same as {@link ConfigStore#watch}'s), so that a write committed anywhere (this
         * process, another, plain SQL) is seen by every cached store within the notification delay, and a write through
         * a store is seen by that store at once. While notifications are lost (connection loss, server restart), the
         * cache is emptied and reads go to the database until they flow again. Only single-key reads ({@code get},
         * {@code entry}, {@code explain}) are cached; {@code list} and {@code history} always read the database.
         * Counters: {@link ConfigPolicy#cacheStats()}. The PostgreSQL store keeps one listening connection open for the
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
                return schema(prefix, JsonValues.INTERNAL.readTree(schemaJson));
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
         * Sets what tells when something the store does by itself is due: the heartbeat of the PostgreSQL store's
         * listening connection (every 500 ms, which proves the connection alive, moves its replay point forward and
         * notices a closed storage) and, for a {@linkplain #cache(int) cached} store whose listening connection could
         * not be opened, the next attempt (1 s later; reads go to the database meanwhile). Waits stay in real time:
         * reading notifications, the reconnection back-off and logins block for real, whatever the ticker says (see
         * {@link Ticker}); a ticker that stands still holds back heartbeats and retries.
         *
         * @param ticker the ticker; {@link Ticker#system()} by default
         * @return this builder
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /**
         * Sets what makes the threads a store starts for its watches ({@link ConfigStore#watch}) and its
         * {@linkplain #cache(int) read cache}:
         * <ul>
         *   <li>the PostgreSQL store's listening thread: one per store while it has a watch or a cache, reading the
         *       listening connection for as long as that runs (until the last watch is closed, or the storage is);</li>
         *   <li>the delivery thread, which calls the listeners one at a time in order: one per store, made when there
         *       is something to deliver and ended after 1 s with nothing to do.</li>
         * </ul>
         * The listening thread blocks for the feed's whole life, so this takes a {@code ThreadFactory}, not an
         * {@code Executor}: in a bounded pool that loop would hold a thread the pool's other tasks wait for.
         *
         * <p>The factory stays the caller's: pgdock only asks it for threads, and never shuts down or keeps anything
         * else of it; the threads it made end as said above, so nothing needs closing. It must return a thread (not
         * null). Make daemon threads, as the default does, unless watching should keep the JVM running.
         *
         * <p>Without it, the threads are daemon threads named {@code pgdock-config-listen-<schema>} and
         * {@code pgdock-config-watch-<schema>} ({@code pgdock-config-watch-memory} for the in-memory store).
         *
         * @param threadFactory the factory
         * @return this builder
         */
        public Builder watchThreadFactory(ThreadFactory threadFactory) {
            this.watchThreadFactory = Objects.requireNonNull(threadFactory, "watchThreadFactory");
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

        /**
         * Environment overrides with the prefix {@value ConfigOptions#DEFAULT_ENVIRONMENT_PREFIX}.
         *
         * @param env the environment, usually {@code System.getenv()}
         * @return this builder
         * @throws IllegalArgumentException as for {@link #environmentOverrides(Map, String)}
         * @see #environmentOverrides(Map, String)
         */
        public Builder environmentOverrides(Map<String, String> env) {
            return environmentOverrides(env, DEFAULT_ENVIRONMENT_PREFIX);
        }

        /**
         * Puts a layer above every scope that answers reads from the variables of {@code env} starting with
         * {@code prefix}, as Airflow's {@code AIRFLOW_VAR_<KEY>} do: with the default prefix,
         * {@code PGDOCK_VAR_INGEST__BATCH_SIZE=500} makes {@code get("ingest.batch_size", Integer.class)} 500,
         * whatever the store holds, in every scope. Opt-in; off by default.
         *
         * <p><b>Names.</b> After the prefix, a variable's name decodes to one key: letters lower-cased, digits kept,
         * and each run of 1, 2, 3, 4 or 5 underscores one of {@code _ . - / :} ({@link #environmentVariable}
         * encodes). {@code PGDOCK_VAR_BATCH_SIZE} is {@code batch_size}, {@code PGDOCK_VAR_DB__POOL___MAX} is
         * {@code db.pool-max}. A variable under the prefix that decodes to no key (a lower-case letter, another
         * character, six underscores in a row, nothing after the prefix) is refused here, naming it: nothing is
         * ignored silently. A key with an upper-case letter, or two of {@code _ . - / :} side by side, has no variable
         * of its own: its encoded name decodes to another key ({@code "batchSize"} to {@code "batchsize"}). Reads of
         * such a key are refused with {@link InvalidConfigException}, naming both keys and the variable, while that
         * variable is set; they read the store when it is not.
         *
         * <p><b>Values.</b> Text that is one JSON value (RFC 8259) is that value: {@code 500}, {@code true},
         * {@code null}, <code>{"max": 20}</code>, {@code "1.10"}. Text starting with <code>{</code>, <code>[</code> or <code>"</code>
         * (after blanks) must be valid JSON, or it is refused here. Any other text is a JSON string, exactly as
         * given: {@code fast}, {@code 1.2.3}, {@code 007}, the empty string. So {@code 1.10} is a number, which a
         * typed read as {@code String} refuses; the text "1.10" is written with its quotes, {@code "1.10"}. Values follow the store's rules ({@code jsonb}'s, the size limit
         * and the JSON Schemas, checked in {@link #build()}), and are bound by typed reads like stored values. No
         * error shows a value.
         *
         * <p><b>What sees them.</b> {@link ConfigStore#entry}, {@link ConfigStore#get} (typed too),
         * {@link ConfigParts#get(String, String) pointer reads}, {@link ConfigStore#list} (a key set only in the
         * environment is listed too), {@link ConfigPolicy#snapshot snapshots} and {@link ConfigPolicy#explain} (which
         * names the variable and the stored entry it hides), in every scope and view, cached or not. An entry from
         * the environment has {@link ConfigEntry#environmentVariable()} set, the view's scope, the version the key has
         * in that scope (0 if none, so that a compare-and-set from it is checked against what is stored),
         * {@code updatedAt} the time the environment was read (by the {@link #clock(Clock) clock} set before) and {@code updatedBy} {@code "environment"}. Not:
         * {@link ConfigStore#history}, export, and writes.
         *
         * <p><b>Writes</b> of an overridden key (put, patch, delete, rollback, import) are stored as usual, since the
         * store is shared and other processes read it; reads through this store keep returning the variable's value.
         * The first such write of each key is logged at WARN, naming the key and the variable, never a value.
         * <b>Watches</b> deliver every stored change; a change of an overridden key has
         * {@link ConfigEvent#overriddenBy()} set: it is not what this store's reads return.
         *
         * <p><b>Secrets.</b> When the store holds a secret at an overridden key (in any scope a read consults),
         * {@link ConfigPolicy#explain} shows the variable's value as {@value Secret#REDACTED}; reads return it plain,
         * as they return secrets.
         *
         * <p>The environment is read now, once: later changes to {@code env} do not reach the store.
         *
         * @param env the environment, usually {@code System.getenv()}
         * @param prefix the prefix: 2 to 64 characters from {@code A-Z 0-9 _}, starting with a letter and ending with
         *     {@code _}, not one that takes pgdock's own variables ({@code PGDOCK_}, {@code PGDOCK_CONFIG_...})
         * @return this builder
         * @throws IllegalArgumentException naming the variable, if the prefix is not valid, or a variable under it
         *     names no key or holds a value that is refused; never showing a value
         */
        public Builder environmentOverrides(Map<String, String> env, String prefix) {
            this.overrides = EnvironmentOverrides.read(Objects.requireNonNull(env, "env"),
                    Objects.requireNonNull(prefix, "prefix"), clock.instant());
            return this;
        }

        /**
         * Applies what pgdock reads from the environment for a config store, as its CLI does:
         * <ul>
         *   <li>{@value ConfigOptions#KEYS_VARIABLE}, when set: {@link #keys(KeyProvider)} from
         *       {@link KeyProvider#fromEnvironment(Map)};</li>
         *   <li>{@value ConfigOptions#ENV_OVERRIDES_VARIABLE}{@code =true}:
         *       {@link #environmentOverrides(Map, String)} with the prefix in
         *       {@value ConfigOptions#ENV_PREFIX_VARIABLE}, else {@value ConfigOptions#DEFAULT_ENVIRONMENT_PREFIX};
         *       {@code false} or unset: none.</li>
         * </ul>
         *
         * @param env the environment, usually {@code System.getenv()}
         * @return this builder
         * @throws IllegalArgumentException naming the variable, if one is malformed: {@value
         *     ConfigOptions#ENV_OVERRIDES_VARIABLE} other than {@code true} or {@code false},
         *     {@value ConfigOptions#ENV_PREFIX_VARIABLE} set without overrides on, or as the methods above say
         */
        public Builder fromEnvironment(Map<String, String> env) {
            Objects.requireNonNull(env, "env");
            if (env.get(KEYS_VARIABLE) != null) {
                keys(KeyProvider.fromEnvironment(env));
            }
            String on = env.getOrDefault(ENV_OVERRIDES_VARIABLE, "false");
            String prefix = env.get(ENV_PREFIX_VARIABLE);
            boolean enabled = switch (on.strip().toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new IllegalArgumentException(ENV_OVERRIDES_VARIABLE + ": must be true or false,"
                        + " but was " + ConfigKeys.show(on));
            };
            if (enabled) {
                environmentOverrides(env, prefix == null ? DEFAULT_ENVIRONMENT_PREFIX : prefix);
            } else if (prefix != null) {
                throw new IllegalArgumentException(ENV_PREFIX_VARIABLE + " is set but environment overrides are off;"
                        + " set " + ENV_OVERRIDES_VARIABLE + "=true to read them, or unset " + ENV_PREFIX_VARIABLE);
            }
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException naming the variable, if an environment override's value is over
         *     {@link #maxValueBytes(int)} or fails the JSON Schema of its key's prefix
         */
        public ConfigOptions build() {
            if (overrides != null) {
                overrides.check(maxValueBytes, schemas);
            }
            return new ConfigOptions(this);
        }
    }
}
