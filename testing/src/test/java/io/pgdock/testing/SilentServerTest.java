package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionSpec;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class SilentServerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Executor DIRECT = Runnable::run;

    @Test
    void acceptsConnectionsAndNeverSendsAByte() throws Exception {
        try (SilentServer silent = SilentServer.start()) {
            Socket client = new Socket();
            client.connect(new InetSocketAddress("127.0.0.1", silent.port()), 5_000);
            client.getOutputStream().write("hello?".getBytes(StandardCharsets.US_ASCII));
            client.setSoTimeout(200);
            InputStream in = client.getInputStream();
            assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
            assertThat(silent.awaitAccepted(1, WAIT)).isTrue();
            assertThat(silent.accepted()).isEqualTo(1);
            assertThat(silent.open()).isEqualTo(1);

            client.close();
            assertThat(silent.awaitOpen(0, WAIT)).as("the client's close is seen").isTrue();
            assertThat(silent.accepted()).isEqualTo(1);
            assertThat(silent.toString()).contains("accepted 1, open 0");
        }
    }

    @Test
    void aPgjdbcLoginAgainstItEndsOnlyByTheDriversReadTimeout() throws Exception {
        try (SilentServer silent = SilentServer.start()) {
            Properties p = new Properties();
            p.setProperty("user", "u");
            p.setProperty("sslmode", "disable");
            p.setProperty("socketTimeout", "1");
            assertThatThrownBy(() -> new org.postgresql.Driver().connect(
                    "jdbc:postgresql://127.0.0.1:" + silent.port() + "/d", p))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("08001");
                        assertThat((Throwable) e).hasRootCauseInstanceOf(SocketTimeoutException.class);
                    });
            assertThat(silent.accepted()).isEqualTo(1);
            assertThat(silent.awaitOpen(0, WAIT)).isTrue();
        }
    }

    @Test
    void forwardsToARealServerUntilSilenced() throws Exception {
        ConnectionSpec admin = TestPostgres.get().adminSpec();
        try (SilentServer proxy = SilentServer.forwardingTo(admin.host(), admin.port())) {
            ConnectionSpec through = proxy.redirect(admin).toBuilder().sslMode(io.pgdock.core.SslMode.DISABLE).build();
            assertThat(through.host()).isEqualTo("127.0.0.1");
            assertThat(through.port()).isEqualTo(proxy.port());
            try (Connection c = DataSources.unpooled(through).getConnection()) {
                assertThat(Sql.queryString(c, "select 'through the proxy'")).isEqualTo("through the proxy");
                assertThat(proxy.toString()).contains("forwarding to " + admin.host());

                proxy.silence();
                c.setNetworkTimeout(DIRECT, 500);
                assertThatThrownBy(() -> {
                    try (Statement s = c.createStatement()) {
                        s.execute("select 1");
                    }
                }).isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08006"))
                        .hasRootCauseInstanceOf(SocketTimeoutException.class);
            }
            assertThat(proxy.toString()).contains("silenced");
            ConnectionSpec later = through.toBuilder().socketTimeout(Duration.ofSeconds(1)).build();
            assertThatThrownBy(() -> DataSources.unpooled(later).getConnection())
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08001"))
                    .hasRootCauseInstanceOf(SocketTimeoutException.class);
            assertThat(proxy.accepted()).isEqualTo(2);
            assertThat(proxy.awaitOpen(0, WAIT)).isTrue();
        }
    }

    @Test
    void closeEndsEveryConnectionAndIsIdempotent() throws Exception {
        SilentServer silent = SilentServer.start();
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", silent.port()), 5_000);
            assertThat(silent.awaitAccepted(1, WAIT)).isTrue();
            silent.close();
            silent.close();
            assertThat(silent.open()).isZero();
            client.setSoTimeout(5_000);
            assertThat(client.getInputStream().read()).as("the server side was closed").isEqualTo(-1);
        }
    }

    @Test
    void refusesABadPort() {
        assertThatThrownBy(() -> SilentServer.forwardingTo("localhost", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("port must be 1 to 65535, but was 0");
    }
}
