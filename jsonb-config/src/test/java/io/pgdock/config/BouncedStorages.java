package io.pgdock.config;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.internal.RoleSettingsCheck;
import io.pgdock.testing.PgBouncer;
import io.pgdock.testing.PgdockExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Jdbi;

/**
 * Test helper: storage through a real PgBouncer in transaction mode, as an operator sets it up. Each storage gets a
 * role of its own (role settings are per role and database, and every store has its own schema), the schema owned by
 * that role, the role's own {@code search_path} set to it ({@code ALTER ROLE ... IN DATABASE ... SET}), and a PgBouncer
 * that logs in as the role. The storage runs in {@code transactionPooling} mode, with a direct connection spec for
 * {@code LISTEN} unless asked not to. {@link #close()} closes everything and drops the roles.
 */
final class BouncedStorages implements AutoCloseable {
    private static final String PASSWORD = "bounced-role-pw-4c1e";

    private final PgdockExtension pg;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<String> roles = new ArrayList<>();

    BouncedStorages(PgdockExtension pg) {
        this.pg = pg;
    }

    private Jdbi admin() {
        return Jdbi.create(pg.adminDataSource());
    }

    /** The direct spec of a new role whose own search_path is its new schema. */
    ConnectionSpec newRole(String schema) {
        String role = "pgdock_b_" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        roles.add(role);
        ConnectionSpec direct = pg.spec().toBuilder().user(role).password(PASSWORD).schema(schema).build();
        admin().useHandle(h -> {
            h.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + PASSWORD + "'");
            h.execute("CREATE SCHEMA \"" + schema + "\" AUTHORIZATION " + role);
            for (String statement : RoleSettingsCheck.statements(direct)) {
                h.execute(statement);
            }
        });
        return direct;
    }

    PgBouncer bouncer(ConnectionSpec direct) {
        PgBouncer bouncer = PgBouncer.builder(direct).defaultPoolSize(4).start();
        open.add(bouncer);
        return bouncer;
    }

    /** Storage in a new schema through a new PgBouncer; with a direct connection spec for LISTEN if {@code listen}. */
    Storage open(String schema, boolean listen) {
        ConnectionSpec direct = newRole(schema);
        PgBouncer bouncer = bouncer(direct);
        StorageOptions.Builder options = StorageOptions.builder().transactionPooling(true).maximumPoolSize(4);
        if (listen) {
            options.dedicatedConnectionSpec(direct);
        }
        Storage storage = Storage.open(bouncer.specFor(direct), options.build());
        open.add(storage);
        return storage;
    }

    @Override
    public void close() {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + open.get(i) + " failed", e);
            }
        }
        open.clear();
        for (String role : roles) {
            admin().useHandle(h -> {
                h.execute("DROP OWNED BY " + role + " CASCADE");
                h.execute("DROP ROLE " + role);
            });
        }
        roles.clear();
    }
}
