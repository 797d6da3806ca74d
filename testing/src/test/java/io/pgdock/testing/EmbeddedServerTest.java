package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** How a failed start of the embedded server is reported. Runs whichever server the other tests use. */
class EmbeddedServerTest {

    @Test
    void failedInitdbIsReportedWithItsOutputAndTheWayOut() {
        // initdb refuses an unknown locale at once, before it writes anything.
        assertThatThrownBy(() -> EmbeddedServer.start(builder -> builder.setLocaleConfig("locale", "xx_XX.NOPE")))
                .isInstanceOf(TestPostgresException.class)
                .hasMessageContaining("Could not start an embedded PostgreSQL")
                .hasMessageContaining("initdb") // zonky's "Process [... initdb ...] failed"
                .hasMessageContaining("xx_XX.NOPE") // initdb's own complaint, quoted from the server output
                .hasMessageContaining("set PGDOCK_TEST_URL")
                .hasMessageContaining("PGDOCK_TEST_URL=postgresql://postgres@127.0.0.1:5432/postgres")
                .hasCauseInstanceOf(IllegalStateException.class)
                .satisfies(e -> assertThat(dataDirectoryNamedIn(e.getMessage())).doesNotExist());
    }

    /** The server log is named in the message; the data directory is the same path without ".log". */
    private static Path dataDirectoryNamedIn(String message) {
        Matcher m = Pattern.compile("server output \\((.+)\\.log\\)").matcher(message);
        assertThat(m.find()).as("message names the server log: %s", message).isTrue();
        return Path.of(m.group(1));
    }
}
