package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import io.pgdock.testing.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.boot.SpringBootVersion;

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
    void opensStorageOfItsOwnFromPgdockPropertiesWithTheStorageOptions() {
        Contexts.application()
                .withPropertyValues(Contexts.pgdock(database, "app", "pgdock.storage.maximum-pool-size=3",
                        "pgdock.storage.pool-name=pgdock-test-pool"))
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(Storage.class);
                    Storage storage = context.getBean(Storage.class);
                    assertThat(storage.schema()).isEqualTo("app");
                    assertThat(storage.health().isUp()).as("%s", storage.health()).isTrue();
                    HikariDataSource pool = storage.dataSource().unwrap(HikariDataSource.class);
                    assertThat(pool.getMaximumPoolSize()).isEqualTo(3);
                    assertThat(pool.getPoolName()).isEqualTo("pgdock-test-pool");
                    assertThat(context.getBeansOfType(DataSource.class)).as("no DataSource bean of pgdock's").isEmpty();
                });
    }

    @Test
    void readsTheLibrarysEnvironmentVariablesByRelaxedBinding() {
        Map<String, Object> env = Map.of("PGDOCK_URL", database.spec().jdbcUrl(), "PGDOCK_USER", database.spec().user(),
                "PGDOCK_PASSWORD", database.spec().password().orElse(""), "PGDOCK_SCHEMA", "app",
                "PGDOCK_STORAGE_MAXIMUMPOOLSIZE", "2");
        Contexts.application(env).run(context -> {
            assertThat(context).hasNotFailed();
            Storage storage = context.getBean(Storage.class);
            assertThat(storage.schema()).isEqualTo("app");
            assertThat(storage.dataSource().unwrap(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(2);
            assertThat(storage.health().isUp()).isTrue();
        });
    }

    @Test
    void applicationBeansWin() {
        try (Storage own = Storage.open(database.spec().toBuilder().schema("app").build())) {
            ConfigStore configs = ConfigStore.inMemory();
            DataSourceFactory factory = DataSourceFactory.fixed(Map.of());
            Contexts.application()
                    .withBean(Storage.class, () -> own)
                    .withBean(ConfigStore.class, () -> configs)
                    .withBean(DataSourceFactory.class, () -> factory)
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        assertThat(context.getBean(Storage.class)).isSameAs(own);
                        assertThat(context.getBean(ConfigStore.class)).isSameAs(configs);
                        assertThat(context.getBean(DataSourceFactory.class)).isSameAs(factory);
                    });
        }
    }

    @Test
    void reusesTheApplicationsDataSourceSoTheApplicationRunsOnePool() {
        Contexts.withApplicationDataSource(database, "app")
                .withPropertyValues("pgdock.schema=app", "spring.datasource.hikari.pool-name=app-pool")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBeansOfType(HikariDataSource.class)).as("HikariCP pools").hasSize(1);
                    HikariDataSource application = context.getBean(HikariDataSource.class);
                    Storage storage = context.getBean(Storage.class);
                    ConfigStore configs = context.getBean(ConfigStore.class);
                    configs.put("app.batch", 10);
                    int active = storage.jdbi().withHandle(h -> application.getHikariPoolMXBean().getActiveConnections());
                    assertThat(active).as("the application pool's connections lent while pgdock holds one")
                            .isGreaterThanOrEqualTo(1);
                    String applicationName = storage.jdbi().withHandle(h -> h.createQuery(
                            "select current_setting('application_name')").mapTo(String.class).one());
                    String applicationPoolsName;
                    try (var c = application.getConnection()) {
                        applicationPoolsName = c.unwrap(org.postgresql.PGConnection.class)
                                .getParameterStatus("application_name");
                    }
                    assertThat(applicationName).as("the storage's sessions are the application pool's")
                            .isEqualTo(applicationPoolsName).doesNotStartWith("pgdock");
                    assertThat(storage.health().isUp()).as("%s", storage.health()).isTrue();
                });
    }

    @Test
    void failsToStartNamingPgdockUrlWhenThereIsNoConnectionAndNoDataSource() {
        Contexts.application().run(context -> {
            assertThat(context).hasFailed();
            Analysis a = Analysis.of(context.getStartupFailure());
            assertThat(a.description()).contains("pgdock.url").contains("spring.datasource.url");
            assertThat(a.action()).contains("pgdock.url");
        });
    }

    @Test
    void failsToStartNamingPgdockSchemaOverTheApplicationsDataSourceWithoutOne() {
        Contexts.withApplicationDataSource(database, "app").run(context -> {
            assertThat(context).hasFailed();
            Analysis a = Analysis.of(context.getStartupFailure());
            assertThat(a.description()).contains("pgdock.schema").contains("currentSchema");
            assertThat(a.action()).contains("Set pgdock.schema");
        });
    }

    @Test
    void aRefusedOptionNamesItsProperty() {
        Contexts.application().withPropertyValues(Contexts.pgdock(database, "app",
                "pgdock.storage.maximum-pool-size=0")).run(context -> {
                    assertThat(context).hasFailed();
                    Analysis a = Analysis.of(context.getStartupFailure());
                    assertThat(a.description()).contains("pgdock.storage.maximum-pool-size")
                            .contains("must be at least 1, but was 0");
                });
    }

    @Test
    void aBadConnectionSettingNamesItsPropertyAndVariableAndNeverThePassword() {
        Contexts.application().withPropertyValues("pgdock.host=localhost", "pgdock.database=x", "pgdock.user=u",
                "pgdock.password=hunter2-secret", "pgdock.schema=app", "pgdock.sslmode=bogus").run(context -> {
                    assertThat(context).hasFailed();
                    Analysis a = Analysis.of(context.getStartupFailure());
                    assertThat(a.description()).contains("pgdock.sslmode (PGDOCK_SSLMODE)").contains("bogus")
                            .doesNotContain("hunter2-secret");
                    assertThat(a.action()).contains("pgdock.sslmode");
                });
    }

    @Test
    void aServerThatDoesNotAnswerFailsStartupWithTheReason() throws java.io.IOException {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Contexts.application().withPropertyValues("pgdock.url=jdbc:postgresql://127.0.0.1:" + closed + "/app",
                "pgdock.user=app", "pgdock.password=never-shown", "pgdock.schema=app").run(context -> {
                    assertThat(context).hasFailed();
                    Analysis a = Analysis.of(context.getStartupFailure());
                    assertThat(a.description()).contains("could not be opened (UNREACHABLE)")
                            .doesNotContain("never-shown");
                    assertThat(a.action()).contains("pgdock.url");
                });
    }

    @Test
    void shutsDownTheFactoryAndConfigStoreBeforeTheStorageAndTheStorageBeforeTheApplicationsDataSource() {
        List<String> destroyed = Collections.synchronizedList(new ArrayList<>());
        DestructionAwareBeanPostProcessor recorder = (bean, name) -> destroyed.add(name);
        Storage[] storage = new Storage[1];
        HikariDataSource[] application = new HikariDataSource[1];
        Contexts.withApplicationDataSource(database, "app")
                .withPropertyValues("pgdock.schema=app", "pgdock.config.cache=100",
                        "pgdock.target.self.url=" + database.spec().jdbcUrl(),
                        "pgdock.target.self.user=" + database.spec().user(),
                        "pgdock.target.self.password=" + database.spec().password().orElse(""))
                .withBean("destructionRecorder", DestructionAwareBeanPostProcessor.class, () -> recorder)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    storage[0] = context.getBean(Storage.class);
                    application[0] = context.getBean(HikariDataSource.class);
                    context.getBean(DataSourceFactory.class).jdbi("self").withHandle(h -> h.execute("select 1"));
                    assertThat(context.getBean(ConfigStore.class).policy().cacheStats().orElseThrow().readingThrough())
                            .as("the cache listens from startup").isFalse();
                    context.getSourceApplicationContext().close();
                });
        String dataSource = destroyed.stream().filter(n -> n.equals("dataSource")).findFirst().orElseThrow(
                () -> new AssertionError("the application's DataSource was not destroyed: " + destroyed));
        assertThat(destroyed).as("destruction order").containsSubsequence("pgdockDataSourceFactory", "pgdockStorage",
                dataSource);
        assertThat(destroyed).containsSubsequence("pgdockConfigStore", "pgdockStorage");
        assertThat(storage[0].isClosed()).isTrue();
        assertThat(application[0].isClosed()).isTrue();
        Wait.untilValue(Duration.ofSeconds(30), () -> sessions(database), n -> n == 0,
                "no session of the application's role left once it is closed");
    }

    /** Sessions of the database's owner role (what the application connects as), other than this query's. */
    static long sessions(TestDatabase db) {
        return db.jdbi().withHandle(h -> h.createQuery("select count(*) from pg_stat_activity where datname = "
                + "current_database() and usename = current_user and pid <> pg_backend_pid()").mapTo(Long.class).one());
    }
}
