package io.pgdock.benchmarks;

import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
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
 * What the history hash chain (config migration V6) costs {@link ConfigStore#put(String, Object)}: the same put into
 * two storage schemas of one database, one with the chain's trigger ({@code putChained}) and one where the trigger
 * {@code config_history_chain} is disabled ({@code putUnchained}, its rows get no hash), beside a raw JDBC upsert of
 * the same value ({@code rawJdbcUpsert}). {@code putChainedV6} is the chain as migration V6 left it, before V7 made its
 * helpers cheap (the schema's helpers set back to V6's definitions), to show what V7 saves.
 *
 * <p>Parameters: {@code value}, a number or an object of about 1 KB (the chain hashes the old and the new value's text,
 * so its cost grows with the value); {@code synchronousCommit}, the database's setting, {@code off} to take the disk's
 * flush out of the figure and leave the CPU the chain adds. Each store has one pooled connection, so with
 * {@code -jvmArgs -Dpgdock.bench.pin=0} the benchmark thread and all four backends run on CPU 0 ({@link CpuPinning}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HistoryChainBenchmark {
    private static final String KEY = "ingest.settings";
    private static final String UPSERT = "insert into raw_settings (key, value) values (?, ?::jsonb) "
            + "on conflict (key) do update set value = excluded.value";

    /** Migration V6's digest, as it was before V7 (a SQL function with a pinned search_path, not inlined). */
    private static final String V6_DIGEST = """
            create or replace function pgdock_config_history_digest(p_prev bytea, p_scope text, p_key text,
                    p_version bigint, p_kind text, p_old jsonb, p_new jsonb, p_actor text, p_reason text,
                    p_changed_at timestamptz) returns bytea
                language sql stable parallel safe
                set search_path = pg_catalog, pg_temp
            as $$
                select sha256(convert_to('pgdock config_history v1', 'UTF8')
                    || case when p_prev is null then '\\xffffffff'::bytea else int4send(length(p_prev)) || p_prev end
                    || bench_v6.pgdock_config_hash_field(p_scope) || bench_v6.pgdock_config_hash_field(p_key)
                    || bench_v6.pgdock_config_hash_field(p_version::text) || bench_v6.pgdock_config_hash_field(p_kind)
                    || bench_v6.pgdock_config_hash_field(bench_v6.pgdock_config_history_canon(p_old))
                    || bench_v6.pgdock_config_hash_field(bench_v6.pgdock_config_history_canon(p_new))
                    || bench_v6.pgdock_config_hash_field(p_actor) || bench_v6.pgdock_config_hash_field(p_reason)
                    || bench_v6.pgdock_config_hash_field(
                           to_char(p_changed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')))
            $$""";

    /** The value written: {@code number} (a counter) or {@code object1k} (an object of about 1 KB with a counter). */
    @Param({"number", "object1k"})
    public String value;

    /** The database's {@code synchronous_commit}, set before the pools connect. */
    @Param({"on", "off"})
    public String synchronousCommit;

    private BenchDatabase database;
    private Storage chainedStorage;
    private Storage plainStorage;
    private ConfigStore chained;
    private ConfigStore plain;
    private Storage v6Storage;
    private ConfigStore chainedV6;
    private DataSource rawPool;
    private Map<String, Object> object;
    private String objectJson;
    private long counter;

    /** Sets the database up, opens both stores and disables the chain in the second. */
    @Setup(Level.Trial)
    public void setUp() {
        database = new BenchDatabase();
        try (Storage admin = database.openStorage("bench_setup", 1)) {
            admin.jdbi().useHandle(h -> {
                String name = h.createQuery("select current_database()").mapTo(String.class).one();
                h.execute("alter database \"" + name.replace("\"", "\"\"") + "\" set synchronous_commit = "
                        + ("off".equals(synchronousCommit) ? "off" : "on"));
            });
        }
        chainedStorage = database.openStorage("bench", 1);
        plainStorage = database.openStorage("bench_plain", 1);
        v6Storage = database.openStorage("bench_v6", 1);
        chained = ConfigStore.postgres(chainedStorage);
        plain = ConfigStore.postgres(plainStorage);
        chainedV6 = ConfigStore.postgres(v6Storage);
        try (Connection c = v6Storage.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("alter function pgdock_config_hash_field(text) immutable set search_path = pg_catalog, pg_temp");
            st.execute(V6_DIGEST);   // plain JDBC: the body's colons and quotes stay as written
        } catch (SQLException e) {
            throw new IllegalStateException("could not set schema bench_v6 back to V6's chain", e);
        }
        plainStorage.jdbi().useHandle(h -> {
            h.execute("alter table config_history disable trigger config_history_chain");
            h.execute("create table raw_settings (key text primary key, value jsonb not null)");
        });
        rawPool = plainStorage.dataSource();
        object = new LinkedHashMap<>();
        for (int i = 0; i < 24; i++) {
            object.put("setting_" + i, "a value of some thirty characters " + i);
        }
        objectJson = toJson(object, 0);
        chained.put(KEY, next());
        plain.put(KEY, next());
        chainedV6.put(KEY, next());
    }

    /** Pins this thread and the four backends when {@code pgdock.bench.pin} is set. */
    @Setup(Level.Iteration)
    public void pin() {
        CpuPinning.pinIfAsked(plainStorage.jdbi());
    }

    /** Closes the pools and drops the database. */
    @TearDown(Level.Trial)
    public void tearDown() {
        chainedStorage.close();
        plainStorage.close();
        v6Storage.close();
        database.close();
    }

    /**
     * A put with the hash chain (what every store now does).
     *
     * @return the new entry
     */
    @Benchmark
    public ConfigEntry putChained() {
        return chained.put(KEY, next());
    }

    /**
     * A put with the chain as migration V6 wrote it (helpers not inlined).
     *
     * @return the new entry
     */
    @Benchmark
    public ConfigEntry putChainedV6() {
        return chainedV6.put(KEY, next());
    }

    /**
     * The same put with the chain's trigger disabled: its history rows carry no hash.
     *
     * @return the new entry
     */
    @Benchmark
    public ConfigEntry putUnchained() {
        return plain.put(KEY, next());
    }

    /**
     * The baseline: a raw JDBC upsert of the same value as jsonb, no version, history or chain.
     *
     * @return the update count
     * @throws SQLException never, in a healthy run
     */
    @Benchmark
    public int rawJdbcUpsert() throws SQLException {
        try (Connection c = rawPool.getConnection(); PreparedStatement ps = c.prepareStatement(UPSERT)) {
            ps.setString(1, KEY);
            ps.setString(2, "number".equals(value) ? Long.toString(++counter) : toJson(object, ++counter));
            return ps.executeUpdate();
        }
    }

    private Object next() {
        if ("number".equals(value)) {
            return ++counter;
        }
        Map<String, Object> v = new LinkedHashMap<>(object);
        v.put("counter", ++counter);
        return v;
    }

    private String toJson(Map<String, Object> map, long count) {
        if (objectJson != null && count == 0) {
            return objectJson;
        }
        StringBuilder b = new StringBuilder("{");
        map.forEach((k, v) -> b.append('"').append(k).append("\":\"").append(v).append("\","));
        return b.append("\"counter\":").append(count).append('}').toString();
    }
}
