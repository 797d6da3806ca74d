package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.SslMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server of a test's own, that the test may stop and start again, crash, replicate and fail over, or put
 * behind TLS: for code that must survive its database going away (pools, retries, health checks), that runs against a
 * primary and its standbys, or that must connect with TLS.
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
 * {@code timezone = UTC}; {@link #start(Map)} and {@link Builder#setting(String, String)} set others): a {@link #stop()}
 * loses nothing, but when the server's processes are killed, or stopped with {@link #stopImmediately()}, transactions
 * committed in the last moment before may be lost, unless they ran with {@code SET synchronous_commit = on}. Starting
 * one takes a second or two, so share it within a test class where the tests allow.
 *
 * <p><b>Stop and start.</b> {@link #stop()} is a fast shutdown ({@code pg_ctl stop -m fast}): open sessions are ended,
 * the data is checkpointed, and the call returns once the server process has exited, after which connecting fails with
 * "Connection refused" (pgjdbc's SQLState {@code 08001}). {@link #stopImmediately()} is the crash-like immediate
 * shutdown. {@link #startAgain()} starts it on the same data directory and port and returns once it answers a query;
 * data committed before the stop is there. While stopped, the port is free, and another process could take it, in
 * which case {@link #startAgain()} fails and says so.
 *
 * <p><b>Streaming replication and failover.</b> A server started with {@link Builder#replication(Replication)} is a
 * primary that {@link #startStandby()} makes streaming standbys of, each a {@code ThrowawayPostgres} of its own on its
 * own port, and a hot standby (it answers reads; a write fails with SQLState {@code 25006},
 * {@code read_only_sql_transaction}):
 * <pre>{@code
 * try (ThrowawayPostgres primary = ThrowawayPostgres.builder().replication(Replication.SYNCHRONOUS).start();
 *         ThrowawayPostgres standby = primary.startStandby()) {
 *     ConnectionSpec both = ConnectionSpec.parse("postgresql://postgres@localhost:" + primary.port()
 *             + ",localhost:" + standby.port() + "/postgres?targetServerType=primary");
 *     ...                         // commits on the primary are on the standby when they return
 *     primary.stopImmediately();  // the primary crashes
 *     standby.promote();          // the standby is a primary now: it takes writes, and "both" reaches it
 * }
 * }</pre>
 * The standby is made as PostgreSQL's documentation describes for a base backup without {@code pg_basebackup}: a
 * physical replication slot on the primary (so that it keeps the write-ahead log the standby has not received), the
 * low-level backup API ({@code pg_backup_start(label, fast => true)}, a copy of the data directory, without
 * {@code pg_wal}'s files, {@code postmaster.pid}, {@code postmaster.opts}, the contents of {@code pg_replslot} and
 * the other directories the server rebuilds, then {@code pg_backup_stop()}, whose {@code backup_label} goes into the
 * copy), {@code standby.signal}, and {@code primary_conninfo} and {@code primary_slot_name} in the copy's
 * {@code postgresql.auto.conf}. The standby runs the same binaries with the same settings. {@link #startStandby()}
 * returns once the standby streams from the primary and has replayed everything committed before the call. In
 * {@link Replication#SYNCHRONOUS} mode every standby of the primary is synchronous, and commits wait until each has
 * applied them; in {@link Replication#ASYNCHRONOUS} mode, a test waits with {@link #awaitCaughtUp()}.
 * {@link #promote()} ({@code pg_promote}) turns a standby into a primary. Tablespaces are not supported: a primary
 * with one refuses to start a standby (IllegalStateException).
 *
 * <p><b>TLS.</b> {@link Builder#tls(TestCertificates)} starts the server with {@code ssl = on} and a server
 * certificate from {@link TestCertificates}, which the server keeps copies of in its data directory (so that standbys
 * have them too); {@link Builder#requireClientCertificate(String)} and {@link Builder#rejectNonTls()} add the
 * {@code pg_hba.conf} rules. {@link #adminSpec()} then connects with {@code sslmode=verify-ca} against the test CA.
 *
 * <p><b>Clean-up.</b> {@link #close()} stops the server and deletes its data directory; so does a shutdown hook at JVM
 * exit if the test did not close it. Files live under {@code java.io.tmpdir/embedded-pg}, like the embedded
 * {@link TestPostgres} server's. Closing a standby also drops its replication slot and takes it out of the primary's
 * synchronous standbys, where the primary runs. Closing a primary leaves its standbys running (they retry to connect).
 *
 * <p><b>Thread safety.</b> Thread-safe. {@link #stop()}, {@link #stopImmediately()}, {@link #startAgain()},
 * {@link #restart()} and {@link #close()} are serialised, so a test may restart the server from one thread while others
 * use it (their connections fail while it is down); so are {@link #startStandby()} and the changes to a primary's
 * standbys. {@link #close()} is idempotent; every other method but the getters then throws
 * {@link IllegalStateException}. Builders are not thread-safe.
 */
public final class ThrowawayPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ThrowawayPostgres.class);

    private static final Pattern SETTING_NAME = Pattern.compile("[a-z_][a-z0-9_.]*");
    /**
     * Setting values the server gets unchanged: zonky joins the {@code -c} options into one {@code pg_ctl -o} string that
     * a shell splits again, so spaces, quotes and shell characters are refused rather than mangled.
     */
    private static final Pattern SETTING_VALUE = Pattern.compile("[A-Za-z0-9_.:+/,-]+");

    /** How long the waits of replication and promotion go on before they fail, as a hang guard. */
    private static final Duration WAIT = EmbeddedServer.STARTUP_WAIT;
    /** How long closing a standby waits for its primary to let go of the standby's replication slot. */
    private static final Duration SLOT_RELEASE_WAIT = Duration.ofSeconds(15);

    /** What a primary runs with, unless the test sets otherwise; PostgreSQL 17's defaults, made explicit. */
    private static final Map<String, String> REPLICATION_SETTINGS = Map.of("wal_level", "replica",
            "max_wal_senders", "10", "max_replication_slots", "10", "hot_standby", "on");

    /** The TLS files in the data directory, relative to it, which is how the server finds them. */
    private static final String SERVER_CERTIFICATE_FILE = "pgdock-server.crt";
    private static final String SERVER_KEY_FILE = "pgdock-server.key";
    private static final String CA_CERTIFICATE_FILE = "pgdock-ca.crt";
    private static final List<String> TLS_SETTINGS = List.of("ssl", "ssl_cert_file", "ssl_key_file", "ssl_ca_file");

    private static final List<String> LOOPBACK = List.of("127.0.0.1/32", "::1/128");

    private static final AtomicInteger STANDBY_NUMBERS = new AtomicInteger();

    /** The prefix of the logical decoding messages that the replication waits write into the log: {@value}. */
    private static final String WAL_MESSAGE_PREFIX = "pgdock-testing";

    /**
     * How a primary's commits wait for its standbys: the choice of {@link Builder#replication(Replication)}.
     */
    public enum Replication {
        /**
         * Commits return without waiting for any standby ({@code synchronous_commit} stays {@code off}, as on every
         * throwaway server): a standby may lag behind, so a test that reads there waits with
         * {@link ThrowawayPostgres#awaitCaughtUp()}, and a crash of the primary may lose the last commits.
         */
        ASYNCHRONOUS,
        /**
         * Every standby of the primary is synchronous ({@code synchronous_standby_names = 'FIRST n (...)'} naming
         * all of them) and commits wait until each has applied them ({@code synchronous_commit = remote_apply}): once
         * the primary acknowledges a commit, the row is visible on every standby and survives a failover to any of
         * them. While a standby is stopped, commits on the primary wait for it; with no standby (none started yet,
         * or all closed or promoted), commits wait only for the primary's own disk.
         */
        SYNCHRONOUS
    }

    /** What the builder chose; the same for a primary and its standbys. */
    private record Setup(Map<String, String> settings, @Nullable Replication replication, @Nullable Tls tls) {
    }

    /** The TLS choices of the builder. */
    private record Tls(TestCertificates.CertifiedKey serverCertificate, Path caCertificate,
            Set<String> certificateRoles, boolean rejectNonTls) {
    }

    private final EmbeddedServer server;
    private final Setup setup;
    private final ConnectionSpec adminSpec;
    private final Thread shutdownHook;
    /** This standby's name: its {@code application_name} on the primary and its replication slot; null otherwise. */
    private final @Nullable String standbyName;
    private final Object lock = new Object();
    private final List<ThrowawayPostgres> standbys = new ArrayList<>(); // guarded by lock; attached, in start order
    private volatile @Nullable ThrowawayPostgres primary; // written under lock; until promoted or closed
    private boolean passwordsRequired; // guarded by lock
    private boolean synchronousNamesStale; // guarded by lock: standbys changed while the server was stopped

    private ThrowawayPostgres(EmbeddedServer server, Setup setup, @Nullable ThrowawayPostgres primary,
            @Nullable String standbyName) {
        this.server = server;
        this.setup = setup;
        this.primary = primary;
        this.standbyName = standbyName;
        ConnectionSpec.Builder admin = ConnectionSpec.builder()
                .host("localhost") // where the server listens, and what its own readiness check connects to
                .port(server.port())
                .database(EmbeddedServer.MAINTENANCE_DATABASE)
                .user(EmbeddedServer.SUPERUSER)
                .applicationName(TestPostgres.APPLICATION_NAME);
        if (setup.tls() != null) {
            admin.sslMode(SslMode.VERIFY_CA).option("sslrootcert",
                    server.dataDirectory().resolve(CA_CERTIFICATE_FILE).toString());
        }
        this.adminSpec = admin.build();
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
        return builder().start();
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
        return builder().settings(settings).start();
    }

    /**
     * A builder for a server with settings, replication or TLS of the test's choice.
     *
     * @return a new builder, for a plain server like {@link #start()}'s
     */
    public static Builder builder() {
        return new Builder();
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
     * server's port, no password (the server trusts local connections), application name {@code pgdock-testing}; for a
     * TLS server also {@code sslmode=verify-ca} with the test CA's certificate ({@code sslrootcert}, a copy in the data
     * directory), which any of {@link TestCertificates}' server certificates passes. Valid across stops and starts.
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
     * Stops the server as a crash would: an immediate shutdown ({@code pg_ctl stop -m immediate}), where every server
     * process quits at once, open sessions see their connection drop, and nothing is checkpointed. Returns once the
     * postmaster process has exited; connecting then fails with "Connection refused". {@link #startAgain()} recovers
     * from the write-ahead log, keeping every commit that reached it (see the class comment on
     * {@code synchronous_commit}). Does nothing if the server is not running. The first stop of a server lets zonky
     * release its lock on the data directory, and zonky then logs that it "Could not stop postmaster": expected.
     *
     * @throws IllegalStateException if closed
     * @throws TestPostgresException if the server does not stop within a minute; the message quotes its log
     */
    public void stopImmediately() {
        server.stopImmediately();
    }

    /**
     * Starts the stopped server again, on the same port and data, and returns once it answers a query. Does nothing if
     * it is running. Also brings back a server whose processes were all killed (PostgreSQL then recovers from its write-ahead log).
     * A standby comes back as a standby; a primary whose standbys were closed or promoted meanwhile no longer waits for
     * them.
     *
     * @throws IllegalStateException if closed
     * @throws TestPostgresException if the server does not start and answer within a minute, for example because
     *     another process took its port; the message quotes the server's log
     */
    public void startAgain() {
        synchronized (lock) {
            server.startAgain();
            applyStaleSynchronousNames();
        }
    }

    /**
     * {@link #stop()} then {@link #startAgain()}: every session is ended, and the server is back, on the same port and
     * data, when this returns.
     *
     * @throws IllegalStateException if closed
     * @throws TestPostgresException if the server does not stop, or does not start and answer within a minute
     */
    public void restart() {
        synchronized (lock) {
            server.restart();
            applyStaleSynchronousNames();
        }
    }

    /**
     * Makes every role but the superuser log in with its password: rewrites {@code pg_hba.conf} to trust only
     * {@code postgres} and to ask every other role for a SCRAM password over TCP, then reloads the configuration. Use it
     * to test wrong passwords and password rotation, which a trusting server cannot show. Replication connections of
     * {@code postgres} and the TLS rules of the builder stay as they were.
     *
     * @throws IllegalStateException if closed or not running
     * @throws TestPostgresException if the file cannot be written or the reload fails
     */
    public void requirePasswords() {
        synchronized (lock) {
            requireRunning("require passwords");
            passwordsRequired = true;
            writePgHba();
        }
        try (Connection c = adminConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new TestPostgresException("cannot reload the configuration of " + this + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts a streaming standby of this primary, on its own free port, and returns once it streams from this server
     * and has replayed everything committed here before the call; in {@link Replication#SYNCHRONOUS} mode, also once
     * this server's commits wait for it (which the call proves with a commit that has to wait while the standby's
     * replay is paused; it writes a logical decoding message with the prefix {@code pgdock-testing}). See the class
     * comment for how the standby is made. It is a hot standby: it answers queries, and refuses writes with SQLState
     * {@code 25006}. Close it like any other {@code ThrowawayPostgres}.
     *
     * @return the running standby
     * @throws IllegalStateException if this server was not started with {@link Builder#replication(Replication)}, is
     *     a standby itself, is closed or not running
     * @throws TestPostgresException if the base backup, the start or the streaming fails, or the standby does not
     *     stream within a minute; the message quotes the standby's log, and nothing is left behind
     */
    public ThrowawayPostgres startStandby() {
        if (setup.replication() == null) {
            throw new IllegalStateException(this + " was not started for replication, so it cannot have standbys;"
                    + " start it with ThrowawayPostgres.builder().replication(Replication.SYNCHRONOUS) (or"
                    + " ASYNCHRONOUS)");
        }
        synchronized (lock) {
            requireRunning("start a standby");
            if (inRecovery()) {
                throw new IllegalStateException(this + " is a standby itself (in recovery); start standbys from its"
                        + " primary, or promote it first");
            }
            refuseTablespaces();
            long started = System.nanoTime();
            String name = "pgdock_standby_" + STANDBY_NUMBERS.incrementAndGet();
            createSlot(name);
            ThrowawayPostgres standby;
            try {
                EmbeddedServer standbyServer = EmbeddedServer.startOnCopy(setup.settings(),
                        directory -> baseBackup(directory, name));
                standby = new ThrowawayPostgres(standbyServer, setup, this, name);
                standby.passwordsRequired = passwordsRequired; // its pg_hba.conf is a copy of this server's
            } catch (RuntimeException e) {
                dropSlot(name, e);
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(standby.shutdownHook);
            try {
                standby.awaitStreaming(this);
                standbys.add(standby);
                if (setup.replication() == Replication.SYNCHRONOUS) {
                    applySynchronousNames();
                    standby.awaitSynchronous(this);
                } else {
                    standby.awaitCaughtUp();
                }
            } catch (RuntimeException e) {
                standby.close(); // takes it out of the standbys again and drops its slot
                throw e;
            }
            LOG.info("{} streams from {} ({}; base backup, start and catch-up took {} ms)", standby, this,
                    setup.replication(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return standby;
        }
    }

    /**
     * Waits until this standby has replayed everything its primary had committed when the call began, including commits
     * made with {@code synchronous_commit = off}: the primary writes a mark into its write-ahead log and flushes it, with
     * everything before ({@code pg_logical_emit_message(false, 'pgdock-testing', ..., flush => true)}: no data, but a
     * logical decoding client sees the message), then this waits until the standby's replay has passed the mark. For
     * {@link Replication#ASYNCHRONOUS} standbys, before a test reads what it wrote on the primary.
     *
     * @throws IllegalStateException if this is not a standby (or was promoted), or it or its primary does not run
     * @throws TestPostgresException if the standby does not catch up within a minute
     */
    public void awaitCaughtUp() {
        ThrowawayPostgres from = primary;
        if (from == null) {
            throw new IllegalStateException(this + " is not a standby, so there is nothing to catch up with");
        }
        requireRunning("catch up");
        from.requireRunning("be caught up with");
        String target;
        try (Connection c = from.adminConnection()) {
            // A record of its own, flushed with everything before it; the result is the record's end.
            target = queryString(c, "SELECT pg_logical_emit_message(false, '" + WAL_MESSAGE_PREFIX
                    + "', 'catch-up mark', true)");
        } catch (SQLException e) {
            throw new TestPostgresException("Could not read the write-ahead log position of " + from + ": "
                    + e.getMessage(), e);
        }
        SqlAwait.until(adminSpec, WAIT, this + " did not replay its primary's write-ahead log up to " + target,
                c -> "t".equals(queryString(c, "SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn")));
    }

    /**
     * Promotes this standby to a primary ({@code pg_promote(wait => true)}) and returns once it is one:
     * {@code pg_is_in_recovery()} is false, and it takes writes. It is then no longer a standby of its former primary:
     * that one stops waiting for it (in {@link Replication#SYNCHRONOUS} mode, where it runs, or else when it starts
     * again) and drops its replication slot where it runs. A promoted server can have standbys of its own. If the former
     * primary still runs, or is started again, there are two primaries, as in a real split brain; that is the test's
     * choice.
     *
     * @throws IllegalStateException if this server is not a standby (not in recovery), is closed or not running
     * @throws TestPostgresException if the promotion does not finish within a minute; the message quotes the log
     */
    public void promote() {
        ThrowawayPostgres formerPrimary;
        synchronized (lock) {
            requireRunning("promote");
            long started = System.nanoTime();
            try (Connection c = adminConnection()) {
                if (!"t".equals(queryString(c, "SELECT pg_is_in_recovery()"))) {
                    throw new IllegalStateException(this + " is not a standby (it is not in recovery), so there is"
                            + " nothing to promote");
                }
                if (!"t".equals(queryString(c, "SELECT pg_promote(true, " + WAIT.toSeconds() + ")"))) {
                    throw new TestPostgresException(this + " did not finish its promotion within " + WAIT
                            + server.quotedLog(), null);
                }
                if (!"f".equals(queryString(c, "SELECT pg_is_in_recovery()"))) {
                    throw new TestPostgresException(this + " is still in recovery after pg_promote returned"
                            + server.quotedLog(), null);
                }
            } catch (SQLException e) {
                throw new TestPostgresException("Could not promote " + this + ": " + e.getMessage()
                        + server.quotedLog(), e);
            }
            formerPrimary = primary;
            primary = null;
            LOG.info("{} promoted to a primary in {} ms", this,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
        if (formerPrimary != null) {
            formerPrimary.detach(this);
            formerPrimary.dropSlot(slotName(), null);
        }
    }

    /** The data directory, kept across stops and starts; for tests of this class. */
    Path dataDirectory() {
        return server.dataDirectory();
    }

    /** The last lines of the server log, under a header; for tests of this class. */
    String quotedLog() {
        return server.quotedLog();
    }

    /** This standby's name on its primary (application name and replication slot), or null; for tests. */
    @Nullable String standbyName() {
        return standbyName;
    }

    /**
     * Stops the server if it runs and deletes its data directory and log. Idempotent. A standby first leaves its
     * primary's synchronous standbys and afterwards drops its replication slot there, where the primary runs. Failures
     * are logged, not thrown, so that closing never hides a test's own failure.
     */
    @Override
    public void close() {
        ThrowawayPostgres formerPrimary;
        synchronized (lock) {
            formerPrimary = primary;
            primary = null;
        }
        if (formerPrimary != null) {
            formerPrimary.detach(this); // first, so that the primary's commits stop waiting for this standby
        }
        server.close();
        if (formerPrimary != null) {
            formerPrimary.dropSlot(slotName(), null);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook then finds the server closed.
        }
    }

    /** The port, and the primary's for a standby, for logs. */
    @Override
    public String toString() {
        ThrowawayPostgres from = primary;
        return "ThrowawayPostgres[localhost:" + server.port()
                + (from == null ? "" : ", standby " + standbyName + " of localhost:" + from.port()) + "]";
    }

    // ---- Starting --------------------------------------------------------------------------------------------------

    private static ThrowawayPostgres launch(Setup setup) {
        ThrowawayPostgres postgres = new ThrowawayPostgres(EmbeddedServer.startThrowaway(setup.settings()), setup,
                null, null);
        Runtime.getRuntime().addShutdownHook(postgres.shutdownHook);
        Tls tls = setup.tls();
        if (tls != null) {
            try {
                postgres.configureTls(tls);
            } catch (RuntimeException e) {
                postgres.close();
                throw e;
            }
        }
        return postgres;
    }

    /**
     * Turns TLS on: copies the certificate files into the data directory, creates the roles that must show a client
     * certificate, sets {@code ssl} and its files with {@code ALTER SYSTEM}, writes {@code pg_hba.conf} and restarts, so
     * that a certificate the server cannot load fails here, quoting the server's complaint.
     */
    private void configureTls(Tls tls) {
        Path data = dataDirectory();
        ConnectionSpec beforeTls = adminSpec.toBuilder().sslMode(SslMode.DISABLE).option("sslrootcert", null).build();
        try {
            copyFile(tls.serverCertificate().certificate(), data.resolve(SERVER_CERTIFICATE_FILE), "rw-r--r--");
            copyFile(tls.serverCertificate().privateKey(), data.resolve(SERVER_KEY_FILE), "rw-------");
            copyFile(tls.caCertificate(), data.resolve(CA_CERTIFICATE_FILE), "rw-r--r--");
            try (Connection c = DataSources.unpooled(beforeTls).getConnection(); Statement s = c.createStatement()) {
                for (String role : tls.certificateRoles()) {
                    if (queryString(c, "SELECT 1 FROM pg_roles WHERE rolname = '" + role + "'") == null) {
                        s.execute("CREATE ROLE " + role + " LOGIN");
                    }
                }
                s.execute("ALTER SYSTEM SET ssl = on");
                s.execute("ALTER SYSTEM SET ssl_cert_file = '" + SERVER_CERTIFICATE_FILE + "'");
                s.execute("ALTER SYSTEM SET ssl_key_file = '" + SERVER_KEY_FILE + "'");
                s.execute("ALTER SYSTEM SET ssl_ca_file = '" + CA_CERTIFICATE_FILE + "'");
            }
            synchronized (lock) {
                writePgHba();
            }
        } catch (IOException | SQLException e) {
            throw new TestPostgresException("Could not configure TLS on " + this + ": " + e + server.quotedLog(), e);
        }
        server.restart();
        try (Connection c = adminConnection()) {
            if (!"t".equals(queryString(c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))) {
                throw new TestPostgresException(this + " was restarted with ssl = on, but its own connection does not"
                        + " use TLS" + server.quotedLog(), null);
            }
        } catch (SQLException e) {
            throw new TestPostgresException(this + " was restarted with ssl = on, but a TLS connection"
                    + " (sslmode=verify-ca with the test CA) fails: " + e.getMessage() + server.quotedLog(), e);
        }
    }

    /**
     * Writes {@code pg_hba.conf} from what the builder and {@link #requirePasswords()} chose; the first matching line
     * wins. Without TLS rules and passwords, the same as initdb's trusting file.
     */
    private void writePgHba() {
        List<String> lines = new ArrayList<>();
        lines.add("# Written by pgdock-testing's ThrowawayPostgres. TYPE DATABASE USER ADDRESS METHOD");
        lines.add("local all all trust");
        lines.add("local replication all trust");
        Tls tls = setup.tls();
        if (tls != null) {
            for (String role : tls.certificateRoles()) {
                LOOPBACK.forEach(address -> lines.add("hostssl all " + role + " " + address + " cert"));
                LOOPBACK.forEach(address -> lines.add("hostnossl all " + role + " " + address + " reject"));
            }
            if (tls.rejectNonTls()) {
                LOOPBACK.forEach(address -> lines.add("hostnossl all all " + address + " reject"));
                LOOPBACK.forEach(address -> lines.add("hostnossl replication all " + address + " reject"));
            }
        }
        LOOPBACK.forEach(address -> lines.add("host replication " + EmbeddedServer.SUPERUSER + " " + address
                + " trust"));
        if (passwordsRequired) {
            LOOPBACK.forEach(address -> lines.add("host all " + EmbeddedServer.SUPERUSER + " " + address + " trust"));
            LOOPBACK.forEach(address -> lines.add("host all all " + address + " scram-sha-256"));
        } else {
            LOOPBACK.forEach(address -> lines.add("host all all " + address + " trust"));
        }
        try {
            Files.writeString(dataDirectory().resolve("pg_hba.conf"), String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new TestPostgresException("cannot write pg_hba.conf of " + this + ": " + e.getMessage(), e);
        }
    }

    // ---- Replication: the primary's side ---------------------------------------------------------------------------

    private void refuseTablespaces() {
        String tablespaces;
        try (Connection c = adminConnection()) {
            tablespaces = queryString(c, "SELECT string_agg(spcname, ', ') FROM pg_tablespace"
                    + " WHERE spcname NOT IN ('pg_default', 'pg_global')");
        } catch (SQLException e) {
            throw new TestPostgresException("Could not list the tablespaces of " + this + ": " + e.getMessage(), e);
        }
        if (tablespaces != null) {
            throw new IllegalStateException(this + " has tablespaces (" + tablespaces + "), which a standby of a"
                    + " ThrowawayPostgres cannot have: the copy would share their directories with the primary");
        }
    }

    private void createSlot(String name) {
        try (Connection c = adminConnection();
                PreparedStatement s = c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
            s.setString(1, name);
            s.execute();
        } catch (SQLException e) {
            throw new TestPostgresException("Could not create the replication slot " + name + " on " + this + ": "
                    + e.getMessage(), e);
        }
    }

    /** This standby's replication slot on its primary: a server with a primary was started as a named standby. */
    private String slotName() {
        return Objects.requireNonNull(standbyName, "standbyName");
    }

    /**
     * Drops a standby's replication slot once the standby has let go of it (the primary's WAL sender for it ends soon
     * after the standby stops or is promoted). Never throws; a failure is logged, or added to {@code failure}.
     */
    private void dropSlot(String name, @Nullable RuntimeException failure) {
        if (!isRunning()) {
            return; // nothing to do for a stopped primary: its files go on close
        }
        try {
            SqlAwait.until(adminSpec, SLOT_RELEASE_WAIT, "the replication slot " + name + " on " + this
                    + " is still in use", c -> {
                        try (PreparedStatement s = c.prepareStatement(
                                "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
                            s.setString(1, name);
                            try (ResultSet rs = s.executeQuery()) {
                                if (!rs.next()) {
                                    return true;
                                }
                                if (rs.getBoolean(1)) {
                                    return false;
                                }
                            }
                        }
                        try (PreparedStatement s = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                            s.setString(1, name);
                            s.execute(); // an SQLException (it became active again) means: try again
                        }
                        return true;
                    });
        } catch (RuntimeException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                LOG.warn("Could not drop the replication slot {} on {}", name, this, e);
            }
        }
    }

    /**
     * Makes {@code target} a base backup of this server and a streaming standby of it; see {@link BaseBackup}.
     */
    private void baseBackup(Path target, String name) throws IOException, SQLException {
        try (Connection c = adminConnection()) {
            BaseBackup.copy(c, dataDirectory(), target, "pgdock-testing " + name);
        }
        BaseBackup.makeStandby(target, "host=localhost port=" + port() + " user=" + EmbeddedServer.SUPERUSER
                + " application_name=" + name, name);
    }

    /** Sets {@code synchronous_standby_names} to name every attached standby, or none; the caller holds the lock. */
    private void applySynchronousNames() {
        String sql = standbys.isEmpty() ? "ALTER SYSTEM RESET synchronous_standby_names"
                : "ALTER SYSTEM SET synchronous_standby_names = 'FIRST " + standbys.size() + " ("
                        + standbys.stream().map(s -> '"' + s.standbyName + '"').collect(Collectors.joining(", "))
                        + ")'";
        try (Connection c = adminConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
            s.execute("SELECT pg_reload_conf()");
            synchronousNamesStale = false;
        } catch (SQLException e) {
            throw new TestPostgresException("Could not set the synchronous standbys of " + this + " (" + sql + "): "
                    + e.getMessage(), e);
        }
    }

    private void applyStaleSynchronousNames() {
        if (synchronousNamesStale && !inRecovery()) {
            applySynchronousNames();
        }
    }

    /** Takes a standby out of this primary's standbys, and of its synchronous standbys. Never throws. */
    private void detach(ThrowawayPostgres standby) {
        synchronized (lock) {
            if (!standbys.remove(standby) || setup.replication() != Replication.SYNCHRONOUS) {
                return;
            }
            if (!isRunning()) {
                synchronousNamesStale = true; // applied by the next startAgain()
                return;
            }
            try {
                applySynchronousNames();
            } catch (RuntimeException e) {
                synchronousNamesStale = true;
                LOG.warn("Could not take {} out of the synchronous standbys of {}", standby, this, e);
            }
        }
    }

    // ---- Replication: the standby's side ---------------------------------------------------------------------------

    /** Waits until this standby's WAL receiver streams, and the primary's WAL sender for it does. */
    private void awaitStreaming(ThrowawayPostgres from) {
        SqlAwait.until(adminSpec, WAIT, this + " does not stream from " + from + server.quotedLog(),
                c -> "streaming".equals(queryString(c, "SELECT status FROM pg_stat_wal_receiver")));
        SqlAwait.until(from.adminSpec, WAIT, from + " does not stream to " + this,
                c -> "streaming".equals(stateOnPrimary(c, "state")));
    }

    /** A column of the primary's {@code pg_stat_replication} row for this standby, or null if there is none. */
    private @Nullable String stateOnPrimary(Connection primaryConnection, String column) throws SQLException {
        try (PreparedStatement s = primaryConnection.prepareStatement(
                "SELECT " + column + " FROM pg_stat_replication WHERE application_name = ?")) {
            s.setString(1, standbyName);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /**
     * Waits until the primary's commits wait for this standby. The primary ranks the standby as {@code sync} in
     * {@code pg_stat_replication} as soon as its WAL sender has reloaded the configuration, but whether a commit waits
     * is decided by a flag that the checkpointer sets when it reloads, which no view shows. So this pauses the
     * standby's replay and commits, on the primary, a transaction that writes a logical decoding message (prefix
     * {@value #WAL_MESSAGE_PREFIX}; a commit that wrote nothing to the log never waits): once that commit is seen
     * waiting ({@code SyncRep} in {@code pg_stat_activity}), synchronous replication is in force; if it completes
     * instead, the check is repeated. Replay resumes, and the commit completes, in every case.
     */
    private void awaitSynchronous(ThrowawayPostgres from) {
        SqlAwait.until(from.adminSpec, WAIT, from + " does not rank " + this + " as a synchronous standby",
                c -> "sync".equals(stateOnPrimary(c, "sync_state")));
        Deadline deadline = Deadline.after(WAIT);
        ExecutorService probeThread = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "pgdock-synchronous-commit-probe-" + port());
            thread.setDaemon(true);
            return thread;
        });
        try (Connection standby = adminConnection(); Connection observer = from.adminConnection()) {
            while (!probeCommitWaits(standby, observer, from, probeThread, deadline)) {
                if (deadline.passed()) {
                    throw new TestPostgresException("The commits of " + from + " do not wait for " + this
                            + " within " + WAIT, null);
                }
                deadline.pause();
            }
        } catch (SQLException e) {
            throw new TestPostgresException("Could not check that " + from + " waits for " + this + ": "
                    + e.getMessage(), e);
        } finally {
            probeThread.shutdownNow();
        }
    }

    /** One probe of {@link #awaitSynchronous}: whether a commit on the primary waits while this standby is paused. */
    private boolean probeCommitWaits(Connection standby, Connection observer, ThrowawayPostgres from,
            ExecutorService probeThread, Deadline deadline) throws SQLException {
        try (Connection probe = from.adminConnection()) {
            String probePid = queryString(probe, "SELECT pg_backend_pid()");
            probe.setAutoCommit(false);
            queryString(standby, "SELECT pg_wal_replay_pause()");
            Future<Void> commit;
            boolean waited = false;
            try {
                SqlAwait.until(standby, deadline, this + " does not pause its replay",
                        c -> "paused".equals(queryString(c, "SELECT pg_get_wal_replay_pause_state()")));
                commit = probeThread.submit(() -> {
                    // A commit waits for standbys only if its transaction wrote to the log: this writes a message.
                    queryString(probe, "SELECT pg_logical_emit_message(true, '" + WAL_MESSAGE_PREFIX
                            + "', 'synchronous commit probe')");
                    probe.commit();
                    return null;
                });
                while (!commit.isDone() && !waited) {
                    waited = "SyncRep".equals(queryString(observer,
                            "SELECT wait_event FROM pg_stat_activity WHERE pid = " + probePid));
                    if (!waited && deadline.passed()) {
                        throw new TestPostgresException("A commit on " + from + " neither waited for " + this
                                + " nor finished within " + WAIT, null);
                    }
                    if (!waited) {
                        deadline.pause();
                    }
                }
            } finally {
                queryString(standby, "SELECT pg_wal_replay_resume()");
            }
            try {
                commit.get(Math.max(1, deadline.remaining().toMillis()), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new TestPostgresException("The probe commit on " + from + " failed: " + e.getCause(),
                        e.getCause());
            } catch (TimeoutException e) {
                throw new TestPostgresException("The probe commit on " + from + " did not finish within " + WAIT
                        + " after " + this + " resumed its replay", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestPostgresException("Interrupted while waiting for the probe commit on " + from, e);
            }
            return waited;
        }
    }

    // ---- Helpers ---------------------------------------------------------------------------------------------------

    private Connection adminConnection() throws SQLException {
        return DataSources.unpooled(adminSpec).getConnection();
    }

    private boolean inRecovery() {
        try (Connection c = adminConnection()) {
            return "t".equals(queryString(c, "SELECT pg_is_in_recovery()"));
        } catch (SQLException e) {
            throw new TestPostgresException("Could not ask " + this + " whether it is in recovery: " + e.getMessage(),
                    e);
        }
    }

    private void requireRunning(String toDo) {
        if (!isRunning()) {
            throw new IllegalStateException("Cannot " + toDo + ": " + this + " is not running");
        }
    }

    private static @Nullable String queryString(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static void copyFile(Path source, Path target, String mode) throws IOException {
        byte[] content = Files.readAllBytes(source);
        Files.deleteIfExists(target);
        Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        Files.write(target, content);
    }

    /**
     * Chooses the settings, replication and TLS of a {@link ThrowawayPostgres}; {@link #start()} starts it. Each value
     * is checked as it is set; how they combine, in {@link #start()}.
     *
     * <pre>{@code
     * ThrowawayPostgres server = ThrowawayPostgres.builder()
     *         .setting("max_connections", "20")
     *         .tls(TestCertificates.create(dir))
     *         .requireClientCertificate("app")   // the role app logs in with a client certificate only
     *         .rejectNonTls()                     // and nobody logs in without TLS
     *         .start();
     * }</pre>
     *
     * <p>Not thread-safe.
     */
    public static final class Builder {

        private final Map<String, String> settings = new TreeMap<>();
        private @Nullable Replication replication;
        private @Nullable TestCertificates certificates;
        private TestCertificates.@Nullable CertifiedKey serverCertificate;
        private final Set<String> certificateRoles = new LinkedHashSet<>();
        private boolean rejectNonTls;

        private Builder() {
        }

        /**
         * Sets a server setting, passed as {@code -c name=value}; see {@link ThrowawayPostgres#start(Map)}.
         *
         * @param name a setting name: lower-case letters, digits, {@code _} and {@code .}, starting with a letter or
         *     {@code _}
         * @param value a non-empty value of letters, digits and {@code _ . : + / , -}
         * @return this builder
         * @throws IllegalArgumentException naming the setting, if the name or value is malformed, or the setting was
         *     set already
         */
        public Builder setting(String name, String value) {
            if (name == null || !SETTING_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("server setting name: must be lower-case letters, digits, _ and ., "
                        + "starting with a letter or _, but was " + (name == null ? "null" : "\"" + name + "\""));
            }
            if (value == null || !SETTING_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("server setting " + name + ": the value must be letters, digits and "
                        + "_ . : + / , - (no spaces, quotes or shell characters), but was "
                        + (value == null ? "null" : "\"" + value.replace("\n", "\\n").replace("\r", "\\r") + "\""));
            }
            String previous = settings.putIfAbsent(name, value);
            if (previous != null) {
                throw new IllegalArgumentException("server setting " + name + " was already set to \"" + previous
                        + "\"");
            }
            return this;
        }

        /**
         * Sets several server settings, each as {@link #setting(String, String)} does.
         *
         * @param settings server settings by name
         * @return this builder
         * @throws IllegalArgumentException naming the setting, as {@link #setting(String, String)}
         */
        public Builder settings(Map<String, String> settings) {
            Objects.requireNonNull(settings, "settings");
            new TreeMap<>(settings).forEach(this::setting);
            return this;
        }

        /**
         * Makes the server a primary that {@link ThrowawayPostgres#startStandby()} can make standbys of, with
         * {@code wal_level = replica}, {@code max_wal_senders = 10}, {@code max_replication_slots = 10} and
         * {@code hot_standby = on} unless set otherwise (standbys get the same settings), replication connections of
         * {@code postgres} trusted, and, for {@link Replication#SYNCHRONOUS},
         * {@code synchronous_commit = remote_apply}. The fixture sets {@code synchronous_standby_names} itself, from
         * the standbys it starts.
         *
         * @param mode whether commits wait for the standbys
         * @return this builder
         * @throws IllegalArgumentException if replication was chosen already
         */
        public Builder replication(Replication mode) {
            Objects.requireNonNull(mode, "mode");
            if (replication != null) {
                throw new IllegalArgumentException("replication was already set to " + replication);
            }
            replication = mode;
            return this;
        }

        /**
         * Starts the server with TLS: {@code ssl = on}, the server certificate {@code certificates.server()} (or
         * {@link #serverCertificate(TestCertificates.CertifiedKey)}'s), and the test CA as {@code ssl_ca_file}, which
         * client certificates are checked against. Connections without TLS are still accepted unless
         * {@link #rejectNonTls()}.
         *
         * @param certificates the test CA and its certificates
         * @return this builder
         * @throws IllegalArgumentException if TLS was chosen already
         */
        public Builder tls(TestCertificates certificates) {
            Objects.requireNonNull(certificates, "certificates");
            if (this.certificates != null) {
                throw new IllegalArgumentException("tls was already set to " + this.certificates);
            }
            this.certificates = certificates;
            return this;
        }

        /**
         * Makes the server present another certificate of the test CA than {@code server()}, for example
         * {@link TestCertificates#mismatchedServer()} for a host-name mismatch. Needs {@link #tls(TestCertificates)}.
         *
         * @param certificate the certificate and its PEM key
         * @return this builder
         * @throws IllegalArgumentException if the files do not exist, or a server certificate was chosen already
         */
        public Builder serverCertificate(TestCertificates.CertifiedKey certificate) {
            Objects.requireNonNull(certificate, "certificate");
            if (serverCertificate != null) {
                throw new IllegalArgumentException("the server certificate was already set to "
                        + serverCertificate.certificate());
            }
            for (Path file : List.of(certificate.certificate(), certificate.privateKey())) {
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException("server certificate: no such file " + file);
                }
            }
            serverCertificate = certificate;
            return this;
        }

        /**
         * Makes {@code role} log in only over TLS with a client certificate of the test CA whose common name is the
         * role ({@code hostssl ... cert} in {@code pg_hba.conf}, and {@code hostnossl ... reject} for it); the role is
         * created ({@code LOGIN}) if it does not exist. {@link TestCertificates#client()} is such a certificate for
         * {@link TestCertificates#clientRole()}. Other roles are not asked for a certificate. Needs
         * {@link #tls(TestCertificates)}.
         *
         * @param role a role name: lower-case letters, digits and {@code _}, starting with a letter or {@code _}
         * @return this builder
         * @throws IllegalArgumentException if the role name is not of that form
         */
        public Builder requireClientCertificate(String role) {
            certificateRoles.add(TestCertificates.checkRole(role));
            return this;
        }

        /**
         * Refuses every connection without TLS, the superuser's and replication connections included
         * ({@code hostnossl ... reject}): a client with {@code sslmode=disable} gets "pg_hba.conf rejects connection
         * ... no encryption". Needs {@link #tls(TestCertificates)}.
         *
         * @return this builder
         */
        public Builder rejectNonTls() {
            rejectNonTls = true;
            return this;
        }

        /**
         * Starts the server and returns once it answers (over TLS, for a TLS server).
         *
         * @return the running server
         * @throws IllegalStateException if a TLS option is set without {@link #tls(TestCertificates)}
         * @throws IllegalArgumentException if a setting is one the chosen replication or TLS sets itself
         * @throws TestPostgresException if the server cannot be started or configured; the message quotes its log
         */
        public ThrowawayPostgres start() {
            if (certificates == null) {
                if (serverCertificate != null || !certificateRoles.isEmpty() || rejectNonTls) {
                    throw new IllegalStateException("serverCertificate(), requireClientCertificate() and rejectNonTls()"
                            + " need tls(certificates) as well");
                }
            } else {
                refuseManaged(TLS_SETTINGS, "tls(certificates)");
            }
            Map<String, String> all = new TreeMap<>(settings);
            if (replication != null) {
                refuseManaged(List.of("synchronous_standby_names"), "replication(" + replication + "), from the"
                        + " standbys it starts");
                REPLICATION_SETTINGS.forEach(all::putIfAbsent);
                if (replication == Replication.SYNCHRONOUS) {
                    refuseManaged(List.of("synchronous_commit"), "replication(SYNCHRONOUS)");
                    all.put("synchronous_commit", "remote_apply");
                }
            }
            Tls tls = certificates == null ? null : new Tls(
                    serverCertificate != null ? serverCertificate : certificates.server(),
                    certificates.caCertificate(), Collections.unmodifiableSet(new LinkedHashSet<>(certificateRoles)),
                    rejectNonTls);
            return launch(new Setup(Collections.unmodifiableMap(all), replication, tls));
        }

        private void refuseManaged(List<String> names, String by) {
            for (String name : names) {
                if (settings.containsKey(name)) {
                    throw new IllegalArgumentException("server setting " + name + " is set by " + by
                            + ", so it cannot be set as a setting too");
                }
            }
        }
    }
}
