package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.datasource.FixedDataSourceFactory.Request;
import io.pgdock.testing.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract, run against the fixed fake, and what only the fake does: record requests. */
class FixedFactoryContractTest extends DataSourceFactoryContract {
    @Override
    protected DataSourceFactory newFactory(Map<String, TestDatabase> targets) {
        FixedDataSourceFactory.Builder b = FixedDataSourceFactory.builder();
        targets.forEach((name, db) -> b.add(name, db.dataSource()).add(db.spec(), db.dataSource()));
        return b.build();
    }

    @Test
    void recordsEveryRequestInOrderIncludingRefusedOnes() {
        FixedDataSourceFactory fake = (FixedDataSourceFactory) factory();
        fake.get("alpha");
        fake.jdbi("beta");
        fake.get(targets().get("beta").spec());
        assertThatThrownBy(() -> fake.get("gamma"))
                .isInstanceOfSatisfying(UnknownTargetException.class, e -> assertThat(e.name()).isEqualTo("gamma"))
                .hasMessageContaining("no target is named 'gamma'");
        assertThat(fake.requests()).containsExactly(Request.byName("alpha"), Request.byName("beta"),
                Request.bySpec(targets().get("beta").spec()), Request.byName("gamma"));
        fake.clearRequests();
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void returnsTheDataSourcesItWasGivenAndNeverClosesThem() throws Exception {
        TestDatabase alpha = targets().get("alpha");
        FixedDataSourceFactory fake = DataSourceFactory.fixed(Map.of("alpha", alpha.dataSource()));
        assertThat(fake.get("alpha")).isSameAs(alpha.dataSource());
        fake.close();
        try (var c = alpha.dataSource().getConnection()) {
            assertThat(c.isValid(5)).isTrue();
        }
    }

    @Test
    void anUnknownSpecIsAnError() {
        var other = targets().get("alpha").spec().toBuilder().database("nowhere").build();
        assertThatThrownBy(() -> factory().get(other)).isInstanceOf(UnknownTargetException.class)
                .hasMessageContaining("nowhere");
    }

    @Test
    void aRequestHasANameOrASpecExactlyOne() {
        assertThatThrownBy(() -> new Request(null, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a request has a name or a spec, exactly one");
        assertThatThrownBy(() -> new Request("a", targets().get("alpha").spec()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a request has a name or a spec, exactly one");
    }
}
