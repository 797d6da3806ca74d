package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract, run against {@link ConfigStore#postgres(Storage, ConfigOptions)}: each store gets a schema of its own
 * in the test class's database, created and migrated by {@link Storage#open}. Plus what only this store does: edits
 * made with plain SQL are versioned and audited.
 */
class PostgresConfigStoreTest extends ConfigStoreContract {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private final List<Storage> opened = new ArrayList<>();

    @Override
    protected ConfigStore newStore(ConfigOptions options) {
        return ConfigStore.postgres(open(), options);
    }

    private Storage open() {
        Storage storage = Storage.open(PG.spec().toBuilder().schema("config_" + SCHEMAS.incrementAndGet()).build(),
                StorageOptions.builder().createSchema(true).build());
        opened.add(storage);
        return storage;
    }

    /**
     * The store stamps history with the server's {@code now()}, not the injected clock, so time passes by moving the
     * recorded history back. config_entry is left alone: an UPDATE there is a write, which its triggers version.
     */
    @Override
    protected void elapse(Duration duration) {
        super.elapse(duration);
        for (Storage storage : opened) {
            storage.jdbi().useHandle(h -> h.execute(
                    "UPDATE config_history SET changed_at = changed_at - ?::interval", duration.toString()));
        }
    }

    @AfterEach
    void closeStorage() {
        opened.forEach(Storage::close);
        opened.clear();
    }

    @Test
    void anEditMadeWithPlainSqlIsVersionedAndAudited() {
        Storage storage = open();
        ConfigStore store = ConfigStore.postgres(storage);
        store.as("alice").put("ingest.batch_size", 1000);

        storage.jdbi().useHandle(h -> h.execute(
                "UPDATE config_entry SET value = '5000', version = 42 WHERE key = 'ingest.batch_size'"));
        storage.jdbi().useTransaction(h -> {
            h.execute("SELECT set_config('pgdock_config.actor', 'ops-oncall', true),"
                    + " set_config('pgdock_config.reason', 'by hand', true)");
            h.execute("INSERT INTO config_entry (scope, key, value, version, updated_at, updated_by)"
                    + " VALUES ('prod', 'ingest.batch_size', '7000', 9, now(), 'someone')");
        });

        ConfigEntry root = store.entry("ingest.batch_size").orElseThrow();
        assertThat(root.version()).as("version after a plain UPDATE that tried to set it").isEqualTo(2);
        assertThat(root.value().intValue()).isEqualTo(5000);
        assertThat(root.updatedBy()).as("actor of a plain UPDATE: the role and application name")
                .isEqualTo(store.history("ingest.batch_size").get(0).actor())
                .isNotEqualTo("alice")
                .contains(PG.spec().user());
        List<ConfigChange> history = store.history("ingest.batch_size");
        assertThat(history).extracting(ConfigChange::kind)
                .containsExactly(ConfigChange.Kind.UPDATE, ConfigChange.Kind.CREATE);
        assertThat(history.get(0).oldValue().intValue()).isEqualTo(1000);
        assertThat(history.get(0).newValue().intValue()).isEqualTo(5000);

        ConfigEntry prod = store.inScope("prod").entry("ingest.batch_size").orElseThrow();
        assertThat(prod.version()).isEqualTo(1);
        assertThat(prod.updatedBy()).as("actor set with set_config").isEqualTo("ops-oncall");
        assertThat(store.inScope("prod").history("ingest.batch_size")).singleElement()
                .satisfies(c -> assertThat(c.reason()).isEqualTo("by hand"));
    }

    @Test
    void theDefaultActorIsTheDatabaseRoleAndApplicationName() {
        ConfigStore store = newStore();

        ConfigEntry e = store.put("ingest.batch_size", 1);

        assertThat(e.updatedBy()).contains(PG.spec().user());
        assertThat(store.history("ingest.batch_size").get(0).actor()).isEqualTo(e.updatedBy());
    }
}
