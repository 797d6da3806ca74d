package io.pgdock.datasource.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigConflictException;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigSecretException;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Endpoint;
import io.pgdock.core.InvalidConnectionSpecException;
import io.pgdock.core.TargetServerType;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.UnknownTargetException;
import io.pgdock.testing.PgdockExtension;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The registry's behaviour, run against every store it may be given: {@link PostgresConnectionRegistryTest} (the
 * PostgreSQL config store) and {@link InMemoryConnectionRegistryTest} ({@link ConfigStore#inMemory()}). The targets it
 * connects to are real databases of the test server.
 */
abstract class ConnectionRegistryContract {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    static final KeyProvider KEYS = KeyProvider.of("k1", Map.of("k1", new SecretKeySpec(new byte[32], "AES")));

    /** A new, empty store with these options. */
    abstract ConfigStore newStore(ConfigOptions options);

    ConfigStore store() {
        return newStore(ConfigOptions.builder().keys(KEYS).build());
    }

    /** The value as stored, secrets still encrypted (an export holds ciphertext). */
    static JsonNode stored(ConfigStore configs, String key) {
        for (JsonNode e : configs.transfer().export(key).get("entries")) {
            if (e.get("key").asText().equals(key)) {
                return e.get("value");
            }
        }
        throw new AssertionError("no entry " + key + " in scope " + configs.scope());
    }

    private static ConnectionSpec everything() {
        return ConnectionSpec.parse("postgresql://reader:s3cret-pw@db.internal:6432/sales?currentSchema=mart"
                        + "&sslmode=verify-full&sslrootcert=/etc/pgdock/ca.crt&sslcert=/etc/pgdock/etl.crt"
                        + "&sslkey=/etc/pgdock/etl.pk8&ApplicationName=etl&connectTimeout=7&socketTimeout=30"
                        + "&statementTimeout=30000&lockTimeout=5000&idleInTransactionSessionTimeout=60000"
                        + "&readOnly=true&targetServerType=preferSecondary&tcpKeepAlive=true&prepareThreshold=0")
                .toBuilder().sslPassword("key-pw").build();
    }

    @Test
    void whatIsPutResolvesToAnEqualSpecWithItsPassword() {
        ConnectionRegistry registry = ConnectionRegistry.of(store());
        ConnectionSpec minimal = ConnectionSpec.builder().host("h").database("d").user("u").build();
        ConnectionSpec multiHost = ConnectionSpec.builder().endpoints(List.of(new Endpoint("db1", 5432),
                new Endpoint("db2", 5433))).database("app").user("app").password("pw").schema("ingest")
                .targetServerType(TargetServerType.PRIMARY).build();
        Map<String, ConnectionSpec> specs = Map.of("minimal", minimal, "multi-host", multiHost, "everything.eu",
                everything());

        specs.forEach(registry::put);

        specs.forEach((name, spec) -> {
            ConnectionSpec resolved = registry.resolve(name).orElseThrow();
            assertThat(resolved).as(name).isEqualTo(spec);   // equality includes the passwords' fingerprints
            assertThat(resolved.password()).as(name).isEqualTo(spec.password());
            assertThat(resolved.sslPassword()).as(name).isEqualTo(spec.sslPassword());
        });
        assertThat(registry.resolve("other")).isEmpty();
        assertThat(registry.names()).containsExactly("everything.eu", "minimal", "multi-host");
    }

    @Test
    void theStoredShapeIsOneObjectOfNamedFieldsWithThePasswordsEncrypted() {
        ConfigStore configs = store();
        ConnectionRegistry.of(configs).put("warehouse", everything());

        JsonNode value = stored(configs, "pgdock.connections.warehouse");
        assertThat(value.toString()).doesNotContain("s3cret-pw").doesNotContain("key-pw");
        assertThat(value.get("password").has("$pgdock_secret")).as("password stored as a secret: %s", value).isTrue();
        assertThat(value.get("sslpassword").has("$pgdock_secret")).isTrue();
        assertThat(value.get("host").asText()).isEqualTo("db.internal");
        assertThat(value.get("port").asInt()).isEqualTo(6432);
        assertThat(value.get("sslmode").asText()).isEqualTo("verify-full");
        assertThat(value.get("sslrootcert").asText()).isEqualTo("/etc/pgdock/ca.crt");
        assertThat(value.get("connectTimeout").asLong()).isEqualTo(7);
        assertThat(value.get("statementTimeout").asLong()).isEqualTo(30000);
        assertThat(value.get("options").toString()).isEqualTo("{\"tcpKeepAlive\":\"true\",\"prepareThreshold\":\"0\"}");
        assertThat(configs.history("pgdock.connections.warehouse").get(0).newValue().toString())
                .doesNotContain("s3cret-pw");
    }

    @Test
    void getAndListDescribeStoredConnectionsWithoutTheirPasswords() {
        ConfigStore configs = store();
        ConnectionRegistry registry = ConnectionRegistry.of(configs.as("ops"));
        StoredConnection put = registry.put("warehouse", everything());
        registry.put("plain", ConnectionSpec.parse("postgresql://u@h/d"));

        StoredConnection got = registry.get("warehouse").orElseThrow();
        assertThat(got).isEqualTo(put);
        assertThat(got.spec()).isEqualTo(everything().toBuilder().password(null).sslPassword(null).build());
        assertThat(got.password()).isEqualTo(StoredConnection.Password.SECRET);
        assertThat(got.sslPassword()).isEqualTo(StoredConnection.Password.SECRET);
        assertThat(got.version()).isEqualTo(1);
        assertThat(got.updatedBy()).isEqualTo("ops");
        assertThat(got.scope()).isEmpty();
        assertThat(got.key()).isEqualTo("pgdock.connections.warehouse");
        assertThat(got.toString()).doesNotContain("s3cret-pw").doesNotContain("key-pw");
        assertThat(got.fields()).containsEntry("password", "***").containsEntry("sslpassword", "***")
                .containsEntry("host", "db.internal").containsEntry("port", 6432)
                .containsEntry("sslrootcert", "/etc/pgdock/ca.crt").containsEntry("readOnly", true);
        assertThat(got.fields().keySet()).startsWith("host", "port", "database", "user", "password", "schema");
        assertThat(got.fields().toString()).doesNotContain("s3cret-pw").doesNotContain("key-pw");
        assertThat(registry.list()).extracting(StoredConnection::name, StoredConnection::password)
                .containsExactly(tuple("plain", StoredConnection.Password.NONE),
                        tuple("warehouse", StoredConnection.Password.SECRET));
        assertThat(registry.get("nope")).isEmpty();
    }

    @Test
    void listingNeedsNoMasterKeyButResolvingAPasswordDoes() {
        ConfigStore withKey = store();
        ConnectionRegistry.of(withKey).put("warehouse", everything());
        ConfigStore withoutKey = sameStoreWithoutKeys(withKey);
        ConnectionRegistry registry = ConnectionRegistry.of(withoutKey);

        assertThat(registry.get("warehouse").orElseThrow().password()).isEqualTo(StoredConnection.Password.SECRET);
        assertThat(registry.list()).hasSize(1);
        assertThatThrownBy(() -> registry.resolve("warehouse")).isInstanceOf(ConfigSecretException.class)
                .hasMessageContaining("pgdock.connections.warehouse");
        assertThatThrownBy(() -> registry.put("other", everything())).isInstanceOf(ConfigSecretException.class);
    }

    /** The same stored data, read by a store without a key provider. */
    abstract ConfigStore sameStoreWithoutKeys(ConfigStore withKeys);

    @Test
    void aPlainTextPasswordWrittenAroundTheRegistryConnectsAndIsReportedAsPlainText() {
        ConfigStore configs = store();
        configs.put("pgdock.connections.legacy", Map.of("host", "h", "database", "d", "user", "u",
                "password", "plain-pw"));
        ConnectionRegistry registry = ConnectionRegistry.of(configs);

        assertThat(registry.resolve("legacy").orElseThrow().password()).contains("plain-pw");
        StoredConnection legacy = registry.get("legacy").orElseThrow();
        assertThat(legacy.password()).isEqualTo(StoredConnection.Password.PLAIN_TEXT);
        assertThat(legacy.toString()).doesNotContain("plain-pw");
    }

    @Test
    void anInvalidStoredConnectionIsRefusedNamingTheConnectionTheFieldAndTheBadValue() {
        ConfigStore configs = store();
        ConnectionRegistry registry = ConnectionRegistry.of(configs);
        Map<String, Object> good = new LinkedHashMap<>(Map.of("host", "h", "database", "d", "user", "u"));

        assertInvalid(configs, registry, "typo", with(good, "databse", "x"), "databse",
                "databse: unknown field (did you mean database?); the fields are host, hosts, port,");
        assertInvalid(configs, registry, "port", with(good, "port", 70000), "port",
                "port: must be a whole number from 1 to 65535, but was 70000");
        assertInvalid(configs, registry, "port-text", with(good, "port", "5432"), "port",
                "port: must be a whole number from 1 to 65535, but was \"5432\"");
        assertInvalid(configs, registry, "no-db", Map.of("host", "h", "user", "u"), "database",
                "database: is missing");
        assertInvalid(configs, registry, "sslmode", with(good, "sslmode", "sometimes"), "sslmode",
                "sslmode: must be one of disable, allow, prefer, require, verify-ca, verify-full, but was "
                        + "\"sometimes\"");
        assertInvalid(configs, registry, "host", with(good, "host", "bad host"), "host",
                "host: must be a host name or IP address (letters, digits, '.', '-', '_', ':', '%'), but was "
                        + "\"bad host\"");
        assertInvalid(configs, registry, "both", with(good, "hosts", List.of(Map.of("host", "a"))), "hosts",
                "hosts: give either host (and port) or hosts, not both");
        assertInvalid(configs, registry, "hosts-port", Map.of("hosts", List.of(Map.of("host", "a"),
                        Map.of("host", "b", "port", 0)), "database", "d", "user", "u"), "hosts[1].port",
                "hosts[1].port: must be a whole number from 1 to 65535, but was 0");
        assertInvalid(configs, registry, "option", with(good, "options", Map.of("sslfactory", "x.Y")),
                "options.sslfactory", "options.sslfactory: is not allowed: it makes pgjdbc load");
        assertInvalid(configs, registry, "option-file", with(good, "options", Map.of("sslrootcert", "/ca")),
                "options.sslrootcert", "options.sslrootcert: give it as the field sslrootcert, not as an option");
        assertInvalid(configs, registry, "timeout", with(good, "connectTimeout", -1), "connectTimeout",
                "connectTimeout: must be a whole number from 0 to 2147483647 (seconds), but was -1");
        assertInvalid(configs, registry, "array", List.of("h"), "",
                "): must be a JSON object with the fields host, hosts,");

        // A password of the wrong type: the type is named, never the value.
        configs.put("pgdock.connections.pw", with(good, "password", 123456789));
        assertThatThrownBy(() -> registry.resolve("pw")).isInstanceOf(InvalidConnectionException.class)
                .hasMessageContaining("password: must be text (stored as a secret), but was a JSON number")
                .hasMessageNotContaining("123456789");
    }

    private static Map<String, Object> with(Map<String, Object> base, String field, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(base);
        m.put(field, value);
        return m;
    }

    private static void assertInvalid(ConfigStore configs, ConnectionRegistry registry, String name, Object value,
            String field, String problem) {
        configs.put("pgdock.connections." + name, value);
        String prefix = "connection \"" + name + "\" (config key \"pgdock.connections." + name + "\", scope (root))";
        for (Runnable read : List.<Runnable>of(() -> registry.resolve(name), () -> registry.get(name),
                registry::list)) {
            assertThatThrownBy(read::run).as("%s: %s", name, value)
                    .isInstanceOfSatisfying(InvalidConnectionException.class, e -> {
                        assertThat(e.field()).isEqualTo(field);
                        assertThat(e.name()).isEqualTo(name);
                        assertThat(e.key()).isEqualTo("pgdock.connections." + name);
                    })
                    .hasMessageStartingWith(prefix).hasMessageContaining(problem);
        }
        configs.delete("pgdock.connections." + name);
    }

    @Test
    void writesAreVersionedAndCompareAndSet() {
        ConfigStore configs = store();
        ConnectionRegistry registry = ConnectionRegistry.of(configs.as("ops").because("new warehouse"));
        ConnectionSpec spec = ConnectionSpec.parse("postgresql://u@h/d");

        StoredConnection first = registry.put("wh", spec, 0);
        assertThatThrownBy(() -> registry.put("wh", spec, 0)).isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("pgdock.connections.wh");
        StoredConnection second = registry.put("wh", spec.toBuilder().port(6432).build(), first.version());
        assertThat(second.version()).isEqualTo(2);
        assertThat(second.spec().port()).isEqualTo(6432);
        assertThatThrownBy(() -> registry.delete("wh", first.version())).isInstanceOf(ConfigConflictException.class);
        assertThat(configs.history(ConnectionRegistry.key("wh"))).extracting(c -> c.actor(), c -> c.why().orElse(""))
                .containsOnly(tuple("ops", "new warehouse"));
        assertThat(registry.delete("wh", second.version())).isTrue();
        assertThat(registry.delete("wh")).isFalse();
        assertThat(registry.get("wh")).isEmpty();
    }

    @Test
    void aBadNameIsRefusedBeforeTheStoreIsAsked() {
        ConnectionRegistry registry = ConnectionRegistry.of(store());
        ConnectionSpec spec = ConnectionSpec.parse("postgresql://u@h/d");
        assertThatThrownBy(() -> registry.put("a/b", spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("target name \"a/b\" is not valid");
        assertThatThrownBy(() -> registry.get("")).hasMessageStartingWith("target name \"\" is not valid");
    }

    @Test
    void aScopedRegistryReadsItsScopeThenItsParentsAndWritesItsOwn() {
        ConfigStore configs = store();
        ConnectionRegistry root = ConnectionRegistry.of(configs);
        ConnectionRegistry prod = ConnectionRegistry.of(configs.inScope("prod/ingest"));
        root.put("wh", ConnectionSpec.parse("postgresql://u@root-host/d"));
        root.put("shared", ConnectionSpec.parse("postgresql://u@shared-host/d"));
        prod.put("wh", ConnectionSpec.parse("postgresql://u@prod-host/d"));

        assertThat(prod.resolve("wh").orElseThrow().host()).isEqualTo("prod-host");
        assertThat(prod.find("wh").orElseThrow().scope()).isEqualTo("prod/ingest");
        assertThat(prod.resolve("shared").orElseThrow().host()).isEqualTo("shared-host");
        assertThat(prod.list()).extracting(StoredConnection::name, StoredConnection::scope).containsExactly(
                tuple("shared", ""),
                tuple("wh", "prod/ingest"));
        assertThat(root.resolve("wh").orElseThrow().host()).isEqualTo("root-host");
    }

    @Test
    void theEnvironmentWinsOverTheStoredConnectionAsAWhole() {
        ConfigStore configs = store();
        ConnectionRegistry stored = ConnectionRegistry.of(configs);
        stored.put("warehouse", ConnectionSpec.parse("postgresql://stored@stored-host/stored_db")
                .toBuilder().password("stored-pw").build());
        Map<String, String> env = new java.util.HashMap<>();
        ConnectionRegistry registry = stored.withEnvironment(env);

        ConnectionRegistry.Resolution fromStore = registry.find("warehouse").orElseThrow();
        assertThat(fromStore.source()).isEqualTo(ConnectionRegistry.Source.CONFIG_STORE);
        assertThat(fromStore.origin())
                .isEqualTo("config key \"pgdock.connections.warehouse\" in scope (root), version 1");

        env.put("PGDOCK_TARGET_WAREHOUSE_URL", "postgresql://env-user@env-host:6543/env_db");
        env.put("PGDOCK_TARGET_WAREHOUSE_PASSWORD", "env-pw");
        ConnectionRegistry.Resolution fromEnv = registry.find("warehouse").orElseThrow();
        assertThat(fromEnv.source()).isEqualTo(ConnectionRegistry.Source.ENVIRONMENT);
        assertThat(fromEnv.origin()).isEqualTo("the environment (PGDOCK_TARGET_WAREHOUSE_*)");
        assertThat(fromEnv.scope()).isNull();
        assertThat(registry.resolve("warehouse").orElseThrow()).isEqualTo(
                ConnectionSpec.parse("postgresql://env-user:env-pw@env-host:6543/env_db"));
        assertThat(stored.resolve("warehouse").orElseThrow().host()).as("without withEnvironment")
                .isEqualTo("stored-host");
        assertThat(registry.get("warehouse").orElseThrow().spec().host()).as("get is about the store")
                .isEqualTo("stored-host");

        // Fields are not merged: a password alone is refused, naming what is missing, not filled from the store.
        env.remove("PGDOCK_TARGET_WAREHOUSE_URL");
        assertThatThrownBy(() -> registry.resolve("warehouse")).isInstanceOf(InvalidConnectionSpecException.class)
                .hasMessageContaining("PGDOCK_TARGET_WAREHOUSE_HOST").hasMessageNotContaining("env-pw");

        // A name only the environment knows.
        env.put("PGDOCK_TARGET_OTHER_URL", "postgresql://o@other-host/o");
        assertThat(registry.resolve("other").orElseThrow().host()).isEqualTo("other-host");
    }

    @Test
    void aFactoryReachesStoredConnectionsFollowsAPasswordChangeAndRefusesUnknownNames() {
        ConfigStore configs = store();
        ConnectionRegistry registry = ConnectionRegistry.of(configs);
        ConnectionSpec spec = PG.spec();
        registry.put("warehouse", spec.toBuilder().schema("public").build());
        try (DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder().resolver(registry)
                .build())) {
            String database = sources.jdbi("warehouse").withHandle(h -> h.select("SELECT current_database()")
                    .mapTo(String.class).one());
            assertThat(database).isEqualTo(PG.databaseName());
            assertThatThrownBy(() -> sources.get("billing"))
                    .isInstanceOfSatisfying(UnknownTargetException.class, e -> assertThat(e.name()).isEqualTo("billing"))
                    .hasMessageContaining("no target is named 'billing'");

            PG.jdbi().useHandle(h -> h.execute("ALTER ROLE \"" + spec.user() + "\" PASSWORD 'rotated-in-registry'"));
            try {
                registry.put("warehouse", spec.toBuilder().schema("public").password("rotated-in-registry").build());
                sources.jdbi("warehouse").useHandle(h -> h.execute("SELECT 1"));
                assertThat(sources.targets()).singleElement().satisfies(t ->
                        assertThat(t.spec().password()).contains("rotated-in-registry"));
            } finally {
                PG.jdbi().useHandle(h -> h.execute("ALTER ROLE \"" + spec.user() + "\" PASSWORD '"
                        + spec.password().orElseThrow() + "'"));
            }
        }
    }

    @Test
    void anInvalidStoredConnectionFailsTheFactoryNamingTheField() {
        ConfigStore configs = store();
        configs.put("pgdock.connections.bad", Map.of("host", "h", "database", "d", "user", "u", "port", 0));
        try (DataSourceFactory sources = DataSourceFactory.pooled(FactoryOptions.builder()
                .resolver(ConnectionRegistry.of(configs)).build())) {
            assertThatThrownBy(() -> sources.get("bad")).isInstanceOf(InvalidConnectionException.class)
                    .hasMessageContaining("connection \"bad\"").hasMessageContaining("port: must be a whole number");
        }
    }

    @Test
    void toStringNamesTheScopeAndTheOverride() {
        ConnectionRegistry registry = ConnectionRegistry.of(store().inScope("prod"));
        assertThat(registry.toString()).isEqualTo("ConnectionRegistry[scope=\"prod\", keys pgdock.connections.*]");
        assertThat(registry.withEnvironment(Map.of()).toString()).endsWith(", environment first "
                + "(PGDOCK_TARGET_<NAME>_*)]");
    }
}
