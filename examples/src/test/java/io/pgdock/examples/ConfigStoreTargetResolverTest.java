package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.config.Secret;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.UnknownTargetException;
import io.pgdock.testing.PgdockExtension;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Targets named in the configuration store, reached through the pooled factory; the store here is the in-memory fake. */
class ConfigStoreTargetResolverTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static String url(ConnectionSpec spec) {
        return spec.toBuilder().password(null).build().toString();
    }

    private static ConfigStore storeWithKey() {
        return ConfigStore.inMemory(ConfigOptions.builder()
                .keys(KeyProvider.of("k1", Map.of("k1", new SecretKeySpec(new byte[32], "AES")))).build());
    }

    @Test
    void aTargetNamedInTheStoreIsReachedAndAPasswordChangeMakesANewPool() {
        ConfigStore configs = storeWithKey();
        ConnectionSpec spec = PG.spec();
        configs.put("targets.warehouse", Map.of("url", url(spec), "password", Secret.of(spec.password().orElseThrow())));
        try (DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                .resolver(new ConfigStoreTargetResolver(configs, "targets.")).build())) {
            String db = sources.jdbi("warehouse").withHandle(h -> h.select("SELECT current_database()")
                    .mapTo(String.class).one());
            assertThat(db).isEqualTo(PG.databaseName());
            assertThatThrownBy(() -> sources.get("billing"))
                    .isInstanceOfSatisfying(UnknownTargetException.class,
                            e -> assertThat(e.name()).isEqualTo("billing"))
                    .hasMessageContaining("no target is named 'billing'");

            PG.jdbi().useHandle(h -> h.execute("ALTER ROLE \"" + spec.user() + "\" PASSWORD 'rotated-in-config'"));
            try {
                configs.put("targets.warehouse", Map.of("url", url(spec), "password", Secret.of("rotated-in-config")));
                sources.jdbi("warehouse").useHandle(h -> h.execute("SELECT 1"));
                assertThat(sources.targets()).singleElement().satisfies(t ->
                        assertThat(t.spec().password()).contains("rotated-in-config"));
            } finally {
                PG.jdbi().useHandle(h -> h.execute("ALTER ROLE \"" + spec.user() + "\" PASSWORD '"
                        + spec.password().orElseThrow() + "'"));
            }
        }
    }

    @Test
    void aTargetGivenByItsFieldsWithASecretPasswordIsStoredEncrypted() {
        ConfigStore configs = storeWithKey();
        ConnectionSpec spec = PG.spec().toBuilder().schema("public").build();
        ConfigStoreTargetResolver.Target target = ConfigStoreTargetResolver.Target.of(spec,
                Secret.of(spec.password().orElseThrow()));
        configs.put("targets.eu", target);

        assertThat(target.toString()).doesNotContain(spec.password().orElseThrow()).endsWith("password=***]");
        assertThat(configs.history("targets.eu").get(0).newValue().get("password").has("$pgdock_secret")).isTrue();
        ConnectionSpec expected = ConnectionSpec.builder().host(spec.host()).port(spec.port())
                .database(spec.database()).user(spec.user()).schema("public").password(spec.password().orElseThrow())
                .build();
        assertThat(new ConfigStoreTargetResolver(configs, "targets.").resolve("eu")).contains(expected);
        assertThat(new ConfigStoreTargetResolver(configs, "targets.").resolve("us")).isEmpty();
    }

    @Test
    void anEntryThatIsNotATargetIsRefusedNamingTheKeyAndTheMember() {
        ConfigStore configs = storeWithKey();
        ConfigStoreTargetResolver resolver = new ConfigStoreTargetResolver(configs, "targets.");

        configs.put("targets.a", Map.of("url", "postgresql://u@h/db", "host", "h"));
        assertThatThrownBy(() -> resolver.resolve("a")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("config key \"targets.a\": give either url or host, port, database, user, schema and "
                        + "sslmode, not both");
        configs.put("targets.b", Map.of("host", "h", "database", "db", "password", Secret.of("pw-b")));
        assertThatThrownBy(() -> resolver.resolve("b"))
                .hasMessage("config key \"targets.b\": needs url, or host, database and user; but host was h, "
                        + "database db, user null");
        configs.put("targets.c", Map.of("host", "h", "database", "db", "user", "u", "port", 0,
                "password", Secret.of("pw-c")));
        assertThatThrownBy(() -> resolver.resolve("c")).hasMessageStartingWith("config key \"targets.c\": port")
                .hasMessageContaining("0").hasMessageNotContaining("pw-c");
        configs.put("targets.d", Map.of("host", "h", "database", "db", "user", "u", "sslmode", "sometimes"));
        assertThatThrownBy(() -> resolver.resolve("d")).hasMessage("config key \"targets.d\": sslmode: expected one "
                + "of disable, allow, prefer, require, verify-ca, verify-full, but was \"sometimes\"");
    }
}
