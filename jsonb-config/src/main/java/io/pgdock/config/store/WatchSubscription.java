package io.pgdock.config.store;

import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch, shared by both backends: which changes it wants, and its delivery to the listener, in order and without
 * duplicates.
 *
 * <p><b>Concurrency.</b> Events reach {@link #offer} from the backend's notifying thread; deliveries run on the
 * backend's delivery executor, which runs one task at a time in the order they were handed to it, so calls to the
 * listener are serial. Until {@link #activate} the subscription buffers what it is offered (its replay from the history
 * is being read); {@code activate} hands the replay, then the buffer, to the executor, and later offers go straight to
 * it. Dedupe state ({@code delivered}) is touched only by delivery tasks, so by one thread at a time. A {@link
 * ReentrantLock} held around each listener call lets {@link #close()} wait for a call under way (unless it is made from
 * that call).
 */
public final class WatchSubscription implements ConfigSubscription {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigStore.class);

    private final @Nullable Set<String> scopes;
    private final String prefix;
    private final ConfigListener listener;
    private final Executor delivery;
    private final Runnable onClose;
    private final ReentrantLock calling = new ReentrantLock();
    /** (scope, key) -> 2 * version + (1 if deleted): the last change delivered of that key. */
    private final Map<List<String>, Long> delivered = new HashMap<>();
    private @Nullable List<ConfigEvent> buffer = new ArrayList<>();   // guarded by this; null once active
    private volatile boolean open = true;
    private volatile long position;

    /** @param scopes the scopes watched, or null for all */
    public WatchSubscription(@Nullable List<String> scopes, String prefix, long afterPosition, ConfigListener listener,
            Executor delivery, Runnable onClose) {
        this.scopes = scopes == null ? null : Set.copyOf(scopes);
        this.prefix = prefix;
        this.listener = listener;
        this.delivery = delivery;
        this.onClose = onClose;
        this.position = Math.max(0, afterPosition);
    }

    /** Whether a change of {@code key} in {@code scope} is for this watch. */
    public boolean wants(String scope, String key) {
        return open && key.startsWith(prefix) && (scopes == null || scopes.contains(scope));
    }

    /** A live change, in commit order. */
    public void offer(ConfigEvent event) {
        if (!wants(event.scope(), event.key())) {
            return;
        }
        synchronized (this) {
            if (buffer != null) {
                buffer.add(event);
                return;
            }
        }
        delivery.execute(() -> deliver(event));
    }

    /** Delivers {@code replay} (in position order), then what was offered meanwhile, then live changes. */
    public void activate(List<ConfigEvent> replay) {
        synchronized (this) {
            List<ConfigEvent> offered = Objects.requireNonNull(buffer, "buffer");   // activated only once
            List<ConfigEvent> all = new ArrayList<>(replay.size() + offered.size());
            for (ConfigEvent e : replay) {
                if (wants(e.scope(), e.key())) {
                    all.add(e);
                }
            }
            all.addAll(offered);
            buffer = null;
            if (!all.isEmpty()) {
                delivery.execute(() -> all.forEach(this::deliver));
            }
        }
    }

    /** Changes the store replays after a gap: delivered like live ones, duplicates dropped. */
    public void replay(List<ConfigEvent> events) {
        for (ConfigEvent e : events) {
            offer(e);
        }
    }

    public void gap(Exception cause) {
        delivery.execute(() -> call(() -> listener.onGap(cause), "onGap"));
    }

    public void caughtUp() {
        delivery.execute(() -> call(() -> listener.onCaughtUp(), "onCaughtUp"));
    }

    private void deliver(ConfigEvent event) {
        List<String> id = List.of(event.scope(), event.key());
        long order = 2 * event.version() + (event.deleted() ? 1 : 0);
        Long last = delivered.get(id);
        if (last != null && order <= last) {
            return;   // delivered already (a replay overlapping live notifications)
        }
        delivered.put(id, order);
        if (event.position() > position) {
            position = event.position();   // before the call, so that a listener sees its own event's position
        }
        call(() -> listener.onChange(event), "onChange");
    }

    private void call(Runnable call, String what) {
        calling.lock();
        try {
            if (!open) {
                return;
            }
            call.run();
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError) {
                throw (Error) e;
            }
            LOG.warn("config watch of prefix {}: the listener's {} threw; the subscription goes on", ConfigKeys.show(prefix),
                    what, e);
        } finally {
            calling.unlock();
        }
    }
    /**
     * The factory of a store's watch threads: the caller's ({@link ConfigOptions#watchThreadFactory()}), or daemon
     * threads all named {@code defaultName}.
     */
    public static java.util.concurrent.ThreadFactory threads(ConfigOptions options, String defaultName) {
        return options.watchThreadFactory().orElseGet(() -> r -> {
            Thread t = new Thread(r, defaultName);
            t.setDaemon(true);
            return t;
        });
    }


    /**
     * An executor that runs one task at a time, in order, on a thread of {@code threads} that ends after a second idle
     * (so a store nobody watches any more holds no thread, and the executor needs no shutting down).
     */
    public static java.util.concurrent.ExecutorService serialExecutor(java.util.concurrent.ThreadFactory threads) {
        java.util.concurrent.ThreadPoolExecutor executor = new java.util.concurrent.ThreadPoolExecutor(0, 1, 1,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), threads);
        return executor;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    @SuppressWarnings("LockNotBeforeTry") // a barrier: unlocked at once, nothing between the two can throw
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        calling.lock();   // waits for a listener call under way, unless this is that call (the lock is reentrant)
        calling.unlock();
        onClose.run();
    }

    @Override
    public String toString() {
        return "ConfigSubscription[prefix=" + ConfigKeys.show(prefix) + ", scopes=" + scopes + ", position=" + position
                + (open ? "" : ", closed") + "]";
    }
}
