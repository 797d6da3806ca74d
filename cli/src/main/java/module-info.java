/**
 * The {@code pgdock} ops command line; {@link io.pgdock.cli.PgdockCli} is its entry point. Usually run from its
 * runnable jar (classifier {@code all}) on the class path.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.pgdock.cli {
    requires io.pgdock.core;
    requires io.pgdock.config;
    requires io.pgdock.datasource;
    requires com.fasterxml.jackson.databind;
    requires info.picocli;
    requires org.slf4j;
    requires static transitive org.jspecify;

    exports io.pgdock.cli;
    // picocli sets the commands' annotated fields and calls their methods by reflection.
    opens io.pgdock.cli to info.picocli;

    uses io.pgdock.core.MigrationProvider;
}
