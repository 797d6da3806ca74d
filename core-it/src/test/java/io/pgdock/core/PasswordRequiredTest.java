package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.testing.ThrowawayPostgres;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A server that asks for passwords (SCRAM), and specs without one or with a wrong one: both are
 * {@link Reason#AUTHENTICATION}, and the message of a missing password says where one comes from. Never
 * {@link Reason#UNREACHABLE}: the server answered.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class PasswordRequiredTest {
    private static final String ROLE = "pgdock_pw_role";
    private static final String PASSWORD = "right-pw-41";

    private ThrowawayPostgres server;

    @BeforeAll
    void start() throws Exception {
        server = ThrowawayPostgres.start();
        ConnectionSpec admin = server.adminSpec();
        try (Connection c = new org.postgresql.Driver().connect(admin.jdbcUrl(), admin.driverProperties());
                Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + PASSWORD + "'");
            s.execute("CREATE SCHEMA app AUTHORIZATION " + ROLE);
        }
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private ConnectionSpec spec(String password) {
        return server.adminSpec().toBuilder().host("127.0.0.1").port(server.port()).user(ROLE).password(password).schema("app")
                .applicationName(null).build();
    }

    private static StorageOptions noDiscovery() {
        return StorageOptions.builder().discoverMigrations(false).build();
    }

    @Test
    void openWithoutAPasswordIsAuthenticationSayingWhereOneComesFrom() {
        server.requirePasswords();
        ConnectionSpec spec = spec(null);
        assertThatThrownBy(() -> Storage.open(spec, noDiscovery()))
                .isInstanceOfSatisfying(ConnectionFailedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
                    assertThat(e.sqlState()).isEqualTo("08004");
                })
                .hasMessageStartingWith("cannot connect to " + spec + ": the server asks for a password for role \""
                        + ROLE + "\", and none was given; give one in the URL (user:password@host, or password=...), "
                        + "in PGDOCK_PASSWORD or PGPASSWORD")
                .hasMessageContaining("~/.pgpass, or the file PGPASSFILE names")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("no server answered"));
    }

    @Test
    void aWrongPasswordIsStillAuthentication() {
        server.requirePasswords();
        assertThatThrownBy(() -> Storage.open(spec("wrong-pw-17"), noDiscovery()))
                .isInstanceOfSatisfying(ConnectionFailedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
                    assertThat(e.sqlState()).isEqualTo("28P01");
                })
                .hasMessageContaining("authentication failed; check user and password, and pg_hba.conf")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-pw-17"));
    }

    @Test
    void healthIsDownWithAuthenticationOnceTheServerAsksForAPasswordTheSpecLacks() throws Exception {
        // Opened while the server trusts local connections; then it starts asking for passwords.
        ConnectionSpec spec = spec(null);
        trustAgain();
        try (Storage storage = Storage.open(spec, noDiscovery())) {
            assertThat(storage.health().isUp()).isTrue();
            server.requirePasswords();
            Health health = storage.health();
            assertThat(health.status()).isEqualTo(Health.Status.DOWN);
            assertThat(health.reason()).hasValue(Reason.AUTHENTICATION);
            assertThat(health.error()).hasValueSatisfying(e -> assertThat(e)
                    .contains("the server asks for a password for role \"" + ROLE + "\", and none was given"));
        }
    }

    @Test
    void theRightPasswordOpens() {
        server.requirePasswords();
        try (Storage storage = Storage.open(spec(PASSWORD), noDiscovery())) {
            assertThat(storage.health().isUp()).isTrue();
        }
    }

    /** Makes the server trust local connections again, as it did when started. */
    private void trustAgain() throws Exception {
        java.nio.file.Path hba = java.nio.file.Path.of(queryAdmin("SHOW hba_file"));
        java.nio.file.Files.writeString(hba, "host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n");
        queryAdmin("SELECT pg_reload_conf()::text");
    }

    private String queryAdmin(String sql) throws Exception {
        ConnectionSpec admin = server.adminSpec();
        try (Connection c = new org.postgresql.Driver().connect(admin.jdbcUrl(), admin.driverProperties());
                Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
