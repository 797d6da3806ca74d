package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.SilentServer;
import java.sql.Connection;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Borrows from a target that accepts TCP connections and never answers: the first connection and a pooled one both
 * fail with {@link Reason#UNREACHABLE} naming the connect timeout, within a hang guard of three times that timeout, and
 * let go of their sockets. No test measures how long a borrow took.
 */
class SilentTargetTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration HANG_GUARD = TIMEOUT.multipliedBy(3);
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void theFirstBorrowFromASilentTargetFailsWithinTheFactorysConnectTimeout() throws Exception {
        try (SilentServer silent = SilentServer.start();
                DataSourceFactory f = DataSourceFactory.pooled(FactoryOptions.builder().connectTimeout(TIMEOUT)
                        .build())) {
            ConnectionSpec spec = silent.redirect(PG.spec()).toBuilder().password("not-shown-3").build();
            DataSource ds = f.get(spec);
            assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(() -> ds.getConnection().close())
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
                    .hasMessageStartingWith("cannot connect to " + spec + ": the server accepted the connection but "
                            + "sent nothing within the connect timeout of 2 s (FactoryOptions.connectTimeout)")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-shown-3")));
            assertThat(silent.awaitOpen(0, WAIT)).as("%s", silent).isTrue();

            Health health = f.health(spec);
            assertThat(health.status()).isEqualTo(Health.Status.DOWN);
            assertThat(health.reason()).hasValue(Reason.UNREACHABLE);
            assertThat(health.error()).hasValueSatisfying(e -> assertThat(e)
                    .contains("within the connect timeout of 2 s (FactoryOptions.connectTimeout)"));
        }
    }

    @Test
    void aPooledConnectionOpenedAfterTheTargetWentSilentFailsWithinTheSpecsConnectTimeout() throws Exception {
        ConnectionSpec real = PG.spec();
        try (SilentServer proxy = SilentServer.forwardingTo(real.host(), real.port());
                DataSourceFactory f = DataSourceFactory.pooled(FactoryOptions.builder()
                        .borrowTimeout(Duration.ofSeconds(3)).build())) {
            ConnectionSpec spec = proxy.redirect(real).toBuilder().connectTimeout(TIMEOUT).build();
            DataSource ds = f.get(spec);
            try (Connection held = ds.getConnection()) {
                assertThat(held.isValid(5)).isTrue();
                proxy.silence();
                // The pool's only connection is lent: this borrow needs a new one, opened against a silent server.
                assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(() -> ds.getConnection().close())
                        .isInstanceOfSatisfying(ConnectionFailedException.class,
                                e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
                        .hasMessageContaining("the server accepted the connection but sent nothing within the connect "
                                + "timeout of 2 s (connectTimeout)"));
            }
            // Only the connection lent before the silence may still be open (the pool keeps it idle).
            assertThat(proxy.awaitOpen(1, WAIT)).as("%s", proxy).isTrue();
        }
    }
}
