package io.pgdock.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgdock.cli.CliProcess.Result;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.Wait;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The {@code config} commands, run as processes of the runnable jar against a real PostgreSQL. */
class ConfigCommandsIT {

    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Bounds a wait on the watch process; it only detects a hang and is never asserted on. */
    private static final Duration HANG = Duration.ofSeconds(CliProcess.HANG_SECONDS);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEYS = "k1:" + Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));

    private static ConnectionSpec spec;

    @BeforeAll
    static void migrate() {
        spec = PG.spec().toBuilder().schema("ops").build();
        // The config store's tables, made by the library; MigrateCommandIT makes them with the CLI.
        try (Storage ignored = Storage.open(spec, StorageOptions.builder().createSchema(true).build())) {
            assertThat(ignored.schema()).isEqualTo("ops");
        }
    }

    private static Map<String, String> env() {
        return CliProcess.env(spec);
    }

    private static Map<String, String> envWithKeys() {
        Map<String, String> env = new HashMap<>(env());
        env.put("PGDOCK_CONFIG_KEYS", KEYS);
        return env;
    }

    private static JsonNode json(Result r) throws Exception {
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.err()).as("%s", r).isEmpty();
        return JSON.readTree(r.out());
    }

    private static Result ok(Map<String, String> env, String... args) {
        Result r = CliProcess.run(env, args);
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.err()).as("%s", r).isEmpty();
        return r;
    }

    /** As {@link #ok}, in this JVM: for set-up and follow-up reads (see {@link CliProcess#inProcess}). */
    private static Result okHere(Map<String, String> env, String... args) {
        Result r = CliProcess.inProcess(env, args);
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.err()).as("%s", r).isEmpty();
        return r;
    }

    @Test
    void setGetListHistoryRollbackExplainDelete() throws Exception {
        ok(env(), "config", "set", "crud.pool", "{\"max\": 10, \"min\": 2}", "--reason", "first");
        Result set = ok(env(), "config", "set", "crud.pool", "{\"max\": 20, \"min\": 2}", "--json");
        assertThat(JSON.readTree(set.out()).get("version").asLong()).isEqualTo(2);
        assertThat(JSON.readTree(set.out()).get("updatedBy").asText()).isEqualTo("cli:tester");

        assertThat(JSON.readTree(ok(env(), "config", "get", "crud.pool").out()))
                .isEqualTo(JSON.readTree("{\"max\": 20, \"min\": 2}"));
        JsonNode got = json(CliProcess.run(env(), "config", "get", "crud.pool", "--pointer", "/max", "--json"));
        assertThat(got.get("value").asInt()).isEqualTo(20);
        assertThat(got.get("version").asLong()).isEqualTo(2);

        assertThat(ok(env(), "config", "list", "crud.").out()).matches("crud\\.pool\\s+v2\\s+\\{\"max\":20,\"min\":2}\\n");
        JsonNode list = json(CliProcess.run(env(), "config", "list", "crud.", "--json"));
        assertThat(list.get("entries")).hasSize(1);
        assertThat(list.get("entries").get(0).get("key").asText()).isEqualTo("crud.pool");

        JsonNode history = json(CliProcess.run(env(), "config", "history", "crud.pool", "--json"));
        assertThat(history.get("changes")).hasSize(2);
        assertThat(history.get("changes").get(1).get("reason").asText()).isEqualTo("first");
        assertThat(history.get("changes").get(1).get("after").get("max").asInt()).isEqualTo(10);
        assertThat(okHere(env(), "config", "history", "crud.pool", "--limit", "1").out().lines()).hasSize(1);

        assertThat(ok(env(), "config", "rollback", "crud.pool", "--to-version", "1").out())
                .contains("now version 3");
        assertThat(JSON.readTree(okHere(env(), "config", "get", "crud.pool").out()).get("max").asInt()).isEqualTo(10);

        okHere(env(), "config", "set", "crud.pool", "{\"max\": 30}", "--scope", "prod");
        JsonNode explain = json(CliProcess.run(env(), "config", "explain", "crud.pool", "--scope", "prod/ingest",
                "--json"));
        assertThat(explain.get("consulted")).hasToString("[\"prod/ingest\",\"prod\",\"\"]");
        assertThat(explain.get("answeredBy").asText()).isEqualTo("prod");
        assertThat(ok(env(), "config", "explain", "crud.pool", "--scope", "prod/ingest").out())
                .contains("answer     scope prod, version 1: {\"max\":30}");
        assertThat(okHere(env(), "config", "list", "crud.", "--scope", "prod/ingest").out()).contains("(from prod)");

        assertThat(ok(env(), "config", "delete", "crud.pool", "--scope", "prod").out()).contains("deleted");
        Result again = CliProcess.run(env(), "config", "delete", "crud.pool", "--scope", "prod");
        assertThat(again.exitCode()).as("%s", again).isEqualTo(1);
        assertThat(again.err()).isEqualTo("pgdock: config key \"crud.pool\" is not set (scope prod)\n");
    }

    @Test
    void missingKeyIsExitOne() {
        Result r = CliProcess.run(env(), "config", "get", "nothing.here");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("pgdock: config key \"nothing.here\" is not set (scope (root))\n");
    }

    @Test
    void explainAndGetShowTheEnvironmentLayerWhenOverridesAreOn() throws Exception {
        okHere(envWithKeys(), "config", "set", "envo.batch_size", "1000");
        okHere(envWithKeys(), "config", "set", "envo.token", "--secret", "--string", "stored-token");
        Map<String, String> on = new HashMap<>(envWithKeys());
        on.put("PGDOCK_CONFIG_ENV_OVERRIDES", "true");
        on.put("PGDOCK_VAR_ENVO__BATCH_SIZE", "500");
        on.put("PGDOCK_VAR_ENVO__TOKEN", "env-token-value");

        assertThat(ok(on, "config", "explain", "envo.batch_size").out()).isEqualTo("""
                key        "envo.batch_size"
                consulted  the environment, (root)
                answer     environment variable PGDOCK_VAR_ENVO__BATCH_SIZE: 500
                hides      scope (root), version 1: 1000
                """);
        JsonNode x = json(CliProcess.inProcess(on, "config", "explain", "envo.batch_size", "--json"));
        assertThat(x.get("environmentVariable").asText()).isEqualTo("PGDOCK_VAR_ENVO__BATCH_SIZE");
        assertThat(x.get("answeredBy").isNull()).as("no scope answered: %s", x).isTrue();
        assertThat(x.get("entry").get("value").asInt()).isEqualTo(500);
        assertThat(x.get("shadowed").get("version").asLong()).isEqualTo(1);
        assertThat(okHere(on, "config", "get", "envo.batch_size").out()).isEqualTo("500\n");
        assertThat(okHere(env(), "config", "explain", "envo.batch_size").out())
                .as("off unless PGDOCK_CONFIG_ENV_OVERRIDES=true").contains("answer     scope (root), version 1: 1000");

        Result secret = okHere(on, "config", "explain", "envo.token");
        assertThat(secret.out()).contains("answer     environment variable PGDOCK_VAR_ENVO__TOKEN: \"***\"")
                .doesNotContain("env-token-value").doesNotContain("stored-token");
        assertThat(okHere(on, "config", "get", "envo.token").out()).isEqualTo("\"***\"\n");
        assertThat(okHere(on, "config", "get", "envo.token", "--show-secrets").out())
                .isEqualTo("\"env-token-value\"\n");

        on.put("PGDOCK_CONFIG_ENV_OVERRIDES", "yes");
        Result bad = CliProcess.inProcess(on, "config", "explain", "envo.batch_size");
        assertThat(bad.exitCode()).as("%s", bad).isEqualTo(2);
        assertThat(bad.err()).contains("PGDOCK_CONFIG_ENV_OVERRIDES: must be true or false, but was \"yes\"");
    }

    @Test
    void invalidJsonIsAUsageErrorWithItsPosition() {
        Result r = CliProcess.run(env(), "config", "set", "bad.json", "{\"a\": 1,\n \"b\": }");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElseThrow())
                .startsWith("pgdock: config key \"bad.json\": value is not valid JSON at line 2, column 7: ");
        assertThat(r.err()).contains("Try 'pgdock config set --help'").doesNotContain("\tat ");
        assertThat(CliProcess.inProcess(env(), "config", "get", "bad.json").exitCode()).isEqualTo(1);   // nothing written
    }

    @Test
    void badKeyIsAUsageError() {
        Result r = CliProcess.run(env(), "config", "set", "bad key", "1");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElseThrow()).startsWith("pgdock: config key \"bad key\"");
    }

    @Test
    void compareAndSetConflictIsExitOne() {
        okHere(env(), "config", "set", "cas.k", "1");
        Result r = CliProcess.run(env(), "config", "set", "cas.k", "2", "--expect-version", "5");
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        assertThat(r.err()).startsWith("pgdock: config key \"cas.k\"").contains("version 5").hasLineCount(1);
    }

    @Test
    void patchMergesMembersAndRefusesAnotherVersionNamingBoth() throws Exception {
        okHere(env(), "config", "set", "patch.pool", "{\"pool\": {\"max\": 10, \"min\": 1}, \"mode\": \"fast\"}");

        Result patched = ok(env(), "config", "patch", "patch.pool", "{\"pool\": {\"max\": 20}, \"mode\": null}",
                "--reason", "more load");
        assertThat(patched.out()).isEqualTo("patched \"patch.pool\" in scope (root): version 2\n");
        assertThat(JSON.readTree(okHere(env(), "config", "get", "patch.pool").out()))
                .as("max replaced, min kept, mode removed").isEqualTo(JSON.readTree("{\"pool\": {\"max\": 20, \"min\": 1}}"));
        JsonNode history = json(CliProcess.inProcess(env(), "config", "history", "patch.pool", "--json"));
        assertThat(history.get("changes").get(0).get("reason").asText()).isEqualTo("more load");
        assertThat(history.get("changes").get(0).get("actor").asText()).isEqualTo("cli:tester");

        Result conflict = CliProcess.run(env(), "config", "patch", "patch.pool", "{\"mode\": \"slow\"}",
                "--expected-version", "1");
        assertThat(conflict.exitCode()).as("a conflict is a runtime failure, as for set: %s", conflict).isEqualTo(1);
        assertThat(conflict.err()).isEqualTo("pgdock: config key \"patch.pool\" is at version 2, but version 1 was "
                + "expected; read it again and retry\n");
        assertThat(okHere(env(), "config", "get", "patch.pool").out()).doesNotContain("slow");

        Result fromStdin = CliProcess.runWithInput(env(), "{\"pool\": {\"min\": null}}", "config", "patch",
                "patch.pool", "--file", "-", "--expect-version", "2", "--json", "--scope", "");
        JsonNode entry = json(fromStdin);
        assertThat(entry.get("version").asLong()).isEqualTo(3);
        assertThat(entry.get("key").asText()).isEqualTo("patch.pool");
        assertThat(JSON.readTree(okHere(env(), "config", "get", "patch.pool").out()))
                .isEqualTo(JSON.readTree("{\"pool\": {\"max\": 20}}"));

        Result created = CliProcess.run(env(), "config", "patch", "patch.new", "{\"a\": 1, \"b\": null}",
                "--expect-version", "0");
        assertThat(created.exitCode()).as("%s", created).isZero();
        assertThat(okHere(env(), "config", "get", "patch.new").out().replaceAll("\\s", "")).isEqualTo("{\"a\":1}");

        Result invalid = CliProcess.inProcess(env(), "config", "patch", "patch.pool", "{\"pool\": ");
        assertThat(invalid.exitCode()).as("%s", invalid).isEqualTo(2);
        assertThat(invalid.err()).startsWith("pgdock: config key \"patch.pool\": merge patch is not valid JSON at line 1");
        Result neither = CliProcess.inProcess(env(), "config", "patch", "patch.pool");
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.err()).startsWith("pgdock: give the patch either as JSON or with --file, not neither\n");
    }

    @Test
    void theActorIsTheOsUserFromTheEnvironmentWhenUserIsNotSet() throws Exception {
        Map<String, String> env = new HashMap<>(env());
        env.remove("USER");
        env.put("LOGNAME", "logged-in");
        JsonNode set = json(CliProcess.run(env, "config", "set", "actor.k", "1", "--json"));
        assertThat(set.get("updatedBy").asText()).isEqualTo("cli:logged-in");
        env.put("PGDOCK_ACTOR", "ci:nightly");
        JsonNode patched = json(CliProcess.run(env, "config", "patch", "actor.k", "2", "--json"));
        assertThat(patched.get("updatedBy").asText()).isEqualTo("ci:nightly");
    }

    @Test
    void importPrintsASummaryUnlessVerboseAndNeverASecret(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        // From scope src, whose secret the import re-seals for the target scope.
        StringBuilder doc = new StringBuilder("{\"format\": \"pgdock-config\", \"version\": 1, \"scope\": \"src\", "
                + "\"entries\": [");
        for (int i = 0; i < 25; i++) {
            doc.append(String.format("{\"key\": \"sum.k%02d\", \"value\": %d},", i, i));
        }
        okHere(envWithKeys(), "config", "set", "sum.pw", "--secret", "--string", "hunter2-summary", "--scope", "src");
        JsonNode exported = JSON.readTree(okHere(env(), "config", "export", "sum.", "--scope", "src").out());
        doc.append(exported.get("entries").get(0)).append("]}");
        Path file = Files.writeString(dir.resolve("summary.json"), doc);
        for (int i = 0; i < 22; i++) {
            okHere(env(), "config", "set", String.format("sum.k%02d", i), "\"other\"", "--scope", "target");
        }
        okHere(env(), "config", "set", "sum.k22", "22", "--scope", "target");

        Result dry = ok(envWithKeys(), "config", "import", file.toString(), "--scope", "target", "--dry-run");
        assertThat(dry.out().lines()).as("%s", dry).containsExactly(
                "dry run, nothing written: 3 added, 0 changed, 1 unchanged, 0 skipped, 22 conflicts",
                "conflicts (the key holds another value; --mode skip, overwrite or merge decides): \"sum.k00\", "
                        + "\"sum.k01\", \"sum.k02\", \"sum.k03\", \"sum.k04\", \"sum.k05\", \"sum.k06\", \"sum.k07\", "
                        + "\"sum.k08\", \"sum.k09\", \"sum.k10\", \"sum.k11\", \"sum.k12\", \"sum.k13\", \"sum.k14\", "
                        + "\"sum.k15\", \"sum.k16\", \"sum.k17\", \"sum.k18\", \"sum.k19\" and 2 more (--verbose or "
                        + "--json lists them all)");

        Result verbose = ok(envWithKeys(), "config", "import", file.toString(), "--scope", "target", "--dry-run",
                "--verbose");
        assertThat(verbose.out().lines()).as("one line per key, then the summary").hasSize(26 + 2)
                .contains("added     \"sum.pw\" = \"***\"", "conflict  \"sum.k21\": is \"other\", the document has 21",
                        "unchanged \"sum.k22\" = 22");
        assertThat(verbose.out()).contains("\"sum.k20\", \"sum.k21\"\n").doesNotContain("hunter2")
                .doesNotContain("more (--verbose");

        Result skipped = ok(envWithKeys(), "config", "import", file.toString(), "--scope", "target", "--mode", "skip");
        assertThat(skipped.out()).isEqualTo("imported into scope target: 3 added, 0 changed, 1 unchanged, 22 skipped\n");
        assertThat(skipped.err()).as("stderr is a file: no progress bar").isEmpty();
        Result shown = ok(envWithKeys(), "config", "get", "sum.pw", "--scope", "target", "--show-secrets");
        assertThat(shown.out()).as("the secret was re-sealed for the target scope").isEqualTo("\"hunter2-summary\"\n");
    }

    @Test
    void importDrawsProgressForReadingAndWritingWithRateAndTimeLeft(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        StringBuilder doc = new StringBuilder("{\"format\": \"pgdock-config\", \"version\": 1, \"entries\": [");
        for (int i = 0; i < 5; i++) {
            doc.append(i == 0 ? "" : ",").append(String.format("{\"key\": \"bar.w%d\", \"value\": %d}", i, i));
        }
        Path file = Files.writeString(dir.resolve("bar.json"), doc.append("]}"));
        // Every reading of the ticker is 300 ms after the one before: a rate from the third update on, no sleeping.
        java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
        io.pgdock.core.Ticker ticker = () -> nanos.addAndGet(Duration.ofMillis(300).toNanos());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        Map<String, String> env = new HashMap<>(env());
        env.put("COLUMNS", "80");
        int code = new Cli(env, java.io.InputStream.nullInputStream(), new java.io.PrintStream(out, true, UTF_8),
                new java.io.PrintStream(err, true, UTF_8), false, true, ticker, null)
                .run("config", "import", file.toString(), "--scope", "bar");
        assertThat(code).as(err.toString(UTF_8)).isZero();
        String drawn = err.toString(UTF_8);
        assertThat(drawn).as("the bytes read, then the keys written, cleared at the end")
                .startsWith("\r[").contains("% " + Files.size(file) + "/" + Files.size(file) + " bytes")
                .contains("0% 0/5 keys written").contains("100% 5/5 keys written").endsWith("\r");
        assertThat(drawn).as("a rate and the time left once writes have run half a second")
                .containsPattern("[0-9.]+/s +[0-9]+s left").doesNotContain("\n");
        assertThat(drawn.indexOf("bytes")).isLessThan(drawn.indexOf("keys written"));
        assertThat(out.toString(UTF_8)).isEqualTo("imported into scope bar: 5 added, 0 changed, 0 unchanged, 0 skipped\n");
    }

    @Test
    void valueFromStdinAndAsString() {
        Result r = CliProcess.runWithInput(env(), "[1, 2.50, \"x\"]", "config", "set", "stdin.k", "--file", "-");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(okHere(env(), "config", "get", "stdin.k").out().replaceAll("\\s", "")).isEqualTo("[1,2.50,\"x\"]");
        okHere(env(), "config", "set", "stdin.s", "--string", "not {json");
        assertThat(okHere(env(), "config", "get", "stdin.s").out()).isEqualTo("\"not {json\"\n");
        Result line = CliProcess.runWithInput(env(), "a line\n", "config", "set", "stdin.line", "--string", "--file", "-");
        assertThat(line.exitCode()).as("%s", line).isZero();
        assertThat(okHere(env(), "config", "get", "stdin.line").out()).isEqualTo("\"a line\"\n");
    }

    @Test
    void secretsAreRedactedUnlessShown() throws Exception {
        ok(envWithKeys(), "config", "set", "sec.smtp", "{\"user\": \"ops\", \"password\": \"hunter2\"}", "--secret");

        assertThat(ok(env(), "config", "get", "sec.smtp").out()).isEqualTo("\"***\"\n");
        assertThat(ok(envWithKeys(), "config", "list", "sec.").out()).contains("\"***\"").doesNotContain("hunter2");
        assertThat(ok(env(), "config", "history", "sec.smtp").out()).contains("\"***\"").doesNotContain("hunter2");
        assertThat(ok(env(), "config", "export", "sec.").out()).contains("$pgdock_secret").doesNotContain("hunter2");

        JsonNode shown = json(CliProcess.run(envWithKeys(), "config", "get", "sec.smtp", "--show-secrets", "--json"));
        assertThat(shown.get("value").get("password").asText()).isEqualTo("hunter2");
        assertThat(ok(envWithKeys(), "config", "list", "sec.", "--show-secrets").out()).contains("hunter2");
        assertThat(ok(envWithKeys(), "config", "history", "sec.smtp", "--show-secrets").out()).contains("hunter2");

        // With the keys at hand, history and watch still show secrets only when asked to.
        assertThat(ok(envWithKeys(), "config", "history", "sec.smtp").out()).contains("\"***\"")
                .doesNotContain("hunter2");
        assertThat(okHere(envWithKeys(), "config", "history", "sec.smtp", "--json").out()).contains("\"***\"")
                .doesNotContain("hunter2");
        Result watched = ok(envWithKeys(), "config", "watch", "sec.smtp", "--after", "0", "--count", "1",
                "--timeout", "60s", "--json");
        assertThat(JSON.readTree(watched.out()).get("value").asText()).isEqualTo("***");
        assertThat(watched.out()).doesNotContain("hunter2");
        assertThat(okHere(envWithKeys(), "config", "watch", "sec.smtp", "--after", "0", "--count", "1",
                "--timeout", "60s").out()).contains("= \"***\"").doesNotContain("hunter2");
        assertThat(okHere(envWithKeys(), "config", "watch", "sec.smtp", "--after", "0", "--count", "1",
                "--timeout", "60s", "--show-secrets").out()).contains("hunter2");

        // A part of a secret is a secret: "***", not "nothing at pointer".
        assertThat(ok(env(), "config", "get", "sec.smtp", "--pointer", "/password").out()).isEqualTo("\"***\"\n");
        JsonNode part = json(CliProcess.run(env(), "config", "get", "sec.smtp", "--pointer", "/user", "--json"));
        assertThat(part.get("value").asText()).isEqualTo("***");
        assertThat(part.get("pointer").asText()).isEqualTo("/user");
        assertThat(okHere(envWithKeys(), "config", "get", "sec.smtp", "--pointer", "/user", "--show-secrets").out())
                .isEqualTo("\"ops\"\n");
        assertThat(okHere(env(), "config", "get", "sec.smtp", "--pointer", "").out()).isEqualTo("\"***\"\n");
        // A secret field of a value (written by code): a pointer into it shows "***" too, the rest as it is.
        try (Storage storage = Storage.open(spec, StorageOptions.builder().autoMigrate(false).build())) {
            io.pgdock.config.ConfigStore.postgres(storage, io.pgdock.config.ConfigOptions.builder()
                    .keys(io.pgdock.config.KeyProvider.fromEnvironment(envWithKeys())).build())
                    .put("sec.mixed", Map.of("user", "ops", "password", io.pgdock.config.Secret.of(
                            Map.of("current", "hunter3"))));
        }
        assertThat(okHere(env(), "config", "get", "sec.mixed", "--pointer", "/password/current").out())
                .isEqualTo("\"***\"\n");
        assertThat(okHere(env(), "config", "get", "sec.mixed", "--pointer", "/user").out()).isEqualTo("\"ops\"\n");
        Result notThere = CliProcess.inProcess(env(), "config", "get", "sec.mixed", "--pointer", "/nothing/here");
        assertThat(notThere.exitCode()).isEqualTo(1);
        assertThat(notThere.err()).startsWith("pgdock: config key \"sec.mixed\" has nothing at pointer");
        // The text "***" itself is no secret: nothing is inside it.
        okHere(env(), "config", "set", "sec.literal", "\"***\"");
        Result literal = CliProcess.inProcess(env(), "config", "get", "sec.literal", "--pointer", "/x");
        assertThat(literal.exitCode()).as("%s", literal).isEqualTo(1);
        assertThat(literal.err()).contains("has nothing at pointer \"/x\"");

        Result noKeys = CliProcess.run(env(), "config", "get", "sec.smtp", "--show-secrets");
        assertThat(noKeys.exitCode()).as("%s", noKeys).isEqualTo(1);
        assertThat(noKeys.err()).startsWith("pgdock: config key \"sec.smtp\"").contains("PGDOCK_CONFIG_KEYS")
                .hasLineCount(1).doesNotContain("hunter2");
    }

    @Test
    void reencryptThenRetireTheOldKeyAndRollBackToAnOldVersion() throws Exception {
        String k2 = Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32));
        Map<String, String> both = new HashMap<>(env());
        both.put("PGDOCK_CONFIG_KEYS", "k2:" + k2 + "," + KEYS);
        Map<String, String> newOnly = new HashMap<>(env());
        newOnly.put("PGDOCK_CONFIG_KEYS", "k2:" + k2);
        okHere(envWithKeys(), "config", "set", "rk.smtp", "{\"user\": \"ops\", \"password\": \"hunter2-v1\"}", "--secret");
        okHere(envWithKeys(), "config", "set", "rk.smtp", "{\"user\": \"ops\", \"password\": \"hunter2-v2\"}", "--secret");
        okHere(envWithKeys(), "config", "set", "rk.smtp", "\"hunter2-v3\"", "--secret", "--scope", "prod");

        Result first = ok(both, "config", "reencrypt", "rk.", "--reason", "retire k1");
        assertThat(first.out()).as("values: the root's and prod's; history: root v1, v2 (old and new), the rewrite's"
                + " v3 (old), prod v1, prod v2 (old)").isEqualTo("re-encrypted under key id \"k2\" in scope (root) and"
                + " below, keys starting with \"rk.\": 2 current values, 5 history rows" + System.lineSeparator()
                + "run it again until it rewrites nothing (a writer still on an older key adds more)"
                + System.lineSeparator());
        JsonNode again = json(CliProcess.run(both, "config", "reencrypt", "rk.", "--json"));
        assertThat(again.toString()).isEqualTo("{\"scope\":\"\",\"prefix\":\"rk.\",\"currentKeyId\":\"k2\","
                + "\"values\":0,\"historyRows\":0}");
        assertThat(first.out() + first.err() + again).doesNotContain(k2).doesNotContain(KEYS.substring(3))
                .doesNotContain("hunter2");
        assertThat(okHere(both, "config", "history", "rk.smtp").out()).as("the reason on the rewritten value")
                .contains("retire k1");

        // k1 retired: every version still reads and rolls back.
        assertThat(okHere(newOnly, "config", "history", "rk.smtp", "--show-secrets").out()).contains("hunter2-v1")
                .contains("hunter2-v2");
        ok(newOnly, "config", "rollback", "rk.smtp", "--to-version", "1");
        assertThat(json(CliProcess.run(newOnly, "config", "get", "rk.smtp", "--show-secrets", "--json"))
                .at("/value/password").asText()).isEqualTo("hunter2-v1");
        assertThat(ok(newOnly, "config", "reencrypt", "--scope", "prod").out()).startsWith("re-encrypted under key id"
                + " \"k2\" in scope prod and below: 0 current values, 0 history rows").contains("older keys can be"
                + " retired");
    }

    @Test
    void verifyReportsAnIntactChainThenTheEditedRowWithExitOne() throws Exception {
        okHere(env(), "config", "set", "vf.a", "1");
        okHere(env(), "config", "set", "vf.a", "2");
        okHere(env(), "config", "set", "vf.b", "\"x\"", "--scope", "prod");
        assertThat(ok(env(), "config", "verify", "vf.").out()).isEqualTo("checked 2 keys and 3 history rows in scope"
                + " (root) and below, keys starting with \"vf.\"" + System.lineSeparator()
                + "history intact: every link holds" + System.lineSeparator());

        try (Storage storage = Storage.open(spec)) {
            storage.jdbi().useHandle(h -> h.execute("update config_history set new_value = '7' "
                    + "where scope = '' and key = 'vf.a' and version = 1"));
        }
        Result broken = CliProcess.run(env(), "config", "verify", "vf.");
        assertThat(broken.exitCode()).as("%s", broken).isEqualTo(1);
        assertThat(broken.out()).contains("checked 2 keys and 3 history rows")
                .contains("BROKEN  config key \"vf.a\", version 1: ROW_CHANGED (the row")
                .endsWith("1 key with a broken link: history was changed outside the store" + System.lineSeparator());
        JsonNode j = JSON.readTree(CliProcess.run(env(), "config", "verify", "--scope", "prod", "--json").out());
        assertThat(j.get("intact").asBoolean()).as("prod and below holds only vf.b, untouched: %s", j).isTrue();
        JsonNode root = JSON.readTree(CliProcess.run(env(), "config", "verify", "vf.", "--json").out());
        assertThat(root.get("intact").asBoolean()).isFalse();
        assertThat(root.get("brokenKeys").asLong()).isEqualTo(1);
        assertThat(root.at("/breaks/0/key").asText()).isEqualTo("vf.a");
        assertThat(root.at("/breaks/0/version").asLong()).isEqualTo(1);
        assertThat(root.at("/breaks/0/problem").asText()).isEqualTo("ROW_CHANGED");
    }

    @Test
    void exportImportRoundTripWithoutProgressOffATerminal(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        okHere(envWithKeys(), "config", "set", "trip.a", "{\"n\": 1}");
        okHere(envWithKeys(), "config", "set", "trip.b", "[true, null]");
        okHere(envWithKeys(), "config", "set", "trip.pw", "\"s3cret\"", "--secret");
        Path file = dir.resolve("backup.json");

        Result export = ok(envWithKeys(), "config", "export", "trip.", "--output", file.toString());
        assertThat(export.out()).isEqualTo("exported 3 entries of scope (root) to " + file + "\n");
        assertThat(export.err()).isEmpty();   // stderr is a file here: no progress bar
        JsonNode document = JSON.readTree(Files.readString(file));
        assertThat(document.get("format").asText()).isEqualTo("pgdock-config");
        assertThat(document.get("entries")).hasSize(3);

        Result dry = ok(envWithKeys(), "config", "import", file.toString(), "--scope", "restored", "--dry-run",
                "--verbose");
        assertThat(dry.out()).contains("added     \"trip.a\" = {\"n\":1}").contains("dry run, nothing written: 3 added");
        JsonNode imported = json(CliProcess.run(envWithKeys(), "config", "import", file.toString(), "--scope",
                "restored", "--json"));
        assertThat(imported.get("added").asInt()).isEqualTo(3);
        assertThat(imported.get("dryRun").asBoolean()).isFalse();

        JsonNode restored = json(CliProcess.run(envWithKeys(), "config", "get", "trip.pw", "--scope", "restored",
                "--show-secrets", "--json"));
        assertThat(restored.get("value").asText()).isEqualTo("s3cret");
        assertThat(restored.get("scope").asText()).isEqualTo("restored");

        // From stdin, again: nothing changes.
        Result again = CliProcess.runWithInput(envWithKeys(), Files.readString(file), "config", "import", "-", "--scope",
                "restored");
        assertThat(again.exitCode()).as("%s", again).isZero();
        assertThat(again.out()).contains("0 added, 0 changed, 3 unchanged");

        // A conflicting value fails in the default mode, naming the key, and is replaced with --mode overwrite.
        okHere(envWithKeys(), "config", "set", "trip.a", "{\"n\": 2}", "--scope", "restored");
        Result conflict = CliProcess.run(envWithKeys(), "config", "import", file.toString(), "--scope", "restored");
        assertThat(conflict.exitCode()).as("%s", conflict).isEqualTo(1);
        assertThat(conflict.err()).contains("trip.a").hasLineCount(1);
        okHere(envWithKeys(), "config", "import", file.toString(), "--scope", "restored", "--mode", "overwrite");
        assertThat(okHere(env(), "config", "get", "trip.a", "--scope", "restored").out().replaceAll("\\s", ""))
                .isEqualTo("{\"n\":1}");
    }

    @Test
    void aRefusedImportListsEveryProblemOnOneLine(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("bad.json"), "{\"format\": \"pgdock-config\", \"version\": 1, "
                + "\"entries\": [{\"key\": \"bad key\", \"value\": 1}, {\"key\": \"ok.k\", \"value\": 1, \"colour\": 2}]}");
        Result r = CliProcess.run(env(), "config", "import", file.toString());
        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        String first = r.err().lines().findFirst().orElseThrow();
        assertThat(first).startsWith("pgdock: import into the root scope refused, nothing was imported: 2 problems: ")
                .contains("bad key").contains("colour");
        assertThat(r.err()).hasLineCount(2);   // the error, and the hint to --help
    }

    @Test
    void exportDrawsAProgressBarOnATerminalOnly(@org.junit.jupiter.api.io.TempDir Path dir) {
        for (int i = 0; i < 3; i++) {
            okHere(env(), "config", "set", "bar.k" + i, Integer.toString(i));
        }
        // In this JVM, with the error stream taken for a terminal and stdout redirected: the bar is drawn, then
        // cleared.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        Map<String, String> env = new HashMap<>(env());
        env.put("COLUMNS", "60");
        int code = new Cli(env, java.io.InputStream.nullInputStream(), new java.io.PrintStream(out, true, UTF_8),
                new java.io.PrintStream(err, true, UTF_8), false, true).run("config", "export", "bar.");
        assertThat(code).as(err.toString(UTF_8)).isZero();
        String drawn = err.toString(UTF_8);
        assertThat(drawn).startsWith("\r[").contains("100% 3/3 entries").endsWith("\r");
        assertThat(drawn.strip()).doesNotContain("\n");
        assertThat(out.toString(UTF_8)).contains("\"bar.k2\"").doesNotContain("entries\r");

        err.reset();
        code = new Cli(env, java.io.InputStream.nullInputStream(), new java.io.PrintStream(out, true, UTF_8),
                new java.io.PrintStream(err, true, UTF_8), false, true)
                .run("config", "export", "bar.", "--no-progress");
        assertThat(code).isZero();
        assertThat(err.toString(UTF_8)).isEmpty();

        // stdout a terminal too: the document printed there is not drawn over; to a file, the bar is drawn.
        err.reset();
        code = new Cli(env, java.io.InputStream.nullInputStream(), new java.io.PrintStream(out, true, UTF_8),
                new java.io.PrintStream(err, true, UTF_8), true, true).run("config", "export", "bar.");
        assertThat(code).isZero();
        assertThat(err.toString(UTF_8)).isEmpty();
        code = new Cli(env, java.io.InputStream.nullInputStream(), new java.io.PrintStream(out, true, UTF_8),
                new java.io.PrintStream(err, true, UTF_8), true, true).run("config", "export", "bar.", "-o",
                dir.resolve("bar.json").toString());
        assertThat(code).isZero();
        assertThat(err.toString(UTF_8)).startsWith("\r[").contains("100% 3/3 entries");

        // stderr not a terminal (2>log): nothing, wherever stdout goes.
        err.reset();
        code = new Cli(env, java.io.InputStream.nullInputStream(), new java.io.PrintStream(out, true, UTF_8),
                new java.io.PrintStream(err, true, UTF_8), true, false).run("config", "export", "bar.", "-o",
                dir.resolve("bar2.json").toString());
        assertThat(code).isZero();
        assertThat(err.toString(UTF_8)).isEmpty();
    }

    @Test
    void importOfInvalidJsonShowsThePosition(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("broken.json"), "{\"format\": \"pgdock-config\",\n\"entries\": [,]}");
        Result r = CliProcess.run(env(), "config", "import", file.toString());
        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        assertThat(r.err()).startsWith("pgdock: " + file + " is not valid JSON at line 2, column 13: ");
    }

    @Test
    void watchSeesAChangeMadeByAnotherProcess() throws Exception {
        okHere(env(), "config", "set", "watch.before", "1");
        long position;
        try (var c = PG.dataSource().getConnection(); var s = c.createStatement();
                var rs = s.executeQuery("SELECT max(id) FROM ops.config_history")) {
            rs.next();
            position = rs.getLong(1);
        }
        // Resuming after the current position replays anything the watch could miss while it starts, so the
        // change below is seen however the two processes interleave.
        CliProcess.Running watch = CliProcess.start(env(), "", "config", "watch", "watch.", "--after",
                Long.toString(position), "--count", "1", "--timeout", "60s", "--json");
        ok(env(), "config", "set", "watch.k", "{\"v\": 1}", "--reason", "from another process");
        Result r = watch.await();
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.out().lines()).hasSize(1);
        JsonNode event = JSON.readTree(r.out());
        assertThat(event.get("key").asText()).isEqualTo("watch.k");
        assertThat(event.get("kind").asText()).isEqualTo("CREATE");
        assertThat(event.get("value").get("v").asInt()).isEqualTo(1);
        assertThat(event.get("reason").asText()).isEqualTo("from another process");
        assertThat(event.get("position").asLong()).isGreaterThan(position);

        Result tooLong = CliProcess.inProcess(env(), "config", "watch", "watch.", "--timeout", "999999999h");
        assertThat(tooLong.exitCode()).as("%s", tooLong).isEqualTo(2);
        assertThat(tooLong.err()).startsWith("pgdock: Invalid value for option '--timeout': '999999999h' is too long");

        Result timedOut = CliProcess.run(env(), "config", "watch", "watch.none.", "--count", "1", "--timeout", "1s");
        assertThat(timedOut.exitCode()).as("%s", timedOut).isEqualTo(1);
        assertThat(timedOut.err()).isEqualTo("pgdock: watch: saw 0 of 1 changes before the 1s timeout\n");
    }

    /**
     * A watch whose listening connection is killed goes on, saying so on stderr, but not with "pgdock: ", which marks
     * a failure; "caught up" is shown with --verbose.
     */
    @Test
    void aGapInAWatchIsNoFailureLine() throws Exception {
        CliProcess.Running watch = CliProcess.start(env(), "", "config", "watch", "gap.", "--count", "1",
                "--timeout", "60s", "--verbose");
        // The listening connection, found by its last statement (LISTEN, or the heartbeat's xmin query).
        String listener = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                + "pg_backend_pid() AND (query LIKE 'LISTEN %' OR query LIKE 'SELECT txid_snapshot_xmin%')";
        Wait.until(HANG, () -> !pids(listener).isEmpty(), "the watch listens");
        try (var c = PG.dataSource().getConnection(); var s = c.createStatement()) {
            for (long pid : pids(listener)) {
                s.execute("SELECT pg_terminate_backend(" + pid + ")");
            }
        }
        Wait.until(HANG, () -> Files.readString(watch.err()).contains("watch: caught up"),
                "the watch catches up");
        okHere(env(), "config", "set", "gap.k", "1");
        Result r = watch.await();
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.out()).contains("\"gap.k\" v1 = 1");
        assertThat(r.err()).contains("watch: notifications stopped (").contains("catching up from the history")
                .contains("watch: caught up");
        assertThat(r.err().lines()).noneMatch(l -> l.startsWith("pgdock:"));
    }

    private static java.util.List<Long> pids(String sql) throws Exception {
        java.util.List<Long> pids = new java.util.ArrayList<>();
        try (var c = PG.dataSource().getConnection(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            while (rs.next()) {
                pids.add(rs.getLong(1));
            }
        }
        return pids;
    }
}
