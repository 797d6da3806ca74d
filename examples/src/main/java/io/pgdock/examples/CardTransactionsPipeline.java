package io.pgdock.examples;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.MigrationSet;
import io.pgdock.core.Storage;
import io.pgdock.core.copy.BulkTransfer;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The pipeline proper: for each source named in the configuration, stream its card transactions out, enrich each with
 * its merchant from the look-up in the main storage, and COPY them into the main storage in batches, recording the run
 * and its stages in the {@link RunLog}.
 *
 * <p>It is handed its three resources and knows nothing of how they were made, so a test hands it fakes (see
 * {@code CardTransactionsPipelineTest}):
 * <ul>
 *   <li>{@link ConfigStore}: {@value #BATCH_SIZE} (rows per COPY, a positive integer) and {@value #SOURCES} (the
 *       sources' names, a list of text);</li>
 *   <li>{@link DataSourceFactory}: a data source for each source name, with table {@code card_transactions} on its
 *       search path (columns as {@link SampleSources#fill} makes them);</li>
 *   <li>{@link Storage}: the main database, migrated with {@link #MIGRATIONS} and holding the merchant look-up.</li>
 * </ul>
 *
 * <p>Stages: {@code merchants} (the look-up read into memory), then one per source, named after it. A source's stage
 * extracts with {@code COPY (SELECT ...) TO STDOUT}, which streams rows as the server sends them, and loads into
 * {@code enriched_transaction} in one transaction: it deletes the source's previous rows and COPYs the new ones in
 * batches, so a failed stage leaves the previous load in place and a rerun replaces it. The first failing stage fails
 * the run; later sources are not tried.
 *
 * <p>Not thread-safe: one {@link #run()} at a time.
 */
public final class CardTransactionsPipeline {
    /** The pipeline's name in the run log. */
    public static final String NAME = "card-transactions";
    /** Config key: rows per COPY batch into the main storage. */
    public static final String BATCH_SIZE = "pipeline.batch_size";
    /** Config key: the names of the sources, resolved by the {@link DataSourceFactory}. */
    public static final String SOURCES = "pipeline.sources";
    /** The tables of the look-up, the output and the run log, for {@code StorageOptions.addMigrations}. */
    public static final MigrationSet MIGRATIONS = MigrationSet.fromResources("example-pipeline",
            CardTransactionsPipeline.class, "V1__create_card_tables.sql", "V2__create_run_log.sql");

    private static final String EXTRACT = "SELECT id, card_last4, amount, currency, occurred_at, merchant_id "
            + "FROM card_transactions ORDER BY id";
    private static final int INITIAL_BATCH_CAPACITY = 10_000;
    private static final TableName OUTPUT = TableName.of("enriched_transaction");
    private static final List<String> OUTPUT_COLUMNS = List.of("source", "id", "card_last4", "amount", "currency",
            "occurred_at", "merchant_id", "merchant_name", "merchant_category", "merchant_country");

    private final Storage storage;
    private final ConfigStore configs;
    private final DataSourceFactory sources;
    private final PrintStream out;
    private final RunLog runLog;

    /**
     * @param storage the main storage, migrated with {@link #MIGRATIONS}
     * @param configs where the batch size and the sources' names are
     * @param sources where the sources' connections come from, by name
     * @param out where to print progress
     */
    public CardTransactionsPipeline(Storage storage, ConfigStore configs, DataSourceFactory sources, PrintStream out) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.configs = Objects.requireNonNull(configs, "configs");
        this.sources = Objects.requireNonNull(sources, "sources");
        this.out = Objects.requireNonNull(out, "out");
        this.runLog = new RunLog(storage.jdbi());
    }

    /** @return the run log the pipeline writes to */
    public RunLog runLog() {
        return runLog;
    }

    /**
     * Runs the pipeline once.
     *
     * @return the id of the run, as recorded in the {@link #runLog() run log} as {@code succeeded}
     * @throws IllegalArgumentException if {@value #BATCH_SIZE} or {@value #SOURCES} is missing or invalid (the message
     *     names the key and shows the value); no run is recorded then
     * @throws RuntimeException the first stage's failure (or an {@link Error}, likewise), after the stage and the run
     *     are recorded as {@code failed}; if recording the run fails too, that failure is added as suppressed
     */
    public long run() {
        int batchSize = batchSize();
        List<String> names = sourceNames();
        long run = runLog.startRun(NAME);
        try {
            out.printf("  run %d of %s: sources %s, batches of %,d rows%n", run, NAME, names, batchSize);
            Map<String, Merchant> merchants = new HashMap<>();
            runLog.stage(run, "merchants", rows -> {
                storage.bulk().copyOut("SELECT merchant_id, name, category, country FROM merchant",
                        m -> merchants.put(m.get(0), new Merchant(m.get(1), m.get(2), m.get(3))));
                rows.add(merchants.size());
            });
            out.printf("  merchants: %,d in the look-up%n", merchants.size());
            for (String name : names) {
                runLog.stage(run, name, rows -> transfer(name, batchSize, merchants, rows));
            }
            runLog.finishRun(run, null);
            return run;
        } catch (Throwable e) {   // errors too: a run is never left "running" when this method has ended
            try {
                runLog.finishRun(run, e);
            } catch (RuntimeException recordFailure) {
                e.addSuppressed(recordFailure);   // the stage's failure is the one to report
            }
            out.printf("  run %d failed: %s%n", run, RunLog.message(e));
            throw e;   // unchecked only: the stages throw no checked exception
        }
    }

    /** A merchant of the look-up. */
    private record Merchant(String name, String category, String country) {
    }

    /** One source's stage: extract, enrich and load, in batches, with a progress line per 10%. */
    private void transfer(String name, int batchSize, Map<String, Merchant> merchants, RunLog.Rows rows) {
        DataSource source = sources.get(name);   // resolved by name; the pipeline never sees a connection spec
        long expected = sources.jdbi(name).withHandle(h ->
                h.createQuery("SELECT count(*) FROM card_transactions").mapTo(Long.class).one());
        Progress progress = new Progress(name, expected);
        storage.jdbi().useTransaction(h -> {
            h.execute("DELETE FROM enriched_transaction WHERE source = ?", name);
            BulkTransfer load = BulkTransfer.on(h.getConnection());   // joins this transaction
            // Grows as rows come: a valid batch size may be far larger than any array the JVM would allocate up front.
            List<List<?>> batch = new ArrayList<>(Math.min(batchSize, INITIAL_BATCH_CAPACITY));
            BulkTransfer.of(source).copyOut(EXTRACT, t -> {
                batch.add(enrich(name, t, merchants));
                if (batch.size() == batchSize) {
                    rows.add(load.copyIn(OUTPUT, OUTPUT_COLUMNS, batch));
                    batch.clear();
                    progress.show(rows.count());
                }
            });
            if (!batch.isEmpty()) {
                rows.add(load.copyIn(OUTPUT, OUTPUT_COLUMNS, batch));
                progress.show(rows.count());
            }
        });
    }

    /**
     * A source row (id, card_last4, amount, currency, occurred_at, merchant_id, in PostgreSQL's text form) as an output
     * row; the merchant's fields are null when it is not in the look-up.
     */
    private static List<?> enrich(String source, List<String> t, Map<String, Merchant> merchants) {
        Merchant m = merchants.get(t.get(5));
        return Arrays.asList(source, t.get(0), t.get(1), t.get(2), t.get(3), t.get(4), t.get(5),
                m == null ? null : m.name(), m == null ? null : m.category(), m == null ? null : m.country());
    }

    /** Prints a line each time another tenth of a source is loaded. */
    private final class Progress {
        private final String source;
        private final long expected;
        private long shownTenths;

        Progress(String source, long expected) {
            this.source = source;
            this.expected = expected;
        }

        void show(long loaded) {
            long tenths = expected == 0 ? 10 : Math.min(10, loaded * 10 / expected);
            if (tenths > shownTenths) {
                shownTenths = tenths;
                out.printf("  %s: %,d of %,d rows loaded (%d%%)%n", source, loaded, expected, tenths * 10);
            }
        }
    }

    private int batchSize() {
        JsonNode size = configs.get(BATCH_SIZE).orElseThrow(() -> new IllegalArgumentException(
                "config key \"" + BATCH_SIZE + "\": is not set; expected a positive integer"));
        if (!size.isIntegralNumber() || !size.canConvertToInt() || size.intValue() < 1) {
            throw new IllegalArgumentException("config key \"" + BATCH_SIZE + "\": expected a positive integer, but was "
                    + size);
        }
        return size.intValue();
    }

    private List<String> sourceNames() {
        List<String> names = configs.get(SOURCES, new TypeReference<List<String>>() { }).orElseThrow(() ->
                new IllegalArgumentException("config key \"" + SOURCES + "\": is not set; expected a list of names"));
        if (names.isEmpty() || names.contains(null)) {
            throw new IllegalArgumentException("config key \"" + SOURCES + "\": expected a list of names, but was "
                    + configs.get(SOURCES).orElseThrow());
        }
        return names;
    }
}
