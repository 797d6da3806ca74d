package io.pgdock.datasource.registry;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;

/** The registry over {@link ConfigStore#postgres(Storage, ConfigOptions)}: each store in a schema of its own. */
class PostgresConnectionRegistryTest extends ConnectionRegistryContract {
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private final List<Storage> opened = new ArrayList<>();

    @Override
    ConfigStore newStore(ConfigOptions options) {
        Storage storage = Storage.open(PG.spec().toBuilder().schema("registry_" + SCHEMAS.incrementAndGet()).build(),
                StorageOptions.builder().createSchema(true).build());
        opened.add(storage);
        return ConfigStore.postgres(storage, options);
    }

    /** A second store, without keys, over the same tables. */
    @Override
    ConfigStore sameStoreWithoutKeys(ConfigStore withKeys) {
        return ConfigStore.postgres(opened.get(opened.size() - 1), ConfigOptions.defaults());
    }

    @AfterEach
    void closeStorage() {
        opened.forEach(Storage::close);
        opened.clear();
    }
}
