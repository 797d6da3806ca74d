package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.core.ConnectionSpec;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Declarative registration: every supported parameter, in every place JUnit resolves parameters. */
@ExtendWith(PgdockExtension.class)
class ExtensionParametersTest {

    private static String databaseSeenInBeforeAll;

    private final String databaseSeenInConstructor;
    private String databaseSeenInBeforeEach;

    ExtensionParametersTest(Jdbi jdbi) {
        databaseSeenInConstructor = jdbi.withHandle(h -> h.createQuery("select current_database()").mapTo(String.class).one());
    }

    @BeforeAll
    static void beforeAll(ConnectionSpec spec) {
        databaseSeenInBeforeAll = spec.database();
    }

    @BeforeEach
    void beforeEach(DataSource dataSource) throws SQLException {
        databaseSeenInBeforeEach = Sql.queryString(dataSource, "select current_database()");
    }

    @Test
    void allParametersNameTheClassDatabase(ConnectionSpec spec, DataSource dataSource, Jdbi jdbi, TestDatabase database)
            throws SQLException {
        assertThat(database.name()).startsWith(TestPostgres.NAME_PREFIX);
        assertThat(spec).isEqualTo(database.spec());
        assertThat(dataSource).isSameAs(database.dataSource());
        assertThat(jdbi).isSameAs(database.jdbi());
        assertThat(Sql.queryString(dataSource, "select current_user")).isEqualTo(database.name());
        assertThat(databaseSeenInBeforeAll).isEqualTo(database.name());
        assertThat(databaseSeenInConstructor).isEqualTo(database.name());
        assertThat(databaseSeenInBeforeEach).isEqualTo(database.name());
    }

    @Test
    void jdbiHasThePostgresPlugin(Jdbi jdbi) {
        // Mapping interval to java.time.Duration comes from PostgresPlugin, not from Jdbi's core.
        Duration interval = jdbi.withHandle(h -> h.createQuery("select interval '90 seconds'").mapTo(Duration.class).one());

        assertThat(interval).isEqualTo(Duration.ofSeconds(90));
    }
}
