package io.pgdock.examples;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.registry.ConnectionRegistry;
import java.util.Map;

/**
 * The README's "Connections" example, compiled by the build and run by {@code ConnectionRegistryExampleTest};
 * {@code ReadmeTest} checks that the README shows exactly the lines between the markers.
 */
public final class ConnectionRegistryExample {
    private ConnectionRegistryExample() {
    }

    /**
     * Stores connection {@code warehouse} in the config store and counts its orders through a factory that resolves
     * names with the registry, the environment first.
     *
     * @param configs the config store; it needs a master key ({@code ConfigOptions.Builder.keys}) for the password
     * @param warehouse where the warehouse is, with its password
     * @param env the environment, for example {@code System.getenv()}
     * @return the rows of {@code orders} in the target that answered
     */
    public static long run(ConfigStore configs, ConnectionSpec warehouse, Map<String, String> env) {
        // connections-example: begin
        ConnectionRegistry connections = ConnectionRegistry.of(configs.as("ops")).withEnvironment(env);
        connections.put("warehouse", warehouse);   // key pgdock.connections.warehouse, the password a secret
        try (DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                .resolver(connections)              // PGDOCK_TARGET_WAREHOUSE_* if set, else the stored one
                .build())) {
            return DynamicConnectionsExample.countRows(sources, "warehouse", "orders");
        }
        // connections-example: end
    }
}
