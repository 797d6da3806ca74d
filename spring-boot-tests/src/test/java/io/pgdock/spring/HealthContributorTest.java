package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The actuator's health endpoint, as either Spring Boot line answers it (see {@link Actuator}). */
class HealthContributorTest {
    static TestDatabase database;
    static int closedPort;

    @BeforeAll
    static void createDatabase() throws IOException {
        database = TestPostgres.get().createDatabase();
        database.jdbi().useHandle(h -> h.execute("create schema app"));
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
    }

    @AfterAll
    static void dropDatabase() {
        database.close();
    }

    static String password() {
        return database.spec().password().orElseThrow();
    }

    @Test
    void storageConfigAndEachTargetAreUpWithDetailsAndNoSecret() {
        ConnectionSpec spec = database.spec();
        Contexts.application()
                .withPropertyValues(Contexts.pgdock(database, "app", "pgdock.config.cache=10",
                        "pgdock.config.keys=k1:" + ConfigStoreAutoConfigurationTest.KEYS.substring(3),
                        "pgdock.target.warehouse.url=" + spec.jdbcUrl(), "pgdock.target.warehouse.user=" + spec.user(),
                        "pgdock.target.warehouse.password=" + password()))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    context.getBean(ConfigStore.class).putSecret("health.secret", "top-secret-value");
                    Map<String, Object> pgdock = Actuator.health(context, "pgdock");
                    assertThat(pgdock.get("status")).as("%s", pgdock).isEqualTo("UP");
                    assertThat(Actuator.health(context, "pgdock", "storage")).as("storage").containsEntry("status", "UP")
                            .extractingByKey("details").asString().contains("schema=app").contains("serverVersion")
                            .contains("pool=");
                    assertThat(Actuator.health(context, "pgdock", "config")).as("config")
                            .containsEntry("status", "UP").extractingByKey("details").asString()
                            .contains("listening=true");
                    assertThat(Actuator.status(context, "pgdock", "targets", "warehouse")).isEqualTo("UP");
                    assertThat(Actuator.health(context).toString()).as("the whole health endpoint")
                            .doesNotContain(password()).doesNotContain("top-secret-value")
                            .doesNotContain(ConfigStoreAutoConfigurationTest.KEYS.substring(3));
                });
    }

    @Test
    void aTargetOnAClosedPortIsDownSayingWhyAndTheRestStaysUp() {
        Contexts.application()
                .withPropertyValues(Contexts.pgdock(database, "app",
                        "pgdock.target.gone.url=jdbc:postgresql://127.0.0.1:" + closedPort + "/nothing",
                        "pgdock.target.gone.user=nobody", "pgdock.target.gone.password=never-shown"))
                .run(context -> {
                    Map<String, Object> gone = Actuator.health(context, "pgdock", "targets", "gone");
                    assertThat(gone).as("%s", gone).containsEntry("status", "DOWN");
                    assertThat(gone.get("details").toString()).contains("reason=UNREACHABLE")
                            .doesNotContain("never-shown");
                    assertThat(Actuator.status(context, "pgdock", "storage")).isEqualTo("UP");
                    assertThat(Actuator.status(context, "pgdock")).isEqualTo("DOWN");
                });
    }

    @Test
    void theConfigStoreIsDownWhileItsListeningConnectionCannotBeOpened() throws java.sql.SQLException {
        // Behind a (pretend) transaction-mode pooler the cache listens on the dedicated URL: here a closed port.
        // pgdock sets no session state there, so the schema must be the role's own setting.
        try (var admin = database.adminDataSource().getConnection(); var st = admin.createStatement()) {
            st.execute("ALTER ROLE \"" + database.spec().user() + "\" IN DATABASE \"" + database.name()
                    + "\" SET search_path = app");
        }
        Contexts.application()
                .withPropertyValues(Contexts.pgdock(database, "app", "pgdock.config.cache=10",
                        "pgdock.storage.transaction-pooling=true",
                        "pgdock.storage.dedicated-url=jdbc:postgresql://127.0.0.1:" + closedPort + "/"
                                + database.name() + "?user=" + database.spec().user()))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Map<String, Object> config = Actuator.health(context, "pgdock", "config");
                    assertThat(config).as("%s", config).containsEntry("status", "DOWN");
                    assertThat(config.get("details").toString()).contains("listening=false")
                            .contains("listening connection is missing or dead");
                    assertThat(Actuator.status(context, "pgdock", "storage")).isEqualTo("UP");
                });
    }

    @Test
    void offWithManagementHealthPgdockEnabledFalse() {
        Contexts.application().withPropertyValues(Contexts.pgdock(database, "app", "management.health.pgdock.enabled=false"))
                .run(context -> assertThat(context).hasNotFailed()
                        .doesNotHaveBean(PgdockHealthAutoConfiguration.BEAN));
    }
}
