package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.pgdock.config.ConfigBindingException;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigSecretException;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.ExportOptions;
import io.pgdock.config.ImportOptions;
import io.pgdock.config.ImportOptions.ConflictMode;
import io.pgdock.config.ImportResult;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.config.KeyProvider;
import io.pgdock.config.Secret;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.InvalidConnectionSpecException;
import io.pgdock.core.Provisioning;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryEvent;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetResolver;
import io.pgdock.testing.PgdockExtension;
import io.pgdock.testing.ThrowawayPostgres;
import io.pgdock.testing.Wait;
import io.pgdock.cli.PgdockCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The leak scan: runs the scenarios that handle passwords, secret values and key material with every log line captured
 * at TRACE/FINEST ({@link LeakCapture}), and asserts that no marker (nor its URL-encoded or base64 form) appears in a
 * log line, an exception's message, toString or stack trace text, the toString of what the API returns, or an export.
 *
 * <p>The command-line tool's output is checked by passing it to {@link #assertNoSecretIn(String, CharSequence)}, with
 * the markers of this class as its passwords and secret values.
 */
class LeakScanTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Distinctive markers: a password with characters URLs and SQL escape, a secret value, a second password. */
    static final String PASSWORD = "Pw-Leak:7Qx/Zt@k&'\"%";
    static final String NEW_PASSWORD = "Pw-Rotated-88MnBv";
    static final String SECRET = "Secret-Value-31Jd";
    static final String OTHER_SECRET = "Secret-Field-5Rw";
    /** A wrong password for an encrypted client key (sslpassword); the right one is the test CA's, also a marker. */
    static final String SSL_PASSWORD = "Ssl-Key-Pw-62Hv";
    static final byte[] KEY = "k1-master-key-material-32-bytes!".getBytes(StandardCharsets.US_ASCII);
    static final byte[] OTHER_KEY = "k1-OTHER-key-material-32-bytes!!".getBytes(StandardCharsets.US_ASCII);
    static final String KEY_TEXT = Base64.getEncoder().encodeToString(KEY);

    private static ThrowawayPostgres server;
    private static ConnectionSpec runtime;
    private LeakCapture capture;

    @BeforeAll
    static void startServerThatChecksPasswords() {
        server = ThrowawayPostgres.start();
        server.requirePasswords();
        runtime = server.adminSpec().toBuilder().user("leak_app").password(PASSWORD).schema("leak").build();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void capture() {
        capture = newCapture();
    }

    @AfterEach
    void scanLogs(org.junit.jupiter.api.TestInfo test) {
        try {
            List<String> lines = capture.lines();
            System.out.printf("RELIABILITY leak scan %s: %d log lines (%d pgjdbc, %d HikariCP, %d pgdock)%n",
                    test.getDisplayName(), lines.size(), lines.stream().filter(l -> l.startsWith("org.postgresql")).count(),
                    lines.stream().filter(l -> l.startsWith("com.zaxxer")).count(),
                    lines.stream().filter(l -> l.startsWith("io.pgdock")).count());
            capture.assertLogsClean();
        } finally {
            capture.close();
        }
    }

    static LeakCapture newCapture() {
        return new LeakCapture().secret(PASSWORD).secret(NEW_PASSWORD).secret(SECRET).secret(OTHER_SECRET)
                .secret(SSL_PASSWORD)
                .secret(KEY_TEXT).secret(Base64.getEncoder().encodeToString(OTHER_KEY))
                .secret(new String(KEY, StandardCharsets.US_ASCII)).secret(new String(OTHER_KEY, StandardCharsets.US_ASCII));
    }

    /**
     * The extension point for the command-line tool's scenario: asserts that captured output (stdout and stderr of a
     * command run with {@link #PASSWORD} in its connection settings and {@link #SECRET} stored as a secret) holds no
     * marker.
     *
     * @param where what the text is, for the failure message
     * @param output the captured text
     */
    static void assertNoSecretIn(String where, CharSequence output) {
        try (LeakCapture markers = newCapture()) {
            markers.assertClean(where, output);
        }
    }

    /** The scan itself: a marker or its encodings in a logback or java.util.logging line is found. */
    @Test
    void theScanFindsAMarkerInEitherLoggingSystem() {
        org.slf4j.LoggerFactory.getLogger("io.pgdock.leaktest").trace("connecting with {}",
                java.net.URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8));
        assertThat(catchThrowable(capture::assertLogsClean)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("appears in log line: io.pgdock.leaktest TRACE");
        capture.clear();
        java.util.logging.Logger.getLogger("org.postgresql.leaktest").finest("key "
                + Base64.getEncoder().encodeToString(SECRET.getBytes(StandardCharsets.UTF_8)));
        assertThat(catchThrowable(capture::assertLogsClean)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("appears in log line: org.postgresql.leaktest FINEST");
        capture.clear();
        Throwable wrapped = new IllegalStateException("outer", new RuntimeException("inner " + KEY_TEXT));
        assertThat(catchThrowable(() -> capture.assertClean(wrapped))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("appears in exception java.lang.IllegalStateException");
    }

    @Test
    void connectionSpecsAndTheirErrors() {
        ConnectionSpec spec = ConnectionSpec.builder().host("db.example").database("sales").user("app")
                .password(PASSWORD).schema("mart").build();
        ConnectionSpec same = ConnectionSpec.parse("postgresql://app:" + java.net.URLEncoder.encode(PASSWORD,
                StandardCharsets.UTF_8) + "@db.example/sales?currentSchema=mart");
        assertThat(same).isEqualTo(spec).hasSameHashCodeAs(spec);
        assertThat(same.password()).contains(PASSWORD);
        for (Object shown : List.of(spec, same, spec.toBuilder(), spec.jdbcUrl(), spec.sessionInitSql(),
                spec.toBuilder().password(NEW_PASSWORD).build())) {
            capture.assertClean("toString of " + shown.getClass().getSimpleName(), shown.toString());
        }
        String encoded = java.net.URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8);
        List<String> badUrls = List.of(
                "postgresql://app:" + PASSWORD + "@db.example/sales",                   // raw '/', '@', '&'
                "postgresql://app:" + encoded + "@db.example:99999/sales",
                "postgresql://app:" + encoded + "@db.example/sales?sslmode=bogus",
                "postgresql://app:" + encoded + "@db.example/sales#" + PASSWORD,
                "postgresql://app:" + encoded + "@/sales",
                "postgresql://app:" + encoded + "%ZZ@db.example/sales",
                "postgresql://app@db.example/sales?password=" + PASSWORD,
                "postgresql://app@db.example/sales?password=" + encoded + "&password=" + encoded,
                "postgresql://app:" + encoded + "@db.example/sales?password=" + encoded,
                "postgresql://app@db.example/sales?password=" + SECRET + "&frobnicate=" + SECRET,
                "http://app:" + PASSWORD + "@db.example/sales",
                "postgresql//app:" + PASSWORD + "@db.example/sales",
                "jdbc:postgresql://db.example/sales?user=app&password=" + PASSWORD + "&options=-c%20x",
                "postgresql://app@db.example/sales?sslpassword=" + SSL_PASSWORD + "&sslpassword=" + SSL_PASSWORD,
                "postgresql://app@db.example/sales?sslpassword=" + SSL_PASSWORD + "&frobnicate=" + SSL_PASSWORD,
                "postgresql://app@db.example/sales?sslpassword=ab&" + SSL_PASSWORD);
        for (String url : badUrls) {
            Throwable refused = catchThrowable(() -> ConnectionSpec.parse(url));
            assertThat(refused).as(url).isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith("url");
            capture.assertClean(refused);
        }
        List<Map<String, String>> badEnvironments = List.of(
                Map.of("PGDOCK_HOST", "h", "PGDOCK_DATABASE", "d", "PGDOCK_USER", "u", "PGDOCK_PASSWORD", PASSWORD,
                        "PGDOCK_PORT", "not-a-port"),
                Map.of("PGDOCK_URL", "postgresql://u:" + encoded + "@h/d?sslmode=" + PASSWORD),
                Map.of("PGDOCK_URL", "postgresql://u:" + PASSWORD + "@h/d"),
                Map.of("PGDOCK_URL", PASSWORD),
                Map.of("PGDOCK_HOST", "h", "PGDOCK_DATABASE", "d", "PGDOCK_USER", "u", "PGDOCK_PASSWORD", "\0" + PASSWORD),
                Map.of("PGDOCK_HOST", "h", "PGDOCK_DATABASE", "d", "PGDOCK_USER", "u", "PGPASSWORD", PASSWORD,
                        "PGDOCK_SCHEMA", "a\"b"),
                Map.of("PGDOCK_HOST", "h", "PGDOCK_DATABASE", "d", "PGDOCK_USER", "u", "PGDOCK_SSLPASSWORD",
                        "\0" + SSL_PASSWORD));
        for (Map<String, String> env : badEnvironments) {
            Throwable refused = catchThrowable(() -> ConnectionSpec.fromEnvironment(env));
            assertThat(refused).as(env.keySet().toString()).isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith("PGDOCK_");
            capture.assertClean(refused);
            Throwable byName = catchThrowable(() -> TargetResolver.environment(prefixed("PGDOCK_TARGET_W_", env))
                    .resolve("w"));
            assertThat(byName).isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith("PGDOCK_TARGET_W_");
            capture.assertClean(byName);
        }
    }

    private static Map<String, String> prefixed(String prefix, Map<String, String> env) {
        Map<String, String> out = new HashMap<>();
        env.forEach((name, value) -> out.put(name.replace("PGDOCK_", prefix), value));
        return out;
    }

    @Test
    void aClientKeyPasswordRightOrWrongIsNeverShown(@org.junit.jupiter.api.io.TempDir Path directory) {
        io.pgdock.testing.TestCertificates certs = io.pgdock.testing.TestCertificates.create(directory);
        LeakCapture keyPassword = capture.secret(certs.clientKeyPassword());
        try (ThrowawayPostgres tls = ThrowawayPostgres.builder().tls(certs)
                        .requireClientCertificate(certs.clientRole()).start()) {
            ConnectionSpec client = tls.adminSpec().toBuilder().host("localhost").user(certs.clientRole())
                    .schema("public").sslMode(io.pgdock.core.SslMode.VERIFY_FULL)
                    .option("sslrootcert", certs.caCertificate().toString())
                    .option("sslcert", certs.client().certificate().toString())
                    .option("sslkey", certs.encryptedClientKey().toString()).build();
            ConnectionSpec wrong = client.toBuilder().sslPassword(SSL_PASSWORD).build();
            ConnectionSpec right = client.toBuilder().sslPassword(certs.clientKeyPassword()).build();
            keyPassword.assertClean("ConnectionSpec.toString()", wrong.toString() + right);

            Throwable refused = catchThrowable(() -> Storage.open(wrong));
            assertThat(refused).isInstanceOfSatisfying(ConnectionFailedException.class,
                    e -> assertThat(e.reason()).isEqualTo(ConnectionFailedException.Reason.TLS))
                    .hasMessageContaining("a client certificate or key cannot be used: a wrong sslpassword");
            keyPassword.assertClean(refused);
            try (DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.defaults())) {
                keyPassword.assertClean(catchThrowable(() -> factory.warmUp(wrong)));
                keyPassword.assertClean("health of a refused target", factory.health(wrong).toString());
                factory.warmUp(right);
                keyPassword.assertClean("health", factory.health(right).toString());
            }
            for (ConnectionSpec spec : List.of(wrong, right)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                PgdockCli.execute(Map.of("PGDOCK_URL", client.toString(), "PGDOCK_SSLPASSWORD",
                        spec.sslPassword().orElseThrow()), new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(out, true, StandardCharsets.UTF_8), "health", "--json");
                keyPassword.assertClean("pgdock health", out.toString(StandardCharsets.UTF_8));
            }
            keyPassword.assertLogsClean();
        }
    }

    @Test
    void provisioningAndStorageWithRightAndWrongPasswords() throws Exception {
        Provisioning plan = Provisioning.forRuntime(runtime);
        capture.assertClean("Provisioning.script()", plan.script());
        capture.assertClean("Provisioning.statements()", String.join("\n", plan.statements()));
        capture.assertClean("Provisioning.toString()", plan.toString());
        plan.apply(server.adminSpec());
        plan.apply(server.adminSpec());

        StorageOptions options = StorageOptions.builder().createSchema(true).maximumPoolSize(2).minimumIdle(1).build();
        Throwable wrong = catchThrowable(() -> Storage.open(runtime.toBuilder().password(NEW_PASSWORD).build(), options));
        assertThat(wrong).isInstanceOf(ConnectionFailedException.class);
        assertThat(((ConnectionFailedException) wrong).reason()).isEqualTo(ConnectionFailedException.Reason.AUTHENTICATION);
        capture.assertClean(wrong);
        try (Storage storage = Storage.open(runtime, options)) {
            capture.assertClean("Storage.toString()", storage.toString());
            capture.assertClean("Health", storage.health().toString());
            capture.assertClean("Storage.spec()", storage.spec().toString());
            try (Connection c = storage.dataSource().getConnection()) {
                capture.assertClean("Connection.toString()", c.toString());
                capture.assertClean("Connection metadata URL", c.getMetaData().getURL());
            }
            Throwable failed = catchThrowable(() -> storage.jdbi().useHandle(h -> h.execute("select * from nowhere")));
            capture.assertClean(failed);
        }
        assertThat(capture.lines()).as("pgjdbc logs through java.util.logging").anyMatch(l -> l.startsWith("org.postgresql"));
        assertThat(capture.lines()).as("HikariCP logs at DEBUG").anyMatch(l -> l.startsWith("com.zaxxer.hikari"));
        assertThat(capture.lines()).as("pgdock logs").anyMatch(l -> l.startsWith("io.pgdock"));
    }

    @Test
    void theFactoryWithAuthenticationFailuresAndRotation() throws Exception {
        Provisioning.forRuntime(runtime).apply(server.adminSpec());
        List<FactoryEvent> events = new CopyOnWriteArrayList<>();
        ConnectionSpec wrong = runtime.toBuilder().password(SECRET).build();
        try (DataSourceFactory factory = DataSourceFactory.pooled(FactoryOptions.builder().listener(events::add)
                .maximumPoolSize(2).failureBackoff(Duration.ofMillis(1)).build())) {
            Throwable refused = catchThrowable(() -> {
                try (Connection c = factory.get(wrong).getConnection()) {
                    c.isValid(1);
                }
            });
            assertThat(refused).isInstanceOfSatisfying(ConnectionFailedException.class,
                    e -> assertThat(e.reason()).isEqualTo(ConnectionFailedException.Reason.AUTHENTICATION))
                    .hasMessageContaining("authentication failed");
            capture.assertClean(refused);
            capture.assertClean("health of a refused target", factory.health(wrong).toString());

            try (Connection c = factory.get(runtime).getConnection()) {
                assertThat(c.isValid(1)).isTrue();
            }
            // Rotate: the server learns the new password, then the spec with it arrives.
            ConnectionSpec rotated = runtime.toBuilder().password(NEW_PASSWORD).build();
            Provisioning.forRuntime(rotated).apply(server.adminSpec());
            try (Connection c = factory.get(rotated).getConnection()) {
                assertThat(c.isValid(1)).isTrue();
            }
            Throwable stale = catchThrowable(() -> {
                try (Connection c = factory.get(runtime).getConnection()) {
                    c.isValid(1);
                }
            });
            capture.assertClean(stale);
            capture.assertClean("targets()", factory.targets().toString());
            capture.assertClean("factory", factory.toString());
            capture.assertClean("health", factory.health(rotated).toString());
            Provisioning.forRuntime(runtime).apply(server.adminSpec());
        }
        assertThat(events).extracting(FactoryEvent::type).contains(FactoryEvent.Type.FAILED, FactoryEvent.Type.ROTATED);
        for (FactoryEvent event : events) {
            capture.assertClean("event", event.toString());
            capture.assertClean("event detail", String.valueOf(event.detail()));
        }
    }

    @Test
    void configStoreSecrets() throws Exception {
        KeyProvider keys = KeyProvider.of("k1", Map.of("k1", new SecretKeySpec(KEY, "AES")));
        ConfigOptions withKeys = ConfigOptions.builder().keys(keys)
                .schema("checked.", "{\"type\": \"object\", \"properties\": {\"port\": {\"type\": \"integer\"}}}")
                .build();
        ConfigStore store = ConfigStore.postgres(storage(), withKeys);
        List<ConfigEvent> seen = new CopyOnWriteArrayList<>();
        try (ConfigSubscription watch = store.watch("", seen::add)) {
            ConfigEntry whole = store.putSecret("smtp.password", SECRET);
            ConfigEntry part = store.put("db", Map.of("url", "jdbc:postgresql://db/app", "password",
                    Secret.of(OTHER_SECRET)));
            assertThat(store.get("smtp.password", String.class)).contains(SECRET);
            assertThat(store.parts().get("db", "/password", String.class)).contains(OTHER_SECRET);
            Wait.until(Duration.ofSeconds(60), () -> seen.size() >= 2, "both writes are watched");
            assertThat(watch).isNotNull();
            for (Object shown : List.of(whole, part, store.entry("db").orElseThrow(), store.policy().explain("db"),
                    store.policy().explain("smtp.password"), store.history("db"), store.history("smtp.password"),
                    store.list(""), store, Secret.of(SECRET), seen)) {
                capture.assertClean("toString of " + shown.getClass().getSimpleName(), shown.toString());
            }
            StringWriter export = new StringWriter();
            store.transfer().export(ExportOptions.builder().build(), export);
            capture.assertClean("export", export.toString());
            capture.assertClean("export (leaveOutSecrets)", store.transfer().export(ExportOptions.builder().leaveOutSecrets()
                    .build()).toString());

            ConfigStore staging = store.inScope("staging");
            staging.putSecret("smtp.password", "other-" + SECRET.length());
            ImportResult preview = staging.transfer().importFrom(new StringReader(export.toString()),
                    ImportOptions.builder().onConflict(ConflictMode.FAIL).dryRun().build());
            capture.assertClean("import dry-run diff", preview.diff());
            capture.assertClean("import result", preview.toString());
            Throwable conflict = catchThrowable(() -> staging.transfer().importFrom(new StringReader(export.toString()),
                    ImportOptions.defaults()));
            capture.assertClean(conflict);

            Throwable invalid = catchThrowable(() -> store.put("checked.x", Map.of("port", Secret.of(SECRET))));
            assertThat(invalid).isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("config key \"checked.x\": value does not match the JSON Schema");
            capture.assertClean(invalid);
            Throwable invalidPlain = catchThrowable(() -> store.put("checked.y", Map.of("port", SECRET)));
            assertThat(invalidPlain).isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("config key \"checked.y\": value does not match the JSON Schema");
            capture.assertClean(invalidPlain);
            Throwable badJson = catchThrowable(() -> store.putJson("checked.z", "{\"port\": \"" + SECRET + "\", }"));
            capture.assertClean(badJson);

            // Re-encrypt under a new current key, then read with a store that has the wrong key or none.
            KeyProvider rotated = KeyProvider.of("k2", Map.of("k2", new SecretKeySpec(OTHER_KEY, "AES"),
                    "k1", new SecretKeySpec(KEY, "AES")));
            ConfigStore rotating = ConfigStore.postgres(storage(), ConfigOptions.builder().keys(rotated).build());
            assertThat(rotating.policy().reencrypt("").total()).isGreaterThanOrEqualTo(2);
            KeyProvider wrongKey = KeyProvider.of("k2", Map.of("k2", new SecretKeySpec(KEY, "AES")));
            for (ConfigStore reader : List.of(ConfigStore.postgres(storage(), ConfigOptions.builder().keys(wrongKey).build()),
                    ConfigStore.postgres(storage()))) {
                for (String key : List.of("smtp.password", "db")) {
                    Throwable denied = catchThrowable(() -> reader.get(key));
                    assertThat(denied).isInstanceOf(ConfigSecretException.class).hasMessageContaining(key);
                    capture.assertClean(denied);
                }
            }
            for (Object raw : storage().jdbi().withHandle(h -> h.createQuery(
                    "select value::text from config_entry union all select coalesce(new_value::text, '') "
                            + "|| coalesce(old_value::text, '') from config_history").mapTo(String.class).list())) {
                capture.assertClean("a stored value read with plain SQL", raw.toString());
            }
        }
        capture.assertClean("watched events", seen.toString());
    }

    /**
     * Environment overrides ({@code PGDOCK_VAR_<KEY>}) of keys stored as secrets: explain, toString, binding and
     * ambiguity errors, refused variables, and the WARN a write of an overridden key logs, which names the key and the
     * variable once and never a value.
     */
    @Test
    void environmentOverridesOfSecrets() {
        KeyProvider keys = KeyProvider.of("k1", Map.of("k1", new SecretKeySpec(KEY, "AES")));
        Map<String, String> env = Map.of("PGDOCK_VAR_ENV__SMTP__PASSWORD", SECRET,
                "PGDOCK_VAR_ENV__DB", "{\"password\": \"" + OTHER_SECRET + "\"}", "PGDOCK_VAR_ENV__TOKEN", SECRET);
        ConfigStore store = ConfigStore.postgres(storage(), ConfigOptions.builder().keys(keys)
                .environmentOverrides(env).build()).inScope("env-leak");
        store.putSecret("env.smtp.password", "stored-" + SECRET.length());
        store.put("env.db", Map.of("password", Secret.of("stored-" + OTHER_SECRET.length())));
        store.putSecret("env.Token", "x");
        for (int i = 0; i < 3; i++) {
            store.putSecret("env.smtp.password", "again-" + i);   // warned about once
        }
        store.parts().patch("env.db", Map.of("user", "app"));
        assertThat(store.delete("env.smtp.password")).isTrue();
        store.putSecret("env.smtp.password", "back");
        assertThat(store.get("env.smtp.password", String.class)).contains(SECRET);
        for (Object shown : List.of(store.policy().explain("env.smtp.password"), store.policy().explain("env.db"),
                store.entry("env.smtp.password").orElseThrow(), store.list("env.d"), store.list("env.s"), store)) {
            capture.assertClean("toString of " + shown.getClass().getSimpleName(), shown.toString());
        }
        assertThat(store.policy().explain("env.smtp.password").entry().orElseThrow().value().asText())
                .isEqualTo(Secret.REDACTED);
        assertThat(store.policy().explain("env.db").entry().orElseThrow().value().toString()).doesNotContain(OTHER_SECRET);
        Throwable binding = catchThrowable(() -> store.get("env.smtp.password", Integer.class));
        assertThat(binding).isInstanceOf(ConfigBindingException.class)
                .hasMessageContaining("PGDOCK_VAR_ENV__SMTP__PASSWORD");
        capture.assertClean(binding);
        Throwable ambiguous = catchThrowable(() -> store.get("env.Token"));
        assertThat(ambiguous).isInstanceOf(InvalidConfigException.class).hasMessageContaining("PGDOCK_VAR_ENV__TOKEN");
        capture.assertClean(ambiguous);
        Throwable refused = catchThrowable(() -> ConfigOptions.builder()
                .environmentOverrides(Map.of("PGDOCK_VAR_X", "{\"password\": \"" + SECRET + "\"")));
        assertThat(refused).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PGDOCK_VAR_X");
        capture.assertClean(refused);
        Throwable tooLong = catchThrowable(() -> ConfigOptions.builder().maxValueBytes(16)
                .environmentOverrides(Map.of("PGDOCK_VAR_X", SECRET + SECRET)).build());
        assertThat(tooLong).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PGDOCK_VAR_X");
        capture.assertClean(tooLong);

        List<String> warnings = capture.lines().stream().filter(l -> l.contains(" WARN ")
                && l.contains("the environment variable")).toList();
        assertThat(warnings).as("one WARN per overridden key written: %s", warnings).hasSize(2);
        assertThat(warnings).anySatisfy(l -> assertThat(l).contains("\"env.smtp.password\" was written in scope"
                + " \"env-leak\"").contains("PGDOCK_VAR_ENV__SMTP__PASSWORD"));
        assertThat(warnings).anySatisfy(l -> assertThat(l).contains("\"env.db\" was written")
                .contains("PGDOCK_VAR_ENV__DB"));
    }

    /**
     * The ops command line, run in this process (so its log lines are captured too) against the server that checks
     * passwords: the password in the environment and in a URL, secrets written, read, listed, exported, imported,
     * watched and explained, a wrong password, a server that is down and a bad URL, each with and without
     * {@code --json} and {@code --verbose}. Only {@code --show-secrets} may print a secret, and it is not used here.
     */
    @Test
    void theCommandLineTool() throws Exception {
        Provisioning.forRuntime(runtime).apply(server.adminSpec());
        String url = "postgresql://leak_app@localhost:" + server.port() + "/postgres?currentSchema=leak";
        Map<String, String> env = Map.of("PGDOCK_URL", url, "PGDOCK_PASSWORD", PASSWORD,
                "PGDOCK_CONFIG_KEYS", "k1:" + KEY_TEXT, "PGDOCK_ADMIN_URL", server.adminSpec().toString(),
                "PGDOCK_TARGET_SMTP_URL", url, "PGDOCK_TARGET_SMTP_PASSWORD", PASSWORD);
        Map<String, String> wrongPassword = new HashMap<>(env);
        wrongPassword.put("PGDOCK_PASSWORD", NEW_PASSWORD);
        String passwordInUrl = "postgresql://leak_app:" + java.net.URLEncoder.encode(PASSWORD, StandardCharsets.UTF_8)
                + "@localhost:" + server.port() + "/postgres?currentSchema=leak";
        Path exported = Files.createTempFile("leak-export", ".json");
        try {
            List<List<String>> commands = List.of(
                    List.of("provision", "--print-sql"),
                    List.of("provision"),
                    List.of("migrate", "--print-sql"),
                    List.of("migrate"),
                    List.of("config", "set", "smtp.password", "--secret", "--string", SECRET),
                    List.of("config", "set", "db", "{\"password\": \"" + OTHER_SECRET + "\"}", "--secret"),
                    List.of("config", "set", "bad", "{\"password\": \"" + SECRET + "\",", "--secret"),
                    List.of("config", "set", "smtp.password", "--secret", "--string", SECRET, "--expect-version", "1"),
                    List.of("config", "get", "smtp.password"),
                    List.of("config", "get", "db", "--pointer", "/password", "--json"),
                    List.of("config", "list", "", "--json"),
                    List.of("config", "list"),
                    List.of("config", "history", "smtp.password"),
                    List.of("config", "history", "db", "--json"),
                    List.of("config", "explain", "smtp.password", "--json"),
                    List.of("config", "export", "-o", exported.toString()),
                    List.of("config", "export", "--json"),
                    List.of("config", "import", exported.toString(), "--scope", "staging", "--dry-run", "--json"),
                    List.of("config", "import", exported.toString(), "--scope", "staging"),
                    List.of("config", "import", exported.toString(), "--scope", "staging", "--verbose"),
                    List.of("config", "watch", "smtp.", "--after", "0", "--count", "2", "--timeout", "30s", "--json"),
                    List.of("config", "rollback", "smtp.password", "--to-version", "1"),
                    List.of("health", "--target", "smtp", "--json"),
                    List.of("config", "get", "smtp.password", "--verbose", "--url", passwordInUrl),
                    List.of("config", "get", "smtp.password", "--url", passwordInUrl + "&bogus=1"),
                    List.of("health", "--url", "postgresql://leak_app:" + java.net.URLEncoder.encode(PASSWORD,
                            StandardCharsets.UTF_8) + "@localhost:1/postgres?currentSchema=leak", "--verbose"),
                    // Named connections: a password stored from a variable, shown, listed and tested (through the
                    // environment's PGDOCK_TARGET_SMTP_*), and a URL holding one refused.
                    List.of("connections", "add", "smtp", url, "--password-env", "PGDOCK_PASSWORD", "--replace"),
                    List.of("connections", "get", "smtp"),
                    List.of("connections", "get", "smtp", "--json"),
                    List.of("connections", "list", "--json"),
                    List.of("connections", "test", "smtp", "--json"),
                    List.of("connections", "add", "leaky", passwordInUrl),
                    // Command lines picocli refuses, which it would quote: a URL before the command, a mistyped
                    // option, a secret taken for an option, one too many, and values of typed options.
                    List.of("--url", passwordInUrl, "config", "get", "smtp.password"),
                    List.of("config", "get", "smtp.password", "--ulr", passwordInUrl),
                    List.of("config", "get", "smtp.password", "--ulr=" + passwordInUrl),
                    List.of("config", "set", "smtp.password", "--secret", "--string", "-" + SECRET),
                    List.of("config", "set", "smtp.password", "--secret", "--string", SECRET, OTHER_SECRET),
                    List.of("config", "set", "smtp.password", "--secret", "--expect-version", SECRET, "2"),
                    List.of("config", "import", exported.toString(), "--mode", PASSWORD),
                    List.of("config", "watch", "smtp.", "--timeout", SECRET),
                    // A mistyped command before a secret: the typo is named ("did you mean 'set'"), the secret is not.
                    List.of("config", "sett", "smtp.password", "--secret", "--string", SECRET));
            Map<String, Integer> exitCodes = new HashMap<>();
            for (List<String> command : commands) {
                // provision sets the role's password, so it is not run with the wrong one.
                for (Map<String, String> environment : command.get(0).equals("provision") ? List.of(env)
                        : List.of(env, wrongPassword)) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    ByteArrayOutputStream err = new ByteArrayOutputStream();
                    int code = PgdockCli.execute(environment, new PrintStream(out, true, StandardCharsets.UTF_8),
                            new PrintStream(err, true, StandardCharsets.UTF_8), command.toArray(String[]::new));
                    String where = "pgdock " + String.join(" ", command)
                            + (environment == env ? "" : " (wrong password)");
                    exitCodes.put(where, code);
                    assertNoSecretIn(where + ": stdout", out.toString(StandardCharsets.UTF_8));
                    assertNoSecretIn(where + ": stderr", err.toString(StandardCharsets.UTF_8));
                }
            }
            capture.assertClean("the exported file", Files.readString(exported));
            // The scenarios did real work and failed where they should: the secrets were stored and read back, ...
            ConfigStore store = ConfigStore.postgres(cliStorage(), ConfigOptions.builder()
                    .keys(KeyProvider.fromEnvironment(env)).build());
            assertThat(store.get("smtp.password", String.class)).contains(SECRET);
            assertThat(store.inScope("staging").parts().get("db", "/password", String.class)).contains(OTHER_SECRET);
            // ... a wrong password, a server that is down and bad input failed, with their exit codes.
            assertThat(exitCodes).containsEntry("pgdock config get smtp.password", PgdockCli.OK)
                    .containsEntry("pgdock config get smtp.password (wrong password)", PgdockCli.FAILURE)
                    .containsEntry("pgdock config export --json", PgdockCli.OK)
                    .containsEntry("pgdock health --target smtp --json", PgdockCli.OK)
                    .containsEntry("pgdock " + String.join(" ", commands.get(6)), PgdockCli.USAGE)
                    .containsEntry("pgdock " + String.join(" ", commands.get(24)), PgdockCli.USAGE)
                    .containsEntry("pgdock " + String.join(" ", commands.get(25)), PgdockCli.FAILURE);
            assertThat(exitCodes).containsEntry("pgdock " + String.join(" ", commands.get(26)), PgdockCli.OK)
                    .containsEntry("pgdock " + String.join(" ", commands.get(27)), PgdockCli.OK)
                    .containsEntry("pgdock " + String.join(" ", commands.get(30)), PgdockCli.OK)
                    .containsEntry("pgdock " + String.join(" ", commands.get(31)), PgdockCli.USAGE);
            for (List<String> refused : commands.subList(32, commands.size())) {
                assertThat(exitCodes).containsEntry("pgdock " + String.join(" ", refused), PgdockCli.USAGE);
            }
        } finally {
            Files.deleteIfExists(exported);
        }
    }

    private static Storage cliStorage;

    /** Storage as the runtime role, in the schema the command line's scenario uses. */
    private static synchronized Storage cliStorage() {
        if (cliStorage == null) {
            cliStorage = Storage.open(runtime, StorageOptions.builder().autoMigrate(false).maximumPoolSize(1)
                    .minimumIdle(0).build());
        }
        return cliStorage;
    }

    @Test
    void keyProvidersDoNotEchoKeyMaterial() {
        String shortKey = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(KEY, 31));
        List<String> badValues = List.of("k1:" + shortKey, "k1:" + KEY_TEXT + "!", "k1" + KEY_TEXT,
                "k1:" + KEY_TEXT + ",k1:" + KEY_TEXT, "bad id!:" + KEY_TEXT, "k1:" + KEY_TEXT + ",,k2:" + KEY_TEXT,
                "k1:" + new String(KEY, StandardCharsets.US_ASCII));
        for (String value : badValues) {
            Throwable refused = catchThrowable(() -> KeyProvider.fromEnvironment(Map.of("PGDOCK_CONFIG_KEYS", value)));
            assertThat(refused).as(value).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("PGDOCK_CONFIG_KEYS");
            capture.assertClean(refused);
            assertThat(refused.getMessage()).doesNotContain(shortKey);
        }
        KeyProvider good = KeyProvider.fromEnvironment(Map.of("PGDOCK_CONFIG_KEYS", "k1:" + KEY_TEXT));
        capture.assertClean("KeyProvider.toString()", good.toString());
    }

    private static Storage storage;

    private static synchronized Storage storage() {
        if (storage == null) {
            storage = Storage.open(PG.spec().toBuilder().schema("app").build(),
                    StorageOptions.builder().createSchema(true).maximumPoolSize(3).minimumIdle(0).build());
        }
        return storage;
    }

    @AfterAll
    static void closeStorage() {
        if (storage != null) {
            storage.close();
        }
        if (cliStorage != null) {
            cliStorage.close();
        }
    }
}
