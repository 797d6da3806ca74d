package io.pgdock.datasource.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import org.junit.jupiter.api.Test;

/** Runs the README's Micrometer example; {@code ReadmeTest} in the examples module keeps the README's copy identical. */
class MicrometerReadmeTest {

    @Test
    void theExamplePublishesTheFactorysPools() {
        try (TestDatabase db = TestPostgres.get().createDatabase()) {
            // micrometer-example: begin
            MeterRegistry registry = new SimpleMeterRegistry();   // your application's registry
            DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                    .listener(MicrometerFactoryMetrics.of(registry, Tags.of("factory", "orders")))
                    .build());
            // micrometer-example: end
            try (sources) {
                int one = sources.jdbi(db.spec()).withHandle(h -> h.select("SELECT 1").mapTo(Integer.class).one());

                assertThat(one).isEqualTo(1);
                assertThat(registry.get("pgdock.datasource.connections").tags("factory", "orders", "state", "idle")
                        .gauge().value()).isEqualTo(1);
                assertThat(registry.get("pgdock.datasource.pools").tag("factory", "orders").gauge().value())
                        .isEqualTo(1);
            }
        }
    }
}
