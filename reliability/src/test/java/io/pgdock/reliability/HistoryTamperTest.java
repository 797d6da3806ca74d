package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigPolicy;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.HistoryVerification.Problem;
import io.pgdock.config.HistoryVerification;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tampering with the config store's history as a superuser, whom no privilege stops: each test edits, removes, inserts
 * or reorders history rows (or changes a value with the triggers off) with plain SQL on a real server, and
 * {@link ConfigPolicy#verifyHistory} must name the first broken link: scope, key, version and what is wrong. Each test
 * has a schema of its own with the key {@code tamper.key} at versions 1 to 4 and an untouched neighbour
 * {@code tamper.other}. RELIABILITY.md ("Audit trail") lists each attempt with its result.
 */
class HistoryTamperTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private String schema;
    private Storage storage;
    private ConfigStore store;

    @BeforeEach
    void fourVersions() {
        schema = "tamper_" + SCHEMAS.incrementAndGet() + "_" + ProcessHandle.current().pid();
        storage = Storage.open(PG.spec().toBuilder().schema(schema).build(),
                StorageOptions.builder().createSchema(true).build());
        store = ConfigStore.postgres(storage);
        for (int v = 1; v <= 4; v++) {
            store.as("alice").because("step " + v).put("tamper.key", java.util.Map.of("limit", v * 100));
        }
        store.put("tamper.other", "a");
        store.put("tamper.other", "b");
        HistoryVerification clean = store.policy().verifyHistory("");
        assertThat(clean.intact()).as("before tampering: %s", clean.breaks()).isTrue();
        assertThat(clean.rows()).isEqualTo(6);
    }

    @AfterEach
    void dropSchema() throws SQLException {
        storage.close();
        sql("drop schema \"" + schema + "\" cascade");
    }

    private void sql(String... statements) throws SQLException {
        try (Connection c = PG.adminDataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("set search_path = \"" + schema + "\"");
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    private void assertBroken(Problem problem, long version) {
        HistoryVerification found = store.policy().verifyHistory("");
        assertThat(found.intact()).isFalse();
        assertThat(found.brokenKeys()).as("only tamper.key: %s", found.breaks()).isEqualTo(1);
        HistoryVerification.Break first = found.firstBreak().orElseThrow();
        assertThat(first.scope()).isEmpty();
        assertThat(first.key()).isEqualTo("tamper.key");
        assertThat(first.problem()).as("%s", first).isEqualTo(problem);
        assertThat(first.version()).as("%s", first).isEqualTo(version);
        assertThat(first.toString()).startsWith("config key \"tamper.key\", version " + version + ": " + problem);
        assertThat(store.policy().verifyHistory("tamper.other").intact()).as("the neighbour's chain").isTrue();
    }

    @Test
    void anEditedValueBreaksThatRow() throws SQLException {
        sql("update config_history set new_value = '{\"limit\": 999}' where key = 'tamper.key' and version = 2");
        assertBroken(Problem.ROW_CHANGED, 2);
    }

    @Test
    void anEditedActorOrTimeBreaksThatRow() throws SQLException {
        sql("update config_history set actor = 'mallory' where key = 'tamper.key' and version = 3");
        assertBroken(Problem.ROW_CHANGED, 3);
        sql("update config_history set actor = 'alice' where key = 'tamper.key' and version = 3",
                "update config_history set changed_at = changed_at - interval '1 day' where key = 'tamper.key' "
                        + "and version = 1");
        assertBroken(Problem.ROW_CHANGED, 1);
    }

    @Test
    void anEditWhoseHashIsRecomputedBreaksTheNextLink() throws SQLException {
        sql("update config_history h set new_value = '{\"limit\": 999}', hash = pgdock_config_history_digest("
                + "h.prev_hash, h.scope, h.key, h.version, h.kind, h.old_value, '{\"limit\": 999}', h.actor, h.reason,"
                + " h.changed_at) where key = 'tamper.key' and version = 2");
        assertBroken(Problem.LINK_BROKEN, 3);
    }

    @Test
    void aRemovedRowBreaksTheLinkAfterIt() throws SQLException {
        sql("delete from config_history where key = 'tamper.key' and version = 2");
        assertBroken(Problem.LINK_BROKEN, 3);
    }

    @Test
    void aRemovedOldestRowBreaksTheLinkAfterIt() throws SQLException {
        sql("delete from config_history where key = 'tamper.key' and version = 1");
        assertBroken(Problem.LINK_BROKEN, 2);
    }

    @Test
    void removedNewestRowsDoNotMatchTheCurrentValue() throws SQLException {
        sql("delete from config_history where key = 'tamper.key' and version >= 3");
        assertBroken(Problem.ENTRY_MISMATCH, 4);
    }

    @Test
    void aRowInsertedBetweenOthersBreaksItsLink() throws SQLException {
        // An id between versions 2 and 3; the chain trigger links it to the key's newest row, not to version 2.
        sql(                "update config_history set id = id + 1000000 where key = 'tamper.key' and version >= 3",
                "insert into config_history (scope, key, version, kind, old_value, new_value, actor, reason, "
                        + "changed_at) select '', 'tamper.key', 3, 'UPDATE', h.new_value, '{\"limit\": 250}', "
                        + "'alice', 'step 2.5', h.changed_at from config_history h where key = 'tamper.key' "
                        + "and version = 2");
        // The forged row got a fresh id below the moved rows: between version 2 and the real version 3.
        assertBroken(Problem.LINK_BROKEN, 3);
    }

    @Test
    void aRowAppendedWithoutAWriteDoesNotMatchTheCurrentValue() throws SQLException {
        sql("insert into config_history (scope, key, version, kind, old_value, new_value, actor, reason, changed_at) "
                + "select '', 'tamper.key', 5, 'UPDATE', h.new_value, '{\"limit\": 1}', 'alice', null, now() "
                + "from config_history h where key = 'tamper.key' and version = 4");
        assertBroken(Problem.ENTRY_MISMATCH, 4);
    }

    @Test
    void reorderedRowsBreakTheirLinks() throws SQLException {
        sql("update config_history set id = -id where key = 'tamper.key' and version in (2, 3)",
                "update config_history set id = -id + case version when 2 then 1 else -1 end "
                        + "where key = 'tamper.key' and id < 0");
        assertBroken(Problem.LINK_BROKEN, 3);
    }

    @Test
    void aValueChangedWithTheTriggersOffDoesNotMatchItsHistory() throws SQLException {
        sql("set session_replication_role = replica",
                "update config_entry set value = '{\"limit\": 1}' where key = 'tamper.key'");
        assertBroken(Problem.ENTRY_MISMATCH, 4);
    }

    @Test
    void aRowWrittenWithTheTriggersOffIsUnchained() throws SQLException {
        sql("set session_replication_role = replica",
                "update config_entry set value = '{\"limit\": 500}', version = 5 where key = 'tamper.key'",
                "insert into config_history (scope, key, version, kind, old_value, new_value, actor, reason, "
                        + "changed_at) select '', 'tamper.key', 5, 'UPDATE', h.new_value, '{\"limit\": 500}', "
                        + "'alice', null, now() from config_history h where key = 'tamper.key' and version = 4");
        assertBroken(Problem.UNCHAINED, 5);
    }

    @Test
    void aValueReplacedByAnEnvelopeBreaksThatRow() throws SQLException {
        // Envelopes are hashed as placeholders, but where one is, and what is outside it, is part of the hash.
        store.put("tamper.other", "c");
        sql("update config_history set new_value = '{\"$pgdock_secret\": null}' where key = 'tamper.other' "
                + "and version = 3");
        assertThat(store.policy().verifyHistory("tamper.other").firstBreak()).as("the value outside envelopes changed")
                .hasValueSatisfying(b -> assertThat(b.problem()).isEqualTo(Problem.ROW_CHANGED));
    }
}
