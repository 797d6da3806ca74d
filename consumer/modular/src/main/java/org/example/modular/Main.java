package org.example.modular;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.registry.ConnectionRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pipeline: storage from {@code PGDOCK_URL}, its one source from {@code PGDOCK_TARGET_SOURCE_URL} (through the
 * connection registry, whose environment override wins), settings, a stored connection and a record of the run in the
 * configuration store. Prints one line and exits 0, or throws.
 */
public final class Main {
    /** The record the run leaves in the configuration store. */
    public record LastRun(long rows, Instant at, Optional<String> note) {
    }

    private Main() {
    }

    public static void main(String[] args) {
        System.out.println(run(System.getenv()));
    }

    /**
     * Runs the pipeline once.
     *
     * @param env where to connect: {@code PGDOCK_URL} (with a schema) and {@code PGDOCK_TARGET_SOURCE_URL}
     * @return what it did, in one line
     */
    public static String run(Map<String, String> env) {
        try (Storage storage = Storage.open(ConnectionSpec.fromEnvironment(env),
                StorageOptions.builder().createSchema(true).build())) {
            ConfigStore configs = ConfigStore.postgres(storage);
            // Named connections in the store (io.pgdock.datasource.registry reads io.pgdock.config, an optional
            // module of io.pgdock.datasource); "source" comes from PGDOCK_TARGET_SOURCE_*, which win over the store.
            ConnectionRegistry connections = ConnectionRegistry.of(configs).withEnvironment(env);
            connections.put("archive", ConnectionSpec.parse("postgresql://reader@archive.invalid/archive"));
            try (DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                    .resolver(connections).build())) {
                return load(storage, configs, sources, connections);
            }
        }
    }

    private static String load(Storage storage, ConfigStore configs, DataSourceFactory sources,
            ConnectionRegistry connections) {
        int rows = configs.get("modular.rows", Integer.class).orElse(100);
        List<List<Object>> read = sources.jdbi("source").withHandle(h -> h
                .createQuery("select g, 'row ' || g from generate_series(1, :n) g").bind("n", rows)
                .map((rs, ctx) -> List.<Object>of(rs.getInt(1), rs.getString(2))).list());
        storage.jdbi().useHandle(h -> h.execute("create table if not exists modular_rows (id int, label text)"));
        long loaded = storage.bulk().copyIn(TableName.of("modular_rows"), List.of("id", "label"), read);
        long version = configs.put("modular.last_run", new LastRun(loaded, Instant.now(), Optional.of("ok")))
                .version();
        LastRun last = configs.get("modular.last_run", LastRun.class).orElseThrow();
        Health health = storage.health();
        return "module " + Storage.class.getModule().getName() + ": loaded " + last.rows() + " rows, note "
                + last.note().orElse("none") + ", config version " + version + ", storage " + health.status()
                + ", source from " + connections.find("source").orElseThrow().source() + ", stored "
                + connections.names();
    }
}
