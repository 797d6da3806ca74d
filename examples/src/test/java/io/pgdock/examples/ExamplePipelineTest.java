package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.tuple;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's example program against the test server, twice, as the README's first command does, and checks
 * what it left in the databases and what it printed.
 */
class ExamplePipelineTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private final String role = "pgdock_ex_" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    private final Jdbi admin = Jdbi.create(PG.adminDataSource());

    /** Drops the source databases, the reader and the runtime role, whatever the test got to. */
    @AfterEach
    void dropEverything() {
        SampleSources.forRole(PG.adminSpec(), role).drop();
        admin.useHandle(h -> {
            if (h.createQuery("select count(*) > 0 from pg_roles where rolname = :r").bind("r", role)
                    .mapTo(Boolean.class).one()) {
                h.execute("drop owned by " + role + " cascade");
                h.execute("drop role " + role);
            }
        });
    }

    static Map<String, String> envFor(ConnectionSpec admin) {
        Map<String, String> env = new HashMap<>();
        env.put("PGDOCK_URL", admin.toString().replace(":***@", "@"));
        admin.password().ifPresent(p -> env.put("PGDOCK_PASSWORD", p));
        return env;
    }

    @Test
    void runsTheWholeProgramTwice() {
        Map<String, String> env = envFor(PG.adminSpec());
        String first = run(env);
        String key = Base64.getEncoder().encodeToString(new byte[32]);
        env.put("PGDOCK_CONFIG_KEYS", "test-k1:" + key);
        String second = run(env);   // a second run on the same server works, this time with a master key of ours

        assertThat(first)
                .contains("role " + role + ": created;")
                .contains("role " + role + "_reader: created; login, read-only, new password set")
                .contains("EPHEMERAL (PGDOCK_CONFIG_KEYS is not set)")
                .containsPattern("\n  pgdock\\.connections\\.eu = postgresql://" + role + "_reader:\\*\\*\\*@[^/]+/"
                        + role + "_eu\\?currentSchema=cards[&\\w=-]*\n")
                .contains("database " + role + "_eu: created, 100,000 card transactions in cards.card_transactions "
                        + "(generated now)")
                .contains("merchant look-up: 495 merchants")
                .contains("eu: 50,000 of 100,000 rows loaded (50%)", "us: 100,000 of 100,000 rows loaded (100%)")
                .contains("watcher heard: pipeline.batch_size version 2 = 2500, by ops, \"halve the batch size for "
                        + "the next run\"")
                .containsPattern("\n    v2 UPDATE 5000 -> 2500 by ops at \\S+ \\(halve the batch size for the next run\\)"
                        + "\n    v1 CREATE - -> 5000 by pgdock-example at \\S+ \\(seeded by the example\\)\n")
                .contains("explain, as read by pipeline run scope \"nightly\": pipeline.batch_size: answered by \"\" "
                        + "at version 2 (consulted \"nightly\", \"\")")
                .containsPattern("run \\d+ of card-transactions: succeeded")
                .containsPattern("merchants +succeeded +495 ")
                .containsPattern("eu +succeeded +100,000 ")
                .contains("health of storage: UP in ", "health of eu:     UP in ", "health of us:     UP in ");
        assertThat(second)
                .contains("role " + role + ": already there, checked;")
                .contains("role " + role + "_reader: already there; login, read-only, new password set")
                .contains("master key for secrets: test-k1 from PGDOCK_CONFIG_KEYS")
                .contains("database " + role + "_us: already there, 100,000 card transactions")
                .contains("watcher heard: pipeline.batch_size version 4 = 2500")
                .containsPattern("\n    v4 UPDATE 5000 -> 2500 by ops .*\n    v3 UPDATE 2500 -> 5000 by pgdock-example ");

        // The secret: stored encrypted, readable with the key, never printed.
        String readerPassword = withStoreAsAdmin(KeyProvider.fromEnvironment(env), configs ->
                configs.parts().get("pgdock.connections.us", "/password", String.class).orElseThrow());
        assertThat(readerPassword).hasSizeGreaterThan(20);
        assertThat(first + second).doesNotContain(readerPassword);
        String stored = admin.withHandle(h -> h.createQuery("select value::text from " + role
                + ".config_entry where key = 'pgdock.connections.us'").mapTo(String.class).one());
        assertThat(stored).contains("\"$pgdock_secret\"").doesNotContain(readerPassword);

        // 200,000 enriched rows, merchants joined correctly.
        Map<String, Object> counts = admin.withHandle(h -> h.createQuery("select count(*) as total, "
                + "count(*) filter (where source = 'eu' and currency = 'EUR') as eu, "
                + "count(*) filter (where source = 'us' and currency = 'USD') as us, "
                + "count(*) filter (where m.merchant_id is null) as unmatched, "
                + "count(*) filter (where m.merchant_id is null and t.merchant_name is null) as unmatched_null, "
                + "count(*) filter (where (t.merchant_name, t.merchant_category, t.merchant_country) "
                + "   is distinct from (m.name, m.category, m.country) and m.merchant_id is not null) as wrong "
                + "from " + role + ".enriched_transaction t left join " + role + ".merchant m using (merchant_id)")
                .mapToMap().one());
        assertThat(counts).containsEntry("total", 200_000L).containsEntry("eu", 100_000L)
                .containsEntry("us", 100_000L).containsEntry("wrong", 0L);
        assertThat(counts.get("unmatched")).isEqualTo(counts.get("unmatched_null"));
        assertThat((Long) counts.get("unmatched")).as("transactions of merchants missing from the look-up").isPositive();
        for (long id : new long[] {1, 42, 99_999}) {
            Map<String, Object> row = admin.withHandle(h -> h.createQuery("select merchant_id, merchant_name, "
                    + "amount::text as amount, card_last4 from " + role + ".enriched_transaction "
                    + "where source = 'eu' and id = :id").bind("id", id).mapToMap().one());
            int merchant = SampleSources.merchantOf(id);
            assertThat(row).containsEntry("merchant_id", merchant)
                    .containsEntry("merchant_name", merchant % 100 == 0 ? null : "Merchant " + merchant);
            Map<String, Object> source = Jdbi.create(PG.adminSpec().toBuilder().database(role + "_eu").build()
                            .jdbcUrl(), PG.adminSpec().toBuilder().database(role + "_eu").build().driverProperties())
                    .withHandle(h -> h.createQuery("select amount::text as amount, card_last4 "
                            + "from cards.card_transactions where id = :id").bind("id", id).mapToMap().one());
            assertThat(row).containsAllEntriesOf(source);
        }

        // Two runs, both succeeded, each with its stages and row counts.
        List<Map<String, Object>> runs = admin.withHandle(h -> h.createQuery("select run_id, status, error, "
                + "finished_at is not null as finished from " + role + ".pipeline_run order by run_id")
                .mapToMap().list());
        assertThat(runs).extracting(r -> r.get("status"), r -> r.get("error"), r -> r.get("finished"))
                .containsExactly(tuple("succeeded", null, true), tuple("succeeded", null, true));
        List<Map<String, Object>> stages = admin.withHandle(h -> h.createQuery("select name, status, rows_processed, "
                + "error, finished_at >= started_at as timed from " + role + ".pipeline_stage "
                + "where run_id = :run order by stage_id").bind("run", runs.get(1).get("run_id")).mapToMap().list());
        assertThat(stages).extracting(s -> s.get("name"), s -> s.get("status"), s -> s.get("rows_processed"),
                        s -> s.get("error"), s -> s.get("timed"))
                .containsExactly(tuple("merchants", "succeeded", 495L, null, true),
                        tuple("eu", "succeeded", 100_000L, null, true), tuple("us", "succeeded", 100_000L, null, true));
    }

    @Test
    void theProgramExitsWithStatusOneAndSaysWhyWhenItFails(@TempDir Path dir) throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        ProcessBuilder java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ExamplePipeline.class.getName());
        java.environment().keySet().removeIf(name -> name.startsWith("PG"));
        java.environment().put("PGDOCK_URL", "postgresql://nobody@127.0.0.1:" + closedPort + "/nowhere");
        Path output = dir.resolve("output.txt");   // to a file, so a hung child cannot block the reading here
        java.redirectErrorStream(true).redirectOutput(output.toFile());
        Process process = java.start();
        // A generous deadline only to detect a hang; the process ends as soon as the connection is refused.
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("the program did not end within 60 s; it printed:%n%s", Files.readString(output));
        }
        String printed = Files.readString(output);

        assertThat(process.exitValue()).as("exit status; printed %s", printed).isEqualTo(1);
        assertThat(printed).contains("The example pipeline failed: IllegalStateException: cannot connect as the "
                        + "admin, postgresql://nobody@127.0.0.1:" + closedPort + "/nowhere: Connection to 127.0.0.1:"
                        + closedPort + " refused")
                .doesNotContain("\tat io.pgdock");
    }

    private String run(Map<String, String> env) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ExamplePipeline.run(env, role, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Reads the example's configuration as the admin, with the master key. */
    private <T> T withStoreAsAdmin(KeyProvider keys, java.util.function.Function<ConfigStore, T> read) {
        ConnectionSpec spec = PG.adminSpec().toBuilder().schema(role).build();
        try (Storage storage = Storage.open(spec, StorageOptions.builder().autoMigrate(false).build())) {
            return read.apply(ConfigStore.postgres(storage, ConfigOptions.builder().keys(keys).build()));
        }
    }
}
