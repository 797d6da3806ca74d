package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.testing.PgdockExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Storage#over}: storage on a HikariCP pool the application owns, as a Spring Boot application has one. The
 * schema check and migrations run through that pool, closing the storage leaves the pool open, and a search_path that
 * does not put the storage schema first is refused with the fix.
 */
class StorageOverDataSourceTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final MigrationSet RUNS = new MigrationSet("runs", List.of(
            new Migration(1, "runs table", "CREATE TABLE runs (id bigint PRIMARY KEY, name text NOT NULL)"),
            new Migration(2, "a run", "INSERT INTO runs VALUES (1, 'first')")));

    private final TestRoles roles = new TestRoles(PG);
    private final List<HikariDataSource> pools = new ArrayList<>();

    @AfterEach
    void closeAll() {
        pools.forEach(HikariDataSource::close);
        roles.dropAll();
    }

    /** A provisioned role owning {@code schema}. */
    private ConnectionSpec provisioned(String schema) {
        ConnectionSpec spec = roles.runtimeSpec(schema);
        Provisioning.forRuntime(spec).apply(PG.adminDataSource());
        return spec;
    }

    /** The application's own pool, as Spring Boot would build it from a JDBC URL; {@code urlTail} is appended. */
    private HikariDataSource applicationPool(ConnectionSpec spec, String urlTail) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(spec.jdbcUrl() + urlTail);
        config.setUsername(spec.user());
        config.setPassword(spec.password().orElse(null));
        config.setMaximumPoolSize(4);
        config.setPoolName("application");
        HikariDataSource pool = new HikariDataSource(config);
        pools.add(pool);
        return pool;
    }

    private static StorageOptions withRuns() {
        return StorageOptions.builder().discoverMigrations(false).addMigrations(RUNS).build();
    }

    @Test
    void migrationsAreAppliedThroughTheApplicationsPoolAndQueriesLandInTheSchema() {
        ConnectionSpec spec = provisioned("app_owned");
        HikariDataSource app = applicationPool(spec, "?currentSchema=app_owned");
        try (Storage storage = Storage.over(app, "app_owned", withRuns())) {
            assertThat(storage.schema()).isEqualTo("app_owned");
            String name = storage.jdbi().withHandle(h -> h.createQuery("SELECT name FROM runs WHERE id = 1")
                    .mapTo(String.class).one());
            assertThat(name).isEqualTo("first");
            int recorded = roles.admin().withHandle(h -> h.createQuery(
                    "SELECT count(*) FROM app_owned." + Migrator.HISTORY_TABLE + " WHERE module = 'runs'")
                    .mapTo(Integer.class).one());
            assertThat(recorded).isEqualTo(2);
            assertThat(storage.migrator().pending(List.of(RUNS))).isEmpty();
            assertThat(storage.migrator().pendingSql(List.of(RUNS))).doesNotContain("CREATE TABLE");
        }
    }

    @Test
    void manyOpensAtOnceApplyEachMigrationOnceUnderTheAdvisoryLock() throws Exception {
        ConnectionSpec spec = provisioned("app_race");
        HikariDataSource app = applicationPool(spec, "?currentSchema=app_race");
        int racers = 4;
        CyclicBarrier start = new CyclicBarrier(racers);
        ExecutorService threads = Executors.newFixedThreadPool(racers);
        try {
            List<Future<Storage>> opened = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                Callable<Storage> open = () -> {
                    start.await(30, TimeUnit.SECONDS);
                    return Storage.over(app, "app_race", withRuns());
                };
                opened.add(threads.submit(open));
            }
            for (Future<Storage> f : opened) {
                f.get(60, TimeUnit.SECONDS).close();
            }
        } finally {
            threads.shutdownNow();
        }
        int runs = roles.admin().withHandle(h -> h.createQuery("SELECT count(*) FROM app_race.runs")
                .mapTo(Integer.class).one());
        assertThat(runs).as("migration 2 inserted its row once").isEqualTo(1);
    }

    @Test
    void closingTheStorageLeavesTheApplicationsPoolOpenAndUsable() throws Exception {
        ConnectionSpec spec = provisioned("app_close");
        HikariDataSource app = applicationPool(spec, "?currentSchema=app_close");
        Storage storage = Storage.over(app, "app_close", withRuns());
        assertThat(storage.health().isUp()).isTrue();
        storage.close();
        storage.close();   // idempotent

        assertThat(storage.isClosed()).isTrue();
        assertThat(app.isClosed()).isFalse();
        try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
            assertThat(s.executeQuery("SELECT count(*) FROM runs").next()).isTrue();
        }
        assertThatThrownBy(() -> storage.dataSource().getConnection().close())
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08003"))
                .hasMessageContaining("is closed");
        assertThat(storage.health().error()).hasValue("storage is closed");
        assertThatThrownBy(storage::dedicatedConnection).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("storage is closed");
    }

    @Test
    void aSearchPathWithoutTheSchemaFirstIsRefusedWithTheFix() {
        ConnectionSpec spec = provisioned("app_path");
        // The provisioned role's own setting would put its schema first; the application's URL says otherwise.
        HikariDataSource app = applicationPool(spec, "?currentSchema=public");
        assertThatThrownBy(() -> Storage.over(app, "app_path", withRuns()))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.SEARCH_PATH))
                .hasMessageContaining("the connections of the application's DataSource (HikariDataSource, schema "
                        + "\"app_path\") have search_path \"public\", so their current schema is \"public\", not the "
                        + "storage schema \"app_path\"")
                .hasMessageContaining("currentSchema=app_path in its JDBC URL")
                .hasMessageContaining("SET search_path TO \"app_path\", pg_catalog (HikariCP connectionInitSql; "
                        + "Spring Boot spring.datasource.hikari.connection-init-sql)")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TestRoles.PASSWORD));
        int tables = roles.admin().withHandle(h -> h.createQuery(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs' AND table_schema = 'public'")
                .mapTo(Integer.class).one());
        assertThat(tables).as("nothing was migrated into the wrong schema").isZero();
        assertThat(app.isClosed()).isFalse();
    }

    @Test
    void healthChecksOnABorrowedConnectionAndNoticesASearchPathThatChangedLater() {
        // Provisioning sets the role's search_path in the database: the fix the message offers for a pool whose URL
        // sets none.
        ConnectionSpec spec = provisioned("app_health");
        HikariDataSource app = applicationPool(spec, "");
        try (Storage storage = Storage.over(app, "app_health", withRuns())) {
            Health up = storage.health();
            assertThat(up.status()).as("%s", up).isEqualTo(Health.Status.UP);
            assertThat(up.serverVersion()).isPresent();
            assertThat(up.pool().maximum()).isEqualTo(4);
            assertThatThrownBy(storage::spec).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("has no ConnectionSpec");
            assertThat(storage.toString()).isEqualTo("Storage[the application's DataSource (HikariDataSource, "
                    + "schema \"app_health\")]");

            roles.admin().useHandle(h -> h.execute("ALTER ROLE " + spec.user() + " IN DATABASE \""
                    + spec.database() + "\" SET search_path = public"));
            app.getHikariPoolMXBean().softEvictConnections();   // the pool's new connections get the new setting
            Health down = storage.health();
            assertThat(down.status()).isEqualTo(Health.Status.DOWN);
            assertThat(down.reason()).hasValue(Reason.SEARCH_PATH);
            assertThat(down.error()).hasValueSatisfying(e -> assertThat(e)
                    .contains("so their current schema is \"public\", not the storage schema \"app_health\""));
        }
    }

    @Test
    void aDedicatedConnectionIsBorrowedFromTheApplicationsPool() throws Exception {
        ConnectionSpec spec = provisioned("app_dedicated");
        HikariDataSource app = applicationPool(spec, "?currentSchema=app_dedicated");
        try (Storage storage = Storage.over(app, "app_dedicated", withRuns())) {
            try (Connection c = storage.dedicatedConnection()) {
                assertThat(c.getAutoCommit()).isTrue();
                assertThat(app.getHikariPoolMXBean().getActiveConnections()).isEqualTo(1);
            }
            assertThat(app.getHikariPoolMXBean().getActiveConnections()).isZero();
        }
    }

    @Test
    void aSchemaThatDoesNotExistIsRefusedOrCreatedAsWithOpen() {
        ConnectionSpec spec = PG.spec();
        HikariDataSource app = applicationPool(spec, "?currentSchema=over_created");
        assertThatThrownBy(() -> Storage.over(app, "over_created"))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.SCHEMA_MISSING))
                .hasMessageContaining("schema \"over_created\" does not exist");
        StorageOptions create = StorageOptions.builder().discoverMigrations(false).createSchema(true).build();
        try (Storage storage = Storage.over(app, "over_created", create)) {
            assertThat(storage.health().isUp()).isTrue();
        }
    }
}
