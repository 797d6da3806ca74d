package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Migration;
import io.pgdock.core.MigrationSet;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.internal.SqlFailures;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.testing.ThrowawayPostgres;
import io.pgdock.testing.ThrowawayPostgres.Replication;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.JdbiException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Read-only specs and reading from a real streaming standby: {@code readOnly=true} refuses writes in auto-commit too,
 * through every path pgdock hands out; {@code Storage.open} works on a standby and on a read-only spec while nothing
 * needs migrating, and says what to do when something does; a reader storage on {@code targetServerType=preferSecondary}
 * reads what the primary wrote.
 */
@Tag("own-server")
class ReplicaReadTest {
    private static final String SCHEMA = "app";
    private static ThrowawayPostgres primary;
    private static ThrowawayPostgres standby;

    @BeforeAll
    static void servers() throws SQLException {
        primary = ThrowawayPostgres.builder().replication(Replication.ASYNCHRONOUS).start();
        try (Connection c = admin(primary); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + SCHEMA);
            s.execute("CREATE TABLE " + SCHEMA + ".runs (id int PRIMARY KEY, name text)");
            s.execute("INSERT INTO " + SCHEMA + ".runs VALUES (1, 'nightly')");
        }
        // The config store's migrations, applied on the primary, so that the standby has nothing pending.
        try (Storage writer = Storage.open(onPrimary().build())) {
            ConfigStore.postgres(writer).put("feature/flag", Map.of("on", true));
        }
        standby = primary.startStandby();
    }

    @AfterAll
    static void stop() {
        if (standby != null) {
            standby.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    private static <T> T query(Storage storage, String sql, Class<T> type) {
        return storage.jdbi().withHandle(h -> h.createQuery(sql).mapTo(type).one());
    }

    private static Connection admin(ThrowawayPostgres server) throws SQLException {
        return DriverManager.getConnection(server.adminSpec().jdbcUrl(), server.adminSpec().driverProperties());
    }

    private static ConnectionSpec.Builder onPrimary() {
        return primary.adminSpec().toBuilder().schema(SCHEMA);
    }

    private static ConnectionSpec.Builder onStandby() {
        return standby.adminSpec().toBuilder().schema(SCHEMA);
    }

    private static void assertReadOnly(Throwable thrown) {
        SQLException sql = null;
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof SQLException) {
                sql = (SQLException) t;
                break;
            }
        }
        assertThat(sql != null).as("an SQLException in the cause chain of %s", thrown).isTrue();
        assertThat(sql.getSQLState()).isEqualTo("25006");
        assertThat(SqlFailures.classify(sql)).isEqualTo(Reason.READ_ONLY);
    }

    @Test
    void aReadOnlySpecRefusesAutoCommitWritesThroughJdbiDataSourceAndFactory() throws SQLException {
        ConnectionSpec readOnly = onPrimary().readOnly(true).build();
        try (Storage storage = Storage.open(readOnly);
                DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.defaults())) {
            assertThatThrownBy(() -> storage.jdbi().useHandle(h -> h.execute("INSERT INTO runs VALUES (2, 'jdbi')")))
                    .isInstanceOf(JdbiException.class).satisfies(ReplicaReadTest::assertReadOnly);
            try (Connection c = storage.dataSource().getConnection(); Statement s = c.createStatement()) {
                assertThat(c.getAutoCommit()).isTrue();
                assertThatThrownBy(() -> s.execute("INSERT INTO runs VALUES (3, 'datasource')"))
                        .satisfies(ReplicaReadTest::assertReadOnly);
            }
            try (Connection c = storage.dedicatedConnection(); Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.execute("INSERT INTO runs VALUES (4, 'dedicated')"))
                        .satisfies(ReplicaReadTest::assertReadOnly);
            }
            try (Connection c = factory.get(readOnly).getConnection(); Statement s = c.createStatement()) {
                assertThat(c.getAutoCommit()).isTrue();
                assertThatThrownBy(() -> s.execute("INSERT INTO runs VALUES (5, 'factory')"))
                        .satisfies(ReplicaReadTest::assertReadOnly);
                // Reads work.
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM runs WHERE id = 1")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(1);
                }
            }
            assertThat(query(storage, "SELECT name FROM runs WHERE id = 1", String.class)).isEqualTo("nightly");
        }
        // Without readOnly the same INSERT works, so the refusals above come from readOnly.
        try (Storage storage = Storage.open(onPrimary().build())) {
            storage.jdbi().useHandle(h -> h.execute("INSERT INTO runs VALUES (6, 'writable') ON CONFLICT DO NOTHING"));
            storage.jdbi().useHandle(h -> h.execute("DELETE FROM runs WHERE id = 6"));
        }
    }

    @Test
    void aReadOnlySpecLetsTheSessionChooseItsOwnReadOnlyMode() throws SQLException {
        // readOnlyMode set by the spec wins: "transaction" is pgjdbc's default, under which auto-commit writes.
        ConnectionSpec spec = onPrimary().readOnly(true).option("readOnlyMode", "transaction").build();
        assertThat(spec.driverProperties().getProperty("readOnlyMode")).isEqualTo("transaction");
        assertThat(onPrimary().readOnly(true).build().driverProperties().getProperty("readOnlyMode"))
                .isEqualTo("always");
        assertThat(onPrimary().build().driverProperties().getProperty("readOnlyMode")).isNull();
    }

    @Test
    void storageOpensOnAStandbyWhenNothingIsPendingAndReadsWhatThePrimaryWrote() throws SQLException {
        try (Connection c = admin(primary); Statement s = c.createStatement()) {
            s.execute("INSERT INTO " + SCHEMA + ".runs VALUES (10, 'replicated') ON CONFLICT DO NOTHING");
        }
        standby.awaitCaughtUp();
        try (Storage reader = Storage.open(onStandby().build())) {
            assertThat(query(reader, "SELECT name FROM runs WHERE id = 10", String.class)).isEqualTo("replicated");
            assertThat(query(reader, "SELECT pg_is_in_recovery()", Boolean.class)).isTrue();
            assertThatThrownBy(() -> reader.jdbi().useHandle(h -> h.execute("INSERT INTO runs VALUES (11, 'x')")))
                    .satisfies(ReplicaReadTest::assertReadOnly);
            assertThat(reader.migrator().apply(List.of(new io.pgdock.config.ConfigMigrations().migrations())))
                    .isEmpty();

            ConfigStore configs = ConfigStore.postgres(reader);
            assertThat(configs.get("feature/flag")).hasValueSatisfying(v -> assertThat(v.get("on").asBoolean())
                    .isTrue());
            assertThatThrownBy(() -> configs.put("feature/flag", Map.of("on", false)))
                    .isInstanceOfSatisfying(ConnectionFailedException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.READ_ONLY);
                        assertThat(e.sqlState()).isEqualTo("25006");
                    })
                    .hasMessageContaining("feature/flag").hasMessageContaining("read-only")
                    .hasMessageContaining("targetServerType=primary");
        }
    }

    @Test
    void aPendingMigrationOnAStandbyOrAReadOnlySpecFailsNamingItAndTheFix() {
        MigrationSet extra = new MigrationSet("replica-test", List.of(
                new Migration(1, "extra table", "CREATE TABLE extra (id int)")));
        StorageOptions withExtra = StorageOptions.builder().addMigrations(extra).build();
        for (ConnectionSpec spec : List.of(onStandby().build(), onPrimary().readOnly(true).build())) {
            assertThatThrownBy(() -> Storage.open(spec, withExtra).close())
                    .as("open on %s", spec)
                    .isInstanceOfSatisfying(ConnectionFailedException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.READ_ONLY);
                        assertThat(e.sqlState()).isEqualTo("25006");
                    })
                    .hasMessageContaining("replica-test V1")
                    .hasMessageContaining("apply them on the primary");
        }
        // Nothing was written: the primary still has no such history row and no table.
        try (Storage writer = Storage.open(onPrimary().build())) {
            assertThat(query(writer, "SELECT to_regclass('app.extra') IS NULL", Boolean.class)).isTrue();
        }
    }

    @Test
    void aReaderStorageOnPreferSecondaryReadsFromTheStandby() throws SQLException {
        ConnectionSpec reader = ConnectionSpec.parse("postgresql://postgres@localhost:" + primary.port()
                + ",localhost:" + standby.port() + "/postgres?currentSchema=" + SCHEMA
                + "&targetServerType=preferSecondary&readOnly=true");
        ConnectionSpec writer = ConnectionSpec.parse("postgresql://postgres@localhost:" + primary.port()
                + ",localhost:" + standby.port() + "/postgres?currentSchema=" + SCHEMA + "&targetServerType=primary");
        try (Storage reads = Storage.open(reader); Storage writes = Storage.open(writer)) {
            writes.jdbi().useHandle(h -> h.execute("INSERT INTO runs VALUES (20, 'through the writer') "
                    + "ON CONFLICT DO NOTHING"));
            standby.awaitCaughtUp();
            assertThat(query(reads, "SELECT inet_server_port()", Integer.class)).isEqualTo(standby.port());
            assertThat(query(writes, "SELECT inet_server_port()", Integer.class)).isEqualTo(primary.port());
            assertThat(query(reads, "SELECT name FROM runs WHERE id = 20", String.class)).isEqualTo("through the writer");
            assertThatThrownBy(() -> reads.jdbi().useHandle(h -> h.execute("DELETE FROM runs")))
                    .satisfies(ReplicaReadTest::assertReadOnly);
        }
    }
}
