package io.pgdock.spring;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgdock.config.ConfigCacheStats;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import java.sql.SQLException;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * pgdock's Micrometer meters, as {@link MeterBinder} beans that Spring Boot binds to its registries, when Micrometer is
 * on the class path.
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>bean</th><th>meters</th></tr>
 * <tr><td>{@code pgdockStorageMetrics}</td><td>HikariCP's own {@code hikaricp.connections.*} meters, tag
 *     {@code pool=pgdock-storage} ({@code pgdock.storage.pool-name}), for the storage's own pool; storage over the
 *     application's DataSource adds none (Spring Boot meters that pool)</td></tr>
 * <tr><td>{@code pgdockConfigStoreMetrics}</td><td>the read cache ({@code pgdock.config.cache.gets} with
 *     {@code result=hit|miss}, {@code .size}, {@code .evictions}, {@code .invalidations}, {@code .reads.through},
 *     {@code .listening}) and the watches of {@link ConfigWatchMonitor} ({@code pgdock.config.watch.changes},
 *     {@code .gaps}, {@code .open}, {@code .listening})</td></tr>
 * <tr><td>{@code pgdockDataSourceFactoryMetrics}</td><td>the factory's pools and events
 *     ({@code pgdock.datasource.*}, see {@link io.pgdock.datasource.micrometer.MicrometerFactoryMetrics})</td></tr>
 * </table>
 */
@AutoConfiguration(after = {PgdockAutoConfiguration.class, PgdockConfigStoreAutoConfiguration.class})
@ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
public class PgdockMetricsAutoConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(PgdockMetricsAutoConfiguration.class);

    /** Creates the configuration; called by Spring. */
    public PgdockMetricsAutoConfiguration() {
    }

    /**
     * HikariCP's meters for the storage's own pool.
     *
     * @param storage the storage
     * @return the binder
     */
    @Bean
    @ConditionalOnBean(Storage.class)
    @ConditionalOnMissingBean(name = "pgdockStorageMetrics")
    public MeterBinder pgdockStorageMetrics(Storage storage) {
        return registry -> {
            HikariDataSource pool = hikari(storage);
            if (pool == null || pool.getMetricRegistry() != null || pool.getMetricsTrackerFactory() != null) {
                return;   // not HikariCP, or metered already (Spring Boot meters an application's DataSource)
            }
            try {
                pool.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
            } catch (RuntimeException e) {
                LOG.warn("pgdock storage pool {}: cannot publish its metrics: {}", pool.getPoolName(), e.toString());
            }
        };
    }

    /**
     * The config store's read cache and monitored watches.
     *
     * @param configs the store
     * @param monitor the monitored watches, if any
     * @return the binder
     */
    @Bean
    @ConditionalOnBean(ConfigStore.class)
    @ConditionalOnMissingBean(name = "pgdockConfigStoreMetrics")
    public MeterBinder pgdockConfigStoreMetrics(ConfigStore configs, ObjectProvider<ConfigWatchMonitor> monitor) {
        return registry -> {
            if (configs.policy().cacheStats().isPresent()) {
                cacheMeters(configs, registry);
            }
            ConfigWatchMonitor m = monitor.getIfUnique();
            if (m != null) {
                FunctionCounter.builder("pgdock.config.watch.changes", m, ConfigWatchMonitor::changes)
                        .description("Changes delivered to the monitored watches").baseUnit("changes")
                        .register(registry);
                FunctionCounter.builder("pgdock.config.watch.gaps", m, ConfigWatchMonitor::gaps)
                        .description("Times the monitored watches lost their notifications").baseUnit("gaps")
                        .register(registry);
                Gauge.builder("pgdock.config.watch.open", m, ConfigWatchMonitor::openWatches)
                        .description("Monitored watches open").baseUnit("watches").register(registry);
                Gauge.builder("pgdock.config.watch.listening", m, w -> w.listening() ? 1 : 0)
                        .description("1 while no monitored watch is in a gap, else 0").register(registry);
            }
        };
    }

    /**
     * The factory's meters; also a listener of the factory, which the factory bean picks up.
     *
     * @return the binder
     */
    @Bean
    @ConditionalOnMissingBean(name = "pgdockDataSourceFactoryMetrics")
    FactoryMeterBinder pgdockDataSourceFactoryMetrics() {
        return new FactoryMeterBinder();
    }

    private static void cacheMeters(ConfigStore configs, MeterRegistry registry) {
        counter(registry, "pgdock.config.cache.gets", configs, ConfigCacheStats::hits, "result", "hit",
                "Reads answered from the config store's cache");
        counter(registry, "pgdock.config.cache.gets", configs, ConfigCacheStats::misses, "result", "miss",
                "Reads that went to the database");
        counter(registry, "pgdock.config.cache.evictions", configs, ConfigCacheStats::evictions, null, null,
                "Cache entries dropped to stay within the bound");
        counter(registry, "pgdock.config.cache.invalidations", configs, ConfigCacheStats::invalidations, null, null,
                "Cache entries dropped because a change was notified");
        counter(registry, "pgdock.config.cache.reads.through", configs, ConfigCacheStats::readsThrough, null, null,
                "Reads that went to the database because the listening connection was down");
        Gauge.builder("pgdock.config.cache.size", configs, c -> stat(c, ConfigCacheStats::size))
                .description("Keys held by the config store's cache").baseUnit("keys").register(registry);
        Gauge.builder("pgdock.config.cache.listening", configs, c -> stat(c, s -> s.readingThrough() ? 0 : 1))
                .description("1 while the cache's listening connection is live and it serves from memory, else 0")
                .register(registry);
    }

    private static void counter(MeterRegistry registry, String name, ConfigStore configs,
            ToDoubleFunction<ConfigCacheStats> count, @Nullable String tag, @Nullable String value,
            String description) {
        FunctionCounter.Builder<ConfigStore> b = FunctionCounter.builder(name, configs, c -> stat(c, count))
                .description(description);
        if (tag != null && value != null) {
            b.tag(tag, value);
        }
        b.register(registry);
    }

    private static double stat(ConfigStore configs, ToDoubleFunction<ConfigCacheStats> stat) {
        return configs.policy().cacheStats().map(stat::applyAsDouble).orElse(Double.NaN);
    }

    private static @Nullable HikariDataSource hikari(Storage storage) {
        try {
            return storage.dataSource().isWrapperFor(HikariDataSource.class)
                    ? storage.dataSource().unwrap(HikariDataSource.class) : null;
        } catch (SQLException e) {
            return null;
        }
    }
}
