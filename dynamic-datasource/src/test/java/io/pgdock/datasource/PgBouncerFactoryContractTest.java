package io.pgdock.datasource;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgBouncer;
import io.pgdock.testing.TestDatabase;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * The contract, run against {@link DataSourceFactory#pooled(FactoryOptions)} in {@code transactionPooling} mode with
 * every name resolved to a real PgBouncer 1.18 in transaction pooling mode in front of its database (one PgBouncer per
 * database, started with the first factory). The contract's by-spec calls reach the databases directly, in the same
 * mode. In CI PgBouncer must be installed (the tests fail, not skip).
 */
class PgBouncerFactoryContractTest extends DataSourceFactoryContract {
    private final Map<String, PgBouncer> bouncers = new LinkedHashMap<>();

    @Override
    protected DataSourceFactory newFactory(Map<String, TestDatabase> targets) {
        PgBouncer.assumeAvailable();
        Map<String, ConnectionSpec> specs = new LinkedHashMap<>();
        targets.forEach((name, db) -> {
            PgBouncer bouncer = bouncers.computeIfAbsent(name, n -> PgBouncer.start(db.spec()));
            specs.put(name, bouncer.spec());
        });
        return DataSourceFactory.pooled(FactoryOptions.builder().transactionPooling(true)
                .resolver(TargetResolver.of(specs)).build());
    }

    /** Before the contract drops the databases (a subclass's {@code @AfterAll} runs first). */
    @AfterAll
    void stopBouncers() {
        bouncers.values().forEach(PgBouncer::close);
        bouncers.clear();
    }
}
