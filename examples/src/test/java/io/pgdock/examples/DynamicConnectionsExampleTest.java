package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FixedDataSourceFactory;
import io.pgdock.datasource.FixedDataSourceFactory.Request;
import io.pgdock.datasource.UnknownTargetException;
import io.pgdock.testing.PgdockExtension;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs the dynamic-connections example against the test server, and shows how a pipeline test hands the same step the
 * fixed fake instead of a pooled factory.
 */
class DynamicConnectionsExampleTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    @BeforeAll
    static void createOrders() {
        PG.jdbi().useHandle(h -> {
            h.execute("create table orders (id int primary key)");
            h.execute("insert into orders select generate_series(1, 42)");
        });
    }

    @Test
    void theExampleReadsItsTargetFromTheEnvironment() {
        ConnectionSpec spec = PG.spec();
        Map<String, String> env = Map.of(
                "PGDOCK_TARGET_WAREHOUSE_URL", spec.toBuilder().password(null).build().toString(),
                "PGDOCK_TARGET_WAREHOUSE_PASSWORD", spec.password().orElseThrow());
        assertThat(DynamicConnectionsExample.run(env)).isEqualTo(42);
    }

    @Test
    void aPipelineTestHandsTheStepTheFixedFake() {
        FixedDataSourceFactory sources = DataSourceFactory.fixed(Map.of("warehouse", PG.dataSource()));

        assertThat(DynamicConnectionsExample.countRows(sources, "warehouse", "orders")).isEqualTo(42);

        assertThat(sources.requests()).containsExactly(Request.byName("warehouse"));
        assertThatThrownBy(() -> DynamicConnectionsExample.countRows(sources, "billing", "orders"))
                .isInstanceOf(UnknownTargetException.class).hasMessageContaining("no target is named 'billing'");
    }
}
