package org.example.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetResolver;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The task on pgdock's PostgreSQL resources, each on a real database from pgdock-testing. */
class NightlyLoadTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    static TestDatabase source;

    @BeforeAll
    static void createSource() {
        source = TestPostgres.get().createDatabase();
    }

    @AfterAll
    static void dropSource() {
        source.close();
    }

    @Test
    void loadsTheSourceIntoStorageWithEveryResourceOnPostgres() {
        ConnectionSpec spec = PG.spec().toBuilder().schema("nightly").build();
        try (Storage storage = Storage.open(spec, StorageOptions.builder().createSchema(true).build());
                DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                        .resolver(TargetResolver.of(Map.of("payments", source.spec()))).build())) {
            ConfigStore configs = ConfigStore.postgres(storage);
            configs.put("nightly.source", "payments");
            NightlyLoad.seedSource(sources, "payments", 250);

            long rows = new NightlyLoad(storage, configs, sources).run();

            assertEquals(250, rows);
            BigDecimal sum = storage.jdbi().withHandle(h -> h.createQuery(
                    "select sum(amount) from nightly_payments").mapTo(BigDecimal.class).one());
            assertEquals(0, new BigDecimal("47062.5").compareTo(sum), "sum of 1.5 * (1..250), got " + sum);
            NightlyLoad.LastRun last = configs.get("nightly.last_run", NightlyLoad.LastRun.class).orElseThrow();
            assertEquals(250, last.rows());
            assertTrue(last.note().isEmpty(), "an empty Optional reads back empty: " + last);
            assertEquals(1, configs.history("nightly.last_run").size(), "one write, one history row");
        }
    }

    @Test
    void readmeExampleRunsAgainstTheTestDatabase() {
        ConnectionSpec spec = PG.spec();
        Map<String, String> env = new HashMap<>(Map.of("PGDOCK_HOST", spec.host(), "PGDOCK_PORT",
                Integer.toString(spec.port()), "PGDOCK_DATABASE", spec.database(), "PGDOCK_USER", spec.user(),
                "PGDOCK_SCHEMA", "readme"));
        spec.password().ifPresent(password -> env.put("PGDOCK_PASSWORD", password));
        PG.jdbi().useHandle(h -> h.execute("create schema if not exists readme"));

        assertEquals(1250, ReadmeExample.run(env));
    }
}
