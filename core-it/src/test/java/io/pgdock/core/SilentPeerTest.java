package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.internal.LoginTimeoutException;
import io.pgdock.core.internal.SqlFailures;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.SilentServer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every blocking step of {@link Storage} against a server that accepts TCP connections and never answers: each fails
 * with {@link Reason#UNREACHABLE} naming the timeout that expired, and lets go of its sockets. A hang guard of three
 * times the timeout is the only time check; no test measures how long a step took.
 */
class SilentPeerTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration HANG_GUARD = TIMEOUT.multipliedBy(3);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final TestRoles roles = new TestRoles(PG);

    @AfterEach
    void dropRoles() {
        roles.dropAll();
    }

    private static StorageOptions noDiscovery() {
        return StorageOptions.builder().discoverMigrations(false).build();
    }

    private ConnectionSpec runtimeSpec(String schema) {
        ConnectionSpec spec = roles.runtimeSpec(schema);
        Provisioning.forRuntime(spec).apply(PG.adminDataSource());
        return spec;
    }

    @Test
    void openAgainstASilentPeerIsUnreachableWithinTheConnectTimeout() throws Exception {
        try (SilentServer silent = SilentServer.start()) {
            ConnectionSpec spec = silent.redirect(PG.spec()).toBuilder().schema("s").password("not-shown-5")
                    .connectTimeout(TIMEOUT).build();
            assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(() -> Storage.open(spec, noDiscovery()))
                    .isInstanceOfSatisfying(ConnectionFailedException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
                        assertThat(e.sqlState()).isEqualTo("08001");
                    })
                    .hasMessageStartingWith("cannot connect to " + spec + ": the server accepted the connection but "
                            + "sent nothing within the connect timeout of 2 s (connectTimeout)")
                    .hasMessageContaining("pg_isready")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-shown-5")));
            assertThat(silent.accepted()).isPositive();
            assertThat(silent.awaitOpen(0, WAIT)).as("the login's sockets are closed: %s", silent).isTrue();
        }
    }

    @Test
    void aSpecWithoutConnectTimeoutGetsTheDefaultOfTenSecondsNamedAsSuch() throws Exception {
        // The field report: a spec with no connectTimeout was still blocked after 120 s.
        try (SilentServer silent = SilentServer.start()) {
            ConnectionSpec spec = silent.redirect(PG.spec()).toBuilder().schema("s").build();
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThatThrownBy(() -> Storage.open(spec))
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
                    .hasMessageContaining("sent nothing within the connect timeout of 10 s (the default; set "
                            + "connectTimeout to change it)"));
            assertThat(silent.awaitOpen(0, WAIT)).isTrue();
        }
    }

    @Test
    void healthOfAStorageWhoseServerGoesSilentIsDownWithinTheHealthTimeout() throws Exception {
        ConnectionSpec real = runtimeSpec("health_silent");
        try (SilentServer proxy = SilentServer.forwardingTo(real.host(), real.port());
                Storage storage = Storage.open(proxy.redirect(real), StorageOptions.builder()
                        .discoverMigrations(false).healthTimeout(TIMEOUT).build())) {
            assertThat(storage.health().status()).isEqualTo(Health.Status.UP);
            proxy.silence();

            Health health = assertTimeoutPreemptively(HANG_GUARD, storage::health);
            assertThat(health.status()).isEqualTo(Health.Status.DOWN);
            assertThat(health.reason()).hasValue(Reason.UNREACHABLE);
            assertThat(health.error()).hasValueSatisfying(e -> assertThat(e)
                    .contains("within the health timeout of 2 s (StorageOptions.healthTimeout)")
                    .doesNotContain(TestRoles.PASSWORD));
            // The check that gave up ends by the same deadline, and closes its socket.
            assertThat(proxy.awaitOpen(health.pool().total(), WAIT)).as("%s", proxy).isTrue();
        }
    }

    @Test
    void aPooledConnectionOpenedWhileTheServerIsSilentFailsWithTheConnectTimeoutAsItsCause() throws Exception {
        ConnectionSpec real = runtimeSpec("pool_silent").toBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        StorageOptions options = StorageOptions.builder().discoverMigrations(false).minimumIdle(0)
                .connectionTimeout(Duration.ofSeconds(3)).build();
        try (SilentServer proxy = SilentServer.forwardingTo(real.host(), real.port());
                Storage storage = Storage.open(proxy.redirect(real), options)) {
            HikariDataSource pool = storage.dataSource().unwrap(HikariDataSource.class);
            pool.getHikariPoolMXBean().softEvictConnections();
            proxy.silence();

            SQLException e = assertTimeoutPreemptively(HANG_GUARD, () -> {
                try (Connection c = storage.dataSource().getConnection()) {
                    throw new AssertionError("borrowed " + c + " from a silent server");
                } catch (SQLException thrown) {
                    return thrown;
                }
            });
            LoginTimeoutException timeout = SqlFailures.loginTimeout(e);
            org.junit.jupiter.api.Assertions.assertNotNull(timeout, "the pool's last connection failure: " + e);
            assertThat(timeout.stage()).isEqualTo(LoginTimeoutException.Stage.NOTHING_RECEIVED);
            ConnectionFailedException failure = SqlFailures.connectFailure(e, storage.toString());
            assertThat(failure.reason()).isEqualTo(Reason.UNREACHABLE);
            assertThat(failure.getMessage()).contains("sent nothing within the connect timeout of 1 s (connectTimeout)");
        }
    }

    @Test
    void provisioningThroughASilentAdminConnectionIsUnreachableWithinTheConnectTimeout() throws Exception {
        try (SilentServer silent = SilentServer.start()) {
            ConnectionSpec admin = silent.redirect(PG.adminSpec()).toBuilder().connectTimeout(TIMEOUT).build();
            Provisioning plan = Provisioning.forRuntime(roles.runtimeSpec("never").toBuilder()
                    .database(admin.database()).build());
            assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(() -> plan.apply(admin))
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
                    .hasMessageContaining("sent nothing within the connect timeout of 2 s (connectTimeout)"));
        }
    }
}
