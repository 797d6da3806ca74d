/**
 * pgdock's core: where to connect ({@link io.pgdock.core.ConnectionSpec}), the default storage resource
 * ({@link io.pgdock.core.Storage}), migrations, provisioning and COPY.
 *
 * <p>{@code io.pgdock.core.internal} is shared with pgdock's own modules only. Jdbi and JDBC types appear in the API
 * ({@code Storage.jdbi()}, {@code Storage.dataSource()}), so reading this module reads them too.
 *
 * <p>Migrations are found with {@link java.util.ServiceLoader} ({@code uses io.pgdock.core.MigrationProvider}); a
 * module that ships its SQL as resources in one of its packages must open that package to {@code io.pgdock.core} so
 * {@link io.pgdock.core.MigrationSet#fromResources} can read them.
 */
@SuppressWarnings({"module", "requires-automatic", "requires-transitive-automatic"})
module io.pgdock.core {
    requires transitive java.sql;
    requires transitive org.jdbi.v3.core;
    requires org.jdbi.v3.postgres;
    requires org.jdbi.v3.jackson2;
    requires com.zaxxer.hikari;
    requires org.postgresql.jdbc;
    requires org.slf4j;
    // Jdbi's jars are automatic modules, which cannot say what they need: the explicit modules they use are required
    // here so that a module-path application resolves them without --add-modules.
    requires io.leangen.geantyref;
    requires org.jdbi.v3.json;
    requires com.fasterxml.jackson.databind;
    // Nullness annotations (@NullMarked, @Nullable) of the API: read by users' tools at compile time, not needed at run
    // time.
    requires static transitive org.jspecify;

    exports io.pgdock.core;
    exports io.pgdock.core.copy;
    // pgjdbc instantiates the login's socket factory (LoginDeadlineSocketFactory) and, for a spec without a password,
    // the authentication plugin that keeps it from reading ~/.pgpass itself (NoPasswordPlugin) by name.
    exports io.pgdock.core.internal to io.pgdock.config, io.pgdock.datasource, io.pgdock.testing, io.pgdock.cli,
            org.postgresql.jdbc;

    uses io.pgdock.core.MigrationProvider;
}
