package org.example.pipeline;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.core.copy.BulkTransfer;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A pipeline task as a user writes one: its settings from the configuration store, its rows from a source reached by
 * name through the data source factory, its output into the main storage with COPY, and a record of the run back in the
 * configuration store.
 */
public final class NightlyLoad {
    /** What the last run did, kept in the configuration store under {@code nightly.last_run}. */
    public record LastRun(long rows, Instant finishedAt, Duration took, Optional<String> note) {
    }

    private final Storage storage;
    private final ConfigStore configs;
    private final DataSourceFactory sources;

    public NightlyLoad(Storage storage, ConfigStore configs, DataSourceFactory sources) {
        this.storage = storage;
        this.configs = configs;
        this.sources = sources;
    }

    /** The table the task creates in the source for {@link #seedSource}, and reads. */
    public static final String SOURCE_TABLE = "payments";

    /**
     * Creates the source's table with {@code count} rows, for tests and demos.
     *
     * @param sources the factory that reaches the source
     * @param source the source's name
     * @param count how many rows
     */
    public static void seedSource(DataSourceFactory sources, String source, int count) {
        sources.jdbi(source).useHandle(h -> {
            h.execute("create table if not exists " + SOURCE_TABLE + " (id bigint primary key, amount numeric)");
            h.execute("truncate " + SOURCE_TABLE);
            h.execute("insert into " + SOURCE_TABLE + " select g, g * 1.5 from generate_series(1, ?) g", count);
        });
    }

    /**
     * Copies the source's rows into storage table {@code nightly_payments}, replacing what the last run loaded.
     *
     * @return the number of rows loaded
     */
    public long run() {
        Instant start = Instant.now();
        String source = configs.get("nightly.source", String.class)
                .orElseThrow(() -> new IllegalStateException("config key nightly.source is not set"));
        List<List<Object>> rows = sources.jdbi(source).withHandle(h -> h
                .createQuery("select id, amount from " + SOURCE_TABLE + " order by id")
                .map((rs, ctx) -> List.<Object>of(rs.getLong(1), rs.getBigDecimal(2)))
                .list());
        storage.jdbi().useTransaction(h -> {
            h.execute("create table if not exists nightly_payments (id bigint primary key, amount numeric)");
            h.execute("truncate nightly_payments");
            BulkTransfer.on(h.getConnection()).copyIn(TableName.of("nightly_payments"), List.of("id", "amount"), rows);
        });
        Instant end = Instant.now();
        configs.put("nightly.last_run", new LastRun(rows.size(), end, Duration.between(start, end), Optional.empty()));
        return rows.size();
    }
}
