package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgBouncer;
import io.pgdock.testing.PgdockExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The factory through a real PgBouncer in transaction pooling mode (the Debian package; skipped, saying so, where it is
 * not installed). With {@code transactionPooling(true)} the factory sets no session state and turns server-side prepared
 * statements off, and the spec's schema and timeout come from the role's own settings, so every transaction sees them on
 * whichever server session PgBouncer gives it.
 */
class PgBouncerTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private Jdbi admin;
    private String roleSettings;

    @BeforeEach
    void giveTheRoleItsSettings() {
        PgBouncer.assumeAvailable();
        admin = Jdbi.create(PG.adminDataSource());
        ConnectionSpec spec = PG.spec();
        roleSettings = "ALTER ROLE \"" + spec.user() + "\" IN DATABASE \"" + spec.database() + "\"";
        PG.jdbi().useHandle(h -> {
            h.execute("CREATE SCHEMA IF NOT EXISTS bounced");
            h.execute("CREATE TABLE IF NOT EXISTS bounced.events (worker int, n int, backend int)");
        });
        admin.useHandle(h -> {
            h.execute(roleSettings + " SET search_path = bounced");
            h.execute(roleSettings + " SET statement_timeout = 4000");
        });
    }

    @AfterEach
    void resetTheRole() {
        if (admin != null) {
            admin.useHandle(h -> h.execute(roleSettings + " RESET ALL"));
        }
    }

    @Test
    void manyClientsShareTwoServerSessionsAndEveryTransactionSeesTheSpecsSettings() throws Exception {
        try (PgBouncer bouncer = PgBouncer.builder(PG.spec()).defaultPoolSize(2).start();
                DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder()
                        .transactionPooling(true).maximumPoolSize(6).build())) {
            ConnectionSpec spec = bouncer.spec().toBuilder().schema("bounced")
                    .statementTimeout(Duration.ofSeconds(4)).build();
            Jdbi jdbi = factory.jdbi(spec);
            Set<Integer> backends = ConcurrentHashMap.newKeySet();
            ExecutorService workers = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < 8; w++) {
                    int worker = w;
                    done.add(workers.submit(() -> {
                        for (int n = 0; n < 50; n++) {
                            int i = n;
                            jdbi.useTransaction(h -> {
                                assertThat(h.select("SHOW search_path").mapTo(String.class).one()).isEqualTo("bounced");
                                assertThat(h.select("SHOW statement_timeout").mapTo(String.class).one())
                                        .isEqualTo("4s");
                                int backend = h.select("SELECT pg_backend_pid()").mapTo(Integer.class).one();
                                backends.add(backend);
                                // Unqualified: lands in the role's schema. Bound, and repeated past pgjdbc's
                                // prepareThreshold, which would fail through PgBouncer 1.18 with server-side prepares.
                                h.createUpdate("INSERT INTO events VALUES (:w, :n, :b)").bind("w", worker)
                                        .bind("n", i).bind("b", backend).execute();
                            });
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                workers.shutdownNow();
            }
            int rows = PG.jdbi().withHandle(h -> h.select("SELECT count(*) FROM bounced.events").mapTo(Integer.class)
                    .one());
            assertThat(rows).isEqualTo(400);
            assertThat(backends).as("server sessions behind up to 6 client connections").hasSizeBetween(1, 2);
            assertThat(factory.targets()).singleElement().satisfies(t -> assertThat(t.pool().total()).isGreaterThan(2));
        }
    }
}
