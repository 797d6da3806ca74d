package io.pgdock.config;

/**
 * The contract, run against the PostgreSQL store with a read cache (small, so that eviction happens too): a cached
 * store must behave exactly like an uncached one for a single writer.
 */
class CachedPostgresConfigStoreTest extends PostgresConfigStoreTest {
    @Override
    protected ConfigStore newStore(ConfigOptions options) {
        return super.newStore(CachedConfigStores.withCache(options, 64));
    }
}
