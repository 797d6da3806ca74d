package io.pgdock.testing;

import io.pgdock.core.ConnectionSpec;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;

/**
 * One test's own database on the {@link TestPostgres shared server}, owned by a login role of the same name; closing it
 * drops both. Made by {@link TestPostgres#createDatabase()}, or by {@link PgdockExtension} for each test class.
 *
 * <p>Two ways in:
 * <ul>
 *   <li>as the <em>owner</em> ({@link #spec()}, {@link #dataSource()}, {@link #jdbi()}): an ordinary role, not a
 *       superuser, that owns the database and so its {@code public} schema, and can create schemas, tables and
 *       extensions marked trusted. This is how application code should connect.
 *   <li>as the <em>admin</em> ({@link #adminSpec()}, {@link #adminDataSource()}): the server's admin account on this same
 *       database, for tests that provision roles, schemas and grants. On the embedded server it is the superuser
 *       {@code postgres}; on an external server it has the rights of the account in
 *       {@value TestPostgres#URL_VARIABLE}.
 * </ul>
 * Roles are not per database in PostgreSQL: a role a test creates outlives this database, so drop it in the test (on a
 * shared external server especially), or derive its name from {@link #name()}.
 *
 * <p>The data sources are unpooled {@link org.postgresql.ds.PGSimpleDataSource}s (each {@code getConnection()} opens a
 * new connection); the {@link Jdbi} uses {@link #dataSource()} and has the {@link PostgresPlugin} installed.
 *
 * <p><b>Thread safety.</b> Thread-safe; {@link #close()} is idempotent and may race with other calls, after which the
 * data sources fail to connect.
 */
public final class TestDatabase implements AutoCloseable {

    private final TestPostgres server;
    private final String name;
    private final ConnectionSpec spec;
    private final ConnectionSpec adminSpec;
    private final DataSource dataSource;
    private final DataSource adminDataSource;
    private final Jdbi jdbi;
    private final AtomicBoolean closed = new AtomicBoolean();

    TestDatabase(TestPostgres server, String name, ConnectionSpec spec, ConnectionSpec adminSpec) {
        this.server = Objects.requireNonNull(server, "server");
        this.name = Objects.requireNonNull(name, "name");
        this.spec = Objects.requireNonNull(spec, "spec");
        this.adminSpec = Objects.requireNonNull(adminSpec, "adminSpec");
        this.dataSource = DataSources.unpooled(spec);
        this.adminDataSource = DataSources.unpooled(adminSpec);
        this.jdbi = Jdbi.create(dataSource).installPlugin(new PostgresPlugin());
    }

    /**
     * The database's name, which is also its owner role's name: {@code pgdock_t_} and a random suffix.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * How to connect as the owner role: the server's host and port (with the other connection settings of
     * {@value TestPostgres#URL_VARIABLE}, if set), this database, the owner role and its random password, no schema.
     *
     * @return the owner's connection settings
     */
    public ConnectionSpec spec() {
        return spec;
    }

    /**
     * An unpooled data source that connects as the owner role.
     *
     * @return the owner's data source
     */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * A Jdbi on {@link #dataSource()}, with the {@link PostgresPlugin} installed.
     *
     * @return the owner's Jdbi
     */
    public Jdbi jdbi() {
        return jdbi;
    }

    /**
     * How to connect to this database as the server's admin account (see {@link TestPostgres#adminSpec()}).
     *
     * @return the admin connection settings
     */
    public ConnectionSpec adminSpec() {
        return adminSpec;
    }

    /**
     * An unpooled data source that connects to this database as the server's admin account.
     *
     * @return the admin data source
     */
    public DataSource adminDataSource() {
        return adminDataSource;
    }

    /**
     * Drops the database, ending any sessions still connected to it ({@code DROP DATABASE ... WITH (FORCE)}), and then
     * its owner role. Does nothing if already closed.
     *
     * @throws TestPostgresException if the server refuses, for example because the owner role still owns objects
     *     elsewhere
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.drop(this);
        }
    }

    /** The database's name and the server, for logs; never contains a password. */
    @Override
    public String toString() {
        return "TestDatabase[" + name + " on " + spec.endpoints() + "]";
    }
}
