package io.pgdock.examples;

import io.pgdock.config.ConfigExplanation;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import java.util.Map;

/**
 * The README's example of environment overrides: a config store configured from the environment, where
 * {@code PGDOCK_CONFIG_ENV_OVERRIDES=true} lets {@code PGDOCK_VAR_<KEY>} variables answer above every scope, as
 * Airflow's {@code AIRFLOW_VAR_<KEY>} do. Compiled by the build and run by {@code EnvironmentOverridesExampleTest};
 * {@code ReadmeTest} checks that the README shows exactly the lines between the markers.
 */
public final class EnvironmentOverridesExample {
    private EnvironmentOverridesExample() {
    }

    /**
     * Reads the batch size of a store configured from {@code env}, and why it is what it is.
     *
     * @param storage the default storage
     * @param env the environment, for example {@code System.getenv()}
     * @return the batch size and the explanation of the read
     */
    public static Map.Entry<Integer, ConfigExplanation> batchSize(Storage storage, Map<String, String> env) {
        // env-overrides-example: begin
        // PGDOCK_CONFIG_ENV_OVERRIDES=true  PGDOCK_VAR_INGEST__BATCH_SIZE=500  (PGDOCK_CONFIG_KEYS too, for secrets)
        ConfigStore configs = ConfigStore.postgres(storage, ConfigOptions.builder().fromEnvironment(env).build());
        int batch = configs.get("ingest.batch_size", Integer.class).orElse(1000);   // 500, whatever is stored
        ConfigExplanation why = configs.policy().explain("ingest.batch_size");
        // why.environmentVariable(): PGDOCK_VAR_INGEST__BATCH_SIZE; why.shadowed(): the stored entry it hides
        // env-overrides-example: end
        return Map.entry(batch, why);
    }
}
