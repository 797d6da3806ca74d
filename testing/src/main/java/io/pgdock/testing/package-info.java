/**
 * A real PostgreSQL for every test: one server per JVM, a fresh database per test class.
 *
 * <ul>
 *   <li>{@link io.pgdock.testing.PgdockExtension}: the JUnit 5 extension; a database per test class, injected as a
 *       {@link io.pgdock.core.ConnectionSpec}, {@link javax.sql.DataSource}, {@link org.jdbi.v3.core.Jdbi} or
 *       {@link io.pgdock.testing.TestDatabase}.
 *   <li>{@link io.pgdock.testing.TestPostgres}: the server itself, for code that JUnit does not run (benchmarks, demo
 *       mains); {@link io.pgdock.testing.TestPostgres#createDatabase()} makes a {@link io.pgdock.testing.TestDatabase}
 *       that is dropped on close.
 *   <li>{@link io.pgdock.testing.ThrowawayPostgres}: a second, private embedded server that a test may stop (fast or
 *       as a crash), start again and restart, keeping its data; for code that must survive its database going away.
 *       Its builder makes a primary with streaming standbys to fail over to, or a TLS server.
 *   <li>{@link io.pgdock.testing.TestCertificates}: a certificate authority made at run time with the JDK, and the
 *       server and client certificates and keys that a TLS server and pgjdbc read.
 *   <li>{@link io.pgdock.testing.PgBouncer}: a real PgBouncer (transaction pooling by default) in front of a test
 *       database, where the {@code pgbouncer} binary is installed; {@link io.pgdock.testing.PgBouncer#assumeAvailable()}
 *       skips a test where it is not, and fails it in CI ({@code CI=true}), whose scripts must install it.
 *   <li>{@link io.pgdock.testing.SilentServer}: a local server that accepts connections and never answers (or a proxy to
 *       a real server that can be made to go silent), for tests that a login or a query cannot hang.
 *   <li>{@link io.pgdock.testing.Wait}: waits until a condition holds or a value arrives, instead of a sleep, and fails
 *       saying what was awaited, for how long, and the last value and exception it saw.
 * </ul>
 *
 * <p>The server is the one named by {@code PGDOCK_TEST_URL} (system property or environment variable, an admin URL such
 * as {@code postgresql://postgres@127.0.0.1:5432/postgres}), or else an embedded PostgreSQL 17 that also starts when
 * the build runs as root.
 *
 * <p>Nothing here takes or returns {@code null} unless it is marked {@code @Nullable} (JSpecify's
 * {@code org.jspecify.annotations.Nullable}; the package is {@code @NullMarked}).
 */
@NullMarked
package io.pgdock.testing;

import org.jspecify.annotations.NullMarked;
