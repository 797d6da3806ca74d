package io.pgdock.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.commons.configuration2.DatabaseConfiguration;
import org.apache.commons.configuration2.builder.BasicConfigurationBuilder;
import org.apache.commons.configuration2.builder.fluent.Parameters;
import org.apache.commons.configuration2.ex.ConfigurationException;
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
 * The PostgreSQL configuration store against its baselines on the same pool and server:
 * <ul>
 *   <li>{@code get}: {@link ConfigStore#get(String)} (no cache) vs the same SELECT in raw JDBC ({@code rawJdbcGet}),
 *       and the peer, Apache Commons Configuration 2's {@link DatabaseConfiguration}, reading the same key from a
 *       key/value table ({@code commonsConfigurationGet});</li>
 *   <li>{@code cachedGet}: a hit of the read cache ({@code ConfigOptions.builder().cache(...)}), against the same
 *       {@code commonsConfigurationGet};</li>
 *   <li>{@code put}: {@link ConfigStore#put(String, Object)} with its trigger-written history vs a raw JDBC upsert of
 *       a jsonb value ({@code rawJdbcUpsert}).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ConfigStoreBenchmark {
    private static final String KEY = "ingest.batch_size";
    /** The statement the PostgreSQL store runs for a read in the root scope. */
    private static final String SELECT = "select scope, key, value, version, updated_at, updated_by from config_entry "
            + "where key = ? and scope = any(?)";
    private static final String UPSERT = "insert into raw_settings (key, value) values (?, ?::jsonb) "
            + "on conflict (key) do update set value = excluded.value";

    private BenchDatabase database;
    private Storage storage;
    private ConfigStore configs;
    private ConfigStore cached;
    private DataSource pool;
    private DatabaseConfiguration commons;
    private long counter;

    /** Opens storage, writes the key in both stores, and builds the peer's configuration. */
    @Setup(Level.Trial)
    public void setUp() throws ConfigurationException {
        database = new BenchDatabase();
        storage = database.openStorage(4);
        pool = storage.dataSource();
        configs = ConfigStore.postgres(storage);
        configs.put(KEY, 5000);
        cached = ConfigStore.postgres(storage, io.pgdock.config.ConfigOptions.builder().cache(1000).build());
        var unused = cached.get(KEY).orElseThrow();   // the miss that fills the cache (and starts its watch)
        storage.jdbi().useHandle(h -> {
            h.execute("create table commons_settings (key text primary key, value text not null)");
            h.execute("insert into commons_settings values (?, ?)", KEY, "5000");
            h.execute("create table raw_settings (key text primary key, value jsonb not null)");
        });
        commons = new BasicConfigurationBuilder<>(DatabaseConfiguration.class)
                .configure(new Parameters().database().setDataSource(pool).setTable("commons_settings")
                        .setKeyColumn("key").setValueColumn("value"))
                .getConfiguration();
    }

    /** Closes the pool and drops the database. */
    @TearDown(Level.Trial)
    public void tearDown() {
        storage.close();
        database.close();
    }

    /**
     * pgdock's read.
     *
     * @return the value
     */
    @Benchmark
    public JsonNode get() {
        return configs.get(KEY).orElseThrow();
    }

    /**
     * pgdock's read through the read cache: a hit (nothing writes the key during the run).
     *
     * @return the value
     */
    @Benchmark
    public JsonNode cachedGet() {
        return cached.get(KEY).orElseThrow();
    }

    /**
     * The baseline: the store's SELECT in raw JDBC, reading the value as text.
     *
     * @return the value's text
     * @throws SQLException never, in a healthy run
     */
    @Benchmark
    public String rawJdbcGet() throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(SELECT)) {
            Array scopes = c.createArrayOf("text", new String[] {""});
            ps.setString(1, KEY);
            ps.setArray(2, scopes);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(3);
            }
        }
    }

    /**
     * The peer: Commons Configuration 2 reading the same key from the same server (it queries on every read).
     *
     * @return the value
     */
    @Benchmark
    public String commonsConfigurationGet() {
        return commons.getString(KEY);
    }

    /**
     * pgdock's write: a new version and a history row.
     *
     * @return the new entry
     */
    @Benchmark
    public ConfigEntry put() {
        return configs.put("ingest.counter", ++counter);
    }

    /**
     * The baseline: a raw JDBC upsert of a jsonb value, no versioning or history.
     *
     * @return the update count
     * @throws SQLException never, in a healthy run
     */
    @Benchmark
    public int rawJdbcUpsert() throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(UPSERT)) {
            ps.setString(1, "ingest.counter");
            ps.setString(2, Long.toString(++counter));
            return ps.executeUpdate();
        }
    }
}
