package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Secrets as PostgreSQL sees them: only ciphertext in config_entry and config_history, several processes (stores) with
 * different keys over the same tables, and ciphertext altered or moved with plain SQL. What both stores do is in the
 * contract suite.
 */
class PostgresSecretsTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final String K1 = newKey();
    private static final String K2 = newKey();

    private static Storage storage;

    @BeforeAll
    static void open() {
        storage = Storage.open(PG.spec().toBuilder().schema("secrets").build(),
                StorageOptions.builder().createSchema(true).build());
    }

    @AfterAll
    static void close() {
        storage.close();
    }

    private static String newKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** A store as a process configured with {@code PGDOCK_CONFIG_KEYS=keys} would open it. */
    private static ConfigStore store(String keys) {
        return ConfigStore.postgres(storage, ConfigOptions.builder()
                .keys(KeyProvider.fromEnvironment(Map.of("PGDOCK_CONFIG_KEYS", keys))).build());
    }

    /** Every jsonb value of the key in both tables, as PostgreSQL prints it. */
    private static List<String> rawValues(String key) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection()) {
            for (String sql : List.of("select value::text from config_entry where key = ?",
                    "select old_value::text from config_history where key = ? and old_value is not null",
                    "select new_value::text from config_history where key = ? and new_value is not null")) {
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    s.setString(1, key);
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            values.add(rs.getString(1));
                        }
                    }
                }
            }
        }
        return values;
    }

    private static void sql(String sql, String... args) throws SQLException {
        try (Connection c = storage.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setString(i + 1, args[i]);
            }
            s.executeUpdate();
        }
    }

    @Test
    void theTablesAndTheHistoryHoldOnlyCiphertext() throws SQLException {
        ConfigStore store = store("k1:" + K1);
        store.putSecret("h.token", "hunter2-first");
        store.put("h.token", Map.of("user", "app", "password", Secret.of("hunter2-second")));
        store.putSecret("h.token", "hunter2-third");
        store.delete("h.token");
        store.putSecret("h.token", "hunter2-fourth");

        List<String> raw = rawValues("h.token");
        assertThat(raw).as("1 entry; history: 3 old values (2 updates, 1 delete), 4 new values").hasSize(8);
        assertThat(raw).allSatisfy(v -> assertThat(v).contains("\"$pgdock_secret\"").contains("\"kid\": \"k1\"")
                .doesNotContain("hunter2").doesNotContain(K1));
        assertThat(raw).filteredOn(v -> v.contains("\"user\": \"app\"")).as("plain fields stay plain").hasSize(2);
        assertThat(store.get("h.token", String.class)).contains("hunter2-fourth");
        assertThat(store.history("h.token")).allSatisfy(c -> {
            c.before().ifPresent(v -> assertThat(v.toString()).doesNotContain("hunter2"));
            c.after().ifPresent(v -> assertThat(v.toString()).doesNotContain("hunter2"));
        });
    }

    @Test
    void rotationWithTwoKeysAcrossProcesses() throws SQLException {
        ConfigStore old = store("k1:" + K1);
        old.putSecret("r.a", "hunter2-a");
        old.put("r.b", Map.of("password", Secret.of("hunter2-b")));
        old.inScope("prod").putSecret("r.a", "hunter2-prod");

        // Step 1: every process gets k2 as current and keeps k1 to read what is there.
        ConfigStore both = store("k2:" + K2 + ",k1:" + K1);
        assertThat(both.get("r.a", String.class)).contains("hunter2-a");
        both.putSecret("r.c", "hunter2-c");
        assertThatThrownBy(() -> old.get("r.c"))
                .as("a process still on k1 alone cannot read k2's secrets")
                .isInstanceOfSatisfying(ConfigSecretException.class, e -> {
                    assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.UNKNOWN_KEY_ID);
                    assertThat(e.keyId()).isEqualTo("k2");
                })
                .hasMessageContaining("config key \"r.c\"").hasMessageContaining("key id \"k2\"")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain(K1).doesNotContain(K2));

        // Step 2: re-encrypt everything under k2, in every scope: values through the normal write path, then history.
        assertThat(both.policy().reencrypt("r.")).as("3 values in every scope; 6 history rows: each key's v1 new_value"
                + " and the re-encryption's own v2 old_value").isEqualTo(new ReencryptResult(3, 6));
        assertThat(both.policy().reencrypt("r.").total()).isZero();
        assertThat(rawValues("r.a")).as("no ciphertext under k1 is left, history included")
                .noneSatisfy(v -> assertThat(v).contains("\"kid\": \"k1\""));
        try (Connection c = storage.dataSource().getConnection(); PreparedStatement st = c.prepareStatement(
                "select key, scope, jsonb_path_query_array(value, 'strict $.**.\"$pgdock_secret\".kid')::text"
                        + " from config_entry where key like 'r.%' order by scope, key");
                ResultSet rs = st.executeQuery()) {
            List<String> kids = new ArrayList<>();
            while (rs.next()) {
                kids.add(rs.getString(2) + "/" + rs.getString(1) + "=" + rs.getString(3));
            }
            assertThat(kids).containsExactly("/r.a=[\"k2\"]", "/r.b=[\"k2\"]", "/r.c=[\"k2\"]", "prod/r.a=[\"k2\"]");
        }

        // Step 3: k1 is retired; everything still reads.
        ConfigStore fresh = store("k2:" + K2);
        assertThat(fresh.get("r.a", String.class)).contains("hunter2-a");
        assertThat(fresh.get("r.b").orElseThrow().get("password").textValue()).isEqualTo("hunter2-b");
        assertThat(fresh.inScope("prod").get("r.a", String.class)).contains("hunter2-prod");
        assertThat(fresh.history("r.a").get(0).why()).contains("re-encrypt secrets under key id k2");
        assertThat(fresh.rollback("r.b", 1).value().get("password").textValue()).as("an old version, under k2 alone")
                .isEqualTo("hunter2-b");
        assertThat(fresh.inScope("prod").rollback("r.a", 1).value().textValue()).isEqualTo("hunter2-prod");
    }

    @Test
    void ciphertextAlteredOrMovedWithPlainSqlDoesNotDecrypt() throws SQLException {
        ConfigStore store = store("k1:" + K1);
        store.putSecret("t.a", "hunter2-a");
        store.putSecret("t.b", "hunter2-b");

        sql("update config_entry set value = (select value from config_entry where scope = '' and key = 't.a')"
                + " where scope = '' and key = 't.b'");
        assertThatThrownBy(() -> store.get("t.b"))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.TAMPERED))
                .hasMessageContaining("config key \"t.b\"").hasMessageContaining("key id \"k1\"")
                .hasMessageContaining("copied from another config key or scope");

        ObjectNode altered = (ObjectNode) store.history("t.a").get(0).newValue().deepCopy();
        ObjectNode body = (ObjectNode) altered.get("$pgdock_secret");
        byte[] ct = Base64.getDecoder().decode(body.get("ct").textValue());
        ct[ct.length - 1] ^= 0x40;   // the last byte of the GCM tag
        body.put("ct", Base64.getEncoder().encodeToString(ct));
        sql("update config_entry set value = ?::jsonb where scope = '' and key = 't.a'", altered.toString());
        assertThatThrownBy(() -> store.get("t.a", String.class))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.TAMPERED))
                .hasMessageContaining("fails authentication");

        assertThat(store.rollback("t.a", 1).value().textValue()).as("rollback restores the ciphertext")
                .isEqualTo("hunter2-a");
    }

    @Test
    void aProcessWithoutKeysCanExplainAndRollBackButNotRead() {
        ConfigStore keyed = store("k1:" + K1);
        keyed.put("n.db", Map.of("url", "u", "password", Secret.of("hunter2-v1")));
        keyed.put("n.db", Map.of("url", "u", "password", Secret.of("hunter2-v2")));

        ConfigStore keyless = ConfigStore.postgres(storage);
        assertThatThrownBy(() -> keyless.get("n.db"))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER))
                .hasMessageContaining("config key \"n.db\"").hasMessageContaining("\"/password\"")
                .hasMessageContaining("key id \"k1\"");
        JsonNode explained = keyless.policy().explain("n.db").entry().orElseThrow().value();
        assertThat(explained.toString()).isEqualTo("{\"url\":\"u\",\"password\":\"***\"}");
        keyless.rollback("n.db", 1);
        assertThat(keyed.get("n.db").orElseThrow().get("password").textValue()).isEqualTo("hunter2-v1");
    }
}
