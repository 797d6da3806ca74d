package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgdock.cli.CliProcess.Result;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code pgdock connections}, run as processes of the runnable jar against a real PostgreSQL: the config store is in
 * schema {@code conn} of the test database, and the connections point at that database (reachable), at a closed port
 * (unreachable) and at a database that does not exist.
 */
class ConnectionsCommandsIT {

    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEYS = "k1:" + Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));

    private static ConnectionSpec store;
    private static ConnectionSpec target;
    private static int closedPort;

    @BeforeAll
    static void migrate() throws IOException {
        store = PG.spec().toBuilder().schema("conn").build();
        try (Storage ignored = Storage.open(store, StorageOptions.builder().createSchema(true).build())) {
            assertThat(ignored.schema()).isEqualTo("conn");
        }
        target = PG.spec().toBuilder().schema("public").build();
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
    }

    /** The store's connection, without the master keys. */
    private static Map<String, String> env() {
        return CliProcess.env(store);
    }

    private static Map<String, String> envWithKeys() {
        Map<String, String> env = new HashMap<>(env());
        env.put("PGDOCK_CONFIG_KEYS", KEYS);
        return env;
    }

    private static Map<String, String> with(Map<String, String> env, String name, String value) {
        Map<String, String> m = new HashMap<>(env);
        m.put(name, value);
        return m;
    }

    /** The target's URL without its password. */
    private static String url(ConnectionSpec spec) {
        return spec.toBuilder().password(null).build().toString();
    }

    private static Result ok(Result r) {
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.err()).as("%s", r).isEmpty();
        return r;
    }

    private static Result failed(int code, Result r) {
        assertThat(r.exitCode()).as("%s", r).isEqualTo(code);
        return r;
    }

    private static String password() {
        return target.password().orElseThrow();
    }

    @Test
    void addGetListTestDelete() throws Exception {
        Result added = ok(CliProcess.runWithInput(envWithKeys(), password() + "\n", "connections", "add", "wh",
                url(target), "--password-stdin", "--reason", "new warehouse"));
        assertThat(added.out()).isEqualTo("added connection \"wh\" in scope (root) (config key "
                + "pgdock.connections.wh): version 1, password stored as a secret\n");
        String stored = PG.jdbi().withHandle(h -> h.createQuery("select value::text from conn.config_entry "
                + "where key = 'pgdock.connections.wh'").mapTo(String.class).one());
        assertThat(stored).contains("$pgdock_secret").doesNotContain(password());

        // get and list need no master key, and never show the password.
        Result got = ok(CliProcess.run(env(), "connections", "get", "wh"));
        assertThat(got.out()).contains("key               pgdock.connections.wh (scope (root), version 1, ")
                .contains("by cli:tester)").containsPattern("\nhost +" + target.host() + "\n")
                .contains("\npassword          (secret, set)\n").doesNotContain(password());
        JsonNode json = JSON.readTree(ok(CliProcess.run(env(), "connections", "get", "wh", "--json")).out());
        assertThat(json.get("connection").get("password").asText()).isEqualTo("(secret, set)");
        assertThat(json.get("connection").get("database").asText()).isEqualTo(target.database());
        assertThat(json.get("connection").get("port").asInt()).isEqualTo(target.port());
        assertThat(json.get("version").asLong()).isEqualTo(1);
        assertThat(json.get("overriddenByEnvironment").asBoolean()).isFalse();

        Result list = ok(CliProcess.inProcess(env(), "connections", "list"));
        assertThat(list.out()).containsPattern("(?m)^wh +v1 +" + java.util.regex.Pattern.quote(url(target))
                        + "  password: secret$")
                .doesNotContain(password());
        JsonNode listed = JSON.readTree(ok(CliProcess.inProcess(env(), "connections", "list", "--json")).out());
        assertThat(listed.get("connections").findValuesAsText("name")).contains("wh");

        // A second add is refused; --replace writes version 2.
        Result again = failed(1, CliProcess.runWithInput(envWithKeys(), password(), "connections", "add", "wh",
                url(target), "--password-stdin"));
        assertThat(again.err()).startsWith("pgdock: connection \"wh\" exists already in scope (root) (version 1); "
                + "give --replace, or --expect-version 1");
        Map<String, String> passwordVariable = with(envWithKeys(), "WH_PASSWORD", password());
        assertThat(ok(CliProcess.inProcess(passwordVariable, "connections", "add", "wh", url(target),
                "--password-env", "WH_PASSWORD", "--replace")).out()).startsWith("replaced connection \"wh\"")
                .contains("version 2");

        // test: the stored connection answers, and it is up.
        Result up = ok(CliProcess.run(envWithKeys(), "connections", "test", "wh"));
        assertThat(up.out()).startsWith("connection \"wh\" from config key \"pgdock.connections.wh\" in scope (root), "
                + "version 2\n  postgresql://" + target.user() + ":***@").contains("\nUP    connected in ")
                .doesNotContain(password());
        JsonNode upJson = JSON.readTree(ok(CliProcess.inProcess(envWithKeys(), "connections", "test", "wh", "--json"))
                .out());
        assertThat(upJson.get("status").asText()).isEqualTo("UP");
        assertThat(upJson.get("source").asText()).isEqualTo("config-store");
        assertThat(upJson.get("version").asLong()).isEqualTo(2);

        assertThat(ok(CliProcess.run(env(), "connections", "delete", "wh")).out())
                .isEqualTo("deleted connection \"wh\" from scope (root)\n");
        Result gone = failed(1, CliProcess.inProcess(env(), "connections", "get", "wh"));
        assertThat(gone.err()).isEqualTo("pgdock: no connection \"wh\" is stored (config key "
                + "\"pgdock.connections.wh\", scope (root))\n");
        assertThat(failed(1, CliProcess.inProcess(env(), "connections", "delete", "wh")).err())
                .startsWith("pgdock: no connection \"wh\" is stored");
    }

    @Test
    void testReportsTheClassifiersReasonAndExitsOneWhenItCannotConnect() throws Exception {
        ok(CliProcess.inProcess(envWithKeys(), "connections", "add", "closed", "--host", "127.0.0.1", "--port",
                Integer.toString(closedPort), "--database", "nowhere", "--user", "nobody", "--connect-timeout", "5s"));
        Result down = failed(1, CliProcess.run(envWithKeys(), "connections", "test", "closed"));
        assertThat(down.out()).startsWith("connection \"closed\" from config key \"pgdock.connections.closed\"")
                .contains("\nDOWN  unreachable: cannot connect to postgresql://nobody@127.0.0.1:" + closedPort
                        + "/nowhere")
                .contains("no server answered; check host, port and network, and that the server is running")
                .contains("fix the connection in the stored connection ('pgdock connections add closed --replace");
        JsonNode json = JSON.readTree(failed(1, CliProcess.inProcess(envWithKeys(), "connections", "test", "closed",
                "--json")).out());
        assertThat(json.get("status").asText()).isEqualTo("DOWN");
        assertThat(json.get("reason").asText()).isEqualTo("unreachable");

        // A database that does not exist, on the reachable server.
        ok(CliProcess.inProcess(with(envWithKeys(), "PW", password()), "connections", "add", "nodb",
                url(target.toBuilder().database("no_such_db_42").build()), "--password-env", "PW"));
        JsonNode missing = JSON.readTree(failed(1, CliProcess.run(envWithKeys(), "connections", "test", "nodb",
                "--json")).out());
        assertThat(missing.get("reason").asText()).as("%s", missing).isEqualTo("database_missing");
        assertThat(missing.get("sqlState").asText()).isEqualTo("3D000");
        assertThat(missing.get("error").asText()).contains("the database does not exist; create it or fix the "
                + "database name");

        // A schema that does not exist.
        ok(CliProcess.inProcess(with(envWithKeys(), "PW", password()), "connections", "add", "noschema",
                url(target.toBuilder().schema("no_such_schema").build()), "--password-env", "PW"));
        JsonNode schema = JSON.readTree(failed(1, CliProcess.inProcess(envWithKeys(), "connections", "test",
                "noschema", "--json")).out());
        assertThat(schema.get("reason").asText()).as("%s", schema).isEqualTo("schema_missing");
    }

    @Test
    void theEnvironmentWinsOverTheStoredConnectionAndTestSaysSo() throws Exception {
        ok(CliProcess.inProcess(with(envWithKeys(), "PW", password()), "connections", "add", "envwins",
                url(target), "--password-env", "PW"));
        Map<String, String> overridden = with(envWithKeys(), "PGDOCK_TARGET_ENVWINS_URL",
                "postgresql://nobody@127.0.0.1:" + closedPort + "/nowhere");

        Result down = failed(1, CliProcess.run(overridden, "connections", "test", "envwins"));
        assertThat(down.out()).startsWith("connection \"envwins\" from the environment (PGDOCK_TARGET_ENVWINS_*)\n")
                .contains("\nDOWN  unreachable: ").contains("fix the connection in the PGDOCK_TARGET_ENVWINS_* "
                        + "variables");
        JsonNode json = JSON.readTree(failed(1, CliProcess.inProcess(overridden, "connections", "test", "envwins",
                "--json")).out());
        assertThat(json.get("source").asText()).isEqualTo("environment");
        assertThat(json.get("scope").isNull()).isTrue();

        // get is about the stored connection, and says that the environment overrides it.
        assertThat(ok(CliProcess.inProcess(overridden, "connections", "get", "envwins")).out())
                .contains("\noverridden        yes: PGDOCK_TARGET_ENVWINS_* is set, and the environment wins\n");
        assertThat(ok(CliProcess.inProcess(overridden, "connections", "list")).out())
                .contains("(overridden by PGDOCK_TARGET_ENVWINS_*)");

        // With the environment alone, test needs no store at all.
        Map<String, String> onlyTarget = Map.of("PGDOCK_TARGET_ENVONLY_URL", url(target),
                "PGDOCK_TARGET_ENVONLY_PASSWORD", password());
        assertThat(ok(CliProcess.inProcess(onlyTarget, "connections", "test", "envonly")).out())
                .startsWith("connection \"envonly\" from the environment (PGDOCK_TARGET_ENVONLY_*)\n")
                .contains("\nUP    connected in ");
    }

    @Test
    void anInvalidStoredConnectionIsNamedWithItsFieldAndValue() throws Exception {
        ok(CliProcess.inProcess(env(), "config", "set", "pgdock.connections.bad",
                "{\"host\": \"h\", \"database\": \"d\", \"user\": \"u\", \"port\": 70000}"));
        String problem = "connection \"bad\" (config key \"pgdock.connections.bad\", scope (root)): port: must be a "
                + "whole number from 1 to 65535, but was 70000";
        assertThat(failed(1, CliProcess.run(env(), "connections", "get", "bad")).err())
                .isEqualTo("pgdock: " + problem + "\n");
        assertThat(failed(1, CliProcess.inProcess(env(), "connections", "test", "bad")).err())
                .isEqualTo("pgdock: " + problem + "\n");
        assertThat(ok(CliProcess.inProcess(env(), "connections", "list")).out())
                .containsPattern("(?m)^bad +INVALID  " + java.util.regex.Pattern.quote(problem) + "$");
        ok(CliProcess.inProcess(env(), "config", "delete", "pgdock.connections.bad"));
    }

    @Test
    void badInputIsAUsageErrorAndAPasswordIsNeverTakenFromTheCommandLine() {
        Result inUrl = failed(2, CliProcess.inProcess(envWithKeys(), "connections", "add", "x",
                "postgresql://u:pw-in-url@h/d"));
        assertThat(inUrl.err()).startsWith("pgdock: connection \"x\": the URL holds a password, which a command line "
                + "shows to everyone (ps, shell history); give it with --password-stdin or --password-env VARIABLE\n")
                .doesNotContain("pw-in-url");
        assertThat(failed(2, CliProcess.inProcess(envWithKeys(), "connections", "add", "x", "--host", "h",
                "--database", "d", "--user", "u", "--password", "pw")).err()).startsWith("pgdock: ")
                .contains("--password");
        assertThat(failed(2, CliProcess.inProcess(envWithKeys(), "connections", "add", "x", "--host", "h",
                "--database", "d", "--user", "u", "--sslmode", "sometimes")).err())
                .startsWith("pgdock: --sslmode: expected one of disable, allow, prefer, require, verify-ca, "
                        + "verify-full, but was \"sometimes\"\n");
        assertThat(failed(2, CliProcess.inProcess(envWithKeys(), "connections", "add", "x", "--host", "h",
                "--database", "d", "--user", "u", "--port", "0")).err())
                .startsWith("pgdock: connection \"x\": port: must be between 1 and 65535, but was 0\n");
        assertThat(failed(2, CliProcess.inProcess(envWithKeys(), "connections", "add", "x", "--host", "h")).err())
                .startsWith("pgdock: give the connection as URL, or with --host, --database and --user (missing: "
                        + "--database, --user)\n");
        assertThat(failed(2, CliProcess.inProcess(envWithKeys(), "connections", "add", "x", "postgresql://u@h/d",
                "--host", "h")).err()).startsWith("pgdock: give the connection either as URL or with --host");
        assertThat(failed(2, CliProcess.inProcess(envWithKeys(), "connections", "add", "x", "postgresql://u@h/d",
                "--password-env", "NOT_SET_ANYWHERE")).err())
                .startsWith("pgdock: --password-env NOT_SET_ANYWHERE: the variable is not set\n");
        assertThat(failed(2, CliProcess.inProcess(env(), "connections", "get", "a/b")).err())
                .startsWith("pgdock: target name \"a/b\" is not valid");
        assertThat(failed(1, CliProcess.inProcess(envWithKeys(), "connections", "test", "unknown")).err())
                .isEqualTo("pgdock: no connection is named \"unknown\": none is stored (config key "
                        + "\"pgdock.connections.unknown\", scope (root)) and no PGDOCK_TARGET_UNKNOWN_* variable is "
                        + "set\n");
        // Without the master keys a password cannot be stored.
        assertThat(failed(1, CliProcess.inProcess(with(env(), "PW", "pw"), "connections", "add", "nokey",
                "postgresql://u@h/d", "--password-env", "PW")).err()).startsWith("pgdock: ")
                .contains("PGDOCK_CONFIG_KEYS");
    }
}
