/**
 * The configuration store ({@link io.pgdock.config.ConfigStore}): per-deployment settings kept as typed, versioned,
 * audited JSONB, with an in-memory fake.
 *
 * <p>Values are Jackson trees ({@code JsonNode}) in the API, so reading this module reads Jackson's databind too. To bind
 * values to your own classes, open their package to {@code com.fasterxml.jackson.databind}, as for any Jackson use.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.pgdock.config {
    requires transitive io.pgdock.core;
    requires transitive com.fasterxml.jackson.databind;
    requires java.sql;
    requires com.fasterxml.jackson.datatype.jdk8;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires com.networknt.schema;
    requires org.postgresql.jdbc;
    requires org.slf4j;
    requires static transitive org.jspecify;

    // Only the API is exported. Not exported: io.pgdock.config.store (the store over a backend: validation, binding,
    // caching, snapshots, watches, import/export documents, the history chain's verifier), .postgres and .memory (the
    // two backends), .secret (envelope encryption and the key ring) and .json (JSON rules and merge patches).
    exports io.pgdock.config;
    // The migration SQL is read by io.pgdock.core; Jackson calls Secret's package-private creator and creates the
    // serializer Secret's annotation names.
    opens io.pgdock.config to io.pgdock.core, com.fasterxml.jackson.databind;
    opens io.pgdock.config.secret to com.fasterxml.jackson.databind;

    provides io.pgdock.core.MigrationProvider with io.pgdock.config.ConfigMigrations;
}
