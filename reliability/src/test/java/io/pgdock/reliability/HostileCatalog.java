package io.pgdock.reliability;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * A snapshot of what hostile input must not change: the catalogue rows of the test database (schemas, relations,
 * functions outside the system schemas, the database's ACL and settings), the cluster's privileged roles, and the
 * rows of the config store's tables, except the one entry a test wrote on purpose. Two snapshots are compared with
 * {@code equals}; the map's {@code toString} shows what differs.
 *
 * <p>Roles are cluster-wide and other test classes (or other builds on a shared server) create and drop their own, so
 * the role part covers the roles that could matter to an escalation: superusers, roles with CREATEROLE, CREATEDB,
 * REPLICATION or BYPASSRLS, and the members of each of those; and settings only for this database, for every role
 * ({@code ALTER ... SET} with no role or for a privileged role).
 *
 * <p>ACLs are compared as their effective value (a NULL ACL as its default), so an explicit ACL equal to the default,
 * as a GRANT and REVOKE leave behind, is no change.
 *
 * <p>Stateless; each call reads through its own handle.
 */
final class HostileCatalog {
    private HostileCatalog() {
    }

    /** A {@code pg_roles} condition: the role holds an attribute beyond a plain login role's. */
    private static final String PRIVILEGED = "(rolsuper or rolcreaterole or rolcreatedb or rolreplication or rolbypassrls)";

    /**
     * Takes a snapshot.
     *
     * @param admin a Jdbi on the test database with the rights to read its catalogue and the store's tables
     * @param storeSchema the schema of the config store's tables, or null when there is no store
     * @param scope the scope of the entry the test writes (its rows are left out), or null for every scope
     * @param key the key of that entry, or null to leave no row out
     * @return the snapshot
     */
    static Map<String, Object> snapshot(Jdbi admin, String storeSchema, String scope, String key) {
        return admin.withHandle(h -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("schemas", list(h, "select nspname || ' owner=' || nspowner::regrole || ' acl=' || coalesce(nspacl, acldefault('n', nspowner))::text "
                    + "from pg_namespace where nspname not like 'pg\\_temp\\_%' and nspname not like 'pg\\_toast\\_temp\\_%' "
                    + "order by 1"));
            s.put("relations", list(h, "select n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' acl='"
                    + " || coalesce(c.relacl, acldefault('r', c.relowner))::text from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                    + "where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%' "
                    + "order by 1"));
            s.put("functions", list(h, "select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) "
                    + "|| ') ' || md5(p.prosrc) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                    + "where n.nspname not in ('pg_catalog', 'information_schema') order by 1"));
            s.put("database", list(h, "select datname || ' acl=' || coalesce(datacl, acldefault('d', datdba))::text || ' conn=' || datallowconn "
                    + "from pg_database where datname = current_database()"));
            s.put("settings", list(h, "select coalesce(setrole::regrole::text, '-') || ' ' || setconfig::text "
                    + "from pg_db_role_setting where setdatabase = (select oid from pg_database "
                    + "where datname = current_database()) or setrole = 0 or setrole in (select oid from pg_roles "
                    + "where " + PRIVILEGED + ") order by 1"));
            s.put("privilegedRoles", list(h, "select rolname || ' ' || rolsuper || rolcreaterole || rolcreatedb "
                    + "|| rolreplication || rolbypassrls from pg_roles where " + PRIVILEGED + " order by 1"));
            s.put("membersOfPrivileged", list(h, "select m.member::regrole || ' in ' || m.roleid::regrole from pg_auth_members m "
                    + "where m.roleid in (select oid from pg_roles where " + PRIVILEGED + ") order by 1"));
            if (storeSchema != null) {
                String schema = "\"" + storeSchema.replace("\"", "\"\"") + "\"";
                String exclude = key == null ? "true" : scope == null ? "key <> :key" : "not (scope = :scope and key = :key)";
                for (String table : new String[] {"config_entry", "config_history"}) {
                    var query = h.createQuery("select count(*) || ' ' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') "
                            + "from " + schema + "." + table + " t where " + exclude);
                    if (key != null) {
                        query.bind("key", key);
                    }
                    if (key != null && scope != null) {
                        query.bind("scope", scope);
                    }
                    s.put(table, query.mapTo(String.class).one());
                }
            }
            return s;
        });
    }

    private static java.util.List<String> list(Handle h, String sql) {
        return h.createQuery(sql).mapTo(String.class).list();
    }
}
