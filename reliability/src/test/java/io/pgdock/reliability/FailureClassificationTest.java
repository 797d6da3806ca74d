package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.cli.PgdockCli;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.core.SslMode;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.internal.SqlFailures;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.testing.PgBouncer;
import io.pgdock.testing.SilentServer;
import io.pgdock.testing.TestCertificates;
import io.pgdock.testing.ThrowawayPostgres;
import io.pgdock.testing.Wait;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.util.PSQLException;

/**
 * Every {@link Reason} provoked for real, and how pgdock reports it: through {@code Storage.open}, the
 * {@code DataSourceFactory} ({@code warmUp} and {@code health}), a storage's {@code health()}, the config store and
 * {@code pgdock health}, all of which use the one classifier ({@code SqlFailures}). Each case asserts the reason and that
 * the message names the cause and the fix. The facts of the driver and of PgBouncer this relies on (SQLSTATEs, causes,
 * PgBouncer's 08P01 texts) are asserted on the way, so an upgrade that changes one fails here.
 *
 * <p>Servers of its own: {@code db} (passwords required for every role but postgres), {@code tls} (the test CA, client
 * certificates), {@code mismatched} (a certificate for another host name), {@code tiny} ({@code max_connections} of 4).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("own-server")
class FailureClassificationTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final String APP_PASSWORD = "fc-app-pw-7Qm";

    private Path tmp;
    private TestCertificates certs;
    private TestCertificates otherCa;
    private ThrowawayPostgres db;
    private ThrowawayPostgres tls;
    private ThrowawayPostgres mismatched;
    private ConnectionSpec app;

    @BeforeAll
    void start(@TempDir Path directory) throws SQLException {
        tmp = directory;
        certs = TestCertificates.create(tmp.resolve("certs"));
        otherCa = TestCertificates.create(tmp.resolve("other-ca"));
        db = ThrowawayPostgres.start();
        tls = ThrowawayPostgres.builder().tls(certs).requireClientCertificate(certs.clientRole()).start();
        mismatched = ThrowawayPostgres.builder().tls(certs).serverCertificate(certs.mismatchedServer()).start();
        admin(db, "create role fc_app login password '" + APP_PASSWORD + "'",
                "create schema fc authorization fc_app",
                "create database fc_closed",
                "revoke connect on database fc_closed from public");
        db.requirePasswords();
        app = db.adminSpec().toBuilder().user("fc_app").password(APP_PASSWORD).schema("fc")
                .connectTimeout(CONNECT_TIMEOUT).build();
    }

    @AfterAll
    void close() {
        for (ThrowawayPostgres server : new ThrowawayPostgres[] {db, tls, mismatched}) {
            if (server != null) {
                server.close();
            }
        }
    }

    // ---- Unreachable --------------------------------------------------------------------------------------------

    @Test
    void aRefusedPortIsUnreachable() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        ConnectionSpec refused = app.toBuilder().host("127.0.0.1").port(port).build();

        everywhere(refused, Reason.UNREACHABLE, "no server answered", "check host, port");
        assertThat(cliHealth(refused)).contains("DOWN  unreachable: ");
    }

    @Test
    void aSilentPeerIsUnreachableWithinTheConnectTimeout() {
        try (SilentServer silent = SilentServer.start()) {
            ConnectionSpec quiet = silent.redirect(app);

            everywhere(quiet, Reason.UNREACHABLE, "connect timeout");
        }
    }

    // ---- Authentication, database, schema, privilege --------------------------------------------------------------

    @Test
    void aWrongPasswordIsAuthentication() {
        ConnectionSpec wrong = app.toBuilder().password("not-" + APP_PASSWORD).build();

        everywhere(wrong, Reason.AUTHENTICATION, "authentication failed", "check user and password");
        assertThat(cliHealth(wrong)).contains("DOWN  authentication: ").doesNotContain(APP_PASSWORD);
    }

    @Test
    void aMissingPasswordIsAuthentication() {
        ConnectionSpec none = app.toBuilder().password(null).build();

        everywhere(none, Reason.AUTHENTICATION, "asks for a password", "none was given");
    }

    @Test
    void aMissingDatabaseIsDatabaseMissing() {
        everywhere(app.toBuilder().database("fc_no_such_db").build(), Reason.DATABASE_MISSING,
                "database does not exist", "create it or fix the database name");
    }

    @Test
    void aMissingSchemaIsSchemaMissing() {
        ConnectionSpec noSchema = app.toBuilder().schema("fc_no_such_schema").build();

        ConnectionFailedException e = storageFailure(noSchema);
        assertThat(e.reason()).isEqualTo(Reason.SCHEMA_MISSING);
        assertThat(e.getMessage()).contains("\"fc_no_such_schema\" does not exist", "provisioning SQL");
        assertThat(factoryFailure(noSchema).reason()).isEqualTo(Reason.SCHEMA_MISSING);
        assertThat(factoryHealth(noSchema).reason()).contains(Reason.SCHEMA_MISSING);
        assertThat(cliHealth(noSchema)).contains("DOWN  schema_missing: ");
    }

    @Test
    void noConnectPrivilegeIsPrivilegeMissing() {
        everywhere(app.toBuilder().database("fc_closed").build(), Reason.PRIVILEGE_MISSING,
                "lacks a privilege", "CONNECT");
    }

    // ---- Too many connections -------------------------------------------------------------------------------------

    @Test
    void aServerAtMaxConnectionsIsTooManyConnections() throws SQLException {
        try (ThrowawayPostgres tiny = ThrowawayPostgres.builder().setting("max_connections", "4")
                .setting("superuser_reserved_connections", "0").start()) {
            ConnectionSpec spec = tiny.adminSpec().toBuilder().connectTimeout(CONNECT_TIMEOUT).build();
            admin(tiny, "create schema fc");
            List<Connection> held = new ArrayList<>();
            try {
                // Take every slot; the server refuses the next login with 53300.
                while (true) {
                    try {
                        held.add(DriverManager.getConnection(spec.jdbcUrl(), spec.driverProperties()));
                    } catch (SQLException e) {
                        assertThat(e.getSQLState()).isEqualTo("53300");
                        break;
                    }
                    assertThat(held).as("connections the server let in").hasSizeLessThan(10);
                }
                everywhere(spec.toBuilder().schema("fc").build(), Reason.TOO_MANY_CONNECTIONS,
                        "no free connection slots", "raise max_connections");
            } finally {
                for (Connection c : held) {
                    c.close();
                }
            }
        }
    }

    // ---- Server unavailable ---------------------------------------------------------------------------------------

    @Test
    void aTerminatedSessionIsServerUnavailableAndThePoolReplacesIt() throws Exception {
        try (Storage storage = Storage.open(app, StorageOptions.builder().maximumPoolSize(1).build())) {
            ConfigStore store = ConfigStore.postgres(storage);
            store.put("fc.key", Map.of("v", 1));
            try (Connection c = storage.dataSource().getConnection()) {
                String pid = query(c, "select pg_backend_pid()");
                admin(db, "select pg_terminate_backend(" + pid + ")");
                // The server's termination arrives asynchronously.
                SQLException terminated = Wait.untilValue(Duration.ofSeconds(10), () -> statementFailure(c),
                        Objects::nonNull, "a statement on the terminated session to fail");
                assertThat(terminated.getSQLState()).isEqualTo("57P01");   // admin_shutdown
                assertThat(SqlFailures.classify(terminated)).isEqualTo(Reason.SERVER_UNAVAILABLE);
                ConnectionFailedException failure = SqlFailures.deploymentFailure(terminated, app.toString(), app);
                assertThat(failure.reason()).isEqualTo(Reason.SERVER_UNAVAILABLE);
                assertThat(failure.getMessage()).contains("pg_terminate_backend", "the pool drops that connection",
                        "retry");
                assertThat(SqlFailures.isBroken(terminated)).isTrue();
            }
            // Decided: the statement on the terminated session fails (SERVER_UNAVAILABLE); the pool evicts that
            // connection (HikariCP treats 57P01 as fatal), so the next use works without any retry of pgdock's.
            assertThat(store.get("fc.key", Map.class)).contains(Map.of("v", 1));
            assertThat(storage.health().isUp()).isTrue();
        }
    }

    // ---- Read-only ------------------------------------------------------------------------------------------------

    @Test
    void aReadOnlySessionIsReadOnlyForOpenWithPendingMigrationsAndForAWrite() throws SQLException {
        admin(db, "create role fc_reader login password '" + APP_PASSWORD + "'",
                "create schema fc_ro authorization fc_reader",
                "alter role fc_reader set default_transaction_read_only = on");
        ConnectionSpec reader = app.toBuilder().user("fc_reader").schema("fc_ro").build();

        // The schema is empty, so the storage's migrations are pending, and they cannot be written.
        ConnectionFailedException e = storageFailure(reader);
        assertThat(e.reason()).isEqualTo(Reason.READ_ONLY);
        assertThat(e.sqlState()).isEqualTo("25006");
        assertThat(e.getMessage()).contains("migrations are pending for schema \"fc_ro\"", "read-only",
                "apply them on the primary first");

        try (Connection c = DriverManager.getConnection(reader.jdbcUrl(), reader.driverProperties());
                Statement s = c.createStatement()) {
            SQLException write = catchSql(() -> s.execute("create table fc_ro.t (id int)"));
            assertThat(write.getSQLState()).isEqualTo("25006");
            assertThat(SqlFailures.deploymentFailure(write, reader.toString(), reader).reason())
                    .isEqualTo(Reason.READ_ONLY);
            assertThat(SqlFailures.isBroken(write)).as("the session can go on reading").isFalse();
        }
    }

    // ---- Protocol, and PgBouncer's own errors ---------------------------------------------------------------------

    @Test
    void preparedStatementsBehindPgBouncerInTransactionModeAreProtocolNeverUnreachable() throws Exception {
        PgBouncer.assumeAvailable();
        ConnectionSpec upstream = db.adminSpec().toBuilder().connectTimeout(CONNECT_TIMEOUT).build();
        try (PgBouncer bouncer = PgBouncer.builder(upstream).poolMode(PgBouncer.PoolMode.TRANSACTION)
                .defaultPoolSize(10).start()) {
            // prepareThreshold left at pgjdbc's default (5): from the fifth execution on, A uses the named statement S_1.
            ConnectionSpec through = bouncer.spec();
            ConnectionSpec unnamed = through.toBuilder().option("prepareThreshold", "0").build();

            // B prepares its own S_1 as well: A binds to B's statement, and the server says the protocol was broken.
            SQLException clash = interleave(through, through);
            assertThat(clash.getSQLState()).isIn("08P01", "26000", "42P05");
            assertThat(((PSQLException) clash).getServerErrorMessage().getMessage()).contains("\"S_1\"");
            // The other form, a statement of pgjdbc's the server does not have (what a pooler that moves a client to
            // another server connection causes), made without a pooler: the session drops S_1 behind pgjdbc's back.
            SQLException missing;
            try (Connection c = DriverManager.getConnection(upstream.jdbcUrl(), upstream.driverProperties());
                    PreparedStatement statement = c.prepareStatement("select ?::int");
                    Statement st = c.createStatement()) {
                // In a transaction: in auto-commit, pgjdbc heals a 26000 by preparing again (and so does PgBouncer's
                // client then), which is why only the clash above shows behind the pooler.
                c.setAutoCommit(false);
                for (int i = 0; i < 5; i++) {
                    statement.setInt(1, i);
                    statement.executeQuery().close();
                }
                st.execute("deallocate \"S_1\"");
                statement.setInt(1, 5);
                missing = catchSql(() -> statement.executeQuery().close());
            }
            assertThat(missing.getSQLState()).isEqualTo("26000");   // invalid_sql_statement_name
            assertThat(((PSQLException) missing).getServerErrorMessage().getMessage())
                    .isEqualTo("prepared statement \"S_1\" does not exist");
            for (SQLException failure : List.of(missing, clash)) {
                System.out.println("RELIABILITY pgjdbc's S_1 gone wrong: SQLSTATE " + failure.getSQLState() + ": "
                        + failure.getMessage());
                assertThat(SqlFailures.classify(failure)).as(failure.getMessage()).isEqualTo(Reason.PROTOCOL);
                ConnectionFailedException reported = SqlFailures.deploymentFailure(failure, through.toString(),
                        through);
                assertThat(reported.reason()).isEqualTo(Reason.PROTOCOL);
                assertThat(reported.getMessage()).contains("prepareThreshold=0", "transaction", "session mode")
                        .doesNotContain("no server answered");
            }
            // A user's own PREPARE/EXECUTE of a missing statement is the statement's fault, not the pooler's.
            try (Connection c = DriverManager.getConnection(unnamed.jdbcUrl(), unnamed.driverProperties());
                    Statement st = c.createStatement()) {
                SQLException own = catchSql(() -> st.execute("execute fc_not_prepared"));
                assertThat(own.getSQLState()).isEqualTo("26000");
                assertThat(SqlFailures.classify(own)).isEqualTo(Reason.OTHER);
            }

            // With prepareThreshold=0, the same workload works through the same PgBouncer.
            assertThat((Object) interleave(unnamed, unnamed)).isNull();
        }
    }

    @Test
    void pgBouncersOwnErrorsAreClassifiedByWhatTheySayNotAsProtocolErrors() throws Exception {
        PgBouncer.assumeAvailable();
        try (ThrowawayPostgres upstream = ThrowawayPostgres.start()) {
            admin(upstream, "create role fc_bouncer login password '" + APP_PASSWORD + "'");
            ConnectionSpec user = upstream.adminSpec().toBuilder().user("fc_bouncer").password(APP_PASSWORD)
                    .connectTimeout(CONNECT_TIMEOUT).option("prepareThreshold", "0").build();
            // Short server-side timeouts, so the client hears of a stopped upstream in seconds, not a minute.
            try (PgBouncer bouncer = PgBouncer.builder(user).poolMode(PgBouncer.PoolMode.TRANSACTION)
                    .setting("server_connect_timeout", "1").setting("server_login_retry", "1")
                    .setting("query_wait_timeout", "3").start()) {
                ConnectionSpec through = bouncer.spec();
                // PgBouncer checks the password itself, and says so with 08P01.
                ConnectionSpec wrong = through.toBuilder().password("not-" + APP_PASSWORD).build();
                SQLException refused = loginFailure(wrong);
                assertThat(refused.getSQLState()).isEqualTo("08P01");
                assertThat(((PSQLException) refused).getServerErrorMessage().getMessage())
                        .isEqualTo("SASL authentication failed");
                assertThat(factoryFailure(wrong.toBuilder().schema(null).build()).reason())
                        .isEqualTo(Reason.AUTHENTICATION);

                ConnectionSpec unknownDatabase = through.toBuilder().database("fc_not_served").build();
                SQLException unknown = loginFailure(unknownDatabase);
                assertThat(unknown.getSQLState()).isEqualTo("08P01");
                assertThat(((PSQLException) unknown).getServerErrorMessage().getMessage())
                        .isEqualTo("no such database: fc_not_served");
                assertThat(SqlFailures.classify(unknown)).isEqualTo(Reason.DATABASE_MISSING);

                // The upstream stops: PgBouncer cannot log in for the client, and says so with 08P01 too.
                upstream.stopImmediately();
                SQLException down = loginFailure(through);
                assertThat(down.getSQLState()).isEqualTo("08P01");
                assertThat(((PSQLException) down).getServerErrorMessage().getMessage()).isEqualTo("query_wait_timeout");
                assertThat(SqlFailures.classify(down)).isEqualTo(Reason.UNREACHABLE);
                assertThat(factoryHealth(through).reason()).contains(Reason.UNREACHABLE);
            }
        }
    }

    // ---- TLS ------------------------------------------------------------------------------------------------------

    @Test
    void aServerCertificateOfAnotherCaIsTls() {
        ConnectionSpec spec = tlsSpec(tls, "localhost").option("sslrootcert", otherCa.caCertificate().toString())
                .build();

        everywhere(spec, Reason.TLS, "could not be verified with the CA", "sslrootcert");
    }

    @Test
    void aHostNameTheCertificateDoesNotNameIsTlsUnderVerifyFull() {
        ConnectionSpec spec = tlsSpec(mismatched, "localhost").build();

        everywhere(spec, Reason.TLS, "does not name the host", "sslmode=verify-full", "verify-ca");
        assertThat(cliHealth(spec)).contains("DOWN  tls: ");
    }

    @Test
    void aMissingRootCertificateIsTls() {
        ConnectionSpec spec = tlsSpec(tls, "localhost")
                .option("sslrootcert", tmp.resolve("no-such-root.crt").toString()).build();

        everywhere(spec, Reason.TLS, "cannot be read", "sslrootcert");
    }

    @Test
    void anEncryptedClientKeyWithoutItsPasswordIsTls() {
        ConnectionSpec spec = clientCertificate().build();

        everywhere(spec, Reason.TLS, "is encrypted", "sslpassword");
    }

    @Test
    void anEncryptedClientKeyWithAWrongPasswordIsTlsAndTheWrongPasswordIsNotShown() {
        String wrong = "not-" + certs.clientKeyPassword();
        ConnectionSpec spec = clientCertificate().sslPassword(wrong).build();

        ConnectionFailedException e = storageFailure(spec);
        assertThat(e.reason()).isEqualTo(Reason.TLS);
        assertThat(e.getMessage()).contains("wrong sslpassword", "sslpassword=***").doesNotContain(wrong);
        assertThat(factoryFailure(spec).getMessage()).doesNotContain(wrong);
        assertThat(cliHealth(spec)).contains("DOWN  tls: ").doesNotContain(wrong);
    }

    @Test
    void requiringTlsOfAServerWithoutItIsTls() {
        ConnectionSpec spec = app.toBuilder().sslMode(SslMode.REQUIRE).build();

        everywhere(spec, Reason.TLS, "does not support TLS", "sslmode=require");
    }

    // ---- All of them ----------------------------------------------------------------------------------------------

    /** Which test provokes each reason; a new Reason without a test fails {@link #everyReasonHasATest}. */
    private static final Map<Reason, String> PROVOKED_BY = Map.ofEntries(
            Map.entry(Reason.UNREACHABLE, "aRefusedPortIsUnreachable"),
            Map.entry(Reason.TLS, "aHostNameTheCertificateDoesNotNameIsTlsUnderVerifyFull"),
            Map.entry(Reason.AUTHENTICATION, "aWrongPasswordIsAuthentication"),
            Map.entry(Reason.DATABASE_MISSING, "aMissingDatabaseIsDatabaseMissing"),
            Map.entry(Reason.SCHEMA_MISSING, "aMissingSchemaIsSchemaMissing"),
            Map.entry(Reason.PRIVILEGE_MISSING, "noConnectPrivilegeIsPrivilegeMissing"),
            Map.entry(Reason.TOO_MANY_CONNECTIONS, "aServerAtMaxConnectionsIsTooManyConnections"),
            Map.entry(Reason.PROTOCOL, "preparedStatementsBehindPgBouncerInTransactionModeAreProtocolNeverUnreachable"),
            Map.entry(Reason.READ_ONLY, "aReadOnlySessionIsReadOnlyForOpenWithPendingMigrationsAndForAWrite"),
            Map.entry(Reason.SERVER_UNAVAILABLE, "aTerminatedSessionIsServerUnavailableAndThePoolReplacesIt"));

    @Test
    void everyReasonHasATest() throws NoSuchMethodException {
        // SEARCH_PATH comes only from Storage.over (a DataSource the application owns): core-it's
        // StorageOverDataSourceTest provokes it. OTHER is what is left when no other reason fits.
        Set<Reason> covered = EnumSet.of(Reason.SEARCH_PATH, Reason.OTHER);
        covered.addAll(PROVOKED_BY.keySet());
        assertThat(covered).containsExactlyInAnyOrder(Reason.values());
        for (String method : PROVOKED_BY.values()) {
            assertThat(FailureClassificationTest.class.getDeclaredMethod(method).isAnnotationPresent(Test.class))
                    .as(method).isTrue();
        }
    }

    // ---- Helpers --------------------------------------------------------------------------------------------------

    /**
     * Provokes one failure through Storage.open, the factory (warmUp and health), and checks each says
     * {@code reason}, with messages that contain {@code advice}.
     */
    private void everywhere(ConnectionSpec spec, Reason reason, String... advice) {
        ConnectionFailedException opened = storageFailure(spec);
        assertThat(opened.reason()).as("Storage.open: %s", opened.getMessage()).isEqualTo(reason);
        assertThat(opened.getMessage()).contains(advice);
        ConnectionFailedException warmed = factoryFailure(spec);
        assertThat(warmed.reason()).as("factory: %s", warmed.getMessage()).isEqualTo(reason);
        assertThat(warmed.getMessage()).contains(advice);
        Health health = factoryHealth(spec);
        assertThat(health.isUp()).isFalse();
        assertThat(health.reason()).as("factory health: %s", health.error()).contains(reason);
        for (ConnectionFailedException e : List.of(opened, warmed)) {
            spec.password().ifPresent(p -> assertThat(e.getMessage()).doesNotContain(p));
            spec.sslPassword().ifPresent(p -> assertThat(e.getMessage()).doesNotContain(p));
        }
    }

    private static ConnectionFailedException storageFailure(ConnectionSpec spec) {
        StorageOptions options = StorageOptions.builder().maximumPoolSize(1)
                .connectionTimeout(CONNECT_TIMEOUT.plusSeconds(1)).build();
        try (Storage storage = Storage.open(spec, options)) {
            throw new AssertionError(String.format("Storage.open(%s) succeeded", storage));
        } catch (ConnectionFailedException e) {
            return e;
        }
    }

    private static FactoryOptions factoryOptions() {
        return FactoryOptions.builder().connectTimeout(CONNECT_TIMEOUT).maximumPoolSize(1)
                .borrowTimeout(CONNECT_TIMEOUT.plusSeconds(1)).build();
    }

    private static ConnectionFailedException factoryFailure(ConnectionSpec spec) {
        try (DataSourceFactory factory = DataSourceFactory.pooled(factoryOptions())) {
            factory.warmUp(spec);
            throw new AssertionError(String.format("the factory connected to %s", spec));
        } catch (ConnectionFailedException e) {
            return e;
        }
    }

    private static Health factoryHealth(ConnectionSpec spec) {
        try (DataSourceFactory factory = DataSourceFactory.pooled(factoryOptions())) {
            return factory.health(spec);
        }
    }

    /** What {@code pgdock health} prints for the storage of {@code spec}; it must exit 1 (down). */
    private static String cliHealth(ConnectionSpec spec) {
        String url = spec.toString();
        // The CLI reads secrets from the URL; toString masks them, so they are put back here.
        if (spec.password().isPresent()) {
            url = url.replace(":***@", ":" + spec.password().get() + "@");
        }
        if (spec.sslPassword().isPresent()) {
            url = url.replace("sslpassword=***", "sslpassword=" + spec.sslPassword().get());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = PgdockCli.execute(Map.of("PGDOCK_URL", url), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), "health");
        String printed = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isEqualTo(PgdockCli.FAILURE);
        return printed;
    }

    private ConnectionSpec.Builder tlsSpec(ThrowawayPostgres server, String host) {
        return server.adminSpec().toBuilder().host(host).sslMode(SslMode.VERIFY_FULL)
                .option("sslrootcert", certs.caCertificate().toString()).schema("public")
                .connectTimeout(CONNECT_TIMEOUT);
    }

    /** verify-full as the client role, with the client certificate and its encrypted key. */
    private ConnectionSpec.Builder clientCertificate() {
        return tlsSpec(tls, "localhost").user(certs.clientRole())
                .option("sslcert", certs.client().certificate().toString())
                .option("sslkey", certs.encryptedClientKey().toString());
    }

    /**
     * Client A runs one prepared statement 40 times while client B alternately holds a server connection in a
     * transaction and lets it go, so that A's executions land on different server connections of PgBouncer.
     *
     * @return A's first failure, or null when all 40 worked
     */
    private static SQLException interleave(ConnectionSpec aSpec, ConnectionSpec bSpec) throws SQLException {
        try (Connection a = DriverManager.getConnection(aSpec.jdbcUrl(), aSpec.driverProperties());
                Connection b = DriverManager.getConnection(bSpec.jdbcUrl(), bSpec.driverProperties());
                PreparedStatement statement = a.prepareStatement("select ?::int")) {
            b.setAutoCommit(false);
            for (int i = 0; i < 40; i++) {
                if (i % 2 == 0) {
                    query(b, "select 1");
                } else {
                    b.commit();
                }
                statement.setInt(1, i);
                try (ResultSet rs = statement.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                } catch (SQLException e) {
                    return e;
                }
            }
            return null;
        }
    }

    private static SQLException loginFailure(ConnectionSpec spec) {
        return catchSql(() -> DriverManager.getConnection(spec.jdbcUrl(), spec.driverProperties()).close());
    }

    /** The failure of a statement on the connection, or null if it ran. */
    private static SQLException statementFailure(Connection c) {
        try (Statement s = c.createStatement()) {
            s.execute("select 1");
            return null;
        } catch (SQLException e) {
            return e;
        }
    }

    @FunctionalInterface
    private interface SqlAction {
        void run() throws SQLException;
    }

    private static SQLException catchSql(SqlAction action) {
        try {
            action.run();
        } catch (SQLException e) {
            return e;
        }
        throw new AssertionError(String.format("expected an SQLException"));
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static void admin(ThrowawayPostgres server, String... statements) throws SQLException {
        ConnectionSpec spec = server.adminSpec();
        try (Connection c = DriverManager.getConnection(spec.jdbcUrl(), spec.driverProperties());
                Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }
}
