package io.pgdock.core.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * What the current role may do with a schema, read in one query. Not API: shared by pgdock's modules.
 *
 * @param exists whether the schema exists
 * @param usage whether the role has USAGE on it
 * @param create whether the role has CREATE on it
 */
public record SchemaAccess(boolean exists, boolean usage, boolean create) {

    /**
     * Reads the current role's access to {@code schema}.
     *
     * @param connection an open connection; left open, and in the state it was in
     * @param schema the schema name, unquoted (it is passed as a parameter, never spliced into SQL)
     * @return the access
     * @throws SQLException when the query fails
     */
    public static SchemaAccess of(Connection connection, String schema) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT n.oid IS NOT NULL, "
                + "coalesce(has_schema_privilege(n.oid, 'USAGE'), false), "
                + "coalesce(has_schema_privilege(n.oid, 'CREATE'), false) "
                + "FROM (SELECT 1) one LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = ?")) {
            s.setString(1, schema);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new SchemaAccess(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3));
            }
        }
    }
}
