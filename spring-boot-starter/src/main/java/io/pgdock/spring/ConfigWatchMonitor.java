package io.pgdock.spring;

import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Watches of the config store whose listening connection the actuator reports: a watch started through
 * {@link #watch(ConfigStore, String, ConfigListener)} counts its changes and gaps here, and is "in a gap" from its
 * listener's {@link ConfigListener#onGap(Exception) onGap} until its {@link ConfigListener#onCaughtUp() onCaughtUp}.
 * The {@code pgdock.config} health contributor is DOWN while any open watch is in a gap (or the read cache reads
 * through), and the metrics publish the counts.
 *
 * <p>The store has one listening connection, shared by all its watches and its read cache, so one watch in a gap means
 * they all are. A watch started on the store directly works the same but is not counted here.
 *
 * <p>Thread-safe.
 */
public final class ConfigWatchMonitor {
    private final Set<Monitored> open = ConcurrentHashMap.newKeySet();
    private final LongAdder changes = new LongAdder();
    private final LongAdder gaps = new LongAdder();

    /** Creates a monitor of no watches; the starter makes one bean. */
    public ConfigWatchMonitor() {
    }

    /**
     * Starts a watch of live changes, as {@link ConfigStore#watch(String, ConfigListener)}, counted here until it is
     * closed.
     *
     * @param store the store (or a view of it)
     * @param prefix the key prefix; {@code ""} for all keys
     * @param listener called for each change, then told of gaps, as the store's own watch does
     * @return the subscription; close it to stop
     */
    public ConfigSubscription watch(ConfigStore store, String prefix, ConfigListener listener) {
        Objects.requireNonNull(store, "store");
        Monitored m = new Monitored(Objects.requireNonNull(listener, "listener"));
        open.add(m);
        try {
            m.subscription = store.watch(prefix, m);
        } catch (RuntimeException e) {
            open.remove(m);
            throw e;
        }
        return m;
    }

    /** @return the watches started here and not closed */
    public int openWatches() {
        return open.size();
    }

    /** @return whether no open watch is in a gap (also when none is open) */
    public boolean listening() {
        return open.stream().noneMatch(m -> m.inGap.get());
    }

    /** @return the changes delivered to the watches started here, since the monitor was made */
    public long changes() {
        return changes.sum();
    }

    /** @return the gaps their listeners were told of, since the monitor was made */
    public long gaps() {
        return gaps.sum();
    }

    /** The counts, for logs. */
    @Override
    public String toString() {
        return "ConfigWatchMonitor[open=" + openWatches() + ", listening=" + listening() + ", changes=" + changes()
                + ", gaps=" + gaps() + "]";
    }

    private final class Monitored implements ConfigListener, ConfigSubscription {
        final ConfigListener listener;
        final AtomicBoolean inGap = new AtomicBoolean();
        volatile ConfigSubscription subscription = CLOSED;

        Monitored(ConfigListener listener) {
            this.listener = listener;
        }

        @Override
        public void onChange(ConfigEvent event) {
            changes.increment();
            listener.onChange(event);
        }

        @Override
        public void onGap(Exception cause) {
            gaps.increment();
            inGap.set(true);
            listener.onGap(cause);
        }

        @Override
        public void onCaughtUp() {
            inGap.set(false);
            listener.onCaughtUp();
        }

        @Override
        public long position() {
            return subscription.position();
        }

        @Override
        public boolean isOpen() {
            return subscription.isOpen();
        }

        @Override
        public void close() {
            subscription.close();
            open.remove(this);
        }
    }

    private static final ConfigSubscription CLOSED = new ConfigSubscription() {
        @Override
        public long position() {
            return 0;
        }

        @Override
        public boolean isOpen() {
            return false;
        }

        @Override
        public void close() {
        }
    };
}
