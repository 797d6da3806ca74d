package io.pgdock.config;

import io.pgdock.core.Storage;
import io.pgdock.testing.PgBouncer;
import io.pgdock.testing.PgdockExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole contract through a real PgBouncer 1.18 in transaction pooling mode: every store's storage runs in
 * {@code transactionPooling} mode through a PgBouncer of its own, with its role's own search_path, and watches LISTEN on
 * the storage's direct connection spec ({@link BouncedStorages}). In CI PgBouncer must be installed (the tests fail, not
 * skip).
 *
 * <p>Tagged {@code pooler-contract} (inherited by {@link CachedPgBouncerConfigStoreTest}): the two classes take about
 * 2.5 minutes each, so CI runs them once, in its first stage (embedded server), and leaves them out of the stage against
 * the external server, where the direct contract classes run.
 */
@Tag("pooler-contract")
class PgBouncerConfigStoreTest extends ConfigStoreContract {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private BouncedStorages bounced;
    private final List<Storage> opened = new ArrayList<>();

    @BeforeEach
    void needsPgBouncer() {
        PgBouncer.assumeAvailable();
        bounced = new BouncedStorages(PG);
    }

    @Override
    protected ConfigStore newStore(ConfigOptions options) {
        Storage storage = bounced.open("bounced_config_" + SCHEMAS.incrementAndGet(), true);
        opened.add(storage);
        return ConfigStore.postgres(storage, options);
    }

    /** As {@link PostgresConfigStoreTest#elapse}: the recorded history is moved back (through PgBouncer too). */
    @Override
    protected void elapse(Duration duration) {
        super.elapse(duration);
        PostgresConfigStoreTest.moveHistoryBack(opened, duration);
    }

    @AfterEach
    void closeAll() {
        opened.clear();
        if (bounced != null) {
            bounced.close();
        }
    }
}
