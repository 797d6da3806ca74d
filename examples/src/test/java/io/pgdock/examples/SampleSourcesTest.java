package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The runtime role names {@link SampleSources} and {@link ExamplePipeline} accept; no server needed. */
class SampleSourcesTest {
    private static final ConnectionSpec ADMIN = ConnectionSpec.builder().host("127.0.0.1").database("postgres")
            .user("postgres").build();

    @Test
    void aRoleThatIsNotASimpleIdentifierIsRefusedShowingIt() {
        for (String role : new String[] {"x$$ END $$; DROP DATABASE postgres; DO $$ BEGIN", "o'brien", "Example",
                "has space", "1st", "quote\"d", ""}) {
            assertThatThrownBy(() -> SampleSources.forRole(ADMIN, role)).as(role)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("role: expected a simple lower-case identifier ([a-z_][a-z0-9_]*), but was \"" + role
                            + "\"");
        }
        assertThatThrownBy(() -> SampleSources.forRole(ADMIN, "pg_example")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("role: names starting with pg_ are reserved by PostgreSQL, but was \"pg_example\"");
    }

    @Test
    void aRoleIsShortEnoughForTheReaderRoleToFitPostgresNames() {
        String longest = "r".repeat(56);
        SampleSources samples = SampleSources.forRole(ADMIN, longest);
        assertThat(samples.readerRole()).hasSize(63);
        assertThat(samples.readerSpec("eu").user()).isEqualTo(longest + "_reader");

        String tooLong = longest + "x";
        assertThatThrownBy(() -> SampleSources.forRole(ADMIN, tooLong)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("role: expected at most 56 characters, so that \"" + tooLong + "_reader\" fits "
                        + "PostgreSQL's 63-byte names, but was \"" + tooLong + "\" (57 characters)");
    }

    @Test
    void theExampleChecksTheRoleBeforeConnectingAnywhere() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        // Port 1 on the loopback: nothing is connected to, so the role must be refused first.
        Map<String, String> env = Map.of("PGDOCK_URL", "postgresql://nobody@127.0.0.1:1/nowhere");

        assertThatThrownBy(() -> ExamplePipeline.run(env, "a$$b", new PrintStream(printed, true,
                StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"a$$b\"");
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEmpty();
    }
}
