package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgdock.config.ConfigStore;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import io.pgdock.testing.Wait;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The meters, bound by Spring Boot to the application's SimpleMeterRegistry. */
class MetricsTest {
    static TestDatabase database;

    @BeforeAll
    static void createDatabase() {
        database = TestPostgres.get().createDatabase();
        database.jdbi().useHandle(h -> h.execute("create schema app"));
    }

    @AfterAll
    static void dropDatabase() {
        database.close();
    }

    static Gauge gauge(MeterRegistry registry, String name, String... tags) {
        Gauge g = registry.find(name).tags(tags).gauge();
        assertThat(g).as("gauge %s %s among %s", name, String.join(",", tags),
                registry.getMeters().stream().map(m -> m.getId().getName()).filter(n -> n.contains("pgdock")
                        || n.contains("hikari")).distinct().sorted().toList()).isNotNull();
        return g;
    }

    static FunctionCounter counter(MeterRegistry registry, String name, String... tags) {
        FunctionCounter c = registry.find(name).tags(tags).functionCounter();
        assertThat(c).as("counter %s %s", name, String.join(",", tags)).isNotNull();
        return c;
    }

    @Test
    void storagePoolConfigCacheAndFactoryMetersAreInTheApplicationsRegistry() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Contexts.application()
                .withBean(SimpleMeterRegistry.class, () -> registry)
                .withPropertyValues(Contexts.pgdock(database, "app", "pgdock.config.cache=10",
                        "pgdock.target.self.url=" + database.spec().jdbcUrl(),
                        "pgdock.target.self.user=" + database.spec().user(),
                        "pgdock.target.self.password=" + database.spec().password().orElse("")))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(MeterRegistry.class)).isSameAs(registry);
                    ConfigStore configs = context.getBean(ConfigStore.class);
                    configs.put("metered.key", 1);
                    Wait.until(Duration.ofSeconds(30), () -> {
                        configs.get("metered.key");
                        return configs.policy().cacheStats().orElseThrow().hits() >= 1;
                    }, "a read of metered.key answered from the cache");
                    DataSourceFactory factory = context.getBean(DataSourceFactory.class);
                    factory.jdbi("self").useHandle(h -> h.execute("select 1"));

                    assertThat(gauge(registry, "hikaricp.connections.max", "pool", "pgdock-storage").value())
                            .isEqualTo(10);
                    assertThat(counter(registry, "pgdock.config.cache.gets", "result", "hit").count())
                            .isGreaterThanOrEqualTo(1);
                    assertThat(counter(registry, "pgdock.config.cache.gets", "result", "miss").count())
                            .isGreaterThanOrEqualTo(1);
                    assertThat(gauge(registry, "pgdock.config.cache.listening").value()).isEqualTo(1);
                    assertThat(gauge(registry, "pgdock.config.watch.open").value()).isZero();
                    assertThat(gauge(registry, "pgdock.datasource.pools").value()).isEqualTo(1);
                    assertThat(gauge(registry, "pgdock.datasource.connections.max", "target", "self").value())
                            .isEqualTo(5);
                    assertThat(registry.find("pgdock.datasource.events").tag("type", "created").counter())
                            .isNotNull().satisfies(c -> assertThat(c.count()).isEqualTo(1));
                });
    }

    @Test
    void theWatchMonitorCountsChanges() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Contexts.application().withBean(SimpleMeterRegistry.class, () -> registry)
                .withPropertyValues(Contexts.pgdock(database, "app"))
                .run(context -> {
                    ConfigStore configs = context.getBean(ConfigStore.class);
                    ConfigWatchMonitor monitor = context.getBean(ConfigWatchMonitor.class);
                    java.util.concurrent.LinkedBlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
                    try (var watch = monitor.watch(configs, "watched.", e -> seen.add(e.key()))) {
                        assertThat(gauge(registry, "pgdock.config.watch.open").value()).isEqualTo(1);
                        configs.put("watched.a", 1);
                        assertThat(seen.poll(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("watched.a");
                        assertThat(counter(registry, "pgdock.config.watch.changes").count()).isEqualTo(1);
                        assertThat(gauge(registry, "pgdock.config.watch.listening").value()).isEqualTo(1);
                        assertThat(watch.isOpen()).isTrue();
                    }
                    assertThat(gauge(registry, "pgdock.config.watch.open").value()).isZero();
                });
    }
}
