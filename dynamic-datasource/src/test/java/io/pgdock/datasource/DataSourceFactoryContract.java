package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.Health;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The behaviour every {@link DataSourceFactory} must have, as tests. pgdock runs it against the pooled factory and the
 * fixed fake; run it against your own factory or fake to show that pipeline code tested against one behaves the same on
 * the other.
 *
 * <p>It ships in the {@code tests} classifier of {@code pgdock-dynamic-datasource} (add it with
 * {@code <type>test-jar</type>}, plus pgdock-testing, JUnit Jupiter and AssertJ, in test scope). Extend it and implement
 * {@link #newFactory(Map)}: the contract makes two test databases, {@code alpha} and {@code beta}, and asks for a factory
 * that knows each by that name and by its {@link TestDatabase#spec()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class DataSourceFactoryContract {
    private final Map<String, TestDatabase> targets = new LinkedHashMap<>();
    private DataSourceFactory factory;

    /**
     * Makes the factory under test.
     *
     * @param targets the databases, by the name the factory must know each by; each must also be reachable by its
     *     {@link TestDatabase#spec()}
     * @return a new factory
     */
    protected abstract DataSourceFactory newFactory(Map<String, TestDatabase> targets);

    @BeforeAll
    void createDatabases() {
        targets.put("alpha", TestPostgres.get().createDatabase());
        targets.put("beta", TestPostgres.get().createDatabase());
    }

    @AfterAll
    void dropDatabases() {
        targets.values().forEach(TestDatabase::close);
    }

    @BeforeEach
    void openFactory() {
        factory = newFactory(targets);
    }

    @AfterEach
    void closeFactory() {
        factory.close();
    }

    /** The factory under test of the current test. */
    protected DataSourceFactory factory() {
        return factory;
    }

    /** The test databases, by name. */
    protected Map<String, TestDatabase> targets() {
        return targets;
    }

    private static String query(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aNameReachesItsOwnDatabase() throws SQLException {
        for (Map.Entry<String, TestDatabase> t : targets.entrySet()) {
            assertThat(query(factory.get(t.getKey()), "SELECT current_database()"))
                    .as("database behind %s", t.getKey()).isEqualTo(t.getValue().name());
        }
    }

    @Test
    void aSpecReachesItsOwnDatabase() throws SQLException {
        for (TestDatabase db : targets.values()) {
            assertThat(query(factory.get(db.spec()), "SELECT current_database()")).isEqualTo(db.name());
        }
    }

    @Test
    void anUnknownNameIsAnErrorNeverAFallback() {
        assertThatThrownBy(() -> factory.get("gamma"))
                .isInstanceOf(UnknownTargetException.class)
                .hasMessageContaining("'gamma'")
                .satisfies(e -> assertThat(((UnknownTargetException) e).name()).isEqualTo("gamma"));
        assertThatThrownBy(() -> factory.jdbi("gamma"))
                .isInstanceOfSatisfying(UnknownTargetException.class, e -> assertThat(e.name()).isEqualTo("gamma"))
                .hasMessageContaining("'gamma'");
        assertThatThrownBy(() -> factory.health("gamma"))
                .isInstanceOfSatisfying(UnknownTargetException.class, e -> assertThat(e.name()).isEqualTo("gamma"))
                .hasMessageContaining("'gamma'");
    }

    @Test
    void anInvalidNameIsRefusedWithTheValue() {
        assertThatThrownBy(() -> factory.get("alpha; DROP TABLE x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alpha; DROP TABLE x");
        assertThatThrownBy(() -> factory.get("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("target name \"\" is not valid");
    }

    @Test
    void jdbiReachesTheNamedDatabase() {
        String db = factory.jdbi("beta").withHandle(h -> h.select("SELECT current_database()").mapTo(String.class).one());
        assertThat(db).isEqualTo(targets.get("beta").name());
    }

    @Test
    void writesThroughOneHandleAreReadThroughAnother() throws SQLException {
        try (Connection c = factory.get("alpha").getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS contract_rows (id int PRIMARY KEY)");
            s.execute("INSERT INTO contract_rows VALUES (1) ON CONFLICT DO NOTHING");
        }
        List<Integer> ids = factory.jdbi("alpha").withHandle(h -> h.select("SELECT id FROM contract_rows")
                .mapTo(Integer.class).list());
        assertThat(ids).containsExactly(1);
        assertThat(query(factory.get(targets.get("alpha").spec()), "SELECT count(*) FROM contract_rows"))
                .isEqualTo("1");
    }

    @Test
    void twoConnectionsOfOneHandleAreTwoSessions() throws SQLException {
        DataSource ds = factory.get("alpha");
        // In open transactions: behind a transaction-mode pooler (PgBouncer) a connection holds a server session only
        // while a transaction runs, so two auto-commit statements may well run on one.
        try (Connection a = ds.getConnection(); Connection b = ds.getConnection()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            try (Statement sa = a.createStatement(); Statement sb = b.createStatement();
                    ResultSet ra = sa.executeQuery("SELECT pg_backend_pid()");
                    ResultSet rb = sb.executeQuery("SELECT pg_backend_pid()")) {
                ra.next();
                rb.next();
                assertThat(ra.getInt(1)).isNotEqualTo(rb.getInt(1));
            } finally {
                a.rollback();
                b.rollback();
            }
        }
    }

    @Test
    void handlesWorkAcrossThreadsAndAsynchronousCode() throws Exception {
        DataSource alphaFromThisThread = factory.get("alpha");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<String>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String name = i % 2 == 0 ? "alpha" : "beta";
                boolean shared = i % 4 == 0;
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        DataSource ds = shared ? alphaFromThisThread : factory.get(name);
                        return name + "=" + query(ds, "SELECT current_database()");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }, pool).thenApplyAsync(s -> s, pool));
            }
            for (int i = 0; i < results.size(); i++) {
                String name = i % 2 == 0 ? "alpha" : "beta";
                assertThat(results.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(name + "=" + targets.get(name).name());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void healthOfAReachableTargetIsUp() {
        Health health = factory.health("alpha");
        assertThat(health.isUp()).as("health %s", health).isTrue();
        assertThat(health.serverVersion()).isPresent();
        assertThat(factory.health(targets.get("beta").spec()).isUp()).isTrue();
    }

    @Test
    void warmUpOfAReachableTargetSucceeds() throws SQLException {
        factory.warmUp(targets.get("beta").spec());
        assertThat(query(factory.get("beta"), "SELECT 1")).isEqualTo("1");
    }

    @Test
    void aClosedFactoryRefusesCalls() {
        factory.close();
        assertThatThrownBy(() -> factory.get("alpha")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> factory.get(targets.get("alpha").spec())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        factory.close();
    }
}
