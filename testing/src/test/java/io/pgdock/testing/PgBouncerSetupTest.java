package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Endpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

/** How PgBouncer is found and configured, without running it; these run whether or not it is installed. */
class PgBouncerSetupTest {

    private static final ConnectionSpec UPSTREAM = ConnectionSpec.builder()
            .host("db.example").port(5433).database("app").user("app_rw").password("s3cret\"x").build();

    @TempDir
    Path tmp;

    @Test
    void systemPropertyNamesTheBinaryAndNothingElseIsSearched() throws IOException {
        Path binary = executable(tmp.resolve("my-pgbouncer"));
        Path onPath = executable(Files.createDirectories(tmp.resolve("bin")).resolve("pgbouncer"));
        Map<String, String> env = Map.of("PATH", onPath.getParent().toString());

        assertThat(PgBouncer.Lookup.find(name -> binary.toString(), env).binary()).contains(binary);

        PgBouncer.Lookup missing = PgBouncer.Lookup.find(name -> "/nonexistent/pgbouncer", env);
        assertThat(missing.binary()).isEmpty();
        assertThat(missing.description()).isEqualTo("the system property pgdock.pgbouncer.binary names"
                + " /nonexistent/pgbouncer, which is not an executable file");
    }

    @Test
    void searchesPathBeforeTheStandardDirectories() throws IOException {
        Path notExecutable = Files.createDirectories(tmp.resolve("first"));
        Files.writeString(notExecutable.resolve("pgbouncer"), "not executable");
        Path binary = executable(Files.createDirectories(tmp.resolve("second")).resolve("pgbouncer"));
        Map<String, String> env = Map.of("PATH", notExecutable + ":" + binary.getParent());

        assertThat(PgBouncer.Lookup.find(name -> null, env).binary()).contains(binary);
    }

    @Test
    void saysWhereItLookedWhenNotFound() {
        Path empty = tmp.resolve("nothing-here");

        PgBouncer.Lookup lookup = PgBouncer.Lookup.find(name -> null, Map.of("PATH", empty.toString()));

        if (lookup.binary().isEmpty()) { // unless installed in a standard directory
            assertThat(lookup.description()).isEqualTo("no executable pgbouncer in PATH (" + empty + "), /usr/sbin or"
                    + " /usr/bin, and the system property pgdock.pgbouncer.binary is not set");
        } else {
            assertThat(lookup.binary().get().getParent()).isIn(Path.of("/usr/sbin"), Path.of("/usr/bin"));
        }
    }

    @Test
    void missingPgBouncerSkipsTheTestLocallyButFailsItInCi() {
        PgBouncer.Lookup missing = PgBouncer.Lookup.find(name -> "/nonexistent/pgbouncer", Map.of());

        for (Map<String, String> local : List.of(Map.<String, String>of(), Map.of("CI", "false"), Map.of("CI", ""))) {
            assertThatThrownBy(() -> PgBouncer.assumeAvailable(missing, local))
                    .as("environment %s", local)
                    .isInstanceOf(TestAbortedException.class)
                    .hasMessage("Assumption failed: PgBouncer is not available, so this test is skipped: the system"
                            + " property pgdock.pgbouncer.binary names /nonexistent/pgbouncer, which is not an"
                            + " executable file. To run it, install the Debian package pgbouncer (apt-get install"
                            + " pgbouncer), or set the system property pgdock.pgbouncer.binary to the path of the"
                            + " pgbouncer binary");
        }
        for (String ci : List.of("true", "TRUE", " true ")) {
            assertThatThrownBy(() -> PgBouncer.assumeAvailable(missing, Map.of("CI", ci)))
                    .as("CI=%s", ci)
                    .isInstanceOf(TestPostgresException.class)
                    .hasMessageStartingWith("PgBouncer is not available: the system property pgdock.pgbouncer.binary"
                            + " names /nonexistent/pgbouncer, which is not an executable file. This is a CI run (CI="
                            + ci + "), where a test that needs PgBouncer fails rather than being skipped; the CI"
                            + " script must install the Debian package pgbouncer");
        }
    }

    @Test
    void availablePgBouncerRunsTheTestInCiAndOutside() throws IOException {
        Path binary = executable(tmp.resolve("pgbouncer"));
        PgBouncer.Lookup found = PgBouncer.Lookup.find(name -> binary.toString(), Map.of());

        PgBouncer.assumeAvailable(found, Map.of("CI", "true"));
        PgBouncer.assumeAvailable(found, Map.of());
    }

    @Test
    void configForwardsTheUpstreamDatabaseAndChecksPasswords() {
        String config = PgBouncer.builder(UPSTREAM).defaultPoolSize(3).setting("max_client_conn", "500")
                .config(6543, Path.of("/tmp/x/userlist.txt"));

        assertThat(config).contains("[databases]\napp = host='db.example' port=5433 dbname='app'\n")
                .contains("listen_addr = 127.0.0.1\nlisten_port = 6543\n")
                .contains("auth_type = scram-sha-256\nauth_file = /tmp/x/userlist.txt\nadmin_users = app_rw\n")
                .contains("pool_mode = transaction\ndefault_pool_size = 3\n")
                .contains("ignore_startup_parameters = extra_float_digits\n")
                .contains("max_client_conn = 500\n")
                .doesNotContain("s3cret");
    }

    @Test
    void upstreamWithoutPasswordIsTrusted() {
        ConnectionSpec noPassword = UPSTREAM.toBuilder().password(null).database("odd name").build();

        String config = PgBouncer.builder(noPassword).poolMode(PgBouncer.PoolMode.SESSION)
                .setting("server_login_retry", "5").config(6543, Path.of("/tmp/x/userlist.txt"));

        assertThat(config).contains("\"odd name\" = host='db.example' port=5433 dbname='odd name'\n")
                .contains("auth_type = trust\n")
                .contains("pool_mode = session\n")
                .contains("server_login_retry = 5\n")
                .doesNotContain("server_login_retry = 1\n")
                .doesNotContain("default_pool_size");
    }

    @Test
    void builderRejectsBadValuesWithTheValueInTheMessage() {
        PgBouncer.Builder builder = PgBouncer.builder(UPSTREAM).setting("query_wait_timeout", "5");

        assertThatThrownBy(() -> builder.defaultPoolSize(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("default_pool_size must be at least 1, but was 0");
        assertThatThrownBy(() -> builder.setting("listen_port", "1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PgBouncer's listen_port is set by this fixture");
        assertThatThrownBy(() -> builder.setting("query_wait_timeout", "6"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("PgBouncer's query_wait_timeout was already set to '5'");
        assertThatThrownBy(() -> builder.setting("Bad Name", "1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("but was 'Bad Name'");
        assertThatThrownBy(() -> builder.setting("server_idle_timeout", "1\nlisten_port = 2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be on one line, but was '1\\nlisten_port = 2'");
        assertThatThrownBy(() -> builder.poolMode(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("poolMode");
    }

    @Test
    void upstreamWithSeveralHostsIsRefused() {
        ConnectionSpec twoHosts = UPSTREAM.toBuilder()
                .endpoints(List.of(new Endpoint("a", 5432), new Endpoint("b", 5432))).build();

        assertThatThrownBy(() -> PgBouncer.builder(twoHosts))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PgBouncer forwards to one server, but the upstream spec has 2");
    }

    private static Path executable(Path file) throws IOException {
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
