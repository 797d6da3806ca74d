package io.pgdock.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** What the fixtures that run server processes share: who we run as, their log files, their temporary files. */
final class LocalProcesses {

    /** How many lines of a process's log a failure message quotes. */
    static final int QUOTED_LOG_LINES = 30;

    private LocalProcesses() {
    }

    /** Whether the process's effective uid is 0; false where that cannot be told (not Linux). */
    static boolean runningAsRoot() {
        try {
            // /proc/self belongs to the effective uid of the process that looks at it.
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Whether a process has exited but not been reaped: state {@code Z} in {@code /proc/<pid>/stat}. Java counts such a
     * process as alive. False where {@code /proc} cannot tell (not Linux, or the process is gone).
     */
    static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            // "pid (command) state ...": the command may contain spaces and parentheses, so look after the last ')'.
            int end = stat.lastIndexOf(')');
            return end >= 0 && stat.length() > end + 2 && stat.charAt(end + 2) == 'Z';
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /** The last {@value #QUOTED_LOG_LINES} lines of a file, or an empty string if it cannot be read. */
    static String tail(Path file) {
        try {
            // Lenient about encoding: a log may hold bytes of any encoding, and a failure message must not fail.
            List<String> lines = List.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n", -1));
            int end = !lines.isEmpty() && lines.get(lines.size() - 1).isEmpty() ? lines.size() - 1 : lines.size();
            return String.join("\n", lines.subList(Math.max(0, end - QUOTED_LOG_LINES), end));
        } catch (IOException e) {
            return "";
        }
    }

    /** Deletes a directory and everything in it; nothing if it does not exist. */
    static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
