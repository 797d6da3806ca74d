package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.core.Storage;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class StorageAutoConfigurationTest {
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
    void runsOnTheSpringBootLineItsModuleNames() {
        assertThat(SpringBootVersion.getVersion()).isEqualTo(System.getProperty("pgdock.test.springBootVersion"));
    }

    @Test
    void opensStorageFromPgdockProperties() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(PgdockAutoConfiguration.class))
                .withPropertyValues("pgdock.url=" + database.spec().jdbcUrl(), "pgdock.user=" + database.spec().user(), "pgdock.schema=app")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(Storage.class);
                    assertThat(context.getBean(Storage.class).health().isUp()).isTrue();
                });
    }
}
