package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionSpec;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real PgBouncer in front of the shared test server (embedded or external), and of a throwaway one. Skipped where
 * PgBouncer is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PgBouncerTest {

    private TestDatabase db;

    @BeforeEach
    void requirePgBouncer() {
        PgBouncer.assumeAvailable();
    }

    @BeforeAll
    void createDatabase() {
        db = TestPostgres.get().createDatabase();
    }

    @AfterAll
    void dropDatabase() {
        db.close();
    }

    @Test
    void twoClientsShareOneServerConnectionInTransactionMode() throws SQLException {
        try (PgBouncer bouncer = PgBouncer.builder(db.spec()).defaultPoolSize(1).start()) {
            DataSource through = DataSources.unpooled(withoutNamedStatements(bouncer.spec()));
            assertThat(bouncer.poolMode()).isEqualTo(PgBouncer.PoolMode.TRANSACTION);

            try (Connection first = through.getConnection(); Connection second = through.getConnection()) {
                String firstBackend = Sql.queryString(first, "select pg_backend_pid()");
                String secondBackend = Sql.queryString(second, "select pg_backend_pid()");

                // Both clients are open at once; with one server connection, each transaction borrows the same one.
                assertThat(secondBackend).isEqualTo(firstBackend);
                assertThat(Sql.queryString(first, "select current_user")).isEqualTo(db.name());
                assertThat(Sql.queryString(first, "select current_database()")).isEqualTo(db.name());
            }
        }
    }

    @Test
    void eachClientKeepsItsOwnServerConnectionInSessionMode() throws SQLException {
        try (PgBouncer bouncer = PgBouncer.builder(db.spec()).poolMode(PgBouncer.PoolMode.SESSION).start()) {
            DataSource through = DataSources.unpooled(bouncer.spec());

            try (Connection first = through.getConnection(); Connection second = through.getConnection()) {
                assertThat(Sql.queryString(second, "select pg_backend_pid()"))
                        .isNotEqualTo(Sql.queryString(first, "select pg_backend_pid()"));
            }
        }
    }

    @Test
    void queriesAndPreparedStatementsWorkThroughTheBouncer() throws SQLException {
        try (PgBouncer bouncer = PgBouncer.builder(db.spec()).defaultPoolSize(1).start()) {
            DataSource through = DataSources.unpooled(withoutNamedStatements(bouncer.spec()));
            Sql.execute(through, "create table through_bouncer (id int primary key, note text)");

            try (Connection first = through.getConnection(); Connection second = through.getConnection()) {
                // More executions than pgjdbc's default prepareThreshold (5), interleaved on one server connection.
                for (int i = 0; i < 10; i++) {
                    insert(i % 2 == 0 ? first : second, i);
                }
            }

            assertThat(Sql.queryString(db.dataSource(), "select count(*) from through_bouncer")).isEqualTo("10");
            Sql.execute(db.dataSource(), "drop table through_bouncer");
        }
    }

    @Test
    void clientsLogInWithTheUpstreamPasswordAndAWrongOneIsRefused() {
        try (PgBouncer bouncer = PgBouncer.start(db.spec())) {
            ConnectionSpec wrongPassword = bouncer.spec().toBuilder().password("not-the-password").build();

            assertThatThrownBy(() -> DataSources.unpooled(wrongPassword).getConnection())
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08P01"))
                    .hasMessageContaining("SASL authentication failed");
            assertThat(bouncer.logTail()).contains("password authentication failed");
        }
    }

    @Test
    void logsInToAnUpstreamThatRequiresThePassword() throws Exception {
        try (ThrowawayPostgres upstream = ThrowawayPostgres.start()) {
            DataSource superuser = DataSources.unpooled(upstream.adminSpec());
            Sql.execute(superuser, "create role app login password 'app-secret'");
            // Only the superuser is trusted now; every other role must give its password over TCP.
            Files.writeString(upstream.dataDirectory().resolve("pg_hba.conf"), """
                    host all postgres 127.0.0.1/32 trust
                    host all postgres ::1/128 trust
                    host all all 127.0.0.1/32 scram-sha-256
                    host all all ::1/128 scram-sha-256
                    """);
            Sql.execute(superuser, "select pg_reload_conf()");
            ConnectionSpec app = upstream.adminSpec().toBuilder().user("app").password("app-secret").build();
            assertThatThrownBy(() -> DataSources.unpooled(app.toBuilder().password("wrong").build()).getConnection())
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));

            try (PgBouncer bouncer = PgBouncer.start(app)) {
                DataSource through = DataSources.unpooled(withoutNamedStatements(bouncer.spec()));

                assertThat(Sql.queryString(through, "select current_user")).isEqualTo("app");
            }
        }
    }

    @Test
    void answersAgainAfterTheUpstreamRestarted() throws SQLException {
        try (ThrowawayPostgres upstream = ThrowawayPostgres.start();
                PgBouncer bouncer = PgBouncer.builder(upstream.adminSpec()).defaultPoolSize(1).start()) {
            DataSource through = DataSources.unpooled(withoutNamedStatements(bouncer.spec()));
            String backendBefore = Sql.queryString(through, "select pg_backend_pid()");

            upstream.restart();

            // The pooled server connection died with the server; PgBouncer notices on its next use and opens another.
            String backendAfter = Wait.untilValue(Duration.ofSeconds(30),
                    () -> Sql.queryString(through, "select pg_backend_pid()"), answer -> true,
                    "PgBouncer to answer again after its upstream restarted");
            assertThat(backendAfter).isNotEqualTo(backendBefore);
        }
    }

    @Test
    void closeStopsTheProcessAndDeletesItsFiles() throws Exception {
        PgBouncer bouncer = PgBouncer.start(db.spec());
        Path directory = bouncer.directory();
        assertThat(directory.resolve("pgbouncer.ini")).exists();
        assertThat(bouncer.isRunning()).isTrue();

        bouncer.close();

        assertThat(bouncer.isRunning()).isFalse();
        assertThat(Files.exists(directory)).as("%s exists", directory).isFalse();
        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", bouncer.port()), 1000);
            }
        }).hasMessageContaining("Connection refused");
        bouncer.close(); // idempotent
    }

    @Test
    void failedStartQuotesPgBouncersLog() {
        assertThatThrownBy(() -> PgBouncer.builder(db.spec()).setting("max_client_conn", "lots").start())
                .isInstanceOf(TestPostgresException.class)
                .hasMessageContaining("PgBouncer exited at start")
                .hasMessageContaining("Last lines of PgBouncer's log")
                .hasMessageContaining("lots");
    }

    private static void insert(Connection c, int id) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("insert into through_bouncer values (?, ?)")) {
            insert.setInt(1, id);
            insert.setString(2, "row " + id);
            assertThat(insert.executeUpdate()).isEqualTo(1);
        }
    }

    /** Transaction pooling (PgBouncer 1.18) cannot keep named prepared statements; pgjdbc then must not use them. */
    private static ConnectionSpec withoutNamedStatements(ConnectionSpec spec) {
        return spec.toBuilder().option("prepareThreshold", "0").build();
    }
}
