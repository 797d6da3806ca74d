package io.pgdock.config.store;

import io.pgdock.config.ConfigEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The scope fallback rule, in one place: a read in a scope consults its {@link ConfigKeys#layers layers}, most specific
 * first ("a/b", "a", ""), and for each key the first layer that holds it wins. A deleted key is simply absent from its
 * layer, so the layer below shows through. Not API.
 *
 * <p>The store picks single reads with {@link #first}; the in-memory backends answer reads with {@link #held} and merge
 * list pages with {@link #page}. The
 * PostgreSQL backend states the same rule in SQL (its list query orders each key's rows by the position of their scope
 * in the layers array and keeps the first); a test holds that query and its reads to this class on generated data.
 */
public final class ScopeFallback {
    /** Above every character keys may have, so {@code prefix + ABOVE_ALL_KEYS} bounds the keys starting with it. */
    static final String ABOVE_ALL_KEYS = "{";

    private ScopeFallback() {
    }

    /** The entry that answers a read: of those {@code found} (at most one per scope), the first layer's. */
    public static Optional<ConfigEntry> first(List<String> layers, Collection<ConfigEntry> found) {
        return Optional.ofNullable(winner(layers, layer -> {
            for (ConfigEntry e : found) {
                if (e.scope().equals(layer)) {
                    return e;
                }
            }
            return null;
        }));
    }

    /**
     * A page of effective entries, as {@link ConfigBackend#list} defines it, from layers held as sorted maps: up to
     * {@code limit} keys starting with {@code prefix} and sorting after {@code afterKey} (null: from the start), in key
     * order, each with the entry of the first layer holding it. Each layer is walked only as far as it can contribute.
     * The entries are copies, so callers cannot change the maps' values.
     *
     * @param layer a layer's entries by key, or null for a layer that holds none
     */
    public static List<ConfigEntry> page(List<String> layers,
            Function<String, ? extends NavigableMap<String, ConfigEntry>> layer, String prefix,
            @Nullable String afterKey, int limit) {
        // Keys start with the prefix and sort after afterKey.
        String from = afterKey != null && afterKey.compareTo(prefix) > 0 ? afterKey : prefix;
        boolean inclusive = afterKey == null || afterKey.compareTo(prefix) < 0;
        String to = prefix + ABOVE_ALL_KEYS;
        if (from.compareTo(to) >= 0) {
            return List.of();
        }
        // The smallest `limit` keys of all layers.
        TreeSet<String> keys = new TreeSet<>();
        for (String scope : layers) {
            NavigableMap<String, ConfigEntry> inScope = layer.apply(scope);
            if (inScope == null) {
                continue;
            }
            for (String key : inScope.subMap(from, inclusive, to, false).keySet()) {
                if (keys.size() == limit && key.compareTo(keys.last()) > 0) {
                    break;
                }
                keys.add(key);
                if (keys.size() > limit) {
                    keys.pollLast();
                }
            }
        }
        List<ConfigEntry> page = new ArrayList<>(keys.size());
        for (String key : keys) {
            // Every key listed was found in some layer.
            page.add(Entries.detached(Objects.requireNonNull(winner(layers, scope -> {
                NavigableMap<String, ConfigEntry> inScope = layer.apply(scope);
                return inScope == null ? null : inScope.get(key);
            }), key)));
        }
        return page;
    }

    /**
     * What {@link ConfigBackend#read} returns from layers held as maps: the entry of {@code key} in each layer that
     * holds it, copied, for {@link #first} to choose from.
     *
     * @param layer a layer's entries by key, or null for a layer that holds none
     */
    public static List<ConfigEntry> held(List<String> layers,
            Function<String, ? extends Map<String, ConfigEntry>> layer, String key) {
        List<ConfigEntry> found = new ArrayList<>();
        for (String scope : layers) {
            Map<String, ConfigEntry> inScope = layer.apply(scope);
            ConfigEntry e = inScope == null ? null : inScope.get(key);
            if (e != null) {
                found.add(Entries.detached(e));
            }
        }
        return found;
    }

    /** The rule itself: the entry of the first layer, in order, that has one; null if none has. */
    private static @Nullable ConfigEntry winner(List<String> layers, Function<String, ConfigEntry> inLayer) {
        for (String layer : layers) {
            ConfigEntry e = inLayer.apply(layer);
            if (e != null) {
                return e;
            }
        }
        return null;
    }
}
