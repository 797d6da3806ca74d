package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.registry.ConnectionRegistry;
import io.pgdock.datasource.registry.StoredConnection;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs the README's connection-registry example against two databases of the test server: the stored connection
 * answers, until the environment names another database, which then wins.
 */
class ConnectionRegistryExampleTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    static TestDatabase other;

    @BeforeAll
    static void createOrders() {
        PG.jdbi().useHandle(h -> {
            h.execute("create table orders (id int primary key)");
            h.execute("insert into orders select generate_series(1, 42)");
        });
        other = TestPostgres.get().createDatabase();
        other.jdbi().useHandle(h -> {
            h.execute("create table orders (id int primary key)");
            h.execute("insert into orders select generate_series(1, 7)");
        });
    }

    @AfterAll
    static void dropOther() {
        other.close();
    }

    private static ConfigStore store() {
        return ConfigStore.inMemory(ConfigOptions.builder()
                .keys(KeyProvider.of("k1", Map.of("k1", new SecretKeySpec(new byte[32], "AES")))).build());
    }

    @Test
    void theStoredConnectionAnswersAndItsPasswordIsASecret() {
        ConfigStore configs = store();

        assertThat(ConnectionRegistryExample.run(configs, PG.spec(), Map.of())).isEqualTo(42);

        StoredConnection stored = ConnectionRegistry.of(configs).get("warehouse").orElseThrow();
        assertThat(stored.password()).isEqualTo(StoredConnection.Password.SECRET);
        assertThat(stored.updatedBy()).isEqualTo("ops");
        assertThat(configs.history("pgdock.connections.warehouse").get(0).newValue().get("password")
                .has("$pgdock_secret")).isTrue();
    }

    @Test
    void theEnvironmentWinsOverTheStoredConnection() {
        ConnectionSpec elsewhere = other.spec();
        Map<String, String> env = Map.of(
                "PGDOCK_TARGET_WAREHOUSE_URL", elsewhere.toBuilder().password(null).build().toString(),
                "PGDOCK_TARGET_WAREHOUSE_PASSWORD", elsewhere.password().orElseThrow());

        assertThat(ConnectionRegistryExample.run(store(), PG.spec(), env)).isEqualTo(7);
    }
}
