package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.config.ConfigStoreFixture.Limits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of history, actor, reason and rollback. What each change records, the views
 * {@link ConfigStore#as as} and {@link ConfigStore#because because}, rollback (across deletes too), and values never
 * printed.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code History}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class HistoryContract extends ConfigStoreTester {
    @Test
    void historyRecordsEveryChangeNewestFirstWithWhoAndWhy() {
        ConfigStore store = newStore();
        store.as("alice").because("first batch size").put("ingest.batch_size", 1000);
        store.as("bob").put("ingest.batch_size", 5000);
        store.as("carol").because("no longer needed").delete("ingest.batch_size");
        store.as("dave").putJson("ingest.batch_size", "7");

        List<ConfigChange> history = store.history("ingest.batch_size");

        assertThat(history).as("history").hasSize(4);
        assertThat(history).extracting(ConfigChange::kind).containsExactly(ConfigChange.Kind.CREATE,
                ConfigChange.Kind.DELETE, ConfigChange.Kind.UPDATE, ConfigChange.Kind.CREATE);
        assertThat(history).extracting(ConfigChange::version).as("versions").containsExactly(3L, 2L, 2L, 1L);
        assertThat(history).extracting(ConfigChange::actor).containsExactly("dave", "carol", "bob", "alice");
        assertThat(history).extracting(ConfigChange::reason)
                .containsExactly(null, "no longer needed", null, "first batch size");
        assertThat(history).allSatisfy(c -> {
            assertThat(c.scope()).isEmpty();
            assertThat(c.key()).isEqualTo("ingest.batch_size");
            assertThat(c.changedAt()).isNotNull();
        });
        assertThat(history).extracting(c -> c.before().map(ConfigStoreTester::json).orElse("-"))
                .as("old values").containsExactly("-", "5000", "1000", "-");
        assertThat(history).extracting(c -> c.after().map(ConfigStoreTester::json).orElse("-"))
                .as("new values").containsExactly("7", "-", "5000", "1000");
        assertThat(history.get(1).why()).contains("no longer needed");
        assertThat(store.entry("ingest.batch_size").orElseThrow().updatedBy()).isEqualTo("dave");
    }

    @Test
    void theActorIsRecordedOnTheEntry() {
        ConfigStore store = newStore();

        ConfigEntry byDefault = store.put("ingest.batch_size", 1);
        ConfigEntry byOps = store.as("ops-oncall").put("ingest.batch_size", 2);

        assertThat(byDefault.updatedBy()).as("default actor").isNotBlank().isNotEqualTo("ops-oncall");
        assertThat(byOps.updatedBy()).isEqualTo("ops-oncall");
        assertThat(store.entry("ingest.batch_size").orElseThrow().updatedBy()).isEqualTo("ops-oncall");
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::actor)
                .containsExactly("ops-oncall", byDefault.updatedBy());
    }

    @Test
    void viewsLeaveTheStoreItselfUnchanged() {
        ConfigStore store = newStore();
        ConfigStore ops = store.as("ops-oncall").because("raise batch size");
        ConfigStore prod = store.inScope("prod");

        ConfigEntry plain = store.put("ingest.batch_size", 1);
        ops.put("ingest.batch_size", 2);
        ConfigEntry again = store.put("ingest.batch_size", 3);

        assertThat(store.scope()).isEmpty();
        assertThat(prod.scope()).isEqualTo("prod");
        assertThat(ops.scope()).isEmpty();
        assertThat(again.scope()).as("a write through the store after inScope").isEmpty();
        assertThat(again.updatedBy()).as("actor after as(..)").isEqualTo(plain.updatedBy());
        assertThat(store.history("ingest.batch_size")).extracting(ConfigChange::reason)
                .as("reasons, newest first").containsExactly(null, "raise batch size", null);
        assertThat(store.as("x").because("y").inScope("prod").as("z").scope()).isEqualTo("prod");
    }

    @Test
    void actorsAndReasonsAreValidated() {
        ConfigStore store = newStore();

        for (String actor : List.of("", "  ", "a\nb", "x".repeat(201))) {
            assertThatThrownBy(() -> store.as(actor)).as("as(%s)", actor)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("actor");
        }
        for (String reason : List.of("", " ", "x".repeat(1001), "a\0b")) {
            assertThatThrownBy(() -> store.because(reason)).as("because(%s)", reason)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reason");
        }
        assertThatThrownBy(() -> store.as(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("actor");
        assertThatThrownBy(() -> store.because(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("reason");
        assertThat(store.as("x".repeat(200)).because("y".repeat(1000)).put("k", 1).updatedBy())
                .isEqualTo("x".repeat(200));
        assertThat(store.history("k").get(0).reason()).isEqualTo("y".repeat(1000));
    }

    @Test
    void rollbackWritesAnOldValueAsANewVersion() {
        ConfigStore store = newStore();
        store.put("ingest.limits", Map.of("max", 1));
        store.put("ingest.limits", Map.of("max", 2));
        store.put("ingest.limits", Map.of("max", 3));

        ConfigEntry rolledBack = store.as("ops").because("undo").rollback("ingest.limits", 1);

        assertThat(rolledBack.version()).as("version of the rollback").isEqualTo(4);
        assertThat(json(rolledBack.value())).isEqualTo("{\"max\":1}");
        assertThat(rolledBack.updatedBy()).isEqualTo("ops");
        assertThat(store.get("ingest.limits", Limits.class)).contains(new Limits(1, null));
        ConfigChange newest = store.history("ingest.limits").get(0);
        assertThat(newest.kind()).isEqualTo(ConfigChange.Kind.UPDATE);
        assertThat(newest.version()).isEqualTo(4);
        assertThat(json(newest.oldValue())).isEqualTo("{\"max\":3}");
        assertThat(json(newest.newValue())).isEqualTo("{\"max\":1}");
        assertThat(newest.reason()).isEqualTo("undo");
        assertThat(store.history("ingest.limits")).hasSize(4);
    }

    @Test
    void rollbackOfADeletedKeyWritesItAgain() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);
        store.delete("ingest.batch_size");

        ConfigEntry back = store.rollback("ingest.batch_size", 2);

        assertThat(back.version()).as("a write after a delete continues the numbering").isEqualTo(3);
        assertThat(back.value().intValue()).isEqualTo(2);
        assertThat(store.history("ingest.batch_size").get(0).kind()).isEqualTo(ConfigChange.Kind.CREATE);
    }

    @Test
    void aStaleVersionFromBeforeADeleteCannotWinACompareAndSet() {
        ConfigStore store = newStore();
        long seen = store.put("ingest.batch_size", 1).version();          // a client reads version 1
        store.delete("ingest.batch_size");                                 // someone deletes the key...
        store.put("ingest.batch_size", 2, 0);                              // ...and writes it again
        assertThatThrownBy(() -> store.put("ingest.batch_size", 99, seen))
                .as("compare-and-set with the version of the key's earlier life")
                .isInstanceOfSatisfying(ConfigConflictException.class, e -> assertThat(e.currentVersion()).isEqualTo(2));
        assertThat(store.get("ingest.batch_size", Integer.class)).contains(2);
    }

    @Test
    void rollbackAcrossADeleteFindsTheRightVersion() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 10);     // v1
        store.put("ingest.batch_size", 20);     // v2
        store.delete("ingest.batch_size");
        store.put("ingest.batch_size", 30);     // v3, not a second v1
        assertThat(store.rollback("ingest.batch_size", 1).value().intValue()).isEqualTo(10);
        assertThat(store.entry("ingest.batch_size").orElseThrow().version()).isEqualTo(4);
    }

    @Test
    void entriesChangesAndErrorsNeverPrintAValue() {
        ConfigStore store = newStore();
        ConfigEntry e = store.put("db.password", "hunter2-secret");
        assertThat(e.toString()).contains("db.password").doesNotContain("hunter2");
        store.put("db.password", "hunter3-secret");
        assertThat(store.history("db.password")).allSatisfy(c -> assertThat(c.toString()).doesNotContain("hunter"));
        assertThatThrownBy(() -> store.get("db.password", Integer.class))
                .isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("db.password")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("hunter"))
                .satisfies(t -> assertThat(t.getCause()).isNull());
        assertThatThrownBy(() -> store.putJson("db.password", "{\"p\": hunter4secret}"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("line 1, column")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("hunter4"))
                .satisfies(t -> assertThat(t.getCause()).isNull());
    }

    @Test
    void aBrokenSchemaIsRefusedWhenItIsSet() {
        assertThatThrownBy(() -> ConfigOptions.builder().schema("ingest.", "[1]"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema for prefix \"ingest.\"");
        assertThatThrownBy(() -> ConfigOptions.builder().schema("ingest.", "{\"minimum\": \"x\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema for prefix \"ingest.\"");
    }

    @Test
    void actorsAndReasonsMustBeWellFormedText() {
        ConfigStore store = newStore();
        assertThatThrownBy(() -> store.as("bad\uD800actor")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("actor:");
        assertThatThrownBy(() -> store.because("bad\uDC00reason")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reason:");
    }

    @Test
    void anAgeReachingBeforeTheEarliestInstantKeepsEverything() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .retention(HistoryRetention.within(Duration.ofSeconds(Long.MAX_VALUE))).build());
        store.put("ingest.batch_size", 1);
        store.put("ingest.batch_size", 2);
        assertThat(store.history("ingest.batch_size")).hasSize(2);
    }

    @Test
    void rollbackToAVersionThatIsNotInTheHistoryIsRefused() {
        ConfigStore store = newStore();
        store.put("ingest.batch_size", 1);

        assertThatThrownBy(() -> store.rollback("ingest.batch_size", 7))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ingest.batch_size")
                .hasMessageContaining("7");
        assertThatThrownBy(() -> store.rollback("never.written", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("never.written");
        assertUnchanged(store, "ingest.batch_size", 1, "1");
    }
}
