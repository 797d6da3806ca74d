/**
 * Dynamic connections ({@link io.pgdock.datasource.DataSourceFactory}): pooled, bounded data sources for any number of
 * PostgreSQL targets, and a fixed fake for tests.
 *
 * <p>Micrometer is optional ({@code requires static}): {@code io.pgdock.datasource.micrometer} needs
 * {@code micrometer.core} on the module path, read by the module that uses it. So is the configuration store
 * ({@code requires static transitive io.pgdock.config}, since the registry's API names its types):
 * {@code io.pgdock.datasource.registry} keeps named connections in it, and an application that uses the registry
 * has {@code io.pgdock.config} on its module path already, to make the store.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.pgdock.datasource {
    requires transitive io.pgdock.core;
    requires transitive java.sql;
    requires transitive org.jdbi.v3.core;
    requires static micrometer.core;
    requires static transitive io.pgdock.config;
    requires org.jdbi.v3.postgres;
    requires org.jdbi.v3.jackson2;
    requires com.zaxxer.hikari;
    requires org.postgresql.jdbc;
    requires org.slf4j;
    requires static transitive org.jspecify;

    exports io.pgdock.datasource;
    exports io.pgdock.datasource.micrometer;
    exports io.pgdock.datasource.registry;
}
