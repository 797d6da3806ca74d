package io.pgdock.benchmarks;

import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@link Storage#open} to the first query's result, then close; the JVM is already running. Includes starting the
 * pool, the first connection, the schema and privilege checks and the (empty) migration check.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class OpenToFirstQueryBenchmark {
    private BenchDatabase database;

    /** Creates the database and schema once. */
    @Setup(Level.Trial)
    public void setUp() {
        database = new BenchDatabase();
        database.openStorage(1).close();
    }

    /** Drops the database. */
    @TearDown(Level.Trial)
    public void tearDown() {
        database.close();
    }

    /**
     * Open, query, close.
     *
     * @return the query result, so JMH consumes it
     */
    @Benchmark
    public int openAndQuery() {
        try (Storage storage = Storage.open(database.spec(), StorageOptions.builder().discoverMigrations(false).build())) {
            return storage.jdbi().withHandle(h -> h.createQuery("select 1").mapTo(Integer.class).one());
        }
    }
}
