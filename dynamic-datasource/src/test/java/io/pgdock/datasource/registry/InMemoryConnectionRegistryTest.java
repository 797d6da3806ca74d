package io.pgdock.datasource.registry;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;

/** The registry over {@link ConfigStore#inMemory(ConfigOptions)}, the fake pipeline tests use. */
class InMemoryConnectionRegistryTest extends ConnectionRegistryContract {
    @Override
    ConfigStore newStore(ConfigOptions options) {
        return ConfigStore.inMemory(options);
    }

    /** An in-memory store cannot be shared: the same data is copied, encrypted, into a store without keys. */
    @Override
    ConfigStore sameStoreWithoutKeys(ConfigStore withKeys) {
        ConfigStore copy = ConfigStore.inMemory();
        copy.transfer().importFrom(withKeys.transfer().export(""), io.pgdock.config.ImportOptions.builder().build());
        return copy;
    }
}
