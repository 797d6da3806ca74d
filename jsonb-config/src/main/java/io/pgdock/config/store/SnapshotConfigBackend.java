package io.pgdock.config.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigPolicy;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.HistoryVerification;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The storage of a {@link ConfigPolicy#snapshot(String) snapshot}: the entries of some scopes under one key prefix,
 * read at one moment, held in memory and never changed. Reads outside the prefix or the scopes, and every write, are
 * refused. Immutable and thread-safe; values are copied on the way out.
 */
public final class SnapshotConfigBackend implements ConfigBackend {
    private final String prefix;
    private final List<String> scopes;
    private final String source;
    private final String actor;
    /** scope -> key -> entry. */
    private final Map<String, TreeMap<String, ConfigEntry>> entries = new HashMap<>();

    public SnapshotConfigBackend(String prefix, List<String> scopes, List<ConfigEntry> taken, ConfigBackend source) {
        this.prefix = prefix;
        this.scopes = List.copyOf(scopes);
        this.source = source.toString();
        this.actor = source.defaultActor();
        for (String scope : scopes) {
            entries.put(scope, new TreeMap<>());
        }
        for (ConfigEntry e : taken) {
            in(e.scope()).put(e.key(), e);
        }
    }

    /** The entries of one of the snapshot's scopes (after checkScopes, every scope asked is one). */
    private java.util.SortedMap<String, ConfigEntry> in(String scope) {
        return Objects.requireNonNull(entries.get(scope), scope);
    }

    private void checkScopes(List<String> asked) {
        if (!scopes.containsAll(asked)) {
            throw new IllegalArgumentException("config snapshot of prefix " + ConfigKeys.show(prefix) + " holds the "
                    + "scopes " + scopes + " only, but a read needs " + asked + "; take a snapshot in that scope");
        }
    }

    @Override
    public List<ConfigEntry> read(List<String> asked, String key) {
        if (!key.startsWith(prefix)) {
            throw new IllegalArgumentException("config key " + ConfigKeys.show(key) + " is outside this snapshot, "
                    + "which holds the keys starting with " + ConfigKeys.show(prefix));
        }
        checkScopes(asked);
        return ScopeFallback.held(asked, entries::get, key);
    }

    @Override
    public ConfigEntry write(String scope, String key, JsonNode value, String json, long expectedVersion,
            WriteContext context) {
        throw readOnly("write", scope, key);
    }

    @Override
    public boolean delete(String scope, String key, long expectedVersion, WriteContext context) {
        throw readOnly("delete", scope, key);
    }

    @Override
    public ConfigEntry patch(String scope, String key, JsonNode patch, String patchJson, long expectedVersion,
            WriteContext context, UnaryOperator<JsonNode> check) {
        throw readOnly("patch", scope, key);
    }

    @Override
    public List<ConfigEntry> writeBatch(String scope, List<String> keys, BatchPlan plan, WriteContext context) {
        throw readOnly("import", scope, keys.isEmpty() ? "(none)" : keys.get(0));
    }

    /** The snapshot's own entries of {@code scope} under {@code scanned}, in key order. */
    @Override
    public List<ConfigEntry> scan(String scope, String scanned) {
        if (!scanned.startsWith(prefix)) {
            throw new IllegalArgumentException("config prefix " + ConfigKeys.show(scanned) + " is outside this "
                    + "snapshot, which holds the keys starting with " + ConfigKeys.show(prefix));
        }
        checkScopes(List.of(scope));
        List<ConfigEntry> found = new ArrayList<>();
        for (ConfigEntry e : in(scope).values()) {
            if (e.key().startsWith(scanned)) {
                found.add(Entries.detached(e));
            }
        }
        return found;
    }

    /** The scopes the snapshot was taken in. */
    @Override
    public List<String> scopes() {
        return List.copyOf(entries.keySet());
    }

    private UnsupportedOperationException readOnly(String what, String scope, String key) {
        return new UnsupportedOperationException("config key " + ConfigKeys.describe(scope, key) + ": cannot " + what
                + " through a snapshot (of prefix " + ConfigKeys.show(prefix) + "), which is read-only; " + what
                + " through the store it was taken from");
    }

    @Override
    public List<ConfigEntry> list(List<String> asked, String listed, @Nullable String afterKey, int limit) {
        if (!listed.startsWith(prefix) && !prefix.startsWith(listed)) {
            throw new IllegalArgumentException("config prefix " + ConfigKeys.show(listed) + " is outside this "
                    + "snapshot, which holds the keys starting with " + ConfigKeys.show(prefix));
        }
        checkScopes(asked);
        return ScopeFallback.page(asked, entries::get, listed, afterKey, limit);
    }

    @Override
    public long rewrapHistory(String scope, String prefix, HistoryRewrap rewrap, int batchSize) {
        throw new UnsupportedOperationException("scope " + ConfigKeys.show(scope) + ": a snapshot keeps no history to "
                + "re-encrypt; re-encrypt the store the snapshot was taken from");
    }

    @Override
    public HistoryVerification verifyHistory(String scope, String prefix) {
        throw new UnsupportedOperationException("scope " + ConfigKeys.show(scope) + ": a snapshot keeps no history to "
                + "verify; verify the store the snapshot was taken from");
    }

    @Override
    public List<ConfigChange> history(String scope, String key) {
        throw new UnsupportedOperationException("config key " + ConfigKeys.describe(scope, key) + ": a snapshot keeps "
                + "no history; read it from the store the snapshot was taken from");
    }

    @Override
    public String defaultActor() {
        return actor;
    }

    @Override
    public ConfigSubscription watch(@Nullable List<String> asked, String watched, long afterPosition, ConfigListener listener) {
        throw new UnsupportedOperationException("config snapshot of prefix " + ConfigKeys.show(prefix) + ": a snapshot "
                + "never changes; watch the store it was taken from");
    }

    @Override
    public List<ConfigEntry> snapshot(List<String> asked, String inner) {
        if (!inner.startsWith(prefix)) {
            throw new IllegalArgumentException("config prefix " + ConfigKeys.show(inner) + " is outside this "
                    + "snapshot, which holds the keys starting with " + ConfigKeys.show(prefix));
        }
        checkScopes(asked);
        List<ConfigEntry> all = new ArrayList<>();
        for (String scope : asked) {
            for (ConfigEntry e : in(scope).values()) {
                if (e.key().startsWith(inner)) {
                    all.add(Entries.detached(e));
                }
            }
        }
        return all;
    }


    @Override
    public String toString() {
        return "snapshot of prefix " + ConfigKeys.show(prefix) + " of " + source;
    }
}
