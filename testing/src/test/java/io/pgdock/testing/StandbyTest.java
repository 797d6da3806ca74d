package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.ThrowawayPostgres.Replication;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streaming standbys of a throwaway primary, and failover to them. One synchronous primary and standby for the class;
 * the tests that crash a primary or need another mode start their own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class StandbyTest {

    private static final Logger LOG = LoggerFactory.getLogger(StandbyTest.class);

    /** A hang guard for commits that must not wait for a standby that is gone; never reached when all is well. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    private ThrowawayPostgres primary;
    private ThrowawayPostgres standby;
    private DataSource onPrimary;
    private DataSource onStandby;

    @BeforeAll
    void startPrimaryAndStandby() {
        primary = ThrowawayPostgres.builder().replication(Replication.SYNCHRONOUS).setting("max_connections", "50")
                .start();
        long started = System.nanoTime();
        standby = primary.startStandby();
        LOG.info("A synchronous standby started in {} ms", (System.nanoTime() - started) / 1_000_000);
        onPrimary = DataSources.unpooled(primary.adminSpec());
        onStandby = DataSources.unpooled(standby.adminSpec());
    }

    @AfterAll
    void close() {
        if (standby != null) {
            standby.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void theStandbyStreamsFromThePrimaryOnItsOwnPortWithItsSettings() throws SQLException {
        assertThat(standby.port()).isNotEqualTo(primary.port());
        assertThat(standby.isRunning()).isTrue();
        assertThat(Sql.queryString(onStandby, "select pg_is_in_recovery()")).isEqualTo("t");
        assertThat(Sql.queryString(onPrimary, "select pg_is_in_recovery()")).isEqualTo("f");
        assertThat(Sql.queryString(onStandby, "select status from pg_stat_wal_receiver")).isEqualTo("streaming");
        assertThat(Sql.queryString(onStandby, "select sender_port from pg_stat_wal_receiver"))
                .isEqualTo(Integer.toString(primary.port()));
        assertThat(Sql.queryString(onPrimary, "select state || ' ' || sync_state from pg_stat_replication"
                + " where application_name = '" + standby.standbyName() + "'")).isEqualTo("streaming sync");
        assertThat(Sql.queryString(onPrimary, "select active from pg_replication_slots where slot_name = '"
                + standby.standbyName() + "'")).isEqualTo("t");
        assertThat(Sql.queryString(onPrimary, "show synchronous_standby_names"))
                .isEqualTo("FIRST 1 (\"" + standby.standbyName() + "\")");
        // The same settings as the primary's; the standby waits for no standby of its own.
        assertThat(Sql.queryString(onStandby, "show max_connections")).isEqualTo("50");
        assertThat(Sql.queryString(onStandby, "show synchronous_commit")).isEqualTo("remote_apply");
        assertThat(Sql.queryString(onStandby, "show synchronous_standby_names")).isEmpty();
        assertThat(standby.toString()).isEqualTo("ThrowawayPostgres[localhost:" + standby.port() + ", standby "
                + standby.standbyName() + " of localhost:" + primary.port() + "]");
    }

    @Test
    void aRowCommittedOnThePrimaryIsReadableOnTheSynchronousStandbyAtOnce() throws SQLException {
        Sql.execute(onPrimary, "create table replicated (id int primary key, note text)");
        try (Connection c = onPrimary.getConnection();
                PreparedStatement insert = c.prepareStatement("insert into replicated values (?, ?)")) {
            for (int id = 1; id <= 20; id++) {
                insert.setInt(1, id);
                insert.setString(2, "row " + id);
                insert.executeUpdate(); // autocommit: each returns once the standby has applied it

                assertThat(Sql.queryString(onStandby, "select note from replicated where id = " + id))
                        .isEqualTo("row " + id);
            }
        } finally {
            Sql.execute(onPrimary, "drop table replicated");
        }
    }

    @Test
    void theStandbyRefusesWrites() throws SQLException {
        Sql.execute(onPrimary, "create table read_only_there (id int)");
        try {
            assertThatThrownBy(() -> Sql.execute(onStandby, "insert into read_only_there values (1)"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25006"))
                    .hasMessageContaining("cannot execute INSERT in a read-only transaction");
            assertThatThrownBy(() -> Sql.execute(onStandby, "create table nope (id int)"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25006"))
                    .hasMessageContaining("cannot execute CREATE TABLE in a read-only transaction");
        } finally {
            Sql.execute(onPrimary, "drop table read_only_there");
        }
    }

    @Test
    void standbysAreOnlyMadeFromARunningPrimaryStartedForReplication() {
        assertThatThrownBy(standby::startStandby)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(standby + " is a standby itself (in recovery); start standbys from its primary, or"
                        + " promote it first");
        assertThatThrownBy(primary::promote)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(primary + " is not a standby (it is not in recovery), so there is nothing to promote");
        assertThatThrownBy(primary::awaitCaughtUp)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(primary + " is not a standby, so there is nothing to catch up with");
        try (ThrowawayPostgres plain = ThrowawayPostgres.start()) {
            assertThatThrownBy(plain::startStandby)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith(plain + " was not started for replication, so it cannot have standbys;"
                            + " start it with ThrowawayPostgres.builder().replication(Replication.SYNCHRONOUS)");
            plain.stop();
        }
        assertThatThrownBy(() -> ThrowawayPostgres.builder().replication(Replication.SYNCHRONOUS)
                .setting("synchronous_standby_names", "x").start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server setting synchronous_standby_names is set by replication(SYNCHRONOUS), from the"
                        + " standbys it starts, so it cannot be set as a setting too");
        assertThatThrownBy(() -> ThrowawayPostgres.builder().replication(Replication.SYNCHRONOUS)
                .setting("synchronous_commit", "on").start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("server setting synchronous_commit is set by replication(SYNCHRONOUS)");
    }

    @Test
    void everyStandbyIsSynchronousAndClosingOneDropsItsSlotAndItsFiles() throws SQLException {
        ThrowawayPostgres second = primary.startStandby();
        Path data = second.dataDirectory();
        String name = second.standbyName();
        assertThat(Sql.queryString(onPrimary, "show synchronous_standby_names"))
                .isEqualTo("FIRST 2 (\"" + standby.standbyName() + "\", \"" + name + "\")");
        Sql.execute(onPrimary, "create table seen_by_both (id int)");
        Sql.execute(onPrimary, "insert into seen_by_both values (2)");
        assertThat(Sql.queryString(DataSources.unpooled(second.adminSpec()), "select id from seen_by_both"))
                .isEqualTo("2");
        assertThat(Sql.queryString(onStandby, "select id from seen_by_both")).isEqualTo("2");

        second.close();

        assertThat(second.isRunning()).isFalse();
        assertThat(Files.exists(data)).as("%s exists", data).isFalse();
        assertThat(Sql.queryString(onPrimary, "show synchronous_standby_names"))
                .isEqualTo("FIRST 1 (\"" + standby.standbyName() + "\")");
        assertThat(Sql.queryString(onPrimary, "select count(*) from pg_replication_slots where slot_name = '"
                + name + "'")).isEqualTo("0");
        // Commits wait for the remaining standby only.
        assertTimeoutPreemptively(HANG_GUARD, () -> Sql.execute(onPrimary, "drop table seen_by_both"));
        second.close(); // idempotent
    }

    @Test
    void afterTheCrashOfThePrimaryThePromotedStandbyTakesWritesAndHasEverySynchronousCommit() throws SQLException {
        try (ThrowawayPostgres oldPrimary = ThrowawayPostgres.builder().replication(Replication.SYNCHRONOUS).start();
                ThrowawayPostgres newPrimary = oldPrimary.startStandby()) {
            DataSource either = DataSources.unpooled(ConnectionSpec.parse("postgresql://postgres@localhost:"
                    + oldPrimary.port() + ",localhost:" + newPrimary.port() + "/postgres?targetServerType=primary"));
            assertThat(Sql.queryString(either, "select current_setting('port')"))
                    .isEqualTo(Integer.toString(oldPrimary.port()));
            Sql.execute(either, "create table ledger (id int primary key)");
            int committed = 0;
            try (Connection c = either.getConnection(); Statement s = c.createStatement()) {
                for (int id = 1; id <= 200; id++) {
                    s.executeUpdate("insert into ledger values (" + id + ")"); // one commit each, up to the crash
                    committed++;
                }
            }
            long postmasterPid = Long.parseLong(Sql.queryString(DataSources.unpooled(oldPrimary.adminSpec()),
                    "select pid from pg_stat_activity where backend_type = 'checkpointer'"));
            ProcessHandle postmaster = ProcessHandle.of(postmasterPid).flatMap(ProcessHandle::parent).orElseThrow();

            long crashed = System.nanoTime();
            oldPrimary.stopImmediately();
            newPrimary.promote();
            LOG.info("Failover (immediate stop and promotion) took {} ms", (System.nanoTime() - crashed) / 1_000_000);

            // Exited: gone, or a zombie where the container's first process does not reap orphans.
            assertThat(postmaster.isAlive() && !LocalProcesses.isZombie(postmaster.pid())).isFalse();
            assertThat(oldPrimary.isRunning()).isFalse();
            assertThatThrownBy(() -> DataSources.unpooled(oldPrimary.adminSpec()).getConnection())
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08001"))
                    .hasRootCauseInstanceOf(ConnectException.class);
            DataSource promoted = DataSources.unpooled(newPrimary.adminSpec());
            assertThat(Sql.queryString(promoted, "select pg_is_in_recovery()")).isEqualTo("f");
            assertThat(Sql.queryString(promoted, "select count(*) || ' ' || max(id) from ledger"))
                    .isEqualTo(committed + " " + committed);
            Sql.execute(promoted, "insert into ledger values (201)");
            assertThat(newPrimary.toString()).isEqualTo("ThrowawayPostgres[localhost:" + newPrimary.port() + "]");
            // The same multi-host spec now reaches the promoted standby: the first host refuses connections.
            assertThat(Sql.queryString(either, "select current_setting('port') || ' ' || count(*) from ledger"))
                    .isEqualTo(newPrimary.port() + " 201");
            assertThatThrownBy(newPrimary::promote)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is not a standby");
        }
    }

    @Test
    void anAsynchronousStandbyIsReadAfterItCaughtUp() throws SQLException {
        try (ThrowawayPostgres asyncPrimary = ThrowawayPostgres.builder().replication(Replication.ASYNCHRONOUS)
                .start();
                ThrowawayPostgres asyncStandby = asyncPrimary.startStandby()) {
            DataSource writes = DataSources.unpooled(asyncPrimary.adminSpec());
            DataSource reads = DataSources.unpooled(asyncStandby.adminSpec());
            assertThat(Sql.queryString(writes, "show synchronous_commit")).isEqualTo("off");
            assertThat(Sql.queryString(writes, "show synchronous_standby_names")).isEmpty();
            assertThat(Sql.queryString(writes, "select sync_state from pg_stat_replication")).isEqualTo("async");

            Sql.execute(writes, "create table lagging (id int); insert into lagging values (9)");
            asyncStandby.awaitCaughtUp();

            assertThat(Sql.queryString(reads, "select id from lagging")).isEqualTo("9");
            assertThatThrownBy(() -> Sql.execute(reads, "insert into lagging values (10)"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25006"));

            // A stopped standby comes back as a standby and catches up with what it missed.
            asyncStandby.stop();
            Sql.execute(writes, "insert into lagging values (11)");
            asyncStandby.startAgain();
            asyncStandby.awaitCaughtUp();
            assertThat(Sql.queryString(reads, "select string_agg(id::text, ',' order by id) from lagging"))
                    .isEqualTo("9,11");
            assertThat(Sql.queryString(reads, "select pg_is_in_recovery()")).isEqualTo("t");
        }
    }
}
