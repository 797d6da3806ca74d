package io.pgdock.config;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.type.TypeFactory;
import io.pgdock.config.memory.MemoryConfigBackend;
import io.pgdock.config.postgres.PostgresConfigBackend;
import io.pgdock.config.store.DefaultConfigStore;
import io.pgdock.config.store.WatchSubscription;
import io.pgdock.core.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Per-deployment user configuration kept as JSON: typed reads, versioned writes with compare-and-set, a history of every
 * change (who, when, why, before and after), rollback, and scopes that fall back to their parents.
 *
 * <pre>{@code
 * ConfigStore configs = ConfigStore.postgres(storage);           // tables live in storage.schema()
 * int batch = configs.getOrDefault("ingest.batch_size", Integer.class, 1000);
 * ConfigEntry e = configs.as("ops-oncall").because("raise batch size").put("ingest.batch_size", 5000);
 * configs.put("ingest.batch_size", 6000, e.version());           // compare-and-set; conflict -> ConfigConflictException
 * ConfigStore prod = configs.inScope("prod/ingest");             // reads fall back to "prod", then the root scope
 * ConfigStore fake = ConfigStore.inMemory();                     // the same contract, for pipeline tests
 * }</pre>
 *
 * <p><b>Keys</b> are 1 to 256 characters from {@code A-Z a-z 0-9 . _ - / :}. <b>Scopes</b> are {@code /}-separated
 * paths of segments from the same set without {@code /}, at most 256 characters; {@code ""} is the root scope.
 *
 * <p><b>Values</b> are anything the store's Jackson {@code ObjectMapper} maps to JSON, JSON null included, and typed
 * reads bind with the same mapper: {@link ConfigOptions#defaultObjectMapper() pgdock's default}, which maps
 * {@code Optional} and {@code java.time} values and does not coerce one JSON scalar type to another (a number does not
 * read as a {@code String}), or yours ({@link ConfigOptions.Builder#objectMapper}). They are stored with PostgreSQL
 * {@code jsonb}'s rules, whatever the mapper, which the in-memory store follows too: object keys are reordered
 * (shorter keys first), a duplicated object key keeps its last value, numbers keep their full precision but not their
 * spelling ({@code 1.0e2} reads back as {@code 100}), and the character U+0000, unpaired surrogates, {@code NaN} and
 * infinities cannot be stored. Numbers
 * have at most 131072 digits before the point and 16383 after (jsonb's {@code numeric}), and arrays and objects nest
 * at most 1000 levels deep (so that every stored value can be read back by a JSON parser with Jackson's default
 * limits).
 *
 * <p><b>Versions</b> start at 1 and grow by one per write. A delete removes the key; a later write continues its
 * numbering after the last version its history still holds, so a compare-and-set holding a version from before the
 * delete cannot succeed. Where a method takes an {@code expectedVersion}, {@link #ANY_VERSION} means "whatever it is"
 * and 0 means "the key must not exist"; any other mismatch throws {@link ConfigConflictException} and changes nothing.
 *
 * <p><b>Views.</b> {@link #as}, {@link #because} and {@link #inScope} return views of the same store with another
 * actor, reason or scope; the store itself is not changed.
 *
 * <p><b>Facets.</b> This interface holds what pipelines do every day. The rest is one call away, bound to the same
 * view: {@link #parts()} reads one part of a value at a JSON Pointer and changes some members with a JSON Merge Patch;
 * {@link #transfer()} exports and imports a scope as a JSON document; {@link #policy()} explains a read, re-encrypts
 * under a new master key, verifies the history's hash chain, takes snapshots and reports the read cache's counters.
 *
 * <p><b>Secrets.</b> A value, or any part of one, written as a {@link Secret} ({@link #putSecret},
 * {@link Secret#of}) is stored encrypted with a master key from the store's {@link KeyProvider}
 * ({@link ConfigOptions.Builder#keys}). {@link #entry}, {@link #get}, typed {@code get} and {@link #list} decrypt
 * transparently, and throw {@link ConfigSecretException} (naming the key and the key id) when the store has no key for
 * a secret they meet. {@link #history} and {@link #rollback} work on the ciphertext and need no key;
 * {@link ConfigPolicy#explain} shows secrets as {@value Secret#REDACTED}. No {@code toString} or exception message of
 * the store shows a value.
 *
 * <p>Implementations are thread-safe.
 */
public interface ConfigStore {
    /** For {@code expectedVersion}: write or delete whatever the current version is. */
    long ANY_VERSION = -1;

    /**
     * The PostgreSQL store with {@link ConfigOptions#defaults() default options}. Its tables are created in
     * {@code storage.schema()} by pgdock's migrations (applied here if {@code Storage.open} did not already).
     *
     * @param storage the default storage
     * @return the store
     */
    static ConfigStore postgres(Storage storage) {
        return postgres(storage, ConfigOptions.defaults());
    }

    /**
     * The PostgreSQL store.
     *
     * <p><b>Behind PgBouncer in transaction mode</b> (storage opened with
     * {@link io.pgdock.core.StorageOptions.Builder#transactionPooling(boolean) transactionPooling}): reads, writes,
     * history, import and export work through the pooler; watches and the read cache {@code LISTEN}, which needs a
     * session of its own, so they use the storage's
     * {@link io.pgdock.core.StorageOptions.Builder#dedicatedConnectionSpec(io.pgdock.core.ConnectionSpec) direct
     * connection spec}. Without one, {@link #watch} and a store with a {@linkplain ConfigOptions.Builder#cache(int)
     * cache} refuse to start with {@link io.pgdock.core.SessionRequiredException}, rather than hear nothing.
     *
     * @param storage the default storage
     * @param options the options
     * @return the store
     * @throws io.pgdock.core.SessionRequiredException if {@code options} ask for a cache and the storage is behind a
     *     transaction-mode pooler without a direct connection spec
     */
    static ConfigStore postgres(Storage storage, ConfigOptions options) {
        java.util.Objects.requireNonNull(options, "options");
        if (options.cacheMaxEntries() > 0) {
            java.util.Objects.requireNonNull(storage, "storage");
            PostgresConfigBackend.requireSessions(storage, "the read cache is kept coherent by LISTEN");
        }
        return new DefaultConfigStore(PostgresConfigBackend.create(storage, options), options, options.mapper(),
                options.overrides());
    }

    /**
     * An in-memory store with the same behaviour as the PostgreSQL store, for pipeline tests; no database needed.
     *
     * @return an empty store
     */
    static ConfigStore inMemory() {
        return inMemory(ConfigOptions.defaults());
    }

    /**
     * An in-memory store.
     *
     * @param options the options
     * @return an empty store
     */
    static ConfigStore inMemory(ConfigOptions options) {
        return new DefaultConfigStore(new MemoryConfigBackend(options.clock(),
                WatchSubscription.threads(options, "pgdock-config-watch-memory")), options, options.mapper(),
                options.overrides());
    }

    /**
     * The scope this view reads from first and writes to.
     *
     * @return the scope; {@code ""} for the root scope
     */
    String scope();

    /**
     * The entry that answers for {@code key}: from this view's scope, else from the nearest parent scope that has it.
     *
     * @param key the key
     * @return the entry, or empty if no scope on the way to the root has the key
     * @throws InvalidConfigException if the key is not valid
     */
    Optional<ConfigEntry> entry(String key);

    /**
     * The value of {@code key}.
     *
     * @param key the key
     * @return the value (a {@code NullNode} for JSON null), or empty if the key is not set
     * @throws InvalidConfigException if the key is not valid
     */
    default Optional<JsonNode> get(String key) {
        return entry(key).map(ConfigEntry::value);
    }

    /**
     * The value of {@code key}, bound to {@code type} by the store's {@code ObjectMapper}
     * ({@link ConfigOptions.Builder#objectMapper}).
     *
     * @param key the key
     * @param type the type to bind to
     * @param <T> the type
     * @return the bound value, or empty if the key is not set or holds JSON null
     * @throws ConfigBindingException naming the key, the type and the JSON path, if the value does not bind
     */
    <T> Optional<T> get(String key, JavaType type);

    /**
     * The value of {@code key}, bound to a class.
     *
     * @param key the key
     * @param type the class
     * @param <T> the type
     * @return the bound value, or empty if the key is not set or holds JSON null
     * @throws ConfigBindingException naming the key, the type and the JSON path, if the value does not bind
     */
    default <T> Optional<T> get(String key, Class<T> type) {
        return get(key, TypeFactory.defaultInstance().constructType(Objects.requireNonNull(type, "type")));
    }

    /**
     * The value of {@code key}, bound to a generic type such as {@code new TypeReference<List<String>>() {}}.
     *
     * @param key the key
     * @param type the type
     * @param <T> the type
     * @return the bound value, or empty if the key is not set or holds JSON null
     * @throws ConfigBindingException naming the key, the type and the JSON path, if the value does not bind
     */
    default <T> Optional<T> get(String key, TypeReference<T> type) {
        return get(key, TypeFactory.defaultInstance().constructType(Objects.requireNonNull(type, "type")));
    }

    /**
     * The value of {@code key} bound to {@code type}, or {@code defaultValue} if the key is not set.
     *
     * @param key the key
     * @param type the class
     * @param defaultValue what to return when the key is not set or holds JSON null
     * @param <T> the type
     * @return the value or the default
     * @throws ConfigBindingException if the value does not bind
     */
    default <T> T getOrDefault(String key, Class<T> type, T defaultValue) {
        return get(key, type).orElse(defaultValue);
    }

    /**
     * Writes {@code value} (anything the store's {@code ObjectMapper} maps to JSON) as the next version of {@code key}
     * in this view's scope.
     *
     * @param key the key
     * @param value the value; Java {@code null} stores JSON null
     * @return the new entry
     * @throws InvalidConfigException if the key or value is refused; nothing is written
     */
    default ConfigEntry put(String key, @Nullable Object value) {
        return put(key, value, ANY_VERSION);
    }

    /**
     * Writes {@code value} as a secret: the whole value is encrypted (see {@link Secret}) before it leaves this
     * process, and reads of a store that has the key decrypt it. pgdock's stores map {@code value} with their
     * {@code ObjectMapper}, as {@link #put(String, Object)} does. To keep only some fields of a value secret, put
     * {@link Secret#of(Object)} in those fields and use {@link #put(String, Object)}.
     *
     * @param key the key
     * @param value the value; Java {@code null} stores JSON null, encrypted
     * @return the new entry, holding the plain value
     * @throws ConfigSecretException if the store has no {@link KeyProvider} or it cannot give its current key
     * @throws InvalidConfigException if the key or value is refused; nothing is written
     */
    default ConfigEntry putSecret(String key, @Nullable Object value) {
        return put(key, Secret.of(value));
    }

    /**
     * Compare-and-set: writes only if the key is at {@code expectedVersion}.
     *
     * @param key the key
     * @param value the value
     * @param expectedVersion the version the key must be at; 0 if it must not exist; {@link #ANY_VERSION} for any
     * @return the new entry
     * @throws ConfigConflictException if the key is at another version; nothing is written
     * @throws InvalidConfigException if the key or value is refused; nothing is written
     */
    ConfigEntry put(String key, @Nullable Object value, long expectedVersion);

    /**
     * Writes a value given as raw JSON text, parsed strictly (RFC 8259: no comments, no trailing commas, nothing after
     * the value).
     *
     * @param key the key
     * @param json the value as JSON text
     * @return the new entry
     * @throws InvalidConfigException naming the key and the position of the error, if the text is not valid JSON or
     *     the value is refused; nothing is written
     */
    default ConfigEntry putJson(String key, String json) {
        return putJson(key, json, ANY_VERSION);
    }

    /**
     * Compare-and-set form of {@link #putJson(String, String)}.
     *
     * @param key the key
     * @param json the value as JSON text
     * @param expectedVersion as for {@link #put(String, Object, long)}
     * @return the new entry
     * @throws ConfigConflictException if the key is at another version
     * @throws InvalidConfigException if the text or key is refused
     */
    ConfigEntry putJson(String key, String json, long expectedVersion);

    /**
     * Deletes {@code key} from this view's scope (parents are not touched).
     *
     * @param key the key
     * @return true if the key existed
     */
    default boolean delete(String key) {
        return delete(key, ANY_VERSION);
    }

    /**
     * Compare-and-delete: deletes only if the key is at {@code expectedVersion}.
     *
     * @param key the key
     * @param expectedVersion the version the key must be at; {@link #ANY_VERSION} for any
     * @return true if the key existed and was deleted
     * @throws ConfigConflictException if the key is at another version (or absent, when a version was expected)
     */
    boolean delete(String key, long expectedVersion);

    /**
     * One page of the entries whose keys start with {@code prefix}, as reads see them (each key from the most specific
     * scope that has it), in key order.
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @param afterKey start after this key ({@code null} for the first page)
     * @param limit the largest number of entries, 1 to 10,000
     * @return the page
     */
    ConfigPage list(String prefix, @Nullable String afterKey, int limit);

    /**
     * All entries whose keys start with {@code prefix}, in key order, read page by page.
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @return the entries
     */
    default List<ConfigEntry> list(String prefix) {
        List<ConfigEntry> all = new ArrayList<>();
        String after = null;
        do {
            ConfigPage page = list(prefix, after, 1000);
            all.addAll(page.entries());
            after = page.nextAfter();
        } while (after != null);
        return all;
    }

    /**
     * Every recorded change of {@code key} in this view's scope, newest first (within the store's retention).
     *
     * @param key the key
     * @return the changes
     */
    List<ConfigChange> history(String key);

    /**
     * Writes the value {@code key} had at {@code version} as a new version, with the reason "rollback to version N"
     * unless this view has one. It is a compare-and-set against the key's state in its history, so a write that lands
     * meanwhile is not overwritten.
     *
     * @param key the key
     * @param version a version of the key that is still in its history
     * @return the new entry
     * @throws IllegalArgumentException if the history has no such version
     * @throws ConfigConflictException if the key was written after its history was read
     */
    ConfigEntry rollback(String key, long version);

    /**
     * A view that records {@code actor} as the author of its writes. The default actor is the database role and
     * application name (PostgreSQL store) or {@code "in-memory"}.
     *
     * @param actor who is writing, 1 to 200 printable characters
     * @return the view
     */
    ConfigStore as(String actor);

    /**
     * A view that records {@code reason} with its writes.
     *
     * @param reason why, 1 to 1000 characters
     * @return the view
     */
    ConfigStore because(String reason);

    /**
     * A view bound to {@code scope}: reads fall back through its parents to the root scope, writes go to it alone.
     *
     * @param scope for example {@code "prod/ingest"}; {@code ""} for the root scope
     * @return the view
     */
    ConfigStore inScope(String scope);

    /**
     * Parts of values in this view: reads at a JSON Pointer and JSON Merge Patch writes.
     *
     * @return the facet, bound to this view's scope, actor and reason
     */
    ConfigParts parts();

    /**
     * Export and import of this view's scope as a JSON document.
     *
     * @return the facet, bound to this view's scope, actor and reason
     */
    ConfigTransfer transfer();

    /**
     * What runs the store rather than uses it: explaining a read, re-encryption, history verification, snapshots and
     * the read cache's counters.
     *
     * @return the facet, bound to this view's scope, actor and reason
     */
    ConfigPolicy policy();

    /**
     * Watches the changes of keys starting with {@code prefix} in this view's scope and its parents (the scopes its
     * reads consult; {@link ConfigEvent#scope()} says which), made from now on by anyone: this store, other processes,
     * plain SQL. The same as {@link #watch(String, long, ConfigListener)} without the replay.
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @param listener called for each change (see {@link ConfigListener} for order and threads)
     * @return the subscription; close it to stop
     * @throws InvalidConfigException if the prefix is not valid
     */
    ConfigSubscription watch(String prefix, ConfigListener listener);

    /**
     * Watches from a position: first delivers the recorded changes after {@code afterPosition} from the history, then
     * live ones, with no gap and no duplicate at the seam (the store listens before it reads the history, and drops a
     * change it has delivered already, by key, scope and version).
     *
     * <p><b>Guarantees.</b> For each key: every change, in version order, once; this holds across lost connections and
     * server restarts (see {@link ConfigListener#onGap(Exception)}). Changes of different keys arrive roughly in commit
     * order while live (notifications come in commit order, but the changes a batch of them names are delivered in
     * position order), and in position order when replayed. Event values are as the history records them: secrets
     * stay encrypted (read the key with {@link #get} for the plain value).
     *
     * <p><b>Resuming.</b> Positions ({@link ConfigEvent#position()}, {@link ConfigSubscription#position()}) number
     * changes in the order they were made, which for different keys may differ from the order they committed: a
     * change made before another but committed after it has the smaller position. A new watch from position {@code p}
     * therefore replays every change after {@code p}, but misses a change at or before {@code p} whose transaction was
     * still running when the event at {@code p} was delivered. To resume safely where writers run long transactions,
     * resume from an earlier position and ignore events whose version you have handled (the events carry versions).
     * Within one subscription, reconnects replay by transaction, not position, and miss nothing.
     *
     * <p>History retention limits the replay: changes it removed are not replayed, and a change removed before a
     * notification of it was read is skipped (a later version of the key is always delivered).
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @param afterPosition replay the changes after this position; 0 for the whole history
     * @param listener called for each change
     * @return the subscription; close it to stop
     * @throws IllegalArgumentException if the position is negative
     * @throws InvalidConfigException if the prefix is not valid
     * @throws io.pgdock.core.PgdockException if the PostgreSQL store cannot open its listening connection or read
     *     the history; {@link io.pgdock.core.SessionRequiredException} if its storage is behind a transaction-mode
     *     pooler without a direct connection spec
     */
    ConfigSubscription watch(String prefix, long afterPosition, ConfigListener listener);
}
