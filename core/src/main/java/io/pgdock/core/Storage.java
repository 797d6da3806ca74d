package io.pgdock.core;

import io.pgdock.core.copy.BulkTransfer;
import java.sql.Connection;
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
 * <p><b>Two ways to have one.</b> {@link #open(ConnectionSpec, StorageOptions)} makes pgdock's own pool from a spec.
 * {@link #over(javax.sql.DataSource, String, StorageOptions)} uses a {@link DataSource} the application already has and
 * owns (a Spring Boot application's, say), so one pool serves both; pgdock never closes it. The schema check and the
 * migrations are the same; what differs is listed there.
 *
 * <p>Instances are thread-safe; share one per process. After {@link #close()}, borrowing a connection through
 * {@link #dataSource()} fails and {@link #health()} reports DOWN.
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
     * Storage over a {@link DataSource} the application owns, with {@link StorageOptions#defaults() default options}.
     *
     * @param dataSource the application's pool; pgdock borrows from it and never closes it
     * @param schema the storage schema, which must be first on the {@code search_path} of its connections
     * @return open storage
     * @see #over(DataSource, String, StorageOptions)
     */
    static Storage over(DataSource dataSource, String schema) {
        return over(dataSource, schema, StorageOptions.defaults());
    }

    /**
     * Storage over a {@link DataSource} the application owns, such as the pool a Spring Boot application already has,
     * so that one pool serves the application and pgdock. Opening it borrows one connection and, as {@link #open} does,
     * checks the schema and the role's privileges on it (creating it if {@link StorageOptions#createSchema()} allows),
     * and applies pending migrations under the same advisory lock unless {@link StorageOptions#autoMigrate()} is off.
     *
     * <p><b>The search_path.</b> pgdock cannot pin the sessions of a pool it does not own, so it checks them: the
     * storage schema must be the connection's current schema (the first existing schema on its {@code search_path}),
     * or opening fails with {@link ConnectionFailedException.Reason#SEARCH_PATH} and says how to set it: with
     * {@code currentSchema=<schema>} in the JDBC URL, or with the pool's connection-init SQL
     * ({@code SET search_path TO "<schema>", pg_catalog}; HikariCP {@code connectionInitSql}, Spring Boot
     * {@code spring.datasource.hikari.connection-init-sql}). Every {@link #health()} checks it again, at no extra cost
     * (the same query); a borrow does not.
     *
     * <p><b>What differs from {@link #open}.</b>
     * <ul>
     *   <li>{@link #dataSource()} is a view of the application's DataSource that stops lending once the storage is
     *       closed; {@link #close()} leaves the application's DataSource open and usable.
     *   <li>The pool settings of {@code options} ({@code maximumPoolSize}, {@code minimumIdle},
     *       {@code connectionTimeout}, {@code idleTimeout}, {@code maxLifetime}, {@code poolName}) are not used: the
     *       pool is configured by its owner. {@code healthTimeout}, {@code createSchema}, {@code autoMigrate},
     *       {@code discoverMigrations} and the migrations are.
     *   <li>{@link #spec()} throws: there is no spec (and no password to open a fresh connection with).
     *   <li>{@link #health()} checks on a connection borrowed from the application's DataSource (bounded by the health
     *       timeout, like every check), so a pool that has no connection to lend within that time reports DOWN; its
     *       counts are HikariCP's when the DataSource is a {@code HikariDataSource}, else zeros.
     *   <li>{@link #dedicatedConnection()} borrows a connection from the application's DataSource and holds it; the
     *       config store's watch and cache hold one for {@code LISTEN} that way, for as long as they run.
     * </ul>
     *
     * @param dataSource the application's pool, connected to PostgreSQL as the role that owns (or may use) the schema
     * @param schema the storage schema, unquoted
     * @param options open-time options; see above for which apply
     * @return open storage
     * @throws ConnectionFailedException if no connection can be borrowed, the schema is missing or not first on the
     *     search_path, or the role lacks a privilege; {@link ConnectionFailedException#reason()} says which
     * @throws MigrationException if pending migrations cannot be applied
     * @throws InvalidConnectionSpecException if the schema name is not valid
     */
    static Storage over(DataSource dataSource, String schema, StorageOptions options) {
        return DataSourceStorage.over(dataSource, schema, options);
    }

    /**
     * The spec this storage was opened with.
     *
     * @return the spec
     * @throws UnsupportedOperationException for storage {@link #over(DataSource, String, StorageOptions) over} an
     *     application's DataSource, which has none
     */
    ConnectionSpec spec();

    /**
     * The storage schema: first on every connection's {@code search_path}, and where migrations put their tables.
     *
     * @return the schema name (unquoted)
     */
    String schema();

    /**
     * The pool, for code that wants plain JDBC. Close what you borrow; do not close the pool itself. For a storage from
     * {@link #open}, {@code unwrap(com.zaxxer.hikari.HikariDataSource.class)} reaches the HikariCP pool (for its
     * statistics); the object itself is a thin wrapper whose wait timeouts name the last failed connection attempt.
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
     * mistaken for a dead server), and reports the pool's counts. (Storage {@link #over(DataSource, String,
     * StorageOptions) over} an application's DataSource checks on a connection borrowed from it instead, and checks its
     * search_path too.) Returns within {@link StorageOptions#healthTimeout()}
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
     * A connection for work that holds a session for long, such as {@code LISTEN} or a session-level advisory lock,
     * outside the pool's rotation; the caller closes it. For storage opened from a spec it is a new connection of its
     * own (not one of the pool's), with the same session settings, its login bounded like the pool's, and reads
     * waiting as the spec's {@code socketTimeout} says. For storage {@link #over(DataSource, String, StorageOptions)
     * over} an application's DataSource it is borrowed from that DataSource and counts against its pool until closed;
     * closing it gives it back as it is, so undo what you changed on its session first ({@code UNLISTEN *}, a network
     * timeout).
     *
     * <p>Storage behind a transaction-mode pooler ({@link StorageOptions.Builder#transactionPooling(boolean)}) has no
     * session to give through the pooler: its dedicated connections connect to
     * {@link StorageOptions.Builder#dedicatedConnectionSpec(ConnectionSpec) dedicatedConnectionSpec}, and without one
     * this throws {@link SessionRequiredException}.
     *
     * @return an open connection in auto-commit mode
     * @throws ConnectionFailedException if it cannot be had; {@link ConnectionFailedException#reason()} says why
     * @throws SessionRequiredException if the storage is behind a transaction-mode pooler and has no dedicated
     *     connection spec
     * @throws IllegalStateException if the storage is closed
     */
    Connection dedicatedConnection();

    /**
     * Whether {@link #dedicatedConnection()} can give a session of its own: {@code false} only for storage behind a
     * transaction-mode pooler without a {@link StorageOptions.Builder#dedicatedConnectionSpec(ConnectionSpec)
     * dedicatedConnectionSpec}. What needs one (the config store's watches and read cache) checks this first, to fail
     * when it starts rather than hear nothing.
     *
     * @return whether dedicated connections are available
     */
    default boolean dedicatedConnectionsAvailable() {
        return true;
    }

    /**
     * Whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    boolean isClosed();

    /**
     * Closes the storage. For storage opened from a spec this closes its pool: idle connections are closed at once;
     * connections still borrowed are closed by HikariCP after a short grace period, which fails whatever their
     * borrowers are doing. For storage over an application's DataSource, the DataSource stays open: the storage only
     * stops lending through {@link #dataSource()}. Idempotent.
     */
    @Override
    void close();
}
