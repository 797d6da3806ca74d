package io.pgdock.examples;

import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.KeyProvider;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.core.Provisioning;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.registry.ConnectionRegistry;
import io.pgdock.testing.TestPostgres;
import java.io.PrintStream;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyGenerator;
import org.jdbi.v3.core.ConnectionException;
import org.jdbi.v3.core.Jdbi;

/**
 * The README's first command: the whole library doing real work, in six steps.
 *
 * <ol>
 *   <li>Provision a dedicated role and schema through an admin connection, open {@link Storage} as that role, and
 *       migrate ({@link CardTransactionsPipeline#MIGRATIONS}).</li>
 *   <li>Seed the configuration ({@link ConfigStore#postgres}): the batch size, the sources' names and each source's
 *       connection in the {@link ConnectionRegistry} (its password stored as a secret under a master key from
 *       {@code PGDOCK_CONFIG_KEYS}, or an ephemeral one).</li>
 *   <li>Create two source databases of 100,000 card transactions each, and the merchant look-up in the main storage
 *       ({@link SampleSources}).</li>
 *   <li>Run the pipeline ({@link CardTransactionsPipeline}) with a {@link DataSourceFactory} that resolves source names
 *       through the connection registry ({@link ConnectionRegistry}, which lets {@code PGDOCK_TARGET_<NAME>_*}
 *       variables override a stored connection).</li>
 *   <li>Change the batch size while a watcher prints the change; print its history and how a scoped read is
 *       answered.</li>
 *   <li>Print a summary: rows and time per stage, health of the storage and of each source; fail if any is down.</li>
 * </ol>
 *
 * <p>The server is the one {@code PGDOCK_URL}, {@code PGDOCK_HOST} or {@code PGHOST} names, whose account must be a
 * superuser or have CREATEDB and CREATEROLE; with none set, an embedded PostgreSQL is started (and removed at exit).
 * Running it again on the same server works: provisioning and sample data are idempotent, and the pipeline replaces
 * each source's rows. It leaves behind, on a server of yours, role and schema {@code pgdock_example} (in the database
 * of the URL), databases {@code pgdock_example_eu} and {@code pgdock_example_us}, and role {@code pgdock_example_reader};
 * {@code DROP DATABASE pgdock_example_eu, pgdock_example_us; DROP ROLE pgdock_example_reader;} and, in the URL's
 * database, {@code DROP OWNED BY pgdock_example CASCADE; DROP ROLE pgdock_example;} remove them.
 */
public final class ExamplePipeline {
    /** The default name of the role and schema the example provisions; the source databases are named after it. */
    public static final String DEFAULT_ROLE = "pgdock_example";
    /** The batch size the example seeds. */
    static final int SEEDED_BATCH_SIZE = 5_000;
    /** How long to wait for the watcher to hear of the change; only a hang takes this long. */
    private static final Duration WATCH_DEADLINE = Duration.ofSeconds(30);

    private ExamplePipeline() {
    }

    /**
     * Runs the example against the configured server or an embedded one; exits with status 1, saying why, if it fails.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        try {
            run(System.getenv(), DEFAULT_ROLE, System.out);
        } catch (RuntimeException e) {
            System.out.flush();
            System.err.println("\nThe example pipeline failed: " + RunLog.message(e));
            System.exit(1);
        }
    }

    /**
     * Runs the example.
     *
     * @param env the environment to read the server and the master key from
     * @param role the role and schema to provision; the source databases and their reader role are named after it, so
     *     it must pass {@link SampleSources#checkRole(String)}
     * @param out where to print what is done
     * @return the id of the pipeline's run in the run log
     * @throws IllegalArgumentException if {@code role} is not a valid name; checked before anything is connected to
     * @throws IllegalStateException if the storage or a source is not healthy at the end
     */
    public static long run(Map<String, String> env, String role, PrintStream out) {
        SampleSources.checkRole(role);
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(out, "out");
        ConnectionSpec admin = server(env, out);
        long started = System.nanoTime();

        out.println("\n1. A dedicated role and schema; Storage as that role; migrations");
        ConnectionSpec runtime = admin.toBuilder().user(role).password(newPassword()).schema(role)
                .applicationName("pgdock-example").build();
        provision(admin, runtime, out);
        StorageOptions options = StorageOptions.builder().maximumPoolSize(4)
                .addMigrations(CardTransactionsPipeline.MIGRATIONS).build();
        try (Storage storage = Storage.open(runtime, options)) {
            out.println("  opened " + storage);
            printMigrations(storage, out);

            out.println("\n2. Configuration (" + role + ".config_entry)");
            ConfigStore configs = ConfigStore.postgres(storage,
                    ConfigOptions.builder().keys(masterKey(env, out)).build());
            ConfigStore seeding = configs.as("pgdock-example").because("seeded by the example");
            SampleSources samples = SampleSources.forRole(admin, role);
            String readerPassword = newPassword();
            seeding.put(CardTransactionsPipeline.BATCH_SIZE, SEEDED_BATCH_SIZE);
            seeding.put(CardTransactionsPipeline.SOURCES, SampleSources.REGIONS);
            out.println("  " + CardTransactionsPipeline.BATCH_SIZE + " = " + SEEDED_BATCH_SIZE);
            out.println("  " + CardTransactionsPipeline.SOURCES + " = " + SampleSources.REGIONS);
            ConnectionRegistry connections = ConnectionRegistry.of(seeding);
            for (String region : SampleSources.REGIONS) {
                ConnectionSpec source = samples.readerSpec(region).toBuilder().password(readerPassword).build();
                connections.put(region, source);                         // the password is stored as a secret
                out.println("  " + ConnectionRegistry.key(region) + " = " + source);   // it prints as ***
            }

            out.println("\n3. Sample data: two source databases and the merchant look-up");
            samples.create(readerPassword, out);
            out.printf("  merchant look-up: %,d merchants in %s.merchant%n",
                    SampleSources.seedMerchants(storage.jdbi()), role);

            out.println("\n4. The pipeline");
            FactoryOptions factoryOptions = FactoryOptions.builder().maximumPoolSize(2)
                    .resolver(ConnectionRegistry.of(configs).withEnvironment(env)).build();
            try (DataSourceFactory sources = DataSourceFactory.pooled(factoryOptions)) {
                CardTransactionsPipeline pipeline = new CardTransactionsPipeline(storage, configs, sources, out);
                long runId = pipeline.run();

                out.println("\n5. Live configuration: watch, history, explain");
                watchAChange(configs, out);

                out.println("\n6. Summary");
                summarize(pipeline.runLog().run(runId).orElseThrow(), storage, sources, out);
                out.printf("Done in %.1f s after the server was up.%n", (System.nanoTime() - started) / 1e9);
                return runId;
            }
        }
    }

    /** The admin connection: the configured server, or an embedded one. */
    private static ConnectionSpec server(Map<String, String> env, PrintStream out) {
        if (env.containsKey("PGDOCK_URL") || env.containsKey("PGDOCK_HOST") || env.containsKey("PGHOST")) {
            ConnectionSpec admin = ConnectionSpec.fromEnvironment(env).toBuilder().schema(null).build();
            out.println("Using the configured server, as " + admin);
            return admin;
        }
        out.println("No server configured (PGDOCK_URL, PGDOCK_HOST, PGHOST): starting an embedded PostgreSQL...");
        ConnectionSpec admin = TestPostgres.get().adminSpec();
        out.println("Embedded server ready, admin " + admin);
        return admin;
    }

    private static void provision(ConnectionSpec admin, ConnectionSpec runtime, PrintStream out) {
        boolean existed;
        try {
            existed = Jdbi.create(admin.jdbcUrl(), admin.driverProperties()).withHandle(h -> h.createQuery(
                    "select count(*) > 0 from pg_roles where rolname = :r").bind("r", runtime.user())
                    .mapTo(Boolean.class).one());
        } catch (ConnectionException e) {
            Throwable why = e.getCause() == null ? e : e.getCause();   // the driver's exception says why
            throw new IllegalStateException("cannot connect as the admin, " + admin + ": " + why.getMessage(), e);
        }
        Provisioning.forRuntime(runtime).apply(admin);   // idempotent; Provisioning.script() prints it for a DBA
        out.printf("  role %s: %s; login with a new random password (sent as a SCRAM verifier), no superuser, CREATEDB,"
                + " CREATEROLE, replication or RLS bypass%n", runtime.user(),
                existed ? "already there, checked" : "created");
        out.printf("  schema %s in database %s: owned by the role, first on its search_path; CREATE on public revoked"
                + " from PUBLIC%n", runtime.schema().orElseThrow(), runtime.database());
    }

    private static void printMigrations(Storage storage, PrintStream out) {
        storage.jdbi().useHandle(h -> h.createQuery("select module, max(version) as v, count(*) as n "
                        + "from pgdock_schema_history group by module order by module")
                .mapToMap().forEach(m -> out.printf("  migrations of %s: %s applied, now at V%s%n",
                        m.get("module"), m.get("n"), m.get("v"))));
    }

    /** The master key for secrets: {@code PGDOCK_CONFIG_KEYS}, or a new one that lives only in this process. */
    private static KeyProvider masterKey(Map<String, String> env, PrintStream out) {
        if (env.containsKey(KeyProvider.ENVIRONMENT_VARIABLE)) {
            KeyProvider keys = KeyProvider.fromEnvironment(env);
            out.println("  master key for secrets: " + keys.currentKeyId() + " from " + KeyProvider.ENVIRONMENT_VARIABLE);
            return keys;
        }
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256);
            String id = "ephemeral-" + newPassword().substring(0, 8).replaceAll("[^A-Za-z0-9]", "x");
            out.println("  master key for secrets: " + id + ", EPHEMERAL (" + KeyProvider.ENVIRONMENT_VARIABLE
                    + " is not set): secrets written now cannot be read after this run");
            return KeyProvider.of(id, Map.of(id, generator.generateKey()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no AES key generator", e);
        }
    }

    /** Changes the batch size while watching {@code pipeline.}; prints the change, the key's history and explain. */
    private static void watchAChange(ConfigStore configs, PrintStream out) {
        String key = CardTransactionsPipeline.BATCH_SIZE;
        int next = Math.max(1, configs.get(key, Integer.class).orElse(SEEDED_BATCH_SIZE) / 2);
        BlockingQueue<ConfigEvent> events = new LinkedBlockingQueue<>();
        ConfigEntry written;
        // The watcher prints each change as it hears of it, on a thread of the store's.
        ConfigSubscription watch = configs.watch("pipeline.", event -> {
            out.printf("  watcher heard: %s version %d = %s, by %s, \"%s\"%n", event.key(), event.version(),
                    event.value().map(Object::toString).orElse("(deleted)"), event.change().actor(),
                    event.change().why().orElse(""));
            events.add(event);
        });
        try {
            written = configs.as("ops").because("halve the batch size for the next run").put(key, next);
            awaitEvent(events, key, written.version());   // the change has been printed once this returns
        } finally {
            watch.close();
        }
        out.println("  history(\"" + key + "\"), newest first:");
        List<ConfigChange> history = configs.history(key);
        history.stream().limit(4).forEach(c -> out.printf("    v%d %-6s %s -> %s by %s at %s (%s)%n", c.version(),
                c.kind(), c.before().map(Object::toString).orElse("-"), c.after().map(Object::toString).orElse("-"),
                c.actor(), c.changedAt(), c.why().orElse("no reason given")));
        if (history.size() > 4) {
            out.printf("    ... %d older versions%n", history.size() - 4);
        }
        out.println("  explain, as read by pipeline run scope \"nightly\": "
                + configs.inScope("nightly").policy().explain(key));
    }

    /** Waits for the watcher to deliver {@code version} of {@code key}, up to {@link #WATCH_DEADLINE}. */
    private static void awaitEvent(BlockingQueue<ConfigEvent> events, String key, long version) {
        long deadline = System.nanoTime() + WATCH_DEADLINE.toNanos();
        try {
            for (long left = WATCH_DEADLINE.toNanos(); left > 0; left = deadline - System.nanoTime()) {
                ConfigEvent event = events.poll(left, TimeUnit.NANOSECONDS);
                if (event != null && event.key().equals(key) && event.version() == version) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the watcher", e);
        }
        throw new IllegalStateException("the watcher did not hear of " + key + " version " + version + " within "
                + WATCH_DEADLINE.toSeconds() + " s");
    }

    private static void summarize(RunLog.Run run, Storage storage, DataSourceFactory sources, PrintStream out) {
        out.printf("  run %d of %s: %s%n", run.id(), run.pipeline(), run.status());
        out.printf("    %-10s %-10s %12s %9s%n", "stage", "status", "rows", "seconds");
        for (RunLog.Stage stage : run.stages()) {
            out.printf("    %-10s %-10s %,12d %9.2f%n", stage.name(), stage.status(), stage.rowsProcessed(),
                    stage.duration().orElse(Duration.ZERO).toMillis() / 1000.0);
        }
        Map<String, Health> health = new LinkedHashMap<>();
        health.put("storage", storage.health());
        for (String source : SampleSources.REGIONS) {
            health.put(source, sources.health(source));
        }
        health.forEach((name, h) -> out.printf("  health of %-7s %s%n", name + ":", h));
        health.forEach((name, h) -> {
            if (!h.isUp()) {
                throw new IllegalStateException(name + " is not healthy: " + h);
            }
        });
    }

    private static String newPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
