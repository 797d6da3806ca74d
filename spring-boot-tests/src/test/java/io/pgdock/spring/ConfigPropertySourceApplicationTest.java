package io.pgdock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.testing.Wait;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;

/**
 * The whole story in a real Spring Boot application: a {@code @Value} bean and a {@code @ConfigurationProperties} bean
 * see a change that another process makes to the config store, without a restart, and the application hears of it.
 */
class ConfigPropertySourceApplicationTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    static ConfigStoreDatabase db;

    @TempDir
    Path temp;

    @BeforeAll
    static void createDatabase() {
        db = new ConfigStoreDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void aValueBeanSeesAChangeMadeByAnotherProcessWithoutRestart() throws Exception {
        db.store.inScope("prod").put("pipeline.batch_size", 500);
        db.store.inScope("prod").put("pipeline.source", "warehouse");
        String[] properties = db.properties("prod", "pipeline.", "spring.datasource.url=" + db.database.spec().jdbcUrl(),
                "spring.datasource.username=" + db.spec.user());
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(Application.class)
                .web(WebApplicationType.NONE).properties(properties).run()) {
            Throttle throttle = app.getBean(Throttle.class);
            PipelineProperties pipeline = app.getBean(PipelineProperties.class);
            Changes changes = app.getBean(Changes.class);
            assertThat(throttle.batchSize).isEqualTo(500);
            assertThat(pipeline.getSource()).isEqualTo("warehouse");

            Writer writer = writeFromAnotherProcess("prod", "pipeline.batch_size", "750");
            Writer writer2 = writeFromAnotherProcess("prod", "pipeline.source", "\"lake\"");
            awaitExit(writer);
            awaitExit(writer2);

            Wait.until(TIMEOUT, () -> throttle.batchSize == 750 && "lake".equals(pipeline.getSource())
                    && pipeline.getBatchSize() == 750, () -> "the beans to see the other process's values, but @Value "
                    + throttle.batchSize + ", properties " + pipeline.getBatchSize() + "/" + pipeline.getSource());
            Wait.until(TIMEOUT, () -> changes.names().containsAll(List.of("pipeline.batch_size", "pipeline.source")),
                    () -> "events naming both properties: " + changes.events);
            assertThat(app.getEnvironment().getProperty("pipeline.batch_size", Integer.class)).isEqualTo(750);
            assertThat(db.store.inScope("prod").entry("pipeline.batch_size").orElseThrow().updatedBy())
                    .isEqualTo("another-process");
        }
    }

    private Writer writeFromAnotherProcess(String scope, String key, String json) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        File log = temp.resolve("writer-" + key + ".log").toFile();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ConfigWriterMain.class.getName(), scope, key, json).redirectErrorStream(true).redirectOutput(log);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(name -> name.startsWith("PG"));
        env.put("PGDOCK_URL", db.database.spec().jdbcUrl());
        env.put("PGDOCK_USER", db.spec.user());
        env.put("PGDOCK_SCHEMA", "app");
        db.spec.password().ifPresent(p -> env.put("PGDOCK_PASSWORD", p));
        return new Writer(pb.start(), log);
    }

    /** A writer process and the file its output goes to. */
    private record Writer(Process process, File log) {
    }

    private static void awaitExit(Writer writer) throws Exception {
        Process p = writer.process();
        boolean done = p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String output = Files.readString(writer.log().toPath(), StandardCharsets.UTF_8);
        assertThat(done).as("the writer process to end within %s; its output: %s", TIMEOUT, output).isTrue();
        assertThat(p.exitValue()).as("the writer's exit code; its output: %s", output).isZero();
        assertThat(output).contains("wrote ConfigEntry[scope=\"prod\"");
    }

    /** A minimal Spring Boot application. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableConfigurationProperties(PipelineProperties.class)
    static class Application {
        @Bean
        Throttle throttle() {
            return new Throttle();
        }

        @Bean
        Changes changes() {
            return new Changes();
        }
    }

    @RefreshOnConfigChange
    static class Throttle {
        @Value("${pipeline.batch_size}")
        volatile int batchSize;
    }

    static class Changes {
        final List<ConfigStoreChangedEvent> events = new CopyOnWriteArrayList<>();

        @EventListener
        void on(ConfigStoreChangedEvent event) {
            events.add(event);
        }

        List<String> names() {
            return events.stream().flatMap(e -> e.propertyNames().stream()).toList();
        }
    }

    @ConfigurationProperties("pipeline")
    public static class PipelineProperties {
        private int batchSize;
        private String source = "";

        public int getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(int batchSize) {
            this.batchSize = batchSize;
        }

        public String getSource() {
            return source;
        }

        public void setSource(String source) {
            this.source = source;
        }
    }
}
