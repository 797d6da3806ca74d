package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ConfigStoreFixture.Db;
import io.pgdock.config.ConfigStoreFixture.Limits;
import io.pgdock.config.ConfigStoreFixture.SealedDb;
import io.pgdock.config.ConfigStoreFixture.TestKeys;
import io.pgdock.config.secret.SecretCodec;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of secrets: values and fields written encrypted, read plain. Envelopes, secret fields in
 * maps, records and trees, missing or altered keys, re-encryption to the current key (history included), and
 * redaction everywhere a value is printed.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Secrets}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class SecretsContract extends ConfigStoreTester {
    @Test
    void aWholeValueStoredAsASecretReadsBackPlainAndIsStoredEncrypted() {
        ConfigStore store = newStore(new TestKeys("k1"));

        ConfigEntry written = store.putSecret("smtp.password", "hunter2-secret");

        assertThat(written.value().textValue()).as("putSecret returns the plain value").isEqualTo("hunter2-secret");
        assertThat(store.entry("smtp.password")).contains(written);
        assertThat(store.get("smtp.password", String.class)).contains("hunter2-secret");
        assertThat(store.list("smtp.")).containsExactly(written);
        JsonNode stored = stored(store, "smtp.password");
        assertThat(Secret.isEncrypted(stored)).as("stored form %s", stored).isTrue();
        JsonNode body = stored.get("$pgdock_secret");
        assertThat(body.get("v").intValue()).isEqualTo(1);
        assertThat(body.get("kid").textValue()).isEqualTo("k1");
        assertThat(body.get("alg").textValue()).isEqualTo("A256GCM");
        assertThat(java.util.Base64.getDecoder().decode(body.get("dek").textValue())).hasSize(40);
        assertThat(java.util.Base64.getDecoder().decode(body.get("iv").textValue())).hasSize(12);
        assertThat(stored.toString()).doesNotContain("hunter2");
        store.putSecret("smtp.password", "hunter2-secret");
        assertThat(stored(store, "smtp.password").get("$pgdock_secret").get("ct"))
                .as("a fresh data key and nonce per write").isNotEqualTo(body.get("ct"));
    }

    @Test
    void secretFieldsInMapsRecordsAndTreesAreEncryptedAloneAndBindWhenRead() {
        ConfigStore store = newStore(new TestKeys("k1"));
        store.put("db.map", Map.of("url", "jdbc:postgresql://db/app", "password", Secret.of("hunter2-secret")));
        store.put("db.record", new SealedDb("jdbc:postgresql://db/app", Secret.of("hunter2-secret")));
        ObjectNode tree = NODES.objectNode().put("url", "jdbc:postgresql://db/app");
        tree.putPOJO("password", Secret.of("hunter2-secret"));
        String before = tree.toString();
        store.put("db.tree", tree);
        assertThat(tree.toString()).as("the caller's tree is left alone").isEqualTo(before);

        for (String key : List.of("db.map", "db.record", "db.tree")) {
            assertThat(store.get(key, Db.class)).as(key).contains(new Db("jdbc:postgresql://db/app", "hunter2-secret"));
            assertThat(store.get(key, SealedDb.class).orElseThrow().password().revealText()).isEqualTo("hunter2-secret");
            JsonNode stored = stored(store, key);
            assertThat(stored.get("url").textValue()).as(key + ": other fields stay plain").isEqualTo("jdbc:postgresql://db/app");
            assertThat(Secret.isEncrypted(stored.get("password"))).as(key + ": %s", stored).isTrue();
            assertThat(stored.toString()).doesNotContain("hunter2");
        }
    }

    /** A value whose serialization also writes a secret with a mapper of its own, as a careless getter might. */
    public static final class WritesASecretElsewhere {
        private final List<String> elsewhere;

        WritesASecretElsewhere(List<String> elsewhere) {
            this.elsewhere = elsewhere;
        }

        public String getUrl() throws JsonProcessingException {
            elsewhere.add(new ObjectMapper().writeValueAsString(Secret.of("not-for-this-write")));
            return "jdbc:postgresql://db/app";
        }

        public Secret getPassword() {
            return Secret.of("hunter2-secret");
        }
    }

    @Test
    void onlyTheStoresOwnMappingOfAWriteSealsItsSecretsNotAnotherMappingOnTheSameThread() {
        ConfigStore store = newStore(new TestKeys("k1"));
        List<String> elsewhere = new ArrayList<>();

        store.put("db.bean", new WritesASecretElsewhere(elsewhere));

        assertThat(elsewhere).as("the other mapper's output, written during the store's mapping").containsExactly(
                "\"***\"");
        assertThat(store.get("db.bean", Db.class)).contains(new Db("jdbc:postgresql://db/app", "hunter2-secret"));
        assertThat(Secret.isEncrypted(stored(store, "db.bean").get("password"))).isTrue();
    }

    @Test
    void aSecretInAPatchIsSealedAndReplacesTheOldOne() {
        ConfigStore store = newStore(ConfigOptions.builder().keys(new TestKeys("k1"))
                .schema("db", "{\"properties\": {\"password\": {\"type\": \"string\", \"minLength\": 8}}}").build());
        store.put("db", Map.of("url", "db://a", "password", Secret.of("old-password")));

        ConfigEntry patched = store.parts().patch("db", Map.of("password", Secret.of("new-password")));

        assertThat(patched.value().get("password").textValue()).as("returned plain, as put returns").isEqualTo(
                "new-password");
        assertThat(store.get("db", Db.class).orElseThrow().password()).isEqualTo("new-password");
        assertThat(Secret.isEncrypted(stored(store, "db").get("password"))).isTrue();
        assertThat(stored(store, "db").toString()).doesNotContain("new-password").doesNotContain("***");
        // A patch of another member: the schema sees the secret's plain value, not its envelope.
        assertThat(store.parts().patch("db", Map.of("url", "db://b")).value().get("url").textValue()).isEqualTo("db://b");
        assertThatThrownBy(() -> store.parts().patch("db", Map.of("password", Secret.of("short"))))
                .isInstanceOf(InvalidConfigException.class)
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("short"));
        assertThat(store.get("db", Db.class).orElseThrow().password()).isEqualTo("new-password");
    }

    @Test
    void anyJsonValueCanBeASecretAndTheSchemaSeesItPlain() {
        ConfigStore store = newStore(ConfigOptions.builder().keys(new TestKeys("k1"))
                .schema("db.", "{\"properties\": {\"password\": {\"type\": \"string\", \"minLength\": 8}}}").build());
        store.put("db.a", Map.of("password", Secret.of("long-enough")));
        assertThatThrownBy(() -> store.put("db.b", Map.of("password", Secret.of("short"))))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("db.b")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("short"));
        assertThat(store.get("db.b")).isEmpty();
        store.putSecret("n.object", Map.of("a", List.of(1, new BigDecimal("2.50"), true), "b", "x"));
        store.putSecret("n.null", null);
        assertThat(store.get("n.object").orElseThrow().toString()).isEqualTo("{\"a\":[1,2.50,true],\"b\":\"x\"}");
        assertThat(store.get("n.null").orElseThrow().isNull()).isTrue();
        assertThat(Secret.isEncrypted(stored(store, "n.null"))).isTrue();
    }

    @Test
    void aSecretCannotBeWrittenWithoutAKeyProvider() {
        ConfigStore store = newStore();
        assertThatThrownBy(() -> store.putSecret("smtp.password", "hunter2-secret"))
                .isInstanceOfSatisfying(ConfigSecretException.class, e -> {
                    assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER);
                    assertThat(e.key()).isEqualTo("smtp.password");
                })
                .hasMessageContaining("smtp.password").hasMessageContaining("KeyProvider")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("hunter2"));
        assertThat(store.get("smtp.password")).as("nothing written").isEmpty();
        assertThatThrownBy(() -> store.policy().reencrypt("smtp."))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER))
                .hasMessageStartingWith("reencrypt(\"smtp.\") in scope \"\": the store has no KeyProvider");
    }

    @Test
    void readingASecretWithoutTheKeyFailsNamingTheKeyAndKeyId() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore keyed = newStore(keys);
        keyed.put("db", Map.of("url", "u", "password", Secret.of("hunter2-secret")));
        String stored = stored(keyed, "db").toString();

        // The same ciphertext in a store with no key provider: kept as it is, not readable.
        ConfigStore keyless = newStore();
        keyless.putJson("db", stored);
        assertThatThrownBy(() -> keyless.get("db"))
                .isInstanceOfSatisfying(ConfigSecretException.class, e -> {
                    assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER);
                    assertThat(e.keyId()).isEqualTo("k1");
                })
                .hasMessageContaining("config key \"db\"").hasMessageContaining("\"/password\"")
                .hasMessageContaining("\"k1\"");
        assertThatThrownBy(() -> keyless.get("db", Db.class))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER))
                .hasMessageContaining("config key \"db\"").hasMessageContaining("no KeyProvider");
        assertThatThrownBy(() -> keyless.list(""))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.NO_KEY_PROVIDER))
                .hasMessageContaining("config key \"db\"").hasMessageContaining("no KeyProvider");
        assertThat(keyless.policy().explain("db").entry().orElseThrow().value().get("password").textValue())
                .as("explain needs no key and shows the secret redacted").isEqualTo("***");
        assertThat(keyless.history("db")).hasSize(1);

        // The key id gone from the provider.
        keys.keys.clear();
        keys.add("k2").current = "k2";
        assertThatThrownBy(() -> keyed.get("db"))
                .isInstanceOfSatisfying(ConfigSecretException.class, e -> {
                    assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.UNKNOWN_KEY_ID);
                    assertThat(e.keyId()).isEqualTo("k1");
                    assertThat(e.key()).isEqualTo("db");
                })
                .hasMessageContaining("config key \"db\"").hasMessageContaining("key id \"k1\"")
                .hasMessageContaining("does not have");

        // Other key material under the same id.
        keys.add("k1");
        assertThatThrownBy(() -> keyed.get("db"))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.WRONG_KEY))
                .hasMessageContaining("config key \"db\"").hasMessageContaining("key id \"k1\"");
    }

    @Test
    void alteredOrCopiedCiphertextFailsAuthentication() {
        ConfigStore store = newStore(new TestKeys("k1"));
        store.putSecret("db.password", "hunter2-secret");
        ObjectNode stored = (ObjectNode) stored(store, "db.password");

        ObjectNode altered = stored.deepCopy();
        ObjectNode body = (ObjectNode) altered.get("$pgdock_secret");
        byte[] ct = java.util.Base64.getDecoder().decode(body.get("ct").textValue());
        ct[0] ^= 1;
        body.put("ct", java.util.Base64.getEncoder().encodeToString(ct));
        assertThatThrownBy(() -> store.putJson("db.password", altered.toString()))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.TAMPERED))
                .hasMessageContaining("db.password").hasMessageContaining("fails authentication");

        assertThatThrownBy(() -> store.putJson("db.other", stored.toString()))
                .as("copied to another key").isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.TAMPERED));
        assertThatThrownBy(() -> store.inScope("prod").putJson("db.password", stored.toString()))
                .as("copied to another scope").isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.TAMPERED))
                .hasMessageContaining("in scope \"prod\"");
        ObjectNode relabelled = stored.deepCopy();
        ((ObjectNode) relabelled.get("$pgdock_secret")).put("kid", "k2");
        assertThat(store.get("db.password", String.class)).contains("hunter2-secret");

        ConfigStore twoKeys = newStore(new TestKeys("k1", "k2"));
        assertThatThrownBy(() -> twoKeys.putJson("db.password", relabelled.toString()))
                .as("relabelled with another key id").isInstanceOf(ConfigSecretException.class)
                .hasMessageContaining("\"k2\"");
        ObjectNode broken = stored.deepCopy();
        ((ObjectNode) broken.get("$pgdock_secret")).put("iv", "not base64!");
        assertThatThrownBy(() -> store.putJson("db.password", broken.toString()))
                .isInstanceOfSatisfying(ConfigSecretException.class,
                        e -> assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.MALFORMED))
                .hasMessageContaining("\"iv\"");
        assertThat(store.entry("db.password").orElseThrow().version()).as("nothing written").isEqualTo(1);
    }

    @Test
    void reencryptMovesSecretsToTheCurrentKeyThroughTheWritePath() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore store = newStore(keys);
        store.putSecret("app.token", "hunter2-token");
        store.put("app.db", Map.of("url", "u", "password", Secret.of("hunter2-db")));
        store.put("app.plain", 5);
        store.put("other.token", Secret.of("hunter2-other"));
        store.inScope("prod").putSecret("app.token", "hunter2-prod");

        keys.add("k2").current = "k2";
        store.putSecret("app.new", "hunter2-new");
        assertThat(store.inScope("prod/x").policy().reencrypt("").total()).as("a scope below prod holds nothing").isZero();
        assertThat(store.policy().reencrypt("app.").values()).as("rewritten under k2, in the root scope and in prod")
                .isEqualTo(3);

        assertThat(stored(store, "app.token").get("$pgdock_secret").get("kid").textValue()).isEqualTo("k2");
        assertThat(stored(store, "app.db").get("password").get("$pgdock_secret").get("kid").textValue()).isEqualTo("k2");
        ConfigChange change = store.history("app.token").get(0);
        assertThat(change.version()).isEqualTo(2);
        assertThat(change.reason()).isEqualTo("re-encrypt secrets under key id k2");
        assertThat(store.entry("app.plain").orElseThrow().version()).as("plain values untouched").isEqualTo(1);
        assertThat(store.entry("app.new").orElseThrow().version()).as("already under k2").isEqualTo(1);
        assertThat(stored(store, "other.token").get("$pgdock_secret").get("kid").textValue()).as("outside the prefix")
                .isEqualTo("k1");
        assertThat(store.policy().reencrypt("app.").total()).as("nothing left to do").isZero();
        store.inScope("prod").put("other.token", Secret.of("hunter2-prod-other"));
        store.inScope("prodx").put("other.token", Secret.of("hunter2-prodx-other"));
        keys.current = "k1";
        store.inScope("prod").put("other.old", Secret.of("hunter2-prod-old"));
        store.inScope("prodx").put("other.old", Secret.of("hunter2-prodx-old"));
        keys.current = "k2";
        assertThat(store.inScope("prod").policy().reencrypt("").values()).as("prod's own values, not prodx's")
                .isEqualTo(1);
        assertThat(stored(store.inScope("prodx"), "other.old").at("/$pgdock_secret/kid").textValue()).isEqualTo("k1");
        assertThat(keyIds(store.inScope("prodx").history("other.old"))).as("prodx's history is not below prod")
                .containsOnly("k1");
        assertThat(keyIds(store.inScope("prod").history("other.old"))).as("prod's history: v1, and v2's old and new")
                .containsExactly("k2", "k2", "k2");
        assertThat(store.policy().reencrypt("").values()).as("the root's rest, and prodx").isEqualTo(2);

        keys.keys.remove("k1");
        assertThat(store.get("app.token", String.class)).contains("hunter2-token");
        assertThat(store.get("app.db", Db.class)).contains(new Db("u", "hunter2-db"));
        assertThat(store.inScope("prod").get("app.token", String.class)).contains("hunter2-prod");
        assertThat(store.get("other.token", String.class)).contains("hunter2-other");
        assertThat(store.rollback("app.token", 1).version()).as("history was re-encrypted too").isEqualTo(3);
        assertThat(store.get("app.token", String.class)).contains("hunter2-token");
    }

    @Test
    void keyRetirementCoversHistorySoEveryVersionReadsAndRollsBackUnderTheNewKeyAlone() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore store = newStore(keys);
        store.as("alice").because("first").putSecret("svc.token", "hunter2-v1");
        store.as("bob").put("svc.token", Map.of("user", "u", "password", Secret.of("hunter2-v2"), "n", List.of(1, 2)));
        store.put("svc.token", 7);
        store.putSecret("svc.gone", "hunter2-gone");
        store.delete("svc.gone");
        store.inScope("prod").putSecret("svc.token", "hunter2-prod");
        store.put("other.token", Secret.of("hunter2-other"));
        List<ConfigChange> before = store.history("svc.token");
        List<ConfigChange> goneBefore = store.history("svc.gone");

        keys.add("k2").current = "k2";
        ReencryptResult result = store.policy().reencrypt("svc.");

        assertThat(result.values()).as("prod's svc.token; the root's is plain now, svc.gone is deleted").isEqualTo(1);
        assertThat(result.historyRows()).as("svc.token v1-v3, svc.gone's CREATE and DELETE, prod's v1 and v2")
                .isEqualTo(7);
        assertThat(store.policy().reencrypt("svc.")).as("restartable: nothing left").isEqualTo(new ReencryptResult(0, 0));
        assertThat(audited(store.history("svc.token"))).as("version, kind, actor, reason, time and the values outside"
                + " their secrets are unchanged").isEqualTo(audited(before));
        assertThat(audited(store.history("svc.gone"))).isEqualTo(audited(goneBefore));
        assertThat(keyIds(store.history("svc.token"))).containsOnly("k2").hasSize(4);
        assertThat(keyIds(store.history("svc.gone"))).containsOnly("k2").hasSize(2);
        assertThat(keyIds(store.inScope("prod").history("svc.token"))).containsOnly("k2").hasSize(3);
        assertThat(keyIds(store.history("other.token"))).as("outside the prefix").containsOnly("k1");

        keys.keys.remove("k1");
        store.rollback("svc.token", 1);
        assertThat(store.get("svc.token", String.class)).contains("hunter2-v1");
        store.rollback("svc.token", 2);
        assertThat(store.get("svc.token").orElseThrow().get("password").textValue()).isEqualTo("hunter2-v2");
        store.rollback("svc.gone", 1);
        assertThat(store.get("svc.gone", String.class)).as("a deleted key's history too").contains("hunter2-gone");
        store.inScope("prod").rollback("svc.token", 1);
        assertThat(store.inScope("prod").get("svc.token", String.class)).contains("hunter2-prod");
    }

    @Test
    void reencryptNamesTheHistoryRowWhoseKeyIsMissingAndRunsAgainOnceItIsThere() {
        TestKeys keys = new TestKeys("k0");
        ConfigStore store = newStore(keys);
        store.putSecret("svc.token", "hunter2-v1");
        keys.add("k1").current = "k1";
        store.putSecret("svc.token", "hunter2-v2");
        javax.crypto.SecretKey k0 = keys.keys.remove("k0");
        keys.add("k2").current = "k2";

        assertThatThrownBy(() -> store.policy().reencrypt(""))
                .isInstanceOfSatisfying(ConfigSecretException.class, e -> {
                    assertThat(e.problem()).isEqualTo(ConfigSecretException.Problem.UNKNOWN_KEY_ID);
                    assertThat(e.keyId()).isEqualTo("k0");
                })
                .hasMessageContaining("svc.token").hasMessageContaining("new_value of version 1")
                .hasMessageContaining("\"k0\"");
        assertThat(store.history("svc.token").get(0).version()).as("the current value was rewritten first")
                .isEqualTo(3);

        keys.keys.put("k0", k0);
        assertThat(store.policy().reencrypt("").historyRows()).as("v1 new, v2 old/new, v3 old").isEqualTo(3);
        assertThat(keyIds(store.history("svc.token"))).containsOnly("k2");
    }

    /** The history with every secret redacted: what an audit of it shows, which re-encryption must not change. */
    private static List<List<Object>> audited(List<ConfigChange> history) {
        List<List<Object>> out = new java.util.ArrayList<>();
        for (ConfigChange c : history) {
            out.add(java.util.Arrays.asList(c.version(), c.kind(), c.actor(), c.reason(), c.changedAt(),
                    c.oldValue() == null ? null : SecretCodec.redact(c.oldValue()),
                    c.newValue() == null ? null : SecretCodec.redact(c.newValue())));
        }
        return out;
    }

    /** The key id of every secret in a history's old and new values. */
    private static List<String> keyIds(List<ConfigChange> history) {
        List<String> ids = new java.util.ArrayList<>();
        for (ConfigChange c : history) {
            for (JsonNode v : java.util.Arrays.asList(c.oldValue(), c.newValue())) {
                if (v != null) {
                    v.findValues("$pgdock_secret").forEach(body -> ids.add(body.get("kid").textValue()));
                }
            }
        }
        return ids;
    }

    @Test
    void reencryptReadsAgainAValueWrittenWhileItWorks() {
        TestKeys keys = new TestKeys("k1");
        AtomicReference<Runnable> onLookup = new AtomicReference<>();
        KeyProvider hooked = new KeyProvider() {
            @Override
            public String currentKeyId() {
                return keys.currentKeyId();
            }

            @Override
            public Optional<javax.crypto.SecretKey> key(String keyId) {
                Runnable hook = onLookup.getAndSet(null);
                if (hook != null) {
                    hook.run();   // another writer lands between reencrypt's read and its write
                }
                return keys.key(keyId);
            }
        };
        ConfigStore store = newStore(hooked);
        store.putSecret("app.token", "hunter2-v1");
        keys.add("k2").current = "k2";
        ConfigStore other = store.as("other-writer");
        onLookup.set(() -> {   // the other writer still encrypts under k1
            keys.current = "k1";
            other.putSecret("app.token", "hunter2-v2");
            keys.current = "k2";
        });

        assertThat(store.policy().reencrypt("")).as("the value once; then its three history rows, v1 to v3, which the"
                + " other writer's and reencrypt's writes left under k1").isEqualTo(new ReencryptResult(1, 3));

        List<ConfigChange> history = store.history("app.token");
        assertThat(history).extracting(ConfigChange::version).containsExactly(3L, 2L, 1L);
        assertThat(history.get(1).actor()).isEqualTo("other-writer");
        assertThat(history.get(0).newValue().at("/$pgdock_secret/kid").textValue()).isEqualTo("k2");
        assertThat(store.get("app.token", String.class)).as("the other writer's value, re-encrypted").contains("hunter2-v2");
    }

    @Test
    void secretsNeverShowInToStringsExplanationsOrErrors() {
        ConfigStore store = newStore(new TestKeys("k1"));
        ConfigEntry e = store.put("db", new SealedDb("jdbc:postgresql://db/app", Secret.of("hunter2-secret")));
        String ct = stored(store, "db").get("password").get("$pgdock_secret").get("ct").textValue();
        List<String> printed = new ArrayList<>();
        printed.add(e.toString());
        printed.add(store.entry("db").orElseThrow().toString());
        printed.add(store.history("db").get(0).toString());
        printed.add(store.policy().explain("db").toString());
        printed.add(store.policy().explain("db").entry().orElseThrow().value().toString());
        printed.add(store.toString());
        printed.add(Secret.of("hunter2-secret").toString());
        printed.add(new SealedDb("u", Secret.of("hunter2-secret")).toString());
        printed.add(catchThrowable(() -> store.get("db", Limits.class)).getMessage());
        printed.add(catchThrowable(() -> store.get("db", Integer.class)).getMessage());
        try {
            printed.add(new ObjectMapper().writeValueAsString(new SealedDb("u", Secret.of("hunter2-secret"))));
        } catch (JsonProcessingException ex) {
            throw new UncheckedIOException(ex);
        }
        assertThat(printed).allSatisfy(p -> assertThat(p).doesNotContain("hunter2").doesNotContain(ct));
        assertThat(store.policy().explain("db").entry().orElseThrow().value().get("password").textValue()).isEqualTo("***");
        assertThat(printed.get(printed.size() - 1)).contains("\"password\":\"***\"");
        assertThat(Secret.redact(stored(store, "db")).toString()).isEqualTo("{\"url\":\"jdbc:postgresql://db/app\","
                + "\"password\":\"***\"}");
    }

    @Test
    void aSecretCannotHoldAnotherSecret() {
        assertThatThrownBy(() -> Secret.of(Map.of("inner", Secret.of("x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another Secret");
        assertThat(Secret.of(Secret.of("x")).revealText()).isEqualTo("x");
        assertThatThrownBy(() -> Secret.of(5).revealText()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("NUMBER");
    }
}
