package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.UnknownTargetException;
import io.pgdock.testing.PgdockExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Targets named in the configuration store, reached through the pooled factory; the store here is the in-memory fake. */
class ConfigStoreTargetResolverTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static String url(ConnectionSpec spec) {
        return spec.toBuilder().password(null).build().toString();
    }

    @Test
    void aTargetNamedInTheStoreIsReachedAndAPasswordChangeMakesANewPool() {
        ConfigStore configs = ConfigStore.inMemory();
        ConnectionSpec spec = PG.spec();
        configs.put("targets.warehouse", Map.of("url", url(spec), "password", spec.password().orElseThrow()));
        try (DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                .resolver(new ConfigStoreTargetResolver(configs, "targets.")).build())) {
            String db = sources.jdbi("warehouse").withHandle(h -> h.select("SELECT current_database()")
                    .mapTo(String.class).one());
            assertThat(db).isEqualTo(PG.databaseName());
            assertThatThrownBy(() -> sources.get("billing")).isInstanceOf(UnknownTargetException.class);

            PG.jdbi().useHandle(h -> h.execute("ALTER ROLE \"" + spec.user() + "\" PASSWORD 'rotated-in-config'"));
            try {
                configs.put("targets.warehouse", Map.of("url", url(spec), "password", "rotated-in-config"));
                sources.jdbi("warehouse").useHandle(h -> h.execute("SELECT 1"));
                assertThat(sources.targets()).singleElement().satisfies(t ->
                        assertThat(t.spec().password()).contains("rotated-in-config"));
            } finally {
                PG.jdbi().useHandle(h -> h.execute("ALTER ROLE \"" + spec.user() + "\" PASSWORD '"
                        + spec.password().orElseThrow() + "'"));
            }
        }
    }
}
