package io.pgdock.benchmarks;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;

/**
 * A fresh database for one benchmark trial, on the server {@code PGDOCK_TEST_URL} names or on an embedded PostgreSQL,
 * with a storage schema {@code bench}.
 */
final class BenchDatabase implements AutoCloseable {
    private final TestDatabase database;

    BenchDatabase() {
        this.database = TestPostgres.get().createDatabase();
    }

    /** The spec of the storage schema, optionally with extra pgjdbc options. */
    ConnectionSpec spec() {
        return database.spec().toBuilder().schema("bench").build();
    }

    Storage openStorage(int poolSize) {
        return openStorage("bench", poolSize);
    }

    /** A storage on schema {@code schema} of this database (created if missing), no migrations discovered. */
    Storage openStorage(String schema, int poolSize) {
        return Storage.open(database.spec().toBuilder().schema(schema).build(), StorageOptions.builder().createSchema(true).discoverMigrations(false)
                .maximumPoolSize(poolSize).minimumIdle(1).build());
    }

    @Override
    public void close() {
        database.close();
    }
}
