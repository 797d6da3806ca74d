package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgdock.core.copy.TableName;
import io.pgdock.testing.PgBouncer;
import io.pgdock.testing.PgdockExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Storage through a real PgBouncer 1.18 in transaction pooling mode ({@link StorageOptions.Builder#transactionPooling}):
 * each test has a role of its own whose own settings ({@code ALTER ROLE ... IN DATABASE ... SET search_path}) give the
 * storage schema, and a PgBouncer that logs in as that role. In CI PgBouncer must be there (the test fails, not skips).
 */
class StorageThroughPgBouncerTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final String SCHEMA = "bounced";
    /** A schema with the same table, first on the role's search_path unless the role's settings are made right. */
    private static final String DECOY = "decoy";

    private final TestRoles roles = new TestRoles(PG);
    private final List<AutoCloseable> open = new ArrayList<>();
    private Jdbi admin;
    private ConnectionSpec direct;

    @BeforeEach
    void aRoleWithItsSchemaAndADecoy() {
        PgBouncer.assumeAvailable();
        admin = roles.admin();
        String role = roles.create("LOGIN");
        admin.useHandle(h -> {
            h.execute("CREATE SCHEMA " + SCHEMA + " AUTHORIZATION " + role);
            h.execute("CREATE SCHEMA " + DECOY + " AUTHORIZATION " + role);
            h.execute("CREATE TABLE " + SCHEMA + ".events (worker int, n int)");
            h.execute("CREATE TABLE " + DECOY + ".events (worker int, n int)");
            h.execute("ALTER TABLE " + SCHEMA + ".events OWNER TO " + role);
            h.execute("ALTER TABLE " + DECOY + ".events OWNER TO " + role);
            // The role's default: the decoy, as when the storage schema is not the role's default search_path.
            h.execute("ALTER ROLE " + role + " IN DATABASE \"" + PG.databaseName() + "\" SET search_path = " + DECOY);
        });
        direct = PG.spec().toBuilder().user(role).password(TestRoles.PASSWORD).schema(SCHEMA).build();
    }

    @AfterEach
    void closeAndDrop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
        roles.dropAll();
    }

    private PgBouncer bouncer() {
        PgBouncer bouncer = PgBouncer.builder(direct).defaultPoolSize(3).start();
        open.add(bouncer);
        return bouncer;
    }

    private Storage open(ConnectionSpec spec, StorageOptions options) {
        Storage storage = Storage.open(spec, options);
        open.add(storage);
        return storage;
    }

    private static StorageOptions pooling() {
        return StorageOptions.builder().transactionPooling(true).maximumPoolSize(6).build();
    }

    private void giveTheRoleItsSchema() {
        admin.useHandle(h -> h.execute(RoleSettingsStatements.of(direct)));
    }

    @Test
    void withoutTheRolesOwnSettingsOpenRefusesNamingTheStatementToRun() {
        PgBouncer bouncer = bouncer();
        ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                () -> open(bouncer.specFor(direct), pooling()));
        assertThat(e.reason()).isEqualTo(ConnectionFailedException.Reason.SEARCH_PATH);
        assertThat(e.getMessage()).contains("transactionPooling").contains("current schema is \"decoy\"")
                .contains("ALTER ROLE \"" + direct.user() + "\" IN DATABASE \"" + PG.databaseName()
                        + "\" SET search_path = \"bounced\";")
                .doesNotContain(TestRoles.PASSWORD);
    }

    @Test
    void aTimeoutTheRoleDoesNotHaveIsNamedWithItsStatement() {
        giveTheRoleItsSchema();
        PgBouncer bouncer = bouncer();
        ConnectionSpec withTimeout = bouncer.specFor(direct).toBuilder().statementTimeout(Duration.ofMillis(4321))
                .build();
        ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                () -> open(withTimeout, pooling()));
        assertThat(e.reason()).isEqualTo(ConnectionFailedException.Reason.OTHER);
        assertThat(e.getMessage()).contains("statement_timeout is 0 ms, the spec asks for 4321 ms")
                .contains("SET statement_timeout = 4321;");
    }

    @Test
    void aPoolerTheStorageWasNotToldOfIsRefused() {
        giveTheRoleItsSchema();
        PgBouncer bouncer = bouncer();
        ConnectionFailedException e = catchThrowableOfType(ConnectionFailedException.class,
                () -> open(bouncer.specFor(direct), StorageOptions.defaults()));
        assertThat(e.getMessage()).contains("connection pooler").contains("transactionPooling(true)")
                .contains("dedicatedConnectionSpec");
        // Directly, the same check passes: the backend process ids agree.
        assertThat(open(direct, StorageOptions.defaults()).schema()).isEqualTo(SCHEMA);
    }

    @Test
    void putsGetsPreparedStatementsAndCopyWorkThroughIt() {
        giveTheRoleItsSchema();
        PgBouncer bouncer = bouncer();
        Storage storage = open(bouncer.specFor(direct), pooling());
        Jdbi jdbi = storage.jdbi();
        // pgjdbc names a statement from its fifth execution; PgBouncer 1.18 cannot pool those. prepareThreshold=0.
        for (int n = 0; n < 20; n++) {
            int i = n;
            jdbi.useHandle(h -> h.execute("INSERT INTO events (worker, n) VALUES (?, ?)", 0, i));
        }
        int inserted = jdbi.withHandle(h -> h.select("SELECT count(*) FROM events WHERE worker = ?", 0)
                .mapTo(Integer.class).one());
        assertThat(inserted).isEqualTo(20);
        long copied = storage.bulk().copyIn(TableName.of("events"), List.of("worker", "n"),
                IntStream.range(0, 500).mapToObj(i -> List.<Object>of(1, i)).toList());
        assertThat(copied).isEqualTo(500);
        StringBuilder out = new StringBuilder();
        storage.bulk().copyOut("SELECT n FROM events WHERE worker = 1 ORDER BY n", row -> out.append(row.get(0)));
        assertThat(out).startsWith("012345");
        assertThat(count(SCHEMA)).isEqualTo(520);
        assertThat(count(DECOY)).isZero();
        assertThat(storage.health().status()).isEqualTo(Health.Status.UP);
    }

    @Test
    void migrationsUnderConcurrentOpensApplyOnce() throws Exception {
        giveTheRoleItsSchema();
        PgBouncer bouncer = bouncer();
        MigrationSet set = new MigrationSet("bouncer_demo", List.of(
                new Migration(1, "create effects", "CREATE TABLE effects (n int);\nINSERT INTO effects VALUES (1);"),
                new Migration(2, "more", "INSERT INTO effects VALUES (2);")));
        StorageOptions options = StorageOptions.builder().transactionPooling(true).maximumPoolSize(2)
                .discoverMigrations(false).addMigrations(set).build();
        ExecutorService workers = Executors.newFixedThreadPool(6);
        try {
            List<Future<Storage>> opening = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                opening.add(workers.submit(() -> Storage.open(bouncer.specFor(direct), options)));
            }
            for (Future<Storage> f : opening) {
                open.add(f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            workers.shutdownNow();
        }
        List<Integer> effects = admin.withHandle(h -> h.select("SELECT n FROM " + SCHEMA + ".effects ORDER BY n")
                .mapTo(Integer.class).list());
        assertThat(effects).containsExactly(1, 2);
    }

    @Test
    void dedicatedConnectionsNeedADirectSpecBehindThePooler() throws Exception {
        giveTheRoleItsSchema();
        PgBouncer bouncer = bouncer();
        Storage without = open(bouncer.specFor(direct), pooling());
        assertThat(without.dedicatedConnectionsAvailable()).isFalse();
        SessionRequiredException e = catchThrowableOfType(SessionRequiredException.class,
                without::dedicatedConnection);
        assertThat(e.getMessage()).contains("transaction pooling mode").contains("dedicatedConnectionSpec");

        ConnectionSpec directWithoutSchema = direct.toBuilder().schema(null).build();
        Storage with = open(bouncer.specFor(direct), StorageOptions.builder().transactionPooling(true)
                .dedicatedConnectionSpec(directWithoutSchema).build());
        assertThat(with.dedicatedConnectionsAvailable()).isTrue();
        try (Connection c = with.dedicatedConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_schema(), pg_backend_pid()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(SCHEMA);
            assertThat(rs.getInt(2)).as("a direct connection: the login's process id is the server's")
                    .isEqualTo(c.unwrap(org.postgresql.PGConnection.class).getBackendPID());
        }
        assertThat(StorageOptions.builder().dedicatedConnectionSpec(direct).build().toString())
                .contains("dedicatedConnectionSpec=").doesNotContain(TestRoles.PASSWORD);
    }

    /**
     * The wrong-schema writes: the role's default search_path is another schema with the same table, and
     * PgBouncer's server connections are replaced (terminated on the server, as a restart or {@code server_lifetime}
     * would) while workers write. Every acknowledged write must be in the storage schema, none in the other.
     */
    @Test
    void everyAcknowledgedWriteLandsInTheStorageSchemaWhilePgBouncerReconnects() throws Exception {
        giveTheRoleItsSchema();
        PgBouncer bouncer = bouncer();
        Storage storage = open(bouncer.specFor(direct), pooling());
        Set<String> acked = ConcurrentHashMap.newKeySet();
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger terminated = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean(true);
        Set<Integer> backends = ConcurrentHashMap.newKeySet();
        ExecutorService workers = Executors.newFixedThreadPool(5);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int worker = w;
                done.add(workers.submit(() -> {
                    for (int n = 0; n < 300; n++) {
                        int i = n;
                        try {
                            backends.add(storage.jdbi().inTransaction(h -> {
                                h.execute("INSERT INTO events (worker, n) VALUES (?, ?)", worker, i);
                                return h.select("SELECT pg_backend_pid()").mapTo(Integer.class).one();
                            }));
                            acked.add(worker + ":" + i);
                            acknowledged.incrementAndGet();
                        } catch (RuntimeException e) {
                            failed.incrementAndGet();   // its transaction died with its server connection: not acked
                        }
                    }
                    return null;
                }));
            }
            Future<?> killer = workers.submit(() -> {
                while (writing.get()) {
                    terminated.addAndGet(admin.withHandle(h -> h.select("SELECT count(pg_terminate_backend(pid)) "
                            + "FROM pg_stat_activity WHERE usename = ? AND pid <> pg_backend_pid()", direct.user())
                            .mapTo(Integer.class).one()));
                    if (terminated.get() >= 30) {
                        break;
                    }
                    // Paced by the workers' progress, not by time: the next round waits for a write to be acked.
                    int seen = acknowledged.get();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (writing.get() && acknowledged.get() < seen + 20 && System.nanoTime() < deadline) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                }
                return null;
            });
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            writing.set(false);
            killer.get(30, TimeUnit.SECONDS);
        } finally {
            writing.set(false);
            workers.shutdownNow();
        }
        assertThat(terminated.get()).as("server connections terminated under the writers").isPositive();
        assertThat(backends.size()).as("server sessions the writes ran on (PgBouncer reconnected)").isGreaterThan(3);
        List<String> stored = admin.withHandle(h -> h.select("SELECT worker || ':' || n FROM " + SCHEMA + ".events")
                .mapTo(String.class).list());
        assertThat(stored).as("rows in the storage schema, %s failed writes", failed.get()).containsAll(acked)
                .hasSizeLessThanOrEqualTo(acked.size() + failed.get());
        assertThat(count(DECOY)).as("rows in the role's default schema").isZero();
        System.out.printf("PgBouncer reconnect test: %d acknowledged writes, %d failed, %d server connections "
                + "terminated, %d server sessions%n", acknowledged.get(), failed.get(), terminated.get(),
                backends.size());
    }

    private int count(String schema) {
        return admin.withHandle(h -> h.select("SELECT count(*) FROM " + schema + ".events").mapTo(Integer.class).one());
    }

    /** The statements the check names, run for the role: what an operator does after reading the message. */
    private static final class RoleSettingsStatements {
        static String of(ConnectionSpec spec) {
            return String.join("\n", io.pgdock.core.internal.RoleSettingsCheck.statements(spec));
        }
    }
}
