package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgdock.cli.CliProcess.Result;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.ThrowawayPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgdock health} against a server that asks for passwords, run as a process: without a password the storage and
 * a target are down for {@code authentication} (not "unreachable"), with the message saying where a password comes
 * from; a wrong password is {@code authentication} too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class PasswordRequiredIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROLE = "pgdock_cli_role";
    private static final String PASSWORD = "cli-pw-61";

    private ThrowawayPostgres server;

    @BeforeAll
    void start() throws Exception {
        server = ThrowawayPostgres.start();
        ConnectionSpec admin = server.adminSpec();
        try (Connection c = new org.postgresql.Driver().connect(admin.jdbcUrl(), admin.driverProperties());
                Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + PASSWORD + "'");
            s.execute("CREATE SCHEMA app AUTHORIZATION " + ROLE);
        }
        server.requirePasswords();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private ConnectionSpec spec(String password) {
        return server.adminSpec().toBuilder().host("127.0.0.1").port(server.port()).user(ROLE).password(password)
                .schema("app").build();
    }

    @Test
    void healthWithoutAPasswordIsDownForAuthenticationSayingWhereOneComesFrom() throws Exception {
        Map<String, String> env = CliProcess.env(spec(null));
        Result text = CliProcess.run(env, "health");
        assertThat(text.exitCode()).as("%s", text).isEqualTo(1);
        assertThat(text.out()).startsWith("storage  DOWN  authentication: cannot connect to ")
                .contains("the server asks for a password for role \"" + ROLE + "\", and none was given")
                .contains("PGDOCK_PASSWORD or PGPASSWORD").doesNotContain("unreachable");

        Map<String, String> withTarget = new HashMap<>(CliProcess.env(spec(PASSWORD)));
        withTarget.put("PGDOCK_TARGET_WAREHOUSE_URL", CliProcess.url(spec(null)));
        Result json = CliProcess.run(withTarget, "health", "--target", "warehouse", "--json");
        assertThat(json.exitCode()).as("%s", json).isEqualTo(1);
        JsonNode document = JSON.readTree(json.out());
        assertThat(document.get("storage").get("status").asText()).as("%s", json).isEqualTo("UP");
        JsonNode target = document.get("targets").get("warehouse");
        assertThat(target.get("status").asText()).isEqualTo("DOWN");
        assertThat(target.get("reason").asText()).isEqualTo("authentication");
        assertThat(target.get("error").asText()).contains("asks for a password");
        assertThat(json.out() + json.err()).doesNotContain(PASSWORD);
    }

    @Test
    void aWrongPasswordIsDownForAuthentication() throws Exception {
        Result r = CliProcess.run(CliProcess.env(spec("wrong-pw-9")), "health", "--json");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        JsonNode storage = JSON.readTree(r.out()).get("storage");
        assertThat(storage.get("reason").asText()).isEqualTo("authentication");
        assertThat(storage.get("error").asText()).contains("authentication failed").doesNotContain("wrong-pw-9");
    }

    @Test
    void aUrlWithoutAPasswordGetsThePasswordFilesPassword(@TempDir Path dir) throws Exception {
        Path pass = dir.resolve("pgpass");
        Files.writeString(pass, "127.0.0.1:" + server.port() + ":*:" + ROLE + ":" + PASSWORD + "\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        Result r = CliProcess.run(Map.of("PGPASSFILE", pass.toString()), "health", "--url",
                CliProcess.url(spec(null)) + "?currentSchema=app",
                "--json");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(0);
        assertThat(JSON.readTree(r.out()).get("storage").get("status").asText()).as("%s", r).isEqualTo("UP");
        assertThat(r.out() + r.err()).doesNotContain(PASSWORD);
    }

    @Test
    void aUrlWithoutAPasswordTakesPgdockPasswordThenPgpassword() throws Exception {
        String url = CliProcess.url(spec(null)) + "?currentSchema=app";
        for (String variable : new String[] {"PGDOCK_PASSWORD", "PGPASSWORD"}) {
            Result r = CliProcess.run(Map.of(variable, PASSWORD), "health", "--url", url, "--json");
            assertThat(r.exitCode()).as("%s from %s", r, variable).isEqualTo(0);
            assertThat(JSON.readTree(r.out()).get("storage").get("status").asText()).isEqualTo("UP");
            assertThat(r.out() + r.err()).doesNotContain(PASSWORD);
        }
        Result first = CliProcess.run(Map.of("PGDOCK_PASSWORD", PASSWORD, "PGPASSWORD", "wrong-pw-9"), "health",
                "--url", url, "--json");
        assertThat(first.exitCode()).as("PGDOCK_PASSWORD comes first: %s", first).isEqualTo(0);
        Result urlWins = CliProcess.run(Map.of("PGDOCK_PASSWORD", PASSWORD), "health", "--url",
                CliProcess.url(spec("wrong-pw-9")) + "?currentSchema=app", "--json");
        assertThat(urlWins.exitCode()).as("the URL's own password wins: %s", urlWins).isEqualTo(1);
        assertThat(JSON.readTree(urlWins.out()).get("storage").get("reason").asText()).isEqualTo("authentication");
    }
}
