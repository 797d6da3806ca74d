package io.pgdock.core;

import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * The deployment's default storage: its main PostgreSQL, reached through a pool, as a dedicated role, working in a
 * dedicated schema.
 *
 * <pre>{@code
 * try (Storage storage = Storage.open(ConnectionSpec.fromEnvironment(System.getenv()))) {
 *     storage.jdbi().useHandle(h -> h.execute("insert into runs(name) values (?)", "nightly"));
 *     DataSource ds = storage.dataSource();   // for code that wants plain JDBC
 *     Health health = storage.health();       // never throws
 * }
 * }</pre>
 *
 * <p>Every connection's {@code search_path} is {@code "<schema>", pg_catalog}, its {@code application_name} is the
 * spec's (or {@code pgdock}), and the spec's statement, lock and idle-in-transaction timeouts are set on it.
 *
 * <p>Instances are thread-safe; share one per process. After {@link #close()}, borrowing a connection fails and
 * {@link #health()} reports DOWN.
 */
public interface Storage extends AutoCloseable {
    /**
     * Opens storage with {@link StorageOptions#defaults() default options}.
     *
     * @param spec where to connect; must name a schema
     * @return open storage
     * @throws ConnectionFailedException if the server is unreachable, refuses the credentials, lacks the database or the
     *     schema, or the role lacks a privilege; {@link ConnectionFailedException#reason()} says which
     * @throws MigrationException if pending migrations cannot be applied
     * @throws InvalidConnectionSpecException if the spec names no schema
     * @see #open(ConnectionSpec, StorageOptions)
     */
    static Storage open(ConnectionSpec spec) {
        return open(spec, StorageOptions.defaults());
    }

    /**
     * Opens storage: starts the pool (one connection is opened at once, so a bad target fails here, fast), checks the
     * schema and the role's privileges on it, creates the schema if it is missing and {@link
     * StorageOptions#createSchema()} allows it, and applies pending migrations unless {@link
     * StorageOptions#autoMigrate()} is off.
     *
     * <p><b>Bounded.</b> Every login, this first one and each the pool makes later, is bounded as a whole (TCP
     * connect, TLS, authentication, every host of a multi-host spec) by the spec's {@code connectTimeout}, 10 s when it
     * sets none; an explicit {@code connectTimeout} of zero means no limit. The open-time checks on the first
     * connection are bounded by the same timeout. A server that accepts the connection and sends nothing fails with
     * {@link ConnectionFailedException.Reason#UNREACHABLE} and a message naming the timeout. Migrations are not bounded
     * (they may wait for another process's, under the advisory lock). Connections reach the pool reading with the
     * spec's {@code socketTimeout}, or none.
     *
     * @param spec where to connect; must name a schema
     * @param options pool and open-time options
     * @return open storage
     * @throws ConnectionFailedException if the server is unreachable, refuses the credentials, lacks the database or the
     *     schema, or the role lacks a privilege; {@link ConnectionFailedException#reason()} says which
     * @throws MigrationException if pending migrations cannot be applied
     * @throws InvalidConnectionSpecException if the spec names no schema
     */
    static Storage open(ConnectionSpec spec, StorageOptions options) {
        return PostgresStorage.open(spec, options);
    }

    /**
     * The spec this storage was opened with.
     *
     * @return the spec
     */
    ConnectionSpec spec();

    /**
     * The storage schema: first on every connection's {@code search_path}, and where migrations put their tables.
     *
     * @return the schema name (unquoted)
     */
    String schema();

    /**
     * The pool, for code that wants plain JDBC. Close what you borrow; do not close the pool itself.
     *
     * @return the pooled data source
     */
    DataSource dataSource();

    /**
     * A Jdbi on the pool, with the PostgreSQL and Jackson 2 plugins installed.
     *
     * @return the Jdbi
     */
    Jdbi jdbi();

    /**
     * Bulk transfer with PostgreSQL COPY on the pool: each call borrows a connection and returns it. For COPY inside
     * your own transaction use {@link BulkTransfer#on(java.sql.Connection)} with that transaction's connection.
     *
     * @return the bulk transfer
     */
    BulkTransfer bulk();

    /**
     * A migrator for the storage schema, for example to print pending SQL when automatic migration is off.
     *
     * @return the migrator
     */
    Migrator migrator();

    /**
     * Checks the server like {@code pg_isready}, on a fresh connection rather than a pooled one (so a busy pool is not
     * mistaken for a dead server), and reports the pool's counts. Returns within {@link StorageOptions#healthTimeout()}
     * and never throws: failures are reported as {@link Health.Status#DOWN}, with a {@link Health#reason()} (a server
     * that does not answer in time is {@link ConnectionFailedException.Reason#UNREACHABLE}, the message naming the
     * health timeout). The check's login and query are themselves bounded by the health timeout, so an attempt a check
     * gave up on ends soon after and leaves no thread or socket behind; until then, further checks wait for that attempt
     * instead of starting more.
     *
     * @return the result
     */
    Health health();

    /**
     * Closes the pool: idle connections are closed at once; connections still borrowed are closed by HikariCP after a
     * short grace period, which fails whatever their borrowers are doing. Idempotent.
     */
    @Override
    void close();
}
