package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.testing.ThrowawayPostgres;
import java.sql.Connection;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A factory target on a server that asks for passwords: no password and a wrong one are both AUTHENTICATION. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class PasswordRequiredTargetTest {
    private static final String ROLE = "pgdock_target_role";
    private static final String PASSWORD = "target-pw-23";

    private ThrowawayPostgres server;

    @BeforeAll
    void start() throws Exception {
        server = ThrowawayPostgres.start();
        ConnectionSpec admin = server.adminSpec();
        try (Connection c = new org.postgresql.Driver().connect(admin.jdbcUrl(), admin.driverProperties());
                Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + PASSWORD + "'");
        }
        server.requirePasswords();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private ConnectionSpec target(String password) {
        return server.adminSpec().toBuilder().host("127.0.0.1").port(server.port()).user(ROLE).password(password)
                .build();
    }

    @Test
    void aTargetWithoutAPasswordIsAuthenticationSayingWhereOneComesFrom() {
        try (DataSourceFactory f = DataSourceFactory.pooled(FactoryOptions.defaults())) {
            ConnectionSpec spec = target(null);
            DataSource ds = f.get(spec);
            assertThatThrownBy(() -> ds.getConnection().close())
                    .isInstanceOfSatisfying(ConnectionFailedException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
                        assertThat(e.sqlState()).isEqualTo("08004");
                    })
                    .hasMessageContaining("the server asks for a password for role \"" + ROLE + "\", and none was "
                            + "given")
                    .hasMessageContaining("PGDOCK_TARGET_<NAME>_PASSWORD");
            Health health = f.health(spec);
            assertThat(health.status()).isEqualTo(Health.Status.DOWN);
            assertThat(health.reason()).hasValue(Reason.AUTHENTICATION);
            assertThat(health.error()).hasValueSatisfying(e -> assertThat(e).contains("asks for a password"));
        }
    }

    @Test
    void aWrongPasswordIsAuthenticationAndTheRightOneWorks() throws Exception {
        try (DataSourceFactory f = DataSourceFactory.pooled(FactoryOptions.defaults())) {
            assertThatThrownBy(() -> f.get(target("wrong-pw-5")).getConnection().close())
                    .isInstanceOfSatisfying(ConnectionFailedException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
                        assertThat(e.sqlState()).isEqualTo("28P01");
                    })
                    .hasMessageContaining("authentication failed")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-pw-5"));
            try (Connection c = f.get(target(PASSWORD)).getConnection()) {
                assertThat(c.isValid(5)).isTrue();
            }
        }
    }
}
