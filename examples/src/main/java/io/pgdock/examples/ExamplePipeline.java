package io.pgdock.examples;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.CopyFormat;
import io.pgdock.core.Health;
import io.pgdock.core.MigrationSet;
import io.pgdock.core.Provisioning;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.TableName;
import io.pgdock.testing.TestPostgres;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The README's first command: a small pipeline on pgdock's default storage.
 *
 * <ol>
 *   <li>Find a server: the one {@code PGDOCK_URL}, {@code PGDOCK_HOST} or {@code PGHOST} names (its credentials must
 *       be allowed to create roles), or else an embedded PostgreSQL.</li>
 *   <li>Provision a dedicated role and schema, printing the SQL.</li>
 *   <li>Open {@link Storage} as that role; this applies the example's migration (the {@code events} table).</li>
 *   <li>COPY {@value #ROWS} rows in, query them, COPY a summary out, and print the storage's health.</li>
 * </ol>
 */
public final class ExamplePipeline {
    /** The default name of the role and schema the example provisions. */
    public static final String DEFAULT_ROLE = "pgdock_example";

    static final int ROWS = 50_000;
    private static final List<String> REGIONS = List.of("north", "south", "east", "west");

    private ExamplePipeline() {
    }

    /**
     * Runs the example against the configured server or an embedded one.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        run(System.getenv(), DEFAULT_ROLE, System.out);
    }

    /**
     * Runs the example.
     *
     * @param env the environment to read the server from
     * @param role the role and schema name to provision
     * @param out where to print progress
     * @return the number of rows loaded
     */
    public static long run(Map<String, String> env, String role, PrintStream out) {
        // 1. A server, and an admin connection to it.
        ConnectionSpec admin;
        if (env.containsKey("PGDOCK_URL") || env.containsKey("PGDOCK_HOST") || env.containsKey("PGHOST")) {
            admin = ConnectionSpec.fromEnvironment(env).toBuilder().schema(null).build();
            out.println("Using the configured server " + admin);
        } else {
            out.println("No server configured (PGDOCK_URL, PGDOCK_HOST, PGHOST): starting an embedded PostgreSQL...");
            admin = TestPostgres.get().adminSpec();
            out.println("Embedded server ready: " + admin);
        }

        // 2. A dedicated least-privilege role and schema. The password is made here and never printed.
        ConnectionSpec runtime = admin.toBuilder().user(role).password(newPassword()).schema(role)
                .applicationName("pgdock-example").build();
        Provisioning provisioning = Provisioning.forRuntime(runtime);
        out.println("\nProvisioning (idempotent):\n" + provisioning.script());
        provisioning.apply(admin);

        // 3. Storage as that role. Opening it applies the example's migration once.
        MigrationSet migrations = MigrationSet.fromResources("example", ExamplePipeline.class, "V1__create_events.sql");
        StorageOptions options = StorageOptions.builder().addMigrations(migrations).build();
        try (Storage storage = Storage.open(runtime, options)) {
            out.println("Opened " + storage + "\n");

            // 4. Load rows with COPY: text with tabs, newlines, backslashes and NULLs is escaped for us.
            storage.jdbi().useHandle(h -> h.execute("truncate events"));
            OffsetDateTime start = OffsetDateTime.of(2026, 11, 1, 0, 0, 0, 0, ZoneOffset.UTC);
            Stream<List<?>> rows = LongStream.rangeClosed(1, ROWS).mapToObj(id -> Arrays.asList(
                    id,
                    REGIONS.get((int) (id % REGIONS.size())),
                    BigDecimal.valueOf(id % 10_000, 2),
                    id % 7 == 0 ? null : "order\t#" + id + (id % 11 == 0 ? "\nsecond line \\ backslash" : ""),
                    start.plusSeconds(id)));
            long loaded = storage.bulk().copyIn(TableName.of("events"),
                    List.of("id", "region", "amount", "note", "occurred_at"), rows);
            out.printf("Loaded %,d rows with COPY%n", loaded);

            // Query them with Jdbi.
            List<Map<String, Object>> perRegion = storage.jdbi().withHandle(h -> h.createQuery(
                    "select region, count(*) as events, sum(amount) as total, count(note) as with_note "
                            + "from events group by region order by region").mapToMap().list());
            perRegion.forEach(r -> out.printf("  %-6s %,7d events, total %,14.2f, %,d with a note%n",
                    r.get("region"), r.get("events"), r.get("total"), r.get("with_note")));

            // Stream a summary back out with COPY.
            out.println("\nCOPY out, CSV:");
            storage.bulk().copyOut("select region, count(*) as events from events group by region order by region",
                    out, CopyFormat.CSV.withHeader());

            Health health = storage.health();
            out.println("\nHealth: " + health);
            if (!health.isUp()) {
                throw new IllegalStateException("storage is not healthy: " + health);
            }
            out.println("Done at " + Instant.now());
            return loaded;
        }
    }

    private static String newPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
