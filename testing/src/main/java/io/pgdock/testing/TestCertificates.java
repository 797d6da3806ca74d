package io.pgdock.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;

/**
 * A certificate authority of a test's own and the certificates it signed, written as files for a TLS server
 * ({@code ThrowawayPostgres.builder().tls(certs)}) and for pgjdbc's {@code sslrootcert}, {@code sslcert},
 * {@code sslkey} and {@code sslpassword}: made at run time with the JDK alone (no openssl, no keytool, no files
 * checked in that could expire).
 *
 * <pre>{@code
 * TestCertificates certs = TestCertificates.create(tempDir);            // a new CA, new keys, every time
 * try (ThrowawayPostgres server = ThrowawayPostgres.builder().tls(certs).start()) {
 *     Properties props = new Properties();
 *     props.setProperty("user", "postgres");
 *     props.setProperty("sslmode", "verify-full");
 *     props.setProperty("sslrootcert", certs.caCertificate().toString());
 *     DriverManager.getConnection("jdbc:postgresql://localhost:" + server.port() + "/postgres", props).close();
 * }
 * }</pre>
 *
 * <p><b>What is made.</b> Every key is an EC key on P-256, and every certificate an X.509 v3 certificate signed with
 * SHA256withECDSA, valid from an hour before {@link #create(Path)} for thirty days. All of them are new on every call:
 * two calls make two unrelated authorities, which is how a test gets a "wrong" CA.
 * <table>
 *   <caption>Files in the directory</caption>
 *   <tr><th>Method</th><th>File</th><th>What</th></tr>
 *   <tr><td>{@link #caCertificate()}</td><td>{@code ca.crt}</td><td>the CA's self-signed certificate, PEM
 *       ({@code CN=pgdock test CA <random>}, {@code basicConstraints CA:true}); for {@code sslrootcert} and the
 *       server's {@code ssl_ca_file}. The CA's key is not written.</td></tr>
 *   <tr><td>{@link #server()}</td><td>{@code server.crt}, {@code server.key}</td><td>a server certificate for
 *       {@code localhost}, {@code 127.0.0.1} and {@code ::1} (subject alternative names; {@code CN=localhost}), and
 *       its key as unencrypted PKCS#8 PEM: what PostgreSQL's {@code ssl_cert_file} and {@code ssl_key_file}
 *       read</td></tr>
 *   <tr><td>{@link #mismatchedServer()}</td><td>{@code mismatched.crt}, {@code mismatched.key}</td><td>the same for
 *       the name {@value #MISMATCHED_HOST_NAME} only, so that {@code verify-full} to {@code localhost} fails the host
 *       name check while the chain is valid</td></tr>
 *   <tr><td>{@link #client()}</td><td>{@code client.crt}, {@code client.pk8}</td><td>a client certificate with
 *       {@code CN=}{@link #clientRole()}, which PostgreSQL's {@code cert} authentication maps to that role, and its key
 *       as unencrypted PKCS#8 DER: what pgjdbc's {@code sslcert} and {@code sslkey} read</td></tr>
 *   <tr><td>{@link #encryptedClientKey()}</td><td>{@code client-encrypted.pk8}</td><td>the same client key as PKCS#8
 *       DER encrypted with {@link #clientKeyPassword()} (pgjdbc's {@code sslpassword}), with
 *       {@code PBEWithSHA1AndDESede} (PKCS#12's 3-key triple DES, OID 1.2.840.113549.1.12.1.3; OpenSSL's
 *       {@code -v1 PBE-SHA1-3DES}). pgjdbc decrypts a key with {@code Cipher.getInstance} of the algorithm's JDK name,
 *       so it reads this and the other PKCS#5 v1.5 and PKCS#12 schemes, but on JDK 17 not PBES2 (OpenSSL's default
 *       for {@code openssl pkcs8 -topk8}), whose JDK name is {@code PBES2}, a cipher no provider offers.</td></tr>
 * </table>
 * Key files are readable by their owner only (mode {@code 0600}), as PostgreSQL demands of {@code ssl_key_file} and
 * pgjdbc of {@code sslkey}; certificates are {@code 0644}. Existing files of these names are replaced.
 *
 * <p><b>Thread safety.</b> Immutable once made; thread-safe. {@link #create(Path)} writes files, so two calls must not
 * share a directory.
 */
public final class TestCertificates {

    /** The client certificate's role, when {@link #create(Path)} is not told one: {@value}. */
    public static final String DEFAULT_CLIENT_ROLE = "pgdock_tls_client";

    /** The only name in {@link #mismatchedServer()}'s certificate: {@value}, a name that never resolves. */
    public static final String MISMATCHED_HOST_NAME = "mismatched.invalid";

    private static final Pattern ROLE = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
    private static final String KEY_ENCRYPTION = "PBEWithSHA1AndDESede";
    private static final int KEY_ENCRYPTION_ITERATIONS = 10_000;
    private static final Duration BACKDATING = Duration.ofHours(1);
    private static final Duration VALIDITY = Duration.ofDays(30);

    // Object identifiers, RFC 5280 and X.520.
    private static final String COMMON_NAME = "2.5.4.3";
    private static final String ORGANIZATION = "2.5.4.10";
    private static final String SUBJECT_KEY_IDENTIFIER = "2.5.29.14";
    private static final String KEY_USAGE = "2.5.29.15";
    private static final String SUBJECT_ALT_NAME = "2.5.29.17";
    private static final String BASIC_CONSTRAINTS = "2.5.29.19";
    private static final String AUTHORITY_KEY_IDENTIFIER = "2.5.29.35";
    private static final String EXTENDED_KEY_USAGE = "2.5.29.37";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    // KeyUsage bits.
    private static final int DIGITAL_SIGNATURE = 0;
    private static final int KEY_CERT_SIGN = 5;
    private static final int CRL_SIGN = 6;

    private final Path directory;
    private final Path caCertificate;
    private final CertifiedKey server;
    private final CertifiedKey mismatchedServer;
    private final CertifiedKey client;
    private final Path encryptedClientKey;
    private final String clientKeyPassword;
    private final String clientRole;

    private TestCertificates(Path directory, String clientRole, String clientKeyPassword) {
        this.directory = directory;
        this.caCertificate = directory.resolve("ca.crt");
        this.server = new CertifiedKey(directory.resolve("server.crt"), directory.resolve("server.key"));
        this.mismatchedServer = new CertifiedKey(directory.resolve("mismatched.crt"),
                directory.resolve("mismatched.key"));
        this.client = new CertifiedKey(directory.resolve("client.crt"), directory.resolve("client.pk8"));
        this.encryptedClientKey = directory.resolve("client-encrypted.pk8");
        this.clientKeyPassword = clientKeyPassword;
        this.clientRole = clientRole;
    }

    /**
     * A certificate and the file of its private key.
     *
     * @param certificate the certificate, PEM
     * @param privateKey its private key, unencrypted PKCS#8: PEM for a server's, DER for a client's (pgjdbc's
     *     {@code .pk8})
     */
    public record CertifiedKey(Path certificate, Path privateKey) {

        /**
         * Checks that both paths are given.
         *
         * @param certificate the certificate file
         * @param privateKey the private key file
         */
        public CertifiedKey {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(privateKey, "privateKey");
        }
    }

    /**
     * Makes a new CA and the certificates of the class comment in {@code directory}, with a client certificate for the
     * role {@value #DEFAULT_CLIENT_ROLE}.
     *
     * @param directory where the files go; created if missing
     * @return the files
     * @throws UncheckedIOException if a file cannot be written
     */
    public static TestCertificates create(Path directory) {
        return create(directory, DEFAULT_CLIENT_ROLE);
    }

    /**
     * As {@link #create(Path)}, with a client certificate for the given role.
     *
     * @param directory where the files go; created if missing
     * @param clientRole the client certificate's common name, which {@code cert} authentication takes as the role:
     *     lower-case letters, digits and {@code _}, starting with a letter or {@code _}, at most 63 characters
     * @return the files
     * @throws IllegalArgumentException if the role name is not of that form
     * @throws UncheckedIOException if a file cannot be written
     */
    public static TestCertificates create(Path directory, String clientRole) {
        Objects.requireNonNull(directory, "directory");
        checkRole(clientRole);
        SecureRandom random = new SecureRandom();
        TestCertificates certs = new TestCertificates(directory.toAbsolutePath(), clientRole, password(random));
        try {
            certs.write(random);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the test certificates into " + directory + ": " + e, e);
        } catch (GeneralSecurityException e) {
            // Every algorithm used here is one every JDK must have (EC P-256, SHA256withECDSA, PBEWithSHA1AndDESede).
            throw new IllegalStateException("This JDK cannot make the test certificates: " + e, e);
        }
        return certs;
    }

    /** Checks a role name for a client certificate, or for {@code cert} authentication; see {@link #create(Path, String)}. */
    static String checkRole(String role) {
        Objects.requireNonNull(role, "role");
        if (!ROLE.matcher(role).matches()) {
            throw new IllegalArgumentException("a role for a client certificate is lower-case letters, digits and _,"
                    + " starting with a letter or _, at most 63 characters, but was \"" + role + "\"");
        }
        return role;
    }

    /**
     * The directory the files are in.
     *
     * @return the absolute directory
     */
    public Path directory() {
        return directory;
    }

    /**
     * The CA's certificate ({@code ca.crt}, PEM): pgjdbc's {@code sslrootcert}, and what a server checks client
     * certificates against.
     *
     * @return the file
     */
    public Path caCertificate() {
        return caCertificate;
    }

    /**
     * The server certificate for {@code localhost}, {@code 127.0.0.1} and {@code ::1}, and its key (PEM).
     *
     * @return {@code server.crt} and {@code server.key}
     */
    public CertifiedKey server() {
        return server;
    }

    /**
     * A server certificate signed by the same CA for {@value #MISMATCHED_HOST_NAME} only, and its key (PEM): a server
     * that presents it fails {@code verify-full}'s host name check, and passes {@code verify-ca}.
     *
     * @return {@code mismatched.crt} and {@code mismatched.key}
     */
    public CertifiedKey mismatchedServer() {
        return mismatchedServer;
    }

    /**
     * The client certificate for {@link #clientRole()} and its unencrypted key (PKCS#8 DER): pgjdbc's {@code sslcert}
     * and {@code sslkey}.
     *
     * @return {@code client.crt} and {@code client.pk8}
     */
    public CertifiedKey client() {
        return client;
    }

    /**
     * The client certificate's key as PKCS#8 DER encrypted with {@link #clientKeyPassword()}, for pgjdbc's
     * {@code sslkey} with {@code sslpassword}.
     *
     * @return {@code client-encrypted.pk8}
     */
    public Path encryptedClientKey() {
        return encryptedClientKey;
    }

    /**
     * The password of {@link #encryptedClientKey()}: random, 20 letters and digits.
     *
     * @return the password
     */
    public String clientKeyPassword() {
        return clientKeyPassword;
    }

    /**
     * The client certificate's common name, the role it logs in as with {@code cert} authentication.
     *
     * @return the role name
     */
    public String clientRole() {
        return clientRole;
    }

    /** The directory, for logs; never the password. */
    @Override
    public String toString() {
        return "TestCertificates[" + directory + ", client role " + clientRole + "]";
    }

    private void write(SecureRandom random) throws IOException, GeneralSecurityException {
        Files.createDirectories(directory);
        ZonedDateTime notBefore = ZonedDateTime.now(ZoneOffset.UTC).minus(BACKDATING);
        ZonedDateTime notAfter = notBefore.plus(VALIDITY);

        KeyPair caKeys = newKeyPair(random);
        byte[] caName = name("pgdock test CA " + HexFormat.of().formatHex(randomBytes(random, 6)));
        byte[] caCert = certificate(random, caName, caKeys.getPublic(), caName, caKeys, notBefore, notAfter, List.of(
                extension(BASIC_CONSTRAINTS, true, Der.sequence(Der.bool(true))),
                extension(KEY_USAGE, true, Der.namedBits(KEY_CERT_SIGN, CRL_SIGN)),
                extension(SUBJECT_KEY_IDENTIFIER, false, Der.octetString(keyIdentifier(caKeys.getPublic())))));
        writePublic(caCertificate, pem("CERTIFICATE", caCert));

        writeServer(server, random, caName, caKeys, notBefore, notAfter, "localhost",
                List.of(dnsName("localhost"), ipAddress("127.0.0.1"), ipAddress("::1")));
        writeServer(mismatchedServer, random, caName, caKeys, notBefore, notAfter, MISMATCHED_HOST_NAME,
                List.of(dnsName(MISMATCHED_HOST_NAME)));

        KeyPair clientKeys = newKeyPair(random);
        byte[] clientCert = certificate(random, name(clientRole), clientKeys.getPublic(), caName, caKeys, notBefore,
                notAfter, endEntityExtensions(CLIENT_AUTH, clientKeys.getPublic(), caKeys.getPublic(), List.of()));
        writePublic(client.certificate(), pem("CERTIFICATE", clientCert));
        writePrivate(client.privateKey(), clientKeys.getPrivate().getEncoded());
        writePrivate(encryptedClientKey, encrypt(clientKeys.getPrivate(), clientKeyPassword, random));
    }

    private static void writeServer(CertifiedKey files, SecureRandom random, byte[] caName, KeyPair caKeys,
            ZonedDateTime notBefore, ZonedDateTime notAfter, String commonName, List<byte[]> altNames)
            throws IOException, GeneralSecurityException {
        KeyPair keys = newKeyPair(random);
        byte[] cert = certificate(random, name(commonName), keys.getPublic(), caName, caKeys, notBefore, notAfter,
                endEntityExtensions(SERVER_AUTH, keys.getPublic(), caKeys.getPublic(), altNames));
        writePublic(files.certificate(), pem("CERTIFICATE", cert));
        writePrivate(files.privateKey(), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    }

    private static List<byte[]> endEntityExtensions(String purpose, PublicKey subject, PublicKey issuer,
            List<byte[]> altNames) throws GeneralSecurityException {
        List<byte[]> extensions = new ArrayList<>(List.of(
                extension(BASIC_CONSTRAINTS, true, Der.sequence()),
                extension(KEY_USAGE, true, Der.namedBits(DIGITAL_SIGNATURE)),
                extension(EXTENDED_KEY_USAGE, false, Der.sequence(Der.oid(purpose))),
                extension(SUBJECT_KEY_IDENTIFIER, false, Der.octetString(keyIdentifier(subject))),
                extension(AUTHORITY_KEY_IDENTIFIER, false,
                        Der.sequence(Der.implicitPrimitive(0, keyIdentifier(issuer))))));
        if (!altNames.isEmpty()) {
            extensions.add(extension(SUBJECT_ALT_NAME, false, Der.sequence(altNames)));
        }
        return extensions;
    }

    /** A signed X.509 v3 certificate (RFC 5280 section 4.1), DER. */
    private static byte[] certificate(SecureRandom random, byte[] subject, PublicKey subjectKey, byte[] issuer,
            KeyPair issuerKeys, ZonedDateTime notBefore, ZonedDateTime notAfter, List<byte[]> extensions)
            throws GeneralSecurityException {
        byte[] signatureAlgorithm = Der.sequence(Der.oid(ECDSA_WITH_SHA256));
        byte[] tbs = Der.sequence(
                Der.explicit(0, Der.integer(BigInteger.TWO)), // v3
                Der.integer(new BigInteger(1, randomBytes(random, 16))),
                signatureAlgorithm,
                issuer,
                Der.sequence(Der.utcTime(notBefore), Der.utcTime(notAfter)),
                subject,
                subjectKey.getEncoded(), // SubjectPublicKeyInfo, DER
                Der.explicit(3, Der.sequence(extensions)));
        Signature signer = Signature.getInstance(SIGNATURE_ALGORITHM);
        signer.initSign(issuerKeys.getPrivate(), random);
        signer.update(tbs);
        return Der.sequence(tbs, signatureAlgorithm, Der.bitString(signer.sign()));
    }

    /** A Name of one common name (and the organisation {@code pgdock-testing}). */
    private static byte[] name(String commonName) {
        return Der.sequence(
                Der.set(Der.sequence(Der.oid(ORGANIZATION), Der.utf8String("pgdock-testing"))),
                Der.set(Der.sequence(Der.oid(COMMON_NAME), Der.utf8String(commonName))));
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value))
                : Der.sequence(Der.oid(oid), Der.octetString(value));
    }

    private static byte[] dnsName(String name) {
        return Der.implicitPrimitive(2, name.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] ipAddress(String literal) {
        try {
            return Der.implicitPrimitive(7, InetAddress.getByName(literal).getAddress()); // a literal: no lookup
        } catch (IOException e) {
            throw new IllegalArgumentException("not an IP address literal: " + literal, e);
        }
    }

    /** A key identifier: the first 160 bits of the SHA-256 of the SubjectPublicKeyInfo (RFC 7093, method 4). */
    private static byte[] keyIdentifier(PublicKey key) throws GeneralSecurityException {
        return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()), 20);
    }

    private static KeyPair newKeyPair(SecureRandom random) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), random);
        return generator.generateKeyPair();
    }

    /** The key's PKCS#8 encoding as an EncryptedPrivateKeyInfo, DER. */
    private static byte[] encrypt(PrivateKey key, String password, SecureRandom random)
            throws GeneralSecurityException, IOException {
        PBEKeySpec keySpec = new PBEKeySpec(password.toCharArray());
        try {
            Cipher cipher = Cipher.getInstance(KEY_ENCRYPTION);
            cipher.init(Cipher.ENCRYPT_MODE, SecretKeyFactory.getInstance(KEY_ENCRYPTION).generateSecret(keySpec),
                    new PBEParameterSpec(randomBytes(random, 20), KEY_ENCRYPTION_ITERATIONS), random);
            return new EncryptedPrivateKeyInfo(cipher.getParameters(), cipher.doFinal(key.getEncoded())).getEncoded();
        } finally {
            keySpec.clearPassword();
        }
    }

    private static String password(SecureRandom random) {
        String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        StringBuilder password = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            password.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return password.toString();
    }

    private static byte[] randomBytes(SecureRandom random, int count) {
        byte[] bytes = new byte[count];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static void writePublic(Path file, byte[] content) throws IOException {
        write(file, content, "rw-r--r--");
    }

    private static void writePrivate(Path file, byte[] content) throws IOException {
        write(file, content, "rw-------");
    }

    /** Writes a new file, created with the given mode where the file system has POSIX permissions. */
    private static void write(Path file, byte[] content, String mode) throws IOException {
        Files.deleteIfExists(file);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        } else {
            Files.createFile(file);
        }
        Files.write(file, content);
    }
}
