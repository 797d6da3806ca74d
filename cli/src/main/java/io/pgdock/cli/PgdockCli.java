package io.pgdock.cli;

import io.pgdock.core.Ticker;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * The {@code pgdock} ops command line: configuration ({@code pgdock config ...}), {@code health}, {@code provision} and
 * {@code migrate}. Run it with {@code java -jar pgdock-cli-<version>-all.jar --help}; {@code cli/README.md} documents
 * every command, its JSON output and its exit codes.
 *
 * <p>{@link #execute(Map, InputStream, PrintStream, PrintStream, String...)} runs one command in this process with the
 * environment and streams it is given (tests use it; nothing else reads {@link System#getenv()}). It returns the exit
 * code: {@value #OK} success, {@value #FAILURE} a runtime failure (server down, conflict, missing key, ...),
 * {@value #USAGE} a usage error (unknown command or option, bad key, invalid JSON, bad URL or duration).
 *
 * <p><b>Thread safety.</b> Each call of {@code execute} is independent; concurrent calls share no state.
 */
public final class PgdockCli {

    /** Exit code of a command that succeeded. */
    public static final int OK = 0;
    /** Exit code of a command that failed at run time. */
    public static final int FAILURE = 1;
    /** Exit code of a command line that is not valid. */
    public static final int USAGE = 2;

    private PgdockCli() {
    }

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new Cli(System.getenv(), System.in, System.out, System.err, isTerminal(1), isTerminal(2),
                Ticker.system(), System.getProperty("user.name")).run(args));
    }

    /**
     * Runs one command in this process, reading nothing from standard input.
     *
     * @param env the environment variables to read the connection, keys and targets from
     * @param out where the command's output goes
     * @param err where errors go
     * @param args the command line, without the program name
     * @return the exit code: {@value #OK}, {@value #FAILURE} or {@value #USAGE}
     */
    public static int execute(Map<String, String> env, PrintStream out, PrintStream err, String... args) {
        return execute(env, InputStream.nullInputStream(), out, err, args);
    }

    /**
     * Runs one command in this process. No progress bar is drawn (the error stream is not taken for a terminal), and
     * the default actor of writes comes from {@code env} only ({@code cli:$USER}, {@code $LOGNAME} or
     * {@code $USERNAME}; the JVM's {@code user.name} is read by {@link #main} alone).
     *
     * @param env the environment variables to read the connection, keys and targets from
     * @param in the standard input, read by {@code config set --file -} and {@code config import -}
     * @param out where the command's output goes
     * @param err where errors go
     * @param args the command line, without the program name
     * @return the exit code: {@value #OK}, {@value #FAILURE} or {@value #USAGE}
     */
    public static int execute(Map<String, String> env, InputStream in, PrintStream out, PrintStream err,
            String... args) {
        Objects.requireNonNull(args, "args");
        return new Cli(Map.copyOf(Objects.requireNonNull(env, "env")), Objects.requireNonNull(in, "in"),
                Objects.requireNonNull(out, "out"), Objects.requireNonNull(err, "err"), false, false).run(args);
    }

    /**
     * Whether file descriptor {@code fd} (1 stdout, 2 stderr) of this process is a terminal: on Linux, where
     * {@code /proc/self/fd/<fd>} points to ({@code /dev/pts/*} or {@code /dev/tty*}); where there is no {@code /proc},
     * whether a {@link System#console()} exists (which needs stdin and stdout to be terminals, so it is only a guess
     * for stderr).
     */
    private static boolean isTerminal(int fd) {
        return isTerminal(Path.of("/proc/self/fd/" + fd), Files::readSymbolicLink, PgdockCli::hasConsole);
    }

    /** Reads where a symbolic link points. */
    @FunctionalInterface
    interface LinkReader {
        /**
         * @param link the link
         * @return its target
         * @throws IOException when it cannot be read
         */
        Path read(Path link) throws IOException;
    }

    /**
     * Whether {@code fdLink} (a {@code /proc/self/fd/N} link) points to a terminal device; {@code fallback} decides
     * when there is no such link (no {@code /proc}).
     */
    static boolean isTerminal(Path fdLink, LinkReader links, BooleanSupplier fallback) {
        Path target;
        try {
            target = links.read(fdLink);
        } catch (NoSuchFileException e) {
            // A closed descriptor is no terminal; without /proc, the fallback decides.
            Path directory = fdLink.getParent();
            return (directory == null || !Files.isDirectory(directory)) && fallback.getAsBoolean();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return fallback.getAsBoolean();
        }
        String t = target.toString();
        return t.startsWith("/dev/pts/") || t.startsWith("/dev/tty");
    }

    /**
     * Whether a console exists. {@link System#console()} is null when standard input or output is redirected; from
     * JDK 22 it is not, and {@code Console.isTerminal()} tells.
     */
    @SuppressWarnings("SystemConsoleNull") // handled: from JDK 22 Console.isTerminal() is asked
    private static boolean hasConsole() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true;   // JDK 17 to 21: a console exists only for a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
