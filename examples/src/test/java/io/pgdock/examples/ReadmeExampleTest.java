package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Provisioning;
import io.pgdock.testing.PgdockExtension;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the README's code example against the test server. */
class ReadmeExampleTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final String ROLE = "pgdock_readme_" + ProcessHandle.current().pid();

    @AfterEach
    void dropRole() {
        Jdbi.create(PG.adminDataSource()).useHandle(h -> {
            // Only if the test got as far as creating it, so a failure earlier is not hidden by this one.
            if (h.createQuery("select count(*) > 0 from pg_roles where rolname = :r").bind("r", ROLE)
                    .mapTo(Boolean.class).one()) {
                h.execute("drop owned by " + ROLE + " cascade");
                h.execute("drop role " + ROLE);
            }
        });
    }

    @Test
    void theReadmeExampleRuns() {
        ConnectionSpec runtime = PG.spec().toBuilder().user(ROLE).password("readme-pw").schema("readme").build();
        Provisioning.forRuntime(runtime).apply(PG.adminDataSource());
        Map<String, String> env = Map.of(
                "PGDOCK_URL", runtime.toString().replace(":***@", "@"),
                "PGDOCK_PASSWORD", "readme-pw");
        assertThat(ReadmeExample.run(env)).isEqualTo(1250);
    }
}
