package io.pgdock.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Two builds of the configuration store compared in one JVM, paired as {@code ../shared/PERF-NOTES.md} describes: an
 * older build ({@code old}) and the current one ({@code new}), each loaded with its full class path (pgdock, Jackson,
 * Jdbi, HikariCP, pgjdbc) in its own {@link URLClassLoader} whose parent is the platform class loader, so neither sees
 * the other's classes. Each opens a storage with one pooled connection on its own schema and three stores over it, and
 * both run the same operations through reflection on the public API:
 * <ul>
 *   <li>{@code get}: {@code ConfigStore.postgres(storage).get(key, Integer.class)} (no cache);</li>
 *   <li>{@code cachedGet}: the same read on a store with {@code ConfigOptions.builder().cache(1000)}, a hit
 *       ({@code 10 * ops} calls per block);</li>
 *   <li>{@code put}: a small number ({@code ops / 2} calls);</li>
 *   <li>{@code putSecret}: a two-member object as a secret, on a store with a key provider ({@code ops / 5});</li>
 *   <li>{@code patch}: a merge patch (a {@code Map}) of a three-member object: {@code store.patch(key, map)} where the
 *       store has it, else {@code store.parts().patch(key, map)} ({@code ops / 20}).</li>
 * </ul>
 * Each round runs, for each operation in turn, a block of calls on one build and then on the other, the order of the
 * builds and of the operations rotated every round, after two warm-up rounds. Reported per operation: the median and
 * interquartile range of the per-round ratio new / old and each build's median µs per call, both for the elapsed time
 * and for this thread's CPU time (user and system, from the JDK's {@code ThreadMXBean}), and each build's median bytes
 * allocated by this thread per call. Both builds run the same SQL, so for a change of client code the CPU figure is the
 * one a busy machine disturbs least: it leaves out the server's time, any wait for a CPU and the cache's listening
 * thread.
 *
 * <pre>{@code
 * java [-Dpgdock.bench.pin=0] -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
 *     io.pgdock.benchmarks.ConfigRestructurePaired OLD_CLASSPATH_FILE NEW_CLASSPATH_FILE \
 *     [rounds] [ops] [default|on|off]
 * }</pre>
 *
 * <p>Each class path file holds one class path ({@code :}-separated, as {@code dependency:build-classpath} writes it).
 * Defaults: 30 rounds, {@code ops} 2,000. The last argument is the sessions' {@code synchronous_commit}:
 * {@code default} (the server's, the default) leaves it; {@code on} or {@code off} sets it on each build's one pooled
 * connection. The server is {@code PGDOCK_TEST_URL} (a {@code jdbc:postgresql:} URL with its query part), else
 * {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}; the schemas {@code bench_paired_old} and
 * {@code bench_paired_new} are dropped and created again, and dropped at the end. With {@code pgdock.bench.pin} set,
 * this thread and the two builds' backends (found by their application name, so no other session of the database is
 * touched) are pinned to that CPU before every round. {@code -Dpgdock.bench.only=putSecret,put} runs only the
 * operations named (for a profile of one of them).
 */
public final class ConfigRestructurePaired {
    private static final String APPLICATION = "pgdock-bench-paired-";
    private static final String[] OPS = {"get", "cachedGet", "put", "putSecret", "patch"};
    /**
     * Calls per block of each operation, as a multiple ({@code > 0}) or a divisor ({@code < 0}) of {@code ops}: the
     * writes are 2 to 100 times dearer than a read, and a round should stay short enough that many fit in a run.
     */
    private static final int[] SCALE = {1, 10, -2, -5, -20};
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final String KEY_INT = "bench.int";
    private static final String KEY_COUNTER = "bench.counter";
    private static final String KEY_SECRET = "bench.secret";
    private static final String KEY_DOC = "bench.doc";

    private ConfigRestructurePaired() {
    }

    /**
     * Sets both builds up, runs the rounds and prints the figures.
     *
     * @param args {@code oldClasspathFile newClasspathFile [rounds] [ops] [default|on|off]}
     * @throws Exception if a build cannot be loaded or an operation fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: OLD_CLASSPATH_FILE NEW_CLASSPATH_FILE [rounds] [ops] "
                    + "[default|on|off]");
        }
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int ops = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
        String synchronousCommit = args.length > 4 ? args[4] : "default";
        if (!List.of("default", "on", "off").contains(synchronousCommit)) {
            throw new IllegalArgumentException("synchronous_commit must be default, on or off, was "
                    + synchronousCommit);
        }
        String url = Optional.ofNullable(System.getenv("PGDOCK_TEST_URL"))
                .orElse("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
        if (!url.startsWith("jdbc:postgresql:") || !url.contains("?")) {
            throw new IllegalArgumentException("PGDOCK_TEST_URL must be a jdbc:postgresql: URL with a query part, was "
                    + url);
        }
        try (Connection admin = DriverManager.getConnection(url);
                Side old = new Side("old", classpath(args[0]), url, admin, synchronousCommit);
                Side current = new Side("new", classpath(args[1]), url, admin, synchronousCommit)) {
            if (old.facets || !current.facets) {
                throw new IllegalStateException("expected the old build without ConfigStore.parts() and the new one "
                        + "with it; got old " + old.facets + ", new " + current.facets);
            }
            Side[] sides = {old, current};
            for (Side s : sides) {
                s.check(admin);
            }
            String pinned = System.getProperty("pgdock.bench.pin");
            boolean[] selected = selected(System.getProperty("pgdock.bench.only", ""));
            double[][][] micros = new double[2][OPS.length][rounds];
            double[][][] cpu = new double[2][OPS.length][rounds];
            double[][][] bytes = new double[2][OPS.length][rounds];
            for (int round = -2; round < rounds; round++) {   // rounds -2 and -1 warm up and are not kept
                if (pinned != null && !pinned.isBlank()) {
                    CpuPinning.pinIfAsked(() -> backends(admin));
                }
                for (int k = 0; k < OPS.length; k++) {
                    int op = Math.floorMod(k + round, OPS.length);
                    if (!selected[op]) {
                        continue;
                    }
                    int calls = calls(op, ops);
                    for (int j = 0; j < 2; j++) {
                        int side = Math.floorMod(j + round, 2);
                        double[] us = sides[side].run(op, calls);
                        if (round >= 0) {
                            micros[side][op][round] = us[0];
                            cpu[side][op][round] = us[1];
                            bytes[side][op][round] = us[2];
                        }
                    }
                }
                if (round >= 0) {
                    StringBuilder line = new StringBuilder("round " + round + ":");
                    for (int op = 0; op < OPS.length; op++) {
                        if (!selected[op]) {
                            continue;
                        }
                        line.append(String.format(Locale.ROOT, " %s %.1f/%.1f (cpu %.1f/%.1f)", OPS[op],
                                micros[0][op][round], micros[1][op][round], cpu[0][op][round], cpu[1][op][round]));
                    }
                    System.out.println(line);
                }
            }
            for (Side s : sides) {
                s.checkAfter();
            }
            System.out.printf(Locale.ROOT, "%d rounds, synchronous_commit %s, %s%n", rounds, old.synchronousCommit,
                    pinned == null || pinned.isBlank() ? "not pinned" : "pinned to CPU " + pinned);
            System.out.printf(Locale.ROOT, "%-10s %6s | %10s %10s %7s %13s | %9s %9s %7s %13s | %8s %8s%n", "op",
                    "calls", "old us/op", "new us/op", "new/old", "IQR", "old cpu", "new cpu", "new/old", "IQR",
                    "old B/op", "new B/op");
            for (int op = 0; op < OPS.length; op++) {
                if (!selected[op]) {
                    continue;
                }
                double[] q = ratios(micros[1][op], micros[0][op]);
                double[] c = ratios(cpu[1][op], cpu[0][op]);
                System.out.printf(Locale.ROOT,
                        "%-10s %6d | %10.2f %10.2f %7.3f %13s | %9.2f %9.2f %7.3f %13s | %8.0f %8.0f%n",
                        OPS[op], calls(op, ops), quartiles(micros[0][op])[1], quartiles(micros[1][op])[1], q[1],
                        String.format(Locale.ROOT, "%.3f-%.3f", q[0], q[2]), quartiles(cpu[0][op])[1],
                        quartiles(cpu[1][op])[1], c[1], String.format(Locale.ROOT, "%.3f-%.3f", c[0], c[2]),
                        quartiles(bytes[0][op])[1], quartiles(bytes[1][op])[1]);
            }
        }
    }

    /** Which operations {@code only} (a comma-separated list of their names; empty: all) selects. */
    private static boolean[] selected(String only) {
        boolean[] selected = new boolean[OPS.length];
        List<String> names = Arrays.stream(only.split(",")).map(String::strip).filter(n -> !n.isEmpty()).toList();
        for (String n : names) {
            int i = List.of(OPS).indexOf(n);
            if (i < 0) {
                throw new IllegalArgumentException("pgdock.bench.only: no operation " + n + "; there are "
                        + List.of(OPS));
            }
            selected[i] = true;
        }
        if (names.isEmpty()) {
            Arrays.fill(selected, true);
        }
        return selected;
    }

    /** The quartiles of the per-round ratios {@code a[i] / base[i]}. */
    private static double[] ratios(double[] a, double[] base) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] / base[i];
        }
        return quartiles(r);
    }

    private static int calls(int op, int ops) {
        return SCALE[op] > 0 ? ops * SCALE[op] : Math.max(1, ops / -SCALE[op]);
    }

    /** The pids of the two builds' server sessions. */
    private static List<String> backends(Connection admin) {
        List<String> pids = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement(
                "select pid::text from pg_stat_activity where application_name like ? || '%'")) {
            ps.setString(1, APPLICATION);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pids.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not list the benchmark's backends", e);
        }
        return pids;
    }

    private static URL[] classpath(String file) throws IOException {
        String text = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        List<URL> urls = new ArrayList<>();
        for (String entry : text.split(java.io.File.pathSeparator, -1)) {
            if (entry.isBlank()) {
                continue;
            }
            Path p = Path.of(entry);
            if (!Files.exists(p)) {
                throw new IllegalArgumentException(file + ": class path entry " + entry + " does not exist");
            }
            try {
                urls.add(p.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException(file + ": " + entry, e);
            }
        }
        return urls.toArray(URL[]::new);
    }

    /** The first quartile, median and third quartile (nearest rank). */
    private static double[] quartiles(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return new double[] {sorted[n / 4], sorted[n / 2], sorted[Math.min(n - 1, (3 * n) / 4)]};
    }

    /** One build: its class loader, storage and stores, and the reflected methods of its public API. */
    private static final class Side implements AutoCloseable {
        private final String name;
        private final String schema;
        private final URLClassLoader loader;
        private final Object storage;
        private final Method closeStorage;
        private final DataSource pool;
        private final Object plain;
        private final Object cached;
        private final Object secrets;
        private final Method get;
        private final Method put;
        private final Method putSecret;
        private final Method patch;
        private final @Nullable Method parts;
        private final boolean facets;
        private final String synchronousCommit;
        private long counter;

        Side(String name, URL[] classpath, String url, Connection admin, String synchronousCommit) throws Exception {
            this.name = name;
            this.schema = "bench_paired_" + name;
            try (Statement st = admin.createStatement()) {
                st.execute("drop schema if exists " + schema + " cascade");
            }
            this.loader = new URLClassLoader("pgdock-" + name, classpath, ClassLoader.getPlatformClassLoader());
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                Class.forName("org.postgresql.Driver", true, loader);   // registers this loader's driver
                Class<?> specType = loader.loadClass("io.pgdock.core.ConnectionSpec");
                Class<?> optionsType = loader.loadClass("io.pgdock.core.StorageOptions");
                Class<?> storageType = loader.loadClass("io.pgdock.core.Storage");
                Class<?> storeType = loader.loadClass("io.pgdock.config.ConfigStore");
                Class<?> configOptionsType = loader.loadClass("io.pgdock.config.ConfigOptions");
                Class<?> keysType = loader.loadClass("io.pgdock.config.KeyProvider");
                Object spec = specType.getMethod("parse", String.class).invoke(null,
                        url + "&currentSchema=" + schema + "&ApplicationName=" + APPLICATION + name);
                Object b = optionsType.getMethod("builder").invoke(null);
                b = call(b, "createSchema", new Class<?>[] {boolean.class}, true);
                b = call(b, "discoverMigrations", new Class<?>[] {boolean.class}, false);
                b = call(b, "maximumPoolSize", new Class<?>[] {int.class}, 1);
                b = call(b, "minimumIdle", new Class<?>[] {int.class}, 1);
                Object options = call(b, "build", new Class<?>[0]);
                this.closeStorage = storageType.getMethod("close");
                this.storage = storageType.getMethod("open", specType, optionsType)
                        .invoke(null, spec, options);
                this.pool = (DataSource) storageType.getMethod("dataSource").invoke(storage);
                if (!"default".equals(synchronousCommit)) {
                    // The pool's one connection keeps the session setting for the run; checkAfter() proves it did.
                    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
                        st.execute("set synchronous_commit = " + synchronousCommit);
                    }
                }
                this.synchronousCommit = show(pool);
                Method postgres = storeType.getMethod("postgres", storageType, configOptionsType);
                this.plain = storeType.getMethod("postgres", storageType).invoke(null, storage);
                Object cacheOptions = call(call(configOptionsType.getMethod("builder").invoke(null), "cache",
                        new Class<?>[] {int.class}, 1000), "build", new Class<?>[0]);
                this.cached = postgres.invoke(null, storage, cacheOptions);
                byte[] key = new byte[32];
                Arrays.fill(key, (byte) 7);
                Object keys = keysType.getMethod("of", String.class, Map.class)
                        .invoke(null, "k1", Map.of("k1", new SecretKeySpec(key, "AES")));
                Object keyOptions = call(call(configOptionsType.getMethod("builder").invoke(null), "keys",
                        new Class<?>[] {keysType}, keys), "build", new Class<?>[0]);
                this.secrets = postgres.invoke(null, storage, keyOptions);
                this.get = storeType.getMethod("get", String.class, Class.class);
                this.put = storeType.getMethod("put", String.class, Object.class);
                this.putSecret = storeType.getMethod("putSecret", String.class, Object.class);
                Method direct = find(storeType, "patch", String.class, Object.class);
                if (direct != null) {
                    this.facets = false;
                    this.parts = null;
                    this.patch = direct;
                } else {
                    this.facets = true;
                    this.parts = storeType.getMethod("parts");
                    this.patch = loader.loadClass("io.pgdock.config.ConfigParts")
                            .getMethod("patch", String.class, Object.class);
                }
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("pool", Map.of("max", 1, "min", 1));
                doc.put("name", "paired");
                invoke(put, plain, KEY_INT, 5000);
                invoke(put, plain, KEY_DOC, doc);
                invoke(put, plain, KEY_COUNTER, 0L);
                invoke(putSecret, secrets, KEY_SECRET, secret(0));
            } finally {
                thread.setContextClassLoader(previous);
            }
        }

        /** Checks that each operation does what it should on this build, before anything is timed. */
        void check(Connection admin) throws Exception {
            for (int op = 0; op < OPS.length; op++) {
                run(op, 1);
            }
            Object value = ((Optional<?>) invoke(get, plain, KEY_INT, Integer.class)).orElseThrow();
            Object cachedValue = ((Optional<?>) invoke(get, cached, KEY_INT, Integer.class)).orElseThrow();
            if (!Integer.valueOf(5000).equals(value) || !Integer.valueOf(5000).equals(cachedValue)) {
                throw new IllegalStateException(name + ": get gave " + value + ", cached get " + cachedValue);
            }
            try (PreparedStatement ps = admin.prepareStatement(
                    "select key, value::text from " + schema + ".config_entry where key in (?, ?) order by key")) {
                ps.setString(1, KEY_DOC);
                ps.setString(2, KEY_SECRET);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    String doc = rs.getString(2);
                    rs.next();
                    String secret = rs.getString(2);
                    if (!doc.contains("\"min\": 1") || !doc.contains("\"name\": \"paired\"")
                            || !secret.contains("$pgdock_secret") || secret.contains("pw-")) {
                        throw new IllegalStateException(name + ": patched value " + doc + ", stored secret " + secret);
                    }
                }
            }
        }

        /** Checks that the session setting held for the whole run. */
        void checkAfter() throws SQLException {
            String now = show(pool);
            if (!now.equals(synchronousCommit)) {
                throw new IllegalStateException(name + ": synchronous_commit was " + synchronousCommit
                        + " at the start and is " + now + " at the end");
            }
        }

        /**
         * Runs {@code calls} calls of operation {@code op}; returns, per call, the µs elapsed, this thread's CPU µs and
         * the bytes it allocated.
         */
        double[] run(int op, int calls) throws Exception {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                long bytesStart = THREADS.getCurrentThreadAllocatedBytes();
                long cpuStart = THREADS.getCurrentThreadCpuTime();
                long start = System.nanoTime();
                for (int n = 0; n < calls; n++) {
                    switch (op) {
                        case 0 -> invoke(get, plain, KEY_INT, Integer.class);
                        case 1 -> invoke(get, cached, KEY_INT, Integer.class);
                        case 2 -> invoke(put, plain, KEY_COUNTER, ++counter);
                        case 3 -> invoke(putSecret, secrets, KEY_SECRET, secret(++counter));
                        default -> invoke(patch, facets ? invoke(java.util.Objects.requireNonNull(parts), plain) : plain, KEY_DOC,
                                Map.of("pool", Map.of("max", ++counter)));
                    }
                }
                long elapsed = System.nanoTime() - start;
                long cpuTime = THREADS.getCurrentThreadCpuTime() - cpuStart;
                long allocated = THREADS.getCurrentThreadAllocatedBytes() - bytesStart;
                return new double[] {elapsed / 1e3 / calls, cpuTime / 1e3 / calls, (double) allocated / calls};
            } finally {
                thread.setContextClassLoader(previous);
            }
        }

        @Override
        public void close() throws ReflectiveOperationException, SQLException, IOException {
            try {
                closeStorage.invoke(storage);
                try (Connection c = DriverManager.getConnection(
                        Optional.ofNullable(System.getenv("PGDOCK_TEST_URL"))
                                .orElse("jdbc:postgresql://127.0.0.1:5432/test?user=postgres"));
                        Statement st = c.createStatement()) {
                    st.execute("drop schema if exists " + schema + " cascade");
                }
            } finally {
                loader.close();
            }
        }

        private static Map<String, Object> secret(long n) {
            return Map.of("user", "etl", "password", "pw-" + n);
        }

        private static String show(DataSource pool) throws SQLException {
            try (Connection c = pool.getConnection(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("show synchronous_commit")) {
                rs.next();
                return rs.getString(1);
            }
        }

        private static @Nullable Method find(Class<?> type, String name, Class<?>... parameters) {
            try {
                return type.getMethod(name, parameters);
            } catch (NoSuchMethodException e) {
                return null;
            }
        }

        private static Object call(Object target, String method, Class<?>[] parameters, Object... args)
                throws Exception {
            return invoke(target.getClass().getMethod(method, parameters), target, args);
        }

        private static Object invoke(Method method, Object target, Object... args) throws Exception {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw e;
            }
        }
    }
}
