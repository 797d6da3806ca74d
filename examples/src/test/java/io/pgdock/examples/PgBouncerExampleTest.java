package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgBouncer;
import io.pgdock.testing.PgdockExtension;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs the README's PgBouncer example through a real PgBouncer in transaction mode, set up as the README says: a role
 * whose own search_path is the storage schema. In CI PgBouncer must be installed (the test fails, not skips).
 */
class PgBouncerExampleTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    @Test
    void theExampleRunsThroughPgBouncer() {
        PgBouncer.assumeAvailable();
        Jdbi admin = Jdbi.create(PG.adminDataSource());
        String role = "pgdock_example_" + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current()
                .nextLong(), 36);
        admin.useHandle(h -> {
            h.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'example-pw-9d2b'");
            h.execute("CREATE SCHEMA ingest AUTHORIZATION " + role);
            // What the storage's open-time check asks for, when it is missing:
            h.execute("ALTER ROLE " + role + " IN DATABASE \"" + PG.databaseName() + "\" SET search_path = ingest");
        });
        ConnectionSpec direct = PG.spec().toBuilder().user(role).password("example-pw-9d2b").schema("ingest").build();
        try (PgBouncer bouncer = PgBouncer.start(direct)) {
            ConnectionSpec pooled = bouncer.specFor(direct);
            assertThat(PgBouncerExample.batchSize(pooled, direct)).isEqualTo(1000);
            try (Storage storage = Storage.open(pooled, StorageOptions.builder().transactionPooling(true).build())) {
                ConfigStore.postgres(storage).put("ingest.batch_size", 250);
            }
            assertThat(PgBouncerExample.batchSize(pooled, direct)).isEqualTo(250);
        } finally {
            admin.useHandle(h -> {
                h.execute("DROP OWNED BY " + role + " CASCADE");
                h.execute("DROP ROLE " + role);
            });
        }
    }
}
