package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
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

    @Test
    void aCopyThatCannotBeWrittenIsReportedAndDeleted() {
        AtomicReference<Path> given = new AtomicReference<>();

        assertThatThrownBy(() -> EmbeddedServer.startOnCopy(Map.of(), directory -> {
            given.set(directory);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory))).isEqualTo("rwx------");
            assertThat(directory.toFile().list()).isEmpty();
            Files.writeString(directory.resolve("half-copied"), "x");
            throw new IOException("the primary went away");
        }))
                .isInstanceOf(TestPostgresException.class)
                .hasMessageStartingWith("Could not start an embedded PostgreSQL: java.io.IOException: the primary went"
                        + " away")
                .hasMessageNotContaining("PGDOCK_TEST_URL") // a throwaway server's failure does not suggest it
                .cause().isInstanceOf(IOException.class);
        assertThat(given.get()).doesNotExist();
    }

    /** The server log is named in the message; the data directory is the same path without ".log". */
    private static Path dataDirectoryNamedIn(String message) {
        Matcher m = Pattern.compile("server output \\((.+)\\.log\\)").matcher(message);
        assertThat(m.find()).as("message names the server log: %s", message).isTrue();
        return Path.of(m.group(1));
    }
}
