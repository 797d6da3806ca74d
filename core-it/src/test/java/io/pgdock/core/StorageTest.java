package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.core.copy.TableName;
import io.pgdock.testing.PgdockExtension;
import java.net.ServerSocket;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class StorageTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private final TestRoles roles = new TestRoles(PG);

    @AfterEach
    void dropRoles() {
        roles.dropAll();
    }

    private ConnectionSpec runtimeSpec(String schema) {
        ConnectionSpec spec = roles.runtimeSpec(schema);
        Provisioning.forRuntime(spec).apply(PG.adminDataSource());
        return spec;
    }

    private static StorageOptions noDiscovery() {
        return StorageOptions.builder().discoverMigrations(false).build();
    }

    @Test
    void pinsSearchPathApplicationNameAndTimeouts() {
        ConnectionSpec spec = runtimeSpec("ingest").toBuilder().applicationName(null)
                .statementTimeout(Duration.ofSeconds(7)).lockTimeout(Duration.ofMillis(1500)).build();
        try (Storage storage = Storage.open(spec, noDiscovery())) {
            Map<String, Object> settings = storage.jdbi().withHandle(h -> h.createQuery(
                    "select current_setting('search_path') as search_path, "
                            + "current_setting('application_name') as application_name, "
                            + "current_setting('statement_timeout') as statement_timeout, "
                            + "current_setting('lock_timeout') as lock_timeout, current_user as who")
                    .mapToMap().one());
            assertThat(settings).containsEntry("search_path", "ingest, pg_catalog")
                    .containsEntry("application_name", "pgdock")
                    .containsEntry("statement_timeout", "7s")
                    .containsEntry("lock_timeout", "1500ms")
                    .containsEntry("who", spec.user());
            assertThat(storage.schema()).isEqualTo("ingest");
        }
    }

    @Test
    void pooledConnectionsReadWithTheSpecsSocketTimeoutNotTheLoginDeadline() throws Exception {
        ConnectionSpec spec = runtimeSpec("net").toBuilder().connectTimeout(Duration.ofSeconds(1))
                .socketTimeout(Duration.ofSeconds(7)).build();
        try (Storage storage = Storage.open(spec, noDiscovery()); Connection c = storage.dataSource().getConnection()) {
            assertThat(c.getNetworkTimeout()).isEqualTo(7000);
            // A query that takes longer than the connect timeout: the login's deadline ended with the login.
            try (java.sql.Statement s = c.createStatement()) {
                s.execute("select pg_sleep(1.5)");
            }
        }
        try (Storage storage = Storage.open(spec.toBuilder().socketTimeout(null).build(), noDiscovery());
                Connection c = storage.dataSource().getConnection()) {
            assertThat(c.getNetworkTimeout()).isZero();
        }
    }

    @Test
    void usesTheSpecsApplicationName() {
        ConnectionSpec spec = runtimeSpec("named").toBuilder().applicationName("nightly-etl").build();
        try (Storage storage = Storage.open(spec, noDiscovery())) {
            String name = storage.jdbi().withHandle(h -> h.createQuery("select current_setting('application_name')")
                    .mapTo(String.class).one());
            assertThat(name).isEqualTo("nightly-etl");
        }
    }

    @Test
    void unqualifiedTablesLandInTheStorageSchema() {
        try (Storage storage = Storage.open(runtimeSpec("work"), noDiscovery())) {
            storage.jdbi().useHandle(h -> {
                h.execute("create table runs (id int primary key, name text)");
                h.execute("insert into runs values (?, ?)", 1, "nightly");
            });
            String schema = roles.admin().withHandle(h -> h.createQuery(
                    "select table_schema from information_schema.tables where table_name = 'runs'").mapTo(String.class).one());
            assertThat(schema).isEqualTo("work");
            String name = storage.jdbi().withHandle(h -> h.createQuery("select name from runs where id = 1")
                    .mapTo(String.class).one());
            assertThat(name).isEqualTo("nightly");
        }
    }

    @Test
    void anOddSchemaNameIsQuotedNotExecuted() {
        String odd = "Odd name; drop table x --";
        try (Storage storage = Storage.open(runtimeSpec(odd), noDiscovery())) {
            String path = storage.jdbi().withHandle(h -> h.createQuery("select current_setting('search_path')")
                    .mapTo(String.class).one());
            assertThat(path).isEqualTo("\"" + odd + "\", pg_catalog");
        }
    }

    @Test
    void specWithoutSchemaIsRefused() {
        ConnectionSpec spec = PG.spec().toBuilder().schema(null).build();
        assertThatThrownBy(() -> Storage.open(spec))
                .isInstanceOf(InvalidConnectionSpecException.class)
                .hasMessageContaining("schema: Storage needs a dedicated schema");
    }

    @Test
    void unreachableServer() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();   // free now, and nothing listens once closed
        }
        ConnectionSpec spec = ConnectionSpec.builder().host("127.0.0.1").port(port).database("d").user("u")
                .schema("s").connectTimeout(Duration.ofSeconds(2)).build();
        assertThatThrownBy(() -> Storage.open(spec))
                .isInstanceOfSatisfying(ConnectionFailedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
                .hasMessageContaining("cannot connect to postgresql://u@127.0.0.1:" + port + "/d")
                .hasMessageContaining("no server answered");
    }

    @Test
    void unknownRoleIsAnAuthenticationFailure() {
        ConnectionSpec spec = PG.spec().toBuilder().user("no_such_role_" + System.nanoTime()).password("not-shown-9")
                .schema("s").build();
        assertThatThrownBy(() -> Storage.open(spec))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION))
                .hasMessageContaining("authentication failed")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-shown-9"));
    }

    @Test
    void roleThatMayNotLogInIsAnAuthenticationFailure() {
        String role = roles.create("NOLOGIN");
        ConnectionSpec spec = PG.spec().toBuilder().user(role).password(TestRoles.PASSWORD).schema("s").build();
        assertThatThrownBy(() -> Storage.open(spec))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION));
    }

    @Test
    void missingDatabase() {
        ConnectionSpec spec = PG.spec().toBuilder().database("no_such_db_" + System.nanoTime()).schema("s").build();
        assertThatThrownBy(() -> Storage.open(spec))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.DATABASE_MISSING))
                .hasMessageContaining("the database does not exist");
    }

    @Test
    void tlsThatCannotBeVerified() {
        ConnectionSpec spec = PG.spec().toBuilder().sslMode(SslMode.VERIFY_FULL).schema("s")
                .option("sslrootcert", "/nonexistent/root.crt").build();
        assertThatThrownBy(() -> Storage.open(spec))
                .isInstanceOfSatisfying(ConnectionFailedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TLS));
    }

    @Test
    void tlsRequiredOfAServerWithoutItIsTlsNotUnreachable() {
        String ssl = PG.jdbi().withHandle(h -> h.createQuery("show ssl").mapTo(String.class).one());
        org.junit.jupiter.api.Assumptions.assumeTrue("off".equals(ssl), "the test server has TLS on");
        ConnectionSpec spec = PG.spec().toBuilder().sslMode(SslMode.REQUIRE).schema("s").build();
        assertThatThrownBy(() -> Storage.open(spec))
                .isInstanceOfSatisfying(ConnectionFailedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TLS))
                .hasMessageContaining("the server does not support TLS, but sslmode=require requires it");
    }

    @Test
    void missingSchemaIsRefusedUnlessCreationIsAllowed() {
        ConnectionSpec spec = PG.spec().toBuilder().schema("not_there").build();
        assertThatThrownBy(() -> Storage.open(spec, noDiscovery()))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.SCHEMA_MISSING))
                .hasMessageContaining("schema \"not_there\" does not exist")
                .hasMessageContaining("createSchema(true)");

        StorageOptions create = StorageOptions.builder().discoverMigrations(false).createSchema(true).build();
        try (Storage storage = Storage.open(spec, create)) {
            assertThat(storage.health().isUp()).isTrue();
        }
        int schemas = PG.jdbi().withHandle(h -> h.createQuery(
                "select count(*) from pg_namespace where nspname = 'not_there'").mapTo(Integer.class).one());
        assertThat(schemas).isEqualTo(1);
    }

    @Test
    void roleThatMayNotCreateTheMissingSchema() {
        String role = roles.create("LOGIN");
        ConnectionSpec spec = PG.spec().toBuilder().user(role).password(TestRoles.PASSWORD).schema("forbidden_create").build();
        StorageOptions create = StorageOptions.builder().discoverMigrations(false).createSchema(true).build();
        assertThatThrownBy(() -> Storage.open(spec, create))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.PRIVILEGE_MISSING))
                .hasMessageContaining("may not create it");
    }

    @Test
    void schemaWithoutUsagePrivilege() {
        String role = roles.create("LOGIN");
        PG.jdbi().useHandle(h -> h.execute("create schema someone_elses"));
        ConnectionSpec spec = PG.spec().toBuilder().user(role).password(TestRoles.PASSWORD).schema("someone_elses").build();
        assertThatThrownBy(() -> Storage.open(spec, noDiscovery()))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.PRIVILEGE_MISSING))
                .hasMessageContaining("has no USAGE privilege on schema \"someone_elses\"");
    }

    @Test
    void databaseWithoutConnectPrivilege() {
        String role = roles.create("LOGIN");
        String db = PG.databaseName();
        PG.jdbi().useHandle(h -> h.execute("revoke connect on database \"" + db + "\" from public"));
        try {
            ConnectionSpec spec = PG.spec().toBuilder().user(role).password(TestRoles.PASSWORD).schema("s").build();
            assertThatThrownBy(() -> Storage.open(spec, noDiscovery()))
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.PRIVILEGE_MISSING));
        } finally {
            PG.jdbi().useHandle(h -> h.execute("grant connect on database \"" + db + "\" to public"));
        }
    }

    @Test
    void pendingMigrationsWithoutCreatePrivilege() {
        String role = roles.create("LOGIN");
        PG.jdbi().useHandle(h -> {
            h.execute("create schema read_only_schema");
            h.execute("grant usage on schema read_only_schema to " + role);
        });
        ConnectionSpec spec = PG.spec().toBuilder().user(role).password(TestRoles.PASSWORD).schema("read_only_schema").build();
        MigrationSet set = new MigrationSet("demo", List.of(new Migration(1, "create t", "create table t (id int)")));
        StorageOptions options = StorageOptions.builder().discoverMigrations(false).addMigrations(set).build();
        assertThatThrownBy(() -> Storage.open(spec, options))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.PRIVILEGE_MISSING))
                .hasMessageContaining("may not create objects in schema \"read_only_schema\"");
        // Nothing pending: opening is fine.
        try (Storage storage = Storage.open(spec, noDiscovery())) {
            assertThat(storage.health().isUp()).isTrue();
        }
    }

    @Test
    void healthReportsUpWithVersionAndPool() {
        try (Storage storage = Storage.open(runtimeSpec("h"), noDiscovery())) {
            Health health = storage.health();
            assertThat(health.status()).isEqualTo(Health.Status.UP);
            assertThat(health.serverVersion()).hasValueSatisfying(v -> assertThat(v).matches("\\d+(\\.\\d+)?.*"));
            assertThat(health.error()).isEmpty();
            assertThat(health.pool().maximum()).isEqualTo(10);
            assertThat(health.pool().total()).isGreaterThanOrEqualTo(1);
            assertThat(health.toString()).startsWith("UP in ").contains("PostgreSQL ");
        }
    }

    @Test
    void healthRunsOnTheCallersExecutorAndLeavesItRunning() throws Exception {
        AtomicInteger made = new AtomicInteger();
        ExecutorService mine = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mine-health-" + made.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        List<String> ranOn = new java.util.concurrent.CopyOnWriteArrayList<>();
        try {
            StorageOptions options = StorageOptions.builder().discoverMigrations(false)
                    .healthExecutor(task -> mine.execute(() -> {
                        ranOn.add(Thread.currentThread().getName());
                        task.run();
                    })).build();
            try (Storage storage = Storage.open(runtimeSpec("hx"), options)) {
                assertThat(storage.health().isUp()).isTrue();
                assertThat(storage.health().isUp()).isTrue();
            }
            assertThat(ranOn).as("each check's attempt ran on the caller's threads").hasSize(2)
                    .allSatisfy(name -> assertThat(name).startsWith("mine-health-"));
            assertThat(mine.isShutdown()).as("closing the storage leaves the caller's executor alone").isFalse();
            assertThat(mine.submit(() -> "still usable").get(10, TimeUnit.SECONDS)).isEqualTo("still usable");
        } finally {
            mine.shutdownNow();
        }
    }

    @Test
    void aBusyPoolIsNotADeadServer() throws Exception {
        StorageOptions options = StorageOptions.builder().discoverMigrations(false).maximumPoolSize(1)
                .healthTimeout(Duration.ofSeconds(5)).build();
        try (Storage storage = Storage.open(runtimeSpec("busy"), options);
                Connection held = storage.dataSource().getConnection()) {
            assertThat(held.isValid(1)).isTrue();
            Health health = storage.health();
            assertThat(health.status()).isEqualTo(Health.Status.UP);
            assertThat(health.pool()).isEqualTo(new Health.PoolStats(1, 0, 0, 1, 1));
        }
    }

    @Test
    void aBusyPoolFailsCallsWithTooManyConnectionsNotAsAnUnexplainedConnectFailure() throws Exception {
        StorageOptions options = StorageOptions.builder().discoverMigrations(false).maximumPoolSize(1)
                .connectionTimeout(Duration.ofMillis(300)).build();
        try (Storage storage = Storage.open(runtimeSpec("busy2"), options)) {
            storage.jdbi().useHandle(h -> h.execute("create table t (id int)"));
            try (Connection held = storage.dataSource().getConnection()) {
                assertThat(held.isValid(1)).isTrue();
                assertThatThrownBy(() -> storage.bulk().copyIn(TableName.of("t"), List.of("id"), List.of(List.of(1))))
                        .isInstanceOfSatisfying(ConnectionFailedException.class,
                                e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_CONNECTIONS))
                        .hasMessageContaining("no pooled connection for the data source for COPY into \"t\""
                                + " came free within the pool's connection timeout")
                        .hasMessageContaining("total=1, active=1");
            }
            assertThat(storage.bulk().copyIn(TableName.of("t"), List.of("id"), List.of(List.of(1)))).isEqualTo(1);
        }
    }

    @Test
    void healthIsDownWhenTheRoleMayNoLongerLogIn() {
        ConnectionSpec spec = runtimeSpec("locked_out");
        try (Storage storage = Storage.open(spec, noDiscovery())) {
            roles.admin().useHandle(h -> h.execute("alter role " + spec.user() + " nologin"));
            Health health = storage.health();
            assertThat(health.status()).isEqualTo(Health.Status.DOWN);
            assertThat(health.error()).hasValueSatisfying(e -> assertThat(e)
                    .contains("authentication failed").doesNotContain(TestRoles.PASSWORD));
            assertThat(health.serverVersion()).isEmpty();
        }
    }

    @Test
    void aFailedOpenLeavesNoSessionBehind() {
        String marker = "pgdock-failed-open-" + System.nanoTime();
        ConnectionSpec spec = PG.spec().toBuilder().schema("missing_schema").applicationName(marker).build();
        assertThatThrownBy(() -> Storage.open(spec, noDiscovery()))
                .isInstanceOfSatisfying(ConnectionFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.SCHEMA_MISSING));
        MigrationSet failing = new MigrationSet("broken", List.of(new Migration(1, "bad", "select no_such_column")));
        StorageOptions options = StorageOptions.builder().discoverMigrations(false).createSchema(true)
                .addMigrations(failing).build();
        assertThatThrownBy(() -> Storage.open(spec, options)).isInstanceOf(MigrationException.class)
                .hasMessageContaining("migration broken V1 bad failed").hasMessageContaining("SQLSTATE 42703")
                .hasMessageContaining("nothing was applied");
        int sessions = roles.admin().withHandle(h -> h.createQuery(
                "select count(*) from pg_stat_activity where application_name = :m").bind("m", marker)
                .mapTo(Integer.class).one());
        assertThat(sessions).isZero();
    }

    @Test
    void healthAfterCloseIsDown() {
        Storage storage = Storage.open(runtimeSpec("closed"), noDiscovery());
        storage.close();
        storage.close();   // idempotent
        assertThat(storage.health().status()).isEqualTo(Health.Status.DOWN);
        assertThat(storage.health().error()).hasValue("storage is closed");
    }

    @Test
    void jdbiHasThePostgresAndJacksonPlugins() {
        try (Storage storage = Storage.open(runtimeSpec("plugins"), noDiscovery())) {
            Jdbi jdbi = storage.jdbi();
            java.util.UUID id = java.util.UUID.randomUUID();
            java.util.UUID back = jdbi.withHandle(h -> h.createQuery("select cast(:id as uuid)").bind("id", id)
                    .mapTo(java.util.UUID.class).one());
            assertThat(back).isEqualTo(id);
        }
    }
}
