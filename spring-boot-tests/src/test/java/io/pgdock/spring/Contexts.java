package io.pgdock.spring;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Application contexts for the tests: the whole auto-configuration, on either Spring Boot line. */
final class Contexts {
    /** Spring Boot's DataSource auto-configuration on 3.5 and on 4.0: excluded where a test has no DataSource. */
    static final String NO_APPLICATION_DATASOURCE = "spring.autoconfigure.exclude="
            + "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration,"
            + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration";

    private Contexts() {
    }

    /**
     * An application without a DataSource of its own, whose process environment is only {@code variables} (so that a
     * PGHOST of the machine running the tests cannot change what they see).
     */
    static ApplicationContextRunner application(Map<String, Object> variables) {
        return new ApplicationContextRunner()
                .withUserConfiguration(TestApp.class)
                .withInitializer(context -> {
                    var sources = context.getEnvironment().getPropertySources();
                    sources.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                            new SystemEnvironmentPropertySource(
                                    StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
                })
                .withPropertyValues(NO_APPLICATION_DATASOURCE, "management.endpoint.health.show-details=always");
    }

    /** An application without a DataSource of its own and an empty process environment. */
    static ApplicationContextRunner application() {
        return application(Map.of());
    }

    /** An application with Spring Boot's DataSource (HikariCP) on {@code database} in schema {@code schema}. */
    static ApplicationContextRunner withApplicationDataSource(TestDatabase database, String schema) {
        ConnectionSpec spec = database.spec();
        return new ApplicationContextRunner()
                .withUserConfiguration(TestApp.class)
                .withInitializer(context -> context.getEnvironment().getPropertySources().replace(
                        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                Map.of())))
                .withPropertyValues("spring.datasource.url=" + spec.jdbcUrl() + "?currentSchema=" + schema,
                        "spring.datasource.username=" + spec.user(),
                        "spring.datasource.password=" + spec.password().orElse(""),
                        "management.endpoint.health.show-details=always");
    }

    /** The {@code pgdock.*} properties that connect the storage to {@code database}, schema {@code schema}. */
    static String[] pgdock(TestDatabase database, String schema, String... more) {
        ConnectionSpec spec = database.spec();
        List<String> all = new ArrayList<>(List.of("pgdock.url=" + spec.jdbcUrl(), "pgdock.user=" + spec.user(),
                "pgdock.password=" + spec.password().orElse(""), "pgdock.schema=" + schema));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
