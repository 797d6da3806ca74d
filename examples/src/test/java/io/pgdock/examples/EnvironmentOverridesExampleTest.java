package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigExplanation;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the README's environment-overrides example against a real PostgreSQL, with the override on and off. */
class EnvironmentOverridesExampleTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    @Test
    void theVariableAnswersAboveTheStoredValueOnlyWhenOverridesAreOn() {
        try (Storage storage = Storage.open(PG.spec().toBuilder().schema("envvars").build(),
                StorageOptions.builder().createSchema(true).build())) {
            ConfigStore.postgres(storage).put("ingest.batch_size", 2000);
            Map<String, String> env = Map.of("PGDOCK_CONFIG_ENV_OVERRIDES", "true",
                    "PGDOCK_VAR_INGEST__BATCH_SIZE", "500");
            Map.Entry<Integer, ConfigExplanation> on = EnvironmentOverridesExample.batchSize(storage, env);
            assertThat(on.getKey()).isEqualTo(500);
            assertThat(on.getValue().environmentVariable()).contains("PGDOCK_VAR_INGEST__BATCH_SIZE");
            assertThat(on.getValue().shadowed().orElseThrow().value().asInt()).isEqualTo(2000);

            Map.Entry<Integer, ConfigExplanation> off = EnvironmentOverridesExample.batchSize(storage,
                    Map.of("PGDOCK_VAR_INGEST__BATCH_SIZE", "500"));
            assertThat(off.getKey()).as("off unless PGDOCK_CONFIG_ENV_OVERRIDES=true").isEqualTo(2000);
            assertThat(off.getValue().environmentVariable()).isEmpty();
        }
    }
}
