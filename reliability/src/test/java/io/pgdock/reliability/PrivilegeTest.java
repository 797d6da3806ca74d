package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigSecretException;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Provisioning;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Least privilege of the runtime role that {@code Provisioning.forRuntime(spec).apply(admin)} creates: two runtime
 * roles ("app" and "other", each with its own schema) are provisioned in one database, and each check runs as "app" and
 * expects PostgreSQL's privilege error (SQLState 42501) rather than any failure. {@code core-it}'s ProvisioningTest
 * covers the role's attributes, CREATE in public and reading a foreign table; this class adds the other schema's
 * writes, role switching, other sessions and server settings, server files and programs, and the config store's
 * secrets.
 *
 * <p>What PUBLIC keeps by PostgreSQL's defaults, checked here so a change is noticed: CONNECT and TEMP on the database
 * (temporary tables are private to their session), USAGE on schema {@code public} (names only: tables there are not
 * readable without a grant), EXECUTE on functions, and read access to the system catalogues (which list other schemas'
 * names). Provisioning leaves these as they are; RELIABILITY.md says why.
 */
class PrivilegeTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final String PASSWORD = "privilege-test-pw-4Kd";
    private static final String SECRET = "privilege-secret-9Xa";
    private static final String DENIED = "42501";

    private static final List<String> roles = new ArrayList<>();
    private static ConnectionSpec app;
    private static ConnectionSpec other;

    @BeforeAll
    static void provisionTwoRuntimeRoles() throws SQLException {
        String suffix = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        app = PG.spec().toBuilder().user(track("pgdock_pa_" + suffix)).password(PASSWORD).schema("app_s").build();
        other = PG.spec().toBuilder().user(track("pgdock_pb_" + suffix)).password(PASSWORD).schema("other_s").build();
        Provisioning.forRuntime(app).apply(PG.adminDataSource());
        Provisioning.forRuntime(other).apply(PG.adminDataSource());
        try (Connection c = connect(other); Statement s = c.createStatement()) {
            s.execute("create table other_s.private_rows (v text)");
            s.execute("insert into other_s.private_rows values ('theirs')");
        }
        try (Connection c = PG.adminDataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("create table public.admin_rows (v text)");
            s.execute("insert into public.admin_rows values ('admin')");
        }
    }

    @AfterAll
    static void dropRoles() throws SQLException {
        try (Connection c = PG.adminDataSource().getConnection(); Statement s = c.createStatement()) {
            for (String role : roles) {
                s.execute("drop owned by \"" + role + "\" cascade");
                s.execute("drop role \"" + role + "\"");
            }
        }
    }

    private static String track(String role) {
        roles.add(role);
        return role;
    }

    private static Connection connect(ConnectionSpec spec) throws SQLException {
        return new org.postgresql.Driver().connect(spec.jdbcUrl(), spec.driverProperties());
    }

    private static void assertDenied(Connection c, String sql) {
        Throwable denied = catchThrowable(() -> {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            }
        });
        assertThat(denied).as(sql).isInstanceOf(SQLException.class);
        assertThat(((SQLException) denied).getSQLState()).as("SQLState of %s: %s", sql, denied.getMessage())
                .isEqualTo(DENIED);
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void cannotCreateOutsideItsSchema() throws SQLException {
        try (Connection c = connect(app)) {
            assertDenied(c, "create table public.planted (id int)");
            assertDenied(c, "create view public.planted_view as select 1");
            assertDenied(c, "create function public.lower(text) returns text language sql as 'select $1'");
            assertDenied(c, "create schema planted");
            assertDenied(c, "create table other_s.planted (id int)");
            assertDenied(c, "create database planted_db");
            assertDenied(c, "create role planted_role");
            // Its own schema works, so the refusals above are about privileges, not a broken session.
            try (Statement s = c.createStatement()) {
                s.execute("create table mine (id int)");
                s.execute("drop table mine");
            }
            assertThat(query(c, "select current_schema()")).isEqualTo("app_s");
        }
    }

    @Test
    void cannotReadOrWriteAnotherSchemaOrTheAdminsTables() throws SQLException {
        try (Connection c = connect(app)) {
            assertDenied(c, "select * from other_s.private_rows");
            assertDenied(c, "insert into other_s.private_rows values ('mine')");
            assertDenied(c, "update other_s.private_rows set v = 'x'");
            assertDenied(c, "delete from other_s.private_rows");
            assertDenied(c, "truncate other_s.private_rows");
            assertDenied(c, "drop table other_s.private_rows");
            assertDenied(c, "alter table other_s.private_rows add column x int");
            assertDenied(c, "select * from public.admin_rows");
            assertDenied(c, "insert into public.admin_rows values ('x')");
            assertDenied(c, "select * from public.admin_rows for update");
        }
        try (Connection c = connect(other)) {
            assertThat(query(c, "select v from other_s.private_rows")).isEqualTo("theirs");
        }
    }

    @Test
    void cannotSwitchRoles() throws SQLException {
        String admin = PG.adminSpec().user();
        String owner = PG.database().name();
        try (Connection c = connect(app)) {
            for (String target : List.of(admin, owner, other.user(), "pg_read_all_data", "pg_write_all_data",
                    "pg_read_server_files", "pg_execute_server_program", "pg_signal_backend", "pg_monitor")) {
                assertDenied(c, "set role \"" + target + "\"");
                assertDenied(c, "set session authorization \"" + target + "\"");
                assertDenied(c, "grant \"" + target + "\" to \"" + app.user() + "\"");
            }
            assertDenied(c, "alter role \"" + app.user() + "\" superuser");
            assertDenied(c, "alter role \"" + app.user() + "\" createrole");
            assertDenied(c, "alter role \"" + app.user() + "\" bypassrls");
            assertThat(query(c, "select current_user")).isEqualTo(app.user());
        }
    }

    @Test
    void cannotChangeOtherSessionsOrServerSettings() throws SQLException {
        try (Connection theirs = connect(other); Connection c = connect(app)) {
            String theirPid = query(theirs, "select pg_backend_pid()::text");
            String theirWorkMem = query(theirs, "show work_mem");
            assertDenied(c, "alter role \"" + other.user() + "\" set work_mem = '1MB'");
            assertDenied(c, "alter role \"" + other.user() + "\" password 'taken'");
            assertDenied(c, "alter database \"" + PG.databaseName() + "\" set work_mem = '1MB'");
            assertDenied(c, "alter role all set work_mem = '1MB'");
            assertDenied(c, "alter system set work_mem = '1MB'");
            assertDenied(c, "select pg_reload_conf()");
            assertDenied(c, "select pg_terminate_backend(" + theirPid + ")");
            assertDenied(c, "select pg_cancel_backend(" + theirPid + ")");
            // set_config is session-local: it changes nothing for the other session.
            assertThat(query(c, "select set_config('work_mem', '1234kB', false)")).isEqualTo("1234kB");
            assertThat(query(theirs, "show work_mem")).isEqualTo(theirWorkMem);
            assertThat(query(theirs, "select 'alive'")).isEqualTo("alive");
        }
    }

    @Test
    void cannotReachServerFilesOrPrograms() throws SQLException {
        try (Connection c = connect(app)) {
            assertDenied(c, "select pg_read_file('postgresql.conf')");
            assertDenied(c, "select pg_ls_dir('.')");
            assertDenied(c, "copy (select 1) to program 'true'");
            assertDenied(c, "copy (select 1) to '/tmp/pgdock-privilege-test'");
            assertDenied(c, "select lo_import('/etc/hostname')");
        }
    }

    @Test
    void publicKeepsPostgresDefaultsOnly() throws SQLException {
        try (Connection c = connect(app)) {
            assertThat(query(c, "select has_schema_privilege('public', 'CREATE')::text")).isEqualTo("false");
            assertThat(query(c, "select has_schema_privilege('public', 'USAGE')::text")).isEqualTo("true");
            assertThat(query(c, "select has_schema_privilege('other_s', 'USAGE')::text")).isEqualTo("false");
            assertThat(query(c, "select has_database_privilege(current_database(), 'CREATE')::text")).isEqualTo("false");
            assertThat(query(c, "select has_database_privilege(current_database(), 'TEMP')::text")).isEqualTo("true");
            assertThat(query(c, "select rolsuper or rolcreaterole or rolcreatedb or rolreplication or rolbypassrls "
                    + "from pg_roles where rolname = current_user")).isEqualTo("f");
            assertThat(query(c, "select count(*)::text from pg_auth_members where member = "
                    + "(select oid from pg_roles where rolname = current_user)")).isEqualTo("0");
        }
    }

    @Test
    void cannotReadTheConfigStoresSecretsWithoutTheMasterKey() throws Exception {
        KeyProvider keys = KeyProvider.of("k1", Map.of("k1",
                new SecretKeySpec("privilege-test-master-key-32byte".getBytes(StandardCharsets.US_ASCII), "AES")));
        StorageOptions options = StorageOptions.builder().maximumPoolSize(2).minimumIdle(0).build();
        try (Storage storage = Storage.open(app, options)) {
            ConfigStore withKeys = ConfigStore.postgres(storage, ConfigOptions.builder().keys(keys).build());
            withKeys.putSecret("api.token", SECRET);
            assertThat(withKeys.get("api.token", String.class)).contains(SECRET);

            String raw = storage.jdbi().withHandle(h -> h.createQuery("select value::text from config_entry "
                    + "where key = 'api.token'").mapTo(String.class).one());
            assertThat(raw).contains("$pgdock_secret").doesNotContain(SECRET);
            String history = storage.jdbi().withHandle(h -> h.createQuery("select string_agg(coalesce(new_value::text, ''), "
                    + "',') from config_history where key = 'api.token'").mapTo(String.class).one());
            assertThat(history).contains("$pgdock_secret").doesNotContain(SECRET);

            Throwable noKeys = catchThrowable(() -> ConfigStore.postgres(storage).get("api.token"));
            assertThat(noKeys).isInstanceOf(ConfigSecretException.class).hasMessageContaining("\"api.token\"");
            assertThat(((ConfigSecretException) noKeys).problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER);
            assertThat(noKeys.getMessage()).doesNotContain(SECRET);
        }
        try (Connection c = connect(other)) {
            assertDenied(c, "select value from app_s.config_entry");
            assertDenied(c, "select new_value from app_s.config_history");
            assertDenied(c, "select app_s.pgdock_config_merge_patch('{}', '{}')");
        }
        try (Connection c = PG.adminDataSource().getConnection()) {
            assertThat(query(c, "select string_agg(value::text, ',') from app_s.config_entry")).doesNotContain(SECRET);
        }
    }
}
