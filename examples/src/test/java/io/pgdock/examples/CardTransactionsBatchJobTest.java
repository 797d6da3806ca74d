package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Provisioning;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.UnknownTargetException;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.generic.GenericType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.launch.JobInstanceAlreadyCompleteException;
import org.springframework.batch.core.step.StepExecution;

/**
 * Runs {@link CardTransactionsBatchJob} on the real resources: a storage whose schema {@code batch} holds Spring Batch's
 * job repository, the config store and the output; a source database reached by name through a
 * {@link DataSourceFactory}.
 */
class CardTransactionsBatchJobTest {
    /** Source rows: transaction g happened 13 g seconds after 2026-11-01T00:00Z, so 6,646 on Nov 1, 3,354 on Nov 2. */
    private static final int SOURCE_ROWS = 10_000;
    private static final LocalDate NOV_1 = LocalDate.of(2026, 11, 1);
    private static final LocalDate NOV_2 = LocalDate.of(2026, 11, 2);
    private static final List<String> REPOSITORY_TABLES = List.of("batch_job_execution", "batch_job_execution_context",
            "batch_job_execution_params", "batch_job_instance", "batch_step_execution", "batch_step_execution_context");

    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();   // the main storage's database

    static TestDatabase eu;   // the source
    Storage storage;
    ConfigStore configs;
    CardTransactionsBatchJob job;

    @BeforeAll
    static void createSource() {
        eu = TestPostgres.get().createDatabase();
        eu.jdbi().useHandle(h -> SampleSources.fill(h, "eu", SOURCE_ROWS));
    }

    @AfterAll
    static void dropSource() {
        eu.close();
    }

    @BeforeEach
    void openStorage() {
        // spring-batch-open: begin
        storage = Storage.open(PG.spec().toBuilder().schema("batch").build(), StorageOptions.builder()
                .createSchema(true)
                .addMigrations(SpringBatchTables.MIGRATIONS)            // BATCH_JOB_INSTANCE etc., in schema "batch"
                .addMigrations(CardTransactionsBatchJob.MIGRATIONS)     // the job's output table
                .build());
        configs = ConfigStore.postgres(storage);                         // its tables in schema "batch" too
        configs.put("batch.source", "eu");
        configs.put("batch.chunk_size", 500);
        configs.put("batch.min_amount", 400);
        configs.put("batch.target_table", "card_transaction_copy");
        job = new CardTransactionsBatchJob(storage, configs, DataSourceFactory.fixed(Map.of("eu", eu.dataSource())));
        // spring-batch-open: end
        storage.jdbi().useHandle(h -> h.execute("TRUNCATE card_transaction_copy, batch_job_instance CASCADE"));
    }

    @AfterEach
    void closeStorage() {
        storage.close();
    }

    @Test
    void copiesTheDaysTransactionsInChunksIntoTheStorageSchema() throws Exception {
        JobExecution run = job.run(NOV_1);

        assertThat(run.getStatus()).as("%s", run.getAllFailureExceptions()).isEqualTo(BatchStatus.COMPLETED);
        long expected = sourceCount(NOV_1, "400");
        assertThat(expected).as("rows of Nov 1 of at least 400").isBetween(1_000L, 1_500L);
        StepExecution copy = step(run);
        assertThat(copy.getReadCount()).isEqualTo(expected);
        assertThat(copy.getWriteCount()).isEqualTo(expected);
        assertThat(copy.getCommitCount()).as("a transaction per chunk of 500").isEqualTo((expected + 499) / 500);
        Map<String, Object> copied = storage.jdbi().withHandle(h -> h.createQuery("SELECT count(*) AS rows, "
                + "count(*) FILTER (WHERE source <> 'eu') AS other_source, "
                + "count(*) FILTER (WHERE amount < 400) AS below_minimum, "
                + "count(*) FILTER (WHERE occurred_at::date <> date '2026-11-01') AS other_day "
                + "FROM card_transaction_copy").mapToMap().one());
        assertThat(copied).containsEntry("rows", expected).containsEntry("other_source", 0L)
                .containsEntry("below_minimum", 0L).containsEntry("other_day", 0L);
        Map<String, Object> tx1234 = storage.jdbi().withHandle(h -> h.createQuery("SELECT card_last4, amount::text, "
                + "currency FROM card_transaction_copy WHERE id = 1234").mapToMap().one());
        assertThat(tx1234).as("transaction 1234, as SampleSources generates it")
                .containsEntry("card_last4", "8254").containsEntry("amount", "457.58").containsEntry("currency", "EUR");
    }

    @Test
    void springBatchsTablesAreInTheStorageSchemaOnly() throws Exception {
        job.run(NOV_1);

        List<String> tables = storage.jdbi().withHandle(h -> h.createQuery("SELECT table_schema || '.' || table_name "
                + "FROM information_schema.tables WHERE table_name LIKE 'batch\\_%' ORDER BY 1").mapTo(String.class)
                .list());
        assertThat(tables).as("BATCH_* tables in any schema of the storage's database")
                .containsExactlyElementsOf(REPOSITORY_TABLES.stream().map(t -> "batch." + t).toList());
        List<String> sequences = storage.jdbi().withHandle(h -> h.createQuery("SELECT sequence_schema || '.' "
                + "|| sequence_name FROM information_schema.sequences WHERE sequence_name LIKE 'batch\\_%' ORDER BY 1")
                .mapTo(String.class).list());
        assertThat(sequences).containsExactly("batch.batch_job_execution_seq", "batch.batch_job_instance_seq",
                "batch.batch_step_execution_seq");
        List<String> instances = storage.jdbi().withHandle(h -> h.createQuery(
                "SELECT job_name FROM batch.batch_job_instance").mapTo(String.class).list());
        assertThat(instances).as("the run, recorded in schema batch").containsExactly(CardTransactionsBatchJob.NAME);
        List<Integer> applied = storage.jdbi().withHandle(h -> h.createQuery("SELECT version FROM "
                + "pgdock_schema_history WHERE module = 'spring-batch'").mapTo(Integer.class).list());
        assertThat(applied).as("applied once, however often the storage was opened").containsExactly(1);
    }

    @Test
    void aDayThatCompletedIsNotRunAgainEvenWithOtherSettings() throws Exception {
        assertThat(job.run(NOV_1).getStatus()).isEqualTo(BatchStatus.COMPLETED);
        long rows = copiedRows("card_transaction_copy");

        assertThatThrownBy(() -> job.run(NOV_1)).isInstanceOf(JobInstanceAlreadyCompleteException.class)
                .hasMessageContaining("already exists and is complete").hasMessageContaining("day");
        configs.put("batch.min_amount", 10);   // non-identifying: still the same day, the same job instance
        assertThatThrownBy(() -> job.run(NOV_1)).isInstanceOf(JobInstanceAlreadyCompleteException.class);

        assertThat(copiedRows("card_transaction_copy")).as("nothing copied twice").isEqualTo(rows);
        long executions = storage.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM batch_job_execution")
                .mapTo(Long.class).one());
        assertThat(executions).isEqualTo(1);
    }

    @Test
    void changedSettingsApplyToTheNextRun() throws Exception {
        JobExecution first = job.run(NOV_1);
        storage.jdbi().useHandle(h -> h.execute("CREATE TABLE IF NOT EXISTS card_transaction_large "
                + "(LIKE card_transaction_copy INCLUDING ALL)"));
        storage.jdbi().useHandle(h -> h.execute("TRUNCATE card_transaction_large"));
        configs.put("batch.min_amount", 450);
        configs.put("batch.chunk_size", 100);
        configs.put("batch.target_table", "card_transaction_large");

        JobExecution second = job.run(NOV_2);

        assertThat(second.getStatus()).as("%s", second.getAllFailureExceptions()).isEqualTo(BatchStatus.COMPLETED);
        long expected = sourceCount(NOV_2, "450");
        assertThat(copiedRows("card_transaction_large")).as("Nov 2, at least 450, into the new table")
                .isEqualTo(expected);
        assertThat(copiedRows("card_transaction_copy")).as("the first run's table holds only its rows")
                .isEqualTo(step(first).getWriteCount());
        assertThat(step(second).getCommitCount()).as("chunks of 100").isEqualTo((expected + 99) / 100);
        long below = storage.jdbi().withHandle(h -> h.createQuery(
                "SELECT count(*) FROM card_transaction_large WHERE amount < 450").mapTo(Long.class).one());
        assertThat(below).isZero();
        Map<String, String> recorded = storage.jdbi().withHandle(h -> h.createQuery("SELECT parameter_name, "
                        + "parameter_value || ' ' || identifying AS value FROM batch_job_execution_params "
                        + "WHERE job_execution_id = :id")
                .bind("id", second.getId()).setMapKeyColumn("parameter_name").setMapValueColumn("value")
                .collectInto(new GenericType<Map<String, String>>() { }));
        assertThat(recorded).as("the settings the run used, recorded with it")
                .containsEntry("day", "2026-11-02 Y").containsEntry("batch.min_amount", "450 N")
                .containsEntry("batch.chunk_size", "100 N")
                .containsEntry("batch.target_table", "card_transaction_large N")
                .containsEntry("batch.source", "eu N");
    }

    @Test
    void aFailedDayResumesAfterItsLastCommittedChunk() throws Exception {
        long expected = sourceCount(NOV_1, "400");
        long blocker = storage.jdbi().withHandle(h -> {   // the 1,200th row to copy is there already: chunk 3 fails
            long id = eu.jdbi().withHandle(s -> s.createQuery("SELECT id FROM card_transactions WHERE occurred_at < "
                    + "timestamptz '2026-11-02 00:00:00+00' AND amount >= 400 ORDER BY id OFFSET 1199 LIMIT 1")
                    .mapTo(Long.class).one());
            h.execute("INSERT INTO card_transaction_copy VALUES ('eu', ?, '0000', 0, 'EUR', now())", id);
            return id;
        });

        JobExecution failed = job.run(NOV_1);

        assertThat(failed.getStatus()).isEqualTo(BatchStatus.FAILED);
        assertThat(failed.getAllFailureExceptions()).as("the chunk's failure").isNotEmpty()
                .anySatisfy(e -> assertThat(rootMessage(e)).contains("card_transaction_copy_pkey"));
        assertThat(step(failed).getWriteCount()).as("two chunks committed").isEqualTo(1_000);
        assertThat(copiedRows("card_transaction_copy")).as("their rows, and the blocker; chunk 3 rolled back")
                .isEqualTo(1_001);

        storage.jdbi().useHandle(h -> h.execute("DELETE FROM card_transaction_copy WHERE id = ?", blocker));
        JobExecution resumed = job.run(NOV_1);

        assertThat(resumed.getStatus()).as("%s", resumed.getAllFailureExceptions()).isEqualTo(BatchStatus.COMPLETED);
        assertThat(resumed.getJobInstanceId()).as("the same day: the same job instance")
                .isEqualTo(failed.getJobInstanceId());
        assertThat(step(resumed).getReadCount()).as("read from the 1,001st row on").isEqualTo(expected - 1_000);
        assertThat(copiedRows("card_transaction_copy")).isEqualTo(expected);
    }

    @Test
    void badSettingsAreRefusedNamingTheKeyBeforeAnyRunIsRecorded() {
        configs.delete("batch.source");
        assertThatThrownBy(() -> job.run(NOV_1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("config key \"batch.source\": is not set; expected text");
        configs.put("batch.source", "us");
        assertThatThrownBy(() -> job.run(NOV_1)).isInstanceOf(UnknownTargetException.class)   // the factory: "eu" only
                .hasMessageContaining("no target is named 'us'");
        configs.put("batch.source", "eu");
        configs.put("batch.chunk_size", "lots");
        assertThatThrownBy(() -> job.run(NOV_1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("config key \"batch.chunk_size\": expected a positive integer, but was \"lots\"");
        configs.put("batch.chunk_size", 0);
        assertThatThrownBy(() -> job.run(NOV_1)).hasMessageEndingWith("but was 0");
        configs.put("batch.chunk_size", 500);
        configs.put("batch.min_amount", "400");
        assertThatThrownBy(() -> job.run(NOV_1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("config key \"batch.min_amount\": expected a number, but was \"400\"");
        configs.put("batch.min_amount", 400);
        configs.put("batch.target_table", "no_such_table");
        assertThatThrownBy(() -> job.run(NOV_1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("config key \"batch.target_table\": no table \"no_such_table\" in the storage schema "
                        + "\"batch\"");

        long instances = storage.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM batch_job_instance")
                .mapTo(Long.class).one());
        assertThat(instances).as("no run recorded").isZero();
    }

    /** Spring Batch needs DML on its tables and USAGE on its sequences: what the runtime role of two roles has. */
    @Test
    void theRuntimeRoleOfATwoRoleDeploymentRunsTheJobOnTablesTheOwnerCreated() throws Exception {
        String suffix = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        ConnectionSpec runtime = PG.spec().toBuilder().user("pgdock_br_" + suffix).password("batch-test-pw-4Tz")
                .schema("batch_rw").build();
        ConnectionSpec owner = runtime.toBuilder().user("pgdock_bo_" + suffix).build();
        try {
            Provisioning.forRuntime(runtime).withOwner(owner).apply(PG.adminDataSource());
            try (Storage twoRoles = Storage.open(runtime, StorageOptions.builder().migrationSpec(owner)
                    .addMigrations(SpringBatchTables.MIGRATIONS).addMigrations(CardTransactionsBatchJob.MIGRATIONS)
                    .build())) {
                ConfigStore settings = ConfigStore.postgres(twoRoles);
                settings.put("batch.source", "eu");
                settings.put("batch.chunk_size", 1_000);
                settings.put("batch.target_table", "card_transaction_copy");
                CardTransactionsBatchJob asRuntime = new CardTransactionsBatchJob(twoRoles, settings,
                        DataSourceFactory.fixed(Map.of("eu", eu.dataSource())));

                JobExecution run = asRuntime.run(NOV_2);

                assertThat(run.getStatus()).as("%s", run.getAllFailureExceptions()).isEqualTo(BatchStatus.COMPLETED);
                assertThat(step(run).getWriteCount()).as("all of Nov 2").isEqualTo(SOURCE_ROWS - 6_646);
                List<String> owners = twoRoles.jdbi().withHandle(h -> h.createQuery("SELECT DISTINCT tableowner "
                        + "FROM pg_tables WHERE schemaname = 'batch_rw' AND tablename LIKE 'batch\\_%'")
                        .mapTo(String.class).list());
                assertThat(owners).as("Spring Batch's tables, created by the migrations run as the owner")
                        .containsExactly(owner.user());
            }
        } finally {
            Jdbi.create(PG.adminDataSource()).useHandle(h -> {
                for (String role : List.of(runtime.user(), owner.user())) {
                    if (h.createQuery("SELECT count(*) FROM pg_roles WHERE rolname = ?").bind(0, role)
                            .mapTo(Integer.class).one() > 0) {
                        h.execute("DROP OWNED BY \"" + role + "\" CASCADE");
                        h.execute("DROP ROLE \"" + role + "\"");
                    }
                }
            });
        }
    }

    @Test
    void theSchemaMigrationIsTheScriptOfTheSpringBatchOnTheClassPath() throws IOException {
        String ours = SpringBatchTables.MIGRATIONS.migrations().get(0).sql();
        String springBatchs;
        try (InputStream in = Objects.requireNonNull(JobExecution.class.getClassLoader()
                .getResourceAsStream("org/springframework/batch/core/schema-postgresql.sql"), "Spring Batch's script")) {
            springBatchs = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(ours).as("spring-batch V1; if Spring Batch's schema changed, add its migration script as V2")
                .isEqualTo(springBatchs);
    }

    private static long sourceCount(LocalDate day, String minAmount) {
        return eu.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM card_transactions "
                        + "WHERE occurred_at >= :from AND occurred_at < :to AND amount >= :min")
                .bind("from", day.atStartOfDay().atOffset(ZoneOffset.UTC))
                .bind("to", day.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC))
                .bind("min", new BigDecimal(minAmount)).mapTo(Long.class).one());
    }

    private long copiedRows(String table) {
        return storage.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + table).mapTo(Long.class).one());
    }

    private static StepExecution step(JobExecution run) {
        assertThat(run.getStepExecutions()).extracting(StepExecution::getStepName)
                .containsExactly(CardTransactionsBatchJob.STEP);
        return run.getStepExecutions().iterator().next();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        StringBuilder messages = new StringBuilder();
        while (t != null) {
            messages.append(t.getMessage()).append(" / ");
            t = t.getCause();
        }
        return messages.toString();
    }
}
