package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.spring.example.IngestApplication;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The README's Spring Boot section: its application is {@link IngestApplication} and its properties are
 * {@code example-application.properties}, verbatim; and that application runs, as a real {@code SpringApplication},
 * against PostgreSQL with those properties (their values pointed at the test's databases).
 */
class SpringBootReadmeTest {
    /** The repository's root: the tests run in spring-boot-tests/boot3 or /boot4. */
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    static TestDatabase app;
    static TestDatabase warehouse;

    @BeforeAll
    static void createDatabases() {
        app = TestPostgres.get().createDatabase();
        app.jdbi().useHandle(h -> h.execute("create schema ingest; "
                + "create table ingest.runs (batch_size int, source_rows bigint)"));
        warehouse = TestPostgres.get().createDatabase();
        warehouse.jdbi().useHandle(h -> h.execute("create table sales as select generate_series(1, 42) as id"));
    }

    @AfterAll
    static void dropDatabases() {
        app.close();
        warehouse.close();
    }

    @Test
    void readmeShowsExactlyTheCompiledApplication() throws IOException {
        String source = Files.readString(ROOT.resolve(
                "spring-boot-tests/src/test/java/io/pgdock/spring/example/IngestApplication.java"));
        String block = between(source, "// spring-boot-example: begin\n", "// spring-boot-example: end");
        String shown = between(between(Files.readString(ROOT.resolve("README.md")), "<!-- spring-boot-example: begin",
                "<!-- spring-boot-example: end -->"), "```java\n", "```");
        assertThat(shown).as("README.md's Spring Boot application").isEqualTo(dedent(block));
        assertThat(shown.split("\n")).as("lines of the application").hasSizeLessThan(20);
    }

    @Test
    void readmeShowsExactlyTheTestedProperties() throws IOException {
        String file = Files.readString(ROOT.resolve("spring-boot-tests/src/test/resources/example-application.properties"));
        String shown = between(between(Files.readString(ROOT.resolve("README.md")),
                "<!-- spring-boot-properties: begin", "<!-- spring-boot-properties: end -->"), "```properties\n", "```");
        assertThat(shown).as("README.md's application.properties").isEqualTo(file);
    }

    @Test
    void theApplicationRunsAgainstPostgresWithTheReadmesProperties() throws IOException {
        try (Storage storage = Storage.open(app.spec().toBuilder().schema("ingest").build())) {
            ConfigStore.postgres(storage).put("ingest.batch_size", 250);
        }
        Properties readme = new Properties();
        readme.load(new StringReader(Files.readString(
                ROOT.resolve("spring-boot-tests/src/test/resources/example-application.properties"))));
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("spring.datasource.url", app.spec().jdbcUrl() + "?currentSchema=ingest");
        values.put("spring.datasource.username", app.spec().user());
        values.put("pgdock.schema", "ingest");
        values.put("pgdock.config.cache", "1000");
        values.put("pgdock.target.warehouse.url", "postgresql://" + warehouse.spec().user() + "@"
                + warehouse.spec().jdbcUrl().substring("jdbc:postgresql://".length()));
        assertThat(values.keySet()).as("the properties the test sets are the README's")
                .containsExactlyInAnyOrderElementsOf(readme.stringPropertyNames());
        // The passwords, as the README says, from the environment (here: properties of the same names).
        values.put("spring.datasource.password", app.spec().password().orElseThrow());
        values.put("pgdock.target.warehouse.password", warehouse.spec().password().orElseThrow());

        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(IngestApplication.class)
                .web(WebApplicationType.NONE).properties(values).run()) {
            assertThat(context.getBeanNamesForType(com.zaxxer.hikari.HikariDataSource.class)).hasSize(1);
        }
        List<org.assertj.core.groups.Tuple> runs = app.jdbi().withHandle(h -> h.createQuery(
                "select batch_size, source_rows from ingest.runs").map((rs, ctx) -> tuple(rs.getInt(1), rs.getLong(2)))
                .list());
        assertThat(runs).containsExactly(tuple(250, 42L));
    }

    private static String between(String text, String start, String end) {
        int from = text.indexOf(start);
        assertThat(from).as("marker %s", start).isNotNegative();
        from += start.length();
        int to = text.indexOf(end, from);
        assertThat(to).as("marker %s", end).isNotNegative();
        return text.substring(from, to);
    }

    private static String dedent(String block) {
        List<String> lines = Arrays.asList(block.split("\n", -1));
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return lines.stream().map(l -> l.length() >= indent ? l.substring(indent) : l.strip())
                .collect(Collectors.joining("\n"));
    }
}
