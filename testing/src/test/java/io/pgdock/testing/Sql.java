package io.pgdock.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/** Small JDBC helpers for the tests. */
final class Sql {

    private Sql() {
    }

    /** The first column of the first row of {@code query}, or null if there is no row. */
    static String queryString(DataSource dataSource, String query) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return queryString(c, query);
        }
    }

    static String queryString(Connection c, String query) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    static void execute(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Whether a database of that name exists, asked on the server's maintenance database. */
    static boolean databaseExists(String name) throws SQLException {
        return "1".equals(queryString(DataSources.unpooled(TestPostgres.get().adminSpec()),
                "select 1 from pg_database where datname = '" + name + "'"));
    }

    /** Whether a role of that name exists. */
    static boolean roleExists(String name) throws SQLException {
        return "1".equals(queryString(DataSources.unpooled(TestPostgres.get().adminSpec()),
                "select 1 from pg_roles where rolname = '" + name + "'"));
    }
}
