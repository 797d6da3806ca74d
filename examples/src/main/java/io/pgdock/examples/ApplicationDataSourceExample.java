package io.pgdock.examples;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import javax.sql.DataSource;

/**
 * The README's example for applications that already have a {@link DataSource} (a Spring Boot application's, say):
 * {@link Storage#over} puts pgdock on that pool instead of a second one. Compiled by the build and run by
 * {@code ApplicationDataSourceExampleTest}; {@code ReadmeTest} checks that the README shows exactly the lines between
 * the markers.
 */
public final class ApplicationDataSourceExample {
    private ApplicationDataSourceExample() {
    }

    /**
     * Reads the batch size from the config store, through the application's own pool.
     *
     * @param dataSource the application's pool, whose connections have {@code ingest} first on their search_path
     * @return the configured batch size, or 1000
     */
    public static int batchSize(DataSource dataSource) {
        // app-datasource-example: begin
        // dataSource: the application's pool, e.g. Spring Boot's, with currentSchema=ingest in its JDBC URL
        try (Storage storage = Storage.over(dataSource, "ingest")) {   // checks the schema, runs the migrations
            ConfigStore configs = ConfigStore.postgres(storage);        // borrows from the same pool
            return configs.get("ingest.batch_size", Integer.class).orElse(1000);
        }                                                               // closing leaves the pool open
        // app-datasource-example: end
    }
}
