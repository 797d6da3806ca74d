package io.pgdock.datasource;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * Connections to any number of PostgreSQL targets, each described by a {@link ConnectionSpec} or a name, pooled,
 * bounded and isolated from each other's failures.
 *
 * <pre>{@code
 * try (DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
 *         .resolver(TargetResolver.environment(System.getenv()))
 *         .build())) {
 *     DataSource sales = sources.get(ConnectionSpec.parse("postgresql://reader@warehouse:5432/sales?currentSchema=mart"));
 *     Jdbi billing = sources.jdbi("billing");           // PGDOCK_TARGET_BILLING_URL, ...
 * }
 * }</pre>
 *
 * <p><b>Handles.</b> {@code get} returns a handle, not a pool: a {@link DataSource} that lends connections from the
 * target's current pool. Equal specs share one pool, and concurrent first calls for one spec build exactly one. A handle
 * never hands out a connection from a closed pool: when its pool has been evicted, it makes a new one; when its pool has
 * been replaced by one with a new password, it follows. Handles are thread-safe and carry no thread-bound state, so they
 * may be passed between threads, executors and asynchronous code freely. There is no "current target" anywhere: every
 * call names its target, and an unknown name throws {@link UnknownTargetException}, never falls back to another
 * database.
 *
 * <p><b>Failures.</b> A handle's {@code getConnection()} throws {@link io.pgdock.core.ConnectionFailedException}
 * (unchecked) when its target cannot be reached, with a {@link io.pgdock.core.ConnectionFailedException.Reason} saying
 * why (unreachable, TLS, authentication, database or schema missing); other targets are not affected. A busy pool that
 * has no free connection within the borrow timeout throws HikariCP's {@link java.sql.SQLTransientConnectionException}.
 *
 * <p><b>Implementations.</b> {@link #pooled(FactoryOptions)} keeps one HikariCP pool per target; {@link #fixed(Map)}
 * hands out data sources it was given, for tests. Both pass {@code DataSourceFactoryContract}. Implementations are
 * thread-safe; {@link #close()} releases everything and makes further calls throw {@link IllegalStateException}.
 */
public interface DataSourceFactory extends AutoCloseable {

    /**
     * A handle on the pool of a target described by a spec. This opens no connection, except for a spec that differs from
     * a live target's only by its password: then one login with the new password is tried at once, and only if it works
     * does the new pool replace the old one (which drains and closes, its handles moving to the new pool). A caller with a
     * stale password therefore gets an authentication error rather than undoing a rotation.
     *
     * @param spec the target
     * @return a data source lending connections to that target
     * @throws io.pgdock.core.ConnectionFailedException if the target failed within the failure back-off, a new password
     *     is refused, or no pool can be made because every pool has connections lent and the pool limit is reached
     * @throws IllegalStateException if the factory is closed
     */
    DataSource get(ConnectionSpec spec);

    /**
     * A handle on the pool of a named target. The name is resolved now and again whenever the handle needs a new pool, so
     * a changed password reaches the handle the next time its pool is replaced.
     *
     * @param name a target name
     * @return a data source lending connections to that target
     * @throws UnknownTargetException if no target has that name
     * @throws IllegalArgumentException if the name is not a valid target name
     * @throws io.pgdock.core.ConnectionFailedException as {@link #get(ConnectionSpec)}
     * @throws IllegalStateException if the factory is closed
     */
    DataSource get(String name);

    /**
     * A {@link Jdbi} over {@link #get(ConnectionSpec)}, with the PostgreSQL and Jackson plugins installed. The same
     * instance is returned for equal specs while their pool lives.
     *
     * @param spec the target
     * @return a Jdbi for the target
     */
    Jdbi jdbi(ConnectionSpec spec);

    /**
     * A {@link Jdbi} over {@link #get(String)}.
     *
     * @param name a target name
     * @return a Jdbi for the target
     * @throws UnknownTargetException if no target has that name
     */
    Jdbi jdbi(String name);

    /**
     * Checks a target: {@code DOWN} at once, without a new attempt, while it is failing within the back-off; otherwise a
     * trivial query on one of its connections (made, like {@link #get(ConnectionSpec)}, with a pool if the target has
     * none). Never throws for a target that cannot be reached or a pool that cannot be made: those are {@code DOWN}.
     *
     * @param spec the target
     * @return its health and pool counts
     */
    Health health(ConnectionSpec spec);

    /**
     * As {@link #health(ConnectionSpec)}, by name.
     *
     * @param name a target name
     * @return its health and pool counts
     * @throws UnknownTargetException if no target has that name
     */
    Health health(String name);

    /**
     * Connects to a target now rather than on first use, so a bad target is found early and the first query is not
     * slowed. Pools are otherwise lazy: {@link #get(ConnectionSpec)} opens no connection.
     *
     * @param spec the target
     * @throws io.pgdock.core.ConnectionFailedException if the target cannot be reached
     */
    void warmUp(ConnectionSpec spec);

    /**
     * The live targets with their state and pool counts, in no particular order.
     *
     * @return a snapshot
     */
    List<TargetStatus> targets();

    /**
     * Closes every pool (connections still lent are aborted) and the factory's own threads. Idempotent.
     */
    @Override
    void close();

    /**
     * A factory of HikariCP pools, bounded and isolated as {@code options} say.
     *
     * @param options the settings
     * @return a new factory; close it when done
     */
    static DataSourceFactory pooled(FactoryOptions options) {
        return new PooledDataSourceFactory(options);
    }

    /**
     * A fake for tests that hands out the given data sources by name and records what was asked for. It never closes the
     * data sources it was given.
     *
     * @param byName data sources by target name
     * @return the fake
     */
    static FixedDataSourceFactory fixed(Map<String, ? extends DataSource> byName) {
        return FixedDataSourceFactory.builder().addAll(byName).build();
    }
}
