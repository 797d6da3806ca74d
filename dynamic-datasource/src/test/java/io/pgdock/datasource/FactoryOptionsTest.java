package io.pgdock.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.SslMode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FactoryOptionsTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        FactoryOptions d = FactoryOptions.defaults();
        assertThat(d.maximumPoolSize()).isEqualTo(5);
        assertThat(d.maximumPools()).isEqualTo(100);
        assertThat(d.maximumConnections()).isEqualTo(50);
        assertThat(d.idleTtl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(d.connectionIdleTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(d.maxLifetime()).isEqualTo(Duration.ofMinutes(30));
        assertThat(d.borrowTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.failureBackoff()).isEqualTo(Duration.ofSeconds(5));
        assertThat(d.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.defaultSslMode()).isEqualTo(SslMode.PREFER);
        assertThat(d.applicationName()).isEqualTo("pgdock");
        assertThat(d.transactionPooling()).isFalse();
        assertThat(d.resolver().resolve("anything")).isEmpty();
        assertThat(d.executor()).isEmpty();
    }

    @Test
    void eachSetterNamesItsFieldAndTheBadValue() {
        FactoryOptions.Builder b = FactoryOptions.builder();
        assertThatThrownBy(() -> b.maximumPoolSize(0)).hasMessage("maximumPoolSize must be at least 1, but was 0");
        assertThatThrownBy(() -> b.maximumPools(-1)).hasMessageContaining("maximumPools").hasMessageContaining("-1");
        assertThatThrownBy(() -> b.maximumConnections(0)).hasMessageContaining("maximumConnections");
        assertThatThrownBy(() -> b.idleTtl(Duration.ofMillis(5))).hasMessageContaining("idleTtl")
                .hasMessageContaining("PT0.005S");
        assertThatThrownBy(() -> b.connectionIdleTimeout(Duration.ofSeconds(5)))
                .hasMessageContaining("connectionIdleTimeout must be at least PT10S");
        assertThatThrownBy(() -> b.maxLifetime(Duration.ofSeconds(5))).hasMessageContaining("maxLifetime");
        assertThatThrownBy(() -> b.borrowTimeout(Duration.ofMillis(10))).hasMessageContaining("borrowTimeout");
        assertThatThrownBy(() -> b.connectTimeout(Duration.ofMillis(1500))).hasMessageContaining("whole seconds");
        assertThatThrownBy(() -> b.failureBackoff(Duration.ofSeconds(-1))).hasMessageContaining("failureBackoff");
        assertThatThrownBy(() -> b.applicationName(" ")).hasMessageContaining("applicationName");
        assertThatThrownBy(() -> b.resolver(null)).isInstanceOf(NullPointerException.class).hasMessage("resolver");
    }

    @Test
    void crossFieldRulesAreCheckedAtBuild() {
        assertThatThrownBy(() -> FactoryOptions.builder().maximumPoolSize(20).maximumConnections(10).build())
                .hasMessageContaining("maximumConnections (10) must be at least maximumPoolSize (20)");
        assertThatThrownBy(() -> FactoryOptions.builder().maxLifetime(Duration.ofMinutes(1))
                .connectionIdleTimeout(Duration.ofMinutes(2)).build())
                .hasMessageContaining("connectionIdleTimeout");
        // Within a second of the lifetime HikariCP would switch the idle timeout off without a word.
        assertThatThrownBy(() -> FactoryOptions.builder().maxLifetime(Duration.ofSeconds(30))
                .connectionIdleTimeout(Duration.ofMillis(29_500)).build())
                .hasMessage("connectionIdleTimeout (PT29.5S) must be at least 1 s shorter than maxLifetime (PT30S);"
                        + " HikariCP would otherwise ignore it");
    }
}
