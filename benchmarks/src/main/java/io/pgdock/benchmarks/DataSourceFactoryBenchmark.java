package io.pgdock.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetResolver;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
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
 * What a {@link DataSourceFactory} costs on the hot path, each beside its baseline in the same run:
 *
 * <ul>
 *   <li>{@code lookupFactory} ({@code get(spec)} of a live pool) against {@code lookupConcurrentHashMap}
 *       ({@code ConcurrentHashMap.get} with the same spec as key); {@code lookupByName} adds a map resolver.</li>
 *   <li>{@code borrowReturnFactory} (a connection from the factory's handle, closed at once) against
 *       {@code borrowReturnHikari} (the same from a HikariCP pool made directly with the same settings). No query runs:
 *       this is the pool's own cost.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DataSourceFactoryBenchmark {
    private TestDatabase database;
    private ConnectionSpec spec;
    private DataSourceFactory factory;
    private DataSource handle;
    private Map<ConnectionSpec, DataSource> map;
    private HikariDataSource hikari;

    /** Makes the database, the factory with one warm target, and the direct HikariCP pool. */
    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        database = TestPostgres.get().createDatabase();
        spec = database.spec().toBuilder().applicationName("pgdock-bench").build();
        factory = DataSourceFactory.pooled(FactoryOptions.builder().maximumPoolSize(4)
                .resolver(TargetResolver.of(Map.of("bench", spec))).build());
        handle = factory.get(spec);
        try (Connection c = handle.getConnection()) {
            c.isValid(1);
        }
        map = new ConcurrentHashMap<>();
        for (int i = 0; i < 100; i++) {
            map.put(spec.toBuilder().applicationName("other-" + i).build(), handle);
        }
        map.put(spec, handle);
        // Same spec object rebuilt, as callers usually hold an equal spec rather than the same instance.
        spec = ConnectionSpec.parse(spec.toString().replace(":***", ":" + spec.password().orElseThrow()));

        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(spec.jdbcUrl());
        config.setDataSourceProperties(spec.driverProperties());
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        hikari = new HikariDataSource(config);
        try (Connection c = hikari.getConnection()) {
            c.isValid(1);
        }
    }

    /** Closes everything and drops the database. */
    @TearDown(Level.Trial)
    public void tearDown() {
        factory.close();
        hikari.close();
        database.close();
    }

    /** @return the handle of a live pool */
    @Benchmark
    public DataSource lookupFactory() {
        return factory.get(spec);
    }

    /** @return the same handle from a plain map */
    @Benchmark
    public @Nullable DataSource lookupConcurrentHashMap() {
        return map.get(spec);
    }

    /** @return the handle of a live pool, by name through a map resolver */
    @Benchmark
    public DataSource lookupByName() {
        return factory.get("bench");
    }

    /** @return whether the connection was open: a borrow and a return through the factory's handle */
    @Benchmark
    public boolean borrowReturnFactory() throws SQLException {
        try (Connection c = handle.getConnection()) {
            return c.getAutoCommit();
        }
    }

    /** @return whether the connection was open: a borrow and a return from HikariCP directly */
    @Benchmark
    public boolean borrowReturnHikari() throws SQLException {
        try (Connection c = hikari.getConnection()) {
            return c.getAutoCommit();
        }
    }
}
