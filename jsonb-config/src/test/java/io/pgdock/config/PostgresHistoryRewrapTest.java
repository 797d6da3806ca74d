package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.postgres.PostgresConfigBackend;
import io.pgdock.config.secret.SecretCodec;
import io.pgdock.config.store.ConfigBackend;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Re-encrypting history on PostgreSQL: which columns change, what the database refuses, batches that commit one by
 * one and can be run again, and writers that keep writing meanwhile. The behaviour both stores share (every version
 * readable and restorable with the new key alone) is in {@link ConfigStoreContract}.
 */
class PostgresHistoryRewrapTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final String K1 = newKey();
    private static final String K2 = newKey();
    private static final String ROW = "scope, key, id, version, kind, actor, reason, changed_at, tx";

    private static Storage storage;

    @BeforeAll
    static void open() {
        storage = Storage.open(PG.spec().toBuilder().schema("rewrap").build(),
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

    private static ConfigStore store(String keys) {
        return ConfigStore.postgres(storage, ConfigOptions.builder()
                .keys(KeyProvider.fromEnvironment(Map.of("PGDOCK_CONFIG_KEYS", keys))).build());
    }

    /** Each history row of keys starting with {@code prefix}: the given columns as text, joined by '|'. */
    private static List<String> rows(String columns, String prefix) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = storage.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
                "select concat_ws('|', " + columns + ") from config_history where key like ? order by id")) {
            s.setString(1, prefix + "%");
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static final KeyProvider BOTH = KeyProvider.fromEnvironment(Map.of("PGDOCK_CONFIG_KEYS",
            "k2:" + K2 + ",k1:" + K1));

    @Test
    void onlyOldValueAndNewValueChangeAndOnlyInsideTheirSecrets() throws SQLException {
        ConfigStore old = store("k1:" + K1);
        old.as("alice").because("set up").put("c.db", Map.of("url", "u", "password", Secret.of("hunter2-1")));
        old.put("c.db", Map.of("url", "u2", "password", Secret.of("hunter2-2"), "tags", List.of("a", "b")));
        old.delete("c.db");
        List<String> audited = rows(ROW, "c.");
        List<String> cts = rows("old_value #>> '{password,$pgdock_secret,ct}', new_value #>> '{password,$pgdock_secret,ct}'",
                "c.");
        List<String> outlines = rows("(select string_agg(o.path::text || '=' || o.what::text, ',' order by o.path)"
                + " from pgdock_config_value_outline(old_value) o), (select string_agg(o.path::text || '=' ||"
                + " o.what::text, ',' order by o.path) from pgdock_config_value_outline(new_value) o)", "c.");

        assertThat(store("k2:" + K2 + ",k1:" + K1).policy().reencrypt("c.")).as("a deleted key: its 3 history rows")
                .isEqualTo(new ReencryptResult(0, 3));

        assertThat(rows(ROW, "c.")).as("id, scope, key, version, kind, actor, reason, changed_at, tx").hasSize(3)
                .isEqualTo(audited);
        assertThat(rows(ROW, "c.").get(0)).contains("alice").contains("set up");
        assertThat(outlines).as("the values outside their secrets").isEqualTo(rows("(select string_agg(o.path::text"
                + " || '=' || o.what::text, ',' order by o.path) from pgdock_config_value_outline(old_value) o),"
                + " (select string_agg(o.path::text || '=' || o.what::text, ',' order by o.path)"
                + " from pgdock_config_value_outline(new_value) o)", "c."));
        assertThat(rows("old_value #>> '{password,$pgdock_secret,kid}', new_value #>> '{password,$pgdock_secret,kid}'",
                "c.")).containsExactly("k2", "k2|k2", "k2");
        assertThat(rows("old_value #>> '{password,$pgdock_secret,ct}', new_value #>> '{password,$pgdock_secret,ct}'",
                "c.")).as("the ciphertext is bound to its key id, so it is made anew").doesNotContainAnyElementsOf(cts);

        ConfigStore fresh = store("k2:" + K2);
        fresh.rollback("c.db", 1);
        assertThat(fresh.get("c.db").orElseThrow().get("password").textValue()).isEqualTo("hunter2-1");
        fresh.rollback("c.db", 2);
        assertThat(fresh.get("c.db").orElseThrow().get("password").textValue()).isEqualTo("hunter2-2");
    }

    @Test
    void theDatabaseRefusesARewriteThatChangesAnythingOutsideTheSecrets() throws SQLException {
        ConfigStore old = store("k1:" + K1);
        old.put("g.db", Map.of("url", "u", "password", Secret.of("hunter2-g")));
        JsonNode stored = old.history("g.db").get(0).newValue();
        long id;
        try (Connection c = storage.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
                "select id from config_history where key = 'g.db'"); ResultSet rs = s.executeQuery()) {
            rs.next();
            id = rs.getLong(1);
        }
        ObjectNode otherUrl = stored.deepCopy();
        otherUrl.put("url", "forged");
        ObjectNode secretMoved = stored.deepCopy();
        secretMoved.set("url", stored.get("password"));
        secretMoved.put("password", "u");
        ObjectNode extraMember = stored.deepCopy();
        extraMember.put("admin", true);
        ObjectNode reencrypted = (ObjectNode) SecretCodec.reseal(BOTH, "", "g.db", stored);

        for (ObjectNode forged : List.of(otherUrl, secretMoved, extraMember)) {
            SQLException e = catchThrowableOfType(SQLException.class, () -> rewrap("", "g.db", id, null,
                    forged.toString()));
            assertThat(e.getSQLState()).as(forged.toString()).isEqualTo("23514");
            assertThat(e.getMessage()).contains("history row " + id).contains("\"g.db\"").contains("new_value")
                    .contains("only secret envelopes may be rewritten").doesNotContain("hunter2");
        }
        assertThat(catchThrowableOfType(SQLException.class, () -> rewrap("", "g.db", id, "{}", reencrypted.toString()))
                .getSQLState()).as("a value where there was none").isEqualTo("23514");
        assertThat(old.history("g.db").get(0).newValue()).as("nothing written").isEqualTo(stored);

        assertThat(rewrap("", "g.db", id, null, reencrypted.toString())).isTrue();
        assertThat(rewrap("", "g.db", id + 1000, null, reencrypted.toString())).as("no such row").isFalse();
        assertThat(store("k2:" + K2).rollback("g.db", 1).value().get("password").textValue()).isEqualTo("hunter2-g");
    }

    private static boolean rewrap(String scope, String key, long id, String oldValue, String newValue)
            throws SQLException {
        try (Connection c = storage.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
                "select pgdock_config_history_rewrap(?, ?, ?, ?::jsonb, ?::jsonb)")) {
            s.setString(1, scope);
            s.setString(2, key);
            s.setLong(3, id);
            s.setString(4, oldValue);
            s.setString(5, newValue);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    @Test
    void batchesCommitOneByOneSoAStoppedRunIsRunAgainWhereItStopped() throws SQLException {
        ConfigStore old = store("k1:" + K1);
        for (int i = 0; i < 5; i++) {
            old.putSecret("b.k" + i, "hunter2-" + i);   // one history row each
        }
        ConfigBackend backend = PostgresConfigBackend.create(storage);
        AtomicInteger calls = new AtomicInteger();
        ConfigBackend.HistoryRewrap failingAtTheFifth = (s, k, v, column, value) -> {
            if (calls.incrementAndGet() == 5) {
                throw new IllegalStateException("stopped at " + k);
            }
            return SecretCodec.reseal(BOTH, s, k, value);
        };

        assertThatThrownBy(() -> backend.rewrapHistory("", "b.", failingAtTheFifth, 2))
                .isInstanceOf(IllegalStateException.class).hasMessage("stopped at b.k4");
        assertThat(rows("new_value #>> '{$pgdock_secret,kid}'", "b."))
                .as("batches [b.k0, b.k1] and [b.k2, b.k3] committed; [b.k4] rolled back")
                .containsExactly("k2", "k2", "k2", "k2", "k1");

        assertThat(store("k2:" + K2 + ",k1:" + K1).policy().reencrypt("b.")).as("the rerun, a whole reencrypt: the 5"
                + " current values (still under k1); in history b.k4's v1 alone of the old rows, and the old_value of"
                + " each of the 5 new v2 rows").isEqualTo(new ReencryptResult(5, 6));
        assertThat(rows("old_value #>> '{$pgdock_secret,kid}', new_value #>> '{$pgdock_secret,kid}'", "b."))
                .hasSize(10).containsOnly("k2", "k2|k2");
    }

    @Test
    void aWriterIsNotBlockedByABatchInProgress() throws Exception {
        ConfigStore old = store("k1:" + K1);
        old.putSecret("w.k", "hunter2-w1");
        ConfigStore writer = store("k2:" + K2 + ",k1:" + K1).as("writer");
        ConfigBackend backend = PostgresConfigBackend.create(storage);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            List<Future<ConfigEntry>> written = new ArrayList<>();
            long rewritten = backend.rewrapHistory("", "w.", (s, k, v, column, value) -> {
                // Inside the batch's transaction, after its SELECT: another process writes the same key.
                written.add(pool.submit(() -> writer.putSecret("w.k", "hunter2-w2")));
                try {
                    written.get(0).get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError("the writer did not finish while the batch was open", e);
                }
                return SecretCodec.reseal(BOTH, s, k, value);
            }, 500);
            assertThat(rewritten).isEqualTo(1);
            assertThat(written.get(0).get().version()).isEqualTo(2);
        } finally {
            pool.shutdownNow();
        }
        assertThat(rows("version, actor, old_value #>> '{$pgdock_secret,kid}', new_value #>> '{$pgdock_secret,kid}'",
                "w.")).as("v1 rewrapped; the writer's v2 written under k2 with v1's value as it was then")
                .hasSize(2).element(0).asString().startsWith("1|").endsWith("|k2");
        assertThat(store("k2:" + K2 + ",k1:" + K1).policy().reencrypt("w.")).as("v2's old_value, under k1")
                .isEqualTo(new ReencryptResult(0, 1));
        assertThat(store("k2:" + K2).rollback("w.k", 1).value().textValue()).isEqualTo("hunter2-w1");
    }
}
