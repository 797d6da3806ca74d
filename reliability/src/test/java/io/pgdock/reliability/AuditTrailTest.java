package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.HistoryRetention;
import io.pgdock.config.KeyProvider;
import io.pgdock.config.ReencryptResult;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.MigrationSet;
import io.pgdock.core.Provisioning;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.security.SecureRandom;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The config store's history is append-only for the runtime role of a two-role deployment
 * ({@code Provisioning.forRuntime(runtime).withOwner(owner)}, migrations run as the owner): each attempt to change or
 * remove history, or to switch its auditing off, is tried as the runtime role on a real server, one statement at a time,
 * and must fail with SQLSTATE 42501; retention still trims, through the owner's function. RELIABILITY.md ("Audit trail")
 * lists each attempt with this class's test.
 */
class AuditTrailTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final String PASSWORD = "audit-test-pw-6Qe";
    private static final String DENIED = "42501";

    private static final List<String> roles = new ArrayList<>();
    private static ConnectionSpec runtime;
    private static ConnectionSpec owner;

    @BeforeAll
    static void provisionTwoRoles() {
        String suffix = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        runtime = PG.spec().toBuilder().user(track("pgdock_ar_" + suffix)).password(PASSWORD).schema("audit_s").build();
        owner = PG.spec().toBuilder().user(track("pgdock_ao_" + suffix)).password(PASSWORD).schema("audit_s").build();
        Provisioning.forRuntime(runtime).withOwner(owner).apply(PG.adminDataSource());
        try (Storage storage = open()) {
            ConfigStore store = ConfigStore.postgres(storage);
            store.put("ingest.batch_size", 100);
            store.put("ingest.batch_size", 200);
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

    private static Storage open() {
        return Storage.open(runtime, StorageOptions.builder().migrationSpec(owner).build());
    }

    private static Connection connect(ConnectionSpec spec) throws SQLException {
        return new org.postgresql.Driver().connect(spec.jdbcUrl(), spec.driverProperties());
    }

    private static void assertDenied(String sql) throws SQLException {
        try (Connection c = connect(runtime)) {
            Throwable denied = catchThrowable(() -> {
                try (Statement s = c.createStatement()) {
                    s.execute(sql);
                }
            });
            assertThat(denied).as(sql).isInstanceOf(SQLException.class);
            assertThat(((SQLException) denied).getSQLState()).as("SQLState of %s: %s", sql, denied.getMessage())
                    .isEqualTo(DENIED);
        }
        assertThat(historyRows()).as("history after %s", sql).isGreaterThanOrEqualTo(2);
    }

    private static long historyRows() throws SQLException {
        try (Connection c = PG.adminDataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from audit_s.config_history")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void theSchemaAndHistoryBelongToTheOwner() throws SQLException {
        try (Connection c = PG.adminDataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select pg_get_userbyid(relowner), "
                        + "has_table_privilege('" + runtime.user() + "', oid, 'SELECT'), "
                        + "has_table_privilege('" + runtime.user() + "', oid, 'INSERT'), "
                        + "has_table_privilege('" + runtime.user() + "', oid, 'UPDATE'), "
                        + "has_table_privilege('" + runtime.user() + "', oid, 'DELETE'), "
                        + "has_table_privilege('" + runtime.user() + "', oid, 'TRUNCATE') "
                        + "from pg_class where oid = 'audit_s.config_history'::regclass")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(owner.user());
            assertThat(List.of(rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5), rs.getBoolean(6)))
                    .containsExactly(true, true, false, false, false);
        }
    }

    @Test
    void updateOfHistoryIsDenied() throws SQLException {
        assertDenied("update audit_s.config_history set new_value = '999' where key = 'ingest.batch_size'");
    }

    @Test
    void deleteFromHistoryIsDenied() throws SQLException {
        assertDenied("delete from audit_s.config_history");
    }

    @Test
    void truncateOfHistoryIsDenied() throws SQLException {
        assertDenied("truncate audit_s.config_history");
    }

    @Test
    void disablingTheHistoryTriggersIsDenied() throws SQLException {
        assertDenied("alter table audit_s.config_history disable trigger config_history_guard");
        assertDenied("alter table audit_s.config_history disable trigger all");
        assertDenied("alter table audit_s.config_entry disable trigger config_entry_audit");
        assertDenied("set session_replication_role = replica");
    }

    @Test
    void dropOfHistoryIsDenied() throws SQLException {
        assertDenied("drop table audit_s.config_history");
    }

    @Test
    void replacingTheAuditFunctionsIsDenied() throws SQLException {
        assertDenied("create or replace function audit_s.pgdock_config_entry_audit() returns trigger "
                + "language plpgsql as $$ begin return null; end $$");
        assertDenied("create or replace function audit_s.pgdock_config_trim(text, text, integer, bigint) "
                + "returns void language sql as 'select'");
        assertDenied("alter table audit_s.config_history rename to config_history_old");
    }

    @Test
    void aGrantedUpdateIsStillRefusedByTheGuard() throws SQLException {
        try (Connection c = PG.adminDataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("grant update, delete on audit_s.config_history to \"" + runtime.user() + "\"");
        }
        try {
            assertDenied("update audit_s.config_history set new_value = '999'");
            assertDenied("delete from audit_s.config_history");
        } finally {
            try (Connection c = PG.adminDataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("revoke update, delete on audit_s.config_history from \"" + runtime.user() + "\"");
            }
        }
    }

    /**
     * Key retirement as the runtime role: its reencrypt rewrites history through the owner's SECURITY DEFINER function
     * (V5) although it may not UPDATE history itself, and afterwards the new key alone reads and rolls back to every
     * version.
     */
    @Test
    void reencryptOfHistoryWorksAsTheRuntimeRoleThroughTheOwnersFunction() throws SQLException {
        String k1 = "k1:" + newKey();
        String k2 = "k2:" + newKey();
        try (Storage storage = open()) {
            ConfigStore old = secrets(storage, k1);
            old.putSecret("rekey.password", "hunter2-v1");
            old.putSecret("rekey.password", "hunter2-v2");
            assertThat(secrets(storage, k2 + "," + k1).policy().reencrypt("rekey."))
                    .as("v2 rewritten as v3; v1's and v2's history rows rewrapped")
                    .isEqualTo(new ReencryptResult(1, 3));
            ConfigStore retired = secrets(storage, k2);
            assertThat(retired.history("rekey.password")).hasSize(3);
            assertThat(retired.rollback("rekey.password", 1).value().textValue()).isEqualTo("hunter2-v1");
        }
        assertDenied("update audit_s.config_history set new_value = old_value where key = 'rekey.password'");
    }

    private static ConfigStore secrets(Storage storage, String keys) {
        return ConfigStore.postgres(storage, ConfigOptions.builder()
                .keys(KeyProvider.fromEnvironment(Map.of("PGDOCK_CONFIG_KEYS", keys))).build());
    }

    private static String newKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    @Test
    void retentionStillTrimsThroughTheOwnersFunction() throws SQLException {
        try (Storage storage = open()) {
            ConfigStore store = ConfigStore.postgres(storage,
                    ConfigOptions.builder().retention(HistoryRetention.latest(2)).build());
            for (int i = 1; i <= 5; i++) {
                store.put("retained.key", i);
            }
            List<ConfigChange> history = store.history("retained.key");
            assertThat(history).extracting(ConfigChange::version).containsExactly(5L, 4L);
            assertThat(store.policy().verifyHistory("retained.").intact()).as("verified as the runtime role, from where"
                    + " retention stopped").isTrue();
        }
        try (Connection c = PG.adminDataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select pg_get_userbyid(proowner), prosecdef, proconfig::text "
                        + "from pg_proc where proname = 'pgdock_config_trim' "
                        + "and pronamespace = 'audit_s'::regnamespace")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(owner.user());
            assertThat(rs.getBoolean(2)).isTrue();
            assertThat(rs.getString(3)).isEqualTo("{\"search_path=pg_catalog, pg_temp\"}");
        }
    }

    @Test
    void aSingleRoleStoreOfTheLastReleaseIsUpgradedByProvisioningAgainAndMigratingAsTheOwner() throws SQLException {
        String suffix = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        ConnectionSpec oldRuntime = PG.spec().toBuilder().user(track("pgdock_ur_" + suffix)).password(PASSWORD)
                .schema("upgrade_s").build();
        ConnectionSpec newOwner = PG.spec().toBuilder().user(track("pgdock_uo_" + suffix)).password(PASSWORD)
                .schema("upgrade_s").build();
        // The last release: one role, owning the schema, with the config migrations V1-V3.
        Provisioning.forRuntime(oldRuntime).apply(PG.adminDataSource());
        MigrationSet released = MigrationSet.fromResources("config", ConfigStore.class,
                "V1__config_tables.sql", "V2__config_notify.sql", "V3__config_merge_patch.sql");
        try (Storage storage = Storage.open(oldRuntime,
                StorageOptions.builder().discoverMigrations(false).addMigrations(released).build());
                Connection c = storage.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("insert into config_entry (scope, key, value) values ('', 'old.key', '1')");
            s.execute("update config_entry set value = '2' where key = 'old.key'");
            s.execute("update config_history set new_value = '3' where key = 'old.key'");   // still possible here
        }

        Provisioning.forRuntime(oldRuntime).withOwner(newOwner).apply(PG.adminDataSource());
        try (Storage storage = Storage.open(oldRuntime, StorageOptions.builder().migrationSpec(newOwner).build())) {
            ConfigStore store = ConfigStore.postgres(storage);
            store.put("old.key", 4);
            assertThat(store.history("old.key")).extracting(ConfigChange::version).containsExactly(3L, 2L, 1L);
            // V6 chains the rows as it finds them; the edit made before shows where a later row contradicts it.
            assertThat(store.policy().verifyHistory("old.").firstBreak()).hasValueSatisfying(b -> {
                assertThat(b.problem()).isEqualTo(io.pgdock.config.HistoryVerification.Problem.OUT_OF_SEQUENCE);
                assertThat(b.version()).as("its old value is not what version 1 now says").isEqualTo(2);
            });
        }
        try (Connection c = connect(oldRuntime); Statement s = c.createStatement()) {
            for (String sql : List.of("update upgrade_s.config_history set new_value = '5'",
                    "delete from upgrade_s.config_history", "truncate upgrade_s.config_history",
                    "alter table upgrade_s.config_entry disable trigger config_entry_audit",
                    "drop table upgrade_s.config_history")) {
                Throwable denied = catchThrowable(() -> s.execute(sql));
                assertThat(denied).as(sql).isInstanceOf(SQLException.class);
                assertThat(((SQLException) denied).getSQLState()).as("%s: %s", sql, denied.getMessage())
                        .isEqualTo(DENIED);
            }
        }
    }

    @Test
    void whereRetentionStoppedCannotBeWrittenByTheRuntimeRole() throws SQLException {
        assertDenied("insert into audit_s.config_history_anchor values ('', 'ingest.batch_size', 1, null, now())");
        assertDenied("update audit_s.config_history_anchor set version = 0");
        assertDenied("delete from audit_s.config_history_anchor");
        assertDenied("truncate audit_s.config_history_anchor");
        assertDenied("alter table audit_s.config_history disable trigger config_history_chain");
    }

    @Test
    void aDirectCallOfTheTrimKeepsTheNewestRow() throws SQLException {
        try (Storage storage = open()) {
            ConfigStore store = ConfigStore.postgres(storage);
            store.put("trim.direct", 1);
            store.put("trim.direct", 2);
            store.put("trim.direct", 3);
        }
        try (Connection c = connect(runtime); Statement s = c.createStatement()) {
            s.execute("select audit_s.pgdock_config_trim('', 'trim.direct', 1, 0)");
            s.execute("select audit_s.pgdock_config_trim('', 'trim.direct', null, 0)");
        }
        try (Connection c = PG.adminDataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select max(version), count(*) from audit_s.config_history "
                        + "where key = 'trim.direct'")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(3L);
            assertThat(rs.getLong(2)).isEqualTo(1L);
        }
    }
}
