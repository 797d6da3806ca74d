package io.pgdock.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgdock.datasource.FactoryEvent;
import io.pgdock.datasource.FactoryListener;
import io.pgdock.datasource.micrometer.MicrometerFactoryMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The data source factory's meters ({@link MicrometerFactoryMetrics}: {@code pgdock.datasource.*}) as a
 * {@link MeterBinder}. The factory is made with this as a listener before Spring binds the registries, so events that
 * come before the first {@link #bindTo(MeterRegistry)} are kept and replayed to it; a registry bound later gets the live
 * pools' meters (its event counters start then). What is kept is bounded: every event until the first registry, up to
 * {@value #EARLY_LIMIT} (beyond that, only the live pools are replayed), and the creation of each live pool (at most the
 * factory's {@code maximumPools}).
 *
 * <p>Thread-safe: events may come from any thread while registries are bound.
 */
final class FactoryMeterBinder implements MeterBinder, FactoryListener {
    static final int EARLY_LIMIT = 10_000;

    private final List<MicrometerFactoryMetrics> bound = new ArrayList<>();   // guarded by this
    private final List<FactoryEvent> early = new ArrayList<>();               // guarded by this
    private final Map<Long, FactoryEvent> livePools = new LinkedHashMap<>();  // guarded by this
    private boolean overflowed;                                              // guarded by this

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        MicrometerFactoryMetrics metrics = MicrometerFactoryMetrics.of(registry);
        if (bound.isEmpty() && !overflowed) {
            early.forEach(metrics::onEvent);
            early.clear();
        } else {
            livePools.values().forEach(metrics::onEvent);
        }
        bound.add(metrics);
    }

    @Override
    public synchronized void onEvent(FactoryEvent event) {
        switch (event.type()) {
            case CREATED -> livePools.put(event.pool(), event);
            case ROTATED, EVICTED -> livePools.remove(event.pool());
            default -> {
                // FAILED, RECOVERED and CLOSED change no live pool.
            }
        }
        if (bound.isEmpty()) {
            if (!overflowed && early.size() < EARLY_LIMIT) {
                early.add(event);
            } else {
                overflowed = true;
                early.clear();
            }
            return;
        }
        for (MicrometerFactoryMetrics metrics : bound) {
            metrics.onEvent(event);
        }
    }

    @Override
    public synchronized String toString() {
        return "FactoryMeterBinder[registries=" + bound.size() + ", livePools=" + livePools.size() + "]";
    }
}
