package io.pgdock.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.SslMode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The login deadline against peers that do not answer, made here from plain sockets (core cannot use pgdock-testing;
 * core-it proves the same through Storage with its SilentServer). Each case has a hang guard of three times the timeout,
 * and checks the stage, the reason and the message; none measures how long it took.
 */
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class BoundedLoginTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final Duration HANG_GUARD = TIMEOUT.multipliedBy(3);

    private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    /** A peer that accepts connections and never writes; counts down once a client has closed its socket. */
    private final class Peer implements AutoCloseable {
        final ServerSocket server;
        final CountDownLatch clientClosed = new CountDownLatch(1);
        final byte[] reply;

        Peer(byte[] reply) throws IOException {
            this.reply = reply;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::serve, "silent-peer");
            t.setDaemon(true);
            t.start();
            resources.add(this);
        }

        private void serve() {
            try {
                while (true) {
                    Socket s = server.accept();
                    resources.add(s);
                    Thread t = new Thread(() -> drain(s), "silent-peer-connection");
                    t.setDaemon(true);
                    t.start();
                }
            } catch (IOException e) {
                // closed
            }
        }

        private void drain(Socket s) {
            try (InputStream in = s.getInputStream()) {
                byte[] buffer = new byte[1024];
                boolean replied = false;
                while (in.read(buffer) >= 0) {
                    if (reply.length > 0 && !replied) {
                        s.getOutputStream().write(reply);
                        s.getOutputStream().flush();
                        replied = true;
                    }
                }
                clientClosed.countDown();
            } catch (IOException e) {
                clientClosed.countDown();   // reset by the client
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static ConnectionSpec spec(int port, SslMode mode) {
        return ConnectionSpec.builder().host("127.0.0.1").port(port).database("d").user("u").password("hidden-pw-7")
                .sslMode(mode).connectTimeout(TIMEOUT).build();
    }

    private static LoginTimeoutException loginFails(ConnectionSpec spec) {
        LoginTimeoutException[] thrown = new LoginTimeoutException[1];
        assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(
                () -> BoundedLogin.open(spec, spec.driverProperties(), LoginTimeout.of(spec)))
                .isInstanceOfSatisfying(LoginTimeoutException.class, e -> thrown[0] = e));
        return thrown[0];
    }

    @ParameterizedTest
    @EnumSource(value = SslMode.class, names = {"DISABLE", "ALLOW", "PREFER", "REQUIRE"})
    void aPeerThatAcceptsAndNeverAnswersFailsWithinTheConnectTimeoutAndTheSocketIsClosed(SslMode mode)
            throws Exception {
        Peer peer = new Peer(new byte[0]);
        ConnectionSpec spec = spec(peer.port(), mode);
        LoginTimeoutException e = loginFails(spec);
        assertThat(e.stage()).isEqualTo(LoginTimeoutException.Stage.NOTHING_RECEIVED);
        assertThat(e.getSQLState()).isEqualTo("08001");
        assertThat(e.timeout().value()).isEqualTo(TIMEOUT);

        ConnectionFailedException failure = SqlFailures.connectFailure(e, spec.toString());
        assertThat(failure.reason()).isEqualTo(Reason.UNREACHABLE);
        assertThat(failure.getMessage()).startsWith("cannot connect to postgresql://u:***@127.0.0.1:" + peer.port())
                .contains("the server accepted the connection but sent nothing within the connect timeout of 1 s "
                        + "(connectTimeout)")
                .contains("pg_isready").doesNotContain("hidden-pw-7");
        assertThat(peer.clientClosed.await(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS))
                .as("the client closed its socket").isTrue();
    }

    @Test
    void aPeerThatAnswersTheTlsRequestAndThenNothingIsALoginThatDidNotFinish() throws Exception {
        Peer peer = new Peer(new byte[] {'N'});   // "no TLS here", then silence
        LoginTimeoutException e = loginFails(spec(peer.port(), SslMode.PREFER));
        assertThat(e.stage()).isEqualTo(LoginTimeoutException.Stage.LOGIN_UNFINISHED);
        assertThat(e.getMessage()).startsWith("the server answered but the login did not finish within the connect "
                + "timeout of 1 s (connectTimeout)");
    }

    @Test
    void aServerWhoseBacklogIsFullDoesNotAcceptTheTcpConnection() throws Exception {
        // Linux completes TCP handshakes into a listener's queue up to its backlog, and drops further SYNs: a listener
        // that never accepts, with its queue full, is a server that does not accept the connection.
        ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        resources.add(full);
        for (int i = 0; i < 2; i++) {
            Socket s = new Socket();
            resources.add(s);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort()), 1000);
        }
        LoginTimeoutException e = loginFails(spec(full.getLocalPort(), SslMode.DISABLE));
        assertThat(e.stage()).isEqualTo(LoginTimeoutException.Stage.NOT_ACCEPTED);
        assertThat(SqlFailures.connectFailure(e, "db").getMessage()).isEqualTo("cannot connect to db: no server "
                + "accepted the TCP connection within the connect timeout of 1 s (connectTimeout); check host and port, "
                + "that the server is running, and that no firewall drops the traffic");
    }

    @Test
    void theFallbackOfReadTimeoutsAlsoEndsTheLogin() throws Exception {
        Peer peer = new Peer(new byte[0]);
        ConnectionSpec spec = spec(peer.port(), SslMode.DISABLE);
        assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(() -> BoundedLogin.openWithReadTimeouts(spec,
                spec.driverProperties(), LoginTimeout.of(spec)))
                .isInstanceOfSatisfying(LoginTimeoutException.class,
                        e -> assertThat(e.stage()).isEqualTo(LoginTimeoutException.Stage.UNKNOWN))
                .hasMessageStartingWith("the login did not finish within the connect timeout of 1 s (connectTimeout)"));
    }

    @Test
    void timeoutsAreNamedByWhereTheyAreSet() {
        ConnectionSpec none = ConnectionSpec.builder().host("h").database("d").user("u").build();
        assertThat(LoginTimeout.of(none).describe())
                .isEqualTo("the connect timeout of 10 s (the default; set connectTimeout to change it)");
        assertThat(LoginTimeout.of(none, Duration.ofSeconds(3), "FactoryOptions.connectTimeout").describe())
                .isEqualTo("the connect timeout of 3 s (FactoryOptions.connectTimeout)");
        assertThat(LoginTimeout.of(none.toBuilder().connectTimeout(Duration.ofSeconds(4)).build()).describe())
                .isEqualTo("the connect timeout of 4 s (connectTimeout)");
        assertThat(new LoginTimeout(Duration.ofMillis(1500), "health timeout", "StorageOptions.healthTimeout").describe())
                .isEqualTo("the health timeout of 1.5 s (StorageOptions.healthTimeout)");
        assertThat(new LoginTimeout(Duration.ofMillis(50), "health timeout", "x").seconds()).isEqualTo(1);
        assertThat(LoginTimeout.of(none.toBuilder().connectTimeout(Duration.ZERO).build()).unlimited()).isTrue();
        assertThatThrownBy(() -> new LoginTimeout(Duration.ofSeconds(-1), "connect timeout", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connect timeout must not be negative, but was PT-1S");
    }
}
