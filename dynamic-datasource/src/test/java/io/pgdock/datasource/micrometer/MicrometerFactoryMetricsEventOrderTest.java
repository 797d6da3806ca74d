package io.pgdock.datasource.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.datasource.FactoryEvent;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The listener fed events directly, as a pooled factory delivers them: a label shared by pools over time, told apart by
 * pool number. No database needed.
 */
class MicrometerFactoryMetricsEventOrderTest {
    private static final ConnectionSpec SPEC = ConnectionSpec.parse("postgresql://app@db.example:5432/sales");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MicrometerFactoryMetrics metrics = MicrometerFactoryMetrics.of(registry);

    @Test
    void aRotationKeepsTheLabelsMetersAndReadsTheNewPool() {
        metrics.onEvent(event(FactoryEvent.Type.CREATED, "sales", 1, stats(2)));
        // The factory queues the new pool's CREATED, then the old pool's ROTATED.
        metrics.onEvent(event(FactoryEvent.Type.CREATED, "sales", 2, stats(5)));
        metrics.onEvent(event(FactoryEvent.Type.ROTATED, "sales", 1, stats(2)));

        assertThat(metersOf("sales")).hasSize(4);
        assertThat(active("sales")).as("read from the newer pool").isEqualTo(5);
        assertThat(pools()).isEqualTo(1);

        metrics.onEvent(event(FactoryEvent.Type.CLOSED, "sales", 1, stats(0)));
        assertThat(metersOf("sales")).as("the old pool's CLOSED leaves the new pool's meters").hasSize(4);

        metrics.onEvent(event(FactoryEvent.Type.EVICTED, "sales", 2, stats(0)));
        assertThat(metersOf("sales")).isEmpty();
        assertThat(pools()).isZero();
    }

    @Test
    void retiringAPoolTheListenerNeverSawRemovesNothing() {
        metrics.onEvent(event(FactoryEvent.Type.CREATED, "sales", 7, stats(3)));
        metrics.onEvent(event(FactoryEvent.Type.EVICTED, "sales", 6, stats(0)));
        metrics.onEvent(event(FactoryEvent.Type.EVICTED, "other", 5, stats(0)));

        assertThat(active("sales")).isEqualTo(3);
        assertThat(pools()).isEqualTo(1);
    }

    @Test
    void closedIsCountedAndRemovesNothing() {
        metrics.onEvent(event(FactoryEvent.Type.CREATED, "sales", 1, stats(1)));
        metrics.onEvent(event(FactoryEvent.Type.CLOSED, "sales", 1, stats(0)));
        metrics.onEvent(event(FactoryEvent.Type.FAILED, "sales", 1, stats(0)));

        assertThat(active("sales")).isEqualTo(1);
        assertThat(registry.get("pgdock.datasource.events").tag("type", "closed").counter().count()).isEqualTo(1);
        assertThat(registry.get("pgdock.datasource.events").tag("type", "failed").counter().count()).isEqualTo(1);
        assertThat(registry.get("pgdock.datasource.events").counters()).as("one counter per event type, no target tag")
                .hasSize(FactoryEvent.Type.values().length)
                .allSatisfy(c -> assertThat(c.getId().getTag("target")).isNull());
    }

    @Test
    void commonTagsGoOnEveryMeter() {
        SimpleMeterRegistry tagged = new SimpleMeterRegistry();
        MicrometerFactoryMetrics.of(tagged, Tags.of("factory", "reporting"))
                .onEvent(event(FactoryEvent.Type.CREATED, "sales", 1, stats(1)));

        assertThat(tagged.getMeters()).hasSize(FactoryEvent.Type.values().length + 1 + 4)
                .allSatisfy(m -> assertThat(m.getId().getTag("factory")).isEqualTo("reporting"));
    }

    @Test
    void aCommonTagMayNotTakeAKeyOfTheMetersOwn() {
        assertThatThrownBy(() -> MicrometerFactoryMetrics.of(registry, Tags.of("target", "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("common tag target=x");
        assertThatThrownBy(() -> MicrometerFactoryMetrics.of(null))
                .isInstanceOf(NullPointerException.class).hasMessage("registry");
    }

    private static FactoryEvent event(FactoryEvent.Type type, String target, long pool,
            Supplier<Health.PoolStats> stats) {
        return new FactoryEvent(type, target, pool, SPEC, "test", Instant.EPOCH, stats);
    }

    private static Supplier<Health.PoolStats> stats(int active) {
        return () -> new Health.PoolStats(active, 0, 0, active, 5);
    }

    private double active(String target) {
        return registry.get("pgdock.datasource.connections").tag("target", target).tag("state", "active").gauge()
                .value();
    }

    private double pools() {
        return registry.get("pgdock.datasource.pools").gauge().value();
    }

    private List<Meter> metersOf(String target) {
        return registry.getMeters().stream().filter(m -> target.equals(m.getId().getTag("target"))).toList();
    }
}
