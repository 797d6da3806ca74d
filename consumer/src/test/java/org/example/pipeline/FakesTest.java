package org.example.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FixedDataSourceFactory;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The task with pgdock's fakes: the in-memory config store and the fixed data source factory. */
class FakesTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    @Test
    void theInMemoryConfigStoreWorksOnTheFirstCall() {
        ConfigStore configs = ConfigStore.inMemory();

        configs.put("ingest.batch_size", 500);
        configs.put("ingest.window", Duration.ofMinutes(5));
        configs.put("ingest.started", Instant.parse("2026-12-06T00:00:00Z"));
        configs.put("ingest.optional", Optional.of(1));

        assertEquals(500, configs.get("ingest.batch_size", Integer.class).orElseThrow());
        assertEquals(Duration.ofMinutes(5), configs.get("ingest.window", Duration.class).orElseThrow());
        assertEquals(Instant.parse("2026-12-06T00:00:00Z"), configs.get("ingest.started", Instant.class).orElseThrow());
        assertEquals(1, configs.get("ingest.optional", Integer.class).orElseThrow());
    }

    @Test
    void theTaskRunsOnTheFakes() {
        try (TestDatabase source = TestPostgres.get().createDatabase();
                Storage storage = Storage.open(PG.spec().toBuilder().schema("fakes").build(),
                        StorageOptions.builder().createSchema(true).build())) {
            ConfigStore configs = ConfigStore.inMemory();
            configs.put("nightly.source", "payments");
            FixedDataSourceFactory sources = DataSourceFactory.fixed(Map.of("payments", source.dataSource()));
            NightlyLoad.seedSource(sources, "payments", 40);

            assertEquals(40, new NightlyLoad(storage, configs, sources).run());
            assertEquals(40, configs.get("nightly.last_run", NightlyLoad.LastRun.class).orElseThrow().rows());
            assertEquals(List.of(FixedDataSourceFactory.Request.byName("payments"),
                    FixedDataSourceFactory.Request.byName("payments")), sources.requests());
        }
    }
}
