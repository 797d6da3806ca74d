package io.pgdock.config;

import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole contract again, on storage {@link Storage#over over} a pool the application owns: reads, writes, history,
 * scopes, secrets, and watches, whose listening connection is then borrowed from that pool.
 */
class PostgresConfigStoreOverDataSourceTest extends ConfigStoreContract {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private final List<Storage> opened = new ArrayList<>();
    private final List<HikariDataSource> pools = new ArrayList<>();

    @Override
    protected ConfigStore newStore(ConfigOptions options) {
        String schema = "config_over_" + SCHEMAS.incrementAndGet();
        HikariDataSource pool = ApplicationPools.pool(PG.spec(), schema, 5);
        pools.add(pool);
        Storage storage = Storage.over(pool, schema, StorageOptions.builder().createSchema(true).build());
        opened.add(storage);
        return ConfigStore.postgres(storage, options);
    }

    /** As {@link PostgresConfigStoreTest#elapse}: the recorded history is moved back. */
    @Override
    protected void elapse(Duration duration) {
        super.elapse(duration);
        PostgresConfigStoreTest.moveHistoryBack(opened, duration);
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Storage::close);
        opened.clear();
        pools.forEach(HikariDataSource::close);
        pools.clear();
    }
}
