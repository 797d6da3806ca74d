package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgdock.cli.CliProcess.Result;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.SilentServer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Commands against a server that accepts connections and never answers, run as processes of the runnable jar with
 * {@code --connect-timeout 3s}: each ends with exit 1 and one line naming the timeout, instead of hanging. A process is
 * taken for hung after three times the timeout plus {@value #JVM_START_SECONDS} s for the JVM to start; that is the only
 * time check.
 */
class SilentServerIT {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TIMEOUT_SECONDS = 3;
    private static final long JVM_START_SECONDS = 15;
    private static final long HANG_SECONDS = 3L * TIMEOUT_SECONDS + JVM_START_SECONDS;
    private static final String NAMED = "within the connect timeout of 3 s (connectTimeout)";

    private SilentServer silent;
    private Map<String, String> env;

    @BeforeEach
    void start() {
        silent = SilentServer.start();
        ConnectionSpec spec = silent.redirect(PG.spec()).toBuilder().schema("runtime").password("never-shown-8").build();
        env = CliProcess.env(spec);
    }

    @AfterEach
    void stop() {
        silent.close();
    }

    private Result run(Map<String, String> environment, String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--connect-timeout";
        all[args.length + 1] = TIMEOUT_SECONDS + "s";
        return CliProcess.runWithin(HANG_SECONDS, environment, all);
    }

    @Test
    void healthIsDownAndUnreachableNamingTheConnectTimeout() throws Exception {
        Result text = run(env, "health");
        assertThat(text.exitCode()).as("%s", text).isEqualTo(1);
        assertThat(text.out()).startsWith("storage  DOWN  unreachable: cannot connect to ").contains(NAMED)
                .doesNotContain("never-shown-8");

        Result json = run(env, "health", "--json");
        assertThat(json.exitCode()).as("%s", json).isEqualTo(1);
        JsonNode storage = JSON.readTree(json.out()).get("storage");
        assertThat(storage.get("status").asText()).isEqualTo("DOWN");
        assertThat(storage.get("reason").asText()).isEqualTo("unreachable");
        assertThat(storage.get("error").asText()).contains("the server accepted the connection but sent nothing " + NAMED);
        assertThat(silent.accepted()).isPositive();
    }

    @Test
    void aSilentTargetIsDownAndUnreachableNamingTheConnectTimeout() throws Exception {
        Map<String, String> withTarget = new HashMap<>(env);
        withTarget.put("PGDOCK_TARGET_WAREHOUSE_URL", CliProcess.url(silent.redirect(PG.spec())));
        Result r = run(withTarget, "health", "--target", "warehouse", "--json");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        JsonNode target = JSON.readTree(r.out()).get("targets").get("warehouse");
        assertThat(target.get("status").asText()).isEqualTo("DOWN");
        assertThat(target.get("reason").asText()).isEqualTo("unreachable");
        assertThat(target.get("error").asText()).contains(NAMED);
    }

    @Test
    void configMigrateAndProvisionFailInOneLineNamingTheConnectTimeout() {
        for (String[] command : new String[][] {{"config", "get", "a.b"}, {"config", "watch", "a."}, {"migrate"}}) {
            Result r = run(env, command);
            assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).as("%s", r).startsWith("pgdock: cannot connect (unreachable): ").contains(NAMED)
                    .hasLineCount(1).doesNotContain("never-shown-8");
        }
        Result provision = run(CliProcess.env(PG.spec().toBuilder().schema("runtime").build()), "provision",
                "--admin-url", CliProcess.url(silent.redirect(PG.adminSpec())));
        assertThat(provision.exitCode()).as("%s", provision).isEqualTo(1);
        assertThat(provision.err()).startsWith("pgdock: cannot connect (unreachable): ").contains(NAMED);
    }
}
