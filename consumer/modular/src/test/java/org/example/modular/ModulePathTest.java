package org.example.modular;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The pipeline on the module path: inside this test's JVM, and in a JVM of its own started with plain flags. */
class ModulePathTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    static TestDatabase source;

    @BeforeAll
    static void createSource() {
        source = TestPostgres.get().createDatabase();
    }

    @AfterAll
    static void dropSource() {
        source.close();
    }

    @Test
    void pgdockIsOnTheModulePath() {
        assertEquals("org.example.modular", ModulePathTest.class.getModule().getName());
        assertEquals("io.pgdock.core", Storage.class.getModule().getName());
        assertEquals("io.pgdock.config", io.pgdock.config.ConfigStore.class.getModule().getName());
        assertEquals("io.pgdock.datasource", io.pgdock.datasource.DataSourceFactory.class.getModule().getName());
        assertEquals("io.pgdock.datasource",
                io.pgdock.datasource.registry.ConnectionRegistry.class.getModule().getName());
    }

    /** pgdock's bounded login works on the module path: pgjdbc can make pgdock's socket factory there. */
    @Test
    void aLoginToAPeerThatNeverAnswersIsBoundedOnTheModulePath() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ConnectionSpec spec = ConnectionSpec.builder().host("127.0.0.1").port(silent.getLocalPort())
                    .database("d").user("u").schema("s").connectTimeout(Duration.ofSeconds(1)).build();
            ConnectionFailedException e = assertThrows(ConnectionFailedException.class, () -> Storage.open(spec));
            assertEquals(ConnectionFailedException.Reason.UNREACHABLE, e.reason());
            assertTrue(e.getMessage().contains("the server accepted the connection but sent nothing within the connect"
                    + " timeout of 1 s"), e.getMessage());
        }
    }

    @Test
    void thePipelineRunsInThisModule() {
        assertEquals("module io.pgdock.core: loaded 100 rows, note ok, config version 1, storage UP, source from ENVIRONMENT, "
                + "stored [archive]",
                Main.run(env("inside")));
    }

    @Test
    void thePipelineRunsWithJavaDashPDashM() throws IOException, InterruptedException {
        // The application's classes and its runtime jars (from the build's dependency:build-classpath), nothing else.
        String[] parts = System.getProperty("consumer.module.path").split(File.pathSeparator, 2);
        String modulePath = parts[0] + File.pathSeparator + Files.readString(Path.of(parts[1])).strip();
        assertTrue(modulePath.contains("pgdock-core"), "the module path: " + modulePath);
        Path out = Files.createTempFile("modular", ".out");
        ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", modulePath, "--module", "org.example.modular/org.example.modular.Main")
                .redirectErrorStream(true).redirectOutput(out.toFile());
        child.environment().clear();
        child.environment().putAll(env("child"));
        Process p = child.start();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        if (!ended) {
            p.destroyForcibly();
        }
        assertTrue(ended, "the child JVM ended; it printed: " + printed);
        assertEquals(0, p.exitValue(), "exit status; it printed: " + printed);
        List<String> lines = printed.lines().filter(l -> l.startsWith("module ")).toList();
        assertEquals(List.of("module io.pgdock.core: loaded 100 rows, note ok, config version 1, storage UP, source from ENVIRONMENT, "
                + "stored [archive]"), lines,
                "what it printed: " + printed);
    }

    /** Storage in a schema of its own per caller, the source as target "source". */
    private static Map<String, String> env(String schema) {
        Map<String, String> env = new HashMap<>();
        env.put("PGDOCK_URL", url(PG.spec().toBuilder().schema(schema).build()));
        env.put("PGDOCK_TARGET_SOURCE_URL", url(source.spec()));
        PG.spec().password().ifPresent(p -> env.put("PGDOCK_PASSWORD", p));
        source.spec().password().ifPresent(p -> env.put("PGDOCK_TARGET_SOURCE_PASSWORD", p));
        return env;
    }

    /** The spec as a URL without its password (toString masks it; the password goes in its own variable). */
    private static String url(ConnectionSpec spec) {
        return spec.toString().replace(":***@", "@");
    }
}
