package io.pgdock.config;

import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract, run against {@link ConfigStore#postgres(Storage, ConfigOptions)}: each store gets a schema of its own
 * in the test class's database, created and migrated by {@link Storage#open}. What only this store does (plain-SQL
 * edits, settings on pooled connections, migrations) is tested in {@link PostgresConfigBackendTest}.
 */
class PostgresConfigStoreTest extends ConfigStoreContract {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private final List<Storage> opened = new ArrayList<>();

    @Override
    protected ConfigStore newStore(ConfigOptions options) {
        Storage storage = Storage.open(PG.spec().toBuilder().schema("config_" + SCHEMAS.incrementAndGet()).build(),
                StorageOptions.builder().createSchema(true).build());
        opened.add(storage);
        return ConfigStore.postgres(storage, options);
    }

    /**
     * The store stamps history with the server's {@code now()}, not the injected clock, so time passes by moving the
     * recorded history back. config_entry is left alone: an UPDATE there is a write, which its triggers version.
     */
    @Override
    protected void elapse(Duration duration) {
        super.elapse(duration);
        moveHistoryBack(opened, duration);
    }

    /** Moves the recorded history of each storage's store back by {@code duration} (for the other store tests too). */
    static void moveHistoryBack(List<Storage> storages, Duration duration) {
        for (Storage storage : storages) {
            storage.jdbi().useHandle(h -> h.execute(
                    "UPDATE config_history SET changed_at = changed_at - ?::interval", duration.toString()));
        }
    }

    @AfterEach
    void closeStorage() {
        opened.forEach(Storage::close);
        opened.clear();
    }
}
