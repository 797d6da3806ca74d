package io.pgdock.examples;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;

/**
 * The README's example for a deployment behind PgBouncer in transaction mode: the storage reaches PostgreSQL through
 * PgBouncer and sets no session state, and the config store's cache LISTENs on a direct connection. Compiled by the
 * build and run by {@code PgBouncerExampleTest} through a real PgBouncer; {@code ReadmeTest} checks that the README
 * shows exactly the lines between the markers.
 */
public final class PgBouncerExample {
    private PgBouncerExample() {
    }

    /**
     * Reads the batch size from a cached config store, through PgBouncer.
     *
     * @param pooled the spec of PgBouncer's address, naming the storage schema
     * @param direct the spec of PostgreSQL itself, same database and role
     * @return the configured batch size, or 1000
     */
    public static int batchSize(ConnectionSpec pooled, ConnectionSpec direct) {
        // pgbouncer-example: begin
        // pooled: PgBouncer (pool_mode = transaction), e.g. postgresql://app@pgbouncer:6432/app?currentSchema=ingest
        // direct: PostgreSQL itself, for the one session LISTEN needs
        StorageOptions options = StorageOptions.builder()
                .transactionPooling(true)          // no SET on sessions, prepareThreshold=0, role settings checked
                .dedicatedConnectionSpec(direct)   // watches and the config cache LISTEN here
                .build();
        try (Storage storage = Storage.open(pooled, options)) {
            ConfigStore configs = ConfigStore.postgres(storage, ConfigOptions.builder().cache(1000).build());
            return configs.get("ingest.batch_size", Integer.class).orElse(1000);
        }
        // pgbouncer-example: end
    }
}
