package io.pgdock.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;

/**
 * Pins the calling thread and every server backend of the benchmark's database to one CPU, the first of the two ways
 * {@code ../shared/PERF-NOTES.md} gives to make round-trip costs comparable (client and backend on one vCPU).
 *
 * <p>Off unless the system property {@code pgdock.bench.pin} names a CPU ({@code -jvmArgs -Dpgdock.bench.pin=0}). Needs
 * Linux, {@code taskset} and a server on this machine; any failure is thrown, never ignored, so a run that asked for
 * pinning and did not get it does not report figures as if it had.
 */
final class CpuPinning {
    private static final String PROPERTY = "pgdock.bench.pin";

    private CpuPinning() {
    }

    /**
     * Pins this thread and the database's backends, if {@value #PROPERTY} is set.
     *
     * @param jdbi a handle source on the benchmark's database (its pools must already hold their connections)
     * @return how many processes and threads were pinned (0 when pinning is off)
     */
    static int pinIfAsked(Jdbi jdbi) {
        return pinIfAsked(() -> jdbi.withHandle(h -> h.createQuery(
                        "select pid::text from pg_stat_activity where datname = current_database()")
                .mapTo(String.class).list()));
    }

    /**
     * Pins this thread and the server backends {@code backends} lists, if {@value #PROPERTY} is set: for a benchmark
     * that shares its database with other sessions and must pin its own only.
     *
     * @param backends gives the pids of the backends to pin (called only when pinning is on)
     * @return how many processes and threads were pinned (0 when pinning is off)
     */
    static int pinIfAsked(Supplier<List<String>> backends) {
        String cpu = System.getProperty(PROPERTY);
        if (cpu == null || cpu.isBlank()) {
            return 0;
        }
        List<String> ids = new ArrayList<>();
        try {
            // /proc/thread-self links to "<pid>/task/<tid>".
            ids.add(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        } catch (IOException e) {
            throw new IllegalStateException(PROPERTY + "=" + cpu + ": cannot read /proc/thread-self", e);
        }
        ids.addAll(backends.get());
        for (String id : ids) {
            taskset(cpu, id);
        }
        return ids.size();
    }

    private static void taskset(String cpu, String id) {
        try {
            Process p = new ProcessBuilder("taskset", "-pc", cpu, id).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("taskset -pc " + cpu + " " + id + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException("taskset -pc " + cpu + " " + id + " could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while pinning " + id, e);
        }
    }
}
