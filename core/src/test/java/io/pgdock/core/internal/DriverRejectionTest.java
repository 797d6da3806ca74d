package io.pgdock.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.SslMode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pins every pgjdbc template {@link DriverRejection} and {@link SqlFailures} compare with: each case makes the real
 * driver raise its refusal, talking to a scripted server (a few bytes of the PostgreSQL protocol: the answer to a TLS
 * or GSS encryption request, then one authentication request), and checks the reason and the advice. A driver upgrade
 * that changes a template fails here. Real servers prove the same for Storage, health, the factory and the CLI
 * (core-it, dynamic-datasource, cli).
 */
class DriverRejectionTest {
    private static final int SSL_REQUEST = 80877103;
    private static final int GSS_REQUEST = 80877104;

    private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    /** What the scripted server answers: to a TLS request, to a GSS request, and to the start-up message. */
    @SuppressWarnings("ArrayRecordComponent") // never compared or hashed; the record only names the parts
    private record Script(int sslAnswer, int gssAnswer, byte[] startupAnswer) {
        static Script authRequest(int code, byte... extra) {
            return new Script('N', 'N', authentication(code, extra));
        }
    }

    private static byte[] authentication(int code, byte... extra) {
        byte[] m = new byte[1 + 4 + 4 + extra.length];
        m[0] = 'R';
        int length = 8 + extra.length;
        m[1] = (byte) (length >>> 24);
        m[2] = (byte) (length >>> 16);
        m[3] = (byte) (length >>> 8);
        m[4] = (byte) length;
        m[8] = (byte) code;
        System.arraycopy(extra, 0, m, 9, extra.length);
        return m;
    }

    private int serve(Script script) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        resources.add(server);
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Socket s = server.accept();
                    resources.add(s);
                    Thread c = new Thread(() -> answer(s, script), "scripted-server-connection");
                    c.setDaemon(true);
                    c.start();
                }
            } catch (IOException e) {
                // closed
            }
        }, "scripted-server");
        t.setDaemon(true);
        t.start();
        return server.getLocalPort();
    }

    private static void answer(Socket s, Script script) {
        try (s; DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
            while (true) {
                int length = in.readInt();
                byte[] body = new byte[length - 4];
                in.readFully(body);
                int code = ((body[0] & 0xff) << 24) | ((body[1] & 0xff) << 16) | ((body[2] & 0xff) << 8) | (body[3] & 0xff);
                if (code == SSL_REQUEST) {
                    out.write(script.sslAnswer());
                } else if (code == GSS_REQUEST) {
                    out.write(script.gssAnswer());
                } else {
                    out.write(script.startupAnswer());
                    out.flush();
                    while (in.read() >= 0) {
                        // whatever the client sends next (a password message) is not answered
                    }
                    return;
                }
                out.flush();
            }
        } catch (IOException e) {
            // the client gave up or closed
        }
    }

    private static ConnectionSpec spec(int port, UnaryOperator<ConnectionSpec.Builder> customize) {
        return customize.apply(ConnectionSpec.builder().host("127.0.0.1").port(port).database("d").user("app_user")
                .connectTimeout(Duration.ofSeconds(5))).build();
    }

    /** Connects with the real driver and returns its failure, and the one pgdock makes of it. */
    private static ConnectionFailedException refused(ConnectionSpec spec, String expectedState) {
        SQLException e = catchThrowableOfType(SQLException.class,
                () -> BoundedLogin.open(spec, spec.driverProperties(), LoginTimeout.of(spec)).close());
        org.junit.jupiter.api.Assertions.assertNotNull(e, "the driver's failure");
        assertThat(e.getSQLState()).as("%s", e).isEqualTo(expectedState);
        return SqlFailures.connectFailure(e, spec);
    }

    @Test
    void scramRequestedAndNoPasswordIsAuthenticationSayingWhereOneComesFrom() throws Exception {
        byte[] mechanisms = "SCRAM-SHA-256\0\0".getBytes(StandardCharsets.US_ASCII);
        ConnectionSpec spec = spec(serve(Script.authRequest(10, mechanisms)), b -> b);
        ConnectionFailedException f = refused(spec, "08004");
        assertThat(f.reason()).isEqualTo(Reason.AUTHENTICATION);
        assertThat(f.getMessage()).startsWith("cannot connect to " + spec + ": the server asks for a password for "
                + "role \"app_user\", and none was given; give one in the URL")
                .contains("PGDOCK_PASSWORD or PGPASSWORD", "~/.pgpass", "PGPASSFILE")
                .doesNotContain("no server answered");
    }

    @Test
    void cleartextOrMd5PasswordRequestedAndNoneGivenIsAuthentication() throws Exception {
        for (Script script : List.of(Script.authRequest(3), Script.authRequest(5, (byte) 1, (byte) 2, (byte) 3,
                (byte) 4))) {
            ConnectionFailedException f = refused(spec(serve(script), b -> b), "08004");
            assertThat(f.reason()).isEqualTo(Reason.AUTHENTICATION);
            assertThat(f.getMessage()).contains("the server asks for a password for role \"app_user\", and none was "
                    + "given");
        }
    }

    @Test
    void tlsRequiredAndNotOfferedIsTls() throws Exception {
        ConnectionSpec spec = spec(serve(Script.authRequest(0)), b -> b.sslMode(SslMode.VERIFY_FULL));
        ConnectionFailedException f = refused(spec, "08004");
        assertThat(f.reason()).isEqualTo(Reason.TLS);
        assertThat(f.getMessage()).contains("the server does not support TLS, but sslmode=verify-full requires it");
    }

    @Test
    void gssEncryptionRequiredAndNotOfferedIsTls() throws Exception {
        for (int answer : new int[] {'N', 'E'}) {
            ConnectionSpec spec = spec(serve(new Script('N', answer, authentication(0))),
                    b -> b.option("gssEncMode", "require"));
            ConnectionFailedException f = refused(spec, "08004");
            assertThat(f.reason()).isEqualTo(Reason.TLS);
            assertThat(f.getMessage()).contains("the server does not support GSS encryption, but gssEncMode=require");
        }
    }

    @Test
    void channelBindingRequiredAndNotPossibleIsAuthentication() throws Exception {
        byte[] mechanisms = "SCRAM-SHA-256\0\0".getBytes(StandardCharsets.US_ASCII);
        for (Script script : List.of(Script.authRequest(0), Script.authRequest(3), Script.authRequest(10, mechanisms))) {
            ConnectionSpec spec = spec(serve(script), b -> b.password("hidden-pw-2").sslMode(SslMode.DISABLE)
                    .option("channelBinding", "require"));
            ConnectionFailedException f = refused(spec, "08004");
            assertThat(f.reason()).as("%s", f).isEqualTo(Reason.AUTHENTICATION);
            assertThat(f.getMessage()).contains("channelBinding=require, but the server did not authenticate with "
                    + "SCRAM over TLS").doesNotContain("hidden-pw-2");
        }
    }

    @Test
    void anAuthenticationMethodTheDriverLacksIsAuthentication() throws Exception {
        ConnectionFailedException f = refused(spec(serve(Script.authRequest(99)), b -> b), "08004");
        assertThat(f.reason()).isEqualTo(Reason.AUTHENTICATION);
        assertThat(f.getMessage()).contains("an authentication method pgjdbc does not support");
    }

    @Test
    void aRootCertificateThatCannotBeReadIsTlsByWhereTheDriverRaisedIt() throws Exception {
        ConnectionSpec spec = spec(serve(new Script('S', 'N', new byte[0])), b -> b.sslMode(SslMode.VERIFY_FULL)
                .option("sslrootcert", "/nonexistent/pgdock-root.crt"));
        SQLException e = catchThrowableOfType(SQLException.class,
                () -> BoundedLogin.open(spec, spec.driverProperties(), LoginTimeout.of(spec)).close());
        assertThat(e.getSQLState()).isNotEqualTo("08004");
        assertThat(SqlFailures.classify(e)).as("%s", e).isEqualTo(Reason.TLS);
        assertThat(SqlFailures.connectFailure(e, spec).getMessage()).contains("a certificate or key file that "
                + "sslrootcert, sslcert or sslkey names cannot be read");
    }

    @Test
    void anUnknown08004IsNeverUnreachable() {
        SQLException e = new SQLException("a refusal of a future driver", "08004");
        assertThat(SqlFailures.classify(e)).isEqualTo(Reason.AUTHENTICATION);
        assertThat(SqlFailures.connectFailure(e, "db").getMessage()).isEqualTo("cannot connect to db: the connection "
                + "was rejected while it was set up (authentication or encryption); check user, password, pg_hba.conf "
                + "and sslmode (a refusal of a future driver)");
    }
}
