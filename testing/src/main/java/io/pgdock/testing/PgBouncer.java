package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PgBouncer, started for a test in front of a PostgreSQL database, in transaction pooling mode unless told
 * otherwise: for code that must work through a connection pooler (no session state between transactions, no named
 * prepared statements).
 *
 * <pre>{@code
 * @Test
 * void worksThroughPgBouncer() throws SQLException {
 *     PgBouncer.assumeAvailable(); // skips the test where PgBouncer is not installed (fails it in CI)
 *     try (TestDatabase db = TestPostgres.get().createDatabase();
 *             PgBouncer bouncer = PgBouncer.start(db.spec())) {
 *         ConnectionSpec throughBouncer = bouncer.spec().toBuilder().option("prepareThreshold", "0").build();
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <p><b>Installing.</b> PgBouncer is not a Java library: the binary {@code pgbouncer} must be installed, for example with
 * the Debian package ({@code apt-get install pgbouncer}). It is looked for in the directories of {@code PATH}, then in
 * {@code /usr/sbin} and {@code /usr/bin} (where Debian puts it, outside most users' {@code PATH}); the system property
 * {@value #BINARY_PROPERTY} names the binary instead, and nothing else is searched then. Tests call
 * {@link #assumeAvailable()} first, so that where it is missing they are skipped, with a message that says what to
 * install; in CI (the environment variable {@code CI} is {@code true}) they fail instead, since there the CI script
 * must install it. Tested with PgBouncer 1.18 (Debian 12).
 *
 * <p><b>What runs.</b> {@link #start(ConnectionSpec)} writes a configuration into a new directory under
 * {@code java.io.tmpdir}, starts {@code pgbouncer} on it, listening on {@code 127.0.0.1} on a free port (no Unix socket),
 * and returns once that port accepts connections. PgBouncer refuses to run as root, so when the JVM runs as root it is
 * started with {@code -u nobody}; it reads its configuration before it drops to that user. Its log is a file in the same
 * directory, quoted by every failure. {@link #close()} stops the process and deletes the directory; so does a shutdown
 * hook at JVM exit if the test did not close it.
 *
 * <p><b>Configuration.</b> One database, the upstream spec's, under its own name, forwarded to the spec's first host and
 * port. One user, the spec's, with its password (if any) in the auth file: PgBouncer logs in to the server as that user
 * with that password, and clients log in to PgBouncer with the same name and password, checked with
 * {@code scram-sha-256}; with no password, PgBouncer trusts the client ({@code auth_type = trust}). That user is also an
 * admin of the console (database {@code pgbouncer}, e.g. {@code psql -p <port> pgbouncer -c 'SHOW POOLS'}); pgjdbc cannot
 * talk to the console, which rejects the {@code SET extra_float_digits} pgjdbc sends to servers older than 12. PgBouncer
 * connects to the server without TLS. The settings, beyond PgBouncer's defaults:
 * <table>
 *   <caption>Settings written to {@code pgbouncer.ini}</caption>
 *   <tr><th>Setting</th><th>Value</th><th>Why</th></tr>
 *   <tr><td>{@code pool_mode}</td><td>{@code transaction}</td><td>{@link Builder#poolMode(PoolMode)}</td></tr>
 *   <tr><td>{@code default_pool_size}</td><td>PgBouncer's, 20</td><td>{@link Builder#defaultPoolSize(int)}</td></tr>
 *   <tr><td>{@code ignore_startup_parameters}</td><td>{@code extra_float_digits}</td><td>Older pgjdbc versions and
 *       other drivers send it at start-up, and PgBouncer refuses start-up parameters it does not know. (pgjdbc 42.7
 *       sends none of those, except {@code search_path} when {@code currentSchema} is set, which PgBouncer
 *       refuses.)</td></tr>
 *   <tr><td>{@code server_login_retry}</td><td>{@code 1}</td><td>PgBouncer's 15 seconds would keep clients waiting that
 *       long after a failed login, for example while the server restarts ({@link ThrowawayPostgres}).</td></tr>
 * </table>
 * {@link Builder#setting(String, String)} sets any other (or overrides these).
 *
 * <p><b>Transaction pooling.</b> In {@link PoolMode#TRANSACTION} mode a client's consecutive transactions may run on
 * different server connections, so session state does not carry over: {@code SET} outside a transaction (including
 * {@link ConnectionSpec#sessionInitSql()}), session advisory locks, {@code LISTEN}, temporary tables. PgBouncer 1.18 does
 * not support named prepared statements in this mode, which pgjdbc uses from the fifth execution of a
 * {@code PreparedStatement}; connect with {@code prepareThreshold=0}. {@link #spec()} does not add it, so that code under
 * test must.
 *
 * <p><b>Thread safety.</b> Thread-safe; {@link #close()} is idempotent. Builders are not thread-safe.
 */
public final class PgBouncer implements AutoCloseable {

    /** The system property that names the {@code pgbouncer} binary, instead of a search: {@value}. */
    public static final String BINARY_PROPERTY = "pgdock.pgbouncer.binary";

    private static final Logger LOG = LoggerFactory.getLogger(PgBouncer.class);

    /** Where PgBouncer listens, and what {@link #spec()} connects to. */
    private static final String LISTEN_ADDRESS = "127.0.0.1";

    /** PgBouncer starts in milliseconds; the margin is for a loaded CI machine. */
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(30);

    /** How long {@link #close()} waits after SIGTERM before it kills the process. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    /** How often a start is tried on a new port, when another process took the free port it was given. */
    private static final int PORT_ATTEMPTS = 3;

    /** Searched after {@code PATH}: Debian installs PgBouncer into /usr/sbin, outside most users' PATH. */
    private static final List<Path> STANDARD_DIRECTORIES = List.of(Path.of("/usr/sbin"), Path.of("/usr/bin"));

    /** The user PgBouncer runs as when the JVM runs as root; it refuses to run as root. */
    private static final String UNPRIVILEGED_USER = "nobody";

    private static final String HOW_TO_INSTALL = "install the Debian package pgbouncer (apt-get install pgbouncer), or"
            + " set the system property " + BINARY_PROPERTY + " to the path of the pgbouncer binary";

    /** Settings the fixture writes itself, from the upstream spec or the builder's typed methods. */
    private static final Set<String> MANAGED_SETTINGS = Set.of("listen_addr", "listen_port", "unix_socket_dir",
            "auth_type", "auth_file", "auth_query", "auth_user", "admin_users", "logfile", "pidfile", "user",
            "pool_mode", "default_pool_size", "syslog");

    private static final Pattern SETTING_NAME = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_]+");

    /** A pool mode: when a server connection goes back to the pool for other clients. */
    public enum PoolMode {
        /** When the client disconnects; each client keeps one server connection (PgBouncer's default). */
        SESSION,
        /** When a transaction ends; what connection-pooling set-ups use, and this fixture's default. */
        TRANSACTION,
        /** After every statement; multi-statement transactions are refused. */
        STATEMENT;

        String configValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final ConnectionSpec upstream;
    private final PoolMode poolMode;
    private final int port;
    private final Process process;
    private final Path directory;
    private final Path logFile;
    private final Thread shutdownHook;
    private final Object lock = new Object();
    private boolean closed; // guarded by lock

    private PgBouncer(ConnectionSpec upstream, PoolMode poolMode, int port, Process process, Path directory,
            Path logFile) {
        this.upstream = upstream;
        this.poolMode = poolMode;
        this.port = port;
        this.process = process;
        this.directory = directory;
        this.logFile = logFile;
        this.shutdownHook = new Thread(this::stopAndDelete, "pgdock-pgbouncer-" + port + "-shutdown");
    }

    /**
     * Whether the {@code pgbouncer} binary can be found: the file named by {@value #BINARY_PROPERTY} if that is set,
     * else the first {@code pgbouncer} in {@code PATH}, {@code /usr/sbin} or {@code /usr/bin}. Does not run it.
     *
     * @return {@code true} if {@link #start(ConnectionSpec)} has a binary to run
     */
    public static boolean available() {
        return Lookup.find(System::getProperty, System.getenv()).binary().isPresent();
    }

    /**
     * Returns if {@link #available()}; otherwise aborts the calling JUnit test, which is then reported as skipped, or,
     * in CI (the environment variable {@code CI} is {@code true}), fails it. Either way the message says where
     * PgBouncer was looked for and how to install it. In CI a missing PgBouncer is the CI script's fault (the project's
     * own {@code .ci/run} installs it), so the test must not pass as skipped.
     *
     * @throws org.opentest4j.TestAbortedException if PgBouncer is not available, outside CI
     * @throws TestPostgresException if PgBouncer is not available and {@code CI} is {@code true}
     */
    public static void assumeAvailable() {
        Map<String, String> env = System.getenv();
        assumeAvailable(Lookup.find(System::getProperty, env), env);
    }

    /** {@link #assumeAvailable()} with the lookup's outcome and the environment given; for tests of this class. */
    static void assumeAvailable(Lookup lookup, Map<String, String> env) {
        Prerequisites.assumePresent("PgBouncer",
                lookup.binary().isPresent() ? Optional.empty() : Optional.of(lookup.description()), HOW_TO_INSTALL,
                env);
    }

    /**
     * Starts a PgBouncer in transaction pooling mode, with PgBouncer's default pool size, in front of the upstream
     * spec's database; see the class comment for the configuration.
     *
     * @param upstream the database to pool connections to, and the user and password to connect with; only the first
     *     host is used
     * @return the running PgBouncer
     * @throws TestPostgresException if PgBouncer is not installed or does not start; the message quotes its log
     */
    public static PgBouncer start(ConnectionSpec upstream) {
        return builder(upstream).start();
    }

    /**
     * A builder for a PgBouncer in front of the upstream spec's database, to choose the pool mode, pool size or other
     * settings.
     *
     * @param upstream the database to pool connections to, and the user and password to connect with; only the first
     *     host is used
     * @return a new builder, in transaction pooling mode
     */
    public static Builder builder(ConnectionSpec upstream) {
        return new Builder(Objects.requireNonNull(upstream, "upstream"));
    }

    /**
     * The port PgBouncer listens on, on {@code 127.0.0.1}.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * The pool mode PgBouncer runs in.
     *
     * @return the pool mode
     */
    public PoolMode poolMode() {
        return poolMode;
    }

    /**
     * The upstream spec, pointed at PgBouncer: {@link #specFor(ConnectionSpec) specFor(upstream)}.
     *
     * @return how to connect to the upstream database through PgBouncer
     */
    public ConnectionSpec spec() {
        return specFor(upstream);
    }

    /**
     * The given spec with its hosts replaced by PgBouncer's address and port, everything else kept. PgBouncer only
     * serves the upstream database, and only to the upstream user, so the spec should name those; it may differ in
     * driver options, such as {@code prepareThreshold}.
     *
     * @param spec a spec for the upstream database
     * @return the same spec, pointed at PgBouncer
     */
    public ConnectionSpec specFor(ConnectionSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return spec.toBuilder().host(LISTEN_ADDRESS).port(port).build();
    }

    /**
     * Whether the PgBouncer process is alive.
     *
     * @return {@code false} once closed, or if the process has died
     */
    public boolean isRunning() {
        return process.isAlive();
    }

    /**
     * The last lines of PgBouncer's log (connections, logins, errors), for a failing test's message.
     *
     * @return up to 30 lines, or an empty string once closed
     */
    public String logTail() {
        return LocalProcesses.tail(logFile);
    }

    /** The directory of PgBouncer's configuration and log; for tests of this class. */
    Path directory() {
        return directory;
    }

    /**
     * Stops PgBouncer (SIGTERM, which ends its client and server connections at once; then SIGKILL if it has not exited
     * after ten seconds) and deletes its directory. Idempotent. Failures are logged, not thrown.
     */
    @Override
    public void close() {
        stopAndDelete();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook then finds this closed.
        }
    }

    /** The address and the upstream database, for logs; never contains a password. */
    @Override
    public String toString() {
        return "PgBouncer[" + LISTEN_ADDRESS + ":" + port + " -> " + upstream.endpoints().get(0) + "/"
                + upstream.database() + ", " + poolMode.configValue() + " pooling]";
    }

    private void stopAndDelete() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                process.destroy(); // SIGTERM: PgBouncer's immediate shutdown
                if (!process.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("PgBouncer on port {} did not exit within {} of SIGTERM; killing it", port, STOP_WAIT);
                    process.destroyForcibly();
                    process.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            try {
                LocalProcesses.deleteRecursively(directory);
            } catch (IOException | UncheckedIOException e) {
                LOG.warn("Could not delete PgBouncer's directory {}", directory, e);
            }
            LOG.info("PgBouncer on port {} stopped", port);
        }
    }

    private static PgBouncer start(Builder builder) {
        Lookup lookup = Lookup.find(System::getProperty, System.getenv());
        Path binary = lookup.binary().orElseThrow(() -> new TestPostgresException("Cannot start PgBouncer: "
                + lookup.description() + ". To start it, " + HOW_TO_INSTALL + "; to skip the test where it is missing"
                + " (outside CI), call PgBouncer.assumeAvailable() first", null));
        boolean asRoot = LocalProcesses.runningAsRoot();
        Path directory = createDirectory(asRoot);
        Path logFile = directory.resolve("pgbouncer.log");
        Process process = null;
        try {
            Path authFile = directory.resolve("userlist.txt");
            writePrivate(authFile, authFileLine(builder.upstream), asRoot);
            for (int attempt = 1; ; attempt++) {
                int port = freePort();
                Path configFile = directory.resolve("pgbouncer.ini");
                writePrivate(configFile, builder.config(port, authFile), asRoot);
                List<String> command = new ArrayList<>(List.of(binary.toString()));
                if (asRoot) {
                    command.addAll(List.of("-u", UNPRIVILEGED_USER));
                }
                command.add(configFile.toString());
                Files.deleteIfExists(logFile); // so the log read below is this attempt's
                process = new ProcessBuilder(command)
                        .directory(directory.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                        .start();
                process.getOutputStream().close(); // PgBouncer reads nothing from stdin
                if (awaitListening(process, port, logFile)) {
                    PgBouncer bouncer = new PgBouncer(builder.upstream, builder.poolMode, port, process, directory,
                            logFile);
                    Runtime.getRuntime().addShutdownHook(bouncer.shutdownHook);
                    LOG.info("{} is running ({}; config and log in {})", bouncer, command, directory);
                    return bouncer;
                }
                // It exited. Another process may have taken the port between freePort() and PgBouncer's bind.
                if (attempt == PORT_ATTEMPTS || !LocalProcesses.tail(logFile).contains("Address already in use")) {
                    throw new TestPostgresException("PgBouncer exited at start with code " + process.exitValue()
                            + " (" + command + ")" + quotedLog(logFile), null);
                }
                LOG.info("PgBouncer could not listen on port {}, taken meanwhile; trying another", port);
            }
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            TestPostgresException failure = e instanceof TestPostgresException alreadyQuoted ? alreadyQuoted
                    : new TestPostgresException("Could not start PgBouncer (" + binary + "): " + e
                            + quotedLog(logFile), e);
            try {
                LocalProcesses.deleteRecursively(directory);
            } catch (IOException | UncheckedIOException deleteFailure) {
                failure.addSuppressed(deleteFailure);
            }
            throw failure;
        }
    }

    /**
     * Waits until PgBouncer accepts a TCP connection on its port, or exits.
     *
     * @return {@code true} when it listens, {@code false} when it exited
     * @throws TestPostgresException if it neither listens nor exits within {@link #STARTUP_WAIT} (it is then killed)
     */
    private static boolean awaitListening(Process process, int port, Path logFile) {
        Deadline deadline = Deadline.after(STARTUP_WAIT);
        InetSocketAddress address = new InetSocketAddress(listenAddress(), port);
        while (process.isAlive()) {
            try (Socket socket = new Socket()) {
                socket.connect(address, (int) Duration.ofSeconds(1).toMillis());
                return true;
            } catch (IOException notYet) {
                if (deadline.passed()) {
                    process.destroyForcibly();
                    throw new TestPostgresException("PgBouncer did not listen on " + address + " within "
                            + STARTUP_WAIT + quotedLog(logFile), notYet);
                }
            }
            deadline.pause();
        }
        return false;
    }

    private static String quotedLog(Path logFile) {
        String tail = LocalProcesses.tail(logFile);
        return tail.isEmpty() ? " (PgBouncer's log " + logFile + " is empty)"
                : "\nLast lines of PgBouncer's log (" + logFile + "):\n" + tail;
    }

    /**
     * A new directory under {@code java.io.tmpdir}, readable only by its owner: {@code nobody} when the JVM runs as
     * root, so that PgBouncer can read its files again after it has dropped to that user.
     */
    private static Path createDirectory(boolean asRoot) {
        try {
            Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
            Files.createDirectories(tmp); // surefire does not create the java.io.tmpdir it sets
            Path directory = Files.createTempDirectory(tmp, "pgdock-pgbouncer-"); // mode 0700 on POSIX
            if (asRoot) {
                Files.setOwner(directory, unprivilegedUser());
            }
            return directory;
        } catch (IOException e) {
            throw new TestPostgresException("Could not create a directory for PgBouncer under java.io.tmpdir: " + e, e);
        }
    }

    private static void writePrivate(Path file, String content, boolean asRoot) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, StandardCharsets.UTF_8);
        if (asRoot) {
            Files.setOwner(file, unprivilegedUser());
        }
    }

    private static UserPrincipal unprivilegedUser() throws IOException {
        return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(UNPRIVILEGED_USER);
    }

    /** {@link #LISTEN_ADDRESS} as an address, from its bytes: no name is looked up, and it stays IPv4. */
    private static InetAddress listenAddress() {
        try {
            return InetAddress.getByAddress(LISTEN_ADDRESS, new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);   // only for an address of the wrong length
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, listenAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The auth file's one line: the user and its password in plain text (empty if none), double-quoted. */
    private static String authFileLine(ConnectionSpec upstream) {
        return quoteAuthFile(upstream.user()) + " " + quoteAuthFile(upstream.password().orElse("")) + "\n";
    }

    private static String quoteAuthFile(String value) {
        return '"' + value.replace("\"", "\"\"") + '"';
    }

    /** A database name as a key of {@code [databases]}: plain, or double-quoted like an SQL identifier. */
    private static String quoteDatabaseKey(String name) {
        return PLAIN_NAME.matcher(name).matches() ? name : '"' + name.replace("\"", "\"\"") + '"';
    }

    /** A value in a {@code [databases]} connection string: single-quoted, with quotes doubled. */
    private static String quoteConnectionValue(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /**
     * Where {@code pgbouncer} is, or why it was not found.
     *
     * @param binary the binary, if found
     * @param description the binary's path, or where it was looked for, for messages
     */
    record Lookup(Optional<Path> binary, String description) {

        /**
         * Looks for the binary: the file named by {@value #BINARY_PROPERTY} if set (and only there), else the
         * directories of {@code PATH}, {@code /usr/sbin} and {@code /usr/bin}.
         *
         * @param systemProperties looks up a system property, usually {@code System::getProperty}
         * @param env the environment, usually {@code System.getenv()}
         */
        static Lookup find(UnaryOperator<String> systemProperties, Map<String, String> env) {
            String configured = systemProperties.apply(BINARY_PROPERTY);
            if (configured != null && !configured.isBlank()) {
                Path path = Path.of(configured.strip());
                return isExecutableFile(path)
                        ? new Lookup(Optional.of(path), path.toString())
                        : new Lookup(Optional.empty(), "the system property " + BINARY_PROPERTY + " names " + path
                                + ", which is not an executable file");
            }
            List<Path> directories = new ArrayList<>();
            String pathVariable = env.getOrDefault("PATH", "");
            for (String entry : pathVariable.split(java.io.File.pathSeparator, -1)) {
                if (!entry.isBlank()) {
                    directories.add(Path.of(entry));
                }
            }
            directories.addAll(STANDARD_DIRECTORIES);
            for (Path directory : directories) {
                Path candidate = directory.resolve("pgbouncer");
                if (isExecutableFile(candidate)) {
                    return new Lookup(Optional.of(candidate), candidate.toString());
                }
            }
            return new Lookup(Optional.empty(), "no executable pgbouncer in PATH (" + pathVariable + "), "
                    + STANDARD_DIRECTORIES.get(0) + " or " + STANDARD_DIRECTORIES.get(1) + ", and the system property "
                    + BINARY_PROPERTY + " is not set");
        }

        private static boolean isExecutableFile(Path path) {
            return Files.isRegularFile(path) && Files.isExecutable(path);
        }
    }

    /**
     * Chooses the pool mode, pool size and other settings of a PgBouncer; {@link #start()} starts it. Validates each
     * value as it is set.
     */
    public static final class Builder {

        private final ConnectionSpec upstream;
        private PoolMode poolMode = PoolMode.TRANSACTION;
        private @Nullable Integer defaultPoolSize;
        private final Map<String, String> settings = new LinkedHashMap<>();

        private Builder(ConnectionSpec upstream) {
            if (upstream.endpoints().size() > 1) {
                throw new IllegalArgumentException("PgBouncer forwards to one server, but the upstream spec has "
                        + upstream.endpoints().size() + ": " + upstream.endpoints());
            }
            this.upstream = upstream;
        }

        /**
         * Sets the pool mode. Default {@link PoolMode#TRANSACTION}.
         *
         * @param poolMode when a server connection returns to the pool
         * @return this builder
         */
        public Builder poolMode(PoolMode poolMode) {
            this.poolMode = Objects.requireNonNull(poolMode, "poolMode");
            return this;
        }

        /**
         * Sets how many server connections PgBouncer opens at most per database and user ({@code default_pool_size}).
         * Default PgBouncer's, 20. With 1, all clients share one server connection, one transaction at a time.
         *
         * @param size at least 1
         * @return this builder
         */
        public Builder defaultPoolSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("default_pool_size must be at least 1, but was " + size);
            }
            this.defaultPoolSize = size;
            return this;
        }

        /**
         * Sets any other setting of PgBouncer's {@code [pgbouncer]} section, for example {@code max_client_conn},
         * {@code query_wait_timeout} or {@code server_idle_timeout}, overriding this fixture's default where it has one.
         * The settings that this fixture derives from the upstream spec or its own methods (addresses, ports,
         * authentication, files, {@code pool_mode}, {@code default_pool_size}) cannot be set this way. PgBouncer checks
         * the value when it starts.
         *
         * @param name a PgBouncer setting, in lower case
         * @param value its value, on one line
         * @return this builder
         * @throws IllegalArgumentException if the name is not a setting name, is one this fixture derives, or was set
         *     already, or the value spans lines
         */
        public Builder setting(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (!SETTING_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("A PgBouncer setting name is lower-case letters, digits and '_', but"
                        + " was '" + name + "'");
            }
            if (MANAGED_SETTINGS.contains(name)) {
                throw new IllegalArgumentException("PgBouncer's " + name + " is set by this fixture (from the upstream"
                        + " spec, poolMode or defaultPoolSize) and cannot be set with setting()");
            }
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("The value of PgBouncer's " + name + " must be on one line, but was '"
                        + value.replace("\n", "\\n").replace("\r", "\\r").replace("\0", "\\0") + "'");
            }
            String previous = settings.putIfAbsent(name, value);
            if (previous != null) {
                throw new IllegalArgumentException("PgBouncer's " + name + " was already set to '" + previous + "'");
            }
            return this;
        }

        /**
         * Starts PgBouncer with these settings, and returns once it listens.
         *
         * @return the running PgBouncer
         * @throws TestPostgresException if PgBouncer is not installed or does not start; the message quotes its log
         */
        public PgBouncer start() {
            return PgBouncer.start(this);
        }

        /** The contents of {@code pgbouncer.ini}. */
        String config(int port, Path authFile) {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("listen_addr", LISTEN_ADDRESS);
            values.put("listen_port", Integer.toString(port));
            values.put("unix_socket_dir", "");
            values.put("auth_type", upstream.password().isPresent() ? "scram-sha-256" : "trust");
            values.put("auth_file", authFile.toString());
            values.put("admin_users", upstream.user());
            values.put("pool_mode", poolMode.configValue());
            if (defaultPoolSize != null) {
                values.put("default_pool_size", defaultPoolSize.toString());
            }
            values.put("ignore_startup_parameters", "extra_float_digits");
            values.put("server_login_retry", "1");
            values.putAll(settings);

            StringBuilder ini = new StringBuilder("; Written by pgdock-testing's PgBouncer fixture; deleted on close.\n");
            ini.append("[databases]\n")
                    .append(quoteDatabaseKey(upstream.database()))
                    .append(" = host=").append(quoteConnectionValue(upstream.host()))
                    .append(" port=").append(upstream.port())
                    .append(" dbname=").append(quoteConnectionValue(upstream.database()))
                    .append("\n\n[pgbouncer]\n");
            values.forEach((name, value) -> ini.append(name).append(" = ").append(value).append('\n'));
            return ini.toString();
        }
    }
}
