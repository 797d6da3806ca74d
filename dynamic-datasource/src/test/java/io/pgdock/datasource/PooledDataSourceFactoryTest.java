package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.Wait;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pooled factory on a real server: sharing, laziness, limits, eviction, drain, failures. */
class PooledDataSourceFactoryTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Bounds a wait for a condition; generous, it only detects a hang. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static final AtomicInteger APPS = new AtomicInteger();

    private final FakeTicker ticker = new FakeTicker();
    private final RecordingListener events = new RecordingListener();
    private final List<DataSourceFactory> factories = new ArrayList<>();

    /** A factory whose maintenance runs only when a test calls cleanUp(), on a ticker the test moves. */
    private PooledDataSourceFactory factory(Consumer<FactoryOptions.Builder> customize) {
        FactoryOptions.Builder b = FactoryOptions.builder().ticker(ticker).listener(events)
                .maintenanceInterval(Duration.ofHours(1));
        customize.accept(b);
        PooledDataSourceFactory f = (PooledDataSourceFactory) DataSourceFactory.pooled(b.build());
        factories.add(f);
        return f;
    }

    private PooledDataSourceFactory factory() {
        return factory(b -> { });
    }

    @AfterEach
    void closeFactories() {
        factories.forEach(DataSourceFactory::close);
    }

    /** A target of its own: the test database under a unique application_name, so its sessions can be counted. */
    static ConnectionSpec target() {
        return PG.spec().toBuilder().applicationName("pgdock-test-" + APPS.incrementAndGet()).build();
    }

    static int sessions(ConnectionSpec spec) throws SQLException {
        try (Connection c = PG.adminDataSource().getConnection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            s.setString(1, spec.applicationName().orElseThrow());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    static String query(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    // ---- sharing ----

    @Test
    void equalSpecsShareOnePool() throws SQLException {
        PooledDataSourceFactory f = factory();
        ConnectionSpec spec = target();
        ConnectionSpec equal = ConnectionSpec.parse(spec.toString().replace(":***", ":" + spec.password().orElseThrow()));
        assertThat(equal).isEqualTo(spec).isNotSameAs(spec);
        DataSource a = f.get(spec);
        DataSource b = f.get(equal);
        assertThat(b).isSameAs(a);
        assertThat(f.jdbi(equal)).isSameAs(f.jdbi(spec));
        assertThat(query(a, "SELECT 1")).isEqualTo("1");
        assertThat(f.targets()).hasSize(1);
        assertThat(events.count(FactoryEvent.Type.CREATED)).isEqualTo(1);
    }

    @Test
    void sixteenThreadsAskingForOneNewSpecBuildOnePool() throws Exception {
        PooledDataSourceFactory f = factory();
        ConnectionSpec spec = target();
        CyclicBarrier start = new CyclicBarrier(16);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<DataSource>> got = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                got.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    DataSource ds = f.get(spec);
                    query(ds, "SELECT 1");
                    return ds;
                }));
            }
            Set<DataSource> distinct = new HashSet<>();
            for (Future<DataSource> g : got) {
                distinct.add(g.get(60, TimeUnit.SECONDS));
            }
            assertThat(distinct).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(events.count(FactoryEvent.Type.CREATED)).isEqualTo(1);
        assertThat(f.targets()).hasSize(1);
    }

    // ---- laziness ----

    @Test
    void poolsStartLazilyAndTheCheckConnectionIsReused() throws SQLException {
        PooledDataSourceFactory f = factory();
        ConnectionSpec spec = target();
        DataSource ds = f.get(spec);
        assertThat(sessions(spec)).as("sessions before first use").isZero();
        assertThat(f.targets()).singleElement().satisfies(t -> assertThat(t.state()).isEqualTo(TargetStatus.State.NEW));
        assertThat(query(ds, "SELECT 1")).isEqualTo("1");
        // The connection that checked the target is the one the pool lends: one session, not two.
        assertThat(sessions(spec)).as("sessions after first use").isEqualTo(1);
        assertThat(f.targets()).singleElement().satisfies(t -> {
            assertThat(t.state()).isEqualTo(TargetStatus.State.READY);
            assertThat(t.pool().total()).isEqualTo(1);
        });
    }

    @Test
    void warmUpConnectsBeforeFirstUse() throws SQLException {
        PooledDataSourceFactory f = factory();
        ConnectionSpec spec = target();
        f.warmUp(spec);
        assertThat(sessions(spec)).isEqualTo(1);
    }

    // ---- sessions ----

    @Test
    void sessionsGetTheSpecsSettingsAndAnExplicitSslMode() throws SQLException {
        PooledDataSourceFactory f = factory();
        PG.jdbi().useHandle(h -> h.execute("CREATE SCHEMA IF NOT EXISTS \"Mixed Case; DROP\""));
        ConnectionSpec spec = target().toBuilder().schema("Mixed Case; DROP").statementTimeout(Duration.ofMillis(1500))
                .lockTimeout(Duration.ofMillis(700)).idleInTransactionSessionTimeout(Duration.ofSeconds(9)).build();
        DataSource ds = f.get(spec);
        assertThat(query(ds, "SHOW search_path")).isEqualTo("\"Mixed Case; DROP\", pg_catalog");
        assertThat(query(ds, "SELECT current_schema()")).isEqualTo("Mixed Case; DROP");
        assertThat(query(ds, "SHOW statement_timeout")).isEqualTo("1500ms");
        assertThat(query(ds, "SHOW lock_timeout")).isEqualTo("700ms");
        assertThat(query(ds, "SHOW idle_in_transaction_session_timeout")).isEqualTo("9s");
        assertThat(query(ds, "SHOW application_name")).isEqualTo(spec.applicationName().orElseThrow());
        assertThat(TargetPool.driverProperties(spec, FactoryOptions.defaults()).getProperty("sslmode"))
                .isEqualTo("prefer");
        assertThat(TargetPool.driverProperties(spec, FactoryOptions.builder()
                .defaultSslMode(io.pgdock.core.SslMode.VERIFY_FULL).build()).getProperty("sslmode"))
                .isEqualTo("verify-full");
    }

    @Test
    void aSpecWithoutApplicationNameGetsTheFactorysDefault() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.applicationName("nightly-ingest"));
        ConnectionSpec spec = PG.spec().toBuilder().applicationName(null).build();
        assertThat(query(f.get(spec), "SHOW application_name")).isEqualTo("nightly-ingest");
    }

    @Test
    void sessionOptionsSmuggledInAUrlAreRefused() {
        String url = "postgresql://u@db:5432/app?options=-c%20search_path%3Devil";
        assertThatThrownBy(() -> ConnectionSpec.parse(url))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("options");
    }

    @Test
    void tlsRequiredByTheSpecButNotOfferedIsATlsFailure() {
        PooledDataSourceFactory f = factory();
        ConnectionSpec spec = target().toBuilder().sslMode(io.pgdock.core.SslMode.REQUIRE).build();
        boolean serverHasTls;
        try {
            serverHasTls = "on".equals(query(PG.adminDataSource(), "SHOW ssl"));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        org.junit.jupiter.api.Assumptions.assumeFalse(serverHasTls, "the test server offers TLS");
        ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                () -> f.get(spec).getConnection().close());
        assertThat(e.reason()).isEqualTo(Reason.TLS);
    }

    // ---- failures ----

    @Test
    void anUnknownRoleFailsAloneWithAnAuthenticationError() throws SQLException {
        PooledDataSourceFactory f = factory();
        ConnectionSpec good = target();
        ConnectionSpec bad = target().toBuilder().user("no_such_role_" + APPS.incrementAndGet())
                .password("Do-not-show-4711").build();
        ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                () -> f.get(bad).getConnection().close());
        assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
        assertThat(e.getMessage()).contains("no_such_role_").doesNotContain("Do-not-show-4711");
        assertThat(query(f.get(good), "SELECT 1")).isEqualTo("1");
    }

    @Test
    void aMissingDatabaseFailsWithItsOwnReason() {
        PooledDataSourceFactory f = factory();
        ConnectionSpec bad = target().toBuilder().database("no_such_db_" + APPS.incrementAndGet()).build();
        ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                () -> f.get(bad).getConnection().close());
        assertThat(e.reason()).isEqualTo(Reason.DATABASE_MISSING);
        assertThat(e.getMessage()).contains("no_such_db_");
    }

    @Test
    void aMissingSchemaFailsWithItsOwnReason() {
        PooledDataSourceFactory f = factory();
        ConnectionSpec bad = target().toBuilder().schema("no_such_schema").build();
        ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                () -> f.get(bad).getConnection().close());
        assertThat(e.reason()).isEqualTo(Reason.SCHEMA_MISSING);
        assertThat(e.getMessage()).contains("\"no_such_schema\"");
    }

    @Test
    void anUnreachableServerFailsFastAndIsRememberedForTheBackoff() throws Exception {
        PooledDataSourceFactory f = factory(b -> b.failureBackoff(Duration.ofSeconds(30)));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ConnectionSpec down = ConnectionSpec.builder().host("127.0.0.1").port(port).database("d").user("u")
                .connectTimeout(Duration.ofSeconds(2)).build();
        DataSource ds = f.get(down);
        ConnectionFailedException first = catchThrowableOfType(ConnectionFailedException.class,
                () -> ds.getConnection().close());
        assertThat(first.reason()).isEqualTo(Reason.UNREACHABLE);
        assertThat(events.count(FactoryEvent.Type.FAILED)).isEqualTo(1);

        // Within the back-off: the same failure, from memory, and no new attempt (no new FAILED event).
        ConnectionFailedException second = catchThrowableOfType(ConnectionFailedException.class,
                () -> ds.getConnection().close());
        assertThat(second.reason()).isEqualTo(Reason.UNREACHABLE);
        assertThat(second.getMessage()).contains("failed recently");
        assertThatThrownBy(() -> f.get(down))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
                .hasMessageContaining("failed recently");
        Health health = f.health(down);
        assertThat(health.isUp()).isFalse();
        assertThat(health.error()).get().asString().contains("no server answered");
        assertThat(f.targets()).singleElement().satisfies(t -> {
            assertThat(t.state()).isEqualTo(TargetStatus.State.FAILED);
            assertThat(t.lastError()).isNotNull();
        });
        assertThat(events.count(FactoryEvent.Type.FAILED)).isEqualTo(1);

        // After the back-off: a new attempt.
        ticker.advance(Duration.ofSeconds(31));
        assertThatThrownBy(() -> ds.getConnection().close()).isInstanceOf(ConnectionFailedException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("failed recently"));
        assertThat(events.count(FactoryEvent.Type.FAILED)).isEqualTo(2);

        // Other targets are not affected.
        assertThat(query(f.get(target()), "SELECT 1")).isEqualTo("1");
    }

    @Test
    void aTargetThatComesBackIsUsedAgainAfterTheBackoff() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.failureBackoff(Duration.ofSeconds(5)));
        String schema = "late_" + APPS.incrementAndGet();
        ConnectionSpec spec = target().toBuilder().schema(schema).build();
        DataSource ds = f.get(spec);
        assertThatThrownBy(() -> ds.getConnection().close())
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.SCHEMA_MISSING))
                .hasMessageContaining("schema \"" + schema + "\" does not exist");
        PG.jdbi().useHandle(h -> h.execute("CREATE SCHEMA " + schema));
        ticker.advance(Duration.ofSeconds(6));
        assertThat(query(ds, "SELECT current_schema()")).isEqualTo(schema);
        assertThat(events.types()).contains(FactoryEvent.Type.FAILED, FactoryEvent.Type.RECOVERED);
    }

    // ---- eviction and drain ----

    @Test
    void aPoolIdlePastItsTtlIsEvictedAndClosedAndTheHandleStillWorks() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.idleTtl(Duration.ofMinutes(5)));
        ConnectionSpec spec = target();
        DataSource ds = f.get(spec);
        assertThat(query(ds, "SELECT 1")).isEqualTo("1");
        f.cleanUp();   // maintenance notes the use (recency has the maintenance interval's resolution)

        ticker.advance(Duration.ofMinutes(4));
        f.cleanUp();
        assertThat(f.targets()).hasSize(1);

        ticker.advance(Duration.ofMinutes(2));
        f.cleanUp();   // evicts: retired, idle connections closed
        f.cleanUp();   // closes: drained
        assertThat(f.targets()).isEmpty();
        assertThat(events.types()).containsSubsequence(FactoryEvent.Type.CREATED, FactoryEvent.Type.EVICTED,
                FactoryEvent.Type.CLOSED);
        assertThat(sessions(spec)).isZero();

        // The handle makes a new pool on its next use.
        assertThat(query(ds, "SELECT 1")).isEqualTo("1");
        assertThat(events.count(FactoryEvent.Type.CREATED)).isEqualTo(2);
    }

    @Test
    void aPoolWithAConnectionLentIsNotEvicted() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.idleTtl(Duration.ofMinutes(5)));
        DataSource ds = f.get(target());
        try (Connection held = ds.getConnection()) {
            ticker.advance(Duration.ofMinutes(10));
            f.cleanUp();
            assertThat(f.targets()).hasSize(1);
            assertThat(held.isValid(5)).isTrue();
        }
        ticker.advance(Duration.ofMinutes(10));
        f.cleanUp();
        assertThat(f.targets()).isEmpty();
    }

    @Test
    void thePoolLimitEvictsTheLeastRecentlyUsedIdlePool() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.maximumPools(2));
        ConnectionSpec a = target();
        ConnectionSpec b = target();
        ConnectionSpec c = target();
        // Maintenance turns uses into times at its interval; cleanUp() stands for a tick after each use.
        query(f.get(a), "SELECT 1");
        f.cleanUp();
        ticker.advance(Duration.ofSeconds(1));
        query(f.get(b), "SELECT 1");
        f.cleanUp();
        ticker.advance(Duration.ofSeconds(1));
        query(f.get(a), "SELECT 1");   // b is now the least recently used
        f.cleanUp();
        f.get(c);
        assertThat(f.targets()).extracting(TargetStatus::spec).containsExactlyInAnyOrder(a, c);
        assertThat(events.events()).filteredOn(e -> e.type() == FactoryEvent.Type.EVICTED)
                .singleElement().satisfies(e -> assertThat(e.spec()).isEqualTo(b));
    }

    @Test
    void whenEveryPoolIsBusyANewPoolIsRefusedWithAClearError() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.maximumPools(1));
        try (Connection held = f.get(target()).getConnection()) {
            ConnectionSpec other = target();
            assertThatThrownBy(() -> f.get(other))
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS))
                    .hasMessageContaining("maximumPools");
            assertThat(held.isValid(5)).isTrue();
        }
    }

    @Test
    void aRetiredPoolClosesOnlyWhenItsConnectionsComeBack() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.drainTimeout(Duration.ofMinutes(1)));
        ConnectionSpec spec = target();
        DataSource ds = f.get(spec);
        Connection held = ds.getConnection();
        ConnectionSpec rotated = spec.toBuilder().password("another-password-1").build();
        f.get(rotated);   // retires the first pool
        f.cleanUp();
        assertThat(events.count(FactoryEvent.Type.CLOSED)).isZero();
        assertThat(held.isValid(5)).isTrue();
        held.close();
        f.cleanUp();
        assertThat(events.events()).filteredOn(e -> e.type() == FactoryEvent.Type.CLOSED)
                .singleElement().satisfies(e -> assertThat(e.detail()).isEqualTo("drained"));
    }

    @Test
    void aRetiredPoolIsClosedAnywayAtTheDrainDeadline() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.drainTimeout(Duration.ofSeconds(30)));
        ConnectionSpec spec = target();
        Connection held = f.get(spec).getConnection();
        int heldSession;
        try (Statement s = held.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            heldSession = rs.getInt(1);
        }
        f.get(spec.toBuilder().password("another-password-2").build());
        ticker.advance(Duration.ofSeconds(31));
        f.cleanUp();
        assertThat(events.events()).filteredOn(e -> e.type() == FactoryEvent.Type.CLOSED)
                .singleElement().satisfies(e -> assertThat(e.detail()).contains("still lent"));
        // HikariCP aborted the physical connection under the caller's proxy.
        assertThatThrownBy(() -> held.createStatement().execute("SELECT 1"))
                .isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo("08003"));   // connection_does_not_exist
        held.close();
        Wait.until(WAIT, () -> PG.jdbi().withHandle(h -> h.select(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ?", heldSession).mapTo(Integer.class).one()) == 0,
                "the aborted session is gone");
    }

    // ---- global connection limit ----

    @Test
    void theConnectionLimitClosesIdleConnectionsOfOtherTargets() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.maximumConnections(2).maximumPoolSize(2));
        ConnectionSpec a = target();
        ConnectionSpec b = target();
        DataSource da = f.get(a);
        try (Connection x = da.getConnection(); Connection y = da.getConnection()) {
            assertThat(x.isValid(5) && y.isValid(5)).isTrue();
        }
        assertThat(sessions(a)).isEqualTo(2);
        assertThat(query(f.get(b), "SELECT 1")).isEqualTo("1");
        // Backends end a moment after their client closes the socket.
        Wait.until(WAIT, () -> sessions(a) + sessions(b) <= 2, "at most 2 sessions for both targets");
    }

    @Test
    void whenEveryConnectionIsLentTheLimitIsAClearTypedError() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.maximumConnections(1).maximumPoolSize(1)
                .borrowTimeout(Duration.ofMillis(300)));
        try (Connection held = f.get(target()).getConnection()) {
            ConnectionSpec other = target();
            ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                    () -> f.get(other).getConnection().close());
            assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS);
            assertThat(e.getMessage()).contains("maximumConnections");
            assertThat(held.isValid(5)).isTrue();
            // Not the target's fault: it is not put in the back-off.
            assertThat(f.targets()).filteredOn(t -> t.spec().equals(other))
                    .singleElement().satisfies(t -> assertThat(t.state()).isNotEqualTo(TargetStatus.State.FAILED));
        }
    }

    @Test
    void aBusyPoolTimesOutWithHikarisError() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.maximumPoolSize(1).borrowTimeout(Duration.ofMillis(300)));
        DataSource ds = f.get(target());
        try (Connection held = ds.getConnection()) {
            assertThatThrownBy(ds::getConnection).isInstanceOf(SQLTransientConnectionException.class)
                    .hasMessageContaining("no connection was free within the borrow timeout of PT0.3S");
            assertThat(held.isValid(5)).isTrue();
        }
    }

    @Test
    void aCallerWaitingInARetiredPoolMovesToItsSuccessor() throws Exception {
        PooledDataSourceFactory f = factory(b -> b.maximumPoolSize(1));
        ConnectionSpec v1 = target();
        DataSource old = f.get(v1);
        ExecutorService waiterThread = Executors.newSingleThreadExecutor();
        try (Connection held = old.getConnection()) {
            Future<Integer> waiter = waiterThread.submit(() -> {
                try (Connection c = old.getConnection(); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            Wait.until(WAIT, () -> f.targets().get(0).pool().waiting() == 1,
                    "the caller waits inside the full pool");
            f.get(v1.toBuilder().password("next-password-3").build());
            int waiterSession = waiter.get(30, TimeUnit.SECONDS);
            int heldSession;
            try (Statement s = held.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                heldSession = rs.getInt(1);
            }
            assertThat(waiterSession).as("a session of the new pool").isNotEqualTo(heldSession);
        } finally {
            waiterThread.shutdownNow();
        }
        assertThat(f.targets()).singleElement().satisfies(t -> assertThat(t.spec().password())
                .contains("next-password-3"));
    }

    @Test
    void anInterruptedCallerDoesNotMarkTheTargetFailed() throws Exception {
        PooledDataSourceFactory f = factory(b -> b.maximumConnections(1).maximumPoolSize(1));
        ConnectionSpec other = target();
        try (Connection held = f.get(target()).getConnection()) {
            AtomicInteger failures = new AtomicInteger();
            Thread waiter = new Thread(() -> {
                try (Connection c = f.get(other).getConnection()) {
                    c.isValid(1);
                } catch (SQLException | RuntimeException e) {
                    failures.incrementAndGet();
                }
            });
            waiter.start();
            Wait.until(WAIT, () -> waiter.getState() == Thread.State.TIMED_WAITING,
                    "the caller waits for a connection slot");
            waiter.interrupt();
            waiter.join(30_000);
            assertThat(failures.get()).isEqualTo(1);
            assertThat(held.isValid(5)).isTrue();
        }
        assertThat(f.targets()).filteredOn(t -> t.spec().equals(other))
                .singleElement().satisfies(t -> assertThat(t.state()).isNotEqualTo(TargetStatus.State.FAILED));
        assertThat(events.count(FactoryEvent.Type.FAILED)).isZero();
    }

    @Test
    void connectionsReturnedWhileACallerWaitsForASlotAreFreedForIt() throws Exception {
        PooledDataSourceFactory f = factory(b -> b.maximumConnections(2).maximumPoolSize(2));
        DataSource a = f.get(target());
        ConnectionSpec b = target();
        Connection x = a.getConnection();
        Connection y = a.getConnection();
        ExecutorService waiterThread = Executors.newSingleThreadExecutor();
        try {
            Future<String> waiter = waiterThread.submit(() -> query(f.get(b), "SELECT 1"));
            Wait.until(WAIT, () -> !waiter.isDone() && f.permits().hasQueuedThreads(),
                    "the caller waits for a connection slot");
            x.close();
            y.close();
            assertThat(waiter.get(30, TimeUnit.SECONDS)).isEqualTo("1");
        } finally {
            waiterThread.shutdownNow();
        }
    }

    @Test
    void aConnectionOpenedAsTheFactoryClosesIsClosedAndItsSlotReturned() throws Exception {
        PooledDataSourceFactory f = factory(b -> b.maximumConnections(1).maximumPoolSize(1));
        ConnectionSpec x = target();
        Connection held = f.get(target()).getConnection();
        ExecutorService waiterThread = Executors.newSingleThreadExecutor();
        try {
            Future<String> waiter = waiterThread.submit(() -> query(f.get(x), "SELECT 1"));
            Wait.until(WAIT, () -> f.permits().hasQueuedThreads(),
                    "the first borrower of x waits for a connection slot");
            f.close();   // aborts the held connection, which frees the slot the waiter then takes
            assertThatThrownBy(() -> waiter.get(30, TimeUnit.SECONDS))
                    .cause().isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.getMessage()).contains("the pool of this target has been closed"));
        } finally {
            waiterThread.shutdownNow();
            held.close();
        }
        Wait.until(WAIT, () -> sessions(x) == 0, "no session of x is left open");
        Wait.until(WAIT, () -> f.permits().availablePermits() == 1, "every connection slot is back");
    }

    // ---- listeners, close ----

    @Test
    void aThrowingListenerDoesNotFailTheCaller() throws SQLException {
        PooledDataSourceFactory f = factory(b -> b.listener(e -> {
            throw new IllegalStateException("listener bug");
        }));
        assertThat(query(f.get(target()), "SELECT 1")).isEqualTo("1");
        assertThat(events.count(FactoryEvent.Type.CREATED)).isEqualTo(1);
    }

    @Test
    void theCallersExecutorAndThreadFactoryAreUsedAndNeverShutDown() throws Exception {
        ScheduledThreadPoolExecutor housekeeping = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "mine-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.setRemoveOnCancelPolicy(true);
        List<String> made = new java.util.concurrent.CopyOnWriteArrayList<>();
        ThreadFactory connections = r -> {
            Thread t = new Thread(r, "mine-connections-" + made.size());
            t.setDaemon(true);
            made.add(t.getName());
            return t;
        };
        try {
            PooledDataSourceFactory f = factory(b -> b.executor(housekeeping).threadFactory(connections));
            assertThat(housekeeping.getQueue()).as("the factory's maintenance").hasSize(1);
            ConnectionSpec spec = target();
            assertThat(query(f.get(spec), "SELECT 1")).isEqualTo("1");
            assertThat(housekeeping.getQueue()).as("maintenance, the pool's HikariCP housekeeper and its connection's "
                    + "end of life").hasSizeGreaterThanOrEqualTo(2);
            assertThat(made).as("HikariCP opened the connection on a thread of the caller's factory").isNotEmpty()
                    .allSatisfy(name -> assertThat(name).startsWith("mine-connections-"));

            f.close();

            assertThat(sessions(spec)).isZero();
            assertThat(housekeeping.isShutdown()).as("the caller's executor").isFalse();
            Wait.until(WAIT, () -> housekeeping.getQueue().isEmpty(), "the factory's and the pool's tasks cancelled");
            assertThat(housekeeping.submit(() -> "still usable").get(10, TimeUnit.SECONDS)).isEqualTo("still usable");
        } finally {
            housekeeping.shutdownNow();
        }
    }

    @Test
    void closingTheFactoryClosesEveryPool() throws SQLException {
        PooledDataSourceFactory f = factory();
        ConnectionSpec a = target();
        DataSource ds = f.get(a);
        query(ds, "SELECT 1");
        f.close();
        assertThat(sessions(a)).isZero();
        assertThatThrownBy(ds::getConnection).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(events.count(FactoryEvent.Type.CLOSED)).isEqualTo(1);
    }

    @Test
    void eventsAndTargetsNeverShowThePassword() throws SQLException {
        PooledDataSourceFactory f = factory();
        ConnectionSpec spec = target();
        query(f.get(spec), "SELECT 1");
        String password = spec.password().orElseThrow();
        assertThat(events.events()).allSatisfy(e -> assertThat(e.toString()).doesNotContain(password));
        assertThat(f.targets().toString()).doesNotContain(password);
        assertThat(f.get(spec).toString()).doesNotContain(password);
        assertThat(f.toString()).doesNotContain(password);
    }

    @Test
    void healthCountsTheConnectionsOthersHoldNotItsOwnProbe() throws SQLException {
        PooledDataSourceFactory f = factory();
        ConnectionSpec spec = target();

        Health idle = f.health(spec);
        assertThat(idle.isUp()).as("health %s", idle).isTrue();
        assertThat(idle.pool().active()).as("pool of %s", idle).isZero();
        assertThat(idle.pool().idle()).as("pool of %s", idle).isEqualTo(1);

        try (Connection held = f.get(spec).getConnection()) {
            assertThat(held.isValid(5)).isTrue();
            Health busy = f.health(spec);
            assertThat(busy.pool().active()).as("pool of %s", busy).isEqualTo(1);
        }
    }
}
