package org.example.pipeline;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.copy.TableName;
import java.util.List;
import java.util.Map;

/** The README's example, as a user pastes it into their own code (pgdock's ReadmeTest keeps the two identical). */
public final class ReadmeExample {
    private ReadmeExample() {
    }

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
