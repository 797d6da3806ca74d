package io.pgdock.reliability;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.ThrowawayPostgres;
import io.pgdock.testing.Wait;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A {@link ThrowawayPostgres} for the fault and soak tests, with what they all need around it: specs for the library's
 * resources, each with an {@code application_name} of its own so the tests can find, count and kill its sessions; a
 * second database for the data source factory; plain superuser connections; and waiting on a condition.
 *
 * <p>The storage role is the superuser (with schema {@value #SCHEMA}); the tests are about faults, not privileges, which
 * the {@code Privilege*} tests cover.
 *
 * <p>Thread-safe as far as the server is: the helpers open a connection per call.
 */
final class FaultServer implements AutoCloseable {
    /** The storage schema. */
    static final String SCHEMA = "rel";
    /** The database the factory's targets live in. */
    static final String TARGET_DATABASE = "targets";
    /** {@code application_name} of the storage's pool and of the config store's listening connection. */
    static final String STORAGE_APP = "pgdock-rel-storage";
    /** {@code application_name} prefix of the factory's targets. */
    static final String FACTORY_APP = "pgdock-rel-factory";

    private final ThrowawayPostgres server;

    private FaultServer(ThrowawayPostgres server) {
        this.server = server;
    }

    /** Starts a server with the given settings and creates the target database. */
    static FaultServer start(Map<String, String> settings) {
        FaultServer s = new FaultServer(ThrowawayPostgres.start(settings));
        try {
            s.execute("create database " + TARGET_DATABASE);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    ThrowawayPostgres server() {
        return server;
    }

    /** The storage's spec: short connect timeout, so calls during an outage fail fast. */
    ConnectionSpec storageSpec() {
        return server.adminSpec().toBuilder().schema(SCHEMA).applicationName(STORAGE_APP)
                .connectTimeout(Duration.ofSeconds(2)).socketTimeout(Duration.ofSeconds(20)).build();
    }

    /** A factory target in {@value #TARGET_DATABASE}, told apart by {@code application_name} {@code FACTORY_APP-n}. */
    ConnectionSpec targetSpec(int n) {
        return server.adminSpec().toBuilder().database(TARGET_DATABASE).applicationName(FACTORY_APP + "-" + n)
                .connectTimeout(Duration.ofSeconds(2)).socketTimeout(Duration.ofSeconds(20)).build();
    }

    /**
     * A new superuser connection to {@code database}, application name {@code pgdock-test-admin} (outside the
     * library's prefix {@code pgdock-rel-}); the caller closes it.
     */
    Connection admin(String database) throws SQLException {
        ConnectionSpec spec = server.adminSpec().toBuilder().database(database).applicationName("pgdock-test-admin")
                .connectTimeout(Duration.ofSeconds(2)).build();
        Properties props = spec.driverProperties();
        return DriverManager.getConnection(spec.jdbcUrl(), props);
    }

    /** Runs one statement as the superuser in database {@code postgres}. */
    void execute(String sql) {
        execute("postgres", sql);
    }

    /** Runs one statement as the superuser in {@code database}. */
    void execute(String database, String sql) {
        try (Connection c = admin(database); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row of {@code sql}, as a long (0 for SQL NULL). */
    long queryLong(String database, String sql) {
        try (Connection c = admin(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Server sessions whose {@code application_name} starts with {@code prefix}. */
    long sessions(String prefix) {
        return queryLong("postgres", "select count(*) from pg_stat_activity where application_name like '"
                + prefix.replace("'", "''") + "%'");
    }

    /** Backend pids of the sessions whose {@code application_name} starts with {@code prefix}. */
    List<Integer> pids(String prefix) {
        String sql = "select pid from pg_stat_activity where application_name like '" + prefix.replace("'", "''")
                + "%' order by pid";
        List<Integer> pids = new ArrayList<>();
        try (Connection c = admin("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                pids.add(rs.getInt(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
        return pids;
    }

    /** The sessions whose {@code application_name} starts with {@code prefix}, described for a failure message. */
    String describeSessions(String prefix) {
        String sql = "select pid, application_name, state, backend_start, left(query, 80) from pg_stat_activity"
                + " where application_name like '" + prefix.replace("'", "''") + "%' order by pid";
        StringBuilder b = new StringBuilder();
        try (Connection c = admin("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                b.append("\n  pid ").append(rs.getInt(1)).append(' ').append(rs.getString(2)).append(' ')
                        .append(rs.getString(3)).append(" since ").append(rs.getString(4)).append(": ")
                        .append(rs.getString(5));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
        return b.toString();
    }

    /**
     * Ends the given sessions with {@code pg_terminate_backend} and waits until the server no longer lists them.
     *
     * @return how many were terminated
     */
    int terminate(List<Integer> pids) {
        int ended = 0;
        for (int pid : pids) {
            ended += (int) queryLong("postgres", "select case when pg_terminate_backend(" + pid + ") then 1 else 0 end");
        }
        String list = pids.isEmpty() ? "0" : pids.toString().replace("[", "").replace("]", "");
        Wait.until(Duration.ofSeconds(20),
                () -> queryLong("postgres", "select count(*) from pg_stat_activity where pid in (" + list + ")") == 0,
                "terminated sessions " + pids + " gone");
        return ended;
    }

    @Override
    public void close() {
        server.close();
    }

    @Override
    public String toString() {
        return server.toString();
    }
}
