package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.Wait;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A password rotation under concurrent load: after the factory has been given the new spec, no borrow gets a connection
 * that was opened before the rotation, whether the borrower holds a handle on the old spec, asks by the new spec, or asks
 * by name.
 */
class CredentialRotationTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Bounds a wait for a condition; generous, it only detects a hang. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** One borrow: whether it began after the rotation returned, and when its session was opened. */
    private record Borrow(boolean afterSwap, Instant sessionStart, String via) {
    }

    @Test
    void noBorrowAfterTheSwapGetsAConnectionOpenedBefore() throws Exception {
        Jdbi admin = Jdbi.create(PG.adminDataSource());
        ConnectionSpec v1 = PG.spec().toBuilder().applicationName("pgdock-rotation").build();
        String role = v1.user();
        String oldPassword = v1.password().orElseThrow();
        ConnectionSpec v2 = v1.toBuilder().password("rotated-" + oldPassword).build();
        AtomicReference<ConnectionSpec> current = new AtomicReference<>(v1);
        RecordingListener events = new RecordingListener();
        PooledDataSourceFactory factory = (PooledDataSourceFactory) DataSourceFactory.pooled(FactoryOptions.builder()
                .resolver(name -> java.util.Optional.of(current.get()))
                .maximumPoolSize(4).listener(events).build());
        try {
            DataSource oldHandle = factory.get(v1);
            DataSource namedHandle = factory.get("orders");
            AtomicBoolean swapped = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger afterSwap = new AtomicInteger();
            ConcurrentLinkedQueue<Borrow> borrows = new ConcurrentLinkedQueue<>();
            ExecutorService workers = Executors.newFixedThreadPool(8);
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int kind = w % 4;
                running.add(workers.submit(() -> {
                    while (!stop.get()) {
                        boolean after = swapped.get();
                        DataSource ds = switch (kind) {
                            case 0 -> oldHandle;
                            case 1 -> namedHandle;
                            case 2 -> factory.get(current.get());
                            default -> factory.get("orders");
                        };
                        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                                ResultSet rs = s.executeQuery("SELECT backend_start FROM pg_stat_activity "
                                        + "WHERE pid = pg_backend_pid()")) {
                            rs.next();
                            borrows.add(new Borrow(after, rs.getTimestamp(1).toInstant(), "kind " + kind));
                        }
                        if (after) {
                            afterSwap.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            Wait.until(WAIT, () -> borrows.size() >= 400, "400 borrows before the swap");

            admin.useHandle(h -> h.execute("ALTER ROLE \"" + role + "\" PASSWORD '" + v2.password().orElseThrow()
                    + "'"));
            Instant before = admin.withHandle(h -> h.select("SELECT clock_timestamp()").mapTo(Timestamp.class).one())
                    .toInstant();
            current.set(v2);
            factory.get(v2);
            swapped.set(true);

            Wait.until(WAIT, () -> afterSwap.get() >= 400, "400 borrows after the swap");
            stop.set(true);
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
            workers.shutdown();

            List<Borrow> late = borrows.stream().filter(Borrow::afterSwap).toList();
            assertThat(late).hasSizeGreaterThanOrEqualTo(400);
            assertThat(late).allSatisfy(b -> assertThat(b.sessionStart()).as("session of a borrow via %s", b.via())
                    .isAfter(before));
            assertThat(borrows.stream().filter(b -> !b.afterSwap()).anyMatch(b -> b.sessionStart().isBefore(before)))
                    .as("the old pool was really in use before the swap").isTrue();
            assertThat(events.count(FactoryEvent.Type.ROTATED)).isEqualTo(1);

            factory.cleanUp();
            Wait.until(WAIT, () -> {
                factory.cleanUp();
                return events.count(FactoryEvent.Type.CLOSED) == 1;
            }, "the old pool drained and closed");
            assertThat(factory.targets()).singleElement().satisfies(t -> assertThat(t.spec()).isEqualTo(v2));
        } finally {
            factory.close();
            admin.useHandle(h -> h.execute("ALTER ROLE \"" + role + "\" PASSWORD '" + oldPassword + "'"));
        }
    }

    @Test
    void aRotatedPoolsSuccessorIsFollowedByOldHandles() throws SQLException {
        ConnectionSpec v1 = PG.spec().toBuilder().applicationName("pgdock-rotation-follow").build();
        ConnectionSpec v2 = v1.toBuilder().password("second-password").build();
        ConnectionSpec v3 = v1.toBuilder().password("third-password").build();
        try (PooledDataSourceFactory factory = (PooledDataSourceFactory) DataSourceFactory.pooled(
                FactoryOptions.builder().maintenanceInterval(Duration.ofHours(1)).build())) {
            DataSource old = factory.get(v1);
            factory.get(v2);
            factory.get(v3);
            try (Connection c = old.getConnection()) {
                assertThat(c.isValid(5)).isTrue();
            }
            // The old handle followed v1 -> v2 -> v3 instead of rebuilding a pool with the old password.
            assertThat(factory.targets()).singleElement().satisfies(t -> assertThat(t.spec()).isEqualTo(v3));
        }
    }
}
