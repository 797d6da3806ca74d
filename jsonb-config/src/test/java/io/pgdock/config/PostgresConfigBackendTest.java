package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.postgres.PostgresConfigBackend;
import io.pgdock.config.store.ConfigBackend;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.DataAccessException;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What only the PostgreSQL store does: triggers that version and audit plain-SQL edits, actor and reason through
 * transaction-local settings, retention in the database, compare-and-set under concurrency, migrations and errors.
 * Behaviour shared with the in-memory store is the contract suite's job.
 */
class PostgresConfigBackendTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static Storage storage;
    private static ConfigStore store;
    /** The storage's default actor, as the database computes it: role (application name). */
    private static String storageActor;

    @BeforeAll
    static void open() throws SQLException {
        storage = open("cfg", StorageOptions.builder().createSchema(true).build());
        store = ConfigStore.postgres(storage);
        try (Connection c = storage.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select current_user, current_setting('application_name')")) {
            rs.next();
            storageActor = rs.getString(1) + " (" + rs.getString(2) + ")";
        }
    }

    @AfterAll
    static void close() {
        storage.close();
    }

    private static Storage open(String schema, StorageOptions options) {
        return Storage.open(PG.spec().toBuilder().schema(schema).build(), options);
    }

    /** A plain connection like psql's: default search_path (not the storage schema), application_name "psql". */
    private static Connection psql() throws SQLException {
        Connection c = PG.dataSource().getConnection();
        try (Statement s = c.createStatement()) {
            s.execute("set application_name = 'psql'");
        }
        return c;
    }

    private static String psqlActor() {
        return PG.spec().user() + " (psql)";
    }

    private static JsonNode json(String text) throws Exception {
        return JsonValues.INTERNAL.readTree(text);
    }

    private static int sql(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            return s.executeUpdate();
        }
    }

    @Test
    void storeWritesRecordActorReasonAndVersion() throws Exception {
        ConfigEntry first = store.as("ops-oncall").because("raise batch size").put("audit.batch_size", 5000);
        ConfigEntry second = store.put("audit.batch_size", 6000);

        assertThat(first.version()).isEqualTo(1);
        assertThat(first.updatedBy()).isEqualTo("ops-oncall");
        assertThat(second.version()).isEqualTo(2);
        assertThat(second.updatedBy()).isEqualTo(storageActor);
        assertThat(store.entry("audit.batch_size")).contains(second);

        List<ConfigChange> history = store.history("audit.batch_size");
        assertThat(history).containsExactly(
                new ConfigChange("", "audit.batch_size", 2, ConfigChange.Kind.UPDATE, json("5000"), json("6000"),
                        storageActor, null, second.updatedAt()),
                new ConfigChange("", "audit.batch_size", 1, ConfigChange.Kind.CREATE, null, json("5000"),
                        "ops-oncall", "raise batch size", first.updatedAt()));

        assertThat(store.because("gone").delete("audit.batch_size")).isTrue();
        ConfigChange deleted = store.history("audit.batch_size").get(0);
        assertThat(deleted.kind()).isEqualTo(ConfigChange.Kind.DELETE);
        assertThat(deleted.version()).isEqualTo(2);
        assertThat(deleted.oldValue()).isEqualTo(json("6000"));
        assertThat(deleted.newValue()).isNull();
        assertThat(deleted.actor()).isEqualTo(storageActor);
        assertThat(deleted.reason()).isEqualTo("gone");
    }

    @Test
    void defaultActorIsTheStoragesRoleAndApplicationName() throws SQLException {
        ConfigBackend backend = PostgresConfigBackend.create(storage);
        assertThat(backend.defaultActor()).isEqualTo(storageActor)
                .isEqualTo(storage.spec().user() + " (" + storage.spec().applicationName().orElse("pgdock") + ")");
        // Plain SQL on one of the storage's own connections is recorded with the same actor.
        try (Connection c = storage.dataSource().getConnection()) {
            sql(c, "insert into config_entry (scope, key, value) values ('', 'actor.plain', '1')");
        }
        assertThat(store.entry("actor.plain").orElseThrow().updatedBy()).isEqualTo(backend.defaultActor());
    }

    @Test
    void plainSqlUpdateIsVersionedAndAudited() throws Exception {
        store.as("deployer").put("plain.update", 1);
        try (Connection c = psql()) {
            // Version, time and author the statement sets are overruled by the trigger.
            assertThat(sql(c, "update cfg.config_entry set value = '{\"bb\": 2, \"a\": 1}', version = 42, "
                    + "updated_by = 'forged', updated_at = '2001-01-01' where scope = '' and key = 'plain.update'"))
                    .isEqualTo(1);
        }
        ConfigEntry updated = store.entry("plain.update").orElseThrow();
        assertThat(updated.version()).isEqualTo(2);
        assertThat(updated.updatedBy()).isEqualTo(psqlActor());
        assertThat(updated.updatedAt()).isNotEqualTo(Instant.parse("2001-01-01T00:00:00Z"));
        assertThat(JsonValues.text(updated.value())).isEqualTo("{\"a\":1,\"bb\":2}");

        List<ConfigChange> history = store.history("plain.update");
        assertThat(history).hasSize(2);
        assertThat(history.get(0)).isEqualTo(new ConfigChange("", "plain.update", 2, ConfigChange.Kind.UPDATE,
                json("1"), updated.value(), psqlActor(), null, updated.updatedAt()));
        assertThat(history.get(1).actor()).isEqualTo("deployer");

        // The store's compare-and-set sees the SQL edit's version.
        assertThatThrownBy(() -> store.put("plain.update", 3, 1))
                .isInstanceOfSatisfying(ConfigConflictException.class, e -> assertThat(e.currentVersion()).isEqualTo(2));
        assertThat(store.put("plain.update", 3, 2).version()).isEqualTo(3);
    }

    @Test
    void plainSqlInsertAndDeleteAreAuditedWithTheirOwnActorAndReason() throws Exception {
        try (Connection c = psql()) {
            sql(c, "insert into cfg.config_entry (scope, key, value, version) values ('prod', 'plain.insert', "
                    + "'[1.50, \"x\"]', 7)");
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("select set_config('pgdock_config.actor', 'alice', true), "
                        + "set_config('pgdock_config.reason', 'clean up', true)");
            }
            sql(c, "delete from cfg.config_entry where scope = 'prod' and key = 'plain.insert'");
            c.commit();
            // The settings were transaction-local: the next transaction is the plain actor again.
            sql(c, "insert into cfg.config_entry (scope, key, value) values ('prod', 'plain.insert', 'true')");
            c.commit();
        }
        ConfigStore prod = store.inScope("prod");
        List<ConfigChange> history = prod.history("plain.insert");
        assertThat(history).extracting(ConfigChange::kind).containsExactly(ConfigChange.Kind.CREATE,
                ConfigChange.Kind.DELETE, ConfigChange.Kind.CREATE);
        // The statement's version 7 is ignored; the key written again after its delete continues at 2.
        assertThat(history).extracting(ConfigChange::version).containsExactly(2L, 1L, 1L);
        assertThat(history).extracting(ConfigChange::actor).containsExactly(psqlActor(), "alice", psqlActor());
        assertThat(history).extracting(ConfigChange::reason).containsExactly(null, "clean up", null);
        assertThat(history.get(1).oldValue()).isEqualTo(json("[1.50, \"x\"]"));
        assertThat(history.get(1).newValue()).isNull();
        assertThat(history.get(2).newValue()).isEqualTo(json("[1.50, \"x\"]"));
        assertThat(prod.entry("plain.insert").orElseThrow().version()).isEqualTo(2);
    }

    @Test
    void plainSqlRenameIsADeleteAndACreate() throws Exception {
        store.put("plain.old_name", "v");
        store.put("plain.old_name", "w");
        try (Connection c = psql()) {
            sql(c, "update cfg.config_entry set key = 'plain.new_name' where scope = '' and key = 'plain.old_name'");
        }
        assertThat(store.entry("plain.old_name")).isEmpty();
        assertThat(store.entry("plain.new_name").orElseThrow().version()).isEqualTo(1);
        assertThat(store.history("plain.old_name").get(0)).satisfies(c -> {
            assertThat(c.kind()).isEqualTo(ConfigChange.Kind.DELETE);
            assertThat(c.version()).isEqualTo(2);
        });
        assertThat(store.history("plain.new_name")).singleElement().satisfies(c -> {
            assertThat(c.kind()).isEqualTo(ConfigChange.Kind.CREATE);
            assertThat(c.newValue()).isEqualTo(json("\"w\""));
        });
    }

    @Test
    void plainSqlCannotStoreKeysTheStoreWouldRefuse() throws SQLException {
        try (Connection c = psql()) {
            assertThatThrownBy(() -> sql(c, "insert into cfg.config_entry (scope, key, value) values ('', 'bad key', '1')"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("23514"))
                    .hasMessageContaining("config_entry_key_check");
            assertThatThrownBy(() -> sql(c, "insert into cfg.config_entry (scope, key, value) values ('a//b', 'k', '1')"))
                    .hasMessageContaining("config_entry_scope_check");
        }
    }

    @Test
    void contextSettingsDoNotLeakToTheNextWriteOnAPooledConnection() {
        // One connection, so every write below runs on the same session.
        try (Storage single = open("cfg", StorageOptions.builder().maximumPoolSize(1).minimumIdle(1).build())) {
            ConfigStore keepOne = ConfigStore.postgres(single,
                    ConfigOptions.builder().retention(HistoryRetention.latest(1)).build());
            ConfigStore plain = ConfigStore.postgres(single);

            keepOne.as("someone").because("a reason").put("leak.a", 1);
            ConfigEntry next = plain.put("leak.b", 1);
            plain.put("leak.b", 2);
            plain.put("leak.b", 3);

            assertThat(next.updatedBy()).isEqualTo(storageActor);
            List<ConfigChange> history = plain.history("leak.b");
            assertThat(history).hasSize(3);
            assertThat(history).extracting(ConfigChange::reason).containsOnlyNulls();
            assertThat(history).extracting(ConfigChange::actor).containsOnly(storageActor);
        }
    }

    @Test
    void retentionKeepsTheNewestVersionsAsTheInMemoryStoreDoes() {
        ConfigOptions options = ConfigOptions.builder().retention(HistoryRetention.latest(3)).build();
        ConfigStore pg = ConfigStore.postgres(storage, options);
        ConfigStore memory = ConfigStore.inMemory(options);
        for (ConfigStore s : List.of(pg, memory)) {
            for (int i = 1; i <= 5; i++) {
                s.put("retain.latest", i);
            }
        }
        assertThat(pg.history("retain.latest")).extracting(ConfigChange::version).containsExactly(5L, 4L, 3L);
        assertThat(versionsAndKinds(pg.history("retain.latest"))).isEqualTo(versionsAndKinds(memory.history("retain.latest")));

        pg.delete("retain.latest");
        memory.delete("retain.latest");
        assertThat(versionsAndKinds(pg.history("retain.latest"))).isEqualTo(versionsAndKinds(memory.history("retain.latest")))
                .containsExactly("DELETE 5", "UPDATE 5", "UPDATE 4");
    }

    private static List<String> versionsAndKinds(List<ConfigChange> history) {
        List<String> out = new ArrayList<>();
        history.forEach(c -> out.add(c.kind() + " " + c.version()));
        return out;
    }

    @Test
    void retentionDropsChangesOlderThanTheMaximumAge() throws SQLException {
        store.put("retain.age", 1);
        store.put("retain.age", 2);
        store.put("retain.age", 3);
        try (Connection c = psql()) {
            // Backdate versions 1 and 2 instead of waiting: one just over a day old, one just under.
            sql(c, "update cfg.config_history set changed_at = now() - interval '1 day 1 second' "
                    + "where scope = '' and key = 'retain.age' and version = 1");
            sql(c, "update cfg.config_history set changed_at = now() - interval '23 hours 59 minutes' "
                    + "where scope = '' and key = 'retain.age' and version = 2");
        }
        ConfigStore dayOld = ConfigStore.postgres(storage,
                ConfigOptions.builder().retention(HistoryRetention.within(Duration.ofDays(1))).build());
        dayOld.put("retain.age", 4);
        assertThat(store.history("retain.age")).extracting(ConfigChange::version).containsExactly(4L, 3L, 2L);
    }

    @Test
    void agesAreSentInWholeMicroseconds() {
        assertThat(PostgresConfigBackend.micros(Duration.ofDays(1).plusNanos(1_999))).isEqualTo(86_400_000_001L);
        assertThat(PostgresConfigBackend.micros(Duration.ofNanos(999))).isZero();
        assertThat(PostgresConfigBackend.micros(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
        assertThat(PostgresConfigBackend.upperBound("ingest.")).isEqualTo("ingest/");
        assertThat(PostgresConfigBackend.upperBound("a_z")).isEqualTo("a_{");
    }

    @Test
    void compareAndSetConflictsCarryTheCurrentVersionAndWriteNothing() {
        ConfigStore s = store.inScope("cas");
        assertThat(s.put("cas.k", "a", 0).version()).isEqualTo(1);
        assertConflict(() -> s.put("cas.k", "b", 0), 0, 1);
        assertConflict(() -> s.put("cas.k", "b", 5), 5, 1);
        assertThat(s.put("cas.k", "b", 1).version()).isEqualTo(2);
        assertConflict(() -> s.delete("cas.k", 1), 1, 2);
        assertThat(s.history("cas.k")).hasSize(2);
        assertThat(s.get("cas.k", String.class)).contains("b");

        assertThat(s.delete("cas.k", 2)).isTrue();
        assertConflict(() -> s.delete("cas.k", 2), 2, 0);
        assertConflict(() -> s.put("cas.k", "c", 2), 2, 0);
        assertThat(s.delete("cas.k")).isFalse();
        assertThat(s.history("cas.k")).hasSize(3);
        // After a delete the key continues its numbering, so version 2 of its earlier life cannot be mistaken for a new one.
        assertThat(s.put("cas.k", "d", 0).version()).isEqualTo(3);
    }

    private static void assertConflict(Runnable write, long expected, long current) {
        ConfigConflictException e = catchThrowableOfType(ConfigConflictException.class, write::run);
        assertThat(e).as("conflict").isNotNull();
        assertThat(e.scope()).isEqualTo("cas");
        assertThat(e.key()).isEqualTo("cas.k");
        assertThat(e.expectedVersion()).isEqualTo(expected);
        assertThat(e.currentVersion()).isEqualTo(current);
        assertThat(e).hasMessageContaining("\"cas.k\" in scope \"cas\"");
    }

    @Test
    void migrationsRunAtStorageOpenThroughTheServiceLoader() throws SQLException {
        try (Storage auto = open("auto_cfg", StorageOptions.builder().createSchema(true).build());
                Connection c = auto.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select to_regclass('auto_cfg.config_entry') is not null, "
                        + "(select string_agg(module || ' ' || version, ',') from auto_cfg.pgdock_schema_history)")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
            assertThat(rs.getString(2)).contains("config 1");
        }
    }

    @Test
    void postgresAppliesTheMigrationsWhenStorageOpenDidNot() throws SQLException {
        StorageOptions noDiscovery = StorageOptions.builder().createSchema(true).discoverMigrations(false).build();
        try (Storage manual = open("manual_cfg", noDiscovery)) {
            try (Connection c = manual.dataSource().getConnection(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select to_regclass('manual_cfg.config_entry') is null")) {
                rs.next();
                assertThat(rs.getBoolean(1)).isTrue();
            }
            ConfigStore first = ConfigStore.postgres(manual);
            first.put("manual.k", 1);
            // A second store on the same storage finds them applied.
            assertThat(ConfigStore.postgres(manual).get("manual.k", Integer.class)).contains(1);
        }
    }

    @Test
    void sqlFailuresNameTheKeyButNeverTheValue() throws SQLException {
        String secret = "hunter2-do-not-print";
        try (Storage guarded = open("guarded_cfg", StorageOptions.builder().createSchema(true).build())) {
            ConfigStore s = ConfigStore.postgres(guarded);
            try (Connection c = psql()) {
                sql(c, "alter table guarded_cfg.config_entry add constraint no_plain_passwords "
                        + "check (value <> '\"" + secret + "\"')");
            }
            DataAccessException e = catchThrowableOfType(DataAccessException.class, () -> s.put("db.password", secret));
            assertThat(e).as("failure").isNotNull();
            assertThat(e.sqlState()).isEqualTo("23514");
            assertThat(e).hasMessageContaining("\"db.password\"").hasMessageContaining("no_plain_passwords");
            for (Throwable t = e; t != null; t = t.getCause()) {
                assertThat(String.valueOf(t.getMessage())).doesNotContain(secret);
                assertThat(t.toString()).doesNotContain(secret);
            }
            assertThat(s.entry("db.password")).isEmpty();
        }
    }

    @Test
    void aClosedStorageFailsAsAConnectionFailure() {
        Storage closed = open("cfg", StorageOptions.defaults());
        ConfigStore s = ConfigStore.postgres(closed);
        closed.close();
        assertThatThrownBy(() -> s.get("any.key"))
                .isInstanceOf(ConnectionFailedException.class)
                .hasMessageContaining("cannot connect");
    }
}
