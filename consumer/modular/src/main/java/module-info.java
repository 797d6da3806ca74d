/** A user's pipeline as a named module: it reads pgdock's three resources and nothing more. */
module org.example.modular {
    requires io.pgdock.core;
    requires io.pgdock.config;
    requires io.pgdock.datasource;

    exports org.example.modular;
    // The task's record is written to and read from the configuration store by Jackson.
    opens org.example.modular to com.fasterxml.jackson.databind;
}
