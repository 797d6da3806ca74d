package io.pgdock.config;

import io.pgdock.config.postgres.PostgresConfigBackend;
import io.pgdock.config.store.CachingConfigBackend;
import io.pgdock.config.store.ConfigBackend;
import io.pgdock.config.store.DefaultConfigStore;

/** Test helper: the same options with a read cache. */
final class CachedConfigStores {
    private CachedConfigStores() {
    }

    static ConfigOptions withCache(ConfigOptions options, int maxEntries) {
        ConfigOptions.Builder b = ConfigOptions.builder().maxValueBytes(options.maxValueBytes())
                .retention(options.retention()).clock(options.clock()).cache(maxEntries);
        options.schemas().forEach(b::schema);
        options.keys().ifPresent(b::keys);
        options.objectMapper().ifPresent(b::objectMapper);
        options.environmentPrefix().ifPresent(prefix -> b.environmentOverrides(options.environmentOverrides(), prefix));
        return b.build();
    }

    /** The PostgreSQL backend under a store, through its cache if it has one. */
    static PostgresConfigBackend postgresBackend(ConfigStore store) {
        ConfigBackend backend = ((DefaultConfigStore) store).backend();
        if (backend instanceof CachingConfigBackend) {
            backend = ((CachingConfigBackend) backend).delegate();
        }
        return (PostgresConfigBackend) backend;
    }
}
