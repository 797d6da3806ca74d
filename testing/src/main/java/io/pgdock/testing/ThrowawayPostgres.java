package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A PostgreSQL server of a test's own, that the test may stop and start again: for code that must survive its database
 * going away (pools, retries, health checks) and for restarts in the middle of a workload.
 *
 * <pre>{@code
 * try (ThrowawayPostgres server = ThrowawayPostgres.start()) {
 *     DataSource pool = poolFor(server.adminSpec());
 *     server.stop();          // connections now fail: refused, SQLState 08001
 *     server.startAgain();    // same port, same data; returns once the server answers
 *     server.restart();       // both in one
 * }                           // stopped, and its files deleted
 * }</pre>
 *
 * <p><b>The server.</b> Always a new embedded PostgreSQL 17, from the same binaries and with the same settings as the
 * embedded {@link TestPostgres} server (it also starts when the build runs as root), and independent of it:
 * {@value TestPostgres#URL_VARIABLE} is not read, and stopping this server affects no other. It listens on
 * {@code localhost} on a free port, which it keeps across stops and starts, and trusts every local connection; the
 * superuser is {@code postgres} and the database {@code postgres} (see {@link #adminSpec()}). It runs with zonky's
 * settings for speed, {@code fsync = off} and {@code synchronous_commit = off} (and {@code max_connections = 300},
 * {@code timezone = UTC}; {@link #start(Map)} sets others): a {@link #stop()} loses nothing, but when the server's
 * processes are killed, transactions committed in the last moment before may be lost, unless they ran with
 * {@code SET synchronous_commit = on}. Starting one takes a second or two, so share it within a test class where the
 * tests allow.
 *
 * <p><b>Stop and start.</b> {@link #stop()} is a fast shutdown ({@code pg_ctl stop -m fast}): open sessions are ended,
 * the data is checkpointed, and the call returns once the server process has exited, after which connecting fails with
 * "Connection refused" (pgjdbc's SQLState {@code 08001}). {@link #startAgain()} starts it on the same data directory and
 * port and returns once it answers a query; data committed before the stop is there. While stopped, the port is free,
 * and another process could take it, in which case {@link #startAgain()} fails and says so.
 *
 * <p><b>Clean-up.</b> {@link #close()} stops the server and deletes its data directory; so does a shutdown hook at JVM
 * exit if the test did not close it. Files live under {@code java.io.tmpdir/embedded-pg}, like the embedded
 * {@link TestPostgres} server's.
 *
 * <p><b>Thread safety.</b> Thread-safe. {@link #stop()}, {@link #startAgain()}, {@link #restart()} and {@link #close()}
 * are serialised, so a test may restart the server from one thread while others use it (their connections fail while
 * it is down). {@link #close()} is idempotent; every other method but the getters then throws
 * {@link IllegalStateException}.
 */
public final class ThrowawayPostgres implements AutoCloseable {

    private static final Pattern SETTING_NAME = Pattern.compile("[a-z_][a-z0-9_.]*");
    /**
     * Setting values the server gets unchanged: zonky joins the {@code -c} options into one {@code pg_ctl -o} string that
     * a shell splits again, so spaces, quotes and shell characters are refused rather than mangled.
     */
    private static final Pattern SETTING_VALUE = Pattern.compile("[A-Za-z0-9_.:+/,-]+");

    private final EmbeddedServer server;
    private final ConnectionSpec adminSpec;
    private final Thread shutdownHook;

    private ThrowawayPostgres(EmbeddedServer server) {
        this.server = server;
        this.adminSpec = ConnectionSpec.builder()
                .host("localhost") // where the server listens, and what its own readiness check connects to
                .port(server.port())
                .database(EmbeddedServer.MAINTENANCE_DATABASE)
                .user(EmbeddedServer.SUPERUSER)
                .applicationName(TestPostgres.APPLICATION_NAME)
                .build();
        this.shutdownHook = new Thread(server::close, "pgdock-throwaway-postgres-" + server.port() + "-shutdown");
    }

    /**
     * Runs {@code initdb} in a new data directory and starts a new embedded server on a free port, returning once it
     * answers.
     *
     * @return the running server
     * @throws TestPostgresException if the server cannot be started; the message says why and quotes the server's
     *     output
     */
    public static ThrowawayPostgres start() {
        return start(Map.of());
    }

    /**
     * As {@link #start()}, with server settings of the test's choice on top of the usual ones, for example
     * {@code Map.of("max_connections", "20")} to reach the server's connection limit cheaply. The settings are passed to
     * the server as {@code -c name=value} options, so they override {@code postgresql.conf}, and they stay in force
     * across {@link #stop()}, {@link #startAgain()} and {@link #restart()}. A setting PostgreSQL does not know, or a
     * value it refuses, makes the start fail and the message quotes the server's complaint.
     *
     * @param settings server settings by name (lower-case letters, digits, {@code _} and {@code .}), each with a
     *     non-empty value of letters, digits and {@code _ . : + / , -} (values are passed through a shell by the
     *     embedded server's {@code pg_ctl}, so spaces, quotes and shell characters are refused)
     * @return the running server
     * @throws IllegalArgumentException naming the setting, if a name or value is malformed; nothing is started
     * @throws TestPostgresException if the server cannot be started, for example because it refused a setting
     */
    public static ThrowawayPostgres start(Map<String, String> settings) {
        Map<String, String> checked = checkSettings(settings);
        ThrowawayPostgres postgres = new ThrowawayPostgres(EmbeddedServer.startThrowaway(checked));
        Runtime.getRuntime().addShutdownHook(postgres.shutdownHook);
        return postgres;
    }

    private static Map<String, String> checkSettings(Map<String, String> settings) {
        Objects.requireNonNull(settings, "settings");
        Map<String, String> checked = new TreeMap<>();
        settings.forEach((name, value) -> {
            if (name == null || !SETTING_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("server setting name: must be lower-case letters, digits, _ and ., "
                        + "starting with a letter or _, but was " + (name == null ? "null" : "\"" + name + "\""));
            }
            if (value == null || !SETTING_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("server setting " + name + ": the value must be letters, digits and "
                        + "_ . : + / , - (no spaces, quotes or shell characters), but was "
                        + (value == null ? "null" : "\"" + value.replace("\n", "\\n").replace("\r", "\\r") + "\""));
            }
            checked.put(name, value);
        });
        return checked;
    }

    /**
     * The port the server listens on, on {@code localhost}; the same for the server's whole life.
     *
     * @return the port
     */
    public int port() {
        return server.port();
    }

    /**
     * How to connect as the superuser {@code postgres} to the database {@code postgres}: host {@code localhost}, this
     * server's port, no password (the server trusts local connections), application name {@code pgdock-testing}. Valid
     * across stops and starts.
     *
     * @return the superuser's connection settings
     */
    public ConnectionSpec adminSpec() {
        return adminSpec;
    }

    /**
     * Whether the server process runs: true from {@link #start()} until {@link #stop()} or {@link #close()}, and again
     * from {@link #startAgain()}. Asks the operating system, so it also notices a server that was killed.
     *
     * @return {@code true} if the server process is alive
     */
    public boolean isRunning() {
        return server.isRunning();
    }

    /**
     * Stops the server with a fast shutdown, keeping its data, and returns once the process has exited: connecting then
     * fails with "Connection refused". Does nothing if the server is not running.
     *
     * @throws IllegalStateException if closed
     * @throws TestPostgresException if the server does not stop; the message quotes its log
     */
    public void stop() {
        server.stop();
    }

    /**
     * Starts the stopped server again, on the same port and data, and returns once it answers a query. Does nothing if
     * it is running. Also brings back a server whose processes were all killed (PostgreSQL then recovers from its write-ahead log).
     *
     * @throws IllegalStateException if closed
     * @throws TestPostgresException if the server does not start and answer within a minute, for example because
     *     another process took its port; the message quotes the server's log
     */
    public void startAgain() {
        server.startAgain();
    }

    /**
     * {@link #stop()} then {@link #startAgain()}: every session is ended, and the server is back, on the same port and
     * data, when this returns.
     *
     * @throws IllegalStateException if closed
     * @throws TestPostgresException if the server does not stop, or does not start and answer within a minute
     */
    public void restart() {
        server.restart();
    }

    /**
     * Makes every role but the superuser log in with its password: rewrites {@code pg_hba.conf} to trust only
     * {@code postgres} and to ask every other role for a SCRAM password over TCP, then reloads the configuration. Use it
     * to test wrong passwords and password rotation, which a trusting server cannot show.
     *
     * @throws IllegalStateException if closed or not running
     * @throws TestPostgresException if the file cannot be written or the reload fails
     */
    public void requirePasswords() {
        if (!isRunning()) {
            throw new IllegalStateException("the server is not running: " + this);
        }
        try {
            Files.writeString(dataDirectory().resolve("pg_hba.conf"), String.join("\n",
                    "host all postgres 127.0.0.1/32 trust",
                    "host all postgres ::1/128 trust",
                    "host all all 127.0.0.1/32 scram-sha-256",
                    "host all all ::1/128 scram-sha-256", ""));
        } catch (IOException e) {
            throw new TestPostgresException("cannot write pg_hba.conf of " + this + ": " + e.getMessage(), e);
        }
        try (Connection c = DataSources.unpooled(adminSpec()).getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new TestPostgresException("cannot reload the configuration of " + this + ": " + e.getMessage(), e);
        }
    }

    /** The data directory, kept across stops and starts; for tests of this class. */
    Path dataDirectory() {
        return server.dataDirectory();
    }

    /**
     * Stops the server if it runs and deletes its data directory and log. Idempotent. Failures are logged, not thrown, so
     * that closing never hides a test's own failure.
     */
    @Override
    public void close() {
        server.close();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook then finds the server closed.
        }
    }

    /** The port, for logs. */
    @Override
    public String toString() {
        return "ThrowawayPostgres[localhost:" + server.port() + "]";
    }
}
