package io.pgdock.core;

import io.pgdock.testing.PgdockExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Jdbi;

/**
 * Creates uniquely named roles for a test and drops them after it. Roles are cluster-wide, so names must not collide
 * with other test classes running against the same external server.
 */
final class TestRoles {
    /** Every test role's password, so the tests also pass on servers that require passwords. */
    static final String PASSWORD = "test-role-pw-7f3a";

    private final PgdockExtension pg;
    private final List<String> created = new ArrayList<>();

    TestRoles(PgdockExtension pg) {
        this.pg = pg;
    }

    /** Superuser (or CREATEROLE) access to the test database, for creating and dropping roles. */
    Jdbi admin() {
        return Jdbi.create(pg.adminDataSource());
    }

    String newName() {
        String name = "pgdock_r_" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        created.add(name);
        return name;
    }

    /** Registers a role made elsewhere, so it is dropped after the test. */
    String track(String name) {
        created.add(name);
        return name;
    }

    /** Creates a role with the given attributes, for example {@code "LOGIN"}. */
    String create(String attributes) {
        String name = newName();
        admin().useHandle(h -> h.execute("create role " + name + " " + attributes + " password '" + PASSWORD + "'"));
        return name;
    }

    /** A spec for a new (not yet provisioned) runtime role on the test database. */
    ConnectionSpec runtimeSpec(String schema) {
        return pg.spec().toBuilder().user(newName()).password(PASSWORD).schema(schema).build();
    }

    void dropAll() {
        for (String role : created) {
            admin().useHandle(h -> {
                boolean exists = h.createQuery("select count(*) > 0 from pg_roles where rolname = :r")
                        .bind("r", role).mapTo(Boolean.class).one();
                if (exists) {
                    String quoted = "\"" + role.replace("\"", "\"\"") + "\"";
                    h.execute("drop owned by " + quoted + " cascade");
                    h.execute("drop role " + quoted);
                }
            });
        }
        created.clear();
    }
}
