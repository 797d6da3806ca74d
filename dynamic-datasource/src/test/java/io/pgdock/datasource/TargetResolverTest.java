package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.InvalidConnectionSpecException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetResolverTest {
    private static final ConnectionSpec WAREHOUSE = ConnectionSpec.parse("postgresql://reader@wh:5432/sales");

    @Test
    void environmentReadsTheTargetsUrl() {
        TargetResolver r = TargetResolver.environment(Map.of(
                "PGDOCK_TARGET_WAREHOUSE_URL", "postgresql://reader@wh:5432/sales?currentSchema=mart",
                "PGDOCK_TARGET_WAREHOUSE_PASSWORD", "s3cret"));
        ConnectionSpec spec = r.resolve("warehouse").orElseThrow();
        assertThat(spec.host()).isEqualTo("wh");
        assertThat(spec.schema()).contains("mart");
        assertThat(spec.password()).contains("s3cret");
    }

    @Test
    void environmentReadsFieldsAndMapsDashesAndDots() {
        Map<String, String> env = new HashMap<>();
        env.put("PGDOCK_TARGET_EU_WEST_1_HOST", "db.eu");
        env.put("PGDOCK_TARGET_EU_WEST_1_DATABASE", "orders");
        env.put("PGDOCK_TARGET_EU_WEST_1_USER", "etl");
        TargetResolver r = TargetResolver.environment(env);
        assertThat(r.resolve("eu-west.1")).get().satisfies(s -> {
            assertThat(s.host()).isEqualTo("db.eu");
            assertThat(s.database()).isEqualTo("orders");
        });
        assertThat(TargetResolver.environmentPrefix("eu-west.1")).isEqualTo("PGDOCK_TARGET_EU_WEST_1_");
    }

    @Test
    void aNameWithNoVariablesIsUnknownAndAHalfConfiguredOneIsAnErrorNamingTheVariable() {
        TargetResolver r = TargetResolver.environment(Map.of("PGDOCK_TARGET_BILLING_HOST", "db"));
        assertThat(r.resolve("warehouse")).isEmpty();
        assertThatThrownBy(() -> r.resolve("billing"))
                .isInstanceOf(InvalidConnectionSpecException.class)
                .hasMessageContaining("PGDOCK_TARGET_BILLING_DATABASE");
    }

    @Test
    void aBadUrlIsAnErrorThatNeverShowsThePassword() {
        TargetResolver r = TargetResolver.environment(Map.of("PGDOCK_TARGET_X_URL",
                "postgresql://u:Very-Secret-9@db:notaport/d"));
        assertThatThrownBy(() -> r.resolve("x"))
                .isInstanceOf(InvalidConnectionSpecException.class)
                .hasMessageContaining("PGDOCK_TARGET_X_URL")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Very-Secret-9"));
    }

    @Test
    void ofCopiesTheMapAndChecksNames() {
        Map<String, ConnectionSpec> map = new HashMap<>(Map.of("warehouse", WAREHOUSE));
        TargetResolver r = TargetResolver.of(map);
        map.clear();
        assertThat(r.resolve("warehouse")).contains(WAREHOUSE);
        assertThat(r.resolve("other")).isEmpty();
        assertThatThrownBy(() -> TargetResolver.of(Map.of("no spaces", WAREHOUSE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no spaces");
    }

    @Test
    void orElseAsksTheSecondForWhatTheFirstDoesNotKnow() {
        ConnectionSpec other = WAREHOUSE.toBuilder().database("other").build();
        TargetResolver r = TargetResolver.of(Map.of("a", WAREHOUSE)).orElse(TargetResolver.of(Map.of("a", other,
                "b", other)));
        assertThat(r.resolve("a")).contains(WAREHOUSE);
        assertThat(r.resolve("b")).contains(other);
        assertThat(r.resolve("c")).isEmpty();
        assertThat(TargetResolver.none().resolve("a")).isEmpty();
    }

    @Test
    void namesAreCheckedWithTheBadValueShown() {
        assertThat(TargetResolver.checkName("sales_2024.eu-1")).isEqualTo("sales_2024.eu-1");
        for (String bad : new String[] {"", "-lead", "a b", "a'b", "a;b", "\u00e9t\u00e9", "x".repeat(101), "a\u0000"}) {
            assertThatThrownBy(() -> TargetResolver.checkName(bad)).as("name %s", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target name");
        }
        assertThatThrownBy(() -> TargetResolver.checkName(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("name");
    }
}
