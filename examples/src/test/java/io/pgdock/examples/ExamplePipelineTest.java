package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgdockExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the README's example pipeline against the test server, as the README's first command does. */
class ExamplePipelineTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private final String role = "pgdock_ex_" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);

    @AfterEach
    void dropRole() {
        Jdbi.create(PG.adminDataSource()).useHandle(h -> {
            // Only if the test got as far as creating it, so a failure earlier is not hidden by this one.
            if (h.createQuery("select count(*) > 0 from pg_roles where rolname = :r").bind("r", role)
                    .mapTo(Boolean.class).one()) {
                h.execute("drop owned by " + role + " cascade");
                h.execute("drop role " + role);
            }
        });
    }

    static Map<String, String> envFor(ConnectionSpec admin) {
        Map<String, String> env = new HashMap<>();
        env.put("PGDOCK_URL", admin.toString().replace(":***@", "@"));
        admin.password().ifPresent(p -> env.put("PGDOCK_PASSWORD", p));
        return env;
    }

    @Test
    void runsTheWholePipelineAndIsIdempotent() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Map<String, String> env = envFor(PG.adminSpec());

        assertThat(ExamplePipeline.run(env, role, out)).isEqualTo(ExamplePipeline.ROWS);
        // Running again re-provisions (a no-op), skips the applied migration and reloads the table.
        assertThat(ExamplePipeline.run(env, role, out)).isEqualTo(ExamplePipeline.ROWS);

        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed)
                .contains("Using the configured server")
                .contains("CREATE SCHEMA \"" + role + "\" AUTHORIZATION \"" + role + "\"")
                .contains("Loaded 50,000 rows with COPY")
                .contains("region,events\neast,12500\nnorth,12500\nsouth,12500\nwest,12500\n")
                .contains("Health: UP in ");
        int rows = Jdbi.create(PG.adminDataSource()).withHandle(h -> h.createQuery(
                "select count(*) from " + role + ".events where note like '%\\\\%' and note like '%' || chr(10) || '%'")
                .mapTo(Integer.class).one());
        assertThat(rows).as("notes with a backslash and a newline survived COPY").isPositive();
        int migrations = Jdbi.create(PG.adminDataSource()).withHandle(h -> h.createQuery(
                "select count(*) from " + role + ".pgdock_schema_history where module = 'example'")
                .mapTo(Integer.class).one());
        assertThat(migrations).isEqualTo(1);
    }
}
