package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A server of the test's own, stopped and started again. One server for the class, since each start runs initdb; the
 * tests leave it running.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class ThrowawayPostgresTest {

    private ThrowawayPostgres server;
    private DataSource admin;

    @BeforeAll
    void start() {
        server = ThrowawayPostgres.start();
        admin = DataSources.unpooled(server.adminSpec());
    }

    @AfterAll
    void close() {
        server.close();
    }

    @Test
    void isANewEmbeddedServerOfItsOwn() throws SQLException {
        assertThat(server.isRunning()).isTrue();
        assertThat(server.adminSpec().host()).isEqualTo("localhost");
        assertThat(server.adminSpec().port()).isEqualTo(server.port());
        assertThat(server.adminSpec().user()).isEqualTo("postgres");
        assertThat(Sql.queryString(admin, "select version()")).startsWith("PostgreSQL 17.");
        assertThat(Sql.queryString(admin, "select current_setting('is_superuser')")).isEqualTo("on");
        assertThat(server.port()).isNotEqualTo(TestPostgres.get().adminSpec().port());
    }

    @Test
    void stoppedServerRefusesConnectionsAndStartsAgainWithItsData() throws SQLException {
        Sql.execute(admin, "create table kept (id int primary key, note text)");
        Sql.execute(admin, "insert into kept values (1, 'before the stop')");
        String portBefore = Sql.queryString(admin, "show port");

        server.stop();

        assertThat(server.isRunning()).isFalse();
        assertThatThrownBy(admin::getConnection)
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08001"))
                .hasMessageContaining("Connection to localhost:" + server.port() + " refused")
                .hasRootCauseInstanceOf(ConnectException.class);
        server.stop(); // already stopped: nothing to do

        server.startAgain();

        assertThat(server.isRunning()).isTrue();
        assertThat(Sql.queryString(admin, "select note from kept where id = 1")).isEqualTo("before the stop");
        assertThat(Sql.queryString(admin, "show port")).isEqualTo(portBefore);
        server.startAgain(); // already running: nothing to do
        Sql.execute(admin, "drop table kept");
    }

    @Test
    void restartEndsOpenSessionsAndComesBackWithTheData() throws SQLException {
        Sql.execute(admin, "create table survives_restart (id int)");
        Sql.execute(admin, "insert into survives_restart values (42)");
        try (Connection open = admin.getConnection()) {
            String pidBefore = Sql.queryString(open, "select pg_backend_pid()");

            server.restart();

            assertThat(server.isRunning()).isTrue();
            assertThatThrownBy(() -> Sql.queryString(open, "select 1"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("57P01"))
                    .hasMessageContaining("terminating connection due to administrator command");
            try (Connection fresh = admin.getConnection()) {
                assertThat(Sql.queryString(fresh, "select id from survives_restart")).isEqualTo("42");
                assertThat(Sql.queryString(fresh, "select pg_backend_pid()")).isNotEqualTo(pidBefore);
            }
        }
        Sql.execute(admin, "drop table survives_restart");
    }

    @Test
    void startsAgainAfterTheServerWasKilled() throws SQLException {
        // The server commits asynchronously (see ThrowawayPostgres); this commit waits for its write-ahead log.
        Sql.execute(admin, "set synchronous_commit = on; create table survives_a_crash (id int);"
                + " insert into survives_a_crash values (7)");
        long checkpointer = Long.parseLong(Sql.queryString(admin, "select pid from pg_stat_activity"
                + " where backend_type = 'checkpointer'"));
        ProcessHandle postmaster = ProcessHandle.of(checkpointer).flatMap(ProcessHandle::parent).orElseThrow();
        List<ProcessHandle> all = Stream.concat(Stream.of(postmaster), postmaster.descendants()).toList();

        // A crash of the whole server, as when a container is killed: SIGKILL for every process, no shutdown checkpoint.
        all.forEach(ProcessHandle::destroyForcibly);
        all.forEach(p -> p.onExit().join());

        assertThat(server.isRunning()).isFalse();
        server.startAgain(); // postmaster.pid is stale; PostgreSQL recovers from its write-ahead log

        assertThat(Sql.queryString(admin, "select id from survives_a_crash")).isEqualTo("7");
        Sql.execute(admin, "drop table survives_a_crash");
    }

    @Test
    void stopImmediatelyIsACrashThatStartAgainRecoversFrom() throws SQLException {
        // The server commits asynchronously (see ThrowawayPostgres); this commit waits for its write-ahead log.
        Sql.execute(admin, "set synchronous_commit = on; create table survives_an_immediate_stop (id int);"
                + " insert into survives_an_immediate_stop values (8)");
        long checkpointer = Long.parseLong(Sql.queryString(admin, "select pid from pg_stat_activity"
                + " where backend_type = 'checkpointer'"));
        ProcessHandle postmaster = ProcessHandle.of(checkpointer).flatMap(ProcessHandle::parent).orElseThrow();

        try (Connection open = admin.getConnection()) {
            server.stopImmediately();

            // Returned once the postmaster exited (a zombie where the container's first process does not reap).
            assertThat(postmaster.isAlive() && !LocalProcesses.isZombie(postmaster.pid())).isFalse();
            assertThat(server.isRunning()).isFalse();
            assertThatThrownBy(admin::getConnection)
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08001"))
                    .hasRootCauseInstanceOf(ConnectException.class);
            // An open session loses its connection (the server sends no error, only a warning before it goes).
            assertThatThrownBy(() -> Sql.queryString(open, "select 1"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08006"));
            server.stopImmediately(); // already stopped: nothing to do
        }

        server.startAgain();

        assertThat(server.quotedLog()).contains("database system was interrupted")
                .contains("redo done at");
        assertThat(Sql.queryString(admin, "select id from survives_an_immediate_stop")).isEqualTo("8");
        Sql.execute(admin, "drop table survives_an_immediate_stop");
    }

    @Test
    void closeStopsTheServerAndDeletesItsData() throws SQLException {
        ThrowawayPostgres other = ThrowawayPostgres.start();
        Path data = other.dataDirectory();
        DataSource otherAdmin = DataSources.unpooled(other.adminSpec());
        assertThat(data.resolve("PG_VERSION")).exists();
        Sql.execute(otherAdmin, "select 1");

        other.close();

        assertThat(other.isRunning()).isFalse();
        assertThat(Files.exists(data)).as("%s exists", data).isFalse();
        assertThatThrownBy(otherAdmin::getConnection)
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08001"));
        other.close(); // idempotent
        assertThatThrownBy(other::startAgain)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("port " + other.port() + " is closed");
    }

    @Test
    void closeDeletesTheDataOfAStoppedServerToo() {
        ThrowawayPostgres other = ThrowawayPostgres.start();
        Path data = other.dataDirectory();
        other.stop();
        assertThat(data.resolve("PG_VERSION")).exists();

        other.close();

        assertThat(Files.exists(data)).as("%s exists", data).isFalse();
    }

    @Test
    void startsWithChosenSettingsThatSurviveARestart() throws SQLException {
        try (ThrowawayPostgres other = ThrowawayPostgres.start(Map.of("max_connections", "20", "lock_timeout", "1234"))) {
            DataSource otherAdmin = DataSources.unpooled(other.adminSpec());
            assertThat(Sql.queryString(otherAdmin, "show max_connections")).isEqualTo("20");
            assertThat(Sql.queryString(otherAdmin, "show lock_timeout")).isEqualTo("1234ms");

            other.restart();

            assertThat(Sql.queryString(otherAdmin, "show max_connections")).isEqualTo("20");
            assertThat(Sql.queryString(otherAdmin, "show lock_timeout")).isEqualTo("1234ms");
        }
    }

    @Test
    void malformedSettingsAreRefusedBeforeAnythingStarts() {
        assertThatThrownBy(() -> ThrowawayPostgres.start(Map.of("max connections", "20")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"max connections\"");
        assertThatThrownBy(() -> ThrowawayPostgres.start(Map.of("work_mem", "1MB\nfsync=on")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("server setting work_mem");
        // Values go through pg_ctl's shell: a space or a quote would split or end the option string.
        assertThatThrownBy(() -> ThrowawayPostgres.start(Map.of("search_path", "a b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("server setting search_path").hasMessageContaining("\"a b\"");
        assertThatThrownBy(() -> ThrowawayPostgres.start(Map.of("application_name", "x'; touch /tmp/p; '")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("server setting application_name");
    }

    @Test
    void aSettingTheServerRefusesFailsTheStartAndSaysWhy() {
        assertThatThrownBy(() -> ThrowawayPostgres.start(Map.of("max_connections", "many")))
                .isInstanceOf(TestPostgresException.class)
                .hasMessageContaining("max_connections");
    }
}
