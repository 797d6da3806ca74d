package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.testing.PgdockExtension;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ProvisioningTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private final TestRoles roles = new TestRoles(PG);
    private ConnectionSpec runtime;
    private Provisioning plan;

    @BeforeEach
    void plan() {
        runtime = roles.runtimeSpec("pipeline_data");
        plan = Provisioning.forRuntime(runtime);
    }

    @AfterEach
    void dropRoles() {
        roles.dropAll();
    }

    @Test
    void scriptIsPrintableAndCarriesNoPassword() {
        String script = plan.script();
        assertThat(script)
                .contains("CREATE ROLE \"" + runtime.user() + "\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
                .contains("CREATE SCHEMA \"pipeline_data\" AUTHORIZATION \"" + runtime.user() + "\"")
                .contains("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
                .contains("\\password")
                .doesNotContain(TestRoles.PASSWORD);
        assertThat(plan.toString()).doesNotContain(TestRoles.PASSWORD);
    }

    @Test
    void createsALeastPrivilegeRoleOwningItsSchema() {
        plan.apply(PG.adminDataSource());
        Map<String, Object> role = PG.jdbi().withHandle(h -> h.createQuery(
                "select rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
                        + "from pg_roles where rolname = :r").bind("r", runtime.user()).mapToMap().one());
        assertThat(role).containsEntry("rolcanlogin", true).containsEntry("rolsuper", false)
                .containsEntry("rolcreatedb", false).containsEntry("rolcreaterole", false)
                .containsEntry("rolreplication", false).containsEntry("rolbypassrls", false);
        String owner = PG.jdbi().withHandle(h -> h.createQuery(
                "select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'pipeline_data'")
                .mapTo(String.class).one());
        assertThat(owner).isEqualTo(runtime.user());
    }

    @Test
    void setsThePasswordAsAScramVerifier() {
        plan.apply(PG.adminDataSource());
        String stored = roles.admin().withHandle(h -> h.createQuery("select rolpassword from pg_authid where rolname = :r")
                .bind("r", runtime.user()).mapTo(String.class).one());
        assertThat(stored).startsWith("SCRAM-SHA-256$").doesNotContain(TestRoles.PASSWORD);
    }

    @Test
    void applyingTwiceChangesNothing() {
        plan.apply(PG.adminDataSource());
        Map<String, Object> before = catalogSnapshot();
        plan.apply(PG.adminDataSource());
        assertThat(catalogSnapshot()).isEqualTo(before);
    }

    @Test
    void existingRoleWithTooManyRightsIsTrimmed() {
        roles.admin().useHandle(h -> h.execute("create role \"" + runtime.user() + "\" login createdb createrole"));
        plan.apply(PG.adminDataSource());
        Map<String, Object> role = PG.jdbi().withHandle(h -> h.createQuery(
                "select rolcreatedb, rolcreaterole from pg_roles where rolname = :r")
                .bind("r", runtime.user()).mapToMap().one());
        assertThat(role).containsEntry("rolcreatedb", false).containsEntry("rolcreaterole", false);
    }

    @Test
    void runtimeRoleWorksInItsSchemaOnly() {
        plan.apply(PG.adminDataSource());
        PG.jdbi().useHandle(h -> {
            h.execute("create schema other_team");
            h.execute("create table other_team.secrets (v text)");
            h.execute("insert into other_team.secrets values ('classified')");
            h.execute("create table public.shared_table (v text)");
        });
        StorageOptions options = StorageOptions.builder().discoverMigrations(false).build();
        try (Storage storage = Storage.open(runtime, options)) {
            storage.jdbi().useHandle(h -> {
                h.execute("create table mine (id int)");
                h.execute("insert into mine values (1)");
                assertThat(h.createQuery("select count(*) from mine").mapTo(Integer.class).one()).isEqualTo(1);

                assertPermissionDenied(h, "create table public.planted (id int)");
                assertPermissionDenied(h, "select * from other_team.secrets");
                assertPermissionDenied(h, "select * from public.shared_table");
                assertPermissionDenied(h, "create schema another_one");
            });
        }
    }

    @Test
    void refusesAnAdminConnectionToAnotherDatabase() {
        Provisioning elsewhere = Provisioning.of("r_x", "s_x", "some_other_db");
        assertThatThrownBy(() -> elsewhere.apply(PG.adminDataSource()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be connected to database \"some_other_db\"");
    }

    @Test
    void refusesBadNames() {
        assertThatThrownBy(() -> Provisioning.of("r", "bad\"schema", "d"))
                .isInstanceOf(InvalidConnectionSpecException.class)
                .hasMessageContaining("schema: must not contain a double quote");
        assertThatThrownBy(() -> Provisioning.of("", "s", "d"))
                .hasMessageContaining("role: must not be empty");
    }

    @Test
    void aRoleNameCannotBreakOutOfTheQuoting() {
        String odd = roles.track("pgdock_r_odd$pgdock$ 'q\" --" + System.nanoTime() % 1000);
        Provisioning plan = Provisioning.of(odd, "odd_schema", PG.databaseName());
        assertThat(plan.statements().get(0)).startsWith("DO $pgdock1$").endsWith("$pgdock1$");
        plan.apply(PG.adminDataSource());
        String owner = PG.jdbi().withHandle(h -> h.createQuery(
                "select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'odd_schema'")
                .mapTo(String.class).one());
        assertThat(owner).isEqualTo(odd);
    }

    @Test
    void refusesToDemoteAnExistingSuperuser() {
        String superuser = roles.create("LOGIN SUPERUSER");
        Provisioning plan = Provisioning.of(superuser, "s_super", PG.databaseName());
        assertThatThrownBy(() -> plan.apply(PG.adminDataSource()))
                .isInstanceOf(DataAccessException.class)
                .hasMessageContaining("is a superuser; pgdock will not demote it")
                .hasMessageContaining("nothing was changed");
        boolean stillSuper = roles.admin().withHandle(h -> h.createQuery(
                "select rolsuper from pg_roles where rolname = :r").bind("r", superuser).mapTo(Boolean.class).one());
        assertThat(stillSuper).isTrue();
    }

    @Test
    void worksForTheDatabaseOwnerWithCreateroleAndStaysIdempotent() {
        String dba = roles.create("LOGIN CREATEROLE");
        roles.admin().useHandle(h -> h.execute("grant \"" + PG.spec().user() + "\" to " + dba));
        ConnectionSpec dbaSpec = PG.spec().toBuilder().user(dba).password(TestRoles.PASSWORD).build();

        plan.apply(dbaSpec);
        Map<String, Object> role = roles.admin().withHandle(h -> h.createQuery(
                "select rolcanlogin, rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = :r")
                .bind("r", runtime.user()).mapToMap().one());
        assertThat(role).containsEntry("rolcanlogin", true).containsEntry("rolsuper", false)
                .containsEntry("rolcreaterole", false);

        // A second run changes nothing but the password's salt: only superusers may read the stored verifier.
        Map<String, Object> before = withoutPassword(catalogSnapshot());
        plan.apply(dbaSpec);
        assertThat(withoutPassword(catalogSnapshot())).isEqualTo(before);

        try (Storage storage = Storage.open(runtime, StorageOptions.builder().discoverMigrations(false).build())) {
            assertThat(storage.health().isUp()).isTrue();
        }
    }

    @Test
    void anAdminWithoutEnoughRightsGetsAClearErrorAndChangesNothing() {
        String weak = roles.create("LOGIN CREATEROLE");   // may create roles, but owns nothing in this database
        ConnectionSpec weakSpec = PG.spec().toBuilder().user(weak).password(TestRoles.PASSWORD).build();
        assertThatThrownBy(() -> plan.apply(weakSpec))
                .satisfies(e -> assertThat(e.getMessage()).contains("nothing was changed")
                        .doesNotContain(TestRoles.PASSWORD));
        int created = roles.admin().withHandle(h -> h.createQuery("select count(*) from pg_roles where rolname = :r")
                .bind("r", runtime.user()).mapTo(Integer.class).one());
        assertThat(created).isZero();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutPassword(Map<String, Object> snapshot) {
        Map<String, Object> copy = new java.util.HashMap<>(snapshot);
        copy.put("role", ((java.util.List<Map<String, Object>>) snapshot.get("role")).stream().map(r -> {
            Map<String, Object> row = new java.util.HashMap<>(r);
            row.remove("rolpassword");
            return row;
        }).toList());
        return copy;
    }

    private static void assertPermissionDenied(Handle h, String sql) {
        assertThatThrownBy(() -> h.execute(sql))
                .as(sql)
                .isInstanceOf(UnableToExecuteStatementException.class)
                .hasMessageContaining("permission denied");
    }

    private Map<String, Object> catalogSnapshot() {
        return roles.admin().withHandle(h -> Map.of(
                "role", h.createQuery("select rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
                        + "rolbypassrls, rolpassword from pg_authid where rolname = :r")
                        .bind("r", runtime.user()).mapToMap().list(),
                "schemas", h.createQuery("select nspname, nspowner::regrole::text as owner, nspacl::text as acl "
                        + "from pg_namespace order by nspname").mapToMap().list(),
                "database", h.createQuery("select datacl::text from pg_database where datname = current_database()")
                        .mapTo(String.class).list(),
                "settings", h.createQuery("select setdatabase, setrole::regrole::text, setconfig::text "
                        + "from pg_db_role_setting order by 1, 2").mapToMap().list(),
                "memberships", h.createQuery("select roleid::regrole::text, member::regrole::text "
                        + "from pg_auth_members order by 1, 2").mapToMap().list()));
    }
}
