package io.pgdock.datasource;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.TestDatabase;
import java.util.LinkedHashMap;
import java.util.Map;

/** The contract, run against {@link DataSourceFactory#pooled(FactoryOptions)} with a map resolver. */
class PooledFactoryContractTest extends DataSourceFactoryContract {
    @Override
    protected DataSourceFactory newFactory(Map<String, TestDatabase> targets) {
        Map<String, ConnectionSpec> specs = new LinkedHashMap<>();
        targets.forEach((name, db) -> specs.put(name, db.spec()));
        return DataSourceFactory.pooled(FactoryOptions.builder().resolver(TargetResolver.of(specs)).build());
    }
}
