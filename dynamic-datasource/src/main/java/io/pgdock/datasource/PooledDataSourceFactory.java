package io.pgdock.datasource;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.core.internal.SqlFailures;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DataSourceFactory} over HikariCP pools, one per distinct {@link ConnectionSpec}.
 *
 * <p><b>Concurrency.</b> Live pools are in {@link #pools}, keyed by spec; a lookup of an existing pool takes no lock.
 * Creating and retiring pools, and the checks of the pool limit that go with them, happen under {@link #lock}, so
 * concurrent first calls for one spec build one pool, and a limit is never overshot by a race. A pool is retired by
 * setting its sign bit ({@link TargetPool#retire}), after which it lends nothing new; it is closed by maintenance once it
 * has drained, or when its drain deadline passes. Listeners are called outside the lock.
 *
 * <p><b>Rotation.</b> {@link #byIdentity} maps a spec without its password to the target's current pool. A new spec with
 * the same identity gets a candidate pool ({@link TargetPool#replacing()}), which {@link #acquire} checks at once with
 * one login; when that succeeds, {@link #checked} makes it current and retires the old pool with it as successor. Handles
 * on the old pool follow the successor, and callers waiting in the old pool leave it within a borrow slice. A stale
 * password fails its own login and changes nothing.
 *
 * <p><b>Threads.</b> One scheduled executor (the caller's, or one daemon thread of ours) runs maintenance and every
 * pool's HikariCP housekeeping. HikariCP opens and closes connections on short-lived threads of its own (one per pool
 * while it works, ending after 5 s idle); they come from {@link #threadFactory}, virtual threads where the JDK has them.
 */
final class PooledDataSourceFactory implements DataSourceFactory {
    private static final Logger LOG = LoggerFactory.getLogger(PooledDataSourceFactory.class);

    private final FactoryOptions options;
    private final Object lock = new Object();
    private final ConcurrentHashMap<ConnectionSpec, TargetPool> pools = new ConcurrentHashMap<>();
    private final Map<ConnectionSpec, TargetPool> byIdentity = new ConcurrentHashMap<>();
    private final Set<TargetPool> retiring = ConcurrentHashMap.newKeySet();
    private final Map<String, TargetPool> labels = new HashMap<>();   // live pools by label; guarded by lock
    private final Queue<FactoryEvent> events = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean delivering = new AtomicBoolean();
    private long nextPoolId = 1;   // guarded by lock
    private final Semaphore permits;
    private final ScheduledExecutorService executor;
    private final boolean ownsExecutor;
    private final ThreadFactory threadFactory;
    /** Closes retired pools, one at a time, off the housekeeping thread; its thread ends after a second idle. */
    private final ExecutorService closer;
    private final ScheduledFuture<?> maintenance;
    private final AtomicLong threadCount = new AtomicLong();
    private volatile boolean closed;

    PooledDataSourceFactory(FactoryOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        this.permits = new Semaphore(options.maximumConnections());
        this.ownsExecutor = options.executor().isEmpty();
        this.executor = options.executor().orElseGet(PooledDataSourceFactory::ownExecutor);
        this.threadFactory = options.threadFactory().orElseGet(this::defaultThreadFactory);
        ThreadPoolExecutor closing = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                threadFactory);
        closing.allowCoreThreadTimeOut(true);
        this.closer = closing;
        long interval = options.maintenanceInterval().toNanos();
        this.maintenance = executor.scheduleWithFixedDelay(this::maintain, interval, interval, TimeUnit.NANOSECONDS);
    }

    private static ScheduledExecutorService ownExecutor() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pgdock-datasource-housekeeper");
            t.setDaemon(true);
            return t;
        });
        // Every evicted pool cancels its HikariCP housekeeping task; do not keep the cancelled tasks queued.
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /** Virtual threads on Java 21+ (found reflectively: the code targets 17), daemon platform threads otherwise. */
    private ThreadFactory defaultThreadFactory() {
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            Class<?> builderType = Class.forName("java.lang.Thread$Builder");
            builder = builderType.getMethod("name", String.class, long.class).invoke(builder, "pgdock-datasource-", 0L);
            Method factory = builderType.getMethod("factory");
            return (ThreadFactory) factory.invoke(builder);
        } catch (ReflectiveOperationException | RuntimeException noVirtualThreads) {
            return r -> {
                Thread t = new Thread(r, "pgdock-datasource-" + threadCount.getAndIncrement());
                t.setDaemon(true);
                return t;
            };
        }
    }

    FactoryOptions options() {
        return options;
    }

    Semaphore permits() {
        return permits;
    }

    ScheduledExecutorService executor() {
        return executor;
    }

    ThreadFactory threadFactory() {
        return threadFactory;
    }

    // ---- lookups ----

    @Override
    public DataSource get(ConnectionSpec spec) {
        TargetPool p = acquire(Objects.requireNonNull(spec, "spec"), null);
        p.throwIfFailing();
        return p.handle();
    }

    @Override
    public DataSource get(String name) {
        TargetPool p = acquire(resolve(name), name);
        p.throwIfFailing();
        return p.handle(name);
    }

    @Override
    public Jdbi jdbi(ConnectionSpec spec) {
        return ((TargetDataSource) get(spec)).jdbi();
    }

    @Override
    public Jdbi jdbi(String name) {
        return ((TargetDataSource) get(name)).jdbi();
    }

    @Override
    public Health health(ConnectionSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return health(() -> acquire(spec, null).handle());
    }

    @Override
    public Health health(String name) {
        ConnectionSpec spec = resolve(name);
        return health(() -> acquire(spec, name).handle(name));
    }

    @Override
    public void warmUp(ConnectionSpec spec) {
        TargetDataSource handle = (TargetDataSource) get(spec);
        try (Connection c = handle.getConnection()) {
            c.isValid(1);
        } catch (SQLException e) {
            throw SqlFailures.connectFailure(e, spec);
        }
    }

    @Override
    public List<TargetStatus> targets() {
        long now = options.ticker().read();
        List<TargetStatus> out = new ArrayList<>();
        for (TargetPool p : pools.values()) {
            out.add(p.status(now));
        }
        return out;
    }

    private ConnectionSpec resolve(String name) {
        requireOpen();
        TargetResolver.checkName(name);
        Optional<ConnectionSpec> spec = options.resolver().resolve(name);
        return spec.orElseThrow(() -> new UnknownTargetException(name, "no target is named '" + name
                + "': the factory's TargetResolver does not know it (FactoryOptions.resolver; for "
                + "TargetResolver.environment, set " + TargetResolver.environmentPrefix(name) + "URL). There is no "
                + "fallback to another target"));
    }

    private Health health(java.util.function.Supplier<TargetDataSource> handles) {
        Instant at = options.clock().instant();
        long start = options.ticker().read();
        TargetDataSource handle = null;
        try {
            handle = handles.get();
            handle.pool().throwIfFailing();
            String version;
            Duration latency;
            try (Connection c = handle.getConnection(); Statement s = c.createStatement()) {
                s.setQueryTimeout((int) Math.max(1, options.borrowTimeout().toSeconds()));
                try (ResultSet rs = s.executeQuery("SHOW server_version")) {
                    rs.next();
                    version = rs.getString(1);
                    latency = Duration.ofNanos(options.ticker().read() - start);
                }
            }
            // The counts once the probe's own connection is back, so they show what others hold.
            return Health.up(latency, version, handle.pool().stats(), at);
        } catch (SQLException | ConnectionFailedException e) {
            Health.PoolStats stats = handle != null ? handle.pool().stats()
                    : new Health.PoolStats(0, 0, 0, 0, options.maximumPoolSize());
            ConnectionFailedException failure = e instanceof ConnectionFailedException f ? f
                    : handle != null ? SqlFailures.connectFailure((SQLException) e, handle.pool().spec())
                    : SqlFailures.connectFailure((SQLException) e, "the target");
            return Health.down(Duration.ofNanos(Math.max(0, options.ticker().read() - start)), failure.reason(),
                    SqlFailures.firstLine(failure.getMessage()), stats, at);
        }
    }

    // ---- pool lifecycle ----

    /**
     * The live pool for a spec, made if there is none. A spec that differs from a live one only by its password makes a
     * candidate: a pool that replaces the live one only once a login with the new password has succeeded, which this
     * call tries at once. So a caller with a stale password cannot undo a rotation, and a password the server does not
     * accept yet leaves the working pool in place.
     */
    TargetPool acquire(ConnectionSpec spec, @Nullable String name) {
        TargetPool p = pools.get(spec);
        if (p == null || p.isRetired()) {
            p = create(spec, name);
        }
        if (p.replacing() != null) {
            p.throwIfFailing();
            p.awaitReady();   // promotes the candidate through checked()
        }
        return p;
    }

    private TargetPool create(ConnectionSpec spec, @Nullable String name) {
        try {
            synchronized (lock) {
                requireOpen();
                TargetPool p = pools.get(spec);
                if (p != null && !p.isRetired()) {
                    return p;
                }
                makeRoomForPool(spec);
                TargetPool current = byIdentity.get(identity(spec));
                // A pool that replaces another keeps its label, so logs and metrics follow the target across rotations.
                String label = current != null ? current.label() : uniqueLabel(name != null ? name
                        : spec.user() + "@" + spec.endpoints().get(0) + "/" + spec.database());
                p = new TargetPool(this, spec, name, label, nextPoolId++);
                pools.put(spec, p);
                enqueue(FactoryEvent.Type.CREATED, p, current == null ? "pool created (lazy: no connection yet)"
                        : "pool created for a new password of pool " + current.id() + "; it replaces that pool once "
                        + "a login with the new password succeeds");
                if (current == null) {
                    byIdentity.put(identity(spec), p);
                    labels.put(label, p);
                } else {
                    p.replacing(current);
                }
                return p;
            }
        } finally {
            deliver();
        }
    }

    /** Called when a pool's first connection has been checked: a candidate now replaces the pool it was made for. */
    void checked(TargetPool p) {
        if (p.replacing() == null) {
            return;
        }
        try {
            synchronized (lock) {
                if (p.replacing() == null || p.isRetired()) {
                    return;
                }
                p.replacing(null);
                // The pool it was made to replace may be gone already (evicted); then it simply becomes the target's.
                TargetPool current = byIdentity.put(identity(p.spec()), p);
                labels.put(p.label(), p);
                if (current != null && current != p) {
                    retireLocked(current, p, FactoryEvent.Type.ROTATED, "the password changed and pool " + p.id()
                            + " logged in with the new one; new borrowers get that pool, this one drains and closes");
                }
            }
        } finally {
            deliver();
        }
    }

    /** The pool a handle should use now that {@code stale} refused it. */
    TargetPool replacement(TargetDataSource handle, TargetPool stale) {
        requireOpen();
        TargetPool next = stale.successor();
        while (next != null && next.isRetired() && next.successor() != null) {
            next = next.successor();
        }
        if (next != null && !next.isRetired()) {
            return next;
        }
        if (handle.name() != null) {
            return acquire(resolve(handle.name()), handle.name());
        }
        // The target's current pool, if it has one (it may use a newer password than this handle's spec).
        TargetPool current = byIdentity.get(identity(stale.spec()));
        if (current != null && !current.isRetired()) {
            return current;
        }
        return acquire(stale.spec(), null);
    }

    private static ConnectionSpec identity(ConnectionSpec spec) {
        return spec.password().isEmpty() ? spec : spec.toBuilder().password(null).build();
    }

    private String uniqueLabel(String base) {
        String label = base;
        for (int i = 2; labels.containsKey(label); i++) {
            label = base + "#" + i;
        }
        return label;
    }

    /** Under the lock: evicts the least recently used idle pool when the pool limit is reached. */
    private void makeRoomForPool(ConnectionSpec spec) {
        if (pools.size() < options.maximumPools()) {
            return;
        }
        long now = options.ticker().read();
        TargetPool victim = pools.values().stream().filter(TargetPool::isIdle)
                .min(Comparator.comparingLong(p -> p.lastUsed(now))).orElse(null);
        if (victim == null) {
            throw new ConnectionFailedException(Reason.TOO_MANY_CONNECTIONS, "cannot open a pool for " + spec + ": all "
                    + options.maximumPools() + " pools this factory may keep (FactoryOptions.maximumPools) have "
                    + "connections lent; raise the limit or return connections sooner", null, null);
        }
        retireLocked(victim, null, FactoryEvent.Type.EVICTED, "least recently used idle pool, evicted because "
                + "maximumPools (" + options.maximumPools() + ") was reached");
    }

    private void retireLocked(TargetPool p, @Nullable TargetPool successor, FactoryEvent.Type type, String why) {
        if (!p.retire(successor)) {
            return;
        }
        pools.remove(p.spec(), p);
        byIdentity.remove(identity(p.spec()), p);
        labels.remove(p.label(), p);
        // Queued before the pool becomes visible to maintenance, so its CLOSED always follows this event.
        enqueue(type, p, why);
        retiring.add(p);
    }

    /**
     * Called when a connection slot is wanted and none is free: closes the idle connections of the least recently used
     * pool that has some (draining pools first), so the caller waiting in {@link TargetConnector} gets a slot.
     */
    void makeRoom(TargetPool requester) {
        long now = options.ticker().read();
        Optional<TargetPool> draining = retiring.stream().filter(TargetPool::canSpareIdleConnections).findAny();
        if (draining.isPresent()) {
            draining.get().evictIdleConnections();
            return;
        }
        pools.values().stream().filter(p -> p != requester && p.canSpareIdleConnections())
                .min(Comparator.comparingLong(p -> p.lastUsed(now)))
                .ifPresent(TargetPool::evictIdleConnections);
    }

    /** Scheduled maintenance: pools are closed on {@link #closer}, so a slow close never holds up housekeeping. */
    private void maintain() {
        maintain(true);
    }

    /**
     * Evicts pools idle past their TTL; closes retired pools that have drained or passed their deadline.
     *
     * @param async whether to close pools on {@link #closer} rather than on this thread
     */
    private void maintain(boolean async) {
        try {
            long now = options.ticker().read();
            synchronized (lock) {
                long ttl = options.idleTtl().toNanos();
                for (TargetPool p : pools.values()) {
                    if (now - p.lastUsed(now) >= ttl && p.isIdle()) {
                        retireLocked(p, null, FactoryEvent.Type.EVICTED, "unused for " + options.idleTtl()
                                + " (idleTtl)");
                    }
                }
            }
            deliver();
            long deadline = options.drainTimeout().toNanos();
            for (TargetPool p : retiring) {
                if (p.drained()) {
                    closePool(p, "drained", async);
                } else if (now - p.retiredAt() >= deadline) {
                    LOG.warn("Closing pool {} ({}) with {} connection(s) still lent: they were not returned within "
                            + "the drain timeout of {}; HikariCP aborts them", p.label(), p.spec(), p.lent(),
                            options.drainTimeout());
                    closePool(p, "closed with " + p.lent() + " connection(s) still lent after the drain timeout of "
                            + options.drainTimeout(), async);
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("DataSourceFactory maintenance failed; it runs again in {}", options.maintenanceInterval(), e);
        }
    }

    private void closePool(TargetPool p, String why, boolean async) {
        if (!retiring.remove(p)) {
            return;
        }
        Runnable close = () -> {
            p.close();
            emit(FactoryEvent.Type.CLOSED, p, why);
        };
        if (async) {
            try {
                closer.execute(close);
                return;
            } catch (RejectedExecutionException factoryClosing) {
                // close() shut the closer down after taking its snapshot of pools; close this one here.
            }
        }
        close.run();
    }

    /** Runs maintenance now, closing pools on the caller's thread (tests with a fake ticker call it instead of waiting). */
    void cleanUp() {
        maintain(false);
    }

    // ---- failures and events ----

    void failed(TargetPool p, ConnectionFailedException e) {
        LOG.warn("Target {} failed ({}); refusing it for {} (failureBackoff): {}", p.label(), e.reason(),
                options.failureBackoff(), e.getMessage());
        emit(FactoryEvent.Type.FAILED, p, e.getMessage());
    }

    /** Queues an event and delivers what is queued. Not to be called under {@link #lock}. */
    void emit(FactoryEvent.Type type, TargetPool p, String detail) {
        enqueue(type, p, detail);
        deliver();
    }

    /** Queues an event; callers holding {@link #lock} queue, then {@link #deliver()} once they have released it. */
    private void enqueue(FactoryEvent.Type type, TargetPool p, String detail) {
        if (type != FactoryEvent.Type.FAILED) {
            LOG.debug("Target {} pool {} ({}): {} - {}", p.label(), p.id(), p.spec(), type, detail);
        }
        if (!options.listeners().isEmpty()) {
            events.add(new FactoryEvent(type, p.label(), p.id(), p.spec(), detail, options.clock().instant(),
                    p.statsSupplier()));
        }
    }

    /**
     * Delivers queued events to the listeners, in the order they were queued, one thread at a time (whichever thread
     * finds the queue free), and never under {@link #lock}.
     */
    private void deliver() {
        while (!events.isEmpty() && delivering.compareAndSet(false, true)) {
            try {
                FactoryEvent event;
                while ((event = events.poll()) != null) {
                    for (FactoryListener l : options.listeners()) {
                        try {
                            l.onEvent(event);
                        } catch (RuntimeException e) {
                            LOG.warn("FactoryListener {} threw on {}; ignored", l, event, e);
                        }
                    }
                }
            } finally {
                delivering.set(false);
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this DataSourceFactory is closed");
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (TargetPool p : new ArrayList<>(pools.values())) {
                retireLocked(p, null, FactoryEvent.Type.EVICTED, "the factory is closing");
            }
        }
        maintenance.cancel(false);
        deliver();
        closer.shutdown();
        for (TargetPool p : new ArrayList<>(retiring)) {
            closePool(p, "the factory closed", false);
        }
        try {
            if (!closer.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("Pools being closed by maintenance did not finish closing within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownsExecutor) {
            executor.shutdownNow();
        }
        LOG.debug("DataSourceFactory closed");
    }

    @Override
    public String toString() {
        return "PooledDataSourceFactory[pools=" + pools.size() + ", draining=" + retiring.size() + ", " + options + "]";
    }
}
