package io.pgdock.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@link HistoryChainBenchmark}'s four writes measured the second way {@code ../shared/PERF-NOTES.md} gives: interleaved
 * in rotating blocks in one JVM, so that a machine whose round-trip cost or disk drifts during the run moves every
 * variant alike. Each round runs {@code ops} writes of each variant, in an order rotated every round; the figure is
 * the median of the per-round ratios, with its interquartile range.
 *
 * <pre>{@code
 * ./mvnw -q -pl benchmarks -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
 * java -Dpgdock.bench.pin=0 -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
 *     io.pgdock.benchmarks.HistoryChainPaired [rounds] [ops] [number|object1k] [on|off]
 * }</pre>
 *
 * <p>Defaults: 30 rounds of 2,000 writes per variant, after one warm-up round; value {@code number}; synchronous commit
 * {@code off}. The server is {@code PGDOCK_TEST_URL}'s, else an embedded PostgreSQL.
 */
public final class HistoryChainPaired {
    private static final String[] NAMES = {"rawJdbcUpsert", "putUnchained", "putChained", "putChainedV6"};

    private HistoryChainPaired() {
    }

    /**
     * Runs the rounds and prints the per-variant median time and the ratios.
     *
     * @param args {@code [rounds] [ops] [value] [synchronousCommit]}
     * @throws Exception if a write fails
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int ops = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        HistoryChainBenchmark b = new HistoryChainBenchmark();
        b.value = args.length > 2 ? args[2] : "number";
        b.synchronousCommit = args.length > 3 ? args[3] : "off";
        b.setUp();
        try {
            b.pin();
            double[][] micros = new double[NAMES.length][rounds];
            for (int round = -1; round < rounds; round++) {   // round -1 warms up and is not kept
                for (int i = 0; i < NAMES.length; i++) {
                    int variant = Math.floorMod(i + round, NAMES.length);
                    long start = System.nanoTime();
                    for (int n = 0; n < ops; n++) {
                        write(b, variant);
                    }
                    if (round >= 0) {
                        micros[variant][round] = (System.nanoTime() - start) / 1e3 / ops;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "value=%s synchronous_commit=%s, %d rounds x %d writes per variant%n",
                    b.value, b.synchronousCommit, rounds, ops);
            for (int v = 0; v < NAMES.length; v++) {
                System.out.printf(Locale.ROOT, "%-14s median %8.1f us/op  %s%n", NAMES[v], quartiles(micros[v])[1],
                        iqr(micros[v]));
            }
            ratio("putChained / putUnchained (what the chain costs)", micros[2], micros[1]);
            ratio("putChainedV6 / putUnchained (the chain before V7)", micros[3], micros[1]);
            ratio("putChained / rawJdbcUpsert", micros[2], micros[0]);
            ratio("putUnchained / rawJdbcUpsert", micros[1], micros[0]);
            diff("putChained - putUnchained (us)", micros[2], micros[1]);
            diff("putChainedV6 - putUnchained (us)", micros[3], micros[1]);
        } finally {
            b.tearDown();
        }
    }

    private static Object write(HistoryChainBenchmark b, int variant) throws java.sql.SQLException {
        return switch (variant) {
            case 0 -> b.rawJdbcUpsert();
            case 1 -> b.putUnchained();
            case 2 -> b.putChained();
            default -> b.putChainedV6();
        };
    }

    private static void ratio(String what, double[] a, double[] base) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] / base[i];
        }
        double[] q = quartiles(r);
        System.out.printf(Locale.ROOT, "%-52s median %.2f  (IQR %.2f-%.2f)%n", what, q[1], q[0], q[2]);
    }

    private static void diff(String what, double[] a, double[] base) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - base[i];
        }
        double[] q = quartiles(d);
        System.out.printf(Locale.ROOT, "%-52s median %.1f  (IQR %.1f-%.1f)%n", what, q[1], q[0], q[2]);
    }

    private static String iqr(double[] values) {
        double[] q = quartiles(values);
        return String.format(Locale.ROOT, "(IQR %.1f-%.1f)", q[0], q[2]);
    }

    /** The first quartile, median and third quartile (nearest rank). */
    private static double[] quartiles(double[] values) {
        List<Double> sorted = new ArrayList<>();
        Arrays.stream(values).forEach(sorted::add);
        sorted.sort(null);
        int n = sorted.size();
        return new double[] {sorted.get(n / 4), sorted.get(n / 2), sorted.get(Math.min(n - 1, (3 * n) / 4))};
    }
}
