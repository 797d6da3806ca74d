package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.TargetResolver;
import io.pgdock.datasource.UnknownTargetException;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DataSourceFactoryAutoConfigurationTest {
    static TestDatabase main;
    static TestDatabase warehouse;

    @BeforeAll
    static void createDatabases() {
        main = TestPostgres.get().createDatabase();
        main.jdbi().useHandle(h -> h.execute("create schema app"));
        warehouse = TestPostgres.get().createDatabase();
    }

    @AfterAll
    static void dropDatabases() {
        main.close();
        warehouse.close();
    }

    static String[] target(String name) {
        ConnectionSpec spec = warehouse.spec();
        return new String[] {"pgdock.target." + name + ".url=" + spec.jdbcUrl(),
            "pgdock.target." + name + ".user=" + spec.user(),
            "pgdock.target." + name + ".password=" + spec.password().orElse("")};
    }

    static String currentDatabase(DataSourceFactory factory, String name) {
        return factory.jdbi(name).withHandle(h -> h.createQuery("select current_database()").mapTo(String.class).one());
    }

    @Test
    void resolvesTheTargetsOfPgdockTargetPropertiesWithTheFactoryOptions() {
        Contexts.application().withPropertyValues(Contexts.pgdock(main, "app", target("warehouse")))
                .withPropertyValues("pgdock.factory.maximum-pool-size=2")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(DataSourceFactory.class);
                    DataSourceFactory factory = context.getBean(DataSourceFactory.class);
                    assertThat(currentDatabase(factory, "warehouse")).isEqualTo(warehouse.name());
                    assertThat(factory.health("warehouse").pool().maximum()).isEqualTo(2);
                    assertThatThrownBy(() -> factory.get("nowhere")).isInstanceOf(UnknownTargetException.class)
                            .hasMessageContaining("nowhere");
                });
    }

    @Test
    void resolvesTheLibrarysTargetVariablesWhateverTheNamesCharacters() {
        ConnectionSpec spec = warehouse.spec();
        Map<String, Object> env = Map.of("PGDOCK_TARGET_MY_DB_URL", spec.jdbcUrl(), "PGDOCK_TARGET_MY_DB_USER", spec.user(),
                "PGDOCK_TARGET_MY_DB_PASSWORD", spec.password().orElse(""));
        Contexts.application(env).withPropertyValues(Contexts.pgdock(main, "app")).run(context -> {
            DataSourceFactory factory = context.getBean(DataSourceFactory.class);
            assertThat(currentDatabase(factory, "my-db")).isEqualTo(warehouse.name());
            assertThat(currentDatabase(factory, "my_db")).isEqualTo(warehouse.name());
            assertThat(PgdockAutoConfiguration.targetNames(context.getEnvironment())).containsExactly("my.db");
        });
    }

    @Test
    void asksTheApplicationsTargetResolversForOtherNames() {
        TargetResolver own = name -> name.equals("registry") ? Optional.of(warehouse.spec()) : Optional.empty();
        Contexts.application().withPropertyValues(Contexts.pgdock(main, "app"))
                .withBean(TargetResolver.class, () -> own)
                .run(context -> assertThat(currentDatabase(context.getBean(DataSourceFactory.class), "registry"))
                        .isEqualTo(warehouse.name()));
    }

    @Test
    void aRefusedOptionNamesItsProperty() {
        Contexts.application().withPropertyValues(Contexts.pgdock(main, "app", "pgdock.factory.maximum-pools=0"))
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(Analysis.of(context.getStartupFailure()).description())
                            .contains("pgdock.factory.maximum-pools");
                });
    }
}
