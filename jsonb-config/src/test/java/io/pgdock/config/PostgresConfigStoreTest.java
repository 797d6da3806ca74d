package io.pgdock.config;

import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract, run against {@link ConfigStore#postgres(Storage, ConfigOptions)}: each store gets a schema of its own
 * in the test class's database, created and migrated by {@link Storage#open}.
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

    @AfterEach
    void closeStorage() {
        opened.forEach(Storage::close);
        opened.clear();
    }
}
