package io.pgdock.benchmarks;

import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.copy.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Loading {@code rows} three-column rows (bigint, text, bigint) with {@link Storage#bulk()} COPY against JDBC batch
 * inserts of 1000 rows with pgjdbc's {@code reWriteBatchedInserts=true}, on the same pool (the option only affects the
 * batch variant). Each invocation loads into an empty table; the rows are generated on the fly in both variants.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CopyLoadBenchmark {
    private static final int BATCH = 1000;

    /** How many rows each invocation loads. */
    @Param("1000000")
    public int rows;

    private BenchDatabase database;
    private Storage storage;

    /** Opens storage with batch rewriting on and creates the table. */
    @Setup(Level.Trial)
    public void setUp() {
        database = new BenchDatabase();
        database.openStorage(1).close();
        storage = Storage.open(database.spec().toBuilder().option("reWriteBatchedInserts", "true").build(),
                StorageOptions.builder().discoverMigrations(false).maximumPoolSize(2).build());
        storage.jdbi().useHandle(h -> h.execute("create table loaded (id bigint, name text, amount bigint)"));
    }

    /** Empties the table before each load. */
    @Setup(Level.Invocation)
    public void truncate() {
        storage.jdbi().useHandle(h -> h.execute("truncate loaded"));
    }

    /** Closes the pool and drops the database. */
    @TearDown(Level.Trial)
    public void tearDown() {
        storage.close();
        database.close();
    }

    /**
     * pgdock's COPY from a stream of rows.
     *
     * @return the row count, so JMH consumes it
     */
    @Benchmark
    public long copyIn() {
        return storage.bulk().copyIn(TableName.of("loaded"), List.of("id", "name", "amount"),
                LongStream.range(0, rows).mapToObj(i -> List.of(i, "name-" + i, i * 3)));
    }

    /**
     * The baseline: JDBC batch inserts of 1000 rows, rewritten by pgjdbc into multi-row INSERTs, in one transaction.
     *
     * @return the row count, so JMH consumes it
     * @throws SQLException never, in a healthy run
     */
    @Benchmark
    public long batchInsert() throws SQLException {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("insert into loaded (id, name, amount) values (?, ?, ?)")) {
            c.setAutoCommit(false);
            long count = 0;
            for (long i = 0; i < rows; i++) {
                ps.setLong(1, i);
                ps.setString(2, "name-" + i);
                ps.setLong(3, i * 3);
                ps.addBatch();
                if (++count % BATCH == 0) {
                    ps.executeBatch();
                }
            }
            ps.executeBatch();
            c.commit();
            return count;
        }
    }
}
