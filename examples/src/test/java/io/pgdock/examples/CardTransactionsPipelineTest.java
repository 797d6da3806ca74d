package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FixedDataSourceFactory;
import io.pgdock.datasource.FixedDataSourceFactory.Request;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How a pipeline test replaces each resource of {@link CardTransactionsPipeline} with a fake, as a compiled example to
 * copy (the README shows the first test):
 * <ul>
 *   <li>{@link ConfigStore}: {@link ConfigStore#inMemory()}, which passes the same contract suite as the PostgreSQL
 *       store;</li>
 *   <li>{@link DataSourceFactory}: {@link DataSourceFactory#fixed(Map)}, handing out the data sources of test databases
 *       ({@link TestPostgres#createDatabase()}) by name, and recording what was asked for;</li>
 *   <li>{@link Storage}: there is no in-memory storage, because storage is SQL (the pipeline's COPY, joins and
 *       transactions are what is tested). Its "fake" is a fresh, real database from pgdock-testing
 *       ({@link PgdockExtension}), opened as {@code Storage} with the pipeline's migrations.</li>
 * </ul>
 */
class CardTransactionsPipelineTest {
    // pipeline-test-fakes: begin
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();   // a fresh database for this class: the main storage

    static TestDatabase eu;   // the sources: two more fresh databases, filled with sample rows
    static TestDatabase us;
    Storage storage;

    @BeforeAll
    static void createSources() {
        eu = TestPostgres.get().createDatabase();
        us = TestPostgres.get().createDatabase();
        eu.jdbi().useHandle(h -> SampleSources.fill(h, "eu", 1_000));
        us.jdbi().useHandle(h -> SampleSources.fill(h, "us", 700));
    }

    @AfterAll
    static void dropSources() {
        eu.close();
        us.close();
    }

    @BeforeEach
    void openStorage() {
        storage = Storage.open(PG.spec().toBuilder().schema("pipeline").build(), StorageOptions.builder()
                .createSchema(true).addMigrations(CardTransactionsPipeline.MIGRATIONS).build());
        SampleSources.seedMerchants(storage.jdbi());
        storage.jdbi().useHandle(h -> h.execute("TRUNCATE enriched_transaction, pipeline_run CASCADE"));  // per test
    }

    @AfterEach
    void closeStorage() {
        storage.close();
    }
    // pipeline-test-fakes: end

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    @Test
    void loadsEachSourceInBatchesAndRecordsTheRun() {
        // pipeline-test-example: begin
        ConfigStore configs = ConfigStore.inMemory();
        configs.put("pipeline.batch_size", 300);
        configs.put("pipeline.sources", List.of("eu", "us"));
        FixedDataSourceFactory sources = DataSourceFactory.fixed(Map.of("eu", eu.dataSource(), "us", us.dataSource()));
        CardTransactionsPipeline pipeline = new CardTransactionsPipeline(storage, configs, sources, out);

        RunLog.Run run = pipeline.runLog().run(pipeline.run()).orElseThrow();

        assertThat(run.status()).isEqualTo("succeeded");
        assertThat(run.stages()).extracting(RunLog.Stage::name, RunLog.Stage::status, RunLog.Stage::rowsProcessed)
                .containsExactly(tuple("merchants", "succeeded", 495L), tuple("eu", "succeeded", 1_000L),
                        tuple("us", "succeeded", 700L));
        assertThat(sources.requests()).contains(Request.byName("eu"), Request.byName("us"));
        // pipeline-test-example: end

        assertThat(printed.toString(StandardCharsets.UTF_8)).as("a line per batch that crosses a tenth")
                .contains("eu: 300 of 1,000 rows loaded (30%)\n", "eu: 600 of 1,000 rows loaded (60%)\n",
                        "eu: 900 of 1,000 rows loaded (90%)\n", "eu: 1,000 of 1,000 rows loaded (100%)\n",
                        "us: 300 of 700 rows loaded (40%)\n", "us: 700 of 700 rows loaded (100%)\n")
                .doesNotContain("(10%)", "(20%)");
        Map<String, Object> counts = storage.jdbi().withHandle(h -> h.createQuery(
                "select count(*) filter (where source = 'eu') as eu, count(*) filter (where source = 'us') as us, "
                        + "count(*) filter (where merchant_name is null) as unmatched, "
                        + "count(*) filter (where merchant_name is distinct from 'Merchant ' || merchant_id "
                        + "and merchant_id % 100 <> 0) as wrong from enriched_transaction").mapToMap().one());
        assertThat(counts).containsEntry("eu", 1_000L).containsEntry("us", 700L).containsEntry("wrong", 0L);
        assertThat((Long) counts.get("unmatched")).as("merchants missing from the look-up").isPositive();
        Map<String, Object> us42 = storage.jdbi().withHandle(h -> h.createQuery(
                "select merchant_id, merchant_category, currency, amount::text from enriched_transaction "
                        + "where source = 'us' and id = 42").mapToMap().one());
        assertThat(us42).containsEntry("merchant_id", SampleSources.merchantOf(42))
                .containsEntry("merchant_category", List.of("grocery", "fuel", "travel", "restaurants", "electronics")
                        .get(SampleSources.merchantOf(42) % 5))
                .containsEntry("currency", "USD").containsEntry("amount", "16.54");   // 1 + (37 * 42 % 50000) / 100
    }

    @Test
    void aSourceWithoutTheTableFailsItsStageAndTheRunWithTheMessage() {
        ConfigStore configs = ConfigStore.inMemory();
        configs.put("pipeline.batch_size", 300);
        configs.put("pipeline.sources", List.of("eu", "empty", "us"));
        FixedDataSourceFactory sources = DataSourceFactory.fixed(Map.of(
                "eu", eu.dataSource(), "empty", PG.dataSource(), "us", us.dataSource()));   // PG's has no such table
        CardTransactionsPipeline pipeline = new CardTransactionsPipeline(storage, configs, sources, out);

        assertThatThrownBy(pipeline::run).hasMessageContaining("relation \"card_transactions\" does not exist");

        RunLog.Run run = pipeline.runLog().latestRun(CardTransactionsPipeline.NAME).orElseThrow();
        assertThat(run.status()).isEqualTo("failed");
        assertThat(run.error()).contains("relation \"card_transactions\" does not exist");
        assertThat(run.finishedAt()).isNotNull();
        assertThat(run.stages()).extracting(RunLog.Stage::name, RunLog.Stage::status, RunLog.Stage::rowsProcessed)
                .containsExactly(tuple("merchants", "succeeded", 495L), tuple("eu", "succeeded", 1_000L),
                        tuple("empty", "failed", 0L));   // "us" is not tried after a failure
        assertThat(run.stages().get(2).error()).contains("relation \"card_transactions\" does not exist");
        assertThat(run.stages().get(1).error()).isNull();
        assertThat(sources.requests()).doesNotContain(Request.byName("us"));
    }

    @Test
    void aStageThatFailsHalfWayRecordsItsRowsAndKeepsThePreviousLoad() {
        ConfigStore configs = ConfigStore.inMemory();
        configs.put("pipeline.batch_size", 300);
        configs.put("pipeline.sources", List.of("eu"));
        new CardTransactionsPipeline(storage, configs, DataSourceFactory.fixed(Map.of("eu", eu.dataSource())), out).run();

        try (TestDatabase broken = TestPostgres.get().createDatabase()) {
            broken.jdbi().useHandle(h -> {
                SampleSources.fill(h, "eu", 1_000);
                h.execute("alter table card_transactions alter card_last4 drop not null");
                h.execute("update card_transactions set card_last4 = null where id = 800");   // in the third batch
            });
            CardTransactionsPipeline pipeline = new CardTransactionsPipeline(storage, configs,
                    DataSourceFactory.fixed(Map.of("eu", broken.dataSource())), out);

            assertThatThrownBy(pipeline::run).hasMessageContaining("card_last4");

            RunLog.Stage stage = pipeline.runLog().latestRun(CardTransactionsPipeline.NAME).orElseThrow().stages().get(1);
            assertThat(stage.status()).isEqualTo("failed");
            assertThat(stage.rowsProcessed()).as("two batches of 300 were copied before").isEqualTo(600);
            assertThat(stage.error()).contains("card_last4");
        }
        long rows = storage.jdbi().withHandle(h -> h.createQuery("select count(*) from enriched_transaction")
                .mapTo(Long.class).one());
        assertThat(rows).as("the first run's rows, untouched").isEqualTo(1_000);
    }

    @Test
    void aBadBatchSizeIsRefusedNamingTheKeyAndTheValue() {
        ConfigStore configs = ConfigStore.inMemory();
        configs.put("pipeline.sources", List.of("eu"));
        CardTransactionsPipeline pipeline = new CardTransactionsPipeline(storage, configs,
                DataSourceFactory.fixed(Map.of("eu", eu.dataSource())), out);

        assertThatThrownBy(pipeline::run).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("config key \"pipeline.batch_size\": is not set; expected a positive integer");
        configs.put("pipeline.batch_size", "lots");
        assertThatThrownBy(pipeline::run).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("config key \"pipeline.batch_size\": expected a positive integer, but was \"lots\"");
        configs.put("pipeline.batch_size", 0);
        assertThatThrownBy(pipeline::run).hasMessageEndingWith("but was 0");
        configs.put("pipeline.batch_size", 2.5);
        assertThatThrownBy(pipeline::run).hasMessageEndingWith("but was 2.5");
        assertThat(pipeline.runLog().latestRun(CardTransactionsPipeline.NAME)).as("no run recorded").isEmpty();
    }

    @Test
    void anErrorInAStageStillEndsTheRunAsFailedWithItsMessage() {
        ConfigStore configs = ConfigStore.inMemory();
        configs.put("pipeline.batch_size", 300);
        configs.put("pipeline.sources", List.of("eu"));
        // The first progress line throws an Error (not an exception) from inside the eu stage's COPY.
        PrintStream breaksOnce = new PrintStream(new OutputStream() {
            private boolean broke;

            @Override
            public void write(int b) {
                printed.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (!broke && new String(b, off, len, StandardCharsets.UTF_8).contains("rows loaded")) {
                    broke = true;
                    throw new Error("the console broke");
                }
                printed.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8);
        CardTransactionsPipeline pipeline = new CardTransactionsPipeline(storage, configs,
                DataSourceFactory.fixed(Map.of("eu", eu.dataSource())), breaksOnce);

        assertThatThrownBy(pipeline::run).isExactlyInstanceOf(Error.class).hasMessage("the console broke");

        RunLog.Run run = pipeline.runLog().latestRun(CardTransactionsPipeline.NAME).orElseThrow();
        assertThat(run.status()).isEqualTo("failed");
        assertThat(run.error()).isEqualTo("Error: the console broke");
        assertThat(run.finishedAt()).isNotNull();
        assertThat(run.stages()).extracting(RunLog.Stage::name, RunLog.Stage::status)
                .containsExactly(tuple("merchants", "succeeded"), tuple("eu", "failed"));
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("failed: Error: the console broke");
    }

    @Test
    void whenRecordingTheFailedRunFailsTooTheStagesFailureIsThrownWithThatSuppressed() {
        ConfigStore configs = ConfigStore.inMemory();
        configs.put("pipeline.batch_size", 300);
        configs.put("pipeline.sources", List.of("empty"));
        CardTransactionsPipeline pipeline = new CardTransactionsPipeline(storage, configs,
                DataSourceFactory.fixed(Map.of("empty", PG.dataSource())), out);   // PG's has no such table
        storage.jdbi().useHandle(h -> {
            h.execute("create function refuse_failed_runs() returns trigger language plpgsql as $$ begin "
                    + "if new.status = 'failed' then raise exception 'the run log refuses failed runs'; end if; "
                    + "return new; end $$");
            h.execute("create trigger refuse_failed_runs before update on pipeline_run for each row "
                    + "execute function refuse_failed_runs()");
        });
        try {
            assertThatThrownBy(pipeline::run).hasMessageContaining("relation \"card_transactions\" does not exist")
                    .satisfies(e -> assertThat(e.getSuppressed()).singleElement().extracting(Throwable::getMessage)
                            .asString().contains("the run log refuses failed runs"));
        } finally {
            storage.jdbi().useHandle(h -> h.execute("drop function refuse_failed_runs() cascade"));
        }
        assertThat(pipeline.runLog().latestRun(CardTransactionsPipeline.NAME).orElseThrow().stages())
                .extracting(RunLog.Stage::name, RunLog.Stage::status)
                .containsExactly(tuple("merchants", "succeeded"), tuple("empty", "failed"));
    }

    @Test
    void aBatchSizeLargerThanTheSourceLoadsItInOneBatch() {
        ConfigStore configs = ConfigStore.inMemory();
        configs.put("pipeline.batch_size", Integer.MAX_VALUE);   // valid; the batch must not be allocated up front
        configs.put("pipeline.sources", List.of("eu"));
        CardTransactionsPipeline pipeline = new CardTransactionsPipeline(storage, configs,
                DataSourceFactory.fixed(Map.of("eu", eu.dataSource())), out);

        RunLog.Run run = pipeline.runLog().run(pipeline.run()).orElseThrow();

        assertThat(run.stages()).extracting(RunLog.Stage::name, RunLog.Stage::status, RunLog.Stage::rowsProcessed)
                .containsExactly(tuple("merchants", "succeeded", 495L), tuple("eu", "succeeded", 1_000L));
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("eu: 1,000 of 1,000 rows loaded (100%)\n");
    }

    @Test
    void finishingARunThatWasNeverStartedIsRefusedNamingTheId() {
        RunLog runLog = new RunLog(storage.jdbi());

        assertThatThrownBy(() -> runLog.finishRun(-7, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("runId: no such run in pipeline_run, but was -7");
    }
}
