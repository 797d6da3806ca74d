package io.pgdock.datasource.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.pgdock.core.Health;
import io.pgdock.datasource.FactoryEvent;
import io.pgdock.datasource.FactoryListener;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;

/**
 * Publishes a pooled {@link io.pgdock.datasource.DataSourceFactory}'s pools to a Micrometer {@link MeterRegistry}.
 * Register it as a listener:
 *
 * <pre>{@code
 * DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
 *         .listener(MicrometerFactoryMetrics.of(registry))
 *         .build());
 * }</pre>
 *
 * <p><b>Meters.</b> Gauges are read from the live pool whenever the registry samples them. A target's meters appear when
 * its pool is created, and are removed when the pool is evicted or replaced by a rotated password (the replacement gets
 * meters of its own, under its own {@code target} tag); so evicted targets leave no meters behind.
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>tags</th><th>base unit</th><th>meaning</th></tr>
 * <tr><td>{@code pgdock.datasource.connections}</td><td>gauge</td><td>{@code target}, {@code state=active}</td>
 *     <td>connections</td><td>connections lent out</td></tr>
 * <tr><td>{@code pgdock.datasource.connections}</td><td>gauge</td><td>{@code target}, {@code state=idle}</td>
 *     <td>connections</td><td>connections open and not lent; the sum over {@code state} is the open connections</td></tr>
 * <tr><td>{@code pgdock.datasource.connections.pending}</td><td>gauge</td><td>{@code target}</td><td>threads</td>
 *     <td>callers waiting for a connection of a busy pool</td></tr>
 * <tr><td>{@code pgdock.datasource.connections.max}</td><td>gauge</td><td>{@code target}</td><td>connections</td>
 *     <td>the pool's maximum size ({@code FactoryOptions.maximumPoolSize})</td></tr>
 * <tr><td>{@code pgdock.datasource.pools}</td><td>gauge</td><td>none</td><td>pools</td><td>live pools (created and
 *     not yet evicted or rotated)</td></tr>
 * <tr><td>{@code pgdock.datasource.events}</td><td>counter</td><td>{@code type}: {@code created}, {@code failed},
 *     {@code recovered}, {@code rotated}, {@code evicted}, {@code closed}</td><td>events</td><td>lifecycle events, by
 *     {@link FactoryEvent.Type} in lower case; all six are registered up front, at zero</td></tr>
 * </table>
 *
 * <p>The {@code target} tag is {@link FactoryEvent#target()}: the name a target was asked for by, or
 * {@code user@host:port/database}, with {@code #2}, {@code #3}... appended when another live pool already has the label.
 * A target whose password rotates keeps its label, so its series go on; the gauges then read the new pool. There is one
 * value per live pool at most, so the tag's cardinality is bounded by {@code FactoryOptions.maximumPools}. The events counter has no {@code target} tag. Every meter also carries
 * the common tags given to {@link #of(MeterRegistry, Iterable)}.
 *
 * <p><b>Class path.</b> This class, alone in the module, needs {@code io.micrometer:micrometer-core} (an optional
 * dependency) on the class path; nothing else in the module loads Micrometer classes.
 *
 * <p><b>One factory per registry and tags.</b> Meters are identified by name and tags only, so two factories that
 * publish to one registry must be told apart by a common tag (for example {@code Tags.of("factory", "reporting")}),
 * each with an instance of its own; otherwise their pools' meters would collide. Do not register one instance with two
 * factories.
 *
 * <p><b>Thread safety.</b> Thread-safe: events may arrive on any thread, concurrently, while the registry samples the
 * gauges.
 */
// Micrometer is optional ("requires static"): a module that uses this class reads micrometer.core itself.
@SuppressWarnings("exports")
public final class MicrometerFactoryMetrics implements FactoryListener {
    /*
     * Pairing events with pools. A label is unique among live pools only: after a pool is retired (ROTATED or EVICTED)
     * a new pool may carry its label (a rotated target keeps it), while the old one drains and is CLOSED later. Each
     * event carries its pool's number, and the factory delivers events in order, so each label keeps the numbers and
     * stats of its live pools (Target.pools): CREATED adds, ROTATED or EVICTED removes that pool, and the gauges read the
     * newest. The label's meters go when its last live pool goes, so retiring an old pool never removes the meters of a
     * new pool with the same label. CLOSED follows its pool's ROTATED or EVICTED and is only counted.
     *
     * Concurrency: the map and every Target field but `current` are guarded by `lock`; gauges read the volatile
     * `current` and the AtomicInteger without it, so sampling never waits for an event.
     */

    private static final String CONNECTIONS = "pgdock.datasource.connections";
    private static final String PENDING = "pgdock.datasource.connections.pending";
    private static final String MAXIMUM = "pgdock.datasource.connections.max";
    private static final String POOLS = "pgdock.datasource.pools";
    private static final String EVENTS = "pgdock.datasource.events";
    private static final Set<String> OWN_TAG_KEYS = Set.of("target", "state", "type");

    private final MeterRegistry registry;
    private final Tags commonTags;
    private final Map<FactoryEvent.Type, Counter> events;
    private final AtomicInteger livePools = new AtomicInteger();
    private final Object lock = new Object();
    private final Map<String, Target> targets = new HashMap<>();   // guarded by lock

    /** One label's pools and meters. */
    private static final class Target {
        final String label;
        /** Stats of the label's live pools, by pool number. */
        final TreeMap<Long, Supplier<Health.PoolStats>> pools = new TreeMap<>();
        List<Meter> meters = List.of();
        /** The newest live pool's stats, read by the gauges; null once the label has no live pool. */
        volatile @Nullable Supplier<Health.PoolStats> current;

        Target(String label) {
            this.label = label;
        }

        double read(ToIntFunction<Health.PoolStats> count) {
            Supplier<Health.PoolStats> stats = current;
            return stats == null ? Double.NaN : count.applyAsInt(stats.get());
        }
    }

    private MicrometerFactoryMetrics(MeterRegistry registry, Tags commonTags) {
        this.registry = registry;
        this.commonTags = commonTags;
        Map<FactoryEvent.Type, Counter> counters = new EnumMap<>(FactoryEvent.Type.class);
        for (FactoryEvent.Type type : FactoryEvent.Type.values()) {
            counters.put(type, Counter.builder(EVENTS).tags(commonTags).tag("type", type.name().toLowerCase(Locale.ROOT))
                    .baseUnit("events").description("Lifecycle events of the data source factory's pools, by type")
                    .register(registry));
        }
        this.events = counters;
        Gauge.builder(POOLS, livePools, AtomicInteger::get).tags(commonTags).baseUnit("pools")
                .description("Live pools of the data source factory").strongReference(true).register(registry);
    }

    /**
     * Meters in {@code registry}, with no common tags.
     *
     * @param registry where to register the meters
     * @return a listener to pass to {@link io.pgdock.datasource.FactoryOptions.Builder#listener}
     * @throws NullPointerException if {@code registry} is null
     */
    public static MicrometerFactoryMetrics of(MeterRegistry registry) {
        return of(registry, Tags.empty());
    }

    /**
     * Meters in {@code registry}, each carrying {@code commonTags} as well as its own.
     *
     * @param registry where to register the meters
     * @param commonTags tags for every meter, for example to tell factories apart; none may have the key {@code target},
     *     {@code state} or {@code type}, which the meters set themselves
     * @return a listener to pass to {@link io.pgdock.datasource.FactoryOptions.Builder#listener}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a common tag has one of the meters' own keys
     */
    public static MicrometerFactoryMetrics of(MeterRegistry registry, Iterable<Tag> commonTags) {
        Objects.requireNonNull(registry, "registry");
        Tags tags = Tags.of(Objects.requireNonNull(commonTags, "commonTags"));
        for (Tag tag : tags) {
            if (OWN_TAG_KEYS.contains(tag.getKey())) {
                throw new IllegalArgumentException("common tag " + tag.getKey() + "=" + tag.getValue() + " has a key "
                        + "the meters set themselves (" + String.join(", ", OWN_TAG_KEYS.stream().sorted().toList())
                        + "); choose another key");
            }
        }
        return new MicrometerFactoryMetrics(registry, tags);
    }

    /**
     * Counts the event and, for a pool created, retired by rotation or evicted, adds or removes its target's meters.
     *
     * @param event what happened
     */
    @Override
    public void onEvent(FactoryEvent event) {
        Objects.requireNonNull(events.get(event.type()), "a counter for every type").increment();
        switch (event.type()) {
            case CREATED -> created(event.target(), event.pool(), event.stats());
            case ROTATED, EVICTED -> retired(event.target(), event.pool());
            default -> {
                // FAILED and RECOVERED change no pool; CLOSED comes after ROTATED or EVICTED, which removed the pool.
            }
        }
    }

    private void created(String label, long pool, Supplier<Health.PoolStats> stats) {
        synchronized (lock) {
            Target t = targets.computeIfAbsent(label, Target::new);
            if (t.pools.put(pool, stats) == null) {
                livePools.incrementAndGet();
            }
            t.current = t.pools.lastEntry().getValue();
            if (t.meters.isEmpty()) {
                t.meters = register(t);
            }
        }
    }

    private void retired(String label, long pool) {
        synchronized (lock) {
            Target t = targets.get(label);
            if (t == null || t.pools.remove(pool) == null) {
                return;
            }
            livePools.decrementAndGet();
            if (t.pools.isEmpty()) {
                t.current = null;
                t.meters.forEach(registry::remove);
                t.meters = List.of();
                targets.remove(label);
            } else {
                t.current = t.pools.lastEntry().getValue();
            }
        }
    }

    private List<Meter> register(Target t) {
        Tags tags = commonTags.and("target", t.label);
        return List.of(
                gauge(CONNECTIONS, tags.and("state", "active"), t, Health.PoolStats::active, "connections",
                        "Connections lent out"),
                gauge(CONNECTIONS, tags.and("state", "idle"), t, Health.PoolStats::idle, "connections",
                        "Connections open and not lent"),
                gauge(PENDING, tags, t, Health.PoolStats::waiting, "threads",
                        "Callers waiting for a connection of a busy pool"),
                gauge(MAXIMUM, tags, t, Health.PoolStats::maximum, "connections", "Maximum size of the pool"));
    }

    private Gauge gauge(String name, Tags tags, Target t, ToIntFunction<Health.PoolStats> count, String unit,
            String description) {
        // Strong: the gauge must read the pool while it lives; it is removed from the registry when the pool retires.
        return Gauge.builder(name, t, target -> target.read(count)).tags(tags).baseUnit(unit).description(description)
                .strongReference(true).register(registry);
    }

    /** The registry and the common tags, for logs. */
    @Override
    public String toString() {
        return "MicrometerFactoryMetrics[" + registry.getClass().getSimpleName() + ", " + commonTags + "]";
    }
}
