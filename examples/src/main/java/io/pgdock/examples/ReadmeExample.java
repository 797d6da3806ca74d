package io.pgdock.examples;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.copy.TableName;
import java.util.List;
import java.util.Map;

/**
 * The example in the README, compiled by the build and run by {@code ReadmeExampleTest}; {@code ReadmeTest} checks that
 * the README shows exactly the lines between the markers.
 */
public final class ReadmeExample {
    private ReadmeExample() {
    }

    /**
     * Opens storage from the environment, loads two rows with COPY and sums them.
     *
     * @param env the environment, for example {@code System.getenv()}
     * @return the sum of the loaded rows
     */
    public static long run(Map<String, String> env) {
        // readme-example: begin
        try (Storage storage = Storage.open(ConnectionSpec.fromEnvironment(env))) {
            storage.jdbi().useHandle(h -> h.execute("create table if not exists runs (name text, row_count bigint)"));
            storage.bulk().copyIn(TableName.of("runs"), List.of("name", "row_count"),
                    List.of(List.of("nightly", 1200), List.of("hourly", 50)));
            long total = storage.jdbi().withHandle(h ->
                    h.createQuery("select sum(row_count) from runs").mapTo(Long.class).one());
            System.out.println(total + " rows; " + storage.health());
            return total;
        }
        // readme-example: end
    }
}
