package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigStoreFixture.Recorder;
import io.pgdock.config.ConfigStoreFixture.TestKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of environment overrides ({@link ConfigOptions.Builder#environmentOverrides(Map, String)}):
 * which reads see a variable (entry, typed and pointer reads, list and its pages, scopes, views, snapshots, explain),
 * what writes and watches do with an overridden key, ambiguous keys refused naming both keys and the variable, and
 * secrets kept out of explain and errors. The mapping itself is tested exhaustively in {@code EnvironmentOverridesTest}.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code EnvironmentOverrides}, on the stores its subclass
 * makes ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class EnvironmentOverridesContract extends ConfigStoreTester {
    private static final String P = ConfigOptions.DEFAULT_ENVIRONMENT_PREFIX;

    private ConfigStore storeWith(Map<String, String> env) {
        return newStore(ConfigOptions.builder().environmentOverrides(env).build());
    }

    @Test
    void aTypedGetReadsTheVariableWhetherOrNotTheKeyIsStored() {
        ConfigStore store = storeWith(Map.of(P + "BATCH_SIZE", "500", P + "INGEST__MODE", "fast"));
        assertThat(store.get("batch_size", Integer.class)).contains(500);
        assertThat(store.getOrDefault("batch_size", Integer.class, 1)).isEqualTo(500);
        assertThat(store.get("ingest.mode", String.class)).contains("fast");
        ConfigEntry stored = store.put("batch_size", 1000);
        assertThat(stored.environmentVariable()).as("the write's own entry is the stored one").isEmpty();
        assertThat(store.get("batch_size", Integer.class)).as("the environment stays above the store").contains(500);
        assertThat(store.history("batch_size")).as("the write is stored").hasSize(1);
        assertThat(store.get("other")).isEmpty();
    }

    @Test
    void anEntryFromTheEnvironmentNamesItsVariableAndCarriesTheStoredVersionOfItsScope() {
        ConfigStore store = storeWith(Map.of(P + "INGEST__BATCH_SIZE", "500"));
        ConfigEntry e = store.entry("ingest.batch_size").orElseThrow();
        assertThat(e.environmentVariable()).contains("PGDOCK_VAR_INGEST__BATCH_SIZE");
        assertThat(e.variable()).isEqualTo("PGDOCK_VAR_INGEST__BATCH_SIZE");
        assertThat(e.version()).as("nothing stored").isZero();
        assertThat(e.updatedBy()).isEqualTo("environment");
        assertThat(e.scope()).isEmpty();
        assertThat(json(e.value())).isEqualTo("500");
        // A compare-and-set from it is checked against what is stored.
        store.put("ingest.batch_size", 1, e.version());
        ConfigEntry after = store.entry("ingest.batch_size").orElseThrow();
        assertThat(after.version()).isEqualTo(1);
        assertThat(json(after.value())).isEqualTo("500");
        store.put("ingest.batch_size", 2, after.version());
        assertThatThrownBy(() -> store.put("ingest.batch_size", 3, after.version()))
                .isInstanceOf(ConfigConflictException.class);
    }

    @Test
    void theVariableOverridesTheKeyInEveryScopeAndView() {
        ConfigStore store = storeWith(Map.of(P + "DB__POOL", "{\"max\": 20}"));
        store.inScope("prod").put("db.pool", Map.of("max", 5));
        ConfigStore prod = store.inScope("prod/ingest").as("ops").because("test");
        ConfigEntry e = prod.entry("db.pool").orElseThrow();
        assertThat(e.scope()).isEqualTo("prod/ingest");
        assertThat(e.version()).as("prod/ingest holds no version").isZero();
        assertThat(store.inScope("prod").entry("db.pool").orElseThrow().version()).isEqualTo(1);
        assertThat(prod.parts().get("db.pool", "/max", Integer.class)).contains(20);
        assertThat(prod.parts().get("db.pool", "/max")).map(JsonNode::asInt).contains(20);
        assertThat(prod.get("db.pool", new TypeReference<Map<String, Integer>>() { })).contains(Map.of("max", 20));
    }

    @Test
    void jsonNullFromTheEnvironmentReadsAsNotSetForTypedReads() {
        ConfigStore store = storeWith(Map.of(P + "LIMIT", "null"));
        store.put("limit", 5);
        assertThat(store.get("limit")).map(JsonNode::isNull).contains(true);
        assertThat(store.get("limit", Integer.class)).isEmpty();
    }

    @Test
    void aValueThatDoesNotBindIsABindingErrorNamingTheVariableNotTheValue() {
        ConfigStore store = storeWith(Map.of(P + "BATCH_SIZE", "fast-and-loose"));
        assertThatThrownBy(() -> store.get("batch_size", Integer.class))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("\"batch_size\"")
                .hasMessageContaining("the environment variable PGDOCK_VAR_BATCH_SIZE")
                .hasMessageNotContaining("fast-and-loose");
    }

    @Test
    void listShowsOverriddenAndEnvironmentOnlyKeysInKeyOrderOnEveryPage() {
        ConfigStore store = storeWith(Map.of(P + "APP__B", "\"env-b\"", P + "APP__D", "\"env-d\"",
                P + "APP__F", "\"env-f\"", P + "OTHER", "1"));
        for (String k : List.of("app.a", "app.b", "app.c", "app.e")) {
            store.put(k, "stored-" + k);
        }
        List<String> all = store.list("app.").stream().map(e -> e.key() + "=" + e.value().asText()
                + (e.environmentVariable().isPresent() ? " (env)" : "")).toList();
        assertThat(all).containsExactly("app.a=stored-app.a", "app.b=env-b (env)", "app.c=stored-app.c",
                "app.d=env-d (env)", "app.e=stored-app.e", "app.f=env-f (env)");
        for (int limit = 1; limit <= 7; limit++) {
            List<String> paged = new ArrayList<>();
            String after = null;
            do {
                ConfigPage page = store.list("app.", after, limit);
                assertThat(page.entries().size()).as("page size with limit %d", limit).isLessThanOrEqualTo(limit);
                page.entries().forEach(e -> paged.add(e.key() + "=" + e.value().asText()
                        + (e.environmentVariable().isPresent() ? " (env)" : "")));
                after = page.nextAfter();
            } while (after != null);
            assertThat(paged).as("pages of %d", limit).isEqualTo(all);
        }
        assertThat(store.list("app.c").stream().map(ConfigEntry::key)).containsExactly("app.c");
        assertThat(store.list("").stream().map(ConfigEntry::key)).contains("other");
    }

    @Test
    void listGivesTheVersionOfTheViewsScope() {
        ConfigStore store = storeWith(Map.of(P + "APP__X", "1"));
        store.put("app.x", 0);
        store.put("app.x", 0);
        assertThat(store.list("app.")).singleElement().satisfies(e -> assertThat(e.version()).isEqualTo(2));
        assertThat(store.inScope("prod").list("app.")).singleElement()
                .satisfies(e -> assertThat(e.version()).as("prod holds none").isZero());
    }

    @Test
    void explainNamesTheVariableAndTheStoredEntryItHides() {
        ConfigStore store = storeWith(Map.of(P + "INGEST__BATCH_SIZE", "500"));
        ConfigExplanation none = store.policy().explain("ingest.batch_size");
        assertThat(none.environmentVariable()).contains("PGDOCK_VAR_INGEST__BATCH_SIZE");
        assertThat(none.shadowed()).isEmpty();
        assertThat(none.answeredBy()).as("no scope answered").isEmpty();
        assertThat(none.toString()).contains("answered by the environment variable PGDOCK_VAR_INGEST__BATCH_SIZE")
                .contains("over nothing stored");

        store.inScope("prod").put("ingest.batch_size", 1000);
        ConfigExplanation x = store.inScope("prod/eu").policy().explain("ingest.batch_size");
        assertThat(x.consulted()).containsExactly("prod/eu", "prod", "");
        assertThat(json(x.entry().orElseThrow().value())).isEqualTo("500");
        assertThat(x.shadowed()).hasValueSatisfying(h -> {
            assertThat(h.scope()).isEqualTo("prod");
            assertThat(json(h.value())).isEqualTo("1000");
            assertThat(h.environmentVariable()).isEmpty();
        });
        assertThat(x.toString()).contains("over \"prod\" at version 1");

        assertThat(store.policy().explain("not.overridden").environmentVariable()).isEmpty();
    }

    @Test
    void anOverrideOfAStoredSecretIsNeverShown() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore store = newStore(ConfigOptions.builder().keys(keys)
                .environmentOverrides(Map.of(P + "SMTP__PASSWORD", "env-hunter2", P + "DB", "{\"password\": \"p4ss\"}"))
                .build());
        store.inScope("prod").putSecret("smtp.password", "stored-secret");
        store.put("db", Map.of("password", Secret.of("stored-p")));
        ConfigExplanation x = store.inScope("prod").policy().explain("smtp.password");
        assertThat(x.entry().orElseThrow().value().asText()).isEqualTo(Secret.REDACTED);
        assertThat(x.shadowed().orElseThrow().value().asText()).isEqualTo(Secret.REDACTED);
        assertThat(x.toString()).doesNotContain("hunter2").doesNotContain("stored-secret");
        ConfigExplanation partly = store.policy().explain("db");
        assertThat(partly.entry().orElseThrow().value().asText())
                .as("a value with any secret in it is wholly hidden").isEqualTo(Secret.REDACTED);
        // Reads return it plain, as they return secrets.
        assertThat(store.inScope("prod").get("smtp.password", String.class)).contains("env-hunter2");
        assertThatThrownBy(() -> store.inScope("prod").get("smtp.password", Integer.class))
                .hasMessageNotContaining("hunter2").hasMessageContaining("PGDOCK_VAR_SMTP__PASSWORD");
    }

    @Test
    void aKeyWhoseVariableNamesAnotherKeyIsRefusedNamingBothKeysAndTheVariable() {
        ConfigStore store = storeWith(Map.of(P + "BATCHSIZE", "500", P + "A___B", "1"));
        store.put("batchSize", 1000);
        assertThatThrownBy(() -> store.get("batchSize", Integer.class))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"batchSize\"")
                .hasMessageContaining("PGDOCK_VAR_BATCHSIZE")
                .hasMessageContaining("\"batchsize\"")
                .hasMessageContaining("letter case")
                .hasMessageNotContaining("500").hasMessageNotContaining("1000");
        assertThatThrownBy(() -> store.policy().explain("batchSize"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("PGDOCK_VAR_BATCHSIZE");
        assertThatThrownBy(() -> store.list(""))
                .as("a list that meets the key refuses it as a read does")
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("\"batchSize\"");
        assertThatThrownBy(() -> store.entry("a._b"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"a._b\"").hasMessageContaining("\"a-b\"").hasMessageContaining("PGDOCK_VAR_A___B")
                .hasMessageContaining("side by side");
        assertThat(store.get("batchsize", Integer.class)).as("the key the variable names").contains(500);
        assertThat(store.get("a-b", Integer.class)).contains(1);
        assertThat(store.get("otherKey")).as("no variable for it: read as stored").isEmpty();
        store.put("fooBar", 1);
        assertThat(store.get("fooBar", Integer.class)).as("a key with an upper-case letter, no variable set")
                .contains(1);
    }

    @Test
    void deletesAndPatchesOfAnOverriddenKeyAreStoredAndTheEnvironmentStillAnswers() {
        ConfigStore store = storeWith(Map.of(P + "APP__POOL", "{\"max\": 20}"));
        store.put("app.pool", Map.of("max", 1, "min", 1));
        store.parts().patch("app.pool", Map.of("max", 2));
        assertThat(store.history("app.pool")).hasSize(2);
        assertThat(json(store.history("app.pool").get(0).newValue())).isEqualTo("{\"max\":2,\"min\":1}");
        assertThat(store.parts().get("app.pool", "/max", Integer.class)).contains(20);
        assertThat(store.parts().get("app.pool", "/min")).as("the environment's value is the whole value").isEmpty();
        assertThat(store.delete("app.pool")).isTrue();
        assertThat(store.get("app.pool", new TypeReference<Map<String, Integer>>() { })).contains(Map.of("max", 20));
        assertThat(store.entry("app.pool").orElseThrow().version()).isZero();
    }

    @Test
    void snapshotsKeepTheEnvironmentAndTheirPrefix() {
        ConfigStore store = storeWith(Map.of(P + "INGEST__A", "1", P + "OTHER", "2"));
        store.put("ingest.a", 10);
        store.put("ingest.b", 11);
        ConfigStore snap = store.policy().snapshot("ingest.");
        store.put("ingest.b", 12);
        assertThat(snap.get("ingest.a", Integer.class)).contains(1);
        assertThat(snap.get("ingest.b", Integer.class)).contains(11);
        assertThat(snap.list("ingest.").stream().map(ConfigEntry::key)).containsExactly("ingest.a", "ingest.b");
        assertThatThrownBy(() -> snap.get("other"))
                .as("a snapshot reads its prefix only, the environment's keys too")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside this snapshot");
    }

    @Test
    void watchesDeliverChangesOfOverriddenKeysMarkedWithTheVariable() {
        ConfigStore store = storeWith(Map.of(P + "APP__LIMIT", "5"));
        Recorder seen = new Recorder();
        try (ConfigSubscription sub = store.watch("app.", seen)) {
            store.put("app.limit", 50);
            store.put("app.other", 1);
            seen.awaitChange("app.limit", 1, false);
            seen.awaitChange("app.other", 1, false);
            assertThat(sub.isOpen()).isTrue();
        }
        assertThat(seen.events()).hasSize(2).allSatisfy(e -> {
            if (e.key().equals("app.limit")) {
                assertThat(e.overriddenBy()).contains("PGDOCK_VAR_APP__LIMIT");
                assertThat(e.value()).map(JsonNode::asInt).as("the stored change itself").contains(50);
                assertThat(e.toString()).contains("overriddenBy=PGDOCK_VAR_APP__LIMIT");
            } else {
                assertThat(e.overriddenBy()).isEmpty();
            }
        });
        assertThat(store.get("app.limit", Integer.class)).contains(5);
    }

    @Test
    void importsOfAnOverriddenKeyAreStored() {
        ConfigStore store = storeWith(Map.of(P + "APP__X", "1"));
        ConfigStore source = newStore();
        source.put("app.x", 7);
        store.transfer().importFrom(source.transfer().export(""), ImportOptions.defaults());
        assertThat(store.history("app.x")).hasSize(1);
        assertThat(store.get("app.x", Integer.class)).contains(1);
    }

    @Test
    void withoutVariablesUnderThePrefixTheStoreIsAsWithoutOverrides() {
        ConfigStore store = storeWith(Map.of("UNRELATED", "x"));
        store.put("batchSize", 1);
        assertThat(store.entry("batchSize").orElseThrow().environmentVariable()).isEmpty();
        assertThat(store.policy().explain("batchSize").environmentVariable()).isEmpty();
    }
}
