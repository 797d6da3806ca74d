package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigConflictException;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.core.copy.TableName;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetStatus;
import io.pgdock.testing.Wait;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import javax.management.JMException;
import javax.management.ObjectName;
import javax.sql.DataSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A bounded mixed workload: 8 threads for {@code pgdock.soak.seconds} (60 in CI, 300 for a full run) over all three
 * resources on a server of the test's own: config put, patch, compare-and-set (own keys, and one key two threads fight
 * over), reads, history; storage inserts through Jdbi and COPY loads with unique ids; factory borrows across three
 * targets; and a watcher. At the end: no call failed except the expected compare-and-set conflicts; every acknowledged
 * write is there exactly once (config history, rows, ids); the watcher saw every change once; no connection is lent;
 * after closing, no session of the library is left on the server; live threads are back to the start (slack
 * {@value #THREAD_SLACK} for JDK threads and the storage's shared health-check thread, which ends after 60 s idle;
 * offenders listed on failure); and the heap after GC is within {@value #HEAP_SLACK_MIB} MiB of the start. Prints the
 * figures RELIABILITY.md quotes.
 */
// Uses servers of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class SoakTest {
    private static final int THREADS = 8;
    private static final int THREAD_SLACK = 4;
    private static final int HEAP_SLACK_MIB = 64;
    private static final int KEYS_PER_WRITER = 10;
    private static final int COPY_ROWS = 100;
    private static final int TARGETS = 3;
    private static final String SHARED_KEY = "soak/shared/counter";

    private final Map<String, AtomicLong> ops = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final Map<String, Set<Long>> ackedVersions = new ConcurrentHashMap<>();
    /** Acknowledged ids, as bits (ids come from one counter), so that millions of them take a few MiB. */
    private final AckedIds ackedRows = new AckedIds();
    private final AckedIds ackedBorrows = new AckedIds();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();

    @Test
    void aMixedWorkloadLosesNothingAndLeavesNothingBehind() throws Exception {
        int seconds = Integer.getInteger("pgdock.soak.seconds", 60);
        try (FaultServer pg = FaultServer.start(Map.of())) {
            pg.execute(FaultServer.TARGET_DATABASE, "create table borrows (id bigint primary key, target int not null)");
            Set<Thread> threadsAtStart = Thread.getAllStackTraces().keySet();
            long heapAtStart = heapAfterGc();
            Instant started = Instant.now();
            Map<String, Object> figures = new TreeMap<>();

            // In a method of its own, so that nothing it made is still referenced from this frame when the heap
            // is measured (an interpreted frame keeps dead locals reachable).
            runWorkload(pg, seconds, figures);

            Wait.until(Duration.ofSeconds(30), () -> pg.sessions("pgdock-rel-") == 0,
                    () -> "no library session left on the server:" + pg.describeSessions("pgdock-rel-"));
            List<String> offenders = new ArrayList<>();
            Wait.until(Duration.ofSeconds(30), () -> {
                offenders.clear();
                Thread.getAllStackTraces().keySet().stream().filter(t -> !threadsAtStart.contains(t))
                        .forEach(t -> offenders.add(t.getName()));
                return offenders.size() <= THREAD_SLACK;
            }, () -> "live threads back to " + threadsAtStart.size() + " + " + THREAD_SLACK + "; new: " + offenders);
            figures.put("acknowledged config versions",
                    ackedVersions.values().stream().mapToInt(Set::size).sum());
            figures.put("acknowledged storage rows", ackedRows.count());
            figures.put("acknowledged factory rows", ackedBorrows.count());
            // The records of acknowledged writes are the test's, not the library's: drop them before measuring.
            ackedVersions.clear();
            long heapAtEnd = heapAfterGc();

            figures.put("seconds", seconds);
            figures.put("wall seconds", Duration.between(started, Instant.now()).toSeconds());
            figures.put("ops", new TreeMap<>(ops));
            figures.put("ops total", ops.values().stream().mapToLong(AtomicLong::get).sum());
            figures.put("CAS conflicts (expected)", conflicts.get());
            figures.put("errors", errors.size());
            figures.put("heap MiB at start / end (after GC)", mib(heapAtStart) + " / " + mib(heapAtEnd));
            figures.put("threads at start / new at end", threadsAtStart.size() + " / " + offenders);
            figures.put("server", pg + " " + pg.queryLong("postgres", "select current_setting('server_version_num')"
                    + "::int"));
            System.out.println("SoakTest figures: " + figures);

            if (heapAtEnd > heapAtStart + HEAP_SLACK_MIB * 1024L * 1024L) {
                throw new AssertionError("heap after GC grew from " + mib(heapAtStart) + " MiB to " + mib(heapAtEnd)
                        + " MiB, more than " + HEAP_SLACK_MIB + " MiB; largest classes:\n" + histogram());
            }
            assertThat(ops.keySet()).as("every kind of call ran").contains("config.put", "config.patch",
                    "config.cas", "config.shared-cas", "config.get", "storage.insert", "storage.copy",
                    "factory.borrow", "factory.health");
        }
    }

    /** Opens the three resources, runs the workers, checks what they wrote, and closes everything. */
    private void runWorkload(FaultServer pg, int seconds, Map<String, Object> figures) throws Exception {
        try (Storage storage = Storage.open(pg.storageSpec(), StorageOptions.builder().createSchema(true)
                .maximumPoolSize(8).build());
                DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder().maximumPoolSize(2)
                        .maximumConnections(6).build())) {
            storage.jdbi().useHandle(h -> h.execute("create table events (id bigint primary key, kind text)"));
            ConfigStore configs = ConfigStore.postgres(storage);
            FaultWatcher watcher = new FaultWatcher();
            List<ConnectionSpec> specs = new ArrayList<>();
            List<DataSource> targets = new ArrayList<>();
            for (int t = 1; t <= TARGETS; t++) {
                specs.add(pg.targetSpec(t));
                targets.add(factory.get(pg.targetSpec(t)));
            }

            try (ConfigSubscription subscription = configs.watch("soak/", watcher)) {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                List<Thread> workers = new ArrayList<>();
                for (int i = 0; i < THREADS; i++) {
                    int worker = i;
                    Thread t = new Thread(() -> work(worker, end, storage, configs, factory, specs, targets),
                            "soak-" + i);
                    workers.add(t);
                    t.start();
                }
                for (Thread t : workers) {
                    t.join(TimeUnit.SECONDS.toMillis(seconds + 120L));
                    assertThat(t.isAlive()).as("%s still running 120 s after the end: a call hangs", t.getName())
                            .isFalse();
                }

                // The watcher catches up with the last version of every key.
                Map<String, Long> latest = new TreeMap<>();
                ackedVersions.forEach((key, versions) -> latest.put(key, versions.stream().max(Long::compare)
                        .orElseThrow()));
                Wait.until(Duration.ofSeconds(60),
                        () -> latest.entrySet().stream().allMatch(e -> watcher.saw(e.getKey(), e.getValue())),
                        "the watcher sees the last version of every key");
                assertThat(subscription.isOpen()).isTrue();

                List<ConfigChange> history = new ArrayList<>();
                for (String key : ackedVersions.keySet()) {
                    List<ConfigChange> changes = configs.history(key);
                    Set<Long> recorded = changes.stream().map(ConfigChange::version).collect(Collectors.toSet());
                    assertThat(changes).as("history of %s has no duplicate version", key).hasSize(recorded.size());
                    assertThat(recorded).as("versions of %s: every acknowledged write exactly once", key)
                            .isEqualTo(ackedVersions.get(key));
                    history.addAll(changes);
                }
                assertThat(watcher.missing(history)).as("changes the watcher missed").isEmpty();
                assertThat(watcher.repeated()).as("changes the watcher got twice").isEmpty();
                figures.put("watcher deliveries", watcher.delivered());
                figures.put("watcher gaps", watcher.gaps());
            }

            assertThat(errors).as("failed calls (CAS conflicts excluded)").isEmpty();
            try (Connection c = storage.dataSource().getConnection()) {
                assertSameIds(c, "events", ackedRows, "storage rows");
            }
            try (Connection c = pg.admin(FaultServer.TARGET_DATABASE)) {
                assertSameIds(c, "borrows", ackedBorrows, "factory rows");
            }
            assertThat(storage.health().pool().active()).as("storage connections still lent").isZero();
            assertThat(factory.targets()).extracting(TargetStatus::pool)
                    .allSatisfy(p -> assertThat(p.active()).as("factory connections still lent").isZero());
            figures.put("sessions at the end, before closing", pg.sessions("pgdock-rel-"));
        }
    }

    private void work(int worker, long end, Storage storage, ConfigStore configs, DataSourceFactory factory,
            List<ConnectionSpec> specs, List<DataSource> targets) {
        Map<String, Long> own = new TreeMap<>();
        for (long n = 0; System.nanoTime() - end < 0; n++) {
            String kind = "?";
            try {
                switch (worker) {
                    case 0, 1 -> kind = configWrite(configs, "soak/t" + worker + "/k" + (n % KEYS_PER_WRITER), n, own);
                    case 2, 7 -> kind = n % 2 == 0 ? sharedCas(configs) : read(configs, storage);
                    case 3 -> kind = insert(storage);
                    case 4 -> kind = copy(storage);
                    default -> kind = borrow(factory, specs, targets, (int) (n % TARGETS));
                }
                count(kind);
            } catch (ConfigConflictException e) {
                conflicts.incrementAndGet();
            } catch (Exception | AssertionError e) {
                errors.add(Thread.currentThread().getName() + " " + kind + ": " + e);
            }
        }
    }

    private String configWrite(ConfigStore configs, String key, long n, Map<String, Long> own) {
        Long known = own.get(key);
        String kind;
        ConfigEntry e;
        switch ((int) (n / KEYS_PER_WRITER % 3)) {
            case 0 -> {
                kind = "config.put";
                e = configs.put(key, Map.of("n", n, "pad", "x".repeat((int) (n % 200))));
            }
            case 1 -> {
                kind = "config.patch";
                e = configs.parts().patch(key, Map.of("patched", n));
            }
            default -> {
                kind = "config.cas";
                e = configs.put(key, Map.of("cas", n), known == null ? 0 : known);
            }
        }
        own.put(key, e.version());
        ack(key, e.version());
        return kind;
    }

    private String sharedCas(ConfigStore configs) {
        long current = configs.entry(SHARED_KEY).map(ConfigEntry::version).orElse(0L);
        ConfigEntry e = configs.put(SHARED_KEY, current + 1, current);
        ack(SHARED_KEY, e.version());
        return "config.shared-cas";
    }

    private String read(ConfigStore configs, Storage storage) {
        int pick = ThreadLocalRandom.current().nextInt(4);
        switch (pick) {
            case 0 -> configs.get("soak/t0/k" + ThreadLocalRandom.current().nextInt(KEYS_PER_WRITER));
            case 1 -> configs.list("soak/t1/");
            case 2 -> configs.history("soak/t0/k1");
            default -> storage.jdbi().withHandle(h -> h.createQuery("select count(*) from events")
                    .mapTo(Long.class).one());
        }
        return pick == 3 ? "storage.read" : "config.get";
    }

    private String insert(Storage storage) {
        long id = ids.incrementAndGet();
        storage.jdbi().useHandle(h -> h.execute("insert into events values (?, 'insert')", id));
        ackedRows.add(id);
        return "storage.insert";
    }

    private String copy(Storage storage) {
        long first = ids.getAndAdd(COPY_ROWS) + 1;
        List<List<?>> rows = LongStream.range(first, first + COPY_ROWS).<List<?>>mapToObj(id -> List.of(id, "copy"))
                .toList();
        storage.bulk().copyIn(TableName.of(FaultServer.SCHEMA, "events"), List.of("id", "kind"), rows);
        ackedRows.addRange(first, first + COPY_ROWS);
        return "storage.copy";
    }

    private String borrow(DataSourceFactory factory, List<ConnectionSpec> specs, List<DataSource> targets,
            int target) throws SQLException {
        if (ThreadLocalRandom.current().nextInt(50) == 0) {
            Health health = factory.health(specs.get(target));
            assertThat(health.status()).as("health of target %d: %s", target, health).isEqualTo(Health.Status.UP);
            return "factory.health";
        }
        long id = ids.incrementAndGet();
        try (Connection c = targets.get(target).getConnection();
                PreparedStatement s = c.prepareStatement("insert into borrows values (?, ?)")) {
            s.setLong(1, id);
            s.setInt(2, target);
            s.executeUpdate();
        }
        ackedBorrows.add(id);
        return "factory.borrow";
    }

    private void ack(String key, long version) {
        ackedVersions.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(version);
    }

    private void count(String kind) {
        ops.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    /**
     * The ids in {@code table} are exactly the acknowledged ones: as many rows as acknowledged ids (the primary key
     * rules out duplicates), and each row's id acknowledged. Streams the ids with a cursor.
     */
    private static void assertSameIds(Connection c, String table, AckedIds acked, String what) throws SQLException {
        long rows = 0;
        long unacknowledged = 0;
        c.setAutoCommit(false); // pgjdbc uses a cursor, and so bounded memory, only inside a transaction
        try (PreparedStatement s = c.prepareStatement("select id from " + table)) {
            s.setFetchSize(10_000);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows++;
                    if (!acked.contains(rs.getLong(1))) {
                        unacknowledged++;
                    }
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
        assertThat(acked.count()).as("%s acknowledged", what).isPositive();
        assertThat(unacknowledged).as("%s whose id was never acknowledged", what).isZero();
        assertThat(rows).as("%s: rows, against acknowledged ids", what).isEqualTo(acked.count());
    }

    /** A set of non-negative ids as a bit set; thread-safe. */
    private static final class AckedIds {
        private final BitSet bits = new BitSet();

        synchronized void add(long id) {
            bits.set(Math.toIntExact(id));
        }

        synchronized void addRange(long from, long to) {
            bits.set(Math.toIntExact(from), Math.toIntExact(to));
        }

        synchronized boolean contains(long id) {
            return id >= 0 && id <= Integer.MAX_VALUE && bits.get((int) id);
        }

        synchronized long count() {
            return bits.cardinality();
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100); // lets finalization and reference processing run between collections; not a wait for a result
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The top of the heap's class histogram ({@code jcmd GC.class_histogram}), to say what grew. */
    private static String histogram() {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {null}, new String[] {String[].class.getName()});
            return String.valueOf(out).lines().limit(25).collect(Collectors.joining("\n"));
        } catch (JMException e) {
            return "(no class histogram: " + e + ")";
        }
    }

    private static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
