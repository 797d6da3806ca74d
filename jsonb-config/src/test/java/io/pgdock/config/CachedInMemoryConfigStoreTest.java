package io.pgdock.config;

/** The contract, run against the in-memory store with a read cache (small, so that eviction happens too). */
class CachedInMemoryConfigStoreTest extends ConfigStoreContract {
    @Override
    protected ConfigStore newStore(ConfigOptions options) {
        return ConfigStore.inMemory(CachedConfigStores.withCache(options, 64));
    }
}
