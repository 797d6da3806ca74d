package io.pgdock.core;

import io.pgdock.core.internal.SqlFailures;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies modules' {@link MigrationSet}s to one schema, each migration exactly once, however many processes try at the
 * same time.
 *
 * <p><b>Concurrency.</b> {@link #apply} first reads the history, without a lock and without writing anything, and
 * returns at once when nothing is pending (so a migrator works on a standby or a read-only session while the schema is
 * up to date). Otherwise it runs one transaction that first takes a transaction-scoped PostgreSQL advisory
 * lock keyed by the schema name, then creates the history table if needed, reads what is applied, runs what is pending
 * and records it in {@code <schema>.pgdock_schema_history}. A second process blocks on the lock until the first commits,
 * then finds nothing pending. If any migration fails, the whole transaction rolls back: the schema is as it was.
 *
 * <p><b>Refusals.</b> Before running anything, the recorded history is checked against the sets: a module recorded at a
 * version newer than this library knows (the database was migrated by a newer pgdock), an applied migration whose SQL has
 * changed, or a pending migration older than an applied one, each fail with a {@link MigrationException} and change
 * nothing.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Migrator {
    /** The table, in the migrated schema, that records applied migrations. */
    public static final String HISTORY_TABLE = "pgdock_schema_history";

    private static final Logger LOG = LoggerFactory.getLogger(Migrator.class);
    private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('pgdock.migrate'), hashtext(?))";
    private static final String RECORD_COLUMNS = " (module, version, description, checksum) VALUES ";

    private final DataSource dataSource;
    private final String schema;
    private final String quotedSchema;
    private final @Nullable String owner;

    private Migrator(DataSource dataSource, String schema, @Nullable String owner) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.schema = Values.checkSchema("schema", Objects.requireNonNull(schema, "schema"));
        this.quotedSchema = Values.quoteIdentifier(schema);
        this.owner = owner == null ? null : Values.checkIdentifier("owner", owner);
    }

    /**
     * A migrator for {@code schema}, using connections from {@code dataSource}. The schema must exist; its role needs
     * USAGE and CREATE on it.
     *
     * @param dataSource where to get a connection
     * @param schema the schema to migrate
     * @return the migrator
     */
    public static Migrator of(DataSource dataSource, String schema) {
        return new Migrator(dataSource, schema, null);
    }

    /**
     * The same migrator, whose {@link #pendingSql printed script} switches to {@code role} first, so that tables a DBA
     * creates by running it are owned by the role that will use them. {@link Storage#migrator()} sets the storage's role.
     *
     * @param role the role that owns the migrated objects
     * @return a new migrator
     */
    public Migrator withOwner(String role) {
        return new Migrator(dataSource, schema, Objects.requireNonNull(role, "role"));
    }

    /**
     * The migrations not yet applied, by module, in the order {@link #apply} would run them. Validates the history as
     * {@link #apply} does.
     *
     * @param sets the modules' migrations
     * @return module name to pending migrations; modules with none pending are left out
     * @throws MigrationException if the history is refused (see the class comment)
     * @throws ConnectionFailedException if no connection can be had
     */
    public Map<String, List<Migration>> pending(Collection<MigrationSet> sets) {
        try (Connection c = connect()) {
            return plan(sets, readHistory(c, historyExists(c)));
        } catch (SQLException e) {
            throwIfDeployment(e);
            throw new MigrationException("cannot read migration history of schema " + quotedSchema + ": "
                    + SqlFailures.firstLine(e.getMessage()), e);
        }
    }

    /**
     * The SQL that {@link #apply} would run now, as a script a DBA can review and run with {@code psql} (it takes the
     * same lock and records the same history rows).
     *
     * @param sets the modules' migrations
     * @return the script; a comment saying nothing is pending when nothing is
     */
    public String pendingSql(Collection<MigrationSet> sets) {
        Map<String, List<Migration>> pending = pending(sets);
        StringBuilder sql = new StringBuilder();
        sql.append("-- pgdock migrations pending for schema ").append(quotedSchema).append('\n');
        if (pending.isEmpty()) {
            return sql.append("-- nothing is pending\n").toString();
        }
        sql.append("BEGIN;\n");
        if (owner != null) {
            sql.append("SET LOCAL ROLE ").append(Values.quoteIdentifier(owner)).append(";\n");
        }
        sql.append(LOCK.replace("?", Values.literal(schema))).append(";\n")
                .append("SET LOCAL search_path TO ").append(quotedSchema).append(", pg_catalog;\n")
                .append(createHistorySql()).append(";\n")
                .append(protectHistorySql()).append(";\n");
        pending.forEach((module, migrations) -> {
            for (Migration m : migrations) {
                String body = m.sql().strip();
                sql.append("\n-- ").append(module).append(' ').append(m).append('\n')
                        // On its own line, so a trailing "-- comment" cannot swallow it.
                        .append(body).append(body.endsWith(";") ? "\n" : "\n;\n")
                        .append(recordPrefix()).append('(').append(Values.literal(module)).append(", ")
                        .append(m.version()).append(", ").append(Values.literal(m.description())).append(", ")
                        .append(Values.literal(m.checksum())).append(')')
                        .append(";\n");
            }
        });
        return sql.append("COMMIT;\n").toString();
    }

    /**
     * Applies every pending migration of {@code sets} in one transaction under the schema's advisory lock.
     *
     * @param sets the modules' migrations
     * @return what this call applied, by module (empty when everything was already applied, possibly by another process)
     * @throws MigrationException if the history is refused or a migration fails; nothing is applied then
     * @throws ConnectionFailedException if no connection can be had; with reason
     *     {@link ConnectionFailedException.Reason#READ_ONLY} if migrations are pending but the server is a standby or
     *     the session is read-only (with nothing pending nothing is written, so on a standby or a read-only spec this
     *     returns an empty map)
     */
    public Map<String, List<Migration>> apply(Collection<MigrationSet> sets) {
        Objects.requireNonNull(sets, "sets");
        try (Connection c = connect()) {
            // Reads first, and writes only when something is pending: a storage on a standby, or opened read-only,
            // opens when its schema is up to date.
            Map<String, List<Migration>> pending = plan(sets, readHistory(c, historyExists(c)));
            if (pending.isEmpty()) {
                return Map.of();
            }
            refuseIfReadOnly(c, pending);
            Map<String, List<Migration>> applied = Transactions.run(c, tx -> {
                try (Statement s = tx.createStatement()) {
                    // Waiting for another migrator must not trip the session's timeouts, nor may a long migration.
                    s.execute("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; "
                            + "SET LOCAL search_path TO " + quotedSchema + ", pg_catalog");
                }
                try (PreparedStatement lock = tx.prepareStatement(LOCK)) {
                    lock.setString(1, schema);
                    lock.execute();
                }
                try (Statement s = tx.createStatement()) {
                    s.execute(createHistorySql());
                    s.execute(protectHistorySql());
                }
                // Again, under the lock: another process may have applied them meanwhile.
                Map<String, List<Migration>> todo = plan(sets, readHistory(tx, true));
                for (Map.Entry<String, List<Migration>> entry : todo.entrySet()) {
                    for (Migration m : entry.getValue()) {
                        run(tx, entry.getKey(), m);
                    }
                }
                return todo;
            });
            applied.forEach((module, list) -> list.forEach(m ->
                    LOG.info("Applied migration {} {} to schema {}", module, m, quotedSchema)));
            return applied;
        } catch (SQLException e) {
            throwIfDeployment(e);
            throw new MigrationException("migrating schema " + quotedSchema + " failed: "
                    + SqlFailures.firstLine(e.getMessage()), e);
        }
    }

    /** Pending migrations cannot be applied on a standby or in a read-only session; say so, and what to do. */
    private void refuseIfReadOnly(Connection c, Map<String, List<Migration>> pending) throws SQLException {
        boolean standby;
        boolean readOnly;
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_catalog.pg_is_in_recovery(), "
                        + "pg_catalog.current_setting('transaction_read_only') = 'on'")) {
            rs.next();
            standby = rs.getBoolean(1);
            readOnly = rs.getBoolean(2);
        }
        if (!standby && !readOnly) {
            return;
        }
        StringBuilder names = new StringBuilder();
        pending.forEach((module, list) -> list.forEach(m ->
                names.append(names.length() == 0 ? "" : ", ").append(module).append(' ').append(m)));
        throw new ConnectionFailedException(ConnectionFailedException.Reason.READ_ONLY, "migrations are pending for "
                + "schema " + quotedSchema + " (" + names + "), but " + (standby
                        ? "the server is a standby (in recovery)" : "the session is read-only (readOnly=true, or "
                                + "default_transaction_read_only)")
                + ", so they cannot be applied here; apply them on the primary first (Storage.open, or "
                + "Migrator.apply, with a spec that reaches it, for example targetServerType=primary; or run the SQL "
                + "of pendingSql there), then open this one again", "25006", null);
    }

    /**
     * A failure that is the deployment's rather than a migration's (a read-only server or session, a broken connection,
     * a pooler in the way) is thrown as the {@link ConnectionFailedException} the classifier makes of it.
     */
    private void throwIfDeployment(SQLException e) {
        ConnectionFailedException failure = SqlFailures.deploymentFailure(e, "the database of schema " + quotedSchema,
                null);
        if (failure != null) {
            throw failure;
        }
    }

    private Connection connect() {
        try {
            return dataSource.getConnection();
        } catch (SQLException e) {
            throw SqlFailures.connectFailure(e, "the database of schema " + quotedSchema);
        }
    }

    private void run(Connection c, String module, Migration m) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(m.sql());
        } catch (SQLException e) {
            throw new MigrationException("migration " + module + " " + m + " failed in schema " + quotedSchema
                    + " (SQLSTATE " + e.getSQLState() + "): " + SqlFailures.firstLine(e.getMessage())
                    + "; nothing was applied", e);
        }
        try (PreparedStatement insert = c.prepareStatement(recordPrefix() + "(?, ?, ?, ?)")) {
            insert.setString(1, module);
            insert.setInt(2, m.version());
            insert.setString(3, m.description());
            insert.setString(4, m.checksum());
            insert.executeUpdate();
        }
    }

    private String recordPrefix() {
        return "INSERT INTO " + quotedSchema + "." + HISTORY_TABLE + RECORD_COLUMNS;
    }

    private String createHistorySql() {
        return "CREATE TABLE IF NOT EXISTS " + quotedSchema + "." + HISTORY_TABLE + " ("
                + "module text NOT NULL, "
                + "version integer NOT NULL, "
                + "description text NOT NULL, "
                + "checksum text NOT NULL, "
                + "applied_at timestamptz NOT NULL DEFAULT now(), "
                + "applied_by text NOT NULL DEFAULT current_user, "
                + "PRIMARY KEY (module, version))";
    }

    /**
     * Withdraws INSERT, UPDATE, DELETE and TRUNCATE on the migration record from every role but its owner: in a two-role
     * deployment the owner's default privileges would give them to the runtime role, which only needs to read what is
     * pending. Idempotent; changes nothing in a single-role deployment.
     */
    private String protectHistorySql() {
        String table = quotedSchema + "." + HISTORY_TABLE;
        String body = "\nDECLARE g record;\nBEGIN\n"
                + "  FOR g IN SELECT DISTINCT a.grantee::regrole AS grantee FROM pg_catalog.pg_class c, "
                + "pg_catalog.aclexplode(c.relacl) a\n"
                + "      WHERE c.oid = " + Values.literal(table) + "::regclass AND a.grantee <> 0 "
                + "AND a.grantee <> c.relowner\n"
                + "        AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') LOOP\n"
                + "    EXECUTE pg_catalog.format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON " + table.replace("'", "''")
                + " FROM %s', g.grantee);\n"
                + "  END LOOP;\n"
                + "END\n";
        String tag = "$pgdock$";
        for (int i = 1; body.contains(tag); i++) {
            tag = "$pgdock" + i + "$";
        }
        return "DO " + tag + body + tag;
    }

    private boolean historyExists(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            s.setString(1, quotedSchema + "." + HISTORY_TABLE);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** module -> version -> checksum, as recorded. */
    private Map<String, Map<Integer, String>> readHistory(Connection c, boolean exists) throws SQLException {
        Map<String, Map<Integer, String>> history = new HashMap<>();
        if (!exists) {
            return history;
        }
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT module, version, checksum FROM " + quotedSchema + "." + HISTORY_TABLE)) {
            while (rs.next()) {
                history.computeIfAbsent(rs.getString(1), k -> new HashMap<>()).put(rs.getInt(2), rs.getString(3));
            }
        }
        return history;
    }

    private Map<String, List<Migration>> plan(Collection<MigrationSet> sets, Map<String, Map<Integer, String>> history) {
        Map<String, List<Migration>> pending = new LinkedHashMap<>();
        for (MigrationSet set : sets) {
            Map<Integer, String> applied = history.getOrDefault(set.module(), Map.of());
            int newestApplied = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
            if (newestApplied > set.latestVersion()) {
                throw new MigrationException("schema " + quotedSchema + " has module " + set.module() + " at version "
                        + newestApplied + ", but this pgdock knows versions up to " + set.latestVersion()
                        + " only: the database was migrated by a newer pgdock; upgrade pgdock to use it", null);
            }
            List<Migration> todo = new ArrayList<>();
            for (Migration m : set.migrations()) {
                String checksum = applied.get(m.version());
                if (checksum == null) {
                    if (m.version() < newestApplied) {
                        throw new MigrationException("module " + set.module() + " migration " + m + " is not applied in "
                                + "schema " + quotedSchema + ", but the later version " + newestApplied + " is; "
                                + "migrations must be added after the newest applied one", null);
                    }
                    todo.add(m);
                } else if (!checksum.equals(m.checksum())) {
                    throw new MigrationException("module " + set.module() + " migration " + m + " was changed after it "
                            + "was applied to schema " + quotedSchema + " (checksum " + checksum + " recorded, "
                            + m.checksum() + " now); add a new migration instead of editing an applied one", null);
                }
            }
            for (Integer version : applied.keySet()) {
                if (set.migrations().stream().noneMatch(m -> m.version() == version)) {
                    throw new MigrationException("schema " + quotedSchema + " records module " + set.module()
                            + " migration V" + version + ", which this pgdock does not know", null);
                }
            }
            if (!todo.isEmpty()) {
                pending.put(set.module(), List.copyOf(todo));
            }
        }
        return pending;
    }

}
