package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.Wait;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MigratorTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final MigrationSet DEMO = demoSet(false);

    private String schema;

    @BeforeEach
    void freshSchema() {
        schema = "m_" + Long.toUnsignedString(System.nanoTime(), 36);
        PG.jdbi().useHandle(h -> h.execute("create schema " + schema));
    }

    /**
     * Two migrations; the first waits on advisory lock {@code GATE} (shared), which a test may hold to keep the first
     * migrator inside the migration while the others pile up behind the schema lock.
     */
    static MigrationSet demoSet(boolean gated) {
        String gate = gated ? "select pg_advisory_xact_lock_shared(" + MigrationWorker.GATE + ");\n" : "";
        return new MigrationSet("demo", List.of(
                new Migration(1, "create effects", gate + "create table effects (n int);\n"
                        + "insert into effects values (1);"),
                new Migration(2, "add label", "alter table effects add column label text default 'x';\n"
                        + "insert into effects (n) values (2);")));
    }

    private Migrator migrator() {
        return Migrator.of(PG.dataSource(), schema);
    }

    private int count(String sql) {
        return PG.jdbi().withHandle(h -> h.createQuery(sql).mapTo(Integer.class).one());
    }

    @Test
    void appliesInOrderOnceAndRecordsHistory() {
        Map<String, List<Migration>> applied = migrator().apply(List.of(DEMO));
        assertThat(applied.get("demo")).extracting(Migration::version).containsExactly(1, 2);
        assertThat(migrator().apply(List.of(DEMO))).isEmpty();
        assertThat(count("select count(*) from " + schema + ".effects")).isEqualTo(2);
        List<Map<String, Object>> history = PG.jdbi().withHandle(h -> h.createQuery(
                "select module, version, description, checksum from " + schema + ".pgdock_schema_history order by version")
                .mapToMap().list());
        assertThat(history).extracting(r -> r.get("version")).containsExactly(1, 2);
        assertThat(history.get(0)).containsEntry("module", "demo").containsEntry("description", "create effects")
                .containsEntry("checksum", DEMO.migrations().get(0).checksum());
    }

    @Test
    void aFailingMigrationLeavesNothingBehind() {
        MigrationSet broken = new MigrationSet("demo", List.of(
                DEMO.migrations().get(0),
                new Migration(2, "broken", "alter table no_such_table add column x int")));
        assertThatThrownBy(() -> migrator().apply(List.of(broken)))
                .isInstanceOf(MigrationException.class)
                .hasMessageContaining("migration demo V2 broken failed")
                .hasMessageContaining("42P01")
                .hasMessageContaining("nothing was applied");
        assertThat(count("select count(*) from pg_tables where schemaname = '" + schema + "'")).isZero();
    }

    @Test
    void refusesADatabaseMigratedByANewerLibrary() {
        migrator().apply(List.of(DEMO));
        PG.jdbi().useHandle(h -> h.execute("insert into " + schema + ".pgdock_schema_history "
                + "(module, version, description, checksum) values ('demo', 7, 'from the future', 'x')"));
        assertThatThrownBy(() -> migrator().apply(List.of(DEMO)))
                .isInstanceOf(MigrationException.class)
                .hasMessageContaining("has module demo at version 7, but this pgdock knows versions up to 2 only");
        StorageOptions options = StorageOptions.builder().discoverMigrations(false).addMigrations(DEMO).build();
        assertThatThrownBy(() -> Storage.open(PG.spec().toBuilder().schema(schema).build(), options))
                .isInstanceOf(MigrationException.class)
                .hasMessageContaining("upgrade pgdock");
    }

    @Test
    void refusesAnEditedMigration() {
        migrator().apply(List.of(DEMO));
        MigrationSet edited = new MigrationSet("demo", List.of(
                new Migration(1, "create effects", "create table effects (n bigint)"), DEMO.migrations().get(1)));
        assertThatThrownBy(() -> migrator().apply(List.of(edited)))
                .isInstanceOf(MigrationException.class)
                .hasMessageContaining("migration V1 create effects was changed after it was applied");
    }

    @Test
    void refusesAMigrationInsertedBeforeAnAppliedOne() {
        MigrationSet v2only = new MigrationSet("demo", List.of(new Migration(2, "second", "create table b (id int)")));
        migrator().apply(List.of(v2only));
        MigrationSet withV1 = new MigrationSet("demo", List.of(
                new Migration(1, "first", "create table a (id int)"), v2only.migrations().get(0)));
        assertThatThrownBy(() -> migrator().apply(List.of(withV1)))
                .isInstanceOf(MigrationException.class)
                .hasMessageContaining("V1 first is not applied")
                .hasMessageContaining("the later version 2 is");
    }

    @Test
    void autoMigrationOffLeavesPendingSqlToPrintAndRun() throws Exception {
        StorageOptions off = StorageOptions.builder().discoverMigrations(false).addMigrations(DEMO).autoMigrate(false).build();
        try (Storage storage = Storage.open(PG.spec().toBuilder().schema(schema).build(), off)) {
            assertThat(storage.migrator().pending(List.of(DEMO)).get("demo")).hasSize(2);
            String sql = storage.migrator().pendingSql(List.of(DEMO));
            assertThat(sql).contains("BEGIN;").contains("pg_advisory_xact_lock").contains("create table effects")
                    .contains("INSERT INTO \"" + schema + "\".pgdock_schema_history").endsWith("COMMIT;\n");
            assertThat(count("select count(*) from pg_tables where schemaname = '" + schema + "'")).isZero();

            // What a DBA would do with the printed script.
            try (Connection c = PG.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute(sql);
            }
            assertThat(storage.migrator().pending(List.of(DEMO))).isEmpty();
            assertThat(storage.migrator().pendingSql(List.of(DEMO))).contains("nothing is pending");
            assertThat(count("select count(*) from " + schema + ".effects")).isEqualTo(2);
        }
    }

    @Test
    void printedSqlRunsEvenWhenAMigrationHasNoTrailingSemicolon() throws Exception {
        MigrationSet bare = new MigrationSet("bare", List.of(
                new Migration(1, "no semicolon", "create table bare_t (id int)"),
                new Migration(2, "comment at end", "insert into bare_t values (1) -- done")));
        Migrator migrator = migrator().withOwner(PG.spec().user());
        String sql = migrator.pendingSql(List.of(bare));
        assertThat(sql).contains("SET LOCAL ROLE \"" + PG.spec().user() + "\";");
        try (Connection c = PG.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
        assertThat(migrator.pending(List.of(bare))).isEmpty();
        assertThat(count("select count(*) from " + schema + ".bare_t")).isEqualTo(1);
    }

    @Test
    void discoversMigrationProvidersOnTheClassPath() {
        try (Storage storage = Storage.open(PG.spec().toBuilder().schema(schema).build())) {
            assertThat(count("select count(*) from " + schema + ".discovered_marker")).isEqualTo(1);
            assertThat(storage.migrator().pending(List.of(new DiscoveredMigrations().migrations()))).isEmpty();
        }
    }

    @Test
    void manyThreadsAndTwoJvmsApplyEachMigrationExactlyOnce() throws Exception {
        MigrationSet gated = demoSet(true);
        ConnectionSpec spec = PG.spec().toBuilder().schema(schema).build();
        int threads = 8;
        int jvms = 2;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Process> processes = new ArrayList<>();
        try (Connection gate = PG.dataSource().getConnection(); Statement g = gate.createStatement()) {
            g.execute("select pg_advisory_lock(" + MigrationWorker.GATE + ")");

            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Callable<Integer> open = () -> {
                    StorageOptions options = StorageOptions.builder().discoverMigrations(false).addMigrations(gated)
                            .maximumPoolSize(1).build();
                    try (Storage storage = Storage.open(spec, options)) {
                        return storage.migrator().pending(List.of(gated)).size();
                    }
                };
                results.add(pool.submit(open));
            }
            for (int i = 0; i < jvms; i++) {
                processes.add(MigrationWorker.start(spec, Path.of("target", "migration-worker-" + i + ".log")));
            }

            // Every contender but the one inside migration V1 waits on the schema lock; that one waits on the gate.
            Wait.until(Duration.ofMinutes(2), () -> {
                if (count("select count(*) from pg_locks l join pg_database d on d.oid = l.database "
                        + "where d.datname = current_database() and l.locktype = 'advisory' and not l.granted")
                        == threads + jvms) {
                    return true;
                }
                assertStillContending(processes, results);
                return false;
            }, "every contender but one to wait on the migration lock");
            g.execute("select pg_advisory_unlock(" + MigrationWorker.GATE + ")");

            for (Future<Integer> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).as("pending after open").isZero();
            }
            for (Process p : processes) {
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("worker JVM finished").isTrue();
                assertThat(p.exitValue()).as("worker exit code; log in target/migration-worker-*.log").isZero();
            }
        } finally {
            pool.shutdownNow();
            processes.forEach(Process::destroyForcibly);
        }
        assertThat(count("select count(*) from " + schema + ".effects where n = 1")).isEqualTo(1);
        assertThat(count("select count(*) from " + schema + ".effects where n = 2")).isEqualTo(1);
        assertThat(count("select count(*) from " + schema + ".pgdock_schema_history")).isEqualTo(2);
    }

    /** Fails at once, instead of waiting out the deadline, when a contender has ended while the gate is closed. */
    private static void assertStillContending(List<Process> processes, List<Future<Integer>> threads)
            throws InterruptedException {
        for (Future<Integer> f : threads) {
            if (f.isDone()) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw new AssertionError("a thread failed to open storage while the gate was still closed",
                            e.getCause());
                }
                throw new AssertionError("a thread finished opening storage while the gate was still closed");
            }
        }
        for (Process p : processes) {
            if (!p.isAlive()) {
                throw new AssertionError("a worker JVM exited early with " + p.exitValue()
                        + "; see target/migration-worker-*.log");
            }
        }
    }

    /** Opens storage in another JVM, so migration locking is proven across processes, not just threads. */
    static final class MigrationWorker {
        static final long GATE = 424242;

        static Process start(ConnectionSpec spec, Path log) throws IOException {
            String java = ProcessHandle.current().info().command().orElse("java");
            // The spec travels by URL with the password put back in (toString masks it).
            String url = spec.toString().replace(":***@", ":" + spec.password().orElse("") + "@");
            return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    MigrationWorker.class.getName(), url)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        }

        public static void main(String[] args) {
            StorageOptions options = StorageOptions.builder().discoverMigrations(false).addMigrations(demoSet(true))
                    .maximumPoolSize(1).build();
            try (Storage storage = Storage.open(ConnectionSpec.parse(args[0]), options)) {
                int pending = storage.migrator().pending(List.of(demoSet(true))).size();
                System.out.println("pending after open: " + pending);
                System.exit(pending == 0 ? 0 : 3);
            }
        }
    }
}
