package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgdock.cli.CliProcess.Result;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.ThrowawayPostgres;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code pgdock connections test} against a server that asks for passwords (a throwaway server of this class's own;
 * the config store is on the test server): the right password is up, a wrong one and none are down for
 * {@code authentication}, and the password shows nowhere.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses a server of its own: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class ConnectionsPasswordIT {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROLE = "pgdock_conn_role";
    private static final String PASSWORD = "conn-pw-73";
    private static final String KEYS = "k1:" + Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));

    private ThrowawayPostgres server;
    private ConnectionSpec store;

    @BeforeAll
    void start() throws Exception {
        store = PG.spec().toBuilder().schema("connpw").build();
        try (Storage ignored = Storage.open(store, StorageOptions.builder().createSchema(true).build())) {
            assertThat(ignored.schema()).isEqualTo("connpw");
        }
        server = ThrowawayPostgres.start();
        ConnectionSpec admin = server.adminSpec();
        try (Connection c = new org.postgresql.Driver().connect(admin.jdbcUrl(), admin.driverProperties());
                Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + PASSWORD + "'");
        }
        server.requirePasswords();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private Map<String, String> env(String password) {
        Map<String, String> env = new HashMap<>(CliProcess.env(store));
        env.put("PGDOCK_CONFIG_KEYS", KEYS);
        env.put("TARGET_PW", password);
        return env;
    }

    private String url() {
        return "postgresql://" + ROLE + "@127.0.0.1:" + server.port() + "/" + server.adminSpec().database();
    }

    private JsonNode test(Map<String, String> env, int expectedExit) throws Exception {
        Result r = CliProcess.run(env, "connections", "test", "secured", "--json");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(expectedExit);
        assertThat(r.out() + r.err()).doesNotContain(PASSWORD).doesNotContain("wrong-pw-8");
        return JSON.readTree(r.out());
    }

    @Test
    void theRightPasswordIsUpAWrongOneAndNoneAreDownForAuthentication() throws Exception {
        Result added = CliProcess.inProcess(env(PASSWORD), "connections", "add", "secured", url(), "--password-env",
                "TARGET_PW", "--replace");
        assertThat(added.exitCode()).as("%s", added).isZero();
        JsonNode up = test(env(PASSWORD), 0);
        assertThat(up.get("status").asText()).as("%s", up).isEqualTo("UP");

        CliProcess.inProcess(env("wrong-pw-8"), "connections", "add", "secured", url(), "--password-env",
                "TARGET_PW", "--replace");
        JsonNode wrong = test(env(PASSWORD), 1);
        assertThat(wrong.get("reason").asText()).as("%s", wrong).isEqualTo("authentication");
        assertThat(wrong.get("sqlState").asText()).isEqualTo("28P01");
        assertThat(wrong.get("error").asText()).contains("authentication failed; check user and password");
        assertThat(wrong.get("hint").asText()).isEqualTo("the user or password is refused: fix them in the stored "
                + "connection ('pgdock connections add secured --replace ...'), the password with --password-stdin "
                + "or --password-env");
        Result text = CliProcess.run(env(PASSWORD), "connections", "test", "secured");
        assertThat(text.exitCode()).as("%s", text).isEqualTo(1);
        assertThat(text.out()).contains("\nDOWN  authentication: cannot connect to postgresql://" + ROLE + ":***@");

        CliProcess.inProcess(env(PASSWORD), "connections", "add", "secured", url(), "--replace");
        JsonNode none = test(env(PASSWORD), 1);
        assertThat(none.get("reason").asText()).as("%s", none).isEqualTo("authentication");
        assertThat(none.get("error").asText()).contains("the server asks for a password for role \"" + ROLE
                + "\", and none was given");
    }
}
