package io.pgdock.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgdock.cli.CliProcess.Result;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built distribution ({@code pgdock.cli.dist}, set by the failsafe configuration: the path of
 * {@code pgdock-cli-<version>-dist} without its extension), unpacked with {@code tar} as ops would, and its launcher
 * {@code bin/pgdock} run as a process with an environment holding only what each test sets: from another directory,
 * through symbolic links, with java from JAVA_HOME or from PATH, with JAVA_OPTS, and against the test database.
 */
class DistributionIT {

    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final Path ARCHIVE = Path.of(System.getProperty("pgdock.cli.dist", "target/pgdock-cli-dist"));
    private static final String VERSION = System.getProperty("pgdock.cli.version", "");
    private static final Path JAVA_HOME = Path.of(System.getProperty("java.home"));
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ConnectionSpec spec;

    @BeforeAll
    static void migrate() {
        spec = PG.spec().toBuilder().schema("dist").build();
        try (Storage storage = Storage.open(spec, StorageOptions.builder().createSchema(true).build())) {
            assertThat(storage.schema()).isEqualTo("dist");
        }
    }

    /** Unpacks the tar.gz into {@code dir} with the system's tar; returns the distribution's directory. */
    private static Path unpack(Path dir) throws Exception {
        Path tarGz = Path.of(ARCHIVE + ".tar.gz");
        assertThat(tarGz).as("the distribution is built in the package phase").isRegularFile();
        Result r = run(List.of("tar", "-xzf", tarGz.toString(), "-C", dir.toString()), dir,
                Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")));
        assertThat(r.exitCode()).as("tar: %s", r).isZero();
        return dir.resolve("pgdock-" + VERSION);
    }

    /** Runs {@code command} in {@code cwd} with exactly {@code env}, taking it for hung after a while. */
    private static Result run(List<String> command, Path cwd, Map<String, String> env) throws IOException {
        Path out = Files.createTempFile("dist-out", ".txt");
        Path err = Files.createTempFile("dist-err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            if (!p.waitFor(CliProcess.HANG_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " hung; stderr so far:\n" + Files.readString(err));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + command, e);
        }
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    /** The environment of a shell with java on PATH only (no JAVA_HOME), with {@code extra}. */
    private static Map<String, String> javaOnPath(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(extra);
        env.put("PATH", JAVA_HOME.resolve("bin") + ":/usr/bin:/bin");
        return env;
    }

    @Test
    void theArchivesHoldTheLaunchersAndTheJar(@TempDir Path dir) throws Exception {
        Path home = unpack(dir);
        Path launcher = home.resolve("bin/pgdock");
        assertThat(launcher).isRegularFile();
        assertThat(Files.getPosixFilePermissions(launcher)).as("bin/pgdock is executable")
                .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
                        PosixFilePermission.OTHERS_EXECUTE);
        assertThat(Files.readString(launcher)).startsWith("#!/bin/sh\n").doesNotContain("\r");
        assertThat(Files.readString(home.resolve("bin/pgdock.cmd"))).startsWith("@echo off\r\n")
                .contains("-jar \"%PGDOCK_HOME%\\lib\\pgdock-cli.jar\" %*\r\n");
        assertThat(home.resolve("lib/pgdock-cli.jar")).isRegularFile();
        assertThat(home.resolve("LICENSE")).isRegularFile();

        Set<String> inTar = new TreeSet<>();
        try (var files = Files.walk(home)) {
            files.filter(Files::isRegularFile).forEach(f -> inTar.add(home.relativize(f).toString()));
        }
        Set<String> inZip = new TreeSet<>();
        try (ZipFile zip = new ZipFile(Path.of(ARCHIVE + ".zip").toFile())) {
            zip.stream().filter(e -> !e.isDirectory()).map(ZipEntry::getName)
                    .forEach(n -> inZip.add(n.substring(("pgdock-" + VERSION + "/").length())));
        }
        assertThat(inZip).as("the zip holds what the tar.gz does").isEqualTo(inTar)
                .contains("bin/pgdock", "bin/pgdock.cmd", "lib/pgdock-cli.jar", "README.md", "LICENSE");
    }

    @Test
    void theLauncherRunsFromAnyDirectoryWithJavaHomeOrPath(@TempDir Path dir) throws Exception {
        Path home = unpack(dir);
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));

        Result withJavaHome = run(List.of(home.resolve("bin/pgdock").toString(), "--version"), elsewhere,
                Map.of("JAVA_HOME", JAVA_HOME.toString(), "PATH", "/usr/bin:/bin"));
        assertThat(withJavaHome.exitCode()).as("%s", withJavaHome).isZero();
        assertThat(withJavaHome.out()).isEqualTo("pgdock " + VERSION + "\n");

        Result relative = run(List.of("../pgdock-" + VERSION + "/bin/pgdock", "--version"), elsewhere,
                javaOnPath(Map.of()));
        assertThat(relative.exitCode()).as("a relative path, java from PATH: %s", relative).isZero();
        assertThat(relative.out()).isEqualTo("pgdock " + VERSION + "\n");

        Result noJava = run(List.of(home.resolve("bin/pgdock").toString(), "--version"), elsewhere,
                Map.of("JAVA_HOME", dir.resolve("no-such-jdk").toString(), "PATH", "/usr/bin:/bin"));
        assertThat(noJava.exitCode()).as("%s", noJava).isEqualTo(1);
        assertThat(noJava.err()).startsWith("pgdock: JAVA_HOME is set to '" + dir.resolve("no-such-jdk")
                + "', which has no bin/java");
    }

    @Test
    void theLauncherWorksThroughSymbolicLinks(@TempDir Path dir) throws Exception {
        Path home = unpack(dir);
        Path bin = Files.createDirectories(dir.resolve("usr-local-bin"));
        // An absolute link, as in /usr/local/bin, and a relative link to that link.
        Files.createSymbolicLink(bin.resolve("pgdock"), home.resolve("bin/pgdock"));
        Files.createSymbolicLink(bin.resolve("pg"), Path.of("pgdock"));
        Path relativeTarget = Files.createDirectories(dir.resolve("links"));
        Files.createSymbolicLink(relativeTarget.resolve("pgdock"), Path.of("../pgdock-" + VERSION + "/bin/pgdock"));

        for (Path link : List.of(bin.resolve("pgdock"), bin.resolve("pg"), relativeTarget.resolve("pgdock"))) {
            Result r = run(List.of(link.toString(), "--version"), Files.createTempDirectory(dir, "cwd"),
                    javaOnPath(Map.of()));
            assertThat(r.exitCode()).as("%s: %s", link, r).isZero();
            assertThat(r.out()).as("%s", link).isEqualTo("pgdock " + VERSION + "\n");
        }
        // Found on PATH by name, as ops run it.
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin + ":" + JAVA_HOME.resolve("bin") + ":/usr/bin:/bin");
        Result byName = run(List.of("/bin/sh", "-c", "pgdock --version"), dir, env);
        assertThat(byName.exitCode()).as("%s", byName).isZero();
        assertThat(byName.out()).isEqualTo("pgdock " + VERSION + "\n");
    }

    /**
     * A real command against the test database, its arguments passed unchanged (blanks and quotes included), and
     * JAVA_OPTS reaching the JVM: {@code -Duser.name} is the actor of the write when no user variable is set.
     */
    @Test
    void theLauncherRunsARealCommandWithJavaOptsAndTheArguments(@TempDir Path dir) throws Exception {
        Path home = unpack(dir);
        Map<String, String> env = new HashMap<>(CliProcess.env(spec));
        env.remove("USER");
        env.put("JAVA_OPTS", "-Xmx128m -Duser.name=dist-ops");
        env.put("JAVA_HOME", JAVA_HOME.toString());
        env.put("PATH", "/usr/bin:/bin");
        String launcher = home.resolve("bin/pgdock").toString();

        List<String> set = new ArrayList<>(List.of(launcher, "config", "set", "dist.greeting",
                "{\"text\": \"hello, \\\"ops\\\" *\"}", "--reason", "two words", "--json"));
        Result written = run(set, dir, env);
        assertThat(written.exitCode()).as("%s", written).isZero();
        assertThat(written.err()).as("%s", written).isEmpty();
        JsonNode entry = JSON.readTree(written.out());
        assertThat(entry.get("updatedBy").asText()).as("the actor from JAVA_OPTS' user.name").isEqualTo("cli:dist-ops");
        assertThat(entry.get("version").asLong()).isEqualTo(1);

        Result read = run(List.of(launcher, "config", "get", "dist.greeting", "--pointer", "/text"), dir, env);
        assertThat(read.exitCode()).as("%s", read).isZero();
        assertThat(read.out()).isEqualTo("\"hello, \\\"ops\\\" *\"\n");
        Result history = run(List.of(launcher, "config", "history", "dist.greeting", "--json"), dir, env);
        assertThat(JSON.readTree(history.out()).get("changes").get(0).get("reason").asText()).isEqualTo("two words");

        Result typo = run(List.of(launcher, "config", "gett", "dist.greeting"), dir, env);
        assertThat(typo.exitCode()).as("the usage exit code comes through the launcher: %s", typo).isEqualTo(2);
        assertThat(typo.err()).startsWith("pgdock: unknown command 'gett' for 'pgdock config'; did you mean 'get'?");
    }
}
