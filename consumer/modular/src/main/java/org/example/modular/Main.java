package org.example.modular;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetResolver;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pipeline: storage from {@code PGDOCK_URL}, its one source from {@code PGDOCK_TARGET_SOURCE_URL}, settings and a
 * record of the run in the configuration store. Prints one line and exits 0, or throws.
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
                        StorageOptions.builder().createSchema(true).build());
                DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                        .resolver(TargetResolver.environment(env)).build())) {
            ConfigStore configs = ConfigStore.postgres(storage);
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
                    + last.note().orElse("none") + ", config version " + version + ", storage " + health.status();
        }
    }
}
