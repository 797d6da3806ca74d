package io.pgdock.benchmarks;

import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Change-to-visible latency across processes: this JVM writes a key {@code warm-up + changes} times through
 * {@link ConfigStore#put}, one change every {@code pace} milliseconds, each value being the wall-clock time (in
 * microseconds) just before its write; a second JVM, started here on the same class path, watches the key
 * ({@link ConfigStore#watch}) and records, for each change after the warm-up, its receive time minus that value. Both
 * JVMs run on one machine and so read one clock. The watcher prints p50, p99 and the maximum.
 *
 * <pre>{@code
 * ./mvnw -q -pl benchmarks -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.pgdock.benchmarks.ChangeLatency \
 *     [changes] [warm-up] [pace ms]
 * }</pre>
 *
 * <p>The server is {@code PGDOCK_TEST_URL}'s, else an embedded PostgreSQL (see {@link BenchDatabase}). Defaults: 1000
 * changes, 200 warm-up changes, 5 ms apart.
 */
public final class ChangeLatency {
    private static final String KEY = "latency.probe";
    private static final String PASSWORD_VARIABLE = "PGDOCK_LATENCY_PASSWORD";

    private ChangeLatency() {
    }

    /**
     * Runs the writer (no arguments or numbers) or, with {@code watch} first, the watcher.
     *
     * @param args {@code [changes] [warm-up] [pace ms]}, or the watcher's arguments
     * @throws Exception if anything fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("watch")) {
            watch(args);
            return;
        }
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        long paceMillis = args.length > 2 ? Long.parseLong(args[2]) : 5;
        try (BenchDatabase database = new BenchDatabase(); Storage storage = database.openStorage(2)) {
            ConfigStore configs = ConfigStore.postgres(storage);
            ConnectionSpec spec = database.spec();
            ProcessBuilder pb = new ProcessBuilder(Path.java(), "-cp", System.getProperty("java.class.path"),
                    ChangeLatency.class.getName(), "watch", spec.host(), Integer.toString(spec.port()), spec.database(),
                    spec.user(), spec.schema().orElseThrow(), Integer.toString(changes), Integer.toString(warmUp));
            spec.password().ifPresent(p -> pb.environment().put(PASSWORD_VARIABLE, p));
            pb.redirectErrorStream(true);
            Process watcher = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(watcher.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                System.out.println("watcher: " + line);
            }
            if (line == null) {
                throw new IllegalStateException("the watcher JVM ended before it was ready");
            }
            for (int i = 0; i < warmUp + changes; i++) {
                configs.put(KEY, micros());
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(paceMillis));   // pacing, not synchronisation
            }
            while ((line = out.readLine()) != null) {
                System.out.println(line);
            }
            if (!watcher.waitFor(1, TimeUnit.MINUTES)) {
                watcher.destroy();
                throw new IllegalStateException("the watcher JVM did not end");
            }
        }
    }

    private static long micros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    private static void watch(String[] args) throws InterruptedException {
        ConnectionSpec.Builder spec = ConnectionSpec.builder().host(args[1]).port(Integer.parseInt(args[2]))
                .database(args[3]).user(args[4]).schema(args[5]).applicationName("pgdock-latency-watcher");
        String password = System.getenv(PASSWORD_VARIABLE);
        if (password != null) {
            spec.password(password);
        }
        int changes = Integer.parseInt(args[6]);
        int warmUp = Integer.parseInt(args[7]);
        long[] latencies = new long[changes];
        int[] seen = {0};
        CountDownLatch done = new CountDownLatch(1);
        try (Storage storage = Storage.open(spec.build(), StorageOptions.builder().discoverMigrations(false)
                .maximumPoolSize(2).minimumIdle(1).build())) {
            ConfigStore configs = ConfigStore.postgres(storage);
            try (ConfigSubscription sub = configs.watch(KEY, event -> {
                long now = micros();
                int n = seen[0]++;
                if (n >= warmUp && n < warmUp + changes) {
                    latencies[n - warmUp] = now - event.value().orElseThrow().asLong();
                }
                if (n + 1 == warmUp + changes) {
                    done.countDown();
                }
            })) {
                System.out.println("READY");
                System.out.flush();
                if (!done.await(10, TimeUnit.MINUTES)) {
                    System.out.println("timed out after " + seen[0] + " changes; " + sub);
                    return;
                }
            }
        }
        Arrays.sort(latencies);
        List<String> report = new ArrayList<>();
        report.add("change-to-visible latency over " + changes + " changes (after " + warmUp + " warm-up), in ms:");
        report.add(String.format("p50 %.3f  p90 %.3f  p99 %.3f  max %.3f", latencies[changes / 2] / 1000.0,
                latencies[(int) (changes * 0.90)] / 1000.0, latencies[(int) Math.min(changes - 1, changes * 0.99)]
                        / 1000.0, latencies[changes - 1] / 1000.0));
        report.forEach(System.out::println);
    }

    /** The java launcher of this JVM. */
    private static final class Path {
        static String java() {
            return java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        }
    }
}
