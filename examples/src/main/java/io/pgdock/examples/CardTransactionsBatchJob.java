package io.pgdock.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.MigrationSet;
import io.pgdock.core.Storage;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.configuration.support.MapJobRegistry;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobExecutionException;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.launch.support.JobOperatorFactoryBean;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.repository.support.JdbcJobRepositoryFactoryBean;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.item.database.JdbcBatchItemWriter;
import org.springframework.batch.infrastructure.item.database.JdbcPagingItemReader;
import org.springframework.batch.infrastructure.item.database.Order;
import org.springframework.batch.infrastructure.item.database.builder.JdbcBatchItemWriterBuilder;
import org.springframework.batch.infrastructure.item.database.builder.JdbcPagingItemReaderBuilder;
import org.springframework.batch.infrastructure.item.database.support.PostgresPagingQueryProvider;
import org.springframework.jdbc.support.JdbcTransactionManager;

/**
 * A Spring Batch job on pgdock's three resources, without Spring Boot and without an application context: it copies
 * one day's card transactions from a source database into a table of the main storage, in chunks.
 *
 * <ul>
 *   <li>{@link Storage}: Spring Batch's job repository ({@code BATCH_JOB_INSTANCE} and the rest, created by
 *       {@link SpringBatchTables#MIGRATIONS}) and the job's output table ({@link #MIGRATIONS}) live in the storage
 *       schema; the repository, the step's transactions and its writer all use {@code storage.dataSource()}, one pool,
 *       so each chunk's rows commit in the same transaction as the step's progress in the repository.</li>
 *   <li>{@link ConfigStore}: the step's settings, read when {@link #run} starts a run:
 *       {@value #SOURCE} (the source's name, text), {@value #CHUNK_SIZE} (items per chunk and transaction, a positive
 *       integer), {@value #MIN_AMOUNT} (optional: copy only transactions of at least this amount) and
 *       {@value #TARGET_TABLE} (an existing table of the storage schema, with the columns of
 *       {@code card_transaction_copy}).</li>
 *   <li>{@link DataSourceFactory}: the source, by name: a database with table {@code card_transactions} on its search
 *       path (as {@link SampleSources#fill} makes it). It is read page by page, in {@code id} order, each page a
 *       separate query ({@code ... WHERE id > last id ... LIMIT chunk size}), so no connection or cursor is held
 *       between chunks and a restarted run resumes after the last committed chunk.</li>
 * </ul>
 *
 * <p>A run is one {@link #DAY day} (UTC): Spring Batch's job instance is the job's name and that identifying
 * parameter, so a day that completed is not copied again ({@link #run} throws
 * {@link org.springframework.batch.core.launch.JobInstanceAlreadyCompleteException}), and a day whose run failed is
 * resumed by running it again. The settings a run used are recorded with it as non-identifying parameters (in
 * {@code BATCH_JOB_EXECUTION_PARAMS}): a changed setting applies to the next run, and does not make a day new.
 *
 * <p>It needs of the storage's role what the runtime role of a two-role deployment has: DML on the tables and USAGE on
 * the sequences that the owner's migrations created (tested).
 *
 * <p>Thread-safe: its fields are set at construction, and Spring Batch's repository and operator are thread-safe.
 * Spring Batch allows one running execution per job instance (day): a second start of a day that is running fails
 * (with {@link org.springframework.batch.core.launch.JobExecutionAlreadyRunningException}, or, when both starts race,
 * possibly with a serialization failure of the repository's SERIALIZABLE create transaction). Concurrent runs are not
 * tested here.
 */
public final class CardTransactionsBatchJob {
    /** The job's name in Spring Batch's repository. */
    public static final String NAME = "card-transactions-copy";
    /** The step's name. */
    public static final String STEP = "copy";
    /** Job parameter (identifying): the day, UTC, whose transactions a run copies. */
    public static final String DAY = "day";
    /** Config key: the source's name, resolved by the {@link DataSourceFactory}. */
    public static final String SOURCE = "batch.source";
    /** Config key: items per chunk (one transaction each, and one page of the source). */
    public static final String CHUNK_SIZE = "batch.chunk_size";
    /** Config key, optional: copy only transactions whose amount is at least this number. */
    public static final String MIN_AMOUNT = "batch.min_amount";
    /** Config key: the table of the storage schema to copy into. */
    public static final String TARGET_TABLE = "batch.target_table";
    /** The job's output table, {@code card_transaction_copy}, for {@code StorageOptions.addMigrations}. */
    public static final MigrationSet MIGRATIONS = MigrationSet.fromResources("card-batch",
            CardTransactionsBatchJob.class, "batch/V1__create_card_transaction_copy.sql");

    private static final String COLUMNS = "source, id, card_last4, amount, currency, occurred_at";

    private final Storage storage;
    private final ConfigStore configs;
    private final DataSourceFactory sources;
    private final JdbcTransactionManager transactions;
    private final JobRepository repository;
    private final JobOperator operator;

    /**
     * Sets up Spring Batch on the storage: a transaction manager and a JDBC job repository on its pool, and a job
     * operator that runs jobs in the calling thread.
     *
     * @param storage the main storage, migrated with {@link SpringBatchTables#MIGRATIONS} and {@link #MIGRATIONS}
     * @param configs where the step's settings are
     * @param sources where the source's connections come from, by name
     */
    public CardTransactionsBatchJob(Storage storage, ConfigStore configs, DataSourceFactory sources) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.configs = Objects.requireNonNull(configs, "configs");
        this.sources = Objects.requireNonNull(sources, "sources");
        try {
            // spring-batch-repository: begin
            DataSource pool = storage.dataSource();   // one pool for the repository, the chunks' transactions and writes
            JdbcTransactionManager transactions = new JdbcTransactionManager(pool);

            JdbcJobRepositoryFactoryBean repository = new JdbcJobRepositoryFactoryBean();
            repository.setDataSource(pool);      // BATCH_* tables: found on the search_path, in storage.schema()
            repository.setTransactionManager(transactions);
            repository.setDatabaseType("POSTGRES");
            repository.afterPropertiesSet();
            JobRepository jobRepository = repository.getObject();

            JobOperatorFactoryBean operator = new JobOperatorFactoryBean();   // runs jobs in the calling thread
            operator.setJobRepository(jobRepository);
            operator.setJobRegistry(new MapJobRegistry());   // empty: jobs are started as objects, not by name
            operator.setTransactionManager(transactions);
            operator.afterPropertiesSet();
            JobOperator jobOperator = operator.getObject();
            // spring-batch-repository: end
            this.transactions = transactions;
            this.repository = jobRepository;
            this.operator = jobOperator;
        } catch (Exception e) {   // afterPropertiesSet and getObject declare Exception
            throw new IllegalStateException("could not set up Spring Batch on the storage: " + e.getMessage(), e);
        }
    }

    /** @return the job repository, in the storage schema */
    public JobRepository repository() {
        return repository;
    }

    /**
     * The step's settings, as read from the config store.
     *
     * @param source the source's name
     * @param chunkSize items per chunk
     * @param minAmount the smallest amount copied, or null for all
     * @param targetTable the table of the storage schema copied into
     */
    public record Settings(String source, int chunkSize, @Nullable BigDecimal minAmount, String targetTable) {
        /**
         * Reads and checks the settings.
         *
         * @param configs the store
         * @return the settings
         * @throws IllegalArgumentException if a key is missing or its value is not what it should be; the message names
         *     the key and shows the value
         */
        public static Settings read(ConfigStore configs) {
            return new Settings(text(configs, SOURCE), positiveInt(configs, CHUNK_SIZE), amount(configs, MIN_AMOUNT),
                    text(configs, TARGET_TABLE));
        }
    }

    /**
     * Runs the job for one day with the settings in the config store now, and waits for it to end.
     *
     * @param day the day (UTC) whose transactions to copy
     * @return the run, {@code COMPLETED} or {@code FAILED} (with its failure exceptions)
     * @throws JobExecutionException as Spring Batch's operator throws it: for example
     *     {@link org.springframework.batch.core.launch.JobInstanceAlreadyCompleteException} when {@code day} was copied
     *     already
     * @throws IllegalArgumentException if a setting is missing or invalid, or the target table is not in the storage
     *     schema (the message names the key and shows the value); no run is recorded then
     * @throws io.pgdock.datasource.UnknownTargetException if the factory has no source of that name (or the factory's
     *     other failures to resolve it); no run is recorded then
     */
    public JobExecution run(LocalDate day) throws JobExecutionException {
        Settings settings = Settings.read(configs);
        Job job = job(settings, day);
        JobParametersBuilder parameters = new JobParametersBuilder()
                .addLocalDate(DAY, day)                                           // identifying: the job instance
                .addString(SOURCE, settings.source(), false)                      // what this run used
                .addLong(CHUNK_SIZE, (long) settings.chunkSize(), false)
                .addString(TARGET_TABLE, settings.targetTable(), false);
        if (settings.minAmount() != null) {
            parameters.addString(MIN_AMOUNT, settings.minAmount().toPlainString(), false);
        }
        JobParameters built = parameters.toJobParameters();
        return operator.start(job, built);
    }

    /** The job, one chunk-oriented step, for one day and the settings read when its run starts. */
    private Job job(Settings settings, LocalDate day) {
        TableName target = targetTable(settings.targetTable());
        DataSource source = sources.get(settings.source());   // by name: the job never sees a connection spec
        // spring-batch-step: begin
        Step copy = new StepBuilder(STEP, repository).<CardTransaction, CardTransaction>chunk(settings.chunkSize())
                .reader(reader(source, day, settings))        // a page of the source per chunk, in id order
                .writer(writer(target, settings.source()))    // a batch INSERT per chunk, on the storage's pool
                .transactionManager(transactions)             // a chunk's rows and the step's progress: one commit
                .build();
        return new JobBuilder(NAME, repository).start(copy).build();
        // spring-batch-step: end
    }

    /**
     * One source row.
     *
     * @param id the transaction's id
     * @param cardLast4 the card's last four digits
     * @param amount the amount
     * @param currency the currency code
     * @param occurredAt when it happened
     */
    public record CardTransaction(long id, String cardLast4, BigDecimal amount, String currency,
            OffsetDateTime occurredAt) {
    }

    /**
     * Reads the day's transactions (of at least the minimum amount, if set) a page at a time; keyset paging on
     * {@code id}, so each page is an index range scan, and the reader's saved state (rows read, last id) lets a
     * restart resume.
     */
    private static JdbcPagingItemReader<CardTransaction> reader(DataSource source, LocalDate day, Settings settings) {
        PostgresPagingQueryProvider query = new PostgresPagingQueryProvider();
        query.setSelectClause("id, card_last4, amount, currency, occurred_at");
        query.setFromClause("card_transactions");
        Map<String, Object> values = new HashMap<>();
        values.put("from", day.atStartOfDay().atOffset(ZoneOffset.UTC));
        values.put("to", day.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC));
        String where = "occurred_at >= :from AND occurred_at < :to";
        if (settings.minAmount() != null) {
            where += " AND amount >= :min_amount";
            values.put("min_amount", settings.minAmount());
        }
        query.setWhereClause(where);
        query.setSortKeys(Map.of("id", Order.ASCENDING));
        try {
            return new JdbcPagingItemReaderBuilder<CardTransaction>()
                    .name("card-transactions")   // the prefix of its state in the step's execution context
                    .dataSource(source)
                    .queryProvider(query)
                    .parameterValues(values)
                    .pageSize(settings.chunkSize())
                    .rowMapper((rs, row) -> new CardTransaction(rs.getLong("id"), rs.getString("card_last4"),
                            rs.getBigDecimal("amount"), rs.getString("currency"),
                            rs.getObject("occurred_at", OffsetDateTime.class)))
                    .build();
        } catch (Exception e) {   // build() declares Exception: the query provider's init
            throw new IllegalStateException("could not build the reader of card_transactions: " + e.getMessage(), e);
        }
    }

    /** Inserts a chunk in one JDBC batch; a row already copied (same source and id) fails the chunk. */
    private JdbcBatchItemWriter<CardTransaction> writer(TableName target, String source) {
        return new JdbcBatchItemWriterBuilder<CardTransaction>()
                .dataSource(storage.dataSource())   // the transaction manager's pool: joins the chunk's transaction
                .sql("INSERT INTO " + target.toSql() + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")
                .itemPreparedStatementSetter((t, ps) -> {
                    ps.setString(1, source);
                    ps.setLong(2, t.id());
                    ps.setString(3, t.cardLast4());
                    ps.setBigDecimal(4, t.amount());
                    ps.setString(5, t.currency());
                    ps.setObject(6, t.occurredAt());
                })
                .build();
    }

    private TableName targetTable(String name) {
        TableName table;
        try {
            table = TableName.of(storage.schema(), name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("config key \"" + TARGET_TABLE + "\": " + e.getMessage(), e);
        }
        boolean exists = storage.jdbi().withHandle(h -> h.createQuery("SELECT count(*) > 0 FROM "
                        + "information_schema.tables WHERE table_schema = :schema AND table_name = :table")
                .bind("schema", storage.schema()).bind("table", name).mapTo(Boolean.class).one());
        if (!exists) {
            throw new IllegalArgumentException("config key \"" + TARGET_TABLE + "\": no table \"" + name
                    + "\" in the storage schema \"" + storage.schema() + "\"");
        }
        return table;
    }

    private static String text(ConfigStore configs, String key) {
        JsonNode value = configs.get(key).orElseThrow(() -> new IllegalArgumentException(
                "config key \"" + key + "\": is not set; expected text"));
        if (!value.isTextual() || value.textValue().isBlank()) {
            throw new IllegalArgumentException("config key \"" + key + "\": expected text, but was " + value);
        }
        return value.textValue();
    }

    private static int positiveInt(ConfigStore configs, String key) {
        JsonNode value = configs.get(key).orElseThrow(() -> new IllegalArgumentException(
                "config key \"" + key + "\": is not set; expected a positive integer"));
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
            throw new IllegalArgumentException("config key \"" + key + "\": expected a positive integer, but was "
                    + value);
        }
        return value.intValue();
    }

    private static @Nullable BigDecimal amount(ConfigStore configs, String key) {
        JsonNode value = configs.get(key).orElse(null);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            throw new IllegalArgumentException("config key \"" + key + "\": expected a number, but was " + value);
        }
        return value.decimalValue();
    }
}
