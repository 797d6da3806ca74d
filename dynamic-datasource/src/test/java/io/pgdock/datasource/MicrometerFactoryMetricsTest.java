package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.micrometer.MicrometerFactoryMetrics;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MicrometerFactoryMetrics} on a real pooled factory. In this package to run maintenance with
 * {@link PooledDataSourceFactory#cleanUp()} after advancing a fake ticker; the factory's own maintenance is scheduled an
 * hour apart, so it never runs concurrently with a test.
 */
class MicrometerFactoryMetricsTest {
    private static final Duration IDLE_TTL = Duration.ofMinutes(5);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong nanos = new AtomicLong();
    private final List<FactoryEvent> seen = new CopyOnWriteArrayList<>();
    private TestDatabase db;
    private PooledDataSourceFactory factory;

    @BeforeEach
    void setUp() {
        db = TestPostgres.get().createDatabase();
        factory = (PooledDataSourceFactory) DataSourceFactory.pooled(FactoryOptions.builder()
                .maximumPoolSize(3)
                .ticker(nanos::get)
                .idleTtl(IDLE_TTL)
                .maintenanceInterval(Duration.ofHours(1))
                .listener(MicrometerFactoryMetrics.of(registry))
                .listener(seen::add)
                .build());
    }

    @AfterEach
    void tearDown() {
        if (factory != null) {
            factory.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void gaugesReadTheLivePool() throws SQLException {
        DataSource source = factory.get(db.spec());
        String target = label(FactoryEvent.Type.CREATED, 0);
        assertThat(selectOne(source)).isEqualTo(1);

        assertThat(connections(target, "active")).isZero();
        assertThat(connections(target, "idle")).as("the connection of the query, back in the pool").isEqualTo(1);
        try (Connection held = source.getConnection()) {
            assertThat(held.isValid(1)).isTrue();
            assertThat(connections(target, "active")).isEqualTo(1);
            assertThat(connections(target, "idle")).isZero();
        }
        assertThat(gauge("pgdock.datasource.connections.max", target)).isEqualTo(3);
        assertThat(gauge("pgdock.datasource.connections.pending", target)).isZero();
        assertThat(registry.get("pgdock.datasource.pools").gauge().value()).isEqualTo(1);
        assertThat(events("created")).isEqualTo(1);
        assertThat(events("evicted")).isZero();
    }

    @Test
    void evictionRemovesEveryMeterOfTheTarget() throws SQLException {
        assertThat(selectOne(factory.get(db.spec()))).isEqualTo(1);
        String target = label(FactoryEvent.Type.CREATED, 0);
        assertThat(metersOf(target)).hasSize(4);
        factory.cleanUp();   // notes the use

        nanos.addAndGet(IDLE_TTL.toNanos());
        factory.cleanUp();

        assertThat(seen).extracting(FactoryEvent::type)
                .containsExactly(FactoryEvent.Type.CREATED, FactoryEvent.Type.EVICTED, FactoryEvent.Type.CLOSED);
        assertThat(metersOf(target)).as("meters of the evicted target " + target).isEmpty();
        assertThat(registry.get("pgdock.datasource.pools").gauge().value()).isZero();
        assertThat(events("evicted")).isEqualTo(1);
        assertThat(events("closed")).isEqualTo(1);
    }

    @Test
    void aRotatedTargetKeepsItsMetersWhichReadTheNewPool() throws SQLException {
        DataSource source = factory.get(db.spec());
        String target = label(FactoryEvent.Type.CREATED, 0);
        try (Connection old = source.getConnection()) {
            assertThat(old.isValid(1)).isTrue();
            assertThat(connections(target, "active")).isEqualTo(1);
            ConnectionSpec rotated = changePassword("rotated_1");

            assertThat(selectOne(factory.get(rotated))).isEqualTo(1);

            assertThat(label(FactoryEvent.Type.CREATED, 1)).as("the new pool keeps the label").isEqualTo(target);
            assertThat(label(FactoryEvent.Type.ROTATED, 0)).isEqualTo(target);
            assertThat(metersOf(target)).hasSize(4);
            assertThat(connections(target, "active")).as("read from the new pool, not the draining one").isZero();
            assertThat(connections(target, "idle")).isEqualTo(1);
            assertThat(registry.get("pgdock.datasource.pools").gauge().value()).isEqualTo(1);
            assertThat(events("rotated")).isEqualTo(1);
        }
        factory.cleanUp();

        assertThat(events("closed")).as("the old pool, drained").isEqualTo(1);
        assertThat(metersOf(target)).hasSize(4);
    }

    /**
     * Two rotations while the first pool drains: all three pools carry one label, and the CLOSED of the first two, which
     * come later, must leave the third pool's meters alone.
     */
    @Test
    void drainingPoolsLeaveTheMetersOfTheNewPoolWithTheirLabel() throws SQLException {
        DataSource source = factory.get(db.spec());
        String target = label(FactoryEvent.Type.CREATED, 0);
        try (Connection draining = source.getConnection()) {
            assertThat(draining.isValid(1)).isTrue();
            factory.get(changePassword("rotated_1"));
            DataSource third = factory.get(changePassword("rotated_2"));
            assertThat(label(FactoryEvent.Type.CREATED, 2)).as("the third pool's label").isEqualTo(target);
            assertThat(selectOne(third)).isEqualTo(1);
        }
        factory.cleanUp();

        assertThat(seen).filteredOn(e -> e.type() == FactoryEvent.Type.CLOSED).extracting(FactoryEvent::pool)
                .as("the first and second pools, closed once drained")
                .containsExactlyInAnyOrder(pool(FactoryEvent.Type.CREATED, 0), pool(FactoryEvent.Type.CREATED, 1));
        assertThat(metersOf(target)).as("meters of the live third pool").hasSize(4);
        assertThat(connections(target, "idle")).isEqualTo(1);
        assertThat(registry.get("pgdock.datasource.pools").gauge().value()).isEqualTo(1);
    }

    @Test
    void closingTheFactoryRemovesEveryTargetsMeters() throws SQLException {
        assertThat(selectOne(factory.get(db.spec()))).isEqualTo(1);

        factory.close();

        assertThat(registry.getMeters()).extracting(m -> m.getId().getName())
                .containsOnly("pgdock.datasource.pools", "pgdock.datasource.events");
        assertThat(registry.get("pgdock.datasource.pools").gauge().value()).isZero();
        assertThat(events("closed")).isEqualTo(1);
    }

    private ConnectionSpec changePassword(String password) throws SQLException {
        try (Connection admin = db.adminDataSource().getConnection(); Statement s = admin.createStatement()) {
            s.execute("ALTER ROLE \"" + db.spec().user() + "\" PASSWORD '" + password + "'");
        }
        return db.spec().toBuilder().password(password).build();
    }

    private static int selectOne(DataSource source) throws SQLException {
        try (Connection c = source.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** The target of the {@code index}th event of a type, as the factory reported it. */
    private long pool(FactoryEvent.Type type, int index) {
        return seen.stream().filter(e -> e.type() == type).skip(index).findFirst().orElseThrow().pool();
    }

    private String label(FactoryEvent.Type type, int index) {
        return seen.stream().filter(e -> e.type() == type).skip(index).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " event #" + index + " among " + seen))
                .target();
    }

    private double connections(String target, String state) {
        return registry.get("pgdock.datasource.connections").tag("target", target).tag("state", state).gauge().value();
    }

    private double gauge(String name, String target) {
        return registry.get(name).tag("target", target).gauge().value();
    }

    private double events(String type) {
        return registry.get("pgdock.datasource.events").tag("type", type).counter().count();
    }

    private List<Meter> metersOf(String target) {
        return registry.getMeters().stream().filter(m -> target.equals(m.getId().getTag("target"))).toList();
    }
}
