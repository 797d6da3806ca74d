package io.pgdock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Registration on a static field: the getters, an initializer, and a nested class sharing the database. */
class ExtensionFieldTest {

    @RegisterExtension
    static final PgdockExtension pg = PgdockExtension.create()
            .withInitializer(db -> db.jdbi().useHandle(h -> h.execute("create table runs (name text)")))
            .withInitializer(db -> db.jdbi().useHandle(h -> h.execute("insert into runs values ('seeded')")));

    private static String databaseInBeforeAll;

    @BeforeAll
    static void rememberDatabase() {
        databaseInBeforeAll = pg.databaseName();
    }

    @Test
    void gettersDescribeTheClassDatabase() throws SQLException {
        String name = pg.databaseName();

        assertThat(name).isEqualTo(databaseInBeforeAll).isEqualTo(pg.database().name());
        assertThat(pg.spec().database()).isEqualTo(name);
        assertThat(pg.spec().user()).isEqualTo(name);
        assertThat(pg.adminSpec().database()).isEqualTo(name);
        assertThat(pg.adminSpec().user()).isEqualTo(TestPostgres.get().adminSpec().user());
        assertThat(Sql.queryString(pg.dataSource(), "select current_database() || ' ' || current_user"))
                .isEqualTo(name + " " + name);
        assertThat(Sql.queryString(pg.adminDataSource(), "select current_database() || ' ' || current_user"))
                .isEqualTo(name + " " + pg.adminSpec().user());
    }

    @Test
    void initializersRanInOrderBeforeTheTests() {
        List<String> names = pg.jdbi().withHandle(h -> h.createQuery("select name from runs").mapTo(String.class).list());

        assertThat(names).containsExactly("seeded");
    }

    @Test
    void gettersOfAnExtensionThatIsNotRunningSaySo() {
        assertThatThrownBy(() -> PgdockExtension.create().databaseName())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PgdockExtension has no database now");
    }

    @Nested
    class NestedClass {
        @Test
        void sharesTheEnclosingClassDatabase() throws SQLException {
            assertThat(pg.databaseName()).isEqualTo(databaseInBeforeAll);
            assertThat(Sql.queryString(pg.dataSource(), "select count(*) from runs")).isEqualTo("1");
        }
    }
}
