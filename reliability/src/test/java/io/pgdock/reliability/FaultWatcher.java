package io.pgdock.reliability;

import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ConfigListener} that records every change it is given, how often each was given, and its gaps and
 * catch-ups, so a test can compare what a watcher saw with the store's {@link ConfigStore#history history}.
 *
 * <p>Thread-safe: the store calls it on its own thread while the test reads it.
 */
final class FaultWatcher implements ConfigListener {
    private final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    private final AtomicInteger gaps = new AtomicInteger();
    private final AtomicInteger caughtUp = new AtomicInteger();

    private static String id(String key, long version, boolean deleted) {
        return key + "@" + version + (deleted ? "-deleted" : "");
    }

    @Override
    public void onChange(ConfigEvent event) {
        deliveries.computeIfAbsent(id(event.key(), event.version(), event.deleted()), k -> new AtomicInteger())
                .incrementAndGet();
    }

    @Override
    public void onGap(Exception cause) {
        gaps.incrementAndGet();
    }

    @Override
    public void onCaughtUp() {
        caughtUp.incrementAndGet();
    }

    int gaps() {
        return gaps.get();
    }

    int caughtUp() {
        return caughtUp.get();
    }

    /** Whether the change of {@code key} to {@code version} (a write, not a deletion) was delivered. */
    boolean saw(String key, long version) {
        return deliveries.containsKey(id(key, version, false));
    }

    /** Total changes delivered, counting repeats. */
    int delivered() {
        return deliveries.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** The changes in {@code history} that were not delivered, as {@code key@version}. */
    List<String> missing(List<ConfigChange> history) {
        List<String> missing = new ArrayList<>();
        for (ConfigChange c : history) {
            String id = id(c.key(), c.version(), c.kind() == ConfigChange.Kind.DELETE);
            if (!deliveries.containsKey(id)) {
                missing.add(id);
            }
        }
        return missing;
    }

    /** Changes delivered more than once, as {@code key@version=times}. */
    List<String> repeated() {
        List<String> repeated = new ArrayList<>();
        deliveries.forEach((id, n) -> {
            if (n.get() > 1) {
                repeated.add(id + "=" + n.get());
            }
        });
        return repeated;
    }
}
