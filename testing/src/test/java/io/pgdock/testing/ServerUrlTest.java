package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How {@value TestPostgres#URL_VARIABLE} is found, parsed and reported; no server needed. */
class ServerUrlTest {

    private static final String NAME = TestPostgres.URL_VARIABLE;
    /** No system properties at all. */
    private static String noProperty(String name) {
        return null;
    }

    @Test
    void unsetMeansEmbedded() {
        assertThat(ServerUrl.find(ServerUrlTest::noProperty, Map.of())).isEmpty();
    }

    @Test
    void blankCountsAsUnset() {
        assertThat(ServerUrl.find(name -> " ", Map.of(NAME, ""))).isEmpty();
    }

    @Test
    void readsLibpqStyleUrlFromEnvironment() {
        Optional<ServerUrl> url = ServerUrl.find(ServerUrlTest::noProperty,
                Map.of(NAME, "postgresql://admin@db.example:6543/maint"));

        assertThat(url).hasValueSatisfying(u -> {
            assertThat(u.source()).isEqualTo("environment variable PGDOCK_TEST_URL");
            assertThat(u.adminSpec().host()).isEqualTo("db.example");
            assertThat(u.adminSpec().port()).isEqualTo(6543);
            assertThat(u.adminSpec().database()).isEqualTo("maint");
            assertThat(u.adminSpec().user()).isEqualTo("admin");
        });
    }

    @Test
    void readsJdbcUrlAndSystemPropertyComesFirst() {
        Optional<ServerUrl> url = ServerUrl.find(
                name -> NAME.equals(name) ? "jdbc:postgresql://127.0.0.1:5433/postgres?user=root&password=pw" : null,
                Map.of(NAME, "postgresql://other@elsewhere:5432/postgres"));

        assertThat(url).hasValueSatisfying(u -> {
            assertThat(u.source()).isEqualTo("system property PGDOCK_TEST_URL");
            assertThat(u.adminSpec().host()).isEqualTo("127.0.0.1");
            assertThat(u.adminSpec().port()).isEqualTo(5433);
            assertThat(u.adminSpec().user()).isEqualTo("root");
            assertThat(u.adminSpec().password()).contains("pw");
        });
    }

    @Test
    void badUrlNamesVariableAndValueButNotPassword() {
        String bad = "postgresql://admin:s3cret@db.example:notaport/postgres";

        assertThatThrownBy(() -> ServerUrl.find(ServerUrlTest::noProperty, Map.of(NAME, bad)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("environment variable PGDOCK_TEST_URL")
                .hasMessageContaining("postgresql://admin:***@db.example:notaport/postgres")
                .hasMessageContaining("notaport")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void badSchemeIsReportedWithTheFormsThatWork() {
        assertThatThrownBy(() -> ServerUrl.find(name -> NAME.equals(name) ? "mysql://root:hunter2@localhost/db" : null,
                Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("system property PGDOCK_TEST_URL")
                .hasMessageContaining("mysql://root:***@localhost/db")
                .hasMessageContaining("postgresql://")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void passwordInParameterIsNotShown() {
        String bad = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&password=pa&ss&color=blue";

        assertThatThrownBy(() -> ServerUrl.find(ServerUrlTest::noProperty, Map.of(NAME, bad)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PGDOCK_TEST_URL")
                .hasMessageContaining("jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&password=***")
                .hasMessageNotContaining("pa&ss")
                .hasMessageNotContaining("&ss");
    }

    @Test
    void badUrlFailsTestPostgresStartTheSameWay() {
        assertThatThrownBy(() -> TestPostgres.start(ServerUrlTest::noProperty, Map.of(NAME, "localhost:5432")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("environment variable PGDOCK_TEST_URL is not a valid PostgreSQL URL: \"localhost:5432\"");
    }

    @Test
    void redactMasksUserInfoPasswordEvenWithUnencodedCharacters() {
        assertThat(ServerUrl.redact("postgresql://u:p@ss/w?rd@host:5432/db")).isEqualTo("postgresql://u:***@host:5432/db");
        assertThat(ServerUrl.redact("u:secret@host")).isEqualTo("u:***@host");
        assertThat(ServerUrl.redact("postgresql://u@host:5432/db")).isEqualTo("postgresql://u@host:5432/db");
        assertThat(ServerUrl.redact("postgresql://host:5432/db")).isEqualTo("postgresql://host:5432/db");
        assertThat(ServerUrl.redact("jdbc:postgresql://h/db?sslPassword=k&user=u")).isEqualTo("jdbc:postgresql://h/db?sslPassword=***");
    }
}
