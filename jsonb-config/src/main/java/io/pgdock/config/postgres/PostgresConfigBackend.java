package io.pgdock.config.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigConflictException;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigMigrations;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.HistoryRetention;
import io.pgdock.config.HistoryVerification;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.secret.SecretCodec;
import io.pgdock.config.store.ConfigBackend;
import io.pgdock.config.store.ConfigKeys;
import io.pgdock.config.store.DefaultConfigStore;
import io.pgdock.config.store.HistoryChain;
import io.pgdock.config.store.WriteContext;
import io.pgdock.core.DataAccessException;
import io.pgdock.core.MigrationSet;
import io.pgdock.core.SessionRequiredException;
import io.pgdock.core.Storage;
import io.pgdock.core.internal.SqlFailures;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL store's storage: tables {@code config_entry} and {@code config_history} in the storage schema, created
 * by the {@code config} migrations ({@code V1__config_tables.sql}).
 *
 * <p><b>Design.</b> Triggers, not this class, keep versions and history: a BEFORE trigger sets {@code version},
 * {@code updated_at} and {@code updated_by}, an AFTER trigger appends the history row and applies retention. So an edit
 * made with plain SQL is versioned and audited exactly like one made here. This class tells the triggers who writes,
 * why, and how much history to keep through transaction-local settings ({@code pgdock_config.actor},
 * {@code pgdock_config.reason}, {@code pgdock_config.keep_versions}, {@code pgdock_config.max_age_us}), set by
 * {@code set_config(..., true)} in a sub-select of the write statement itself. Each write is therefore one statement,
 * one round trip and (in auto-commit) one transaction; the settings end with it, so a pooled connection carries nothing
 * over to its next borrower.
 *
 * <p><b>Statements.</b> read: one SELECT. write: one INSERT ... ON CONFLICT DO UPDATE (any version), INSERT ... ON
 * CONFLICT DO NOTHING (must not exist) or UPDATE ... WHERE version = ? (compare-and-set); only when that changes no row
 * does a second SELECT read the current version for the {@link ConfigConflictException}. delete: one DELETE, plus that
 * SELECT on a conflict. list: one SELECT that walks the {@code (key, scope)} index in key order. history: one SELECT.
 * All statement texts are constants, so the driver keeps them prepared on each pooled connection.
 *
 * <p><b>Patches and imports</b> are the only operations with an explicit transaction. patch: one INSERT ... ON
 * CONFLICT DO UPDATE or UPDATE whose new value is {@code pgdock_config_merge_patch(value, patch)} (migration V3),
 * returning the result, which {@link DefaultConfigStore} checks before the commit. import: SELECT ... FOR UPDATE of the
 * document's keys, then one INSERT or compare-and-set UPDATE per changed key, committed together.
 *
 * <p><b>Concurrency.</b> Compare-and-set relies on the row: {@code UPDATE ... WHERE version = ?} rechecks the version
 * on the newest row version after waiting for a concurrent writer (READ COMMITTED), and the primary key decides between
 * concurrent creators. When the follow-up read finds the expected version after all (the key was deleted and written
 * again in between), the statement is tried again, at most three times in all.
 *
 * <p>Thread-safe: every call borrows its own connection from the storage's pool; the one mutable part is the change
 * feed of watches ({@link PostgresChangeFeed}, with its own connection), created by the first watch.
 */
public final class PostgresConfigBackend implements ConfigBackend {
    /** How often a compare-and-set is tried when its follow-up read finds the expected version after all. */
    private static final MigrationSet CONFIG_MIGRATIONS = new ConfigMigrations().migrations();
    private static final int ATTEMPTS = 3;

    /** Sets the write's context for the triggers; one row, so joining it changes nothing else. Parameters 4. */
    private static final String CONTEXT = "(SELECT set_config('pgdock_config.actor', ?, true) AS actor, "
            + "set_config('pgdock_config.reason', ?, true) AS reason, "
            + "set_config('pgdock_config.keep_versions', ?, true) AS keep_versions, "
            + "set_config('pgdock_config.max_age_us', ?, true) AS max_age_us) ctx";

    private static final String RETURNING = " RETURNING e.version, e.updated_at, e.updated_by";

    private static final String READ = "SELECT scope, key, value, version, updated_at, updated_by FROM config_entry "
            + "WHERE key = ? AND scope = ANY (?)";

    /** scope, key, value, context. */
    private static final String UPSERT = "INSERT INTO config_entry AS e (scope, key, value) SELECT ?, ?, ?::jsonb FROM "
            + CONTEXT + " ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value" + RETURNING;

    /** scope, key, value, context. */
    private static final String CREATE = "INSERT INTO config_entry AS e (scope, key, value) SELECT ?, ?, ?::jsonb FROM "
            + CONTEXT + " ON CONFLICT (scope, key) DO NOTHING" + RETURNING;

    /** value, context, scope, key, version. */
    private static final String REPLACE = "UPDATE config_entry AS e SET value = ?::jsonb FROM " + CONTEXT
            + " WHERE e.scope = ? AND e.key = ? AND e.version = ?" + RETURNING;

    /** context, scope, key. */
    private static final String DELETE = "DELETE FROM config_entry AS e USING " + CONTEXT
            + " WHERE e.scope = ? AND e.key = ? RETURNING e.version";

    /** context, scope, key, version. */
    private static final String DELETE_VERSION = "DELETE FROM config_entry AS e USING " + CONTEXT
            + " WHERE e.scope = ? AND e.key = ? AND e.version = ? RETURNING e.version";

    private static final String VERSION = "SELECT version FROM config_entry WHERE scope = ? AND key = ?";

    /**
     * Distinct keys in order from the (key, scope) index, stopping after a page; then, per key, the row of the first
     * scope in the array: {@link io.pgdock.config.store.ScopeFallback}'s rule, which a test holds this query to. Keys
     * are bounded by [prefix, upper), which is "starts with prefix" because the table's check constraint limits keys to
     * characters below '{'. Parameters: scopes, afterKey, prefix, upper, limit, scopes, scopes.
     */
    private static final String LIST = "SELECT c.scope, c.key, c.value, c.version, c.updated_at, c.updated_by "
            + "FROM (SELECT DISTINCT k.key FROM config_entry k "
            + "      WHERE k.scope = ANY (?) AND k.key > ? AND k.key >= ? AND k.key < ? ORDER BY k.key LIMIT ?) page "
            + "CROSS JOIN LATERAL (SELECT * FROM config_entry c WHERE c.key = page.key AND c.scope = ANY (?) "
            + "      ORDER BY array_position(?::text[], c.scope) LIMIT 1) c "
            + "ORDER BY page.key";

    private static final String HISTORY = "SELECT version, kind, old_value, new_value, actor, reason, changed_at "
            + "FROM config_history WHERE scope = ? AND key = ? ORDER BY id DESC";

    private static final String DEFAULT_ACTOR = "SELECT pgdock_config_actor()";

    /** Above every character keys may have (the check constraint allows A-Z a-z 0-9 . _ - / :, all below '{'). */
    private static final String ABOVE_ALL_KEYS = "{";

    private static final String PATCH_RETURNING = " RETURNING e.value, e.version, e.updated_at, e.updated_by";

    /** scope, key, patch, context, patch: the merge onto nothing for a new key, onto the locked row otherwise. */
    private static final String PATCH_UPSERT = "INSERT INTO config_entry AS e (scope, key, value) "
            + "SELECT ?, ?, pgdock_config_merge_patch(NULL, ?::jsonb) FROM " + CONTEXT
            + " ON CONFLICT (scope, key) DO UPDATE SET value = pgdock_config_merge_patch(e.value, ?::jsonb)"
            + PATCH_RETURNING;

    /** scope, key, patch, context. */
    private static final String PATCH_CREATE = "INSERT INTO config_entry AS e (scope, key, value) "
            + "SELECT ?, ?, pgdock_config_merge_patch(NULL, ?::jsonb) FROM " + CONTEXT
            + " ON CONFLICT (scope, key) DO NOTHING" + PATCH_RETURNING;

    /** patch, context, scope, key, version. */
    private static final String PATCH_UPDATE = "UPDATE config_entry AS e SET value = pgdock_config_merge_patch(e.value, "
            + "?::jsonb) FROM " + CONTEXT + " WHERE e.scope = ? AND e.key = ? AND e.version = ?" + PATCH_RETURNING;

    /** scope, prefix, upper bound. */
    private static final String SCAN = "SELECT scope, key, value, version, updated_at, updated_by FROM config_entry "
            + "WHERE scope = ? AND key >= ? AND key < ? ORDER BY key";

    /** scope, keys: locked in key order, so concurrent batches wait for each other rather than deadlock. */
    private static final String LOCK = "SELECT scope, key, value, version, updated_at, updated_by FROM config_entry "
            + "WHERE scope = ? AND key = ANY (?) ORDER BY key FOR UPDATE";

    private final Storage storage;
    private final DataSource dataSource;
    private final String defaultActor;
    /** The store's options: the change feed's ticker and threads. */
    private final ConfigOptions options;
    /** What connection failures name: the spec, password masked, or the application's DataSource. */
    private final String target;

    private PostgresConfigBackend(Storage storage, String defaultActor, ConfigOptions options) {
        this.storage = storage;
        this.options = options;
        this.dataSource = storage.dataSource();
        this.defaultActor = defaultActor;
        this.target = target(storage);
    }

    /** The spec of storage opened from one; storage over an application's DataSource has none, and says so itself. */
    public static String target(Storage storage) {
        try {
            return storage.spec().toString();
        } catch (UnsupportedOperationException overApplicationDataSource) {
            return storage.toString();
        }
    }

    /**
     * The backend on {@code storage}: applies the {@code config} migrations if they are pending (a no-op when
     * {@code Storage.open} already did) and reads the default actor.
     *
     * @throws io.pgdock.core.MigrationException if the migrations cannot be applied
     * @throws io.pgdock.core.ConnectionFailedException if no connection can be had
     */
    public static ConfigBackend create(Storage storage) {
        return create(storage, ConfigOptions.defaults());
    }

    /** {@link #create(Storage)} with the store's options, which the change feed takes its ticker and threads from. */
    public static ConfigBackend create(Storage storage, ConfigOptions options) {
        Objects.requireNonNull(storage, "storage");
        storage.migrator().apply(List.of(CONFIG_MIGRATIONS));
        PostgresConfigBackend probe = new PostgresConfigBackend(storage, "", options);   // only reads the default actor
        String actor = probe.run("reading the default actor", null, null, c -> {
            try (PreparedStatement s = c.prepareStatement(DEFAULT_ACTOR); ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        });
        return new PostgresConfigBackend(storage, actor, options);
    }

    @Override
    public List<ConfigEntry> read(List<String> scopes, String key) {
        return run("reading", null, key, c -> {
            try (PreparedStatement s = c.prepareStatement(READ)) {
                s.setString(1, key);
                s.setArray(2, c.createArrayOf("text", scopes.toArray()));
                try (ResultSet rs = s.executeQuery()) {
                    List<ConfigEntry> found = new ArrayList<>(scopes.size());
                    while (rs.next()) {
                        found.add(entry(rs));
                    }
                    return found;
                }
            }
        });
    }

    @Override
    public ConfigEntry write(String scope, String key, JsonNode value, String json, long expectedVersion,
            WriteContext context) {
        return run("writing", scope, key, c -> {
            for (int attempt = 1; ; attempt++) {
                ConfigEntry written;
                if (expectedVersion == ConfigStore.ANY_VERSION) {
                    written = insert(c, UPSERT, scope, key, value, json, context);
                } else if (expectedVersion == 0) {
                    written = insert(c, CREATE, scope, key, value, json, context);
                } else {
                    written = replace(c, scope, key, value, json, expectedVersion, context);
                }
                if (written != null) {
                    return written;
                }
                if (expectedVersion == ConfigStore.ANY_VERSION) {
                    throw notApplied("write", scope, key, "any version");
                }
                long current = currentVersion(c, scope, key);
                if (current != expectedVersion) {
                    throw new ConfigConflictException(scope, key, expectedVersion, current);
                }
                if (attempt == ATTEMPTS) {
                    throw notApplied("write", scope, key, "the expected version " + expectedVersion);
                }
            }
        });
    }

    private @Nullable ConfigEntry insert(Connection c, String sql, String scope, String key, JsonNode value, String json,
            WriteContext context) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, scope);
            s.setString(2, key);
            s.setString(3, json);
            setContext(s, 4, context);
            return written(s, scope, key, value);
        }
    }

    private @Nullable ConfigEntry replace(Connection c, String scope, String key, JsonNode value, String json, long expected,
            WriteContext context) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(REPLACE)) {
            s.setString(1, json);
            int i = setContext(s, 2, context);
            s.setString(i, scope);
            s.setString(i + 1, key);
            s.setLong(i + 2, expected);
            return written(s, scope, key, value);
        }
    }

    /**
     * The new entry, or null if the statement changed no row. Its value is the normalised value that was sent, which
     * is what jsonb stored (see {@link JsonValues#normalize}); reading it back would only cost time.
     */
    private static @Nullable ConfigEntry written(PreparedStatement s, String scope, String key, JsonNode value)
            throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            return new ConfigEntry(scope, key, value, rs.getLong(1), instant(rs, 2), rs.getString(3));
        }
    }

    @Override
    public boolean delete(String scope, String key, long expectedVersion, WriteContext context) {
        return run("deleting", scope, key, c -> {
            boolean any = expectedVersion == ConfigStore.ANY_VERSION;
            for (int attempt = 1; ; attempt++) {
                try (PreparedStatement s = c.prepareStatement(any ? DELETE : DELETE_VERSION)) {
                    int i = setContext(s, 1, context);
                    s.setString(i, scope);
                    s.setString(i + 1, key);
                    if (!any) {
                        s.setLong(i + 2, expectedVersion);
                    }
                    try (ResultSet rs = s.executeQuery()) {
                        if (rs.next()) {
                            return true;
                        }
                    }
                }
                if (any) {
                    return false;
                }
                long current = currentVersion(c, scope, key);
                if (current != expectedVersion) {
                    throw new ConfigConflictException(scope, key, expectedVersion, current);
                }
                if (attempt == ATTEMPTS) {
                    throw notApplied("delete", scope, key, "the expected version " + expectedVersion);
                }
            }
        });
    }

    private static long currentVersion(Connection c, String scope, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(VERSION)) {
            s.setString(1, scope);
            s.setString(2, key);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** A write that changes no row although the key is at a version it accepts. */
    private static DataAccessException notApplied(String what, String scope, String key, String version) {
        return new DataAccessException("config key " + ConfigKeys.describe(scope, key) + ": the " + what
                + " changed no row although the key is at " + version
                + "; does another trigger on config_entry skip rows?", null, null);
    }

    /** Binds the four context parameters from {@code index}; returns the next index. */
    private int setContext(PreparedStatement s, int index, WriteContext context) throws SQLException {
        // Always sent, '' meaning unset: leaving the clause out would let a session-level setting on the pooled
        // connection (SET pgdock_config.keep_versions = 1, say) speak for this write.
        HistoryRetention retention = context.retention();
        // Without an actor of the caller's, the default actor read when the store was created: the session's own
        // application_name is not reliable behind PgBouncer in transaction mode (1.18 let a write run on a server
        // session without it), so a write through the store would be attributed to "role" instead of "role (app)".
        String actor = context.actor() != null ? context.actor() : defaultActor != null ? defaultActor : "";
        s.setString(index, actor);
        s.setString(index + 1, context.reason() == null ? "" : context.reason());
        s.setString(index + 2, retention.latestVersions() == 0 ? "" : Integer.toString(retention.latestVersions()));
        s.setString(index + 3, retention.maxAge() == null ? "" : Long.toString(micros(retention.maxAge())));
        return index + 4;
    }

    /**
     * A positive age in whole microseconds, PostgreSQL's resolution. Truncating is exact: with timestamps in whole
     * microseconds, "older than age" is the same for an age and for the age cut to microseconds.
     */
    public static long micros(Duration age) {
        try {
            return Math.addExact(Math.multiplyExact(age.getSeconds(), 1_000_000L), age.getNano() / 1000);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public List<ConfigEntry> list(List<String> scopes, String prefix, @Nullable String afterKey, int limit) {
        return run("listing", null, null, c -> {
            try (PreparedStatement s = c.prepareStatement(LIST)) {
                Array layers = c.createArrayOf("text", scopes.toArray());
                s.setArray(1, layers);
                s.setString(2, afterKey == null ? "" : afterKey);
                s.setString(3, prefix);
                s.setString(4, prefix.isEmpty() ? ABOVE_ALL_KEYS : upperBound(prefix));
                s.setInt(5, limit);
                s.setArray(6, layers);
                s.setArray(7, layers);
                try (ResultSet rs = s.executeQuery()) {
                    List<ConfigEntry> page = new ArrayList<>(Math.min(limit, 1024));
                    while (rs.next()) {
                        page.add(entry(rs));
                    }
                    return page;
                }
            }
        });
    }

    /** The least string above every string that starts with {@code prefix}, for a non-empty ASCII prefix. */
    public static String upperBound(String prefix) {
        char last = prefix.charAt(prefix.length() - 1);
        return prefix.substring(0, prefix.length() - 1) + (char) (last + 1);
    }

    @Override
    public List<ConfigChange> history(String scope, String key) {
        return run("reading the history", scope, key, c -> {
            try (PreparedStatement s = c.prepareStatement(HISTORY)) {
                s.setString(1, scope);
                s.setString(2, key);
                try (ResultSet rs = s.executeQuery()) {
                    List<ConfigChange> changes = new ArrayList<>();
                    while (rs.next()) {
                        changes.add(new ConfigChange(scope, key, rs.getLong(1), ConfigChange.Kind.valueOf(rs.getString(2)),
                                json(rs.getString(3), scope, key), json(rs.getString(4), scope, key), rs.getString(5),
                                rs.getString(6), instant(rs, 7)));
                    }
                    return changes;
                }
            }
        });
    }

    /**
     * One batch of history rows that hold a secret, after a (scope, key, id) cursor. Not locked here: SELECT ... FOR
     * UPDATE needs UPDATE on config_history, which a runtime role does not have (V4); the rewrap function locks each row
     * as it checks and rewrites it, and a row removed by retention meanwhile is skipped.
     * The scope and key bounds are ranges, as in {@link #LIST}: scopes may hold only characters below '{' and '/' is
     * followed by '0', so [root/, root0) is "below root". Parameters: cursor scope, key, id; all scopes?; root; root/;
     * root0; prefix; upper bound; limit. The primary key (scope, key, id) serves the order and the cursor.
     */
    private static final String HISTORY_WITH_SECRETS = "SELECT h.scope, h.key, h.id, h.version, h.old_value, "
            + "h.new_value FROM config_history h "
            + "WHERE (h.scope, h.key, h.id) > (?, ?, ?) "
            + "AND (? OR h.scope = ? OR (h.scope >= ? AND h.scope < ?)) AND h.key >= ? AND h.key < ? "
            + "AND (strpos(h.old_value::text, '\"$pgdock_secret\"') > 0 "
            + "     OR strpos(h.new_value::text, '\"$pgdock_secret\"') > 0) "
            + "ORDER BY h.scope, h.key, h.id LIMIT ?";

    /** The single statement that changes history rows; see V5__config_history_rewrap.sql for what it may change. */
    private static final String HISTORY_REWRAP = "SELECT pgdock_config_history_rewrap(?, ?, ?, ?::jsonb, ?::jsonb)";

    /**
     * Each batch is one transaction: SELECT of up to {@code batchSize} history rows holding a secret,
     * the new values computed here (the keys never reach the database), then one call of
     * {@code pgdock_config_history_rewrap} per changed row, commit. Writers are not blocked (they only insert history
     * rows; a row inserted meanwhile is under the writer's current key, or is found by the next run); retention's
     * DELETE of a row the batch has rewritten waits for the batch. A failure rolls back its batch alone: the batches before stay
     * committed, and a rerun skips their rows, which are then under the current key.
     */
    @Override
    public long rewrapHistory(String scope, String prefix, HistoryRewrap rewrap, int batchSize) {
        long[] total = {0};
        String[] cursor = {"", ""};
        long[] cursorId = {0};
        boolean[] more = {true};
        while (more[0]) {
            run("re-encrypting the history", null, null, c -> transaction(c, () -> {
                List<Object[]> rows = new ArrayList<>();
                try (PreparedStatement s = c.prepareStatement(HISTORY_WITH_SECRETS)) {
                    s.setString(1, cursor[0]);
                    s.setString(2, cursor[1]);
                    s.setLong(3, cursorId[0]);
                    s.setBoolean(4, scope.isEmpty());
                    s.setString(5, scope);
                    s.setString(6, scope + "/");
                    s.setString(7, scope + "0");
                    s.setString(8, prefix);
                    s.setString(9, prefix.isEmpty() ? ABOVE_ALL_KEYS : upperBound(prefix));
                    s.setInt(10, batchSize);
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            rows.add(new Object[] {rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
                                rs.getString(5), rs.getString(6)});
                        }
                    }
                }
                more[0] = rows.size() == batchSize;
                if (rows.isEmpty()) {
                    return 0L;
                }
                Object[] last = rows.get(rows.size() - 1);
                cursor[0] = (String) last[0];
                cursor[1] = (String) last[1];
                cursorId[0] = (Long) last[2];
                long done = 0;
                try (PreparedStatement u = c.prepareStatement(HISTORY_REWRAP)) {
                    for (Object[] row : rows) {
                        String rowScope = (String) row[0];
                        String rowKey = (String) row[1];
                        long version = (Long) row[3];
                        String oldText = rewrapped(rewrap, rowScope, rowKey, version, "old_value", (String) row[4]);
                        String newText = rewrapped(rewrap, rowScope, rowKey, version, "new_value", (String) row[5]);
                        if (oldText == null && newText == null) {
                            continue;
                        }
                        u.setString(1, rowScope);
                        u.setString(2, rowKey);
                        u.setLong(3, (Long) row[2]);
                        u.setString(4, oldText != null ? oldText : (String) row[4]);
                        u.setString(5, newText != null ? newText : (String) row[5]);
                        try (ResultSet rs = u.executeQuery()) {
                            if (rs.next() && rs.getBoolean(1)) {
                                done++;
                            }
                        }
                    }
                }
                total[0] += done;
                return done;
            }));
        }
        return total[0];
    }

    /** scope filter (4 parameters: all?, scope, scope + "/", scope + "0") and key range (2: prefix, its bound). */
    private static final String RANGE = "(? OR scope = ? OR (scope >= ? AND scope < ?)) AND key >= ? AND key < ?";

    private static final String VERIFY_ANCHORS = "SELECT scope, key, version, hash FROM config_history_anchor WHERE "
            + RANGE;
    private static final String VERIFY_ENTRIES = "SELECT scope, key, version, value::text FROM config_entry WHERE "
            + RANGE;
    private static final String VERIFY_HISTORY = "SELECT scope, key, version, kind, old_value::text, new_value::text, "
            + "actor, reason, changed_at, prev_hash, hash FROM config_history WHERE " + RANGE
            + " ORDER BY scope, key, id";

    /**
     * One repeatable-read, read-only transaction, so rows, anchors and entries are one snapshot and a write landing
     * meanwhile is not taken for a break; history is streamed (a cursor of 1000 rows), entries and anchors of the range
     * are held in memory. Every hash is recomputed in Java ({@link HistoryChain}) from the stored jsonb text.
     */
    @Override
    public HistoryVerification verifyHistory(String scope, String prefix) {
        return run("verifying the history", null, null, c -> transaction(c, () -> {
            try (PreparedStatement set = c.prepareStatement(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")) {
                set.execute();
            }
            Map<List<String>, HistoryChain.Anchor> anchors = new HashMap<>();
            try (PreparedStatement s = range(c, VERIFY_ANCHORS, scope, prefix); ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    anchors.put(List.of(rs.getString(1), rs.getString(2)),
                            new HistoryChain.Anchor(rs.getLong(3), rs.getBytes(4)));
                }
            }
            java.util.TreeMap<List<String>, HistoryChain.Current> entries = new java.util.TreeMap<>(BY_SCOPE_AND_KEY);
            try (PreparedStatement s = range(c, VERIFY_ENTRIES, scope, prefix); ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String rowScope = rs.getString(1);
                    String rowKey = rs.getString(2);
                    entries.put(List.of(rowScope, rowKey), new HistoryChain.Current(rs.getLong(3),
                            HistoryChain.canon(json(rs.getString(4), rowScope, rowKey))));
                }
            }
            HistoryChain.Verifier verifier = new HistoryChain.Verifier();
            try (PreparedStatement s = range(c, VERIFY_HISTORY, scope, prefix)) {
                s.setFetchSize(1000);
                try (ResultSet rs = s.executeQuery()) {
                    List<String> current = null;
                    while (rs.next()) {
                        String rowScope = rs.getString(1);
                        String rowKey = rs.getString(2);
                        List<String> id = List.of(rowScope, rowKey);
                        if (!id.equals(current)) {
                            if (current != null) {
                                verifier.endKey(current.get(0), current.get(1), entries.remove(current));
                            }
                            endKeysBefore(verifier, entries, id);
                            current = id;
                        }
                        verifier.row(new HistoryChain.Row(rowScope, rowKey, rs.getLong(3),
                                ConfigChange.Kind.valueOf(rs.getString(4)),
                                HistoryChain.canon(json(rs.getString(5), rowScope, rowKey)),
                                HistoryChain.canon(json(rs.getString(6), rowScope, rowKey)), rs.getString(7),
                                rs.getString(8), instant(rs, 9), rs.getBytes(10), rs.getBytes(11)), anchors.get(id));
                    }
                    if (current != null) {
                        verifier.endKey(current.get(0), current.get(1), entries.remove(current));
                    }
                }
            }
            endKeysBefore(verifier, entries, null);
            return verifier.result();
        }));
    }

    private static final java.util.Comparator<List<String>> BY_SCOPE_AND_KEY = java.util.Comparator
            .<List<String>, String>comparing(id -> id.get(0)).thenComparing(id -> id.get(1));

    /** The keys with an entry but no history row, sorting before {@code id} (null: all that are left). */
    private static void endKeysBefore(HistoryChain.Verifier verifier,
            java.util.NavigableMap<List<String>, HistoryChain.Current> entries, @Nullable List<String> id) {
        while (!entries.isEmpty() && (id == null || BY_SCOPE_AND_KEY.compare(entries.firstKey(), id) < 0)) {
            Map.Entry<List<String>, HistoryChain.Current> e = entries.pollFirstEntry();
            verifier.endKey(e.getKey().get(0), e.getKey().get(1), e.getValue());
        }
    }

    private static PreparedStatement range(Connection c, String sql, String scope, String prefix) throws SQLException {
        PreparedStatement s = c.prepareStatement(sql);
        s.setBoolean(1, scope.isEmpty());
        s.setString(2, scope);
        s.setString(3, scope + "/");
        s.setString(4, scope + "0");
        s.setString(5, prefix);
        s.setString(6, prefix.isEmpty() ? ABOVE_ALL_KEYS : upperBound(prefix));
        return s;
    }

    /** The replacement's JSON text, or null to keep the stored text. */
    private static @Nullable String rewrapped(HistoryRewrap rewrap, String scope, String key, long version,
            String column, @Nullable String text) {
        JsonNode value = json(text, scope, key);
        if (value == null || !SecretCodec.containsSecret(value)) {
            return null;
        }
        JsonNode out = rewrap.apply(scope, key, version, column, value);
        return out == null ? null : JsonValues.text(out);
    }

    @Override
    public String defaultActor() {
        return defaultActor;
    }

    /** Started by the first watch; one per backend, so one listening connection per store however many views. */
    private @Nullable PostgresChangeFeed feed;   // guarded by this

    private synchronized PostgresChangeFeed feed() {
        if (feed == null) {
            feed = new PostgresChangeFeed(storage, this, options);
        }
        return feed;
    }

    @Override
    public ConfigSubscription watch(@Nullable List<String> scopes, String prefix, long afterPosition,
            ConfigListener listener) {
        requireSessions(storage, "watch() LISTENs for changes");
        return feed().watch(scopes, prefix, afterPosition, listener);
    }

    /**
     * Fails unless the storage can give a session of its own: behind a transaction-mode pooler a {@code LISTEN} would
     * return and then hear nothing, so what needs one refuses to start instead.
     *
     * @param what what needs the session, starting the reason
     * @throws SessionRequiredException naming the fix
     */
    public static void requireSessions(Storage storage, String what) {
        if (!storage.dedicatedConnectionsAvailable()) {
            throw new SessionRequiredException("config store in schema \"" + storage.schema() + "\": " + what
                    + " on a session of its own, but " + storage + " runs in transaction pooling mode (PgBouncer "
                    + "pool_mode = transaction drops the notifications) and has no direct connection to give; set "
                    + "StorageOptions.dedicatedConnectionSpec(...) to a spec that reaches PostgreSQL directly (or "
                    + "through a session-mode pooler)");
        }
    }

    /** The listening connection's backend process id, 0 if none; for tests that terminate it. */
    public int listenerPid() {
        return feed().listenerPid();
    }

    /**
     * Recorded changes in {@code scopes} of keys starting with {@code prefix}, after {@code afterPosition}, in position
     * order. Walks the primary key (scope, key, id) over the prefix's range in each scope.
     */
    private static final String CHANGES_AFTER = "SELECT " + PostgresChangeFeed.COLUMNS + " FROM config_history "
            + "WHERE scope = ANY (?) AND key >= ? AND key < ? AND id > ? ORDER BY id";

    public List<ConfigEvent> changesAfter(List<String> scopes, String prefix, long afterPosition) {
        return run("replaying the history", null, null, c -> {
            try (PreparedStatement s = c.prepareStatement(CHANGES_AFTER)) {
                s.setArray(1, c.createArrayOf("text", scopes.toArray()));
                s.setString(2, prefix);
                s.setString(3, prefix.isEmpty() ? ABOVE_ALL_KEYS : upperBound(prefix));
                s.setLong(4, afterPosition);
                try (ResultSet rs = s.executeQuery()) {
                    return PostgresChangeFeed.events(rs);
                }
            }
        });
    }

    /** One statement, so one snapshot of the table. */
    private static final String SNAPSHOT = "SELECT scope, key, value, version, updated_at, updated_by FROM config_entry "
            + "WHERE scope = ANY (?) AND key >= ? AND key < ?";

    @Override
    public List<ConfigEntry> snapshot(List<String> scopes, String prefix) {
        return run("taking a snapshot", null, null, c -> {
            try (PreparedStatement s = c.prepareStatement(SNAPSHOT)) {
                s.setArray(1, c.createArrayOf("text", scopes.toArray()));
                s.setString(2, prefix);
                s.setString(3, prefix.isEmpty() ? ABOVE_ALL_KEYS : upperBound(prefix));
                try (ResultSet rs = s.executeQuery()) {
                    List<ConfigEntry> all = new ArrayList<>();
                    while (rs.next()) {
                        all.add(entry(rs));
                    }
                    return all;
                }
            }
        });
    }

    /** scope, key, value, version, updated_at, updated_by. */
    private static ConfigEntry entry(ResultSet rs) throws SQLException {
        String scope = rs.getString(1);
        String key = rs.getString(2);
        return new ConfigEntry(scope, key, Objects.requireNonNull(json(rs.getString(3), scope, key), "value"),
                rs.getLong(4), instant(rs, 5),
                rs.getString(6));
    }

    public static Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    /** Parses stored JSON; null stays null. A failure names the key but not the value, nor Jackson's message. */
    public static @Nullable JsonNode json(@Nullable String text, String scope, String key) {
        if (text == null) {
            return null;
        }
        try {
            return JsonValues.readStored(text);
        } catch (JsonProcessingException e) {
            throw new DataAccessException("config key " + ConfigKeys.describe(scope, key) + ": the stored value "
                    + "cannot be read (" + e.getClass().getSimpleName() + ": it is deeper, longer or otherwise beyond "
                    + "what this store writes; was it written with plain SQL?)", null, null);
        }
    }

    /** Work on a borrowed connection. */
    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T run(String what, @Nullable String scope, @Nullable String key, SqlWork<T> work) {
        Connection c;
        try {
            c = dataSource.getConnection();
        } catch (SQLException e) {
            throw SqlFailures.connectFailure(e, target);
        }
        try (c) {
            return work.run(c);
        } catch (SQLException e) {
            String state = e.getSQLState();
            String subject = key == null ? "config store in schema \"" + storage.schema() + "\""
                    : "config key " + ConfigKeys.describe(scope, key);
            if (SqlFailures.classify(e) == io.pgdock.core.ConnectionFailedException.Reason.READ_ONLY) {
                throw new io.pgdock.core.ConnectionFailedException(
                        io.pgdock.core.ConnectionFailedException.Reason.READ_ONLY, subject + ": " + what
                        + " refused: " + target + " is read-only (a standby, or a spec with readOnly=true); write "
                        + "through a store on the primary (a spec with targetServerType=primary); reads work here",
                        state, sanitized(e));
            }
            // A refused write names the key (above); anything else about the deployment is classified on the
            // driver's exception (its types and server message), reported without its detail lines.
            io.pgdock.core.ConnectionFailedException failure = SqlFailures.deploymentFailure(e, target, null);
            if (failure != null) {
                throw new io.pgdock.core.ConnectionFailedException(failure.reason(), failure.getMessage(),
                        failure.sqlState(), sanitized(e));
            }
            throw new DataAccessException(subject + ": " + what + " failed (SQLSTATE " + state + "): "
                    + SqlFailures.firstLine(e.getMessage()), state, sanitized(e));
        }
    }

    /**
     * The failure without the server's detail lines, which can quote the row being written (for example "Failing row
     * contains (...)"), that is, a value that may be secret: the first line and the SQLSTATE only.
     */
    private static SQLException sanitized(SQLException e) {
        SQLException safe = new SQLException(SqlFailures.firstLine(e.getMessage()), e.getSQLState(), e.getErrorCode());
        safe.setStackTrace(e.getStackTrace());
        return safe;
    }

    /**
     * One statement merges the patch on the database side ({@code pgdock_config_merge_patch}, migration V3) and returns
     * the result; it runs in a transaction that is committed only after {@code check} accepts the result, so a result
     * over the size limit or against the schema is rolled back with its history row. The row lock taken by the
     * statement is held until then: a concurrent patch of the same key waits and then merges onto this result.
     */
    @Override
    public ConfigEntry patch(String scope, String key, JsonNode patch, String patchJson, long expectedVersion,
            WriteContext context, UnaryOperator<JsonNode> check) {
        return run("patching", scope, key, c -> transaction(c, () -> {
            for (int attempt = 1; ; attempt++) {
                ConfigEntry written;
                if (expectedVersion == ConfigStore.ANY_VERSION || expectedVersion == 0) {
                    try (PreparedStatement s = c.prepareStatement(expectedVersion == 0 ? PATCH_CREATE : PATCH_UPSERT)) {
                        s.setString(1, scope);
                        s.setString(2, key);
                        s.setString(3, patchJson);
                        int i = setContext(s, 4, context);
                        if (expectedVersion != 0) {
                            s.setString(i, patchJson);
                        }
                        written = patched(s, scope, key, check);
                    }
                } else {
                    try (PreparedStatement s = c.prepareStatement(PATCH_UPDATE)) {
                        s.setString(1, patchJson);
                        int i = setContext(s, 2, context);
                        s.setString(i, scope);
                        s.setString(i + 1, key);
                        s.setLong(i + 2, expectedVersion);
                        written = patched(s, scope, key, check);
                    }
                }
                if (written != null) {
                    return written;
                }
                if (expectedVersion == ConfigStore.ANY_VERSION) {
                    throw notApplied("patch", scope, key, "any version");
                }
                long current = currentVersion(c, scope, key);
                if (current != expectedVersion) {
                    throw new ConfigConflictException(scope, key, expectedVersion, current);
                }
                if (attempt == ATTEMPTS) {
                    throw notApplied("patch", scope, key, "the expected version " + expectedVersion);
                }
            }
        }));
    }

    /** The patched entry, its value read back and passed through {@code check}; null if no row changed. */
    private static @Nullable ConfigEntry patched(PreparedStatement s, String scope, String key, UnaryOperator<JsonNode> check)
            throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            JsonNode value = check.apply(json(rs.getString(1), scope, key));
            return new ConfigEntry(scope, key, value, rs.getLong(2), instant(rs, 3), rs.getString(4));
        }
    }

    @Override
    public List<ConfigEntry> scan(String scope, String prefix) {
        return run("exporting", null, null, c -> {
            try (PreparedStatement s = c.prepareStatement(SCAN)) {
                s.setString(1, scope);
                s.setString(2, prefix);
                s.setString(3, prefix.isEmpty() ? ABOVE_ALL_KEYS : upperBound(prefix));
                try (ResultSet rs = s.executeQuery()) {
                    List<ConfigEntry> found = new ArrayList<>();
                    while (rs.next()) {
                        found.add(entry(rs));
                    }
                    return found;
                }
            }
        });
    }

    /**
     * One transaction: SELECT ... FOR UPDATE of the keys, the plan, then one INSERT (expected version 0) or
     * compare-and-set UPDATE per write; any failure rolls everything back.
     */
    @Override
    public List<ConfigEntry> writeBatch(String scope, List<String> keys, BatchPlan plan, WriteContext context) {
        return run("importing", null, null, c -> transaction(c, () -> {
            Map<String, ConfigEntry> current = new HashMap<>();
            try (PreparedStatement s = c.prepareStatement(LOCK)) {
                s.setString(1, scope);
                s.setArray(2, c.createArrayOf("text", keys.toArray()));
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        ConfigEntry e = entry(rs);
                        current.put(e.key(), e);
                    }
                }
            }
            List<BatchWrite> writes = plan.apply(current);
            List<ConfigEntry> written = new ArrayList<>(writes.size());
            plan.written(0, writes.size());
            for (BatchWrite w : writes) {
                ConfigEntry e = w.expectedVersion() == 0
                        ? insert(c, CREATE, scope, w.key(), w.value(), w.json(), context)
                        : replace(c, scope, w.key(), w.value(), w.json(), w.expectedVersion(), context);
                if (e == null) {
                    throw new ConfigConflictException(scope, w.key(), w.expectedVersion(),
                            currentVersion(c, scope, w.key()));
                }
                written.add(e);
                plan.written(written.size(), writes.size());
            }
            return written;
        }));
    }

    /** Work in a transaction on a borrowed connection. */
    @FunctionalInterface
    private interface TransactionWork<T> {
        T run() throws SQLException;
    }

    /** Runs {@code work} in one transaction on {@code c}: committed if it returns, rolled back if it throws. */
    private static <T> T transaction(Connection c, TransactionWork<T> work) throws SQLException {
        c.setAutoCommit(false);
        try {
            T result = work.run();
            c.commit();
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            try {
                c.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        } finally {
            try {
                c.setAutoCommit(true);
            } catch (SQLException ignored) {
                // A broken connection: the pool discards it; the failure that matters is already on its way.
            }
        }
    }

    @Override
    public List<String> scopes() {
        return run("listing the scopes", null, null, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT scope FROM config_entry");
                    ResultSet rs = s.executeQuery()) {
                List<String> scopes = new ArrayList<>();
                while (rs.next()) {
                    scopes.add(rs.getString(1));
                }
                return scopes;
            }
        });
    }

    @Override
    public String toString() {
        return "PostgreSQL schema \"" + storage.schema() + "\"";
    }
}
