package io.pgdock.config;

/** The contract, run against {@link ConfigStore#inMemory(ConfigOptions)}. */
class InMemoryConfigStoreTest extends ConfigStoreContract {
    @Override
    protected ConfigStore newStore(ConfigOptions options) {
        return ConfigStore.inMemory(options);
    }
}
