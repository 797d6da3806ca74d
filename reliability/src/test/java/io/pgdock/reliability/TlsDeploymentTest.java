package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.cli.PgdockCli;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.SslMode;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.testing.TestCertificates;
import io.pgdock.testing.ThrowawayPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * pgdock's resources on a TLS server with a CA and certificates the test makes: verify-full (recommended), verify-ca and
 * require connect through {@code Storage}, the config store and the {@code DataSourceFactory}, and so does a role that
 * must show a client certificate, with its key encrypted and {@code sslpassword} given in the URL, by the builder or in
 * {@code PGDOCK_SSLPASSWORD}. Every session is checked to be encrypted on the server's side ({@code pg_stat_ssl}). The
 * failures are in {@link FailureClassificationTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("own-server")
class TlsDeploymentTest {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private TestCertificates certs;
    private ThrowawayPostgres tls;

    @BeforeAll
    void start(@TempDir Path directory) throws SQLException {
        certs = TestCertificates.create(directory.resolve("certs"));
        // No connection without TLS; the client role must also show a certificate of the CA.
        tls = ThrowawayPostgres.builder().tls(certs).requireClientCertificate(certs.clientRole()).rejectNonTls()
                .start();
        try (Connection c = DriverManager.getConnection(tls.adminSpec().jdbcUrl(), tls.adminSpec().driverProperties());
                Statement s = c.createStatement()) {
            s.execute("create schema tls_app");
            s.execute("create schema tls_client authorization " + certs.clientRole());
        }
    }

    @AfterAll
    void close() {
        if (tls != null) {
            tls.close();
        }
    }

    @Test
    void verifyFullByNameVerifyCaAndRequireServeStorageAndTheConfigStoreOverTls() throws SQLException {
        for (SslMode mode : new SslMode[] {SslMode.VERIFY_FULL, SslMode.VERIFY_CA, SslMode.REQUIRE}) {
            ConnectionSpec spec = serverSpec(mode).schema("tls_app").build();
            try (Storage storage = Storage.open(spec, StorageOptions.builder().maximumPoolSize(2).build())) {
                assertThat(encrypted(storage.dataSource())).as("%s", mode).isTrue();
                ConfigStore store = ConfigStore.postgres(storage);
                store.put("tls." + mode.value(), Map.of("mode", mode.value()));
                assertThat(store.get("tls." + mode.value(), Map.class)).contains(Map.of("mode", mode.value()));
                assertThat(storage.health().isUp()).as("%s", mode).isTrue();
            }
        }
    }

    @Test
    void theFactoryConnectsWithVerifyFull() throws SQLException {
        ConnectionSpec spec = serverSpec(SslMode.VERIFY_FULL).build();
        try (DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder()
                .connectTimeout(CONNECT_TIMEOUT).maximumPoolSize(1).build())) {
            assertThat(encrypted(factory.get(spec))).isTrue();
            assertThat(factory.health(spec).isUp()).isTrue();
        }
    }

    @Test
    void aClientCertificateWithAnEncryptedKeyAndItsSslpasswordLogsTheRoleIn() throws SQLException {
        ConnectionSpec spec = clientSpec().sslPassword(certs.clientKeyPassword()).build();
        assertThat(spec.toString()).doesNotContain(certs.clientKeyPassword()).contains("sslpassword=***");

        try (Storage storage = Storage.open(spec, StorageOptions.builder().maximumPoolSize(1).build())) {
            assertThat(clientDn(storage.dataSource())).isEqualTo("/O=pgdock-testing/CN=" + certs.clientRole());
            ConfigStore store = ConfigStore.postgres(storage);
            store.put("tls.client", Map.of("ok", true));
            assertThat(store.get("tls.client", Map.class)).contains(Map.of("ok", true));
        }
        try (DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder()
                .connectTimeout(CONNECT_TIMEOUT).maximumPoolSize(1).build())) {
            assertThat(clientDn(factory.get(spec))).isEqualTo("/O=pgdock-testing/CN=" + certs.clientRole());
        }
    }

    @Test
    void theKeyPasswordCanComeFromTheUrlOrTheEnvironmentAndPgdockHealthDoesNotShowIt() {
        ConnectionSpec withoutPassword = clientSpec().build();
        String url = withoutPassword.toString();
        String secret = certs.clientKeyPassword();

        // In the URL.
        String printed = health(Map.of("PGDOCK_URL", url + "&sslpassword=" + secret));
        assertThat(printed).startsWith("storage  UP").doesNotContain(secret);
        // In PGDOCK_SSLPASSWORD, with the files in PGDOCK_SSL* variables.
        Map<String, String> env = new HashMap<>();
        env.put("PGDOCK_URL", serverSpec(SslMode.VERIFY_FULL).user(certs.clientRole()).schema("tls_client")
                .option("sslrootcert", null).build().toString());
        env.put("PGDOCK_SSLROOTCERT", certs.caCertificate().toString());
        env.put("PGDOCK_SSLCERT", certs.client().certificate().toString());
        env.put("PGDOCK_SSLKEY", certs.encryptedClientKey().toString());
        env.put("PGDOCK_SSLPASSWORD", secret);
        assertThat(ConnectionSpec.fromEnvironment(env).sslPassword()).contains(secret);
        printed = health(env);
        assertThat(printed).startsWith("storage  UP").doesNotContain(secret);
    }

    // ---- Helpers --------------------------------------------------------------------------------------------------

    /** The superuser, by host name, with the test CA. */
    private ConnectionSpec.Builder serverSpec(SslMode mode) {
        return tls.adminSpec().toBuilder().host("localhost").sslMode(mode)
                .option("sslrootcert", certs.caCertificate().toString()).connectTimeout(CONNECT_TIMEOUT);
    }

    /** The client role, verify-full, its certificate and its encrypted key; no key password. */
    private ConnectionSpec.Builder clientSpec() {
        return serverSpec(SslMode.VERIFY_FULL).user(certs.clientRole()).schema("tls_client")
                .option("sslcert", certs.client().certificate().toString())
                .option("sslkey", certs.encryptedClientKey().toString());
    }

    private static boolean encrypted(DataSource dataSource) throws SQLException {
        return "t".equals(query(dataSource, "select ssl from pg_stat_ssl where pid = pg_backend_pid()"));
    }

    private static String clientDn(DataSource dataSource) throws SQLException {
        return query(dataSource, "select client_dn from pg_stat_ssl where pid = pg_backend_pid()");
    }

    private static String query(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static String health(Map<String, String> env) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = PgdockCli.execute(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), "health");
        String printed = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isEqualTo(PgdockCli.OK);
        return printed;
    }
}
