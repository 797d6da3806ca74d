package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Options HikariCP would quietly change or ignore are refused when they are built, saying why. */
class StorageOptionsTest {
    @Test
    void anIdleTimeoutHikariCpWouldSwitchOffIsRefused() {
        assertThatThrownBy(() -> StorageOptions.builder().maxLifetime(Duration.ofSeconds(30))
                .idleTimeout(Duration.ofMillis(29_500)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("idleTimeout (PT29.5S) must be at least 1 s shorter than maxLifetime (PT30S), or zero;"
                        + " HikariCP would otherwise ignore it");
        assertThatThrownBy(() -> StorageOptions.builder().idleTimeout(Duration.ofHours(1)).build())
                .hasMessageStartingWith("idleTimeout (PT1H) must be at least 1 s shorter than maxLifetime (PT30M)");
    }

    @Test
    void zeroMeansNoLimitOnEitherSide() {
        StorageOptions noLifetime = StorageOptions.builder().maxLifetime(Duration.ZERO)
                .idleTimeout(Duration.ofHours(1)).build();
        assertThat(noLifetime.idleTimeout()).isEqualTo(Duration.ofHours(1));
        StorageOptions noIdle = StorageOptions.builder().maxLifetime(Duration.ofSeconds(30)).idleTimeout(Duration.ZERO)
                .build();
        assertThat(noIdle.maxLifetime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(StorageOptions.builder().maxLifetime(Duration.ofSeconds(30)).idleTimeout(Duration.ofSeconds(29))
                .build().idleTimeout()).isEqualTo(Duration.ofSeconds(29));
    }

    @Test
    void theTickerIsTheSystemOneUnlessSet() {
        assertThat(StorageOptions.defaults().ticker()).isSameAs(Ticker.system()).hasToString("Ticker.system()");
        Ticker fake = () -> 42;
        assertThat(StorageOptions.builder().ticker(fake).build().ticker()).isSameAs(fake);
        assertThatThrownBy(() -> StorageOptions.builder().ticker(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("ticker");
    }

    @Test
    void healthChecksRunOnPgdocksSharedThreadsUnlessAnExecutorIsSet() {
        assertThat(StorageOptions.defaults().healthExecutor()).isEmpty();
        java.util.concurrent.Executor mine = Runnable::run;
        assertThat(StorageOptions.builder().healthExecutor(mine).build().healthExecutor()).containsSame(mine);
        assertThatThrownBy(() -> StorageOptions.builder().healthExecutor(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("healthExecutor");
    }

    @Test
    void floorsAreHikariCpsAndNamed() {
        assertThatThrownBy(() -> StorageOptions.builder().idleTimeout(Duration.ofSeconds(5)))
                .hasMessage("idleTimeout: must be at least PT10S, but was PT5S");
        assertThatThrownBy(() -> StorageOptions.builder().maxLifetime(Duration.ofSeconds(5)))
                .hasMessage("maxLifetime: must be at least PT30S, but was PT5S");
        assertThatThrownBy(() -> StorageOptions.builder().maximumPoolSize(2).minimumIdle(3).build())
                .hasMessage("minimumIdle: must be at most maximumPoolSize (2), but was 3");
    }
}
