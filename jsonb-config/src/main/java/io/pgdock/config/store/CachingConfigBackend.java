package io.pgdock.config.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigCacheStats;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.HistoryVerification;
import io.pgdock.core.Ticker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read cache in front of another backend, kept coherent by that backend's change notifications (see {@link
 * ConfigOptions.Builder#cache(int)}). Only {@link #read} is cached; everything else passes through.
 *
 * <p><b>What is cached.</b> Per key, one immutable {@link Slot}: the key's entry (or its absence) in each scope read so
 * far. A read is a hit when the slot covers every scope asked for.
 *
 * <p><b>Coherence.</b> A watch of every key and scope invalidates a key's slot when a change of it is notified, and this
 * store's own writes invalidate theirs when they return (so a writer reads its own write at once). A read that misses
 * reads the delegate and then stores what it read, unless an invalidation happened in between: invalidations bump
 * {@link #epoch} before removing, and a reader compares the epoch it saw before reading with the one after storing, and
 * removes what it stored if they differ. (There is one epoch for invalidating everything and one per stripe of
 * keys, so that a change of one key does not spoil a concurrent fill of another.) Either the reader sees the new epoch (and removes its possibly stale slot), or
 * the invalidation's removal comes after the store. While notifications are lost (a gap) nothing is served from the
 * cache: reads go to the delegate until the watch has reconnected and caught up, and the cache is emptied on both
 * edges.
 *
 * <p><b>Bound.</b> At most {@code maxEntries} slots, evicted by second chance (CLOCK): a hit marks its slot; eviction
 * walks the map, clearing marks and dropping the first unmarked slot. Reads take no lock; eviction takes one.
 *
 * <p>Thread-safe.
 */
public final class CachingConfigBackend implements ConfigBackend {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);
    private static final long RETRY_WATCH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ConfigBackend delegate;
    private final int maxEntries;
    private final Ticker ticker;
    private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();
    private static final int STRIPES = 1024;
    /** Bumped by every invalidation of everything. */
    private final AtomicLong epoch = new AtomicLong();
    /** Gaps reported by the watch so far, so a gap reported while the watch starts is not overwritten. */
    private final AtomicLong gaps = new AtomicLong();
    /** Bumped by every invalidation of a key, by the key's hash: a change of one key spares fills of most others. */
    private final AtomicLongArray stamps = new AtomicLongArray(STRIPES);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder readsThrough = new LongAdder();
    private final Object evicting = new Object();
    private @Nullable Iterator<Map.Entry<String, Slot>> hand;   // guarded by evicting
    /** Whether notifications are flowing, so the cache may answer. */
    private volatile boolean live;
    private volatile @Nullable ConfigSubscription subscription;
    private volatile long nextWatchAttempt;

    /** One key's entries by scope, null meaning "not in that scope". Immutable but for the CLOCK mark. */
    private static final class Slot {
        final Map<String, ConfigEntry> byScope;
        volatile boolean referenced;

        Slot(Map<String, ConfigEntry> byScope) {
            this.byScope = byScope;
        }
    }

    public CachingConfigBackend(ConfigBackend delegate, int maxEntries, Ticker ticker) {
        this.delegate = delegate;
        this.maxEntries = maxEntries;
        this.ticker = ticker;
    }

    public void ensureWatching() {
        if (subscription != null || ticker.read() - nextWatchAttempt < 0) {
            return;
        }
        synchronized (this) {
            if (subscription != null || ticker.read() - nextWatchAttempt < 0) {
                return;
            }
            long gapsBefore = gaps.get();
            try {
                subscription = delegate.watch(null, "", -1, new ConfigListener() {
                    @Override
                    public void onChange(ConfigEvent event) {
                        invalidate(event.key());
                    }

                    @Override
                    public void onGap(Exception cause) {
                        gaps.incrementAndGet();
                        boolean was = live;
                        live = false;
                        invalidateAll();
                        if (was) {
                            LOG.warn("config cache of {}: the listening connection is down ({}); not serving from the "
                                    + "cache, every read goes to the database until it is back", delegate,
                                    cause.getMessage());
                        }
                    }

                    @Override
                    public void onCaughtUp() {
                        invalidateAll();
                        live = true;
                        LOG.info("config cache of {}: the listening connection is back and has caught up; serving "
                                + "from the cache again", delegate);
                    }
                });
                invalidateAll();   // anything stored before the watch started is not covered by it
                if (gaps.get() == gapsBefore) {
                    live = true;   // else a gap was reported meanwhile: onCaughtUp makes the cache live again
                }
            } catch (RuntimeException e) {
                nextWatchAttempt = ticker.read() + RETRY_WATCH_NANOS;
                LOG.warn("config cache of {}: cannot open its listening connection, so every read goes to the database "
                        + "until it can (retried every second): {}", delegate, e.toString());
            }
        }
    }

    private static int stripe(String key) {
        int h = key.hashCode();
        return (h ^ (h >>> 16)) & (STRIPES - 1);
    }

    private void invalidate(String key) {
        stamps.incrementAndGet(stripe(key));
        if (slots.remove(key) != null) {
            invalidations.increment();
        }
    }

    private void invalidateAll() {
        epoch.incrementAndGet();
        slots.clear();
        invalidations.increment();
    }

    @Override
    public List<ConfigEntry> read(List<String> scopes, String key) {
        ensureWatching();
        if (live) {
            Slot slot = slots.get(key);
            if (slot != null && covers(slot, scopes)) {
                hits.increment();
                slot.referenced = true;
                return entries(slot, scopes);
            }
        }
        misses.increment();
        if (!live) {
            readsThrough.increment();
        }
        long seenAll = epoch.get();
        long seenKey = stamps.get(stripe(key));
        boolean cacheable = live;
        List<ConfigEntry> found = delegate.read(scopes, key);
        if (cacheable) {
            store(key, scopes, found, seenAll, seenKey);
        }
        return found;
    }

    private static boolean covers(Slot slot, List<String> scopes) {
        for (int i = 0; i < scopes.size(); i++) {
            if (!slot.byScope.containsKey(scopes.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static List<ConfigEntry> entries(Slot slot, List<String> scopes) {
        List<ConfigEntry> found = new ArrayList<>(scopes.size());
        for (int i = 0; i < scopes.size(); i++) {
            ConfigEntry e = slot.byScope.get(scopes.get(i));
            if (e != null) {
                found.add(Entries.detached(e));
            }
        }
        return found;
    }


    private void store(String key, List<String> scopes, List<ConfigEntry> found, long seenAll, long seenKey) {
        Map<String, ConfigEntry> read = new HashMap<>();
        for (String scope : scopes) {
            read.put(scope, null);
        }
        for (ConfigEntry e : found) {
            read.put(e.scope(), Entries.detached(e));
        }
        Slot stored = slots.compute(key, (k, old) -> {
            if (old == null) {
                return new Slot(read);
            }
            Map<String, ConfigEntry> merged = new HashMap<>(old.byScope);
            merged.putAll(read);
            return new Slot(merged);
        });
        if (epoch.get() != seenAll || stamps.get(stripe(key)) != seenKey || !live) {
            slots.remove(key, stored);   // an invalidation came while reading: what was read may be stale
            return;
        }
        if (slots.size() > maxEntries) {
            evict();
        }
    }

    private void evict() {
        synchronized (evicting) {
            int steps = 0;
            while (slots.size() > maxEntries && steps++ < 4 * maxEntries + 16) {
                if (hand == null || !hand.hasNext()) {
                    hand = slots.entrySet().iterator();
                    if (!hand.hasNext()) {
                        return;
                    }
                }
                Map.Entry<String, Slot> e = hand.next();
                Slot slot = e.getValue();
                if (slot.referenced) {
                    slot.referenced = false;
                } else if (slots.remove(e.getKey(), slot)) {
                    evictions.increment();
                }
            }
        }
    }

    @Override
    public ConfigEntry write(String scope, String key, JsonNode value, String json, long expectedVersion,
            WriteContext context) {
        try {
            return delegate.write(scope, key, value, json, expectedVersion, context);
        } finally {
            invalidate(key);
        }
    }

    @Override
    public boolean delete(String scope, String key, long expectedVersion, WriteContext context) {
        try {
            return delegate.delete(scope, key, expectedVersion, context);
        } finally {
            invalidate(key);
        }
    }

    @Override
    public ConfigEntry patch(String scope, String key, JsonNode patch, String patchJson, long expectedVersion,
            WriteContext context, UnaryOperator<JsonNode> check) {
        try {
            return delegate.patch(scope, key, patch, patchJson, expectedVersion, context, check);
        } finally {
            invalidate(key);
        }
    }

    @Override
    public List<ConfigEntry> writeBatch(String scope, List<String> keys, BatchPlan plan, WriteContext context) {
        try {
            return delegate.writeBatch(scope, keys, plan, context);
        } finally {
            keys.forEach(this::invalidate);
        }
    }

    @Override
    public List<ConfigEntry> scan(String scope, String prefix) {
        return delegate.scan(scope, prefix);
    }

    @Override
    public List<String> scopes() {
        return delegate.scopes();
    }

    @Override
    public List<ConfigEntry> list(List<String> scopes, String prefix, @Nullable String afterKey, int limit) {
        return delegate.list(scopes, prefix, afterKey, limit);
    }

    @Override
    public List<ConfigChange> history(String scope, String key) {
        return delegate.history(scope, key);
    }

    /** History is not cached: straight through. */
    @Override
    public long rewrapHistory(String scope, String prefix, HistoryRewrap rewrap, int batchSize) {
        return delegate.rewrapHistory(scope, prefix, rewrap, batchSize);
    }

    /** History is not cached: straight through. */
    @Override
    public HistoryVerification verifyHistory(String scope, String prefix) {
        return delegate.verifyHistory(scope, prefix);
    }

    @Override
    public String defaultActor() {
        return delegate.defaultActor();
    }

    @Override
    public ConfigSubscription watch(@Nullable List<String> scopes, String prefix, long afterPosition,
            ConfigListener listener) {
        return delegate.watch(scopes, prefix, afterPosition, listener);
    }

    @Override
    public List<ConfigEntry> snapshot(List<String> scopes, String prefix) {
        return delegate.snapshot(scopes, prefix);
    }

    public ConfigCacheStats stats() {
        return new ConfigCacheStats(hits.sum(), misses.sum(), slots.size(), evictions.sum(), invalidations.sum(), !live,
                readsThrough.sum());
    }

    /** The cached backend; for tests. */
    public ConfigBackend delegate() {
        return delegate;
    }

    /** Whether notifications are flowing, so hits are possible; for tests. */
    public boolean live() {
        return live;
    }

    @Override
    public String toString() {
        return delegate + " (cached, at most " + maxEntries + " keys)";
    }
}
