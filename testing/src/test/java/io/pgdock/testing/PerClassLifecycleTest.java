package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With one test instance per class, JUnit resolves the constructor before any BeforeAll callback: the database must
 * already exist then, and be the same one the tests get.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PgdockExtension.class)
class PerClassLifecycleTest {

    private final TestDatabase fromConstructor;

    PerClassLifecycleTest(TestDatabase database, Jdbi jdbi) {
        this.fromConstructor = database;
        jdbi.useHandle(h -> h.execute("create table made_in_constructor (id int)"));
    }

    @Test
    void constructorAndTestsShareTheClassDatabase(TestDatabase database) throws SQLException {
        assertThat(database).isSameAs(fromConstructor);
        assertThat(Sql.queryString(database.dataSource(), "select to_regclass('made_in_constructor')::text"))
                .isEqualTo("made_in_constructor");
    }
}
