package io.pgdock.benchmarks;

import io.pgdock.core.Storage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
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
 * A primary-key SELECT through {@link Storage#jdbi()} against the same SELECT in raw JDBC on the same HikariCP pool.
 *
 * <p>{@code jdbi} and {@code rawJdbc} borrow a connection, run one prepared query and return the connection: the
 * comparison the storage issue asks for. {@code jdbiWithoutPlugins} shows what the PostgreSQL and Jackson plugins cost.
 * {@code jdbiOnOpenHandle} and {@code rawJdbcOnOpenConnection} run the query on a handle or connection held for the whole
 * trial, separating Jdbi's per-statement cost from its per-handle cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PrimaryKeySelectBenchmark {
    private static final int ROWS = 10_000;
    private static final String SQL = "select name from items where id = ?";

    private BenchDatabase database;
    private Storage storage;
    private Jdbi jdbi;
    private Jdbi bareJdbi;
    private DataSource pool;
    private int next;
    private Handle heldHandle;
    private Connection heldConnection;
    private PreparedStatement heldStatement;

    /** Creates and fills the table. */
    @Setup(Level.Trial)
    public void setUp() {
        database = new BenchDatabase();
        storage = database.openStorage(4);
        jdbi = storage.jdbi();
        bareJdbi = Jdbi.create(storage.dataSource());
        pool = storage.dataSource();
        jdbi.useHandle(h -> {
            h.execute("create table items (id int primary key, name text not null, amount numeric not null)");
            h.execute("insert into items select g, 'item-' || g, g * 1.5 from generate_series(1, " + ROWS + ") g");
            h.execute("analyze items");
        });
        heldHandle = jdbi.open();
        try {
            heldConnection = pool.getConnection();
            heldStatement = heldConnection.prepareStatement(SQL);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Closes the pool and drops the database. */
    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        heldHandle.close();
        heldStatement.close();
        heldConnection.close();
        storage.close();
        database.close();
    }

    private int nextId() {
        next = next % ROWS + 1;
        return next;
    }

    /**
     * The pgdock way.
     *
     * @return the name, so JMH consumes it
     */
    @Benchmark
    public String jdbi() {
        int id = nextId();
        return jdbi.withHandle(h -> h.createQuery("select name from items where id = :id").bind("id", id)
                .mapTo(String.class).one());
    }

    /**
     * For diagnosis: a Jdbi with no plugins on the same pool, to show what the plugins cost.
     *
     * @return the name, so JMH consumes it
     */
    @Benchmark
    public String jdbiWithoutPlugins() {
        int id = nextId();
        return bareJdbi.withHandle(h -> h.createQuery("select name from items where id = :id").bind("id", id)
                .mapTo(String.class).one());
    }

    /**
     * Jdbi's per-statement cost: the query on a handle held open for the trial.
     *
     * @return the name, so JMH consumes it
     */
    @Benchmark
    public String jdbiOnOpenHandle() {
        return heldHandle.createQuery("select name from items where id = :id").bind("id", nextId())
                .mapTo(String.class).one();
    }

    /**
     * The baseline for {@link #jdbiOnOpenHandle()}: a prepared statement held open for the trial.
     *
     * @return the name, so JMH consumes it
     * @throws SQLException never, in a healthy run
     */
    @Benchmark
    public String rawJdbcOnOpenConnection() throws SQLException {
        heldStatement.setInt(1, nextId());
        try (ResultSet rs = heldStatement.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * The baseline: plain JDBC on the same pool.
     *
     * @return the name, so JMH consumes it
     * @throws SQLException never, in a healthy run
     */
    @Benchmark
    public String rawJdbc() throws SQLException {
        int id = nextId();
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(SQL)) {
            ps.setInt(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
