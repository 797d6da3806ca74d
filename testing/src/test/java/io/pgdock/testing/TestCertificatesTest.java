package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The test CA's files, read back with the JDK: the checks a TLS client and server make, without a server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TestCertificatesTest {

    private Path tmp;
    private TestCertificates certs;

    @BeforeAll
    void create(@TempDir Path directory) {
        tmp = directory;
        certs = TestCertificates.create(tmp.resolve("certs"));
    }

    @Test
    void theCaIsASelfSignedAuthority() throws Exception {
        X509Certificate ca = certificate(certs.caCertificate());

        assertThat(ca.getSubjectX500Principal()).isEqualTo(ca.getIssuerX500Principal());
        assertThat(ca.getSubjectX500Principal().getName()).matches("CN=pgdock test CA [0-9a-f]{12},O=pgdock-testing");
        assertThat(ca.getVersion()).isEqualTo(3);
        assertThat(ca.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE); // a CA, no path length limit
        // keyCertSign and cRLSign only; the JDK reports all nine bits of RFC 5280.
        assertThat(ca.getKeyUsage()).containsExactly(false, false, false, false, false, true, true, false, false);
        assertThat(ca.getCriticalExtensionOIDs()).containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15");
        assertThat(ca.getSigAlgName()).isEqualTo("SHA256withECDSA");
        ca.verify(ca.getPublicKey());
        ca.checkValidity();
    }

    @Test
    void theServerCertificateNamesLocalhostAndItsAddressesAndChainsToTheCa() throws Exception {
        X509Certificate server = certificate(certs.server().certificate());

        assertThat(server.getSubjectX500Principal().getName()).isEqualTo("CN=localhost,O=pgdock-testing");
        assertThat(server.getSubjectAlternativeNames()).containsExactly(List.of(2, "localhost"),
                List.of(7, "127.0.0.1"), List.of(7, "0:0:0:0:0:0:0:1"));
        assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
        assertThat(server.getBasicConstraints()).isEqualTo(-1); // not a CA
        assertThat(server.getKeyUsage()[0]).isTrue(); // digitalSignature
        validate(server);
        assertThat(signsFor(privateKey(pemBody(certs.server().privateKey(), "PRIVATE KEY")), server)).isTrue();
    }

    @Test
    void theMismatchedServerCertificateNamesAnotherHostOnly() throws Exception {
        X509Certificate mismatched = certificate(certs.mismatchedServer().certificate());

        assertThat(mismatched.getSubjectX500Principal().getName()).isEqualTo("CN=mismatched.invalid,O=pgdock-testing");
        assertThat(mismatched.getSubjectAlternativeNames()).containsExactly(List.of(2, "mismatched.invalid"));
        validate(mismatched); // a valid chain: only the name is wrong
        assertThat(signsFor(privateKey(pemBody(certs.mismatchedServer().privateKey(), "PRIVATE KEY")), mismatched))
                .isTrue();
    }

    @Test
    void theClientCertificateIsForTheRoleAndItsKeysAreUnencryptedAndEncryptedPkcs8Der() throws Exception {
        X509Certificate client = certificate(certs.client().certificate());

        assertThat(client.getSubjectX500Principal().getName()).isEqualTo("CN=pgdock_tls_client,O=pgdock-testing");
        assertThat(certs.clientRole()).isEqualTo(TestCertificates.DEFAULT_CLIENT_ROLE);
        assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
        assertThat(client.getSubjectAlternativeNames()).isNull();
        validate(client);
        PrivateKey plain = privateKey(Files.readAllBytes(certs.client().privateKey()));
        assertThat(signsFor(plain, client)).isTrue();

        // Decrypted the way pgjdbc's LazyKeyManager does it: by the JDK name of the encryption algorithm.
        EncryptedPrivateKeyInfo encrypted = new EncryptedPrivateKeyInfo(
                Files.readAllBytes(certs.encryptedClientKey()));
        assertThat(encrypted.getAlgName()).isEqualTo("PBEWithSHA1AndDESede");
        assertThat(decrypt(encrypted, certs.clientKeyPassword())).isEqualTo(plain);
        assertThatThrownBy(() -> decrypt(encrypted, "wrong" + certs.clientKeyPassword()))
                .isInstanceOf(InvalidKeySpecException.class);
        assertThat(certs.clientKeyPassword()).matches("[A-Za-z0-9]{20}");
    }

    @Test
    void keysAreReadableByTheirOwnerOnly() throws IOException {
        for (Path key : List.of(certs.server().privateKey(), certs.mismatchedServer().privateKey(),
                certs.client().privateKey(), certs.encryptedClientKey())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).as("%s", key)
                    .isEqualTo("rw-------");
        }
        for (Path cert : List.of(certs.caCertificate(), certs.server().certificate(),
                certs.mismatchedServer().certificate(), certs.client().certificate())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cert))).as("%s", cert)
                    .isEqualTo("rw-r--r--");
        }
        assertThat(certs.directory()).isEqualTo(tmp.resolve("certs").toAbsolutePath());
        assertThat(certs.toString()).doesNotContain(certs.clientKeyPassword());
    }

    @Test
    void everyCallMakesANewAuthorityWhoseCertificatesTheOtherDoesNotTrust() throws Exception {
        TestCertificates other = TestCertificates.create(tmp.resolve("other"), "app_reader");
        X509Certificate otherCa = certificate(other.caCertificate());

        assertThat(otherCa.getSubjectX500Principal()).isNotEqualTo(certificate(certs.caCertificate())
                .getSubjectX500Principal());
        assertThat(certificate(other.client().certificate()).getSubjectX500Principal().getName())
                .isEqualTo("CN=app_reader,O=pgdock-testing");
        assertThatThrownBy(() -> validate(certificate(other.server().certificate())))
                .isInstanceOfSatisfying(CertPathValidatorException.class,
                        e -> assertThat(e.getReason()).isEqualTo(PKIXReason.NO_TRUST_ANCHOR));
    }

    @Test
    void aRoleThatIsNoPlainNameIsRefused() {
        assertThatThrownBy(() -> TestCertificates.create(tmp.resolve("bad"), "App Reader"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a role for a client certificate is lower-case letters, digits and _, starting with a"
                        + " letter or _, at most 63 characters, but was \"App Reader\"");
        assertThat(tmp.resolve("bad")).doesNotExist();
    }

    /** Validates a certificate against this class's CA as the only trust anchor, as a PKIX client does. */
    private void validate(X509Certificate certificate) throws Exception {
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(certificate(certs.caCertificate()),
                null)));
        parameters.setRevocationEnabled(false);
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(List.of(certificate)), parameters);
    }

    private static X509Certificate certificate(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static byte[] pemBody(Path file, String type) throws IOException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        assertThat(pem).startsWith("-----BEGIN " + type + "-----\n").endsWith("-----END " + type + "-----\n");
        return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    }

    private static PrivateKey privateKey(byte[] pkcs8) throws GeneralSecurityException {
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }

    private static PrivateKey decrypt(EncryptedPrivateKeyInfo info, String password) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance(info.getAlgName());
        cipher.init(Cipher.DECRYPT_MODE, SecretKeyFactory.getInstance(info.getAlgName())
                .generateSecret(new PBEKeySpec(password.toCharArray())), info.getAlgParameters());
        return KeyFactory.getInstance("EC").generatePrivate(info.getKeySpec(cipher));
    }

    private static boolean signsFor(PrivateKey key, X509Certificate certificate) throws GeneralSecurityException {
        byte[] data = "pgdock".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(key);
        signer.update(data);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(data);
        return verifier.verify(signature);
    }
}
