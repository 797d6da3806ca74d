package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgdock.cli.CliProcess.Result;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgdockExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code provision}, {@code migrate} and {@code health}, and the command line's usage errors, run as processes of the
 * runnable jar. The methods build on each other (provision, then migrate), so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpsCommandsIT {

    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The runtime connection: the test database's owner, with a schema that provisioning creates. */
    private static Map<String, String> env() {
        return CliProcess.env(PG.spec().toBuilder().schema("runtime").build());
    }

    @Test
    @Order(1)
    void provisionPrintsSqlWithoutAServerAndNeverThePassword() {
        Map<String, String> env = new HashMap<>();
        env.put("PGDOCK_URL", "postgresql://app@db.invalid:5432/appdb?currentSchema=ingest");
        env.put("PGDOCK_PASSWORD", "do-not-print-me");
        Result r = CliProcess.run(env, "provision", "--print-sql");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("CREATE ROLE \"app\" LOGIN").contains("CREATE SCHEMA \"ingest\" AUTHORIZATION \"app\"")
                .doesNotContain("do-not-print-me");
    }

    @Test
    @Order(2)
    void configCommandsRefuseASchemaThatIsNotMigrated() {
        Result missing = CliProcess.run(env(), "config", "list");
        assertThat(missing.exitCode()).as("%s", missing).isEqualTo(1);
        assertThat(missing.err()).hasLineCount(1).contains("schema").contains("runtime");

        Result provision = CliProcess.run(env(), "provision", "--admin-url", CliProcess.url(PG.adminSpec()), "--json");
        assertThat(provision.exitCode()).as("%s", provision).isZero();
        assertThat(provision.out()).isEqualTo("{\"role\":\"" + PG.spec().user() + "\",\"schema\":\"runtime\",\"applied\":true}\n");

        Result notMigrated = CliProcess.run(env(), "config", "get", "a.b");
        assertThat(notMigrated.exitCode()).as("%s", notMigrated).isEqualTo(1);
        assertThat(notMigrated.err()).isEqualTo("pgdock: the config store in schema \"runtime\" is missing or out of "
                + "date (7 migrations pending); run 'pgdock migrate' first\n");
    }

    @Test
    @Order(3)
    void migratePrintsThenAppliesThenHasNothingPending() throws Exception {
        Result sql = CliProcess.run(env(), "migrate", "--print-sql");
        assertThat(sql.exitCode()).as("%s", sql).isZero();
        assertThat(sql.out()).contains("CREATE TABLE").contains("pgdock_schema_history");
        JsonNode pending = JSON.readTree(CliProcess.run(env(), "migrate", "--print-sql", "--json").out());
        assertThat(pending.get("pending").get("config")).hasSize(7);

        Result applied = CliProcess.run(env(), "migrate");
        assertThat(applied.exitCode()).as("%s", applied).isZero();
        assertThat(applied.out()).startsWith("applied config V1 ").contains("applied config V3 ")
                .contains("applied config V4 ").contains("applied config V7 ");

        Result again = CliProcess.run(env(), "migrate", "--json");
        assertThat(again.exitCode()).as("%s", again).isZero();
        assertThat(again.out()).isEqualTo("{\"schema\":\"runtime\",\"applied\":{}}\n");
        assertThat(CliProcess.run(env(), "migrate", "--print-sql").out()).doesNotContain("CREATE TABLE");

        Result works = CliProcess.run(env(), "config", "set", "after.migrate", "true");
        assertThat(works.exitCode()).as("%s", works).isZero();
    }

    @Test
    @Order(4)
    void healthUpAndDown() throws Exception {
        Result up = CliProcess.run(env(), "health");
        assertThat(up.exitCode()).as("%s", up).isZero();
        assertThat(up.out()).startsWith("storage  UP ").contains("PostgreSQL ");
        Map<String, String> withTarget = new HashMap<>(env());
        ConnectionSpec target = PG.spec();
        withTarget.put("PGDOCK_TARGET_WAREHOUSE_URL", CliProcess.url(target));
        JsonNode json = JSON.readTree(CliProcess.run(withTarget, "health", "--target", "warehouse", "--json").out());
        assertThat(json.get("status").asText()).isEqualTo("UP");
        assertThat(json.get("storage").get("pool").get("maximum").asInt()).isEqualTo(2);
        assertThat(json.get("targets").get("warehouse").get("status").asText()).isEqualTo("UP");

        Map<String, String> down = new HashMap<>(env());
        down.put("PGDOCK_PORT", Integer.toString(freePort()));
        Result r = CliProcess.run(down, "health", "--json");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        JsonNode d = JSON.readTree(r.out());
        assertThat(d.get("status").asText()).isEqualTo("DOWN");
        assertThat(d.get("storage").get("reason").asText()).isEqualTo("unreachable");
    }

    @Test
    @Order(5)
    void serverDownIsOneClearLine() throws Exception {
        Map<String, String> down = new HashMap<>(env());
        down.put("PGDOCK_PORT", Integer.toString(freePort()));
        Result r = CliProcess.run(down, "config", "get", "a.b");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("pgdock: cannot connect (unreachable): ").hasLineCount(1)
                .doesNotContain(PG.spec().password().orElse("no password"));
    }

    @Test
    @Order(6)
    void usageErrorsAreExitTwo() {
        Result unknown = CliProcess.run(env(), "frobnicate");
        assertThat(unknown.exitCode()).as("%s", unknown).isEqualTo(2);
        // Arguments are not echoed (one could be a secret): they are numbered, options named.
        assertThat(unknown.err()).startsWith("pgdock: unknown command at argument #1 for 'pgdock' (arguments that may "
                + "be values are not shown); the commands are config, connections, health, provision, migrate\n")
                .contains("Try 'pgdock --help'").doesNotContain("frobnicate");
        Result typo = CliProcess.run(env(), "config", "gett", "a.b");
        assertThat(typo.exitCode()).as("%s", typo).isEqualTo(2);
        assertThat(typo.err().lines()).containsExactly(
                "pgdock: unknown command 'gett' for 'pgdock config'; did you mean 'get'?",
                "Try 'pgdock config --help' for more information.");
        Result option = CliProcess.run(env(), "config", "get", "a.b", "--frob");
        assertThat(option.exitCode()).as("%s", option).isEqualTo(2);
        assertThat(option.err()).startsWith("pgdock: unknown option '--frob'\n");
        Result url = CliProcess.run(Map.of(), "health", "--url", "mysql://x/y");
        assertThat(url.exitCode()).as("%s", url).isEqualTo(2);
        assertThat(url.err()).startsWith("pgdock: url: ").contains("\"mysql:\"");
        Result duration = CliProcess.run(env(), "config", "watch", "--timeout", "soon");
        assertThat(duration.exitCode()).as("%s", duration).isEqualTo(2);
        assertThat(duration.err()).contains("'(not shown)' is not a duration").doesNotContain("soon");
    }

    @Test
    @Order(7)
    void helpAsAProcess() {
        for (String[] args : new String[][] {{"--help"}, {"config", "--help"}, {"config", "watch", "--help"}}) {
            Result r = CliProcess.run(Map.of(), args);
            assertThat(r.exitCode()).as("%s", r).isZero();
            assertThat(r.out()).startsWith("Usage: pgdock");
            assertThat(r.err()).isEmpty();
        }
    }

    /** A port nothing listens on: bound, then released. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
