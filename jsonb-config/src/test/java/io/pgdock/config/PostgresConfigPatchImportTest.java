package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.json.JsonPatches;
import io.pgdock.config.json.JsonValues;
import io.pgdock.core.DataAccessException;
import io.pgdock.core.MigrationSet;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What only the PostgreSQL store does for merge patches and imports: the merge function of migration V3 (agreeing with
 * the Java merge, on deep values, from plain SQL, applied to a database at V1), and transactions that roll back
 * everything when a write fails in the middle. Shared behaviour, the RFC 7386 examples and concurrent patches
 * included, is the contract suite's job ({@link ConfigStoreContract}).
 */
class PostgresConfigPatchImportTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static Storage open(String schema, StorageOptions.Builder options) {
        return Storage.open(PG.spec().toBuilder().schema(schema).build(), options.createSchema(true).build());
    }

    private static void sql(Storage storage, String sql) throws SQLException {
        try (Connection c = PG.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql.replace("@schema@", storage.schema()));
        }
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = PG.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static JsonNode parse(String json) throws Exception {
        return JsonValues.INTERNAL.readTree(json);
    }

    @Test
    void anImportThatFailsInTheMiddleAppliesNothing() throws Exception {
        // One connection in the pool: the writes after the failure run on the connection the import used.
        try (Storage storage = open("import_fail", StorageOptions.builder().maximumPoolSize(1))) {
            ConfigStore store = ConfigStore.postgres(storage);
            store.put("a.existing", 1);
            sql(storage, "CREATE FUNCTION @schema@.refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "IF NEW.key = 'b.boom' THEN RAISE EXCEPTION 'b.boom is refused by a test trigger'; END IF; "
                    + "RETURN NEW; END $$; "
                    + "CREATE TRIGGER refuse_boom BEFORE INSERT OR UPDATE ON @schema@.config_entry "
                    + "FOR EACH ROW EXECUTE FUNCTION @schema@.refuse_boom()");
            // Key order is write order: a.existing and a.new are written before b.boom fails, c.new never is.
            JsonNode doc = parse("{\"format\":\"pgdock-config\",\"version\":1,\"entries\":["
                    + "{\"key\":\"c.new\",\"value\":3},{\"key\":\"b.boom\",\"value\":0},"
                    + "{\"key\":\"a.new\",\"value\":2},{\"key\":\"a.existing\",\"value\":10}]}");

            assertThatThrownBy(() -> store.transfer().importFrom(doc, ImportOptions.builder()
                    .onConflict(ImportOptions.ConflictMode.OVERWRITE).build()))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageContaining("b.boom is refused by a test trigger");

            assertThat(store.entry("a.existing").orElseThrow().version()).isEqualTo(1);
            assertThat(store.get("a.existing", Integer.class)).contains(1);
            assertThat(store.list("")).extracting(ConfigEntry::key).containsExactly("a.existing");
            assertThat(count("SELECT count(*) FROM import_fail.config_history")).as("history rows").isEqualTo(1);
            // The connection is back in auto-commit: a later write is committed, seen from another connection.
            store.put("a.after", 1);
            assertThat(count("SELECT count(*) FROM import_fail.config_entry WHERE key = 'a.after'")).isEqualTo(1);
        }
    }

    @Test
    void aRefusedPatchRollsBackItsRowAndHistory() throws Exception {
        try (Storage storage = open("patch_refused", StorageOptions.builder().maximumPoolSize(1))) {
            ConfigStore store = ConfigStore.postgres(storage, ConfigOptions.builder().maxValueBytes(32).build());
            store.put("k", Map.of("a", 1));

            assertThatThrownBy(() -> store.parts().patch("k", Map.of("b", "x".repeat(20))))
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("patched value");

            assertThat(count("SELECT version FROM patch_refused.config_entry WHERE key = 'k'")).isEqualTo(1);
            assertThat(count("SELECT count(*) FROM patch_refused.config_history")).isEqualTo(1);
            store.put("after", 1);
            assertThat(count("SELECT count(*) FROM patch_refused.config_entry WHERE key = 'after'")).isEqualTo(1);
        }
    }

    @Test
    void patchesMergeValuesNestedAThousandLevelsDeep() {
        try (Storage storage = open("patch_deep", StorageOptions.builder())) {
            ConfigStore store = ConfigStore.postgres(storage);
            store.put("deep", nested(JsonValues.MAX_DEPTH, "x"));

            JsonNode merged = store.parts().patch("deep", nested(JsonValues.MAX_DEPTH, "y")).value();

            JsonNode bottom = merged;
            for (int i = 1; i < JsonValues.MAX_DEPTH; i++) {
                bottom = bottom.get("a");
            }
            assertThat(bottom).isEqualTo(NODES.objectNode().put("x", 1).put("y", 1));
            assertThat(store.get("deep")).contains(merged);
        }
    }

    /** Objects nested {@code depth} levels, {"a": {"a": ... {name: 1}}}. */
    private static JsonNode nested(int depth, String name) {
        ObjectNode inner = NODES.objectNode().put(name, 1);
        for (int i = 1; i < depth; i++) {
            inner = NODES.objectNode().set("a", inner);
        }
        return inner;
    }

    @Test
    void theSqlFunctionAgreesWithTheJavaMergeOnRandomValues() throws Exception {
        try (Storage storage = open("patch_random", StorageOptions.builder());
                Connection c = storage.dataSource().getConnection();
                PreparedStatement s = c.prepareStatement("SELECT pgdock_config_merge_patch(?::jsonb, ?::jsonb)")) {
            Random random = new Random(20261122);
            for (int i = 0; i < 2000; i++) {
                JsonNode target = i % 10 == 0 ? null : randomValue(random, 3);
                JsonNode patch = randomValue(random, 3);
                s.setString(1, target == null ? null : JsonValues.text(target));
                s.setString(2, JsonValues.text(patch));
                JsonNode inSql;
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    inSql = JsonValues.readStored(rs.getString(1));
                }
                JsonNode inJava = JsonValues.normalize("", "k", JsonPatches.mergePatch(target, patch));
                assertThat(inSql).as("case %s: target %s, patch %s", i, target, patch).isEqualTo(inJava);
            }
        }
    }

    /** A random value of small members, with nulls and secret envelopes at any level. */
    private static JsonNode randomValue(Random random, int depth) {
        int kind = random.nextInt(depth == 0 ? 4 : 8);
        return switch (kind) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.numberNode(random.nextInt(3));
            case 2 -> NODES.textNode(List.of("x", "y", "").get(random.nextInt(3)));
            case 3 -> NODES.objectNode();
            case 4 -> {
                ArrayNode array = NODES.arrayNode();
                for (int i = random.nextInt(3); i > 0; i--) {
                    array.add(randomValue(random, depth - 1));
                }
                yield array;
            }
            case 5 -> NODES.objectNode().set(JsonPatches.SECRET_MEMBER, randomValue(random, depth - 1));
            default -> {
                ObjectNode object = NODES.objectNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    String name = List.of("a", "b", "c", JsonPatches.SECRET_MEMBER).get(random.nextInt(4));
                    object.set(name, randomValue(random, depth - 1));
                }
                yield object;
            }
        };
    }

    @Test
    void plainSqlCanPatchAndIsVersionedAndAudited() throws Exception {
        try (Storage storage = open("patch_sql", StorageOptions.builder())) {
            ConfigStore store = ConfigStore.postgres(storage);
            store.put("db.settings", Map.of("pool", Map.of("max", 5, "min", 1)));

            sql(storage, "UPDATE @schema@.config_entry SET value = @schema@.pgdock_config_merge_patch(value, "
                    + "'{\"pool\": {\"max\": 20, \"min\": null}}') WHERE scope = '' AND key = 'db.settings'");

            assertThat(store.get("db.settings")).contains(parse("{\"pool\":{\"max\":20}}"));
            assertThat(store.history("db.settings").get(0).version()).isEqualTo(2);
            assertThatThrownBy(() -> sql(storage, "SELECT @schema@.pgdock_config_merge_patch('{}', NULL)"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("the patch is SQL NULL");
        }
    }

    @Test
    void aDatabaseAtVersionOneGetsTheMergeFunctionWhenTheStoreOpens() throws Exception {
        MigrationSet v1 = MigrationSet.fromResources("config", ConfigMigrations.class, "V1__config_tables.sql");
        try (Storage old = open("patch_upgrade", StorageOptions.builder().discoverMigrations(false).addMigrations(v1))) {
            assertThat(count("SELECT count(*) FROM patch_upgrade.pgdock_schema_history WHERE module = 'config'"))
                    .isEqualTo(1);

            ConfigStore store = ConfigStore.postgres(old);

            assertThat(store.parts().patch("k", Map.of("a", 1)).value()).isEqualTo(parse("{\"a\":1}"));
            assertThat(count("SELECT max(version) FROM patch_upgrade.pgdock_schema_history WHERE module = 'config'"))
                    .isEqualTo(new ConfigMigrations().migrations().latestVersion());
        }
    }
}
