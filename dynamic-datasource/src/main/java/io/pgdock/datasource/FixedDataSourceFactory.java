package io.pgdock.datasource;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.jackson2.Jackson2Plugin;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jspecify.annotations.Nullable;

/**
 * The {@link DataSourceFactory} fake for pipeline tests: it hands out data sources it was given (say, one test database
 * per target, or an H2 of the user's choosing), keyed by name and by spec, and records every request so a test can assert
 * what its code asked for. Unknown names and specs throw {@link UnknownTargetException}, as the pooled factory does for
 * unknown names. It never closes the data sources it was given.
 *
 * <pre>{@code
 * FixedDataSourceFactory sources = DataSourceFactory.fixed(Map.of("warehouse", testDatabase.dataSource()));
 * pipeline.run(sources);
 * assertThat(sources.requests()).containsExactly(FixedDataSourceFactory.Request.byName("warehouse"));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class FixedDataSourceFactory implements DataSourceFactory {

    /**
     * One call the factory answered (or refused): by name or by spec, exactly one of the two set.
     *
     * @param name the name asked for, or null
     * @param spec the spec asked for, or null
     */
    public record Request(@Nullable String name, @Nullable ConnectionSpec spec) {
        /**
         * Checks that exactly one of the two is set.
         *
         * @param name the name asked for, or null
         * @param spec the spec asked for, or null
         * @throws IllegalArgumentException if both or neither are set
         */
        public Request {
            if ((name == null) == (spec == null)) {
                throw new IllegalArgumentException("a request has a name or a spec, exactly one");
            }
        }

        /**
         * A request by name.
         *
         * @param name the name
         * @return the request
         */
        public static Request byName(String name) {
            return new Request(Objects.requireNonNull(name, "name"), null);
        }

        /**
         * A request by spec.
         *
         * @param spec the spec
         * @return the request
         */
        public static Request bySpec(ConnectionSpec spec) {
            return new Request(null, Objects.requireNonNull(spec, "spec"));
        }
    }

    private final Map<String, DataSource> byName;
    private final Map<ConnectionSpec, DataSource> bySpec;
    private final Clock clock;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<DataSource, Jdbi> jdbis = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private FixedDataSourceFactory(Builder b) {
        this.byName = Map.copyOf(b.byName);
        this.bySpec = Map.copyOf(b.bySpec);
        this.clock = b.clock;
    }

    /**
     * A builder with nothing registered.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Every request so far, in order, including refused ones.
     *
     * @return an immutable copy
     */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Forgets the recorded requests. */
    public void clearRequests() {
        requests.clear();
    }

    @Override
    public DataSource get(ConnectionSpec spec) {
        Objects.requireNonNull(spec, "spec");
        requireOpen();
        requests.add(Request.bySpec(spec));
        DataSource ds = bySpec.get(spec);
        if (ds == null) {
            throw new UnknownTargetException(spec.toString(), "this FixedDataSourceFactory has no data source for "
                    + spec + "; register it with FixedDataSourceFactory.builder().add(spec, dataSource)");
        }
        return ds;
    }

    @Override
    public DataSource get(String name) {
        TargetResolver.checkName(name);
        requireOpen();
        requests.add(Request.byName(name));
        DataSource ds = byName.get(name);
        if (ds == null) {
            throw new UnknownTargetException(name, "no target is named '" + name + "' in this FixedDataSourceFactory "
                    + "(it knows " + new ArrayList<>(byName.keySet()) + "); there is no fallback to another target");
        }
        return ds;
    }

    @Override
    public Jdbi jdbi(ConnectionSpec spec) {
        return jdbiOf(get(spec));
    }

    @Override
    public Jdbi jdbi(String name) {
        return jdbiOf(get(name));
    }

    private Jdbi jdbiOf(DataSource ds) {
        return jdbis.computeIfAbsent(ds, d -> Jdbi.create(d).installPlugin(new PostgresPlugin())
                .installPlugin(new Jackson2Plugin()));
    }

    @Override
    public Health health(ConnectionSpec spec) {
        return check(get(spec));
    }

    @Override
    public Health health(String name) {
        return check(get(name));
    }

    private Health check(DataSource ds) {
        Instant at = clock.instant();
        long start = System.nanoTime();
        Health.PoolStats none = new Health.PoolStats(0, 0, 0, 0, 0);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return Health.up(Duration.ofNanos(System.nanoTime() - start), rs.getString(1), none, at);
        } catch (SQLException e) {
            return Health.down(Duration.ofNanos(System.nanoTime() - start), SqlFailures.classify(e),
                    SqlFailures.firstLine(e.getMessage()), none, at);
        }
    }

    /** Opens and closes one connection of the registered data source, so a broken one fails here. */
    @Override
    public void warmUp(ConnectionSpec spec) {
        DataSource ds = get(spec);
        try (Connection c = ds.getConnection()) {
            c.isValid(1);
        } catch (SQLException e) {
            throw SqlFailures.connectFailure(e, spec.toString());
        }
    }

    /** The fake keeps no pools: always empty. */
    @Override
    public List<TargetStatus> targets() {
        return List.of();
    }

    /** Makes further calls throw; the registered data sources are the caller's and stay open. */
    @Override
    public void close() {
        closed = true;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this DataSourceFactory is closed");
        }
    }

    @Override
    public String toString() {
        return "FixedDataSourceFactory[names=" + byName.keySet() + ", specs=" + bySpec.size() + "]";
    }

    /** Builds a {@link FixedDataSourceFactory}. Not thread-safe. */
    public static final class Builder {
        private final Map<String, DataSource> byName = new LinkedHashMap<>();
        private final Map<ConnectionSpec, DataSource> bySpec = new LinkedHashMap<>();
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /**
         * Registers a data source under a name.
         *
         * @param name a valid target name
         * @param dataSource what {@code get(name)} returns
         * @return this builder
         */
        public Builder add(String name, DataSource dataSource) {
            byName.put(TargetResolver.checkName(name), Objects.requireNonNull(dataSource, "dataSource"));
            return this;
        }

        /**
         * Registers a data source for a spec.
         *
         * @param spec the spec
         * @param dataSource what {@code get(spec)} returns
         * @return this builder
         */
        public Builder add(ConnectionSpec spec, DataSource dataSource) {
            bySpec.put(Objects.requireNonNull(spec, "spec"), Objects.requireNonNull(dataSource, "dataSource"));
            return this;
        }

        /**
         * Registers data sources by name.
         *
         * @param dataSources by name
         * @return this builder
         */
        public Builder addAll(Map<String, ? extends DataSource> dataSources) {
            Objects.requireNonNull(dataSources, "dataSources").forEach(this::add);
            return this;
        }

        /**
         * Sets the clock of health timestamps.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the fake.
         *
         * @return the fake
         */
        public FixedDataSourceFactory build() {
            return new FixedDataSourceFactory(this);
        }
    }
}
