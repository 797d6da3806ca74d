package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.config.ConfigSecretException;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.core.Storage;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import io.pgdock.testing.Wait;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ConfigStoreAutoConfigurationTest {
    static final byte[] KEY = new byte[32];
    static final String KEYS = "k1:" + Base64.getEncoder().encodeToString(KEY);
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

    @Test
    void theConfigStoreLivesInTheStorageAndReadsSecretsWithPgdockConfigKeys() {
        Contexts.application().withPropertyValues(Contexts.pgdock(database, "app", "pgdock.config.keys=" + KEYS))
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(ConfigStore.class);
                    ConfigStore configs = context.getBean(ConfigStore.class);
                    configs.put("ingest.batch_size", 500);
                    configs.putSecret("ingest.token", "s3cret-token");
                    assertThat(configs.get("ingest.batch_size", Integer.class)).contains(500);
                    assertThat(configs.get("ingest.token", String.class)).contains("s3cret-token");
                    Storage storage = context.getBean(Storage.class);
                    long rows = storage.jdbi().withHandle(h -> h.createQuery(
                            "select count(*) from config_entry where key like 'ingest.%'").mapTo(Long.class).one());
                    assertThat(rows).as("rows in the storage schema's config table").isEqualTo(2);
                    assertThat(configs.policy().cacheStats()).as("no cache unless pgdock.config.cache").isEmpty();
                    assertThat(context.getBean(PgdockProperties.class).toString()).doesNotContain(KEYS)
                            .doesNotContain(database.spec().password().orElseThrow()).contains("keys=***");
                });
    }

    @Test
    void readsTheKeysFromTheLibrarysVariableAndAKeyProviderBeanWins() {
        Map<String, Object> env = Map.of("PGDOCK_CONFIG_KEYS", KEYS);
        Contexts.application(env).withPropertyValues(Contexts.pgdock(database, "app")).run(context -> {
            context.getBean(ConfigStore.class).putSecret("env.secret", "from-env-keys");
            assertThat(context.getBean(ConfigStore.class).get("env.secret", String.class)).contains("from-env-keys");
        });
        KeyProvider other = KeyProvider.of("k9", Map.of("k9", new SecretKeySpec(new byte[] {
            1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8}, "AES")));
        Contexts.application(env).withPropertyValues(Contexts.pgdock(database, "app"))
                .withBean(KeyProvider.class, () -> other)
                .run(context -> assertThatThrownBy(() -> context.getBean(ConfigStore.class).get("env.secret"))
                        .as("the bean's keys, not PGDOCK_CONFIG_KEYS").isInstanceOf(ConfigSecretException.class)
                        .hasMessageContaining("env.secret").hasMessageContaining("k1"));
    }

    @Test
    void aCacheListensFromStartup() {
        Contexts.application().withPropertyValues(Contexts.pgdock(database, "app", "pgdock.config.cache=100"))
                .run(context -> {
                    ConfigStore configs = context.getBean(ConfigStore.class);
                    assertThat(configs.policy().cacheStats()).hasValueSatisfying(
                            s -> assertThat(s.readingThrough()).as("reading through").isFalse());
                    configs.put("cached.key", 1);
                    // The put's own notification may invalidate the first fill: read until a read is a hit.
                    Wait.until(Duration.ofSeconds(30), () -> {
                        configs.get("cached.key");
                        return configs.policy().cacheStats().orElseThrow().hits() >= 1;
                    }, "a read of cached.key answered from the cache");
                });
    }

    @Test
    void offWithoutStorageOrWhenDisabled() {
        Contexts.application().withPropertyValues("pgdock.storage.enabled=false").run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(Storage.class).doesNotHaveBean(ConfigStore.class);
        });
        Contexts.application().withPropertyValues(Contexts.pgdock(database, "app", "pgdock.config.enabled=false"))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(Storage.class)
                        .doesNotHaveBean(ConfigStore.class));
    }

    @Test
    void aBadKeyIsRefusedNamingThePropertyWithoutShowingTheKey() {
        String bad = "k1:" + Base64.getEncoder().encodeToString(new byte[7]);
        Contexts.application().withPropertyValues(Contexts.pgdock(database, "app", "pgdock.config.keys=" + bad))
                .run(context -> {
                    assertThat(context).hasFailed();
                    Analysis a = Analysis.of(context.getStartupFailure());
                    assertThat(a.description()).contains("pgdock.config.keys").doesNotContain(bad.substring(3));
                });
    }
}
