package io.pgdock.cli;

import static org.assertj.core.api.Assertions.fail;

import io.pgdock.core.ConnectionSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the runnable jar ({@code pgdock.cli.jar}, set by the failsafe configuration) as a process: an environment with
 * no {@code PG*}, {@code PGDOCK*}, {@code USER}, {@code LOGNAME} or {@code USERNAME} variable but those given, stdin from a file, stdout and stderr captured.
 */
final class CliProcess {

    /**
     * Longest a CLI process may run before it is taken for hung and killed. Only to detect a hang: no test asserts on
     * how long a command took.
     */
    static final long HANG_SECONDS = 90;

    private static final Path JAR = Path.of(System.getProperty("pgdock.cli.jar", "target/pgdock-cli-all.jar"));

    /** What a finished process left. */
    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private CliProcess() {
    }

    /** The environment naming {@code spec} field by field (the password as PGDOCK_PASSWORD, never in a URL). */
    static Map<String, String> env(ConnectionSpec spec) {
        Map<String, String> env = new HashMap<>();
        env.put("PGDOCK_HOST", spec.host());
        env.put("PGDOCK_PORT", Integer.toString(spec.port()));
        env.put("PGDOCK_DATABASE", spec.database());
        env.put("PGDOCK_USER", spec.user());
        spec.password().ifPresent(p -> env.put("PGDOCK_PASSWORD", p));
        spec.schema().ifPresent(s -> env.put("PGDOCK_SCHEMA", s));
        env.put("USER", "tester");
        return env;
    }

    /** {@code spec} as a URL, password included (for --admin-url in tests only). */
    static String url(ConnectionSpec spec) {
        String user = URLEncoder.encode(spec.user(), StandardCharsets.UTF_8)
                + spec.password().map(p -> ":" + URLEncoder.encode(p, StandardCharsets.UTF_8)).orElse("");
        return "postgresql://" + user + "@" + spec.host() + ":" + spec.port() + "/" + spec.database();
    }

    static Result run(Map<String, String> env, String... args) {
        return runWithInput(env, "", args);
    }

    /** As {@link #run}, taking the process for hung (and failing) after {@code hangSeconds} instead. */
    static Result runWithin(long hangSeconds, Map<String, String> env, String... args) {
        try {
            return start(env, "", args).await(hangSeconds);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Result runWithInput(Map<String, String> env, String stdin, String... args) {
        try {
            return start(env, stdin, args).await();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs the command in this JVM instead, through the same code as the jar's main (no JVM start): for a test's
     * set-up and follow-up reads, where the command's process behaviour is not what is tested.
     */
    static Result inProcess(Map<String, String> env, String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = new Cli(Map.copyOf(env), java.io.InputStream.nullInputStream(),
                new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8), false, false).run(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A process started and not yet waited for. */
    static Running start(Map<String, String> env, String stdin, String... args) throws IOException {
        Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
        Path in = Files.writeString(Files.createTempFile(dir, "cli-in", ".txt"), stdin);
        Path out = Files.createTempFile(dir, "cli-out", ".txt");
        Path err = Files.createTempFile(dir, "cli-err", ".txt");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-jar", JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        // Nothing of this JVM's user either (USER, LOGNAME, USERNAME): the default actor is what the test sets.
        pb.environment().keySet().removeIf(k -> k.startsWith("PG") || Cli.USER_VARIABLES.contains(k)
                || k.equals("COLUMNS"));
        pb.environment().putAll(env);
        return new Running(pb.start(), in, out, err, String.join(" ", args));
    }

    /** A running CLI process. */
    record Running(Process process, Path in, Path out, Path err, String args) {
        Result await() throws IOException {
            return await(HANG_SECONDS);
        }

        Result await(long hangSeconds) throws IOException {
            try {
                if (!process.waitFor(hangSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail("pgdock " + args + " hung: still running after " + hangSeconds + " s; stderr so far:\n"
                            + Files.readString(err));
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for pgdock " + args, e);
            }
            Result r = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(in);
            Files.delete(out);
            Files.delete(err);
            return r;
        }
    }
}
