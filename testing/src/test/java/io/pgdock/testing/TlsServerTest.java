package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.SslMode;
import io.pgdock.testing.ThrowawayPostgres.Replication;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.CertPathBuilderException;
import java.security.spec.InvalidKeySpecException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;
import javax.net.ssl.SSLHandshakeException;
import javax.security.auth.callback.UnsupportedCallbackException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.util.PSQLException;

/**
 * TLS servers with the test CA, reached with plain pgjdbc connections. Each failure test records what pgjdbc 42.7
 * reports, as assertions: the exception class, its SQLState and its cause chain, which a failure classifier can rely on
 * (and which these tests pin, so that a driver upgrade that changes them shows up here).
 *
 * <p>Three servers for the class: {@code tls} (the server certificate for localhost, a role that must show a client
 * certificate, no connection without TLS), {@code mismatched} (a certificate for another host name) and {@code plain}
 * ({@code ssl = off}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class TlsServerTest {

    private Path tmp;
    private TestCertificates certs;
    private TestCertificates otherCa;
    private ThrowawayPostgres tls;
    private ThrowawayPostgres mismatched;
    private ThrowawayPostgres plain;

    @BeforeAll
    void start(@TempDir Path directory) {
        tmp = directory;
        certs = TestCertificates.create(tmp.resolve("certs"));
        otherCa = TestCertificates.create(tmp.resolve("other-ca"));
        tls = ThrowawayPostgres.builder().tls(certs).requireClientCertificate(certs.clientRole()).rejectNonTls()
                .start();
        mismatched = ThrowawayPostgres.builder().tls(certs).serverCertificate(certs.mismatchedServer()).start();
        plain = ThrowawayPostgres.start();
    }

    @AfterAll
    void close() {
        for (ThrowawayPostgres server : new ThrowawayPostgres[] {tls, mismatched, plain}) {
            if (server != null) {
                server.close();
            }
        }
    }

    // ---- What succeeds ---------------------------------------------------------------------------------------------

    @Test
    void verifyFullWithTheCaSucceedsByNameAndByAddress() throws SQLException {
        for (String host : new String[] {"localhost", "127.0.0.1"}) {
            try (Connection c = connect(host, tls, "postgres", Map.of("sslmode", "verify-full",
                    "sslrootcert", certs.caCertificate().toString()))) {
                assertThat(Sql.queryString(c, "select ssl from pg_stat_ssl where pid = pg_backend_pid()"))
                        .as("over %s", host).isEqualTo("t");
                assertThat(Sql.queryString(c, "select version from pg_stat_ssl where pid = pg_backend_pid()"))
                        .startsWith("TLSv1.");
                assertThat(Sql.queryString(c, "select client_dn from pg_stat_ssl where pid = pg_backend_pid()"))
                        .isNull(); // no client certificate sent
            }
        }
    }

    @Test
    void aClientCertificateLogsTheRoleInWithTheUnencryptedKeyOrTheEncryptedKeyAndItsPassword() throws SQLException {
        Map<String, String> unencrypted = clientCertificate(certs.client().privateKey());
        Map<String, String> encrypted = new LinkedHashMap<>(clientCertificate(certs.encryptedClientKey()));
        encrypted.put("sslpassword", certs.clientKeyPassword());

        for (Map<String, String> properties : List.of(unencrypted, encrypted)) {
            try (Connection c = connect("localhost", tls, certs.clientRole(), properties)) {
                assertThat(Sql.queryString(c, "select current_user")).isEqualTo("pgdock_tls_client");
                assertThat(Sql.queryString(c, "select client_dn from pg_stat_ssl where pid = pg_backend_pid()"))
                        .isEqualTo("/O=pgdock-testing/CN=pgdock_tls_client");
            }
        }
    }

    @Test
    void theAdminSpecOfATlsServerVerifiesTheCaButNotTheName() throws SQLException, IOException {
        for (ThrowawayPostgres server : new ThrowawayPostgres[] {tls, mismatched}) {
            assertThat(server.adminSpec().sslMode()).contains(SslMode.VERIFY_CA);
            assertThat(server.adminSpec().options().get("sslrootcert"))
                    .isEqualTo(server.dataDirectory().resolve("pgdock-ca.crt").toString());
            assertThat(Sql.queryString(DataSources.unpooled(server.adminSpec()),
                    "select ssl from pg_stat_ssl where pid = pg_backend_pid()")).isEqualTo("t");
        }
        // The server keeps copies of its files; its key is its owner's only, as PostgreSQL demands.
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                tls.dataDirectory().resolve("pgdock-server.key")))).isEqualTo("rw-------");
        assertThat(plain.adminSpec().sslMode()).isEmpty();
    }

    @Test
    void aStandbyOfATlsPrimaryServesTheSameCertificate() throws SQLException {
        try (ThrowawayPostgres primary = ThrowawayPostgres.builder().tls(certs).replication(Replication.ASYNCHRONOUS)
                .rejectNonTls().start();
                ThrowawayPostgres standby = primary.startStandby();
                Connection c = connect("localhost", standby, "postgres", Map.of("sslmode", "verify-full",
                        "sslrootcert", certs.caCertificate().toString()))) {
            assertThat(Sql.queryString(c, "select pg_is_in_recovery()")).isEqualTo("t");
            assertThat(Sql.queryString(c, "select ssl from pg_stat_ssl where pid = pg_backend_pid()")).isEqualTo("t");
            // The standby's own connection to the primary uses TLS too (non-TLS connections are rejected there).
            assertThat(Sql.queryString(DataSources.unpooled(primary.adminSpec()), "select s.ssl from pg_stat_ssl s"
                    + " join pg_stat_replication r using (pid)")).isEqualTo("t");
        }
    }

    // ---- What fails, and how pgjdbc says so ------------------------------------------------------------------------

    @Test
    void aServerCertificateOfAnotherCaFailsTheHandshake() {
        assertThatThrownBy(() -> connect("localhost", tls, "postgres", Map.of("sslmode", "verify-full",
                "sslrootcert", otherCa.caCertificate().toString())))
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08006"))
                .hasMessageStartingWith("SSL error: PKIX path building failed: ")
                .hasMessageEndingWith("unable to find valid certification path to requested target")
                .hasCauseInstanceOf(SSLHandshakeException.class)
                .hasRootCauseInstanceOf(CertPathBuilderException.class)
                .satisfies(e -> assertThat(causeClasses(e)).containsExactly(
                        "org.postgresql.util.PSQLException",
                        "javax.net.ssl.SSLHandshakeException",
                        "sun.security.validator.ValidatorException", // a java.security.cert.CertificateException
                        "sun.security.provider.certpath.SunCertPathBuilderException")); // a CertPathBuilderException
    }

    @Test
    void aHostNameTheCertificateDoesNotNameFailsVerifyFullAfterTheHandshake() throws SQLException {
        assertThatThrownBy(() -> connect("localhost", mismatched, "postgres", Map.of("sslmode", "verify-full",
                "sslrootcert", certs.caCertificate().toString())))
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08006"))
                .hasMessage("The hostname localhost could not be verified by hostnameverifier PgjdbcHostnameVerifier.")
                .hasNoCause();
        // The chain is fine: verify-ca, which does not check the name, connects.
        try (Connection c = connect("localhost", mismatched, "postgres", Map.of("sslmode", "verify-ca",
                "sslrootcert", certs.caCertificate().toString()))) {
            assertThat(Sql.queryString(c, "select ssl from pg_stat_ssl where pid = pg_backend_pid()")).isEqualTo("t");
        }
    }

    @Test
    void aMissingRootCertificateFailsBeforeTheConnectionIsMade() {
        Path missing = tmp.resolve("no-such-root.crt");

        assertThatThrownBy(() -> connect("localhost", tls, "postgres", Map.of("sslmode", "verify-full",
                "sslrootcert", missing.toString())))
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08006"))
                .hasMessage("Could not open SSL root certificate file " + missing + ".")
                .cause().isInstanceOf(FileNotFoundException.class)
                .hasMessage(missing + " (No such file or directory)")
                .hasNoCause();
    }

    @Test
    void anEncryptedClientKeyWithoutItsPasswordFailsWithTheKeyManagersError() {
        assertThatThrownBy(() -> connect("localhost", tls, certs.clientRole(),
                clientCertificate(certs.encryptedClientKey())))
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08006"))
                .hasMessage("Could not read password for SSL key file, console is not available.")
                .cause().isInstanceOf(UnsupportedCallbackException.class)
                .hasMessage("Console is not available");
    }

    @Test
    void anEncryptedClientKeyWithAWrongPasswordCannotBeDecrypted() {
        Map<String, String> properties = new LinkedHashMap<>(clientCertificate(certs.encryptedClientKey()));
        properties.put("sslpassword", "not-" + certs.clientKeyPassword());

        assertThatThrownBy(() -> connect("localhost", tls, certs.clientRole(), properties))
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08006"))
                .hasMessage("Could not decrypt SSL key file " + certs.encryptedClientKey() + ".")
                // Its own cause is, but for one wrong password in 256, a BadPaddingException.
                .cause().isInstanceOf(InvalidKeySpecException.class)
                .hasMessage("Cannot retrieve the PKCS8EncodedKeySpec");
    }

    @Test
    void aClientKeyEncryptedWithPbes2CannotBeReadByPgjdbc() throws Exception {
        Path pbes2 = tmp.resolve("client-pbes2.pk8");
        Files.write(pbes2, encryptWithPbes2(Files.readAllBytes(certs.client().privateKey()), "secret"));
        Files.setPosixFilePermissions(pbes2, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> properties = new LinkedHashMap<>(clientCertificate(pbes2));
        properties.put("sslpassword", "secret");

        // OpenSSL's default for encrypted PKCS#8 (PBES2 with AES); pgjdbc asks the JDK for a cipher named PBES2.
        assertThatThrownBy(() -> connect("localhost", tls, certs.clientRole(), properties))
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08006"))
                .hasMessage("Could not find a java cryptographic algorithm: Cannot find any provider supporting"
                        + " PBES2.")
                .cause().isInstanceOf(NoSuchAlgorithmException.class)
                .hasMessage("Cannot find any provider supporting PBES2");
    }

    @Test
    void aRoleThatMustShowACertificateIsRefusedWithoutOneOrWithOneOfAnotherCa() {
        Map<String, String> noCertificate = Map.of("sslmode", "verify-full",
                "sslrootcert", certs.caCertificate().toString());
        Map<String, String> foreignCertificate = new LinkedHashMap<>(noCertificate);
        foreignCertificate.put("sslcert", otherCa.client().certificate().toString());
        foreignCertificate.put("sslkey", otherCa.client().privateKey().toString());

        // pgjdbc sends no certificate whose issuer the server does not name, so both look the same to the server.
        for (Map<String, String> properties : List.of(noCertificate, foreignCertificate)) {
            assertThatThrownBy(() -> connect("localhost", tls, certs.clientRole(), properties))
                    .isInstanceOfSatisfying(PSQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("28000"); // invalid_authorization_specification
                        assertThat(e.getServerErrorMessage()).isNotNull();
                        assertThat(e.getServerErrorMessage().getSeverity()).isEqualTo("FATAL");
                    })
                    .hasMessage("FATAL: connection requires a valid client certificate")
                    .hasNoCause();
        }
    }

    @Test
    void aConnectionWithoutTlsIsRejectedByPgHba() {
        assertThatThrownBy(() -> connect("localhost", tls, "postgres", Map.of("sslmode", "disable")))
                .isInstanceOfSatisfying(PSQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo("28000");
                    assertThat(e.getServerErrorMessage().getSeverity()).isEqualTo("FATAL");
                })
                .hasMessageMatching("FATAL: pg_hba.conf rejects connection for host \"(127\\.0\\.0\\.1|::1)\","
                        + " user \"postgres\", database \"postgres\", no encryption")
                .hasNoCause();
    }

    @Test
    void requiringTlsOfAServerWithoutItFails() {
        for (String mode : new String[] {"require", "verify-ca", "verify-full"}) {
            assertThatThrownBy(() -> connect("localhost", plain, "postgres", Map.of("sslmode", mode,
                    "sslrootcert", certs.caCertificate().toString())))
                    .as("sslmode=%s", mode)
                    .isInstanceOfSatisfying(PSQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("08004"); // sqlserver_rejected_establishment_of_sqlconnection
                        assertThat(e.getServerErrorMessage()).isNull(); // the driver's own, not the server's
                    })
                    .hasMessage("The server does not support SSL.")
                    .hasNoCause();
        }
    }

    @Test
    void tlsOptionsNeedTlsAndTheSettingsTlsManagesAreRefused() {
        assertThatThrownBy(() -> ThrowawayPostgres.builder().rejectNonTls().start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("serverCertificate(), requireClientCertificate() and rejectNonTls() need tls(certificates)"
                        + " as well");
        assertThatThrownBy(() -> ThrowawayPostgres.builder().tls(certs).setting("ssl_cert_file", "x.crt").start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server setting ssl_cert_file is set by tls(certificates), so it cannot be set as a"
                        + " setting too");
        assertThatThrownBy(() -> ThrowawayPostgres.builder().requireClientCertificate("Bad Role"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("but was \"Bad Role\"");
        assertThatThrownBy(() -> ThrowawayPostgres.builder().serverCertificate(
                new TestCertificates.CertifiedKey(tmp.resolve("none.crt"), tmp.resolve("none.key"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server certificate: no such file " + tmp.resolve("none.crt"));
    }

    // ---- Helpers ---------------------------------------------------------------------------------------------------

    private static Connection connect(String host, ThrowawayPostgres server, String user, Map<String, String> options)
            throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        options.forEach(properties::setProperty);
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + server.port() + "/postgres", properties);
    }

    /** verify-full with the test CA, and the client certificate with the given key file. */
    private Map<String, String> clientCertificate(Path key) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("sslmode", "verify-full");
        properties.put("sslrootcert", certs.caCertificate().toString());
        properties.put("sslcert", certs.client().certificate().toString());
        properties.put("sslkey", key.toString());
        return properties;
    }

    private static List<String> causeClasses(Throwable failure) {
        List<String> classes = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            classes.add(t.getClass().getName());
        }
        return classes;
    }

    /** A PKCS#8 key as an EncryptedPrivateKeyInfo with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), as OpenSSL writes. */
    private static byte[] encryptWithPbes2(byte[] pkcs8, String password) throws Exception {
        SecureRandom random = new SecureRandom();
        byte[] salt = new byte[16];
        byte[] iv = new byte[16];
        random.nextBytes(salt);
        random.nextBytes(iv);
        String algorithm = "PBEWithHmacSHA256AndAES_256";
        Cipher cipher = Cipher.getInstance(algorithm);
        cipher.init(Cipher.ENCRYPT_MODE, SecretKeyFactory.getInstance(algorithm)
                .generateSecret(new PBEKeySpec(password.toCharArray())),
                new PBEParameterSpec(salt, 10_000, new IvParameterSpec(iv)));
        byte[] encrypted = cipher.doFinal(pkcs8);
        // The JDK names the PBES2 parameters but cannot build an EncryptedPrivateKeyInfo for them (JDK 17), so the
        // AlgorithmIdentifier is written by hand: PBES2's OID and the parameters the JDK encodes.
        return Der.sequence(Der.sequence(Der.oid("1.2.840.113549.1.5.13"), cipher.getParameters().getEncoded()),
                Der.octetString(encrypted));
    }
}
