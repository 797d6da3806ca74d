package io.pgdock.reliability;

import static io.pgdock.reliability.HostileStrings.assertClearMessage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.InvalidConnectionSpecException;
import io.pgdock.core.Provisioning;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.datasource.TargetResolver;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Fuzzes the strings of a connection that reach SQL or the driver: schema names (through {@code Storage.open} with
 * {@code createSchema}), role and schema names of {@link Provisioning}, application names, URL parameters and their
 * names, environment variables and target names. Each is refused with an {@link InvalidConnectionSpecException} (or,
 * for target names, an {@link IllegalArgumentException}) whose message names the field and shows the value, or it
 * reaches the server literally; the catalogue ({@link HostileCatalog}) is the same before and after.
 */
class HostileConnectionTest {
    private static TestDatabase db;
    private static Jdbi admin;

    @BeforeAll
    static void createDatabase() {
        db = TestPostgres.get().createDatabase();
        admin = Jdbi.create(db.adminDataSource());
    }

    @AfterAll
    static void printOutcomes() {
        HostileStrings.printOutcomes("HostileConnectionTest");
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    /** Hostile strings short enough to be identifiers now and then. */
    private static Gen<String> shortHostile() {
        return HostileStrings.hostile().assuming(s -> s.length() <= 40);
    }

    @Test
    void schemaNamesAreQuotedOrRefused() {
        Fuzz.check("schemaNamesAreQuotedOrRefused", 60, shortHostile(), schema -> {
            Map<String, Object> before = HostileCatalog.snapshot(admin, null, null, null);
            Throwable refused = catchThrowable(() -> db.spec().toBuilder().schema(schema));
            HostileStrings.count("schemaNamesAreQuotedOrRefused", refused != null);
            if (refused != null) {
                assertThat(refused).isInstanceOf(InvalidConnectionSpecException.class);
                assertThat(((InvalidConnectionSpecException) refused).source()).isEqualTo("schema");
                assertClearMessage(refused, "schema", schema);
                return;
            }
            ConnectionSpec spec = db.spec().toBuilder().schema(schema).build();
            StorageOptions options = StorageOptions.builder().createSchema(true).discoverMigrations(false)
                    .autoMigrate(false).maximumPoolSize(1).minimumIdle(0).build();
            try (Storage storage = Storage.open(spec, options)) {
                String current = storage.jdbi().withHandle(h -> {
                    h.execute("create table hostile_probe (id int)");
                    return h.createQuery("select current_schema()").mapTo(String.class).one();
                });
                assertThat(current).as("current_schema() for %s", schema).isEqualTo(schema);
                int probes = admin.withHandle(h -> h.createQuery("select count(*) from pg_class c join pg_namespace n "
                        + "on n.oid = c.relnamespace where n.nspname = :s and c.relname = 'hostile_probe'")
                        .bind("s", schema).mapTo(Integer.class).one());
                assertThat(probes).isEqualTo(1);
            } finally {
                admin.useHandle(h -> h.execute("drop schema if exists " + quote(schema) + " cascade"));
            }
            assertThat(HostileCatalog.snapshot(admin, null, null, null)).isEqualTo(before);
        });
    }

    @Test
    void provisionedNamesAreQuotedOrRefused() {
        Fuzz.check("provisionedNamesAreQuotedOrRefused", 40, shortHostile(), name -> {
            String role = "pgdock_h" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36).substring(0, 5)
                    + name;
            String schema = "s" + name;
            Map<String, Object> before = HostileCatalog.snapshot(admin, null, null, null);
            Throwable refused = catchThrowable(() -> Provisioning.of(role, schema, db.name()));
            HostileStrings.count("provisionedNamesAreQuotedOrRefused", refused != null);
            if (refused != null) {
                assertThat(refused).isInstanceOf(InvalidConnectionSpecException.class);
                String source = ((InvalidConnectionSpecException) refused).source();
                assertThat(source).isIn("role", "schema");
                assertClearMessage(refused, source, source.equals("role") ? role : schema);
                return;
            }
            try {
                Provisioning.of(role, schema, db.name()).apply(db.adminDataSource());
                Optional<String> owner = admin.withHandle(h -> h.createQuery("select pg_get_userbyid(nspowner) "
                        + "from pg_namespace where nspname = :s").bind("s", schema).mapTo(String.class).findOne());
                assertThat(owner).as("owner of schema %s", schema).contains(role);
            } finally {
                admin.useHandle(h -> {
                    h.execute("drop schema if exists " + quote(schema) + " cascade");
                    if (h.createQuery("select count(*) from pg_roles where rolname = :r").bind("r", role)
                            .mapTo(Integer.class).one() > 0) {
                        h.execute("drop owned by " + quote(role) + " cascade");
                        h.execute("drop role " + quote(role));
                    }
                });
            }
            // Provisioning revokes CREATE on public once; that is its job, so the public schema's ACL is left out.
            before.remove("schemas");
            Map<String, Object> after = HostileCatalog.snapshot(admin, null, null, null);
            after.remove("schemas");
            assertThat(after).isEqualTo(before);
        });
    }

    @Test
    void applicationNamesReachTheServerLiterallyOrAreRefused() {
        Fuzz.check("applicationNamesReachTheServerLiterallyOrAreRefused", 100, shortHostile(), name -> {
            Throwable refused = catchThrowable(() -> db.spec().toBuilder().applicationName(name));
            Throwable refusedInUrl = catchThrowable(() -> ConnectionSpec.parse("postgresql://u@h/d?ApplicationName="
                    + encode(name)));
            HostileStrings.count("applicationNamesReachTheServerLiterallyOrAreRefused", refused != null);
            if (refused != null) {
                assertThat(refused).isInstanceOf(InvalidConnectionSpecException.class);
                assertClearMessage(refused, "applicationName", name);
                if (roundTrips(name)) {
                    assertThat(refusedInUrl).isInstanceOf(InvalidConnectionSpecException.class);
                    assertClearMessage(refusedInUrl, "parameter ApplicationName", name);
                }
                return;
            }
            assertThat(refusedInUrl).isNull();
            ConnectionSpec spec = db.spec().toBuilder().applicationName(name).build();
            try (Connection c = new org.postgresql.Driver().connect(spec.jdbcUrl(), spec.driverProperties());
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select application_name from pg_stat_activity where pid = pg_backend_pid()")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(name);
            }
        });
    }

    /** URL parameter names, the ones the driver knows and hostile ones. */
    private static Gen<String> parameterNames() {
        return Generate.oneOf(Generate.pick(List.of("currentSchema", "ApplicationName", "application_name", "user",
                "sslmode", "options", "tcpKeepAlive", "sslrootcert", "readOnly", "connectTimeout", "socketFactory",
                "sslfactory", "loggerLevel", "loggerFile")), HostileStrings.hostile());
    }

    @Test
    void urlParametersAreReadLiterallyOrRefused() {
        Gen<Pair<String, String>> parameters = parameterNames().zip(HostileStrings.hostile(), Pair::of)
                .describedAs(p -> "name " + HostileStrings.describe(p._1) + ", value " + HostileStrings.describe(p._2));
        Fuzz.check("urlParametersAreReadLiterallyOrRefused", 400, parameters, parameter -> {
            String name = parameter._1;
            String value = parameter._2;
            String url = "postgresql://app@db.example:5432/sales?" + encode(name) + "=" + encode(value);
            String decoded = new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            Throwable refused = catchThrowable(() -> ConnectionSpec.parse(url));
            if (name.equals("options") || name.equals("socketFactory") || name.equals("sslfactory")
                    || name.startsWith("logger")) {
                assertThat(refused).as("%s must be refused", name).isInstanceOf(InvalidConnectionSpecException.class);
            }
            HostileStrings.count("urlParametersAreReadLiterallyOrRefused", refused != null);
            if (refused != null) {
                assertThat(refused).as(url).isInstanceOf(InvalidConnectionSpecException.class);
                assertClearMessage(refused, "url parameter", roundTrips(name) ? name : "");
            } else {
                ConnectionSpec spec = ConnectionSpec.parse(url);
                Optional<String> read = switch (name) {
                    case "currentSchema" -> spec.schema();
                    case "ApplicationName", "application_name" -> spec.applicationName();
                    case "user" -> Optional.of(spec.user());
                    default -> Optional.ofNullable(spec.options().get(name));
                };
                if (ConnectionSpec.ALLOWED_OPTIONS.contains(name) || read.isPresent()) {
                    assertThat(read).as("%s of %s", name, url).contains(decoded);
                }
                assertThat(spec.toString()).doesNotContain("\u0000");
            }
            // The same parameter, not percent-encoded: refused or parsed, never another exception.
            Throwable raw = catchThrowable(() -> ConnectionSpec.parse("postgresql://app@db.example/sales?" + name + "="
                    + value));
            if (raw != null) {
                assertThat(raw).as("raw %s=%s", name, value).isInstanceOf(InvalidConnectionSpecException.class);
                assertThat(raw.getMessage()).contains("url");
            }
        });
    }

    @Test
    void environmentValuesAreReadLiterallyOrRefused() {
        Fuzz.check("environmentValuesAreReadLiterallyOrRefused", 200, HostileStrings.hostile(), value -> {
            Map<String, String> env = Map.of("PGDOCK_HOST", "db.example", "PGDOCK_DATABASE", "sales", "PGDOCK_USER",
                    "app", "PGDOCK_SCHEMA", value);
            Throwable refused = catchThrowable(() -> ConnectionSpec.fromEnvironment(env));
            HostileStrings.count("environmentValuesAreReadLiterallyOrRefused", refused != null);
            if (refused != null) {
                assertThat(refused).isInstanceOf(InvalidConnectionSpecException.class);
                assertThat(((InvalidConnectionSpecException) refused).source()).isEqualTo("PGDOCK_SCHEMA");
                assertClearMessage(refused, "PGDOCK_SCHEMA", value);
            } else {
                assertThat(ConnectionSpec.fromEnvironment(env).schema()).contains(value);
            }
        });
    }

    @Test
    void targetNamesAreCheckedBeforeTheyNameAVariable() {
        Fuzz.check("targetNamesAreCheckedBeforeTheyNameAVariable", 300, HostileStrings.hostile(), name -> {
            Throwable refused = catchThrowable(() -> TargetResolver.checkName(name));
            TargetResolver resolver = TargetResolver.environment(Map.of("PGDOCK_TARGET_WAREHOUSE_URL",
                    "postgresql://app@db.example/sales"));
            HostileStrings.count("targetNamesAreCheckedBeforeTheyNameAVariable", refused != null);
            if (refused != null) {
                assertThat(refused).isExactlyInstanceOf(IllegalArgumentException.class);
                assertClearMessage(refused, "target name", name);
                assertThat(catchThrowable(() -> resolver.resolve(name)))
                        .isExactlyInstanceOf(IllegalArgumentException.class)
                        .hasMessage(refused.getMessage());
            } else {
                assertThat(name).matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
                assertThat(resolver.resolve(name).isPresent()).isEqualTo(name.equalsIgnoreCase("warehouse"));
            }
        });
    }

    @Test
    void theOptionsParameterIsRefusedHoweverItIsSpelled() {
        for (String url : new String[] {"postgresql://a@h/d?options=-c%20search_path%3Devil",
                "postgresql://a@h/d?%6Fptions=-csearch_path=evil", "jdbc:postgresql://h/d?user=a&options=x"}) {
            assertThat(catchThrowable(() -> ConnectionSpec.parse(url))).as(url)
                    .isInstanceOf(InvalidConnectionSpecException.class).hasMessageContaining("options");
        }
    }

    /** Whether the string survives UTF-8 unchanged (it has no unpaired surrogate). */
    private static boolean roundTrips(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(s);
    }

    private static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            out.append('%').append(String.format("%02X", b & 0xff));
        }
        return out.toString();
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
