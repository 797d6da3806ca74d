package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.testing.PgdockExtension;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The two-role set-up of {@link Provisioning#withOwner(ConnectionSpec)}: an owner that owns the schema and runs the
 * migrations, a runtime role with DML only; and the upgrade of a single-role deployment by provisioning again.
 */
class TwoRoleProvisioningTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final String SCHEMA = "two_roles";

    private final TestRoles roles = new TestRoles(PG);
    private ConnectionSpec runtime;
    private ConnectionSpec owner;
    private Provisioning plan;

    @BeforeEach
    void plan() {
        runtime = roles.runtimeSpec(SCHEMA);
        owner = roles.runtimeSpec(SCHEMA);
        plan = Provisioning.forRuntime(runtime).withOwner(owner);
    }

    @AfterEach
    void dropRoles() {
        roles.dropAll();
    }

    @Test
    void theOwnerOwnsTheSchemaAndTheRuntimeRoleHasUsageOnly() {
        plan.apply(PG.adminDataSource());
        Map<String, Object> schema = PG.jdbi().withHandle(h -> h.createQuery("select pg_get_userbyid(nspowner) as owner, "
                + "has_schema_privilege(:r, oid, 'USAGE') as usage, has_schema_privilege(:r, oid, 'CREATE') as create "
                + "from pg_namespace where nspname = :s").bind("r", runtime.user()).bind("s", SCHEMA).mapToMap().one());
        assertThat(schema).containsEntry("owner", owner.user()).containsEntry("usage", true)
                .containsEntry("create", false);
        Map<String, Object> ownerRole = PG.jdbi().withHandle(h -> h.createQuery(
                "select rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
                        + "from pg_roles where rolname = :r").bind("r", owner.user()).mapToMap().one());
        assertThat(ownerRole).containsEntry("rolcanlogin", true).containsEntry("rolsuper", false)
                .containsEntry("rolcreatedb", false).containsEntry("rolcreaterole", false)
                .containsEntry("rolreplication", false).containsEntry("rolbypassrls", false);
        assertThat(plan.owner()).isEqualTo(owner.user());
        assertThat(plan.script()).contains("ALTER DEFAULT PRIVILEGES FOR ROLE \"" + owner.user() + "\"")
                .contains("\\password \"" + owner.user() + "\"").doesNotContain(TestRoles.PASSWORD);
    }

    @Test
    void theRuntimeRoleHasDmlOnTheOwnersTablesAndNoDdl() {
        plan.apply(PG.adminDataSource());
        as(owner).useHandle(h -> {
            h.execute("create table runs (id bigserial primary key, name text)");
            h.execute("create function runs_touch() returns trigger language plpgsql as "
                    + "$$ begin new.name := new.name || '!'; return new; end $$");
            h.execute("create trigger runs_touch before insert on runs for each row execute function runs_touch()");
        });
        as(runtime).useHandle(h -> {
            h.execute("insert into runs (name) values ('a')");
            h.execute("update runs set name = 'b!' where name = 'a!'");
            assertThat(h.createQuery("select name from runs").mapTo(String.class).one()).isEqualTo("b!");
            h.execute("delete from runs");
            assertDenied(h, "create table planted (id int)");
            assertDenied(h, "alter table runs add column extra int");
            assertDenied(h, "alter table runs disable trigger runs_touch");
            assertDenied(h, "truncate runs");
            assertDenied(h, "drop table runs");
            assertDenied(h, "create function planted() returns int language sql as 'select 1'");
        });
    }

    @Test
    void applyingTwiceChangesNothing() {
        plan.apply(PG.adminDataSource());
        as(owner).useHandle(h -> h.execute("create table t (id int)"));
        Map<String, Object> before = snapshot();
        plan.apply(PG.adminDataSource());
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void provisioningASingleRoleDeploymentAgainMovesOwnershipToTheOwner() {
        Provisioning.forRuntime(runtime).apply(PG.adminDataSource());
        as(runtime).useHandle(h -> {
            h.execute("create table jobs (id bigserial primary key, name text)");
            h.execute("create sequence free_counter");
            h.execute("create view job_names as select name from jobs");
            h.execute("create function job_count() returns bigint language sql as 'select count(*) from jobs'");
            h.execute("insert into jobs (name) values ('before')");
            h.execute("create table pgdock_schema_history (module text, version integer)");
        });

        plan.apply(PG.adminDataSource());

        List<String> ownedByRuntime = PG.jdbi().withHandle(h -> h.createQuery("select c.relname from pg_class c "
                + "join pg_namespace n on n.oid = c.relnamespace where n.nspname = :s and c.relowner = :r::regrole "
                + "union all select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                + "where n.nspname = :s and p.proowner = :r::regrole")
                .bind("s", SCHEMA).bind("r", runtime.user()).mapTo(String.class).list());
        assertThat(ownedByRuntime).isEmpty();
        List<String> ownedByOwner = PG.jdbi().withHandle(h -> h.createQuery("select c.relname from pg_class c "
                + "join pg_namespace n on n.oid = c.relnamespace where n.nspname = :s and c.relowner = :o::regrole "
                + "and c.relkind in ('r', 'S', 'v') order by 1")
                .bind("s", SCHEMA).bind("o", owner.user()).mapTo(String.class).list());
        assertThat(ownedByOwner).containsExactly("free_counter", "job_names", "jobs", "jobs_id_seq",
                "pgdock_schema_history");

        as(runtime).useHandle(h -> {
            h.execute("insert into jobs (name) values ('after')");
            assertThat(h.createQuery("select nextval('free_counter')").mapTo(Long.class).one()).isEqualTo(1L);
            assertThat(h.createQuery("select job_count()").mapTo(Long.class).one()).isEqualTo(2L);
            assertDenied(h, "drop table jobs");
            assertDenied(h, "truncate jobs");
            assertDenied(h, "create table planted (id int)");
            h.createQuery("select count(*) from pgdock_schema_history").mapTo(Integer.class).one();
            assertDenied(h, "insert into pgdock_schema_history values ('forged', 1)");
        });
        Map<String, Object> before = snapshot();
        plan.apply(PG.adminDataSource());
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void storageOpensAsTheRuntimeRoleAndMigratesAsTheOwner() {
        plan.apply(PG.adminDataSource());
        MigrationSet set = new MigrationSet("two_role_demo", List.of(
                new Migration(1, "events", "create table events (id bigserial primary key, what text not null)")));
        StorageOptions withoutOwner = StorageOptions.builder().discoverMigrations(false).addMigrations(set).build();
        assertThatThrownBy(() -> Storage.open(runtime, withoutOwner).close())
                .isInstanceOf(ConnectionFailedException.class)
                .hasMessageContaining("migrations are pending")
                .hasMessageContaining("StorageOptions.migrationSpec");

        StorageOptions options = StorageOptions.builder().discoverMigrations(false).addMigrations(set)
                .migrationSpec(owner.toBuilder().schema(null).build()).build();
        try (Storage storage = Storage.open(runtime, options)) {
            storage.jdbi().useHandle(h -> {
                h.execute("insert into events (what) values ('started')");
                assertThat(h.createQuery("select pg_get_userbyid(relowner) from pg_class where oid = 'events'::regclass")
                        .mapTo(String.class).one()).isEqualTo(owner.user());
                assertDenied(h, "drop table events");
                assertThat(h.createQuery("select count(*) from pgdock_schema_history").mapTo(Integer.class).one())
                        .isEqualTo(1);
                assertDenied(h, "delete from pgdock_schema_history");
                assertDenied(h, "update pgdock_schema_history set checksum = 'forged'");
                assertDenied(h, "insert into pgdock_schema_history (module, version, description, checksum) "
                        + "values ('two_role_demo', 2, 'forged', 'x')");
            });
        }
        // Opening again finds nothing pending.
        try (Storage storage = Storage.open(runtime, options)) {
            assertThat(storage.migrator().pending(List.of(set))).isEmpty();
        }
        assertThat(options.toString()).doesNotContain(TestRoles.PASSWORD);
    }

    @Test
    void refusesTheRuntimeRoleAsItsOwnOwner() {
        assertThatThrownBy(() -> Provisioning.forRuntime(runtime).withOwner(runtime.user()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("owner: must differ from the runtime role");
    }

    private static Jdbi as(ConnectionSpec spec) {
        return Jdbi.create(() -> new org.postgresql.Driver().connect(spec.jdbcUrl(), spec.driverProperties()));
    }

    private static void assertDenied(Handle h, String sql) {
        assertThatThrownBy(() -> h.execute(sql)).as(sql)
                .satisfies(e -> assertThat(((SQLException) e.getCause()).getSQLState()).as(sql).isEqualTo("42501"));
    }

    private Map<String, Object> snapshot() {
        return roles.admin().withHandle(h -> Map.of(
                "schema", h.createQuery("select nspowner::regrole::text, nspacl::text from pg_namespace "
                        + "where nspname = :s").bind("s", SCHEMA).mapToMap().list(),
                "relations", h.createQuery("select c.relname, c.relowner::regrole::text, c.relacl::text from pg_class c "
                        + "join pg_namespace n on n.oid = c.relnamespace where n.nspname = :s order by 1")
                        .bind("s", SCHEMA).mapToMap().list(),
                "defaults", h.createQuery("select defaclrole::regrole::text, defaclobjtype::text, defaclacl::text "
                        + "from pg_default_acl order by 1, 2").mapToMap().list(),
                "settings", h.createQuery("select setrole::regrole::text, setconfig::text from pg_db_role_setting "
                        + "order by 1").mapToMap().list()));
    }
}
