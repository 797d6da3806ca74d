package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgdock.core.ConnectionSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The per-JVM server and the databases it makes, used without the JUnit extension. */
class TestPostgresTest {

    private final TestPostgres server = TestPostgres.get();

    @Test
    void usesTheServerInPgdockTestUrlOrElseAnEmbeddedOne() {
        String configured = System.getProperty(TestPostgres.URL_VARIABLE);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(TestPostgres.URL_VARIABLE);
        }
        if (configured == null || configured.isBlank()) {
            assertThat(server.embedded()).isTrue();
            assertThat(server.adminSpec().user()).isEqualTo("postgres");
        } else {
            ConnectionSpec expected = ConnectionSpec.parse(configured);
            assertThat(server.embedded()).isFalse();
            assertThat(server.adminSpec().endpoints()).isEqualTo(expected.endpoints());
            assertThat(server.adminSpec().user()).isEqualTo(expected.user());
        }
        assertThat(TestPostgres.get()).isSameAs(server);
    }

    @Test
    void serverAnswersAndEmbeddedOneIsPostgres17() throws SQLException {
        var admin = DataSources.unpooled(server.adminSpec());

        String version = Sql.queryString(admin, "select version()");
        int versionNum = Integer.parseInt(Sql.queryString(admin, "show server_version_num"));

        assertThat(version).startsWith("PostgreSQL ");
        assertThat(versionNum).isGreaterThanOrEqualTo(130000);
        if (server.embedded()) {
            assertThat(version).startsWith("PostgreSQL 17.");
            assertThat(Sql.queryString(admin, "show lc_messages")).isEqualTo("C");
        }
    }

    @Test
    void createdDatabaseIsOwnedByANonSuperuserRoleOfTheSameName() throws SQLException {
        try (TestDatabase db = server.createDatabase()) {
            assertThat(db.name()).matches("pgdock_t_[a-z0-9]{12}");
            assertThat(db.spec().database()).isEqualTo(db.name());
            assertThat(db.spec().user()).isEqualTo(db.name());
            assertThat(db.spec().password()).isPresent();
            assertThat(db.spec().toString()).doesNotContain(db.spec().password().orElseThrow());

            assertThat(Sql.queryString(db.dataSource(), "select current_database() || ' ' || current_user"))
                    .isEqualTo(db.name() + " " + db.name());
            assertThat(Sql.queryString(db.dataSource(), "select rolsuper from pg_roles where rolname = current_user"))
                    .isEqualTo("f");
            assertThat(Sql.queryString(db.dataSource(),
                    "select pg_get_userbyid(datdba) from pg_database where datname = current_database()"))
                    .isEqualTo(db.name());
            // As owner it can build its schema.
            Sql.execute(db.dataSource(), "create schema app; create table app.t (id int); create table public.u (id int)");
            int rows = db.jdbi().withHandle(h -> h.createQuery("select count(*) from app.t").mapTo(Integer.class).one());
            assertThat(rows).isZero();
        }
    }

    @Test
    void adminConnectsToTheSameDatabaseAndCanProvisionRoles() throws SQLException {
        try (TestDatabase db = server.createDatabase()) {
            String role = db.name() + "_reader";
            assertThat(Sql.queryString(db.adminDataSource(), "select current_database() || ' ' || current_user"))
                    .isEqualTo(db.name() + " " + server.adminSpec().user());

            Sql.execute(db.adminDataSource(), "create role " + role + " login; grant connect on database "
                    + db.name() + " to " + role);
            try {
                assertThat(Sql.roleExists(role)).isTrue();
            } finally {
                // Roles are cluster-wide: a test that makes one drops it.
                Sql.execute(db.adminDataSource(), "revoke connect on database " + db.name() + " from " + role
                        + "; drop role " + role);
            }
            assertThat(Sql.roleExists(role)).isFalse();
        }
    }

    @Test
    void closeDropsDatabaseAndRoleEvenWithSessionsStillOpen() throws SQLException {
        TestDatabase db = server.createDatabase();
        Sql.execute(db.dataSource(), "create table left_behind (id int)");
        try (Connection open = db.dataSource().getConnection()) {
            assertThat(Sql.queryString(open, "select count(*) from left_behind")).isEqualTo("0");

            db.close();

            assertThat(Sql.databaseExists(db.name())).isFalse();
            assertThat(Sql.roleExists(db.name())).isFalse();
            assertThatThrownBy(() -> Sql.queryString(open, "select 1"))
                    .isInstanceOfSatisfying(SQLException.class,
                            e -> assertThat(e.getSQLState()).isEqualTo("57P01"));   // admin_shutdown
        }
        db.close(); // idempotent
        assertThatThrownBy(() -> db.dataSource().getConnection())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining(db.name());
    }

    @Test
    void databasesDoNotSeeEachOthersTables() throws SQLException {
        try (TestDatabase first = server.createDatabase(); TestDatabase second = server.createDatabase()) {
            assertThat(first.name()).isNotEqualTo(second.name());
            Sql.execute(first.dataSource(), "create table only_in_first (id int)");

            assertThat(Sql.queryString(first.dataSource(), "select to_regclass('only_in_first')")).isNotNull();
            assertThat(Sql.queryString(second.dataSource(), "select to_regclass('only_in_first')")).isNull();
            assertThat(Sql.queryString(second.adminDataSource(), "select to_regclass('only_in_first')")).isNull();
        }
    }

    @Test
    void databasesCanBeCreatedConcurrently() throws Exception {
        int threads = 4;
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        List<TestDatabase> databases = new ArrayList<>();
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<TestDatabase>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(executor.submit(() -> {
                    start.await();
                    return server.createDatabase();
                }));
            }
            start.countDown();
            for (Future<TestDatabase> f : futures) {
                databases.add(f.get(2, TimeUnit.MINUTES));
            }
            assertThat(databases).extracting(TestDatabase::name).doesNotHaveDuplicates();
            for (TestDatabase db : databases) {
                assertThat(Sql.queryString(db.dataSource(), "select current_database()")).isEqualTo(db.name());
            }
        } finally {
            executor.shutdownNow();
            for (TestDatabase db : databases) {
                db.close();
            }
        }
        for (TestDatabase db : databases) {
            assertThat(Sql.databaseExists(db.name())).isFalse();
        }
    }

    @Test
    void anAdminWithCreatedbAndCreateroleIsEnough() throws SQLException {
        var admin = DataSources.unpooled(server.adminSpec());
        assumeTrue("t".equals(Sql.queryString(admin, "select rolsuper from pg_roles where rolname = current_user")),
                "needs a superuser to create the lesser admin");
        String role = TestPostgres.NAME_PREFIX + "lesser_admin_" + ProcessHandle.current().pid();
        Sql.execute(admin, "create role " + role + " login createdb createrole password 'lesser-pw'");
        try {
            String url = "postgresql://" + role + ":lesser-pw@" + server.adminSpec().endpoints().get(0) + "/"
                    + server.adminSpec().database();
            TestPostgres lesser = TestPostgres.start(name -> null, Map.of(TestPostgres.URL_VARIABLE, url));
            String name;
            try (TestDatabase db = lesser.createDatabase()) {
                name = db.name();
                Sql.execute(db.dataSource(), "create table t (id int)");
                assertThat(Sql.queryString(db.adminDataSource(), "select current_user")).isEqualTo(role);
                // Provisioning as the lesser admin: a role, and a grant on the database.
                Sql.execute(db.adminDataSource(), "create role " + name + "_app; grant connect on database " + name
                        + " to " + name + "_app; revoke connect on database " + name + " from " + name + "_app; drop role "
                        + name + "_app");
            }
            assertThat(Sql.databaseExists(name)).isFalse();
            assertThat(Sql.roleExists(name)).isFalse();
        } finally {
            Sql.execute(admin, "drop role " + role);
        }
    }

    @Test
    void unreachableServerSaysWhatFailedAndWhatToDo() {
        // Port 1 on the loopback interface: nothing listens there, so the connection is refused at once.
        String url = "postgresql://postgres:not-shown@127.0.0.1:1/postgres";

        assertThatThrownBy(() -> TestPostgres.start(name -> null, Map.of(TestPostgres.URL_VARIABLE, url)))
                .isInstanceOf(TestPostgresException.class)
                .hasMessageContaining("Could not connect to the server named by environment variable PGDOCK_TEST_URL")
                .hasMessageContaining("127.0.0.1:1")
                .hasMessageContaining("unset PGDOCK_TEST_URL")
                .hasMessageNotContaining("not-shown");
    }
}
