package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    @ValueSource(strings = {"", "config", "config get", "config set", "config patch", "config delete", "config list", "config history",
            "config rollback", "config explain", "config reencrypt", "config export", "config import", "config watch", "health", "provision",
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
    void reencryptWithoutKeysIsAUsageErrorBeforeConnecting() {
        Map<String, String> env = Map.of("PGDOCK_URL", "postgresql://app@127.0.0.1:1/appdb?currentSchema=ingest");
        assertThat(run(env, "config", "reencrypt")).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).isEqualTo("pgdock: config reencrypt needs the master keys: set PGDOCK_CONFIG_KEYS=<new key"
                + " id>:<base64 key>,<old key id>:<base64 key> (the current key first)" + System.lineSeparator()
                + "Try 'pgdock config reencrypt --help' for more information." + System.lineSeparator());
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
    void provisionWithAnOwnerPrintsTheTwoRoleSqlWithoutAServer() {
        int code = run(Map.of("PGDOCK_URL", "postgresql://app:hunter2@db.invalid/appdb?currentSchema=ingest"),
                "provision", "--print-sql", "--json", "--owner-url", "postgresql://app_owner:s3cret-owner@db.invalid/appdb");
        assertThat(code).as(err()).isZero();
        assertThat(out()).startsWith("{\"role\":\"app\",\"schema\":\"ingest\",\"owner\":\"app_owner\",\"statements\":[")
                .contains("CREATE SCHEMA \\\"ingest\\\" AUTHORIZATION \\\"app_owner\\\"")
                .contains("ALTER DEFAULT PRIVILEGES FOR ROLE \\\"app_owner\\\"")
                .doesNotContain("hunter2").doesNotContain("s3cret-owner");
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

    /** Picocli quotes the arguments it did not understand; an argument can be a password or a secret. */
    @ParameterizedTest
    @ValueSource(strings = {
            "--url|postgresql://app:S3cret-pw@db/app|config|get|k=>unknown option '--url', unexpected argument #2 "
                    + "(arguments that may be values are not shown); options such as --url go after the command",
            "config|get|k|--ulr|postgresql://app:S3cret-pw@db/app=>unknown option '--ulr', unexpected argument #5 (",
            "config|get|k|--ulr=postgresql://app:S3cret-pw@db/app=>unknown option '--ulr'; did you mean '--url'?\n",
            "config|set|k|--secret|--string|-S3cret-pw=>unknown option at argument #6 (",
            "config|set|k|--secret|--string|S3cret-pw|S3cret-pw2=>unexpected argument #7 (",
            "config|set|k|--secret|--expect-version|S3cret-pw|1=>Invalid value for option '--expected-version': "
                    + "'(not shown)' is not a long",
            "config|set|k|--expect-version=S3cret-pw|1=>'(not shown)' is not a long",
            "config|import|f|--mode|S3cret-pw=>but was '(not shown)'",
            "config|watch|--timeout|S3cret-pw=>Invalid value for option '--timeout': '(not shown)' is not a duration",
            "config|S3cret-pw|k=>unknown command at argument #2 for 'pgdock config' (arguments that may be values "
                    + "are not shown); the commands are get, set, patch,",
            "S3cret-pw=>unknown command at argument #1 for 'pgdock' (",
            // A value with a line break (a PEM, a multi-line secret) must not show its first line.
            "config|set|k|--secret|--expect-version|S3cret\nS3cret-pw|1=>Invalid value for option '--expected-version'",
            "config|watch|--timeout|S3cret\nS3cret-pw=>Invalid value for option '--timeout'"})
    void usageErrorsShowNoArgumentValues(String testCase) {
        String[] args = testCase.substring(0, testCase.indexOf("=>")).split("\\|");
        String expected = testCase.substring(testCase.indexOf("=>") + 2);
        assertThat(run(Map.of("PGDOCK_URL", "postgresql://app@127.0.0.1:1/app"), args)).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: ").contains(expected).contains("Try 'pgdock")
                .doesNotContain("S3cret").doesNotContain("S3cret-pw".toLowerCase(java.util.Locale.ROOT));
        assertThat(out()).isEmpty();
    }

    @Test
    void usageErrorsStillShowNumbersDurationsAndNames() {
        assertThat(run(Map.of(), "config", "watch", "--timeout", "0s")).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: Invalid value for option '--timeout': '0s' is not a positive duration");
        err.reset();
        assertThat(run(Map.of(), "config", "rollback", "k")).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: Missing required option: '--to-version=N'");
        err.reset();
        assertThat(run(Map.of(), "config", "history", "k", "--limit", "0", "--url", "postgresql://a:S3cret@h:1/d"))
                .isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: --limit must be at least 1, but was 0\n");
        assertThat(UsageMessages.maskUrlPasswords("at postgresql://app:S3cret@db/x and jdbc:postgresql://h/x"))
                .isEqualTo("at postgresql://app:***@db/x and jdbc:postgresql://h/x");
    }

    @Test
    void aDurationThatOverflowsIsAUsageErrorNamingTheOptionAndValue() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Durations.parse("999999999h"))
                .isInstanceOf(TypeConversionException.class).hasMessage("'999999999h' is too long (at most 8760h)");
        assertThat(Durations.parse("8760h")).isEqualTo(Durations.MAX);
        assertThat(run(Map.of("PGDOCK_URL", "postgresql://app@127.0.0.1:1/app"), "config", "watch", "--timeout",
                "999999999h")).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: Invalid value for option '--timeout': '999999999h' is too long");
    }

    @Test
    void theUrlsConnectTimeoutWinsOverTheOption() {
        Cli cli = new Cli(Map.of("PGDOCK_URL", "postgresql://app@db/app"), java.io.InputStream.nullInputStream(),
                System.out, System.err, false, false);
        picocli.CommandLine cmd = cli.commandLine(new RootCommand(cli));
        CliCommand inUrl = command(cmd, "config", "get", "k", "--url", "postgresql://app@db/app?connectTimeout=3",
                "--connect-timeout", "9s");
        assertThat(inUrl.connection(cli).connectTimeout()).contains(Duration.ofSeconds(3));
        CliCommand notInUrl = command(cli.commandLine(new RootCommand(cli)), "config", "get", "k",
                "--connect-timeout", "9s");
        assertThat(notInUrl.connection(cli).connectTimeout()).contains(Duration.ofSeconds(9));
        CliCommand neither = command(cli.commandLine(new RootCommand(cli)), "config", "get", "k");
        assertThat(neither.connection(cli).connectTimeout()).contains(CliCommand.DEFAULT_CONNECT_TIMEOUT);
    }

    private static CliCommand command(picocli.CommandLine cmd, String... args) {
        picocli.CommandLine.ParseResult r = cmd.parseArgs(args);
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return (CliCommand) r.commandSpec().userObject();
    }

    @Test
    void aFileThatCannotBeReadIsTheSameUsageErrorForImportAndSet(@org.junit.jupiter.api.io.TempDir Path dir) {
        Map<String, String> env = Map.of("PGDOCK_URL", "postgresql://app@127.0.0.1:1/app");
        assertThat(run(env, "config", "import", dir.toString())).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: cannot read " + dir + ": Is a directory\n");
        err.reset();
        assertThat(run(env, "config", "set", "k", "--file", dir.toString())).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: cannot read " + dir + ": Is a directory\n");
        err.reset();
        assertThat(run(env, "config", "import", dir.resolve("none.json").toString())).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: cannot read " + dir.resolve("none.json") + ": no such file\n");
        assertThat(ConfigCommand.cannotRead("f", new java.nio.file.AccessDeniedException("f")))
                .hasMessage("cannot read f: permission denied");
    }

    @Test
    void anImportFileThatIsNotJsonIsNotQuoted(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("hand-written.json"),
                "{\"format\": \"pgdock-config\",\n\"entries\": [{\"key\": \"a\", \"value\": S3cretToken}]}");
        Map<String, String> env = Map.of("PGDOCK_URL", "postgresql://app@127.0.0.1:1/app");
        assertThat(run(env, "config", "import", file.toString())).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).startsWith("pgdock: " + file + " is not valid JSON at line 2, column ")
                .contains(": unexpected text there\n").doesNotContain("S3cret");
        err.reset();
        Files.writeString(file, "{\"format\": \"pgdock-config\", \"entries\": [");
        assertThat(run(env, "config", "import", file.toString())).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).contains(": the document ends too early\n");
    }

    @Test
    void aTerminalIsWhatTheDescriptorPointsTo(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path fd = dir.resolve("2");
        assertThat(PgdockCli.isTerminal(fd, link -> Path.of("/dev/pts/3"), () -> false)).isTrue();
        assertThat(PgdockCli.isTerminal(fd, link -> Path.of("/dev/tty1"), () -> false)).isTrue();
        assertThat(PgdockCli.isTerminal(fd, link -> Path.of("/home/ops/export.log"), () -> true)).isFalse();
        assertThat(PgdockCli.isTerminal(fd, link -> Path.of("pipe:[81234]"), () -> true)).isFalse();
        assertThat(PgdockCli.isTerminal(fd, link -> Path.of("/dev/null"), () -> true)).isFalse();
        // A closed descriptor, in a /proc/self/fd that exists: no terminal.
        assertThat(PgdockCli.isTerminal(fd, link -> {
            throw new java.nio.file.NoSuchFileException(link.toString());
        }, () -> true)).isFalse();
        // No /proc at all: the fallback (System.console()) decides.
        Path noProc = dir.resolve("proc").resolve("self").resolve("fd").resolve("2");
        assertThat(PgdockCli.isTerminal(noProc, link -> {
            throw new java.nio.file.NoSuchFileException(link.toString());
        }, () -> true)).isTrue();
        assertThat(PgdockCli.isTerminal(noProc, link -> {
            throw new java.nio.file.NoSuchFileException(link.toString());
        }, () -> false)).isFalse();
    }

    @Test
    void theProgressBarIsDrawnOnATerminalStderrUnlessTheDocumentGoesToATerminalStdout() {
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        Cli both = new Cli(Map.of(), InputStream.nullInputStream(), nowhere, nowhere, true, true);
        assertThat(both.progress(false, false)).isTrue();    // export -o FILE, import
        assertThat(both.progress(false, true)).isFalse();    // export to the terminal
        assertThat(both.progress(true, false)).isFalse();    // --no-progress
        Cli redirected = new Cli(Map.of(), InputStream.nullInputStream(), nowhere, nowhere, false, true);
        assertThat(redirected.progress(false, true)).isTrue();   // config export > backup.json
        Cli errToFile = new Cli(Map.of(), InputStream.nullInputStream(), nowhere, nowhere, true, false);
        assertThat(errToFile.progress(false, false)).isFalse();  // -o f 2>log
    }

    @Test
    void layersGoFromTheScopeToTheRoot() {
        assertThat(ConfigSubcommand.layers("prod/ingest")).containsExactly("prod/ingest", "prod", "");
        assertThat(ConfigSubcommand.layers("")).containsExactly("");
    }

    /** A mistyped command or option gets the closest names, at every level; the exit code stays that of usage. */
    @ParameterizedTest
    @ValueSource(strings = {
            "confg|get|x=>pgdock: unknown command 'confg' for 'pgdock'; did you mean 'config'?\n",
            "config|lsit=>unknown command 'lsit' for 'pgdock config'; did you mean 'list'?",
            "config|hist|k=>unknown command 'hist' for 'pgdock config'; did you mean 'history'?",
            "config|pach|k|{}=>unknown command 'pach' for 'pgdock config'; did you mean 'patch'?",
            "config|xet|k=>unknown command 'xet' for 'pgdock config'; did you mean 'get' or 'set'?",
            "helth=>unknown command 'helth' for 'pgdock'; did you mean 'health'?",
            "config|get|k|--scoep|a=>unknown option '--scoep', unexpected argument #5 (arguments that may be values "
                    + "are not shown); did you mean '--scope'?",
            "config|set|k|1|--expected-versoin=3=>unknown option '--expected-versoin'; did you mean "
                    + "'--expected-version'?",
            "config|frobnicate=>unknown command at argument #2 for 'pgdock config' (arguments that may be values are "
                    + "not shown); the commands are get, set, patch, delete, list, history, rollback, explain, reencrypt,"
                    + " verify, export, import, watch\n"})
    void aTypoSuggestsTheClosestName(String testCase) {
        String[] args = testCase.substring(0, testCase.indexOf("=>")).split("\\|");
        String expected = testCase.substring(testCase.indexOf("=>") + 2);
        assertThat(run(Map.of(), args)).as(err()).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).contains(expected).doesNotContain("Did you mean").doesNotContain("Possible solutions");
        assertThat(err().lines()).as("one line and the hint").hasSize(2);
        assertThat(out()).isEmpty();
    }

    @Test
    void aMistypedConfigCommandIsNamedWithTheClosestOne() {
        assertThat(run(Map.of(), "config", "gett", "x")).isEqualTo(PgdockCli.USAGE);
        assertThat(err()).isEqualTo("pgdock: unknown command 'gett' for 'pgdock config'; did you mean 'get'?"
                + System.lineSeparator() + "Try 'pgdock config --help' for more information." + System.lineSeparator());
    }

    @Test
    void suggestionsAreByEditDistance() {
        assertThat(Suggestions.distance("gett", "get")).isEqualTo(1);
        assertThat(Suggestions.distance("lsit", "list")).as("a swap is one edit").isEqualTo(1);
        assertThat(Suggestions.distance("", "get")).isEqualTo(3);
        assertThat(Suggestions.closest("GET", java.util.List.of("get", "set"))).containsExactly("get");
        assertThat(Suggestions.closest("sett", java.util.List.of("get", "set", "delete"))).containsExactly("set");
        assertThat(Suggestions.closest("xyz", java.util.List.of("get", "set"))).isEmpty();
        assertThat(Suggestions.closest("exp", java.util.List.of("export", "explain"))).as("an ambiguous prefix")
                .isEmpty();
        assertThat(Suggestions.closest("S3cret-pw", java.util.List.of("set", "reencrypt", "verify"))).isEmpty();
    }

    /** The actor of writes: --actor, PGDOCK_ACTOR, the OS user (environment, then user.name), "unknown". */
    @Test
    void theActorFallsBackToTheOsUserThenUnknown() {
        assertThat(actor(Map.of("USER", "ops", "LOGNAME", "other", "PGDOCK_ACTOR", "ci:deploy"), "sys", "--actor", "me"))
                .isEqualTo("me");
        assertThat(actor(Map.of("USER", "ops", "PGDOCK_ACTOR", "ci:deploy"), "sys")).isEqualTo("ci:deploy");
        assertThat(actor(Map.of("USER", "ops", "LOGNAME", "other", "PGDOCK_ACTOR", " "), "sys")).isEqualTo("cli:ops");
        assertThat(actor(Map.of("USER", "", "LOGNAME", "lognamed", "USERNAME", "win"), "sys")).isEqualTo("cli:lognamed");
        assertThat(actor(Map.of("USERNAME", "win"), "sys")).as("Windows").isEqualTo("cli:win");
        assertThat(actor(Map.of(), "sys")).as("the JVM's user.name").isEqualTo("cli:sys");
        assertThat(actor(Map.of(), "?")).as("the JDK's name for a user id without a name").isEqualTo("cli:unknown");
        assertThat(actor(Map.of(), null)).as("execute() reads no user.name").isEqualTo("cli:unknown");
    }

    private static String actor(Map<String, String> env, @org.jspecify.annotations.Nullable String systemUser,
            String... options) {
        Cli cli = new Cli(env, InputStream.nullInputStream(), System.out, System.err, false, false,
                io.pgdock.core.Ticker.system(), systemUser);
        String[] args = new String[3 + options.length];
        args[0] = "config";
        args[1] = "delete";
        args[2] = "k";
        System.arraycopy(options, 0, args, 3, options.length);
        return ((ConfigWriteCommand) command(cli.commandLine(new RootCommand(cli)), args)).actor(cli);
    }
}
