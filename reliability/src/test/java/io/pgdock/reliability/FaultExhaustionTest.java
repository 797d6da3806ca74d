package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetStatus;
import io.pgdock.testing.Wait;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jdbi.v3.core.ConnectionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Connections run out: a pool at its limit, the factory at its limit across targets, the server at
 * {@code max_connections}. The caller waits for the configured borrow timeout, then gets a clear, typed error; once
 * connections are given back everything works again; and no connection is left behind (each test ends with no session
 * of the library on the server). One server with {@code max_connections = 20} for the class
 * ({@link io.pgdock.testing.ThrowawayPostgres#start(Map)}); the tests connect as the superuser, who may use all 20.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class FaultExhaustionTest {
    private static final int MAX_CONNECTIONS = 20;
    /** Longer than any wait the library is configured for here (1 to 2 s); only bounds a hang. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    private FaultServer pg;

    @BeforeAll
    void start() {
        pg = FaultServer.start(Map.of("max_connections", Integer.toString(MAX_CONNECTIONS)));
        pg.execute("create schema " + FaultServer.SCHEMA);
        pg.execute("create table " + FaultServer.SCHEMA + ".t (id int)");
    }

    @AfterAll
    void stop() {
        pg.close();
    }

    @AfterEach
    void nothingLeftBehind() {
        Wait.until(WAIT, () -> pg.sessions(FaultServer.STORAGE_APP) + pg.sessions(FaultServer.FACTORY_APP) == 0,
                () -> "no library session left on the server:" + pg.describeSessions("pgdock-rel-"));
    }

    @Test
    void aStoragePoolAtItsLimitMakesCallersWaitThenFailsClearly() throws SQLException {
        try (Storage storage = Storage.open(pg.storageSpec(), StorageOptions.builder().maximumPoolSize(2)
                .connectionTimeout(Duration.ofSeconds(1)).build())) {
            ConfigStore configs = ConfigStore.postgres(storage);
            List<Connection> held = borrow(storage.dataSource(), 2);

            assertThatThrownBy(() -> storage.bulk().copyIn(TableName.of(FaultServer.SCHEMA, "t"), List.of("id"),
                    List.of(List.of(1))))
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS))
                    .hasMessageContaining("no pooled connection for the data source for COPY into \"rel\".\"t\" came"
                            + " free within the pool's connection timeout")
                    .hasMessageContaining("total=2, active=2");
            assertThatThrownBy(() -> configs.put("limit/key", 1))
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS))
                    .hasMessageContaining("no pooled connection for postgresql://postgres@localhost:" + pg.server().port()
                            + "/postgres?currentSchema=rel");
            // Jdbi's own exception type, as for any Jdbi call, with HikariCP's timeout as the cause.
            assertThatThrownBy(() -> storage.jdbi().useHandle(h -> h.execute("select 1")))
                    .isInstanceOf(ConnectionException.class)
                    .hasCauseInstanceOf(SQLTransientConnectionException.class)
                    // HikariCP's own text, naming the storage pool; pgdock does not rewrap Jdbi's exception.
                    .hasMessageContaining("pgdock-storage - Connection is not available");
            assertThat(pg.sessions(FaultServer.STORAGE_APP)).isLessThanOrEqualTo(2);
            assertThat(storage.health().pool().waiting()).isZero();

            release(held);
            storage.bulk().copyIn(TableName.of(FaultServer.SCHEMA, "t"), List.of("id"), List.of(List.of(1)));
            assertThat(configs.put("limit/key", 1).version()).isEqualTo(1);
            assertThat(storage.health().pool().active()).as("connections lent after the calls").isZero();
            // health() checks on a connection of its own; its server process may outlive the close for a moment.
            Wait.until(WAIT, () -> pg.sessions(FaultServer.STORAGE_APP) <= 2,
                    () -> "at most the pool's 2 sessions:" + pg.describeSessions(FaultServer.STORAGE_APP));
        }
    }

    @Test
    void aFactoryTargetAtItsPoolLimitMakesCallersWaitThenFails() throws SQLException {
        try (DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder().maximumPoolSize(2)
                .borrowTimeout(Duration.ofSeconds(1)).build())) {
            DataSource target = factory.get(pg.targetSpec(1));
            List<Connection> held = borrow(target, 2);

            // Documented: a busy pool throws HikariCP's SQLTransientConnectionException after the borrow timeout.
            assertThatThrownBy(target::getConnection).isInstanceOf(SQLTransientConnectionException.class)
                    .hasMessageContaining("no connection was free within the borrow timeout of PT1S (active 2, idle 0");
            assertThat(pg.sessions(FaultServer.FACTORY_APP)).isEqualTo(2);

            release(held);
            borrow(target, 1).forEach(FaultExhaustionTest::close);
            assertThat(factory.targets()).singleElement()
                    .satisfies(t -> assertThat(t.pool().active()).as("lent").isZero());
        }
    }

    @Test
    void theFactoryAtItsConnectionLimitMakesOtherTargetsWaitThenFailsThenTakesIdleConnections()
            throws SQLException {
        try (DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder().maximumPoolSize(3)
                .maximumConnections(3).borrowTimeout(Duration.ofSeconds(1)).build())) {
            DataSource first = factory.get(pg.targetSpec(1));
            DataSource second = factory.get(pg.targetSpec(2));
            List<Connection> held = borrow(first, 3);

            assertThatThrownBy(second::getConnection)
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS))
                    .hasMessageContaining("all 3 connections this factory may open (FactoryOptions.maximumConnections)"
                            + " are in use, and none was freed within the borrow timeout");
            assertThat(pg.sessions(FaultServer.FACTORY_APP)).isEqualTo(3);

            release(held);
            borrow(second, 1).forEach(FaultExhaustionTest::close);
            assertThat(pg.sessions(FaultServer.FACTORY_APP)).as("sessions across targets").isLessThanOrEqualTo(3);
            assertThat(factory.targets()).extracting(TargetStatus::pool).allSatisfy(p -> assertThat(p.active()).isZero());
        }
    }

    @Test
    void theServerAtMaxConnectionsIsReportedAsTooManyConnections() throws SQLException {
        try (Storage storage = Storage.open(pg.storageSpec(), StorageOptions.builder().maximumPoolSize(2)
                .minimumIdle(0).connectionTimeout(Duration.ofSeconds(2)).build());
                DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder()
                        .borrowTimeout(Duration.ofSeconds(2)).build())) {
            ConfigStore configs = ConfigStore.postgres(storage);
            List<Connection> held = borrow(storage.dataSource(), 1); // the pool must open a new one for the next call
            assertThat(storage.dataSource().unwrap(HikariDataSource.class).getHikariPoolMXBean().getTotalConnections())
                    .as("connections the storage pool has open").isEqualTo(1);
            // Only the held connection and the counting one: no closed session still holding a slot it would free
            // while the server is meant to be full.
            Wait.until(WAIT, () -> pg.queryLong("postgres", "select count(*) from pg_stat_activity"
                            + " where backend_type = 'client backend'") == 2,
                    () -> "no client session but the held one:" + pg.describeSessions(""));
            List<Connection> filler = fillServer();
            try {
                assertThatThrownBy(() -> Storage.open(pg.storageSpec()))
                        .isInstanceOfSatisfying(ConnectionFailedException.class,
                                e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS))
                        .hasMessageContaining("max_connections");
                assertThatThrownBy(() -> configs.put("full/key", 1))
                        .isInstanceOfSatisfying(ConnectionFailedException.class,
                                e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS));
                assertThatThrownBy(() -> factory.get(pg.targetSpec(1)).getConnection())
                        .isInstanceOfSatisfying(ConnectionFailedException.class,
                                e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS));
            } finally {
                release(filler);
            }
            release(held);
            assertThat(configs.put("full/key", 1).version()).isEqualTo(1);
            Wait.until(WAIT, () -> {
                try (Connection c = factory.get(pg.targetSpec(1)).getConnection()) {
                    return c.isValid(1);
                } catch (SQLException | ConnectionFailedException e) {
                    return false;
                }
            }, "the factory's target works again after its failure back-off");
            Storage.open(pg.storageSpec()).close();
        }
    }

    /** Opens superuser connections until the server refuses one with 53300; returns them (at most 25). */
    private List<Connection> fillServer() throws SQLException {
        List<Connection> opened = new ArrayList<>();
        try {
            for (int i = 0; i <= MAX_CONNECTIONS + 5; i++) {
                opened.add(pg.admin("postgres"));
            }
        } catch (SQLException e) {
            if ("53300".equals(e.getSQLState())) {
                return opened;
            }
            release(opened);
            throw e;
        }
        release(opened);
        throw new AssertionError("the server accepted more than max_connections = " + MAX_CONNECTIONS);
    }

    private static List<Connection> borrow(DataSource ds, int n) throws SQLException {
        List<Connection> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            held.add(ds.getConnection());
        }
        return held;
    }

    private static void release(List<Connection> connections) {
        connections.forEach(FaultExhaustionTest::close);
    }

    private static void close(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
