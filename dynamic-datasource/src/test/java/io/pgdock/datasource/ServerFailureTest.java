package io.pgdock.datasource;

import static io.pgdock.datasource.PooledDataSourceFactoryTest.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.ThrowawayPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failures a trusting test server cannot show, on a throwaway server of this class's own that asks for passwords and
 * that the tests stop and start: a wrong password, a rotation the old password no longer passes, a server that stops.
 * The test database of {@link #PG} is the "other target" that must keep working.
 */
class ServerFailureTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static ThrowawayPostgres server;
    private static ConnectionSpec app;

    @BeforeAll
    static void startServer() throws SQLException {
        server = ThrowawayPostgres.start();
        admin("CREATE ROLE app LOGIN PASSWORD 'first-secret-1'");
        server.requirePasswords();
        app = server.adminSpec().toBuilder().user("app").password("first-secret-1").build();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private final FakeTicker ticker = new FakeTicker();
    private final RecordingListener events = new RecordingListener();

    private DataSourceFactory factory() {
        return DataSourceFactory.pooled(FactoryOptions.builder().ticker(ticker).listener(events)
                .maintenanceInterval(Duration.ofHours(1)).build());
    }

    private static void admin(String sql) throws SQLException {
        org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setURL(server.adminSpec().jdbcUrl());
        ds.setUser(server.adminSpec().user());
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Test
    void aWrongPasswordIsAnAuthenticationFailureThatNeverShowsThePassword() throws SQLException {
        try (DataSourceFactory f = factory()) {
            ConnectionSpec wrong = app.toBuilder().password("Wrong-Secret-77").build();
            ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                    () -> f.get(wrong).getConnection().close());
            assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
            assertThat(e.getMessage()).contains("authentication failed").doesNotContain("Wrong-Secret-77")
                    .doesNotContain("first-secret-1");
            assertThat(events.events()).filteredOn(ev -> ev.type() == FactoryEvent.Type.FAILED).hasSize(1)
                    .allSatisfy(ev -> assertThat(ev.toString() + ev.detail()).doesNotContain("Wrong-Secret-77"));
            assertThat(f.targets().toString()).doesNotContain("Wrong-Secret-77");
            assertThat(query(f.get(app), "SELECT current_user")).isEqualTo("app");
            assertThat(query(f.get(PG.spec()), "SELECT 1")).isEqualTo("1");
        }
    }

    @Test
    void afterARotationTheNewSpecWorksAndTheOldPasswordNoLonger() throws SQLException {
        try (DataSourceFactory f = factory()) {
            DataSource before = f.get(app);
            assertThat(query(before, "SELECT current_user")).isEqualTo("app");
            admin("ALTER ROLE app PASSWORD 'second-secret-2'");
            try {
                ConnectionSpec rotated = app.toBuilder().password("second-secret-2").build();
                assertThat(query(f.get(rotated), "SELECT current_user")).isEqualTo("app");
                // The old handle follows the new pool rather than logging in with the old password.
                assertThat(query(before, "SELECT current_user")).isEqualTo("app");
                assertThat(events.count(FactoryEvent.Type.ROTATED)).isEqualTo(1);
                assertThat(events.count(FactoryEvent.Type.FAILED)).isZero();
                // A caller still asking with the old password (a stale configuration) gets a clear error, and the
                // rotation stands: handles keep using the new password.
                ConnectionFailedException stale = catchThrowableOfType(ConnectionFailedException.class,
                        () -> f.get(app));
                assertThat(stale.reason()).isEqualTo(Reason.AUTHENTICATION);
                assertThat(f.health(app).isUp()).isFalse();
                assertThat(query(before, "SELECT current_user")).isEqualTo("app");
                assertThat(query(f.get(rotated), "SELECT current_user")).isEqualTo("app");
                assertThat(events.count(FactoryEvent.Type.ROTATED)).isEqualTo(1);
            } finally {
                admin("ALTER ROLE app PASSWORD 'first-secret-1'");
            }
        }
    }

    @Test
    void aNewPasswordTheServerDoesNotAcceptYetLeavesTheWorkingPoolInPlace() throws SQLException {
        try (DataSourceFactory f = factory()) {
            DataSource current = f.get(app);
            assertThat(query(current, "SELECT current_user")).isEqualTo("app");
            ConnectionSpec early = app.toBuilder().password("not-set-yet-9").build();
            ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class, () -> f.get(early));
            assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
            assertThat(query(current, "SELECT current_user")).isEqualTo("app");
            assertThat(events.count(FactoryEvent.Type.ROTATED)).isZero();
        }
    }

    @Test
    void aStoppedServerFailsItsTargetAloneAndItComesBackAfterTheBackoff() throws SQLException {
        try (DataSourceFactory f = factory()) {
            DataSource throwaway = f.get(app);
            DataSource other = f.get(PG.spec());
            assertThat(query(other, "SELECT 1")).isEqualTo("1");
            Connection lent = throwaway.getConnection();

            server.stop();
            try {
                // A connection lent before the stop meets it with the server's own error; HikariCP then discards it.
                assertThatThrownBy(() -> lent.createStatement().execute("SELECT 1"))
                        .isInstanceOfSatisfying(SQLException.class,
                                e -> assertThat(e.getSQLState()).isEqualTo("57P01"));   // admin_shutdown
                lent.close();
                ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                        () -> query(throwaway, "SELECT 1"));
                assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
                assertThat(f.health(app).isUp()).isFalse();
                assertThat(query(other, "SELECT 1")).isEqualTo("1");
                assertThat(f.health(PG.spec()).isUp()).isTrue();
            } finally {
                server.startAgain();
            }
            // Still in the back-off: refused from memory, although the server is back.
            assertThat(catchThrowableOfType(ConnectionFailedException.class, () -> query(throwaway, "SELECT 1"))
                    .getMessage()).contains("failed recently");
            ticker.advance(Duration.ofSeconds(6));
            assertThat(query(throwaway, "SELECT 1")).isEqualTo("1");
            assertThat(events.types()).containsSubsequence(FactoryEvent.Type.FAILED, FactoryEvent.Type.RECOVERED);
        }
    }
}
