package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

/** The in-process entry point: help, usage errors and commands that need no server. */
class PgdockCliTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return PgdockCli.execute(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "config", "config get", "config set", "config delete", "config list", "config history",
            "config rollback", "config explain", "config export", "config import", "config watch", "health", "provision",
            "migrate"})
    void everyCommandHasHelp(String command) {
        String[] args = (command.isEmpty() ? "--help" : command + " --help").split(" ");
        assertThat(run(Map.of(), args)).isZero();
        assertThat(out()).startsWith("Usage: pgdock" + (command.isEmpty() ? "" : " " + command)).contains("--help");
        assertThat(err()).isEmpty();
    }

    @Test
    void noCommandIsAUsageError() {
        assertThat(run(Map.of())).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: a command is required");
        assertThat(run(Map.of(), "config")).isEqualTo(PgdockCli.USAGE);
    }

    @Test
    void missingConnectionNamesTheVariable() {
        assertThat(run(Map.of(), "config", "get", "a.b")).isEqualTo(PgdockCli.USAGE);
        assertThat(err().lines().findFirst().orElseThrow()).startsWith("pgdock: ").contains("PGDOCK_HOST");
    }

    @Test
    void malformedKeysAreAUsageErrorNamingTheVariable() {
        Map<String, String> env = Map.of("PGDOCK_URL", "postgresql://app@127.0.0.1:1/appdb?currentSchema=ingest",
                "PGDOCK_CONFIG_KEYS", "k1:bm90LWEta2V5");
        assertThat(run(env, "config", "get", "a.b")).isEqualTo(PgdockCli.USAGE);
        assertThat(err().lines().findFirst().orElseThrow()).startsWith("pgdock: ").contains("PGDOCK_CONFIG_KEYS")
                .doesNotContain("bm90LWEta2V5");
    }

    @Test
    void setNeedsExactlyOneValue() {
        assertThat(run(Map.of(), "config", "set", "a.b")).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: give the value either as JSON or with --file, not neither\n");
    }

    @Test
    void provisionPrintsSqlFromTheEnvironmentWithoutAServer() {
        int code = run(Map.of("PGDOCK_URL", "postgresql://app:hunter2@db.invalid/appdb?currentSchema=ingest"),
                "provision", "--print-sql", "--json");
        assertThat(code).as(err()).isZero();
        assertThat(out()).startsWith("{\"role\":\"app\",\"schema\":\"ingest\",\"statements\":[").doesNotContain("hunter2");
    }

    @Test
    void provisionWithoutAnAdminConnectionSaysHowToGiveOne() {
        int code = run(Map.of("PGDOCK_URL", "postgresql://app@db.invalid/appdb?currentSchema=ingest"), "provision");
        assertThat(code).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: provision needs an admin connection: --admin-url or PGDOCK_ADMIN_URL");
    }

    @Test
    void durations() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("PT1H")).isEqualTo(Duration.ofHours(1));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Durations.parse("0s"))
                .isInstanceOf(TypeConversionException.class).hasMessageContaining("'0s'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Durations.parse("soon"))
                .isInstanceOf(TypeConversionException.class).hasMessageContaining("'soon' is not a duration");
    }

    @Test
    void jsonSyntaxErrorsKeepThePositionAndDropTheSource() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Cli.parseJson("value", "[1, 2"))
                .isInstanceOf(UsageException.class)
                .hasMessageStartingWith("value is not valid JSON at line 1, column 6: ")
                .hasMessageNotContaining("Source");
    }

    @Test
    void aSecretThatIsNotJsonIsNotQuotedInTheMessage() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Cli.parseJson("value", "hunter2", true))
                .isInstanceOf(UsageException.class)
                .hasMessageStartingWith("value is not valid JSON at line 1, column 1: ")
                .hasMessageNotContaining("hunter2");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Cli.parseJson("value", "hunter2", false))
                .hasMessageContaining("hunter2");   // what the secret case hides
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Cli.parseJson("value", "  ", false))
                .isInstanceOf(UsageException.class).hasMessage("value is empty; give a JSON value (or use --string for text)");
    }

    @Test
    void layersGoFromTheScopeToTheRoot() {
        assertThat(ConfigSubcommand.layers("prod/ingest")).containsExactly("prod/ingest", "prod", "");
        assertThat(ConfigSubcommand.layers("")).containsExactly("");
    }
}
