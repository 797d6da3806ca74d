package io.pgdock.core;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The set-up a DBA does once per deployment: a dedicated login role with no superuser, CREATEDB, CREATEROLE, replication
 * or RLS-bypass rights; a dedicated schema owned by it; CONNECT on the database; the role's default
 * {@code search_path}; and {@code REVOKE CREATE ON SCHEMA public FROM PUBLIC}, so no role can plant objects in
 * {@code public} that shadow ours.
 *
 * <pre>{@code
 * Provisioning plan = Provisioning.forRuntime(runtimeSpec);  // role = user, schema and database from the spec
 * System.out.println(plan.script());                        // for a DBA to review and run with psql
 * plan.apply(adminDataSource);                              // or apply it through an admin connection
 * }</pre>
 *
 * <p>Every statement is idempotent: applying the plan twice changes nothing the second time. The password is never part
 * of the SQL: {@link #apply} sets it, when the spec has one, with pgjdbc's {@code alterUserPassword}, which sends only a
 * SCRAM verifier computed on the client, so it reaches neither the server log nor {@code pg_stat_statements}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Provisioning {
    private static final Logger LOG = LoggerFactory.getLogger(Provisioning.class);

    private final String role;
    private final String schema;
    private final String database;
    private final String password;

    private Provisioning(String role, String schema, String database, String password) {
        this.role = Values.checkIdentifier("role", Objects.requireNonNull(role, "role"));
        this.schema = Values.checkSchema("schema", Objects.requireNonNull(schema, "schema"));
        this.database = Values.checkIdentifier("database", Objects.requireNonNull(database, "database"));
        this.password = password;
    }

    /**
     * The plan for the runtime connection {@code spec}: its user becomes the role, its schema and database are used,
     * and its password (if any) is set by {@link #apply}.
     *
     * @param spec the spec the application will connect with
     * @return the plan
     * @throws InvalidConnectionSpecException if the spec names no schema
     */
    public static Provisioning forRuntime(ConnectionSpec spec) {
        Objects.requireNonNull(spec, "spec");
        String schema = spec.schema().orElseThrow(() -> new InvalidConnectionSpecException("schema",
                "provisioning needs a schema, but the spec names none"));
        return new Provisioning(spec.user(), schema, spec.database(), spec.password().orElse(null));
    }

    /**
     * A plan for a role and schema in a database; {@link #apply} sets no password.
     *
     * @param role the login role to create
     * @param schema the schema it will own
     * @param database the database it may connect to
     * @return the plan
     * @throws InvalidConnectionSpecException if a name is empty, too long or (for the schema) has a double quote
     */
    public static Provisioning of(String role, String schema, String database) {
        return new Provisioning(role, schema, database, null);
    }

    /**
     * The role the plan creates.
     *
     * @return the role name
     */
    public String role() {
        return role;
    }

    /**
     * The schema the plan creates.
     *
     * @return the schema name
     */
    public String schema() {
        return schema;
    }

    /**
     * The idempotent statements, in order. They contain no password.
     *
     * @return the statements
     */
    public List<String> statements() {
        String r = Values.quoteIdentifier(role);
        String s = Values.quoteIdentifier(schema);
        String attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS";
        String body = "\nBEGIN\n"
                + "  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = " + literal(role) + ") THEN\n"
                + "    CREATE ROLE " + r + " " + attributes + ";\n"
                + "  ELSE\n"
                + "    ALTER ROLE " + r + " " + attributes + ";\n"
                + "  END IF;\n"
                + "END\n";
        return List.of(
                "DO " + dollarQuote(body),
                "GRANT CONNECT ON DATABASE " + Values.quoteIdentifier(database) + " TO " + r,
                "CREATE SCHEMA IF NOT EXISTS " + s + " AUTHORIZATION " + r,
                "ALTER SCHEMA " + s + " OWNER TO " + r,
                "ALTER ROLE " + r + " IN DATABASE " + Values.quoteIdentifier(database)
                        + " SET search_path = " + s + ", pg_catalog",
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    }

    /**
     * The statements as a script for a DBA, with comments, to run with {@code psql} connected to the database as a
     * role that may create roles. The password is not in it; the script says how to set it.
     *
     * @return the script
     */
    public String script() {
        StringBuilder out = new StringBuilder()
                .append("-- pgdock provisioning: role ").append(Values.quoteIdentifier(role))
                .append(", schema ").append(Values.quoteIdentifier(schema))
                .append(", database ").append(Values.quoteIdentifier(database)).append('\n')
                .append("-- Run connected to database ").append(Values.quoteIdentifier(database))
                .append(" as a superuser or a role with CREATEROLE. Safe to run again.\n")
                .append("BEGIN;\n");
        for (String statement : statements()) {
            out.append(statement).append(";\n");
        }
        return out.append("COMMIT;\n")
                .append("-- Then set the password without it reaching the server log: \\password ")
                .append(Values.quoteIdentifier(role)).append('\n')
                .toString();
    }

    /**
     * Applies the plan in one transaction through an admin connection to the plan's database, then sets the password
     * if the plan has one.
     *
     * @param admin connections as a superuser or a role with CREATEROLE, to the plan's database
     * @throws ConnectionFailedException if the admin connection fails or lacks privileges
     * @throws IllegalArgumentException if {@code admin} is connected to another database
     */
    public void apply(DataSource admin) {
        Objects.requireNonNull(admin, "admin");
        try (Connection c = admin.getConnection()) {
            String current = currentDatabase(c);
            if (!current.equals(database)) {
                throw new IllegalArgumentException("admin: must be connected to database " + Values.show(database)
                        + " (REVOKE and CREATE SCHEMA act on the current database), but is connected to "
                        + Values.show(current));
            }
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                for (String statement : statements()) {
                    st.execute(statement);
                }
                if (password != null) {
                    c.unwrap(PGConnection.class).alterUserPassword(role, password.toCharArray(), "scram-sha-256");
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
            LOG.info("Provisioned role {} and schema {} in database {}", Values.quoteIdentifier(role),
                    Values.quoteIdentifier(schema), Values.quoteIdentifier(database));
        } catch (SQLException e) {
            throw io.pgdock.core.internal.SqlFailures.connectFailure(e,
                    "database " + Values.show(database) + " (provisioning role " + Values.show(role) + ")");
        }
    }

    private static String currentDatabase(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_database()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** Dollar-quotes a body with a tag that does not occur in it, so no name can end the quote early. */
    private static String dollarQuote(String body) {
        String tag = "$pgdock$";
        for (int i = 1; body.contains(tag); i++) {
            tag = "$pgdock" + i + "$";
        }
        return tag + body + tag;
    }

    /** Names the role, schema and database; no password. */
    @Override
    public String toString() {
        return "Provisioning[role=" + role + ", schema=" + schema + ", database=" + database + "]";
    }
}
