package io.pgdock.core;

import io.pgdock.core.internal.BoundedLogin;
import io.pgdock.core.internal.LoginTimeout;
import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
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
 * <p><b>Two roles</b> (recommended): {@code Provisioning.forRuntime(runtimeSpec).withOwner(ownerSpec)} creates an owner
 * role that owns the schema and every object in it and runs the migrations ({@code pgdock migrate} with the owner's URL,
 * or {@link StorageOptions.Builder#migrationSpec}), and a runtime role, the one {@link Storage} opens with, that has
 * USAGE on the schema and, through the owner's default privileges, SELECT, INSERT, UPDATE and DELETE on the tables the
 * owner creates there (USAGE and SELECT on its sequences). The runtime role cannot create, alter, drop or truncate
 * anything, nor disable a trigger, because it owns nothing; migrations withdraw what a table must not allow it (the
 * config store's history: INSERT and SELECT only). Applying a two-role plan to a schema set up with one role upgrades it:
 * ownership moves to the owner (see {@link #withOwner(ConnectionSpec)}).
 *
 * <p><b>One role</b> ({@code forRuntime(spec)} alone) keeps working but is weaker: the runtime role owns its tables,
 * so it can edit, truncate or drop any of them and disable their triggers, audit triggers included.
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
    private final @Nullable String password;
    /** The owner role, or null for the single-role set-up (the runtime role owns the schema). */
    private final @Nullable String owner;
    private final @Nullable String ownerPassword;

    private Provisioning(String role, String schema, String database, @Nullable String password) {
        this(role, schema, database, password, null, null);
    }

    private Provisioning(String role, String schema, String database, @Nullable String password,
            @Nullable String owner, @Nullable String ownerPassword) {
        this.role = Values.checkIdentifier("role", Objects.requireNonNull(role, "role"));
        this.schema = Values.checkSchema("schema", Objects.requireNonNull(schema, "schema"));
        this.database = Values.checkIdentifier("database", Objects.requireNonNull(database, "database"));
        this.password = password;
        this.owner = owner == null ? null : Values.checkIdentifier("owner", owner);
        this.ownerPassword = ownerPassword;
        if (role.equals(owner)) {
            throw new IllegalArgumentException("owner: must differ from the runtime role, but both are "
                    + Values.show(role) + "; for one role use the plan without withOwner (weaker: see the class comment)");
        }
    }

    /**
     * The same plan with a separate owner role: the schema and every object in it belong to {@code owner}, who runs the
     * migrations, and the runtime role keeps only USAGE on the schema and the privileges the owner's default privileges
     * give it on what the owner creates there: SELECT, INSERT, UPDATE and DELETE on tables, USAGE and SELECT on
     * sequences. It may not create, alter or drop anything, nor disable a trigger. Migrations that must withhold a
     * privilege (the config store's history is INSERT and SELECT only) revoke it themselves.
     *
     * <p>Applied to a deployment that an earlier plan set up with one role, it upgrades it: the schema and the tables,
     * views, sequences and functions in it that the runtime role owns pass to the owner, and the runtime role is granted
     * the privileges above on each moved table and sequence (run the migrations as the owner afterwards, so that they
     * can withdraw what they withhold).
     *
     * @param ownerSpec the spec the owner connects with (for {@code pgdock migrate} or
     *     {@link StorageOptions.Builder#migrationSpec}); its user becomes the owner role, its password (if any) is set
     * @return the two-role plan
     * @throws IllegalArgumentException if the owner is the runtime role
     * @throws InvalidConnectionSpecException if the owner's name is empty or too long
     */
    public Provisioning withOwner(ConnectionSpec ownerSpec) {
        Objects.requireNonNull(ownerSpec, "ownerSpec");
        return new Provisioning(role, schema, database, password, ownerSpec.user(), ownerSpec.password().orElse(null));
    }

    /**
     * As {@link #withOwner(ConnectionSpec)}, for an owner role whose password {@link #apply} leaves alone.
     *
     * @param ownerRole the owner role to create
     * @return the two-role plan
     * @throws IllegalArgumentException if the owner is the runtime role
     * @throws InvalidConnectionSpecException if the name is empty or too long
     */
    public Provisioning withOwner(String ownerRole) {
        Objects.requireNonNull(ownerRole, "ownerRole");
        return new Provisioning(role, schema, database, password, ownerRole, null);
    }

    /**
     * The role that owns the schema: the owner of a two-role plan, else the runtime role.
     *
     * @return the owner role's name
     */
    public String owner() {
        return owner == null ? role : owner;
    }

    /**
     * Whether the plan has a separate owner role ({@link #withOwner(ConnectionSpec)}).
     *
     * @return true for the two-role set-up
     */
    public boolean twoRoles() {
        return owner != null;
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
     * The runtime role the plan creates: the one {@link Storage} opens with.
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
        String d = Values.quoteIdentifier(database);
        String o = Values.quoteIdentifier(owner());
        List<String> out = new ArrayList<>();
        if (owner != null) {
            out.add("DO " + dollarQuote(roleBlock(owner, "owner")));
        }
        out.add("DO " + dollarQuote(roleBlock(role, "runtime")));
        if (owner != null) {
            out.add("GRANT CONNECT ON DATABASE " + d + " TO " + o);
        }
        out.add("GRANT CONNECT ON DATABASE " + d + " TO " + r);
        String schemaBlock = "\nBEGIN\n"
                + "  IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = " + Values.literal(schema) + ") THEN\n"
                + "    CREATE SCHEMA " + s + " AUTHORIZATION " + o + ";\n"
                + "  ELSIF (SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace WHERE nspname = "
                + Values.literal(schema) + ") <> " + Values.literal(owner()) + " THEN\n"
                + "    ALTER SCHEMA " + s + " OWNER TO " + o + ";\n"
                + "  END IF;\n"
                + "END\n";
        out.add("DO " + dollarQuote(schemaBlock));
        if (owner != null) {
            out.add("DO " + dollarQuote(moveBlock()));
            out.add("REVOKE CREATE ON SCHEMA " + s + " FROM " + r);
            out.add("GRANT USAGE ON SCHEMA " + s + " TO " + r);
            out.add("ALTER DEFAULT PRIVILEGES FOR ROLE " + o + " IN SCHEMA " + s
                    + " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + r);
            out.add("ALTER DEFAULT PRIVILEGES FOR ROLE " + o + " IN SCHEMA " + s
                    + " GRANT USAGE, SELECT ON SEQUENCES TO " + r);
            out.add("ALTER ROLE " + o + " IN DATABASE " + d + " SET search_path = " + s + ", pg_catalog");
        }
        out.add("ALTER ROLE " + r + " IN DATABASE " + d + " SET search_path = " + s + ", pg_catalog");
        out.add("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
        return List.copyOf(out);
    }

    /**
     * Creates {@code name} as a least-privilege login role, or trims an existing one, and makes sure a non-superuser
     * admin may act as it.
     */
    private static String roleBlock(String name, String what) {
        String q = Values.quoteIdentifier(name);
        String lit = Values.literal(name);
        // Only what is wrong is changed, so a second run changes nothing and a CREATEROLE admin (who may not touch
        // superuser-only attributes) can run it again. An existing superuser is refused, never demoted.
        return "\nDECLARE\n"
                + "  existing pg_catalog.pg_roles%ROWTYPE;\n"
                + "  fixes text := '';\n"
                + "BEGIN\n"
                + "  SELECT * INTO existing FROM pg_catalog.pg_roles WHERE rolname = " + lit + ";\n"
                + "  IF NOT FOUND THEN\n"
                + "    CREATE ROLE " + q + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;\n"
                + "  ELSIF existing.rolsuper THEN\n"
                + "    RAISE EXCEPTION 'role % is a superuser; pgdock will not demote it, choose another " + what
                + " role', " + lit + ";\n"
                + "  ELSE\n"
                + "    IF NOT existing.rolcanlogin THEN fixes := fixes || ' LOGIN'; END IF;\n"
                + "    IF existing.rolcreatedb THEN fixes := fixes || ' NOCREATEDB'; END IF;\n"
                + "    IF existing.rolcreaterole THEN fixes := fixes || ' NOCREATEROLE'; END IF;\n"
                + "    IF existing.rolreplication THEN fixes := fixes || ' NOREPLICATION'; END IF;\n"
                + "    IF existing.rolbypassrls THEN fixes := fixes || ' NOBYPASSRLS'; END IF;\n"
                + "    IF fixes <> '' THEN EXECUTE 'ALTER ROLE " + q.replace("'", "''") + "' || fixes; END IF;\n"
                + "  END IF;\n"
                // A non-superuser admin must be able to SET ROLE to the role to create a schema it owns. On 16+ a
                // CREATEROLE admin is a member of roles it created, but without SET; before 16, membership is enough.
                + "  IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AND NOT (\n"
                + "      CASE WHEN current_setting('server_version_num')::int >= 160000\n"
                + "        THEN pg_catalog.pg_has_role(current_user, " + lit + ", 'SET')\n"
                + "        ELSE pg_catalog.pg_has_role(current_user, " + lit + ", 'MEMBER') END) THEN\n"
                + "    EXECUTE 'GRANT " + q.replace("'", "''") + " TO CURRENT_USER';\n"
                + "  END IF;\n"
                + "END\n";
    }

    /**
     * The upgrade from the single-role set-up: what the runtime role owns in the schema passes to the owner, and the
     * runtime role gets the owner's default privileges on each moved table and sequence. Nothing else is touched, so a
     * second run (nothing left to move) changes nothing, and privileges a migration withdrew stay withdrawn.
     */
    private String moveBlock() {
        String r = Values.quoteIdentifier(role).replace("'", "''");
        String o = Values.quoteIdentifier(owner()).replace("'", "''");
        String schemaLit = Values.literal(schema);
        String roleLit = Values.literal(role);
        return "\nDECLARE\n"
                + "  obj record;\n"
                + "  moved_sequences oid[];\n"
                + "BEGIN\n"
                // The runtime role's sequences are noted first, to be granted to it once moved (a grant made while it
                // owns them would pass to the new owner with them). Then tables, views and the like move, each taking
                // the sequences of its serial columns with it; then any sequence left.
                + "  moved_sequences := ARRAY(SELECT c.oid FROM pg_catalog.pg_class c\n"
                + "      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n"
                + "      WHERE n.nspname = " + schemaLit + " AND c.relkind = 'S'\n"
                + "        AND pg_catalog.pg_get_userbyid(c.relowner) = " + roleLit + ");\n"
                + "  FOR obj IN SELECT c.oid::regclass AS name, c.relname, CASE c.relkind WHEN 'v' THEN 'VIEW'\n"
                + "        WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind\n"
                + "      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n"
                + "      WHERE n.nspname = " + schemaLit + " AND c.relkind IN ('r', 'p', 'v', 'm', 'f')\n"
                + "        AND pg_catalog.pg_get_userbyid(c.relowner) = " + roleLit + " ORDER BY c.oid LOOP\n"
                + "    EXECUTE pg_catalog.format('ALTER %s %s OWNER TO " + o + "', obj.kind, obj.name);\n"
                // The migration record is read by the runtime role (what is pending), written by the owner alone.
                + "    EXECUTE pg_catalog.format('GRANT %s ON TABLE %s TO " + r + "', CASE WHEN obj.relname = "
                + Values.literal(Migrator.HISTORY_TABLE) + " THEN 'SELECT' ELSE 'SELECT, INSERT, UPDATE, DELETE' END,"
                + " obj.name);\n"
                + "  END LOOP;\n"
                + "  FOR obj IN SELECT c.oid::regclass AS name FROM pg_catalog.pg_class c\n"
                + "      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n"
                + "      WHERE n.nspname = " + schemaLit + " AND c.relkind = 'S'\n"
                + "        AND pg_catalog.pg_get_userbyid(c.relowner) = " + roleLit + " LOOP\n"
                + "    EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNER TO " + o + "', obj.name);\n"
                + "  END LOOP;\n"
                + "  FOR obj IN SELECT u.oid::regclass AS name FROM pg_catalog.unnest(moved_sequences) AS u(oid) LOOP\n"
                + "    EXECUTE pg_catalog.format('GRANT USAGE, SELECT ON SEQUENCE %s TO " + r + "', obj.name);\n"
                + "  END LOOP;\n"
                + "  FOR obj IN SELECT p.oid::regprocedure AS name, p.prokind FROM pg_catalog.pg_proc p\n"
                + "      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace\n"
                + "      WHERE n.nspname = " + schemaLit + " AND pg_catalog.pg_get_userbyid(p.proowner) = " + roleLit
                + " LOOP\n"
                + "    EXECUTE pg_catalog.format('ALTER ROUTINE %s OWNER TO " + o + "', obj.name);\n"
                + "  END LOOP;\n"
                + "END\n";
    }

    /**
     * The statements as a script for a DBA, with comments, to run with {@code psql} connected to the database as a
     * superuser, or as the database's owner with CREATEROLE. The password is not in it; the script says how to set it.
     *
     * @return the script
     */
    public String script() {
        StringBuilder out = new StringBuilder()
                .append("-- pgdock provisioning: ").append(owner == null ? "role " : "runtime role ")
                .append(Values.quoteIdentifier(role))
                .append(owner == null ? "" : ", owner role " + Values.quoteIdentifier(owner))
                .append(", schema ").append(Values.quoteIdentifier(schema))
                .append(", database ").append(Values.quoteIdentifier(database)).append('\n')
                .append("-- Run connected to database ").append(Values.quoteIdentifier(database))
                .append(" as a superuser, or as its owner with CREATEROLE. Safe to run again.\n")
                .append("BEGIN;\n");
        for (String statement : statements()) {
            out.append(statement).append(";\n");
        }
        out.append("COMMIT;\n")
                .append("-- Then set the password without it reaching the server log: \\password ")
                .append(Values.quoteIdentifier(role)).append('\n');
        if (owner != null) {
            out.append("-- and the owner's: \\password ").append(Values.quoteIdentifier(owner)).append('\n')
                    .append("-- Run the migrations as the owner: pgdock migrate --url <the owner's URL>\n");
        }
        return out.toString();
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
    private void apply(ConnectionSource admin, @Nullable ConnectionSpec spec) {
        try (Connection c = admin.get()) {
            String current = currentDatabase(c);
            if (!current.equals(database)) {
                throw new IllegalArgumentException("admin: must be connected to database " + Values.show(database)
                        + " (REVOKE and CREATE SCHEMA act on the current database), but is connected to "
                        + Values.show(current));
            }
            Transactions.use(c, tx -> {
                try (Statement st = tx.createStatement()) {
                    for (String statement : statements()) {
                        st.execute(statement);
                    }
                }
                if (password != null && !ScramVerifier.matches(storedVerifier(tx, role), password)) {
                    tx.unwrap(PGConnection.class).alterUserPassword(role, password.toCharArray(), "scram-sha-256");
                }
                if (owner != null && ownerPassword != null
                        && !ScramVerifier.matches(storedVerifier(tx, owner), ownerPassword)) {
                    tx.unwrap(PGConnection.class).alterUserPassword(owner, ownerPassword.toCharArray(),
                            "scram-sha-256");
                }
                checkResult(tx);
            });
            LOG.info("Provisioned role {}{} and schema {} in database {}", Values.quoteIdentifier(role),
                    owner == null ? " (owning the schema)" : ", owner " + Values.quoteIdentifier(owner),
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
        String elevated = "rolcanlogin AND NOT (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls)";
        try (PreparedStatement s = c.prepareStatement("SELECT "
                + "(SELECT " + elevated + " FROM pg_catalog.pg_roles WHERE rolname = ?), "
                + "(SELECT pg_catalog.pg_get_userbyid(nspowner) = ? FROM pg_catalog.pg_namespace WHERE nspname = ?), "
                + "pg_catalog.has_database_privilege(?, current_database(), 'CONNECT'), "
                + "NOT EXISTS (SELECT FROM pg_catalog.pg_namespace n, "
                + "   aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a "
                + "   WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE'), "
                // Two roles only (true otherwise): the owner is sound, and the runtime role has USAGE but not CREATE
                // on the schema and owns nothing in it.
                + "? OR ((SELECT " + elevated + " FROM pg_catalog.pg_roles WHERE rolname = ?) "
                + "   AND pg_catalog.has_database_privilege(?, current_database(), 'CONNECT')), "
                + "? OR (pg_catalog.has_schema_privilege(?, ?, 'USAGE') "
                + "   AND NOT pg_catalog.has_schema_privilege(?, ?, 'CREATE') "
                + "   AND NOT EXISTS (SELECT FROM pg_catalog.pg_class k JOIN pg_catalog.pg_namespace n "
                + "       ON n.oid = k.relnamespace WHERE n.nspname = ? AND pg_catalog.pg_get_userbyid(k.relowner) = ?))")) {
            String ownerRole = owner();
            boolean single = owner == null;
            int i = 1;
            s.setString(i++, role);
            s.setString(i++, ownerRole);
            s.setString(i++, schema);
            s.setString(i++, role);
            s.setBoolean(i++, single);
            s.setString(i++, ownerRole);
            s.setString(i++, ownerRole);
            s.setBoolean(i++, single);
            s.setString(i++, role);
            s.setString(i++, schema);
            s.setString(i++, role);
            s.setString(i++, schema);
            s.setString(i++, schema);
            s.setString(i++, role);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                String[] problems = {
                    rs.getBoolean(1) ? null : "the role is missing or has elevated rights",
                    rs.getBoolean(2) ? null : "the schema is missing or owned by another role",
                    rs.getBoolean(3) ? null : "the role may not connect to the database",
                    rs.getBoolean(4) ? null : "PUBLIC may still create objects in schema public",
                    rs.getBoolean(5) ? null : "the owner role is missing, has elevated rights or may not connect",
                    rs.getBoolean(6) ? null : "the runtime role lacks USAGE on the schema, may create objects in it, "
                            + "or still owns some"};
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
    private static @Nullable String storedVerifier(Connection c, String role) throws SQLException {
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
