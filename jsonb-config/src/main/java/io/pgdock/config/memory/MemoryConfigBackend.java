package io.pgdock.config.memory;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigConflictException;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.HistoryRetention;
import io.pgdock.config.HistoryVerification;
import io.pgdock.config.json.JsonPatches;
import io.pgdock.config.secret.SecretCodec;
import io.pgdock.config.store.ConfigBackend;
import io.pgdock.config.store.ConfigKeys;
import io.pgdock.config.store.Entries;
import io.pgdock.config.store.HistoryChain;
import io.pgdock.config.store.ScopeFallback;
import io.pgdock.config.store.WatchSubscription;
import io.pgdock.config.store.WriteContext;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory fake's storage: maps guarded by one lock, which is all a test needs and makes every operation atomic,
 * as a transaction is in PostgreSQL. Values are normalised before they get here and {@link JsonNode}s are copied on the
 * way in and out, so callers cannot change stored values.
 */
public final class MemoryConfigBackend implements ConfigBackend {
    private static final String ACTOR = "in-memory";

    private final Clock clock;
    private final Object lock = new Object();
    /** scope -> key -> entry; keys sorted as PostgreSQL's COLLATE "C" sorts them. */
    private final Map<String, TreeMap<String, ConfigEntry>> entries = new HashMap<>();
    /** (scope, key) -> changes, newest first. */
    private final Map<List<String>, Deque<ConfigChange>> history = new HashMap<>();
    /** Each change still in {@link #history} -> its position, for watches that replay. */
    private final java.util.IdentityHashMap<ConfigChange, Long> positions = new java.util.IdentityHashMap<>();
    /** Each change still in {@link #history} -> {previous hash, its hash}: the chain the PostgreSQL store keeps. */
    private final java.util.IdentityHashMap<ConfigChange, byte[][]> chain = new java.util.IdentityHashMap<>();
    /** (scope, key) -> where retention stopped. */
    private final Map<List<String>, HistoryChain.Anchor> anchors = new HashMap<>();
    private long lastPosition;
    /** Open watches; changes are handed to them with the lock held, so in the order they were made. */
    private final List<WatchSubscription> watches = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.Executor delivery;

    public MemoryConfigBackend(Clock clock, java.util.concurrent.ThreadFactory watchThreads) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.delivery = WatchSubscription.serialExecutor(watchThreads);
    }

    @Override
    public List<ConfigEntry> read(List<String> scopes, String key) {
        synchronized (lock) {
            return ScopeFallback.held(scopes, entries::get, key);
        }
    }

    @Override
    public ConfigEntry write(String scope, String key, JsonNode value, @Nullable String json, long expectedVersion,
            WriteContext context) {
        synchronized (lock) {
            TreeMap<String, ConfigEntry> inScope = entries.computeIfAbsent(scope, s -> new TreeMap<>());
            ConfigEntry current = inScope.get(key);
            long currentVersion = checkVersion(scope, key, expectedVersion, current);
            Instant now = now();
            String actor = context.actor() == null ? ACTOR : context.actor();
            long version = current != null ? currentVersion + 1 : lastRecordedVersion(scope, key) + 1;
            ConfigEntry next = new ConfigEntry(scope, key, value.deepCopy(), version, now, actor);
            inScope.put(key, next);
            record(new ConfigChange(scope, key, next.version(),
                    current == null ? ConfigChange.Kind.CREATE : ConfigChange.Kind.UPDATE,
                    current == null ? null : current.value(), next.value(), actor, context.reason(), now),
                    context.retention());
            return Entries.detached(next);
        }
    }

    /**
     * The compare-and-set of every write: the key's current version (0 when absent), if it is {@code expectedVersion}
     * or that is {@link ConfigStore#ANY_VERSION}.
     */
    private static long checkVersion(String scope, String key, long expectedVersion, @Nullable ConfigEntry current) {
        long currentVersion = current == null ? 0 : current.version();
        if (expectedVersion != ConfigStore.ANY_VERSION && expectedVersion != currentVersion) {
            throw new ConfigConflictException(scope, key, expectedVersion, currentVersion);
        }
        return currentVersion;
    }

    @Override
    public boolean delete(String scope, String key, long expectedVersion, WriteContext context) {
        synchronized (lock) {
            TreeMap<String, ConfigEntry> inScope = entries.get(scope);
            ConfigEntry current = inScope == null ? null : inScope.get(key);
            checkVersion(scope, key, expectedVersion, current);
            if (inScope == null || current == null) {
                return false;
            }
            inScope.remove(key);
            String actor = context.actor() == null ? ACTOR : context.actor();
            record(new ConfigChange(scope, key, current.version(), ConfigChange.Kind.DELETE, current.value(), null,
                    actor, context.reason(), now()), context.retention());
            return true;
        }
    }

    private void record(ConfigChange change, HistoryRetention retention) {
        List<String> id = List.of(change.scope(), change.key());
        Deque<ConfigChange> changes = history.computeIfAbsent(id, k -> new ArrayDeque<>());
        HistoryChain.Anchor anchor = anchors.get(id);
        byte[] prev = !changes.isEmpty() ? link(changes.peekFirst())[1] : anchor != null ? anchor.hash() : null;
        chain.put(change, new byte[][] {prev, HistoryChain.digest(prev, change.scope(), change.key(), change.version(),
                change.kind(), HistoryChain.canon(change.oldValue()), HistoryChain.canon(change.newValue()),
                change.actor(), change.reason(), change.changedAt())});
        changes.addFirst(change);
        long position = ++lastPosition;
        positions.put(change, position);
        if (!watches.isEmpty()) {
            ConfigEvent event = new ConfigEvent(position, copy(change));
            watches.forEach(w -> w.offer(event));
        }
        // Oldest rows only, never the newest, and a prefix (as pgdock_config_trim removes them), so the chain stays
        // whole from where retention stopped.
        if (retention.latestVersions() > 0) {
            while (changes.size() > retention.latestVersions()) {
                trimOldest(id, changes);
            }
        }
        if (retention.maxAge() != null) {
            Instant oldest;
            try {
                oldest = change.changedAt().minus(retention.maxAge());
            } catch (ArithmeticException | java.time.DateTimeException e) {
                return;   // an age reaching before the earliest instant keeps everything, as PostgreSQL's clamp does
            }
            while (changes.size() > 1 && changes.peekLast().changedAt().isBefore(oldest)) {
                trimOldest(id, changes);
            }
        }
    }

    private void trimOldest(List<String> id, Deque<ConfigChange> changes) {
        ConfigChange removed = changes.removeLast();
        positions.remove(removed);
        anchors.put(id, new HistoryChain.Anchor(removed.version(),
                Objects.requireNonNull(chain.remove(removed), "chain")[1]));
    }

    /** A recorded change's {previous hash, its hash}: every change in {@link #history} has one. */
    private byte[][] link(ConfigChange change) {
        return Objects.requireNonNull(chain.get(change), "chain");
    }

    /** The chain checked as the PostgreSQL store checks it; under the lock, so one snapshot. */
    @Override
    public HistoryVerification verifyHistory(String scope, String prefix) {
        synchronized (lock) {
            Map<List<String>, List<HistoryChain.Row>> rows = new HashMap<>();
            Map<List<String>, HistoryChain.Current> current = new HashMap<>();
            history.forEach((id, changes) -> {
                if (inRange(id, scope, prefix)) {
                    List<HistoryChain.Row> oldestFirst = new ArrayList<>(changes.size());
                    changes.descendingIterator().forEachRemaining(c -> {
                        byte[][] link = link(c);
                        oldestFirst.add(new HistoryChain.Row(c.scope(), c.key(), c.version(), c.kind(),
                                HistoryChain.canon(c.oldValue()), HistoryChain.canon(c.newValue()), c.actor(),
                                c.reason(), c.changedAt(), link[0], link[1]));
                    });
                    rows.put(id, oldestFirst);
                }
            });
            entries.forEach((s, inScope) -> inScope.forEach((k, e) -> {
                List<String> id = List.of(s, k);
                if (inRange(id, scope, prefix)) {
                    current.put(id, new HistoryChain.Current(e.version(), HistoryChain.canon(e.value())));
                }
            }));
            return HistoryChain.verify(rows, anchors, current);
        }
    }

    private static boolean inRange(List<String> id, String scope, String prefix) {
        String s = id.get(0);
        return ConfigKeys.atOrBelow(scope, s) && id.get(1).startsWith(prefix);
    }

    /** A key that lived before continues its numbering, as the PostgreSQL trigger does. Called with the lock held. */
    private long lastRecordedVersion(String scope, String key) {
        Deque<ConfigChange> changes = history.get(List.of(scope, key));
        return changes == null || changes.isEmpty() ? 0 : changes.peekFirst().version();
    }

    /** Microseconds, as PostgreSQL keeps timestamps, so both stores report the same times. */
    private Instant now() {
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }

    @Override
    public List<ConfigEntry> list(List<String> scopes, String prefix, @Nullable String afterKey, int limit) {
        synchronized (lock) {
            return ScopeFallback.page(scopes, entries::get, prefix, afterKey, limit);
        }
    }

    /** Under the lock, so atomic as a whole (the fake has no batches to restart; the result is the same). */
    @Override
    public long rewrapHistory(String scope, String prefix, HistoryRewrap rewrap, int batchSize) {
        synchronized (lock) {
            List<List<String>> ids = new ArrayList<>();
            for (List<String> id : history.keySet()) {
                String s = id.get(0);
                if (ConfigKeys.atOrBelow(scope, s) && id.get(1).startsWith(prefix)) {
                    ids.add(id);
                }
            }
            ids.sort(java.util.Comparator.<List<String>, String>comparing(id -> id.get(0))
                    .thenComparing(id -> id.get(1)));
            long rewritten = 0;
            for (List<String> id : ids) {
                Deque<ConfigChange> changes = Objects.requireNonNull(history.get(id), "history");
                // Oldest first, as the PostgreSQL store visits rows (by id); the deque is newest first.
                List<ConfigChange> oldestFirst = new ArrayList<>(changes);
                java.util.Collections.reverse(oldestFirst);
                Deque<ConfigChange> replaced = new ArrayDeque<>(changes.size());
                for (ConfigChange c : oldestFirst) {
                    JsonNode oldValue = rewrapped(rewrap, c, "old_value", c.oldValue());
                    JsonNode newValue = rewrapped(rewrap, c, "new_value", c.newValue());
                    ConfigChange next = c;
                    if (oldValue != null || newValue != null) {
                        next = new ConfigChange(c.scope(), c.key(), c.version(), c.kind(),
                                oldValue != null ? oldValue : c.oldValue(), newValue != null ? newValue : c.newValue(),
                                c.actor(), c.reason(), c.changedAt());
                        Long position = positions.remove(c);
                        if (position != null) {
                            positions.put(next, position);
                        }
                        chain.put(next, chain.remove(c));   // secrets are hashed as a placeholder: the link holds
                        rewritten++;
                    }
                    replaced.addFirst(next);
                }
                history.put(id, replaced);
            }
            return rewritten;
        }
    }

    private static @Nullable JsonNode rewrapped(HistoryRewrap rewrap, ConfigChange c, String column,
            @Nullable JsonNode value) {
        if (value == null || !SecretCodec.containsSecret(value)) {
            return null;
        }
        JsonNode out = rewrap.apply(c.scope(), c.key(), c.version(), column, value.deepCopy());
        return out == null ? null : out.deepCopy();
    }

    @Override
    public List<ConfigChange> history(String scope, String key) {
        synchronized (lock) {
            Deque<ConfigChange> changes = history.get(List.of(scope, key));
            if (changes == null) {
                return List.of();
            }
            List<ConfigChange> copies = new ArrayList<>(changes.size());
            for (ConfigChange c : changes) {
                copies.add(new ConfigChange(c.scope(), c.key(), c.version(), c.kind(),
                        c.oldValue() == null ? null : c.oldValue().deepCopy(),
                        c.newValue() == null ? null : c.newValue().deepCopy(), c.actor(), c.reason(), c.changedAt()));
            }
            return copies;
        }
    }

    private static ConfigChange copy(ConfigChange c) {
        return new ConfigChange(c.scope(), c.key(), c.version(), c.kind(),
                c.oldValue() == null ? null : c.oldValue().deepCopy(),
                c.newValue() == null ? null : c.newValue().deepCopy(), c.actor(), c.reason(), c.changedAt());
    }

    /**
     * Replays the recorded changes after {@code afterPosition} (none if it is negative) and registers the watch, both
     * with the lock held, so the changes made after it are offered to it in order and none is missed or repeated.
     * Never has a gap: there is no connection to lose.
     */
    @Override
    public ConfigSubscription watch(@Nullable List<String> scopes, String prefix, long afterPosition,
            ConfigListener listener) {
        synchronized (lock) {
            WatchSubscription[] self = new WatchSubscription[1];
            self[0] = new WatchSubscription(scopes, prefix, afterPosition, listener, delivery,
                    () -> watches.remove(self[0]));
            List<ConfigEvent> replay = new ArrayList<>();
            if (afterPosition >= 0) {
                for (Map.Entry<ConfigChange, Long> e : positions.entrySet()) {
                    if (e.getValue() > afterPosition && self[0].wants(e.getKey().scope(), e.getKey().key())) {
                        replay.add(new ConfigEvent(e.getValue(), copy(e.getKey())));
                    }
                }
                replay.sort(java.util.Comparator.comparingLong(ConfigEvent::position));
            }
            watches.add(self[0]);
            self[0].activate(replay);
            return self[0];
        }
    }

    @Override
    public List<ConfigEntry> snapshot(List<String> scopes, String prefix) {
        synchronized (lock) {
            List<ConfigEntry> all = new ArrayList<>();
            for (String scope : scopes) {
                TreeMap<String, ConfigEntry> inScope = entries.get(scope);
                if (inScope != null) {
                    for (ConfigEntry e : inScope.subMap(prefix, true, prefix + "{", false).values()) {
                        all.add(Entries.detached(e));
                    }
                }
            }
            return all;
        }
    }

    @Override
    public String defaultActor() {
        return ACTOR;
    }

    @Override
    public List<String> scopes() {
        synchronized (lock) {
            List<String> scopes = new ArrayList<>();
            entries.forEach((scope, keys) -> {
                if (!keys.isEmpty()) {
                    scopes.add(scope);
                }
            });
            return scopes;
        }
    }

    @Override
    public ConfigEntry patch(String scope, String key, JsonNode patch, String patchJson, long expectedVersion,
            WriteContext context, UnaryOperator<JsonNode> check) {
        synchronized (lock) {
            TreeMap<String, ConfigEntry> inScope = entries.get(scope);
            ConfigEntry current = inScope == null ? null : inScope.get(key);
            long currentVersion = checkVersion(scope, key, expectedVersion, current);
            JsonNode merged = check.apply(JsonPatches.mergePatch(current == null ? null : current.value(), patch));
            return write(scope, key, merged, null, currentVersion, context);
        }
    }

    @Override
    public List<ConfigEntry> scan(String scope, String prefix) {
        synchronized (lock) {
            TreeMap<String, ConfigEntry> inScope = entries.get(scope);
            List<ConfigEntry> found = new ArrayList<>();
            if (inScope != null) {
                for (ConfigEntry e : inScope.subMap(prefix, true, prefix + "{", false).values()) {
                    found.add(Entries.detached(e));
                }
            }
            return found;
        }
    }

    /**
     * Plans and writes under the lock, so the plan sees what it changes; should a write fail all the same, the scope's
     * entries and the keys' histories are put back as they were.
     */
    @Override
    public List<ConfigEntry> writeBatch(String scope, List<String> keys, BatchPlan plan, WriteContext context) {
        synchronized (lock) {
            TreeMap<String, ConfigEntry> inScope = entries.get(scope);
            Map<String, ConfigEntry> current = new HashMap<>();
            for (String key : keys) {
                ConfigEntry e = inScope == null ? null : inScope.get(key);
                if (e != null) {
                    current.put(key, Entries.detached(e));
                }
            }
            List<BatchWrite> writes = plan.apply(current);
            TreeMap<String, ConfigEntry> savedEntries = inScope == null ? null : new TreeMap<>(inScope);
            Map<List<String>, Deque<ConfigChange>> savedHistory = new HashMap<>();
            Map<List<String>, HistoryChain.Anchor> savedAnchors = new HashMap<>();
            java.util.IdentityHashMap<ConfigChange, byte[][]> savedChain = new java.util.IdentityHashMap<>();
            for (BatchWrite w : writes) {
                Deque<ConfigChange> changes = history.get(List.of(scope, w.key()));
                savedHistory.put(List.of(scope, w.key()), changes == null ? null : new ArrayDeque<>(changes));
                savedAnchors.put(List.of(scope, w.key()), anchors.get(List.of(scope, w.key())));
                if (changes != null) {
                    changes.forEach(c -> savedChain.put(c, chain.get(c)));
                }
            }
            try {
                List<ConfigEntry> written = new ArrayList<>(writes.size());
                plan.written(0, writes.size());
                for (BatchWrite w : writes) {
                    written.add(write(scope, w.key(), w.value(), w.json(), w.expectedVersion(), context));
                    plan.written(written.size(), writes.size());
                }
                return written;
            } catch (RuntimeException | Error e) {
                if (savedEntries == null) {
                    entries.remove(scope);
                } else {
                    entries.put(scope, savedEntries);
                }
                savedHistory.forEach((k, changes) -> {
                    Deque<ConfigChange> now = history.get(k);
                    if (now != null) {
                        now.forEach(chain::remove);
                    }
                    if (changes == null) {
                        history.remove(k);
                    } else {
                        history.put(k, changes);
                    }
                });
                savedAnchors.forEach((k, anchor) -> {
                    if (anchor == null) {
                        anchors.remove(k);
                    } else {
                        anchors.put(k, anchor);
                    }
                });
                chain.putAll(savedChain);
                throw e;
            }
        }
    }


    @Override
    public String toString() {
        return "in-memory";
    }
}
