package io.pgdock.config.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigConflictException;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.HistoryVerification;
import io.pgdock.config.json.JsonPatches;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link DefaultConfigStore} keeps its data: PostgreSQL or memory. Everything above this line (validation,
 * normalisation, size and schema checks, binding, views) is shared, so both stores behave alike; a backend only stores.
 * Keys, scopes and values reaching a backend are already valid and normalised. Implementations are thread-safe.
 */
public interface ConfigBackend {
    /**
     * The entries of {@code key} in any of {@code scopes}, at most one per scope, in no particular order.
     */
    List<ConfigEntry> read(List<String> scopes, String key);

    /**
     * Writes the next version of {@code key} in {@code scope}, atomically with its history row.
     *
     * @param value the normalised value
     * @param json the same value as compact JSON text, already made for the size check, so no backend makes it again
     * @param expectedVersion {@link ConfigStore#ANY_VERSION}, 0 (must not exist) or the current version
     * @throws ConfigConflictException if the key is at another version
     */
    ConfigEntry write(String scope, String key, JsonNode value, String json, long expectedVersion,
            WriteContext context);

    /**
     * Deletes {@code key} from {@code scope}, atomically with its history row.
     *
     * @param expectedVersion {@link ConfigStore#ANY_VERSION} or the current version
     * @return whether the key existed
     * @throws ConfigConflictException if the key is at another version, or absent while a version was expected
     */
    boolean delete(String scope, String key, long expectedVersion, WriteContext context);

    /**
     * Up to {@code limit} effective entries whose keys start with {@code prefix} and sort after {@code afterKey} (null:
     * from the start), in key order (by Java {@code String.compareTo}, which for the key character set equals
     * PostgreSQL's {@code COLLATE "C"}). For each key, the entry of the first scope in {@code scopes} that has it
     * ({@link ScopeFallback}).
     */
    List<ConfigEntry> list(List<String> scopes, String prefix, @Nullable String afterKey, int limit);

    /** The recorded changes of {@code key} in {@code scope}, newest first. */
    List<ConfigChange> history(String scope, String key);

    /** The actor recorded when the caller names none. */
    String defaultActor();

    /** The scopes that hold at least one key, in no particular order. */
    List<String> scopes();

    /**
     * Applies a JSON merge patch ({@link JsonPatches#mergePatch}) to {@code key} in {@code scope} atomically: the merge
     * is computed on the key's newest value under its row lock (or for a key that does not exist, onto nothing), so
     * concurrent patches never lose each other's changes. {@code check} gets the merged value before anything is
     * committed and returns it normalised, or throws to abort: then nothing is written, history included.
     *
     * @param patch the normalised patch
     * @param patchJson the same patch as compact JSON text
     * @param expectedVersion {@link ConfigStore#ANY_VERSION}, 0 (must not exist) or the current version
     * @throws ConfigConflictException if the key is at another version
     */
    ConfigEntry patch(String scope, String key, JsonNode patch, String patchJson, long expectedVersion,
            WriteContext context, UnaryOperator<JsonNode> check);

    /**
     * The entries stored in {@code scope} itself (not its parents) whose keys start with {@code prefix}, in key order,
     * as one consistent snapshot.
     */
    List<ConfigEntry> scan(String scope, String prefix);

    /**
     * Writes several keys of one scope in one transaction: reads the current entries of {@code keys} (locking them
     * until the end), passes them to {@code plan} (key to entry; absent keys are missing from the map), and makes the
     * writes it returns, each a compare-and-set, telling the plan how far they are ({@link BatchPlan#written}: once
     * with 0 before the first, then after each). If {@code plan} throws, or any write fails, nothing is written.
     *
     * @return the entries written, in the order of the plan's writes
     */
    List<ConfigEntry> writeBatch(String scope, List<String> keys, BatchPlan plan, WriteContext context);

    /**
     * What {@link #writeBatch} writes: a function from the current entries to the writes, told how far the writes
     * have come. Called on the writing thread, inside the batch's transaction.
     */
    interface BatchPlan extends Function<Map<String, ConfigEntry>, List<BatchWrite>> {
        /**
         * Called with {@code done} 0 once the writes are planned, then after each write; if the batch is retried,
         * it starts again from 0. What it throws aborts the batch.
         *
         * @param done the writes made so far
         * @param total the writes the plan returned
         */
        default void written(int done, int total) {
        }
    }

    /**
     * One write of {@link #writeBatch}.
     *
     * @param key the key
     * @param value the normalised value
     * @param json the value as compact JSON text
     * @param expectedVersion the version the key must be at, 0 if it must not exist
     */
    record BatchWrite(String key, JsonNode value, String json, long expectedVersion) {
    }

    /**
     * Starts a watch of the changes of keys starting with {@code prefix} in {@code scopes}: first the recorded changes
     * after {@code afterPosition} (none when it is negative), then live ones. Returns once changes committed from now on
     * are sure to be delivered.
     */
    ConfigSubscription watch(@Nullable List<String> scopes, String prefix, long afterPosition, ConfigListener listener);

    /**
     * Every entry of {@code scopes} whose key starts with {@code prefix}, all read at one moment (one statement), in no
     * particular order.
     */
    List<ConfigEntry> snapshot(List<String> scopes, String prefix);

    /**
     * Rewrites the secrets of recorded changes (history rows) in {@code scope} and every scope below it ({@code ""}:
     * all), of keys starting with {@code prefix}: for each {@code old_value} and {@code new_value} holding a secret,
     * {@code rewrap} returns its replacement, or null to leave it. Only those two columns change; version, kind, actor,
     * reason and time stay. Works in batches of {@code batchSize} rows, each its own transaction holding its rows'
     * locks, so it can be stopped and run again, and history written meanwhile is not lost. Rows are visited once each,
     * in (scope, key, id) order.
     *
     * @return how many history rows were rewritten
     */
    long rewrapHistory(String scope, String prefix, HistoryRewrap rewrap, int batchSize);

    /**
     * Verifies the hash chain of the history of keys starting with {@code prefix} in {@code scope} and every scope
     * below it ({@code ""}: all), with {@link HistoryChain.Verifier}, in one consistent snapshot.
     */
    HistoryVerification verifyHistory(String scope, String prefix);

    /** The replacement of one value of one history row. */
    @FunctionalInterface
    interface HistoryRewrap {
        /**
         * @param version the version the row records
         * @param column {@code "old_value"} or {@code "new_value"}
         * @return the replacement, or null to keep the value
         */
        @Nullable JsonNode apply(String scope, String key, long version, String column, JsonNode value);
    }
}
