package io.pgdock.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Creating a pool for a new target, lazily (no connection): {@code factoryLazyPools} asks a fresh factory for
 * {@value #TARGETS} new targets; {@code hikariLazyPools}, the baseline, makes {@value #TARGETS} HikariCP pools directly
 * with {@code initializationFailTimeout = -1} (also no connection, but a housekeeping thread each). No server is
 * contacted, so none is needed. Times are per pool.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 10, batchSize = 1)
public class PoolCreationBenchmark {
    static final int TARGETS = 1000;

    private List<ConnectionSpec> specs;
    private DataSourceFactory factory;
    private final List<HikariDataSource> direct = new ArrayList<>();

    /** Fresh specs and a fresh factory for each iteration. */
    @Setup(Level.Iteration)
    public void setUp() {
        specs = new ArrayList<>();
        for (int i = 0; i < TARGETS; i++) {
            specs.add(ConnectionSpec.parse("postgresql://reader@warehouse-" + i + ".example:5432/sales"));
        }
        factory = DataSourceFactory.pooled(FactoryOptions.builder().maximumPools(TARGETS).build());
    }

    /** Closes what the iteration made. */
    @TearDown(Level.Iteration)
    public void tearDown() {
        factory.close();
        direct.forEach(HikariDataSource::close);
        direct.clear();
    }

    /** @return the last handle */
    @Benchmark
    @OperationsPerInvocation(TARGETS)
    public @Nullable DataSource factoryLazyPools() {
        DataSource last = null;
        for (ConnectionSpec spec : specs) {
            last = factory.get(spec);
        }
        return last;
    }

    /** @return the last pool */
    @Benchmark
    @OperationsPerInvocation(TARGETS)
    public @Nullable DataSource hikariLazyPools() {
        HikariDataSource last = null;
        for (ConnectionSpec spec : specs) {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(spec.jdbcUrl());
            config.setDataSourceProperties(spec.driverProperties());
            config.setMinimumIdle(0);
            config.setInitializationFailTimeout(-1);
            last = new HikariDataSource(config);
            direct.add(last);
        }
        return last;
    }
}
