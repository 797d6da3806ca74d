package io.pgdock.examples;

import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetResolver;
import java.util.Map;

/**
 * The example in {@code dynamic-datasource/README.md}, compiled by the build and run by
 * {@code DynamicConnectionsExampleTest}; {@code ReadmeTest} checks that the README shows exactly the lines between the
 * markers.
 */
public final class DynamicConnectionsExample {
    private DynamicConnectionsExample() {
    }

    /**
     * A pipeline step that takes its connections from a factory: it counts the rows of a table in a named target.
     * Its test hands it {@code DataSourceFactory.fixed(...)} instead of a pooled factory.
     *
     * @param sources where connections come from
     * @param target the target's name
     * @param table an unqualified table name in the target's schema
     * @return the number of rows
     */
    public static long countRows(DataSourceFactory sources, String target, String table) {
        String sql = "select count(*) from " + TableName.of(table).toSql();   // quoted: no injection
        return sources.jdbi(target).withHandle(h -> h.select(sql).mapTo(Long.class).one());
    }

    /**
     * Reads the targets from the environment and runs the step against {@code warehouse}.
     *
     * @param env the environment, for example {@code System.getenv()}
     * @return the rows counted
     */
    public static long run(Map<String, String> env) {
        // datasource-example: begin
        try (DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                .resolver(TargetResolver.environment(env))      // warehouse: PGDOCK_TARGET_WAREHOUSE_URL, ...
                .build())) {
            long rows = countRows(sources, "warehouse", "orders");
            System.out.println(rows + " orders; " + sources.health("warehouse"));
            return rows;
        }
        // datasource-example: end
    }
}
