package io.pgdock.config;

/**
 * The contract through PgBouncer in transaction mode with a read cache (small, so that eviction happens too), kept
 * coherent by notifications on the storage's direct connection.
 */
class CachedPgBouncerConfigStoreTest extends PgBouncerConfigStoreTest {
    @Override
    protected ConfigStore newStore(ConfigOptions options) {
        return super.newStore(CachedConfigStores.withCache(options, 64));
    }
}
