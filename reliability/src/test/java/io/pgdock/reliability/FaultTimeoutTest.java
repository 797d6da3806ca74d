package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.DataAccessException;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jdbi.v3.core.JdbiException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The spec's statement timeout and lock timeout are hit through each resource: the caller gets a clear error carrying
 * the server's SQLSTATE ({@code 57014} query canceled, {@code 55P03} lock not available), and the pooled connection,
 * the only one in its pool, goes back clean: not in a transaction, in auto-commit, with nothing of the failed
 * transaction kept, ready for a new transaction.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class FaultTimeoutTest {
    private FaultServer pg;
    private Storage storage;
    private ConfigStore configs;
    private DataSourceFactory factory;
    private DataSource target;

    @BeforeAll
    void start() {
        pg = FaultServer.start(Map.of());
        ConnectionSpec spec = pg.storageSpec().toBuilder().statementTimeout(Duration.ofMillis(500))
                .lockTimeout(Duration.ofMillis(300)).build();
        storage = Storage.open(spec, StorageOptions.builder().createSchema(true).maximumPoolSize(1).minimumIdle(1)
                .connectionTimeout(Duration.ofSeconds(5)).build());
        storage.jdbi().useHandle(h -> h.execute("create table t (id int primary key)"));
        configs = ConfigStore.postgres(storage);
        pg.execute(FaultServer.TARGET_DATABASE, "create table t (id int primary key)");
        factory = DataSourceFactory.pooled(FactoryOptions.builder().maximumPoolSize(1).build());
        target = factory.get(pg.targetSpec(1).toBuilder().statementTimeout(Duration.ofMillis(500))
                .lockTimeout(Duration.ofMillis(300)).build());
    }

    @AfterAll
    void stop() {
        factory.close();
        storage.close();
        pg.close();
    }

    @BeforeEach
    void empty() {
        pg.execute("delete from " + FaultServer.SCHEMA + ".t");
        pg.execute(FaultServer.TARGET_DATABASE, "delete from t");
    }

    @Test
    void statementTimeoutThroughStorageJdbiRollsBackAndLeavesTheConnectionClean() throws SQLException {
        assertThatThrownBy(() -> storage.jdbi().useTransaction(h -> {
            h.execute("insert into t values (1)");
            h.execute("select pg_sleep(30)");
        })).isInstanceOf(JdbiException.class).satisfies(e -> assertThat(sqlState(e)).isEqualTo("57014"))
                .hasMessageContaining("canceling statement due to statement timeout");

        assertClean(storage.dataSource(), FaultServer.STORAGE_APP, "t");
    }

    @Test
    void lockTimeoutThroughStorageJdbiLeavesTheConnectionClean() throws SQLException {
        storage.jdbi().useHandle(h -> h.execute("insert into t values (7)"));
        try (Connection holder = pg.admin("postgres")) {
            lockRow(holder, FaultServer.SCHEMA + ".t", 7);
            assertThatThrownBy(() -> storage.jdbi().useTransaction(h -> {
                h.execute("insert into t values (1)");
                h.execute("update t set id = 8 where id = 7");
            })).isInstanceOf(JdbiException.class).satisfies(e -> assertThat(sqlState(e)).isEqualTo("55P03"))
                    .hasMessageContaining("canceling statement due to lock timeout");
            holder.rollback();
        }
        assertClean(storage.dataSource(), FaultServer.STORAGE_APP, "t", 7);
    }

    @Test
    void lockTimeoutThroughCopyIsADataAccessExceptionAndStoresNothing() throws SQLException {
        try (Connection holder = pg.admin("postgres"); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("lock table " + FaultServer.SCHEMA + ".t in access exclusive mode");
            assertThatThrownBy(() -> storage.bulk().copyIn(TableName.of(FaultServer.SCHEMA, "t"), List.of("id"),
                    List.of(List.of(1), List.of(2))))
                    .isInstanceOfSatisfying(DataAccessException.class,
                            e -> assertThat(e.sqlState()).isEqualTo("55P03"))
                    .hasMessageContaining("COPY into \"rel\".\"t\"")
                    .hasMessageContaining("lock timeout");
            holder.rollback();
        }
        assertClean(storage.dataSource(), FaultServer.STORAGE_APP, "t");
    }

    @Test
    void lockTimeoutThroughTheConfigStoreWritesNothingAndLeavesTheConnectionClean() throws SQLException {
        configs.put("timeout/key", "first");
        try (Connection holder = pg.admin("postgres")) {
            lockRow(holder, FaultServer.SCHEMA + ".config_entry", "timeout/key");
            assertThatThrownBy(() -> configs.put("timeout/key", "second"))
                    .isInstanceOfSatisfying(DataAccessException.class,
                            e -> assertThat(e.sqlState()).isEqualTo("55P03"))
                    .hasMessageContaining("timeout/key")
                    .hasMessageContaining("lock timeout")
                    .hasMessageNotContaining("second");
            holder.rollback();
        }
        assertThat(configs.entry("timeout/key")).hasValueSatisfying(e -> {
            assertThat(e.version()).isEqualTo(1);
            assertThat(e.value().asText()).isEqualTo("first");
        });
        assertClean(storage.dataSource(), FaultServer.STORAGE_APP, "t");
        assertThat(configs.put("timeout/key", "third").version()).isEqualTo(2);
    }

    @Test
    void statementTimeoutThroughAFactoryDataSourceRollsBackWhatTheCallerLeftOpen() throws SQLException {
        try (Connection c = target.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("insert into t values (1)");
            assertThatThrownBy(() -> s.execute("select pg_sleep(30)"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("57014"));
            // The caller closes without rolling back: the pool must not lend the failed transaction on.
        }
        assertClean(target, FaultServer.FACTORY_APP, "t");
    }

    @Test
    void lockTimeoutThroughAFactoryDataSourceLeavesTheConnectionClean() throws SQLException {
        pg.execute(FaultServer.TARGET_DATABASE, "insert into t values (7)");
        try (Connection holder = pg.admin(FaultServer.TARGET_DATABASE)) {
            lockRow(holder, "t", 7);
            try (Connection c = target.getConnection(); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                s.execute("insert into t values (1)");
                assertThatThrownBy(() -> s.execute("update t set id = 8 where id = 7"))
                        .isInstanceOfSatisfying(SQLException.class,
                                e -> assertThat(e.getSQLState()).isEqualTo("55P03"));
            }
            holder.rollback();
        }
        assertClean(target, FaultServer.FACTORY_APP, "t", 7);
    }

    /** Opens a transaction on {@code holder} that holds a row lock on {@code table}'s row {@code key}. */
    private static void lockRow(Connection holder, String table, Object key) throws SQLException {
        holder.setAutoCommit(false);
        String column = table.endsWith("config_entry") ? "key" : "id";
        try (var s = holder.prepareStatement("select 1 from " + table + " where " + column + " = ? for update")) {
            s.setObject(1, key);
            try (ResultSet rs = s.executeQuery()) {
                assertThat(rs.next()).as("the row to lock exists").isTrue();
            }
        }
    }

    /**
     * The pool's sessions are idle (not idle in a transaction); the next connection it lends is in auto-commit, in no
     * transaction, and sees only {@code expectedIds} in {@code table}; and a new transaction on it commits.
     */
    private void assertClean(DataSource pool, String app, String table, Integer... expectedIds) throws SQLException {
        assertThat(pg.queryLong("postgres", "select count(*) from pg_stat_activity where application_name like '" + app
                + "%' and state <> 'idle'")).as("%s sessions not idle", app).isZero();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            assertThat(c.getAutoCommit()).as("auto-commit of the next connection").isTrue();
            try (ResultSet rs = s.executeQuery("select txid_current_if_assigned()")) {
                rs.next();
                rs.getLong(1);
                assertThat(rs.wasNull()).as("the next connection is in no transaction").isTrue();
            }
            try (ResultSet rs = s.executeQuery("select coalesce(array_agg(id order by id), '{}') from " + table)) {
                rs.next();
                assertThat((Integer[]) rs.getArray(1).getArray()).as("rows of %s", table).containsExactly(expectedIds);
            }
            c.setAutoCommit(false);
            s.execute("insert into " + table + " values (100)");
            c.commit();
            c.setAutoCommit(true);
            s.execute("delete from " + table + " where id = 100");
        }
    }

    private static String sqlState(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException e) {
                return e.getSQLState();
            }
        }
        return null;
    }
}
