package io.pgdock.core;

import io.pgdock.core.internal.BoundedLogin;
import io.pgdock.core.internal.LoginTimeout;
import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.PreparedStatement;
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
        String roleLiteral = Values.literal(role);
        // Only what is wrong is changed, so a second run changes nothing and a CREATEROLE admin (who may not touch
        // superuser-only attributes) can run it again. An existing superuser is refused, never demoted.
        String roleBlock = "\nDECLARE\n"
                + "  existing pg_catalog.pg_roles%ROWTYPE;\n"
                + "  fixes text := '';\n"
                + "BEGIN\n"
                + "  SELECT * INTO existing FROM pg_catalog.pg_roles WHERE rolname = " + roleLiteral + ";\n"
                + "  IF NOT FOUND THEN\n"
                + "    CREATE ROLE " + r + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;\n"
                + "  ELSIF existing.rolsuper THEN\n"
                + "    RAISE EXCEPTION 'role % is a superuser; pgdock will not demote it, choose another runtime role', "
                + roleLiteral + ";\n"
                + "  ELSE\n"
                + "    IF NOT existing.rolcanlogin THEN fixes := fixes || ' LOGIN'; END IF;\n"
                + "    IF existing.rolcreatedb THEN fixes := fixes || ' NOCREATEDB'; END IF;\n"
                + "    IF existing.rolcreaterole THEN fixes := fixes || ' NOCREATEROLE'; END IF;\n"
                + "    IF existing.rolreplication THEN fixes := fixes || ' NOREPLICATION'; END IF;\n"
                + "    IF existing.rolbypassrls THEN fixes := fixes || ' NOBYPASSRLS'; END IF;\n"
                + "    IF fixes <> '' THEN EXECUTE 'ALTER ROLE " + r.replace("'", "''") + "' || fixes; END IF;\n"
                + "  END IF;\n"
                // A non-superuser admin must be able to SET ROLE to the role to create a schema it owns. On 16+ a
                // CREATEROLE admin is a member of roles it created, but without SET; before 16, membership is enough.
                + "  IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AND NOT (\n"
                + "      CASE WHEN current_setting('server_version_num')::int >= 160000\n"
                + "        THEN pg_catalog.pg_has_role(current_user, " + roleLiteral + ", 'SET')\n"
                + "        ELSE pg_catalog.pg_has_role(current_user, " + roleLiteral + ", 'MEMBER') END) THEN\n"
                + "    EXECUTE 'GRANT " + r.replace("'", "''") + " TO CURRENT_USER';\n"
                + "  END IF;\n"
                + "END\n";
        String schemaBlock = "\nBEGIN\n"
                + "  IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = " + Values.literal(schema) + ") THEN\n"
                + "    CREATE SCHEMA " + s + " AUTHORIZATION " + r + ";\n"
                + "  ELSIF (SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = "
                + Values.literal(schema) + ") <> " + roleLiteral + " THEN\n"
                + "    ALTER SCHEMA " + s + " OWNER TO " + r + ";\n"
                + "  END IF;\n"
                + "END\n";
        return List.of(
                "DO " + dollarQuote(roleBlock),
                "GRANT CONNECT ON DATABASE " + Values.quoteIdentifier(database) + " TO " + r,
                "DO " + dollarQuote(schemaBlock),
                "ALTER ROLE " + r + " IN DATABASE " + Values.quoteIdentifier(database)
                        + " SET search_path = " + s + ", pg_catalog",
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    }

    /**
     * The statements as a script for a DBA, with comments, to run with {@code psql} connected to the database as a
     * superuser, or as the database's owner with CREATEROLE. The password is not in it; the script says how to set it.
     *
     * @return the script
     */
    public String script() {
        StringBuilder out = new StringBuilder()
                .append("-- pgdock provisioning: role ").append(Values.quoteIdentifier(role))
                .append(", schema ").append(Values.quoteIdentifier(schema))
                .append(", database ").append(Values.quoteIdentifier(database)).append('\n')
                .append("-- Run connected to database ").append(Values.quoteIdentifier(database))
                .append(" as a superuser, or as its owner with CREATEROLE. Safe to run again.\n")
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
        apply(admin::getConnection, null);
    }

    /**
     * Applies the plan as {@link #apply(DataSource)} does, through one plain (unpooled) connection opened with every
     * setting of {@code admin}, TLS included. The login is bounded by the spec's {@code connectTimeout} (10 s when it
     * sets none), however the server behaves.
     *
     * @param admin a superuser, or the database's owner with CREATEROLE, on the plan's database
     * @throws ConnectionFailedException if the admin connection fails or lacks privileges
     * @throws IllegalArgumentException if {@code admin} names another database
     */
    public void apply(ConnectionSpec admin) {
        Objects.requireNonNull(admin, "admin");
        apply(() -> BoundedLogin.open(admin, admin.driverProperties(), LoginTimeout.of(admin)), admin);
    }

    @FunctionalInterface
    private interface ConnectionSource {
        Connection get() throws SQLException;
    }

    /** Applies the plan through {@code admin}; {@code spec} is the admin spec, if known, for precise advice. */
    private void apply(ConnectionSource admin, ConnectionSpec spec) {
        try (Connection c = admin.get()) {
            String current = currentDatabase(c);
            if (!current.equals(database)) {
                throw new IllegalArgumentException("admin: must be connected to database " + Values.show(database)
                        + " (REVOKE and CREATE SCHEMA act on the current database), but is connected to "
                        + Values.show(current));
            }
            Transactions.run(c, tx -> {
                try (Statement st = tx.createStatement()) {
                    for (String statement : statements()) {
                        st.execute(statement);
                    }
                }
                if (password != null && !ScramVerifier.matches(storedVerifier(tx), password)) {
                    tx.unwrap(PGConnection.class).alterUserPassword(role, password.toCharArray(), "scram-sha-256");
                }
                checkResult(tx);
                return null;
            });
            LOG.info("Provisioned role {} and schema {} in database {}", Values.quoteIdentifier(role),
                    Values.quoteIdentifier(schema), Values.quoteIdentifier(database));
        } catch (SQLException e) {
            if (e.getSQLState() != null && !e.getSQLState().startsWith("08") && !e.getSQLState().startsWith("28")
                    && !"3D000".equals(e.getSQLState())) {
                throw new DataAccessException("provisioning role " + Values.show(role) + " and schema "
                        + Values.quoteIdentifier(schema) + " in database " + Values.show(database) + " failed: "
                        + SqlFailures.firstLine(e.getMessage()) + "; nothing was changed", e.getSQLState(), e);
            }
            throw SqlFailures.connectFailure(e,
                    "database " + Values.show(database) + " (provisioning role " + Values.show(role) + ")", spec);
        }
    }

    /**
     * Checks that the statements took effect. GRANT and REVOKE by a role without the right only warn, so a run by an
     * admin with too few rights would otherwise look successful.
     */
    private void checkResult(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT "
                + "(SELECT rolcanlogin AND NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls) "
                + "   FROM pg_catalog.pg_roles WHERE rolname = ?), "
                + "(SELECT pg_catalog.pg_get_userbyid(nspowner) = ? FROM pg_catalog.pg_namespace WHERE nspname = ?), "
                + "pg_catalog.has_database_privilege(?, current_database(), 'CONNECT'), "
                + "NOT EXISTS (SELECT FROM pg_catalog.pg_namespace n, "
                + "   aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a "
                + "   WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE')")) {
            s.setString(1, role);
            s.setString(2, role);
            s.setString(3, schema);
            s.setString(4, role);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                String[] problems = {
                    rs.getBoolean(1) ? null : "the role is missing or has elevated rights",
                    rs.getBoolean(2) ? null : "the schema is missing or owned by another role",
                    rs.getBoolean(3) ? null : "the role may not connect to the database",
                    rs.getBoolean(4) ? null : "PUBLIC may still create objects in schema public"};
                String found = java.util.Arrays.stream(problems).filter(Objects::nonNull)
                        .collect(java.util.stream.Collectors.joining("; "));
                if (!found.isEmpty()) {
                    throw new ConnectionFailedException(ConnectionFailedException.Reason.PRIVILEGE_MISSING,
                            "provisioning did not take effect (" + found + "): run it as a superuser, or as the owner "
                                    + "of database " + Values.show(database) + " with CREATEROLE; nothing was changed",
                            "42501", null);
                }
            }
        }
    }

    /**
     * The role's stored SCRAM verifier, so that re-applying with the same password changes nothing (a new verifier would
     * have a new salt). Null when it cannot be read: only superusers may read {@code pg_authid}.
     */
    private String storedVerifier(Connection c) throws SQLException {
        // Asked first, because a denied SELECT on pg_authid would abort the transaction.
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")) {
            if (!rs.next() || !rs.getBoolean(1)) {
                return null;
            }
        }
        try (PreparedStatement s = c.prepareStatement("SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = ?")) {
            s.setString(1, role);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static String currentDatabase(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_database()")) {
            rs.next();
            return rs.getString(1);
        }
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
