package io.pgdock.config;

import io.pgdock.core.Storage;

/** PLACEHOLDER on the config branch: the PostgreSQL backend is being written. Never merged to main like this. */
final class PostgresConfigBackend {
    private PostgresConfigBackend() {
    }

    static ConfigBackend create(Storage storage) {
        throw new UnsupportedOperationException("the PostgreSQL config store is not built yet");
    }
}
