package io.pgdock.datasource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.core.internal.ConnectRetry;
import io.pgdock.core.internal.LoginTimeout;
import io.pgdock.core.internal.RoleSettingsCheck;
import io.pgdock.core.internal.SchemaAccess;
import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One target's HikariCP pool and what the factory knows about it.
 *
 * <p><b>Users and retirement.</b> {@link #users} counts callers inside {@link TargetDataSource#getConnection()} for this
 * pool; its sign bit marks the pool retired. {@link #enter()} fails once the bit is set, so after {@link #retire(TargetPool)}
 * returns no new borrow can start, and the pool may be closed as soon as the count is zero and HikariCP reports no
 * connection lent ({@link #drained()}).
 *
 * <p><b>Check.</b> The target is checked once, by the first borrower, on a connection of its own that is then handed to
 * the pool: connect, then the schema (and, behind a transaction pooler, the role's settings). Concurrent first borrowers
 * wait for that one check. A failure is remembered for the back-off: borrowers get it again without contacting the
 * server, and so does HikariCP when it tries to open a connection ({@link #refuseIfFailing()}).
 *
 * <p>Thread-safe.
 */
final class TargetPool {
    private static final int RETIRED = Integer.MIN_VALUE;

    /** How long a borrower waits inside HikariCP before it looks at the target's state again. */
    static final Duration BORROW_SLICE = Duration.ofMillis(200);

    /** Where the target stands. Immutable; replaced as a whole. */
    private record Check(TargetStatus.State state, @Nullable CompletableFuture<Void> running,
            @Nullable ConnectionFailedException error, long until) {
        static final Check NEW = new Check(TargetStatus.State.NEW, null, null, 0);
        static final Check READY = new Check(TargetStatus.State.READY, null, null, 0);

        /** The failure of a {@link TargetStatus.State#FAILED} check, which always has one. */
        ConnectionFailedException failure() {
            return Objects.requireNonNull(error, "error");
        }
    }

    private final PooledDataSourceFactory factory;
    private final long id;
    private final Supplier<Health.PoolStats> statsSupplier = this::stats;
    private final FactoryOptions options;
    private final ConnectionSpec spec;
    private final String label;
    private final TargetConnector connector;
    private final HikariDataSource hikari;
    private final HikariPool pool;
    private final TargetDataSource handle;
    private final AtomicInteger users = new AtomicInteger();
    private final AtomicReference<Check> check = new AtomicReference<>(Check.NEW);
    private final Duration connectTimeout;
    private volatile @Nullable TargetDataSource namedHandle;
    /** When the pool was last seen in use, by the ticker; brought up to date from {@link #used} by maintenance. */
    private volatile long lastUsed;
    /** Set by borrowers (a volatile read, and a write only when it flips), cleared when maintenance reads it. */
    private volatile boolean used;
    private volatile @Nullable TargetPool successor;
    /** The live pool this one is to replace once its new password has been checked; null when it replaces none. */
    private volatile @Nullable TargetPool replacing;
    private volatile long retiredAt;

    TargetPool(PooledDataSourceFactory factory, ConnectionSpec spec, @Nullable String name, String label, long id) {
        this.factory = factory;
        this.id = id;
        this.options = factory.options();
        this.spec = spec;
        this.label = label;
        this.connectTimeout = spec.connectTimeout().orElse(options.connectTimeout());
        this.connector = new TargetConnector(spec, driverProperties(spec, options),
                LoginTimeout.of(spec, options.connectTimeout(), "FactoryOptions.connectTimeout"), factory.permits(),
                options.maximumConnections(), options.borrowTimeout().toNanos(), this);
        this.hikari = new HikariDataSource(hikariConfig());
        // HikariDataSource(config) starts its pool at once; borrowing through HikariPool allows a per-call timeout.
        this.pool = (HikariPool) hikari.getHikariPoolMXBean();
        try {
            HikariThreads.shortenKeepAlive(hikari);
        } catch (IllegalStateException e) {
            hikari.close();
            throw e;
        }
        this.handle = new TargetDataSource(factory, null, this);
        if (name != null) {
            this.namedHandle = new TargetDataSource(factory, name, this);
        }
        this.lastUsed = options.ticker().read();
    }

    /** The driver properties: the spec's, plus the factory's defaults made explicit. */
    static Properties driverProperties(ConnectionSpec spec, FactoryOptions options) {
        Properties p = spec.driverProperties();
        if (spec.sslMode().isEmpty()) {
            p.setProperty("sslmode", options.defaultSslMode().value());
        }
        if (spec.applicationName().isEmpty()) {
            p.setProperty("ApplicationName", options.applicationName());
        }
        long connectSeconds = spec.connectTimeout().orElse(options.connectTimeout()).toSeconds();
        p.setProperty("connectTimeout", Long.toString(connectSeconds));
        // No loginTimeout: the whole login is bounded by BoundedLogin, on the calling thread (pgjdbc's loginTimeout
        // would return in time but leave its own connect thread blocked on the socket).
        if (options.transactionPooling() && !spec.options().containsKey("prepareThreshold")) {
            p.setProperty("prepareThreshold", "0");
        }
        return p;
    }

    private HikariConfig hikariConfig() {
        HikariConfig c = new HikariConfig();
        c.setPoolName("pgdock-" + id + "-" + label);
        c.setDataSource(connector);
        c.setMaximumPoolSize(options.maximumPoolSize());
        c.setMinimumIdle(0);
        c.setConnectionTimeout(options.borrowTimeout().toMillis());
        c.setIdleTimeout(options.connectionIdleTimeout().toMillis());
        c.setMaxLifetime(options.maxLifetime().toMillis());
        // Lazy: no connection until the first borrow, and no failure at construction.
        c.setInitializationFailTimeout(-1);
        c.setScheduledExecutor(factory.executor());
        c.setThreadFactory(factory.threadFactory());
        c.setReadOnly(spec.readOnly());
        String initSql = spec.sessionInitSql();
        if (!options.transactionPooling() && !initSql.isEmpty()) {
            c.setConnectionInitSql(initSql);
        }
        return c;
    }

    ConnectionSpec spec() {
        return spec;
    }

    String label() {
        return label;
    }

    /** The pool's number in its factory: distinct for every pool the factory ever made. */
    long id() {
        return id;
    }

    Supplier<Health.PoolStats> statsSupplier() {
        return statsSupplier;
    }

    TargetDataSource handle() {
        return handle;
    }

    /** A handle bound to {@code name}: re-resolved whenever it needs a new pool. */
    TargetDataSource handle(String name) {
        TargetDataSource h = namedHandle;
        if (h != null && name.equals(h.name())) {
            return h;
        }
        h = new TargetDataSource(factory, name, this);
        if (namedHandle == null) {
            namedHandle = h;
        }
        return h;
    }

    /**
     * When the pool was last used, to the resolution of the maintenance interval: a borrow only marks the pool used, and
     * this, called by maintenance and when a limit is hit, turns the mark into a time. Reading the ticker on every borrow
     * would cost more than the rest of the factory's borrow path together.
     *
     * @param now the ticker now
     * @return the last time the pool was seen in use
     */
    long lastUsed(long now) {
        if (used) {
            used = false;
            lastUsed = now;
        }
        return lastUsed;
    }

    @Nullable TargetPool successor() {
        return successor;
    }

    @Nullable TargetPool replacing() {
        return replacing;
    }

    void replacing(@Nullable TargetPool pool) {
        replacing = pool;
    }

    long retiredAt() {
        return retiredAt;
    }

    // ---- users and retirement ----

    boolean enter() {
        while (true) {
            int u = users.get();
            if (u < 0) {
                return false;
            }
            if (users.compareAndSet(u, u + 1)) {
                return true;
            }
        }
    }

    void exit() {
        users.decrementAndGet();
    }

    boolean isRetired() {
        return users.get() < 0;
    }

    /**
     * Stops lending. Connections lent stay valid until returned; callers waiting inside the pool leave it within a
     * {@link #BORROW_SLICE} and go to the successor (or a new pool), and a connection the pool hands out after this is
     * given back rather than lent ({@link #borrow()}). The pool's connections are closed with it once it has drained, not
     * evicted now: HikariCP with {@code minimumIdle = 0} does not replace evicted connections for callers waiting.
     * Called under the factory's lock only, so two retirements never race.
     *
     * @param next the pool that replaces this one (a rotation), or null
     * @return false if it was already retired
     */
    boolean retire(@Nullable TargetPool next) {
        if (isRetired()) {
            return false;
        }
        // Written before the retired bit, so a handle refused by this pool always finds its successor.
        successor = next;
        retiredAt = options.ticker().read();
        while (true) {
            int u = users.get();
            if (users.compareAndSet(u, u | RETIRED)) {
                break;
            }
        }
        connector.discardHandoff();
        return true;
    }

    /** Nobody is borrowing and nothing is lent: the pool may be evicted without disturbing anyone. */
    boolean isIdle() {
        return (users.get() & ~RETIRED) == 0 && lent() == 0;
    }

    /** Retired, nobody borrowing, nothing lent: the pool may be closed. */
    boolean drained() {
        return users.get() == RETIRED && lent() == 0;
    }

    int lent() {
        HikariPoolMXBean bean = hikari.getHikariPoolMXBean();
        return bean == null || hikari.isClosed() ? 0 : bean.getActiveConnections();
    }

    /**
     * Whether {@link #evictIdleConnections()} may run: idle connections to free, and nobody waiting here, who would
     * otherwise wait for a replacement HikariCP does not make.
     */
    boolean canSpareIdleConnections() {
        HikariPoolMXBean bean = hikari.getHikariPoolMXBean();
        return bean != null && !hikari.isClosed() && bean.getThreadsAwaitingConnection() == 0
                && bean.getIdleConnections() > 0;
    }

    /** Closes idle connections now (lent ones when they come back), to free the factory's connection slots. */
    void evictIdleConnections() {
        HikariPoolMXBean bean = hikari.getHikariPoolMXBean();
        if (bean != null && !hikari.isClosed()) {
            bean.softEvictConnections();
        }
    }

    /**
     * Closes the pool; connections still lent are aborted by HikariCP. Any physical connection of this target still open
     * afterwards (one HikariCP was opening as it shut down, say) is closed too, so no connection or connection slot
     * outlives the pool.
     */
    void close() {
        connector.close();
        hikari.close();
        connector.closeAll();
    }

    Health.PoolStats stats() {
        HikariPoolMXBean bean = hikari.getHikariPoolMXBean();
        if (bean == null || hikari.isClosed()) {
            return new Health.PoolStats(0, 0, 0, 0, options.maximumPoolSize());
        }
        return new Health.PoolStats(bean.getActiveConnections(), bean.getIdleConnections(),
                bean.getThreadsAwaitingConnection(), bean.getTotalConnections(), options.maximumPoolSize());
    }

    /** The target's check: the reference always holds one. */
    private Check currentCheck() {
        return Objects.requireNonNull(check.get(), "check");
    }

    TargetStatus status(long now) {
        Check c = currentCheck();
        return new TargetStatus(label, spec, c.state(), stats(), Duration.ofNanos(Math.max(0, now - lastUsed(now))),
                c.error() == null ? null : c.error().getMessage());
    }

    // ---- borrowing ----

    /**
     * Called between {@link #enter()} and {@link #exit()}. Waits for a connection in slices of {@link #BORROW_SLICE}, so a
     * caller already waiting when the target fails (its server stopped, say) learns of it within a slice instead of
     * waiting out the whole borrow timeout (HikariCP keeps waiters waiting while its connection attempts fail), and a
     * caller waiting when the pool is retired moves on.
     *
     * @throws Retired when the pool was retired: the handle then asks the factory for the pool to use now
     */
    @SuppressWarnings("ReferenceEquality") // Check.READY is a sentinel; checks are swapped by identity
    Connection borrow() throws SQLException {
        if (!used) {
            used = true;
        }
        boolean checked = currentCheck() != Check.READY && awaitReady();
        long sliceMillis = BORROW_SLICE.toMillis();
        long deadline = 0;
        while (true) {
            Connection c;
            try {
                c = pool.getConnection(sliceMillis);
            } catch (SQLException e) {
                if (isRetired()) {
                    throw Retired.INSTANCE;
                }
                throwIfFailing();
                ConnectionFailedException failure = connectFailure(e.getCause());
                if (failure != null && failure.reason() != Reason.TOO_MANY_CONNECTIONS) {
                    throw failure;
                }
                if (deadline == 0) {
                    // The clock is read only once a wait has failed; the first slice has passed by then.
                    deadline = System.nanoTime() - BORROW_SLICE.toNanos() + options.borrowTimeout().toNanos();
                }
                long left = deadline - System.nanoTime();
                if (!(e instanceof SQLTransientConnectionException) || left <= 0) {
                    if (failure != null) {
                        throw failure;
                    }
                    if (e instanceof SQLTransientConnectionException) {
                        Health.PoolStats s = stats();
                        throw new SQLTransientConnectionException("pool " + label + ": no connection was free within "
                                + "the borrow timeout of " + options.borrowTimeout() + " (active " + s.active()
                                + ", idle " + s.idle() + ", waiting " + s.waiting() + ", maximum " + s.maximum() + ")",
                                e.getSQLState(), e);
                    }
                    throw e;
                }
                sliceMillis = Math.max(1, Math.min(BORROW_SLICE.toMillis(), left / 1_000_000));
                continue;
            }
            if (checked) {
                // The checked connection went to the pool unless the pool had one to lend already (a target that
                // recovered); then it is not needed, and must not sit in the hand-off holding a connection slot.
                connector.discardHandoff();
            }
            if (isRetired()) {
                // Retired while this caller waited: a connection of this pool (perhaps opened with a password that has
                // since been replaced) is given back, not lent.
                c.close();
                throw Retired.INSTANCE;
            }
            return c;
        }
    }

    /** Thrown by {@link #borrow()} when the pool was retired under a waiting caller; never leaves the package. */
    static final class Retired extends RuntimeException {
        private static final long serialVersionUID = 1L;
        @SuppressWarnings("StaticAssignmentOfThrowable") // one shared instance: no stack trace, no suppressed ones
        static final Retired INSTANCE = new Retired();

        private Retired() {
            super("pool retired", null, false, false);
        }
    }

    /** Fails at once, with the remembered failure, while the target is in its back-off. */
    void throwIfFailing() {
        Check c = currentCheck();
        if (c.state() == TargetStatus.State.FAILED && options.ticker().read() - c.until() < 0) {
            throw remembered(c);
        }
    }

    /**
     * Makes sure the target has been checked, running the check on this thread if nobody else is.
     *
     * @return whether this thread ran the check (and so may have left a connection in the hand-off)
     */
    @SuppressWarnings("ReferenceEquality") // Check.READY is a sentinel; checks are swapped by identity
    boolean awaitReady() {
        while (true) {
            Check c = currentCheck();
            if (c == Check.READY) {
                return false;
            }
            if (c.running() != null) {
                await(c.running());
                continue;
            }
            throwIfFailing();
            CompletableFuture<Void> running = new CompletableFuture<>();
            Check mine = new Check(c.state(), running, c.error(), c.until());
            if (!check.compareAndSet(c, mine)) {
                continue;
            }
            try {
                probe();
                check.set(Check.READY);
                if (c.state() == TargetStatus.State.FAILED) {
                    factory.emit(FactoryEvent.Type.RECOVERED, this, "connected again");
                }
                factory.checked(this);
                return true;
            } catch (ConnectionFailedException e) {
                if (!failed(e, mine)) {
                    check.compareAndSet(mine, c);
                }
                throw e;
            } catch (RuntimeException | Error e) {
                check.compareAndSet(mine, c);
                throw e;
            } finally {
                running.complete(null);
            }
        }
    }

    private void await(CompletableFuture<Void> running) {
        long waitNanos = connectTimeout.toNanos() * 2 + options.borrowTimeout().toNanos();
        try {
            running.get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionFailedException(Reason.OTHER, "interrupted while another caller connected to " + spec,
                    null, e);
        } catch (TimeoutException e) {
            throw new ConnectionFailedException(Reason.UNREACHABLE, "waited " + Duration.ofNanos(waitNanos)
                    + " for another caller's first connection to " + spec + "; the server does not answer in time",
                    null, e);
        } catch (ExecutionException e) {
            // The prober completes its future normally, whatever happened; the loop reads the outcome from the check.
            throw new IllegalStateException("target check ended abnormally", e.getCause());
        }
    }

    /** Opens and checks the first connection; hands it to the pool on success. */
    private void probe() {
        Connection c;
        try {
            c = connector.open();
        } catch (SQLException e) {
            throw connectFailure(e);
        }
        try {
            // The check's queries are bounded like the connect: a login that succeeds and then stalls (a pooler with no
            // free server connection, say) must not hold every first borrower.
            int networkTimeout = c.getNetworkTimeout();
            c.setNetworkTimeout(Runnable::run, (int) Math.max(1000, connectTimeout.toMillis()));
            checkSession(c);
            c.setNetworkTimeout(Runnable::run, networkTimeout);
            connector.handOff(c);
            c = null;
        } catch (SQLException e) {
            ConnectionFailedException failure = SqlFailures.deploymentFailure(e, spec.toString(), spec);
            if (failure != null) {
                throw failure;
            }
            throw new ConnectionFailedException(Reason.OTHER, "checking " + spec + " failed: "
                    + SqlFailures.firstLine(e.getMessage()), e.getSQLState(), e);
        } finally {
            TargetConnector.closeQuietly(c);
        }
    }

    private void checkSession(Connection c) throws SQLException {
        if (spec.schema().isPresent()) {
            String schema = spec.schema().get();
            SchemaAccess access = SchemaAccess.of(c, schema);
            if (!access.exists()) {
                throw new ConnectionFailedException(Reason.SCHEMA_MISSING, "schema " + quote(schema) + " does not exist "
                        + "in database " + quote(spec.database()) + " (" + spec + ")", "3F000", null);
            }
            if (!access.usage()) {
                throw new ConnectionFailedException(Reason.PRIVILEGE_MISSING, "role " + quote(spec.user())
                        + " has no USAGE privilege on schema " + quote(schema) + " (" + spec + ")", "42501", null);
            }
        }
        if (options.transactionPooling()) {
            RoleSettingsCheck.check(c, spec, "the factory");
        }
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    // ---- failures ----

    /**
     * Records a failure, unless it is a full server or a full factory (which say nothing about this target).
     *
     * @return whether it was recorded
     */
    private boolean failed(ConnectionFailedException e, @Nullable Check expected) {
        if (e.reason() == Reason.TOO_MANY_CONNECTIONS || interrupted(e) || isRetired()) {
            // A full server or factory, a caller that was interrupted, a pool on its way out: nothing to hold against
            // the target.
            return false;
        }
        Check failed = new Check(TargetStatus.State.FAILED, null, e,
                options.ticker().read() + options.failureBackoff().toNanos());
        boolean recorded = expected == null ? swapToFailed(failed) : check.compareAndSet(expected, failed);
        if (recorded) {
            factory.failed(this, e);
        }
        return recorded;
    }

    private boolean swapToFailed(Check failed) {
        while (true) {
            Check c = currentCheck();
            if (c.state() == TargetStatus.State.FAILED && c.running() == null
                    && options.ticker().read() - c.until() < 0) {
                return false;
            }
            if (c.running() != null) {
                return false;
            }
            if (check.compareAndSet(c, failed)) {
                return true;
            }
        }
    }

    private static boolean interrupted(Throwable e) {
        if (Thread.currentThread().isInterrupted()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException || t instanceof java.io.InterruptedIOException
                    || t instanceof java.nio.channels.ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }

    /** Called on HikariCP's thread when it could not open a connection. */
    void poolConnectFailed(SQLException e) {
        ConnectionFailedException failure = connectFailure(e);
        if (failure != null) {
            failed(failure, null);
        }
    }

    /** Called on HikariCP's thread before it opens a connection. */
    void refuseIfFailing() throws SQLException {
        Check c = currentCheck();
        if (c.state() == TargetStatus.State.FAILED && options.ticker().read() - c.until() < 0) {
            throw new SQLTransientConnectionException("target is in its failure back-off", c.failure().sqlState(),
                    c.failure());
        }
    }

    /** What the pool wants, for {@link ConnectRetry}: a connection while callers wait in it (its minimum idle is 0). */
    ConnectRetry.Demand demand() {
        HikariDataSource h = hikari;
        if (h == null || h.isClosed() || isRetired()) {
            return ConnectRetry.Demand.NONE;
        }
        HikariPoolMXBean bean = h.getHikariPoolMXBean();
        return bean != null && bean.getThreadsAwaitingConnection() > 0 ? ConnectRetry.Demand.WAITING
                : ConnectRetry.Demand.NONE;
    }

    void makeRoom() {
        factory.makeRoom(this);
    }

    /** The typed failure behind an exception of the driver, the pool or the connector; null if there is none. */
    private @Nullable ConnectionFailedException connectFailure(@Nullable Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectionFailedException f) {
                return f;
            }
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof LimitReachedException limit) {
                return new ConnectionFailedException(Reason.TOO_MANY_CONNECTIONS, "cannot connect to " + spec + ": "
                        + limit.getMessage(), limit.getSQLState(), limit);
            }
        }
        return t instanceof SQLException s ? SqlFailures.connectFailure(s, spec) : null;
    }

    private ConnectionFailedException remembered(Check c) {
        ConnectionFailedException e = c.failure();
        long left = Math.max(0, c.until() - options.ticker().read());
        return new ConnectionFailedException(e.reason(), e.getMessage() + " [failed recently; not tried again for another "
                + Duration.ofNanos(left).toMillis() + " ms (failureBackoff)]", e.sqlState(), e);
    }

    @Override
    public String toString() {
        return "TargetPool[" + label + " " + spec + "]";
    }
}
