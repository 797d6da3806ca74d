package io.pgdock.core.internal;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.ConnectionSpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The check that a role's own settings give every session what a spec asks for, for connections behind a
 * transaction-mode pooler (PgBouncer {@code pool_mode = transaction}), where pgdock sets no session state: a {@code SET}
 * would stay on whichever server session ran it, and the next transaction may run on another. The storage schema must
 * then be the current schema of a fresh session and the spec's statement, lock and idle-in-transaction timeouts its
 * defaults, which is what {@code ALTER ROLE ... IN DATABASE ... SET ...} gives every new server session PgBouncer opens,
 * also after it reconnects. Not API: shared by the storage and the dynamic factory.
 */
public final class RoleSettingsCheck {
    private static final String QUERY = "SELECT current_schema(), "
            + "(SELECT setting FROM pg_catalog.pg_settings WHERE name = 'statement_timeout'), "
            + "(SELECT setting FROM pg_catalog.pg_settings WHERE name = 'lock_timeout'), "
            + "(SELECT setting FROM pg_catalog.pg_settings WHERE name = 'idle_in_transaction_session_timeout')";

    private RoleSettingsCheck() {
    }

    /**
     * Checks the session's defaults against the spec's schema and timeouts.
     *
     * @param c a connection on which nothing was {@code SET}; left as it was
     * @param spec what the sessions should have
     * @param who what runs in transaction pooling mode, starting the message, for example {@code "the factory"}
     * @throws ConnectionFailedException with {@link Reason#SEARCH_PATH} if the schema differs, else {@link Reason#OTHER}
     *     if a timeout differs; the message lists each difference and the {@code ALTER ROLE} statements that fix them
     * @throws SQLException if the query fails
     */
    public static void check(Connection c, ConnectionSpec spec, String who) throws SQLException {
        List<String> wrong = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        boolean schemaWrong = false;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(QUERY)) {
            rs.next();
            if (spec.schema().isPresent() && !spec.schema().get().equals(rs.getString(1))) {
                schemaWrong = true;
                String current = rs.getString(1);
                wrong.add("current schema is " + (current == null ? "none" : quote(current)) + ", the spec asks for "
                        + quote(spec.schema().get()));
                fixes.add("search_path = " + quote(spec.schema().get()));
            }
            compare(wrong, fixes, "statement_timeout", spec.statementTimeout().orElse(null), rs.getString(2));
            compare(wrong, fixes, "lock_timeout", spec.lockTimeout().orElse(null), rs.getString(3));
            compare(wrong, fixes, "idle_in_transaction_session_timeout",
                    spec.idleInTransactionSessionTimeout().orElse(null), rs.getString(4));
        }
        if (!wrong.isEmpty()) {
            StringBuilder m = new StringBuilder(who).append(" runs in transactionPooling mode and sets no session state, "
                    + "but the server's defaults for role ").append(quote(spec.user())).append(" differ from ")
                    .append(spec).append(": ").append(String.join("; ", wrong)).append(". Make them the role's own:");
            for (String fix : fixes) {
                m.append(' ').append(alterRole(spec, fix));
            }
            m.append(" (new sessions get them; PgBouncer's open server connections keep theirs until they are replaced,"
                    + " e.g. by RECONNECT on its admin console)");
            throw new ConnectionFailedException(schemaWrong ? Reason.SEARCH_PATH : Reason.OTHER, m.toString(), null,
                    null);
        }
    }

    /**
     * The statements that give the spec's role its schema and timeouts as its own settings in the spec's database.
     *
     * @param spec the spec
     * @return one {@code ALTER ROLE ... IN DATABASE ... SET ...;} per setting the spec has, in order
     */
    public static List<String> statements(ConnectionSpec spec) {
        List<String> out = new ArrayList<>();
        spec.schema().ifPresent(schema -> out.add(alterRole(spec, "search_path = " + quote(schema))));
        spec.statementTimeout().ifPresent(t -> out.add(alterRole(spec, "statement_timeout = " + t.toMillis())));
        spec.lockTimeout().ifPresent(t -> out.add(alterRole(spec, "lock_timeout = " + t.toMillis())));
        spec.idleInTransactionSessionTimeout().ifPresent(t -> out.add(alterRole(spec,
                "idle_in_transaction_session_timeout = " + t.toMillis())));
        return out;
    }

    private static String alterRole(ConnectionSpec spec, String setting) {
        return "ALTER ROLE " + quote(spec.user()) + " IN DATABASE " + quote(spec.database()) + " SET " + setting + ";";
    }

    private static void compare(List<String> wrong, List<String> fixes, String setting, @Nullable Duration wanted,
            @Nullable String actual) {
        if (wanted != null && !Long.toString(wanted.toMillis()).equals(actual)) {
            wrong.add(setting + " is " + actual + " ms, the spec asks for " + wanted.toMillis() + " ms");
            fixes.add(setting + " = " + wanted.toMillis());
        }
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
