package io.pgdock.config;

import java.util.Optional;

/**
 * What runs a {@link ConfigStore} rather than uses it, for one view: why a read answers as it does, re-encryption
 * under a new master key, verification of the history's hash chain, consistent snapshots and the read cache's
 * counters. Obtain it with {@link ConfigStore#policy()}, as Caffeine puts its extras behind {@code policy()}.
 *
 * <p>Implementations are thread-safe.
 */
public interface ConfigPolicy {
    /**
     * Which scopes a read of {@code key} consults and which one answers. The answering entry's value has each secret
     * in it replaced by {@value Secret#REDACTED} (see {@link Secret#redact}); explaining needs no key.
     *
     * @param key the key
     * @return the explanation
     */
    ConfigExplanation explain(String key);

    /**
     * Re-encrypts, under the {@link KeyProvider}'s current key, every secret encrypted under another key id, in two
     * steps, for the keys starting with {@code prefix} in this view's scope and every scope below it:
     * <ol>
     * <li><b>Current values.</b> Each changed value is written as a new version of its own scope through the normal
     * write path (the reason is "re-encrypt secrets under key id K" unless this view has one); values already under
     * the current key are not touched. A value written meanwhile by someone else is read again and re-encrypted.
     * <li><b>History.</b> Each history row ({@link ConfigStore#history(String)}) whose old or new value holds a secret
     * under another key id has that secret re-encrypted in place: the same plaintext, under the current key (a fresh
     * data key and nonce; the ciphertext changes because it is bound to its key id). Nothing else of the row changes:
     * its version, kind, actor, reason and time, and every part of the value outside its secrets, stay; the PostgreSQL
     * store refuses in the database any other change (migration V5). Rows of deleted keys are included. It works in
     * batches of 500 rows, each one transaction holding its rows' locks, so writers are not blocked and a run that
     * fails or is stopped can be run again: rows already under the current key are skipped.
     * </ol>
     * Afterwards a store holding only the current key reads every version and can {@link ConfigStore#rollback} to any.
     * Run it until {@link ReencryptResult#total()} is 0 (a writer still using the old key as its current one adds rows
     * under it), then retire the old key.
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @return how many current values and history rows were rewritten
     * @throws ConfigSecretException if the store has no {@link KeyProvider}, or a secret cannot be decrypted (naming
     *     the key, and for a history row its version; what was rewritten before it stays rewritten)
     * @throws UnsupportedOperationException on a snapshot store, which has no history
     */
    ReencryptResult reencrypt(String prefix);

    /**
     * Checks the history of the keys starting with {@code prefix}, in this view's scope and every scope below it, for
     * tampering beyond what privileges prevent (a superuser's or the owner's edits, a restored copy edited): every
     * history row carries a SHA-256 hash chained to the previous row of its key, computed by the database when the row
     * is written (migration V6). This recomputes each hash here, without trusting the database's functions, and checks
     * each link, each version step (a CREATE only first or after a DELETE, an UPDATE one version on with the value
     * before it as its old value) and that each key's newest row is its current value. So a row that was edited,
     * removed, inserted or moved, a value changed with the triggers disabled, or the newest rows cut off shows as a
     * {@link HistoryVerification.Break} naming scope, key and version. Retention keeps the chain checkable: it records
     * where it stopped for each key. Secret envelopes are hashed as a placeholder, so {@link #reencrypt}
     * leaves the chain intact; their contents are authenticated by their encryption instead.
     *
     * <p>What the chain cannot show on its own: a key's history recomputed from scratch by someone able to write it,
     * or removed together with the key. Keep the output of a verification elsewhere to compare against (RELIABILITY.md,
     * "Audit trail"). Reads one consistent snapshot (a repeatable-read, read-only transaction in the PostgreSQL store)
     * and holds no locks writers wait for.
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @return the keys and rows checked and the broken links
     * @throws UnsupportedOperationException on a snapshot store, which has no history
     */
    HistoryVerification verifyHistory(String prefix);

    /**
     * A read-only view of the keys starting with {@code prefix} in this view's scope and its parents, as they are at
     * this moment (read in one statement, so consistent with each other), for a pipeline run that must see one
     * configuration throughout. Reads of other keys throw {@link IllegalArgumentException}; writes, deletes, rollbacks,
     * history and watches throw {@link UnsupportedOperationException} naming the key. Holds its entries in memory;
     * thread-safe.
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @return the snapshot
     * @throws InvalidConfigException if the prefix is not valid
     */
    ConfigStore snapshot(String prefix);

    /**
     * The counters of this store's read cache, if it has one ({@link ConfigOptions.Builder#cache(int)}); views share
     * their store's cache.
     *
     * @return the counters, or empty when the store is not cached
     */
    default Optional<ConfigCacheStats> cacheStats() {
        return Optional.empty();
    }
}
