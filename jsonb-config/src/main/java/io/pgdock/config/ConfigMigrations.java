package io.pgdock.config;

import io.pgdock.core.MigrationProvider;
import io.pgdock.core.MigrationSet;

/**
 * Contributes the configuration store's tables (module {@code config}) to every {@link io.pgdock.core.Storage} opened
 * with automatic migration; registered in {@code META-INF/services/io.pgdock.core.MigrationProvider}, so users do not
 * call it. {@link ConfigStore#postgres(io.pgdock.core.Storage)} applies the same set itself when they are missing.
 *
 * <p>What the migrations create, in the storage schema: {@code config_entry} (one row per scope and key: the
 * {@code jsonb} value, its version, when and by whom it was last written), {@code config_history} (one row per change),
 * and triggers that keep versions and history, so edits made with plain SQL are versioned and recorded too. A plain-SQL
 * writer can name itself and its reason for the transaction:
 * <pre>{@code
 * SELECT set_config('pgdock_config.actor', 'alice', true), set_config('pgdock_config.reason', 'raise the limit', true);
 * UPDATE config_entry SET value = '5000' WHERE scope = '' AND key = 'ingest.batch_size';
 * }</pre>
 * Without that, the actor recorded is the role and the application name, for example {@code alice (psql)}.
 *
 * <p>Version 3 adds the function {@code pgdock_config_merge_patch(target jsonb, patch jsonb)}, JSON Merge Patch
 * (RFC 7386) as {@link ConfigParts#patch} applies it, usable from plain SQL as well:
 * {@code UPDATE config_entry SET value = pgdock_config_merge_patch(value, '{"pool": {"max": 20}}') WHERE ...}.
 *
 * <p>Version 4 makes {@code config_history} append-only for every role but its owner: UPDATE, DELETE, TRUNCATE,
 * REFERENCES and TRIGGER are revoked, a guard trigger refuses UPDATE, DELETE and TRUNCATE with SQLSTATE 42501 whatever
 * is granted, and retention trims through {@code pgdock_config_trim(scope, key, keep, age_us)}, a SECURITY DEFINER
 * function of the owner with a pinned {@code search_path}. Run it as the schema's owner in a two-role deployment
 * ({@link io.pgdock.core.Provisioning#withOwner(io.pgdock.core.ConnectionSpec)}).
 *
 * <p>Version 5 adds {@code pgdock_config_history_rewrap(scope, key, id, old_value, new_value)}, the one path by which
 * {@link ConfigPolicy#reencrypt} rewrites history rows: it replaces {@code old_value} and {@code new_value} of one row
 * and refuses (SQLSTATE 23514) a replacement that differs from the stored value anywhere outside its secrets. It is
 * SECURITY DEFINER (the owner's, with a pinned {@code search_path}), so that a runtime role without UPDATE on history
 * can re-encrypt it through this path alone.
 *
 * <p>Version 6 adds a hash chain: each history row gets {@code prev_hash} and {@code hash} (SHA-256 over the row and
 * the previous row's hash, per key) from a BEFORE INSERT trigger, the rows already there are chained by the migration,
 * and retention records where it stopped for each key in {@code config_history_anchor} (the owner's; others may only
 * read it), so {@link ConfigPolicy#verifyHistory} can tell an edited, removed, inserted or reordered row.
 *
 * <p>Version 7 makes the chain's helpers cheaper without changing a hash: {@code pgdock_config_hash_field} can be
 * inlined (no pinned {@code search_path}, STABLE as its body) and the digest is PL/pgSQL, computing each value's text
 * once. It about halves what the chain adds to a {@code put} (BENCHMARKS.md).
 *
 * <p>Stateless and thread-safe.
 */
public final class ConfigMigrations implements MigrationProvider {
    /** The migrations, read once; the SQL files sit next to this class. */
    private static final MigrationSet SET = MigrationSet.fromResources("config", ConfigMigrations.class,
            "V1__config_tables.sql", "V2__config_notify.sql", "V3__config_merge_patch.sql",
            "V4__config_history_append_only.sql", "V5__config_history_rewrap.sql",
            "V6__config_history_chain.sql", "V7__config_history_chain_inline.sql");

    /** For {@link java.util.ServiceLoader}. */
    public ConfigMigrations() {
    }

    /**
     * The {@code config} module's migrations.
     *
     * @return the migration set, the same instance on every call
     */
    @Override
    public MigrationSet migrations() {
        return SET;
    }
}
