package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConnectionSpecTest {
    private static final String SECRET = "s3cr3t-Pa55";

    @Nested
    class Builder {
        @Test
        void buildsWithDefaults() {
            ConnectionSpec spec = ConnectionSpec.builder().host("db").database("app").user("app_rw").build();
            assertThat(spec.host()).isEqualTo("db");
            assertThat(spec.port()).isEqualTo(5432);
            assertThat(spec.database()).isEqualTo("app");
            assertThat(spec.user()).isEqualTo("app_rw");
            assertThat(spec.password()).isEmpty();
            assertThat(spec.schema()).isEmpty();
            assertThat(spec.sslMode()).isEmpty();
            assertThat(spec.targetServerType()).isEqualTo(TargetServerType.ANY);
            assertThat(spec.readOnly()).isFalse();
            assertThat(spec.options()).isEmpty();
            assertThat(spec.sessionInitSql()).isEmpty();
        }

        @Test
        void missingHostNamesTheField() {
            assertThatThrownBy(() -> ConnectionSpec.builder().database("app").user("u").build())
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining("host is not set");
        }

        @ParameterizedTest
        @ValueSource(ints = {0, -1, 65536, 70000})
        void portOutOfRangeShowsValue(int port) {
            assertThatThrownBy(() -> ConnectionSpec.builder().port(port))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith("port: ")
                    .hasMessageContaining("but was " + port)
                    .extracting(e -> ((InvalidConnectionSpecException) e).source()).isEqualTo("port");
        }

        @Test
        void emptyUserIsRefused() {
            assertThatThrownBy(() -> ConnectionSpec.builder().user(""))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("user: must not be empty");
        }

        @Test
        void schemaWithQuoteIsRefusedAndShown() {
            assertThatThrownBy(() -> ConnectionSpec.builder().schema("a\"; drop table x; --"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining("schema: must not contain a double quote")
                    .hasMessageContaining("a\\\"; drop table x; --");
        }

        @Test
        void schemaOf64BytesIsRefused() {
            String name = "s".repeat(64);
            assertThatThrownBy(() -> ConnectionSpec.builder().schema(name))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining("schema: must be at most 63 bytes")
                    .hasMessageContaining("64 bytes")
                    .hasMessageContaining(name);
            // 63 bytes is fine, and multi-byte characters count as bytes: 32 x 2-byte 'é' = 64 bytes
            assertThatCode(() -> ConnectionSpec.builder().schema("s".repeat(63))).doesNotThrowAnyException();
            assertThatThrownBy(() -> ConnectionSpec.builder().schema("é".repeat(32)))
                    .hasMessageContaining("64 bytes");
        }

        @Test
        void oddButLegalSchemaNameIsQuotedInSessionSql() {
            ConnectionSpec spec = ConnectionSpec.builder().host("h").database("d").user("u")
                    .schema("Mixed Case; select 1").build();
            assertThat(spec.sessionInitSql()).isEqualTo("SET search_path TO \"Mixed Case; select 1\", pg_catalog");
        }

        @Test
        void unknownOptionIsRefusedWithItsName() {
            assertThatThrownBy(() -> ConnectionSpec.builder().option("tcpKeepAlives", "true"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining("option tcpKeepAlives: unknown option \"tcpKeepAlives\"")
                    .hasMessageContaining("tcpKeepAlive");
            // A class-loading option pgjdbc has is refused saying why.
            assertThatThrownBy(() -> ConnectionSpec.builder().option("socketFactory", "evil.Factory"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining("option socketFactory: is not allowed: it makes pgjdbc load and run a class");
        }

        @Test
        void timeoutsMustBeWholeUnits() {
            assertThatThrownBy(() -> ConnectionSpec.builder().connectTimeout(Duration.ofMillis(1500)))
                    .hasMessageContaining("connectTimeout: must be zero or a positive whole number of seconds, but was PT1.5S");
            assertThatThrownBy(() -> ConnectionSpec.builder().statementTimeout(Duration.ofMillis(-1)))
                    .hasMessageContaining("statementTimeout");
        }

        @Test
        void applicationNameMustBePrintableAscii() {
            assertThatThrownBy(() -> ConnectionSpec.builder().applicationName("etl\nnightly"))
                    .hasMessageContaining("applicationName: must be printable ASCII")
                    .hasMessageContaining("etl\\nnightly");
        }

        @Test
        void toBuilderRoundTrips() {
            ConnectionSpec spec = fullSpec();
            assertThat(spec.toBuilder().build()).isEqualTo(spec).hasSameHashCodeAs(spec);
        }

        @Test
        void toBuilderPortMovesTheHostsThatHadNoPortOfTheirOwn() {
            ConnectionSpec one = ConnectionSpec.builder().host("db").port(5433).database("d").user("u").build();
            assertThat(one.toBuilder().port(6543).build().endpoints()).containsExactly(new Endpoint("db", 6543));
            assertThat(one.toBuilder().host("other").build().endpoints()).as("a new host takes the builder's port")
                    .containsExactly(new Endpoint("other", 5433));

            ConnectionSpec two = ConnectionSpec.parse("postgresql://u@a,b:5433/d");
            assertThat(two.toBuilder().port(6543).build().endpoints())
                    .containsExactly(new Endpoint("a", 6543), new Endpoint("b", 5433));
        }

        @Test
        void aPortNoHostWouldTakeIsRefusedNotIgnored() {
            ConnectionSpec own = ConnectionSpec.parse("postgresql://u@db:5433/d");
            assertThatThrownBy(() -> own.toBuilder().port(6543).build())
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("port: port(6543) would apply to no host, since every host has a port of its own"
                            + " (db:5433); set the host again with host(...) to give it this port, or set the ports"
                            + " with endpoints(...)")
                    .extracting(e -> ((InvalidConnectionSpecException) e).source()).isEqualTo("port");
            assertThat(own.toBuilder().host("db").port(6543).build().endpoints())
                    .containsExactly(new Endpoint("db", 6543));

            assertThatThrownBy(() -> ConnectionSpec.builder().port(6543).endpoints(List.of(new Endpoint("a", 5432)))
                    .database("d").user("u").build())
                    .hasMessageStartingWith("port: port(6543) would apply to no host")
                    .hasMessageContaining("(a:5432)");
        }

        @Test
        void whereAPortCameFromDoesNotChangeEquality() {
            ConnectionSpec byBuilder = ConnectionSpec.builder().host("db").database("d").user("u").build();
            ConnectionSpec byUrl = ConnectionSpec.parse("postgresql://u@db:5432/d");
            assertThat(byBuilder).isEqualTo(byUrl).hasSameHashCodeAs(byUrl);
        }
    }

    @Nested
    class Parse {
        @Test
        void parsesLibpqForm() {
            ConnectionSpec spec = ConnectionSpec.parse(
                    "postgresql://reader:" + SECRET + "@warehouse:6543/sales?currentSchema=mart&sslmode=require"
                            + "&ApplicationName=nightly-etl&connectTimeout=5&statementTimeout=30000&tcpKeepAlive=true");
            assertThat(spec.host()).isEqualTo("warehouse");
            assertThat(spec.port()).isEqualTo(6543);
            assertThat(spec.database()).isEqualTo("sales");
            assertThat(spec.user()).isEqualTo("reader");
            assertThat(spec.password()).contains(SECRET);
            assertThat(spec.schema()).contains("mart");
            assertThat(spec.sslMode()).contains(SslMode.REQUIRE);
            assertThat(spec.applicationName()).contains("nightly-etl");
            assertThat(spec.connectTimeout()).contains(Duration.ofSeconds(5));
            assertThat(spec.statementTimeout()).contains(Duration.ofSeconds(30));
            assertThat(spec.options()).containsEntry("tcpKeepAlive", "true");
        }

        @Test
        void parsesJdbcFormWithCredentialsAsParameters() {
            ConnectionSpec spec = ConnectionSpec.parse(
                    "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&password=" + SECRET + "&targetServerType=primary");
            assertThat(spec.user()).isEqualTo("postgres");
            assertThat(spec.password()).contains(SECRET);
            assertThat(spec.targetServerType()).isEqualTo(TargetServerType.PRIMARY);
            assertThat(spec.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test");
        }

        @Test
        void parsesSeveralHostsAndIpv6() {
            ConnectionSpec spec = ConnectionSpec.parse("postgres://u@a:5433,[::1]:5434,b/db");
            assertThat(spec.endpoints()).containsExactly(
                    new Endpoint("a", 5433), new Endpoint("::1", 5434), new Endpoint("b", 5432));
            assertThat(spec.jdbcUrl()).isEqualTo("jdbc:postgresql://a:5433,[::1]:5434,b:5432/db");
        }

        @Test
        void percentDecodesUserPasswordAndDatabase() {
            ConnectionSpec spec = ConnectionSpec.parse("postgresql://us%40er:p%2Fw%3Fd+x@h/my%20db");
            assertThat(spec.user()).isEqualTo("us@er");
            assertThat(spec.password()).contains("p/w?d+x");
            assertThat(spec.database()).isEqualTo("my db");
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "mysql://u@h/d                            | url: must start with postgresql://",
            "postgresql://u@/d                        | url host: host is not set",
            "postgresql://u@h:abc/d                   | url port: must be a port number between 1 and 65535, but was \"abc\"",
            "postgresql://u@h:70000/d                 | url port: must be between 1 and 65535, but was \"70000\"",
            "postgresql://u@h/d?sslmode=sometimes     | url parameter sslmode: unknown sslmode",
            "postgresql://u@h/d?frobnicate=1          | url parameter frobnicate: unknown option \"frobnicate\"",
            "postgresql://u@h/d?sslmode=require&sslmode=disable | url parameter sslmode: is given more than once",
            "postgresql://u@h/d?connect_timeout=1&connectTimeout=2 | url parameter connectTimeout: is given more than once",
            "postgresql://a@h/d?user=b                | url parameter user: is given more than once",
            "postgresql://a:x@h/d?password=y          | url parameter password: is given more than once",
            "postgresql://u@h/d?currentSchema=a%22b   | url parameter currentSchema: must not contain a double quote",
            "postgresql://u@h/d?readOnly=yes          | url parameter readOnly: must be true or false, but was \"yes\"",
            "postgresql://u@h/d?connectTimeout=-1     | url parameter connectTimeout: must be a whole number of seconds",
            "postgresql://h/d                         | url: user is not set",
            "postgresql://u@h                         | url: database is not set",
        })
        void refusesBadUrlsNamingThePart(String url, String message) {
            assertThatThrownBy(() -> ConnectionSpec.parse(url))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining(message);
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "postgresql://u:" + SECRET + "@h:abc/d",
            "postgresql://u:" + SECRET + "@h/d?sslmode=bad",
            "mysql://u:" + SECRET + "@h/d",
            "postgresql://u:" + SECRET + "@h/d#frag",
            "postgresql://u:pa/" + SECRET + "@h/d",
            "postgresql://u:pa?" + SECRET + "@h/d",
            "postgresql://u:pa#" + SECRET + "@h/d",
            "postgresql://u@h/d?password=" + SECRET + "&sslmode=bad",
            "postgresql://u@h/d?password=" + SECRET + "&password=" + SECRET,
            "postgresql://u:%zz" + SECRET + "@h/d",
            "app:" + SECRET + "@db/app",
            "postgresql:/u:" + SECRET + "@h/d",
            "mysql://us/er:" + SECRET + "@h/d",
            "host=db password=" + SECRET,
            "postgresql://u@h/d?password=ab&" + SECRET,
            "postgresql://u@h/d?password=ab&" + SECRET + "=x",
            "postgresql://u@h/d?password=ab#" + SECRET,
        })
        void neverShowsThePasswordInErrors(String url) {
            assertThatThrownBy(() -> ConnectionSpec.parse(url))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET).doesNotContain("Pa55"));
        }
    }

    @Nested
    class Environment {
        @Test
        void readsPgdockVariables() {
            ConnectionSpec spec = ConnectionSpec.fromEnvironment(Map.of(
                    "PGDOCK_HOST", "db", "PGDOCK_PORT", "6432", "PGDOCK_DATABASE", "app", "PGDOCK_USER", "app_rw",
                    "PGDOCK_PASSWORD", SECRET, "PGDOCK_SCHEMA", "ingest", "PGDOCK_SSLMODE", "verify-full"));
            assertThat(spec.endpoints()).containsExactly(new Endpoint("db", 6432));
            assertThat(spec.password()).contains(SECRET);
            assertThat(spec.schema()).contains("ingest");
            assertThat(spec.sslMode()).contains(SslMode.VERIFY_FULL);
        }

        @Test
        void thePortVariableIsForHostsTheUrlGaveNoPortAsInLibpq() {
            ConnectionSpec own = ConnectionSpec.fromEnvironment(Map.of(
                    "PGDOCK_URL", "postgresql://u@a:5433,b/d", "PGDOCK_PORT", "6432"));
            assertThat(own.endpoints()).containsExactly(new Endpoint("a", 5433), new Endpoint("b", 6432));
            ConnectionSpec all = ConnectionSpec.fromEnvironment(Map.of(
                    "PGDOCK_URL", "postgresql://u@a:5433/d", "PGDOCK_PORT", "6432"));
            assertThat(all.endpoints()).as("the URL's own port wins, as libpq's does over PGPORT")
                    .containsExactly(new Endpoint("a", 5433));
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(Map.of(
                    "PGDOCK_URL", "postgresql://u@a:5433/d", "PGDOCK_PORT", "x")))
                    .hasMessage("PGDOCK_PORT: must be a port number between 1 and 65535, but was \"x\"");

            ConnectionSpec fromVariables = ConnectionSpec.fromEnvironment(Map.of(
                    "PGDOCK_HOST", "db", "PGDOCK_PORT", "6432", "PGDOCK_DATABASE", "d", "PGDOCK_USER", "u"));
            assertThat(fromVariables.toBuilder().port(7000).build().endpoints())
                    .containsExactly(new Endpoint("db", 7000));
        }

        @Test
        void urlWinsOverPgdockVariablesWhichWinOverLibpq() {
            Map<String, String> env = new HashMap<>();
            env.put("PGDOCK_URL", "postgresql://url_user@url_host/url_db");
            env.put("PGDOCK_HOST", "pgdock_host");
            env.put("PGHOST", "libpq_host");
            env.put("PGDOCK_PASSWORD", SECRET);
            env.put("PGPASSWORD", "other");
            env.put("PGPORT", "5555");
            env.put("PGDOCK_SCHEMA", "s");
            ConnectionSpec spec = ConnectionSpec.fromEnvironment(env);
            assertThat(spec.host()).isEqualTo("url_host");
            assertThat(spec.user()).isEqualTo("url_user");
            assertThat(spec.password()).contains(SECRET);
            assertThat(spec.port()).isEqualTo(5555);
            assertThat(spec.schema()).contains("s");
        }

        @Test
        void fallsBackToLibpqVariables() {
            ConnectionSpec spec = ConnectionSpec.fromEnvironment(Map.of(
                    "PGHOST", "h", "PGDATABASE", "d", "PGUSER", "u", "PGSSLMODE", "disable"));
            assertThat(spec.host()).isEqualTo("h");
            assertThat(spec.sslMode()).contains(SslMode.DISABLE);
        }

        @Test
        void readsTheDagsterDeploymentNames() {
            ConnectionSpec spec = ConnectionSpec.fromEnvironment(Map.of(
                    "DGS_PG_SRV", "pg.internal", "DGS_PG_PRT", "5433", "DGS_PG_DBN", "dagster", "DGS_PG_USR", "dgs",
                    "DGS_PG_PSW", SECRET, "DGS_PG_SCH", "user_cfg",
                    "PGHOST", "ignored"), EnvironmentNames.dagster());
            assertThat(spec.endpoints()).containsExactly(new Endpoint("pg.internal", 5433));
            assertThat(spec.database()).isEqualTo("dagster");
            assertThat(spec.user()).isEqualTo("dgs");
            assertThat(spec.password()).contains(SECRET);
            assertThat(spec.schema()).contains("user_cfg");
        }

        @Test
        void prefixedNamesReadOneTarget() {
            ConnectionSpec spec = ConnectionSpec.fromEnvironment(
                    Map.of("PGDOCK_TARGET_WAREHOUSE_URL", "postgresql://r@wh/sales"),
                    EnvironmentNames.prefixed("PGDOCK_TARGET_WAREHOUSE_"));
            assertThat(spec.host()).isEqualTo("wh");
        }

        @Test
        void missingHostListsTheVariablesToSet() {
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(Map.of("PGDOCK_DATABASE", "d", "PGDOCK_USER", "u")))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining("host is not set; set PGDOCK_URL, PGDOCK_HOST, PGHOST");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(Map.of(), EnvironmentNames.dagster()))
                    .hasMessageContaining("host is not set; set DGS_PG_SRV");
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
            "PGDOCK_PORT    | abc             | PGDOCK_PORT: must be a port number between 1 and 65535, but was \"abc\"",
            "PGDOCK_PORT    | 70000           | PGDOCK_PORT: must be between 1 and 65535, but was \"70000\"",
            "PGPORT         | ' 5432'         | PGPORT: must be a port number between 1 and 65535, but was \" 5432\"",
            "PGDOCK_USER    | ''              | PGDOCK_USER: must not be empty",
            "PGDOCK_SSLMODE | sometimes       | PGDOCK_SSLMODE: unknown sslmode",
            "PGDOCK_SCHEMA  | a\"b            | PGDOCK_SCHEMA: must not contain a double quote, but was \"a\\\"b\"",
            "PGDOCK_HOST    | 'db host'       | PGDOCK_HOST: must be a host name or IP address",
            "PGDOCK_URL     | postgresql://u@h/d?x=1 | PGDOCK_URL parameter x: unknown option",
        })
        void badVariableIsNamedAndShown(String variable, String value, String message) {
            Map<String, String> env = new HashMap<>(Map.of("PGDOCK_HOST", "h", "PGDOCK_DATABASE", "d", "PGDOCK_USER", "u"));
            env.put(variable, value);
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining(message)
                    .extracting(e -> ((InvalidConnectionSpecException) e).source()).asString().startsWith(variable);
        }

        @Test
        void schemaOf64BytesFromEnvironmentNamesTheVariable() {
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(Map.of("PGDOCK_HOST", "h", "PGDOCK_DATABASE", "d",
                    "PGDOCK_USER", "u", "PGDOCK_SCHEMA", "x".repeat(64))))
                    .hasMessageStartingWith("PGDOCK_SCHEMA: must be at most 63 bytes");
        }

        @Test
        void emptyPasswordVariableIsNamedButNothingIsShown() {
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(Map.of("PGDOCK_HOST", "h", "PGDOCK_DATABASE", "d",
                    "PGDOCK_USER", "u", "PGDOCK_PASSWORD", "")))
                    .hasMessageStartingWith("PGDOCK_PASSWORD: must not be empty");
        }
    }

    @Nested
    class ValueSemantics {
        @Test
        void equalSpecsAreEqualAndHashAlike() {
            assertThat(fullSpec()).isEqualTo(fullSpec()).hasSameHashCodeAs(fullSpec());
        }

        @Test
        void aDifferentPasswordMakesADifferentSpec() {
            ConnectionSpec a = fullSpec();
            ConnectionSpec b = a.toBuilder().password("rotated").build();
            ConnectionSpec none = a.toBuilder().password(null).build();
            assertThat(a).isNotEqualTo(b).isNotEqualTo(none);
            assertThat(a.hashCode()).isEqualTo(b.hashCode());
        }

        @Test
        void everySessionSettingTakesPartInEquality() {
            ConnectionSpec a = fullSpec();
            List<ConnectionSpec> changed = List.of(
                    a.toBuilder().host("other").build(),
                    a.toBuilder().endpoints(List.of(new Endpoint("db1", 5432), new Endpoint("db2", 5434))).build(),
                    a.toBuilder().database("other").build(),
                    a.toBuilder().user("other").build(),
                    a.toBuilder().schema("other").build(),
                    a.toBuilder().sslMode(SslMode.DISABLE).build(),
                    a.toBuilder().applicationName("other").build(),
                    a.toBuilder().connectTimeout(Duration.ofSeconds(99)).build(),
                    a.toBuilder().socketTimeout(Duration.ofSeconds(99)).build(),
                    a.toBuilder().statementTimeout(Duration.ofSeconds(99)).build(),
                    a.toBuilder().lockTimeout(Duration.ofSeconds(99)).build(),
                    a.toBuilder().idleInTransactionSessionTimeout(Duration.ofSeconds(99)).build(),
                    a.toBuilder().readOnly(false).build(),
                    a.toBuilder().targetServerType(TargetServerType.ANY).build(),
                    a.toBuilder().option("tcpKeepAlive", "false").build());
            assertThat(changed).allSatisfy(c -> assertThat(c).isNotEqualTo(a));
        }

        @Test
        void toStringMasksThePasswordAndRoundTripsThroughParse() {
            ConnectionSpec spec = fullSpec();
            assertThat(spec.toString()).doesNotContain(SECRET).contains(":***@");
            ConnectionSpec reparsed = ConnectionSpec.parse(spec.toString().replace("***", SECRET));
            assertThat(reparsed).isEqualTo(spec);
        }

        @Test
        void driverPropertiesCarryDriverSettings() {
            Properties p = fullSpec().driverProperties();
            assertThat(p).containsEntry("user", "app rw").containsEntry("password", SECRET)
                    .containsEntry("sslmode", "verify-full").containsEntry("ApplicationName", "etl")
                    .containsEntry("connectTimeout", "3").containsEntry("socketTimeout", "60")
                    .containsEntry("targetServerType", "primary").containsEntry("readOnly", "true")
                    .containsEntry("tcpKeepAlive", "true");
        }

        @Test
        void sessionInitSqlSetsPathAndTimeouts() {
            assertThat(fullSpec().sessionInitSql()).isEqualTo("SET search_path TO \"ingest\", pg_catalog; "
                    + "SET statement_timeout = 30000; SET lock_timeout = 2000; SET idle_in_transaction_session_timeout = 60000");
        }
    }

    private static ConnectionSpec fullSpec() {
        return ConnectionSpec.builder()
                .endpoints(List.of(new Endpoint("db1", 5432), new Endpoint("db2", 5433)))
                .database("my app").user("app rw").password(SECRET).schema("ingest")
                .sslMode(SslMode.VERIFY_FULL).applicationName("etl")
                .connectTimeout(Duration.ofSeconds(3)).socketTimeout(Duration.ofSeconds(60))
                .statementTimeout(Duration.ofSeconds(30)).lockTimeout(Duration.ofSeconds(2))
                .idleInTransactionSessionTimeout(Duration.ofMinutes(1))
                .readOnly(true).targetServerType(TargetServerType.PRIMARY)
                .option("tcpKeepAlive", "true")
                .build();
    }

    /** Found by the reliability suite's fuzzing (HostileConnectionTest). */
    @Nested
    class HostileText {
        @Test
        void anUnpairedSurrogateInANameIsRefusedNotTurnedIntoAQuestionMark() {
            assertThatThrownBy(() -> ConnectionSpec.builder().schema("s\uD800"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("schema: must be valid Unicode (UTF-8 would turn the unpaired surrogate at index 1 into "
                            + "'?'), but was \"s\\ud800\"");
            assertThatThrownBy(() -> ConnectionSpec.builder().user("\uDC00u"))
                    .hasMessageContaining("user: must be valid Unicode");
            assertThat(ConnectionSpec.builder().schema("s\uD83D\uDE00").schema("s\uD83D\uDE00")).isNotNull();
        }

        @Test
        void messagesEscapeUnpairedSurrogates() {
            assertThatThrownBy(() -> ConnectionSpec.builder().applicationName("a\uD800"))
                    .hasMessageEndingWith("but was \"a\\ud800\"");
        }

        @Test
        void percentEscapesMustFormUtf8() {
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://u@h/d?currentSchema=a%FFb"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("url parameter currentSchema: is not UTF-8 once percent-decoded: \"a%FFb\"");
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://u:p%C3@h/d"))
                    .hasMessage("url password: is not UTF-8 once percent-decoded (value not shown)");
        }

        @Test
        void anUnpairedSurrogateNextToAPercentEscapeIsRefused() {
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://u@h/d?sslrootcert=%41\uD800"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("url parameter sslrootcert: is not valid Unicode (an unpaired surrogate): \"%41\\ud800\"");
        }

        @Test
        void anUnpairedSurrogateWithoutAPercentEscapeIsRefusedToo() {
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://u@h/d?sslrootcert=a\uD800"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("url parameter sslrootcert: is not valid Unicode (an unpaired surrogate): \"a\\ud800\"");
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://u:p\uD800w@h/d"))
                    .hasMessage("url password: is not valid Unicode (an unpaired surrogate) (value not shown)");
        }

        @Test
        void aKnownParameterAfterThePasswordShowsNoValueEither() {
            // "ab&sslmode=Q7" written without encoding the '&' reads as a password "ab" and an sslmode "Q7".
            for (String url : List.of("postgresql://u@h/d?password=ab&sslmode=Q7", "postgresql://u@h/d?password=ab&readOnly=Q7",
                    "postgresql://u@h/d?password=ab&connectTimeout=Q7", "postgresql://u@h/d?password=ab&currentSchema=Q7\uD800")) {
                assertThatThrownBy(() -> ConnectionSpec.parse(url)).as(url)
                        .isInstanceOf(InvalidConnectionSpecException.class)
                        .message().doesNotContain("Q7").contains("not shown");
            }
            // Before the password, and without one, values are shown as usual.
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://u@h/d?sslmode=Q7&password=ab"))
                    .hasMessageContaining("Q7");
        }

        @Test
        void anUnknownParameterBehindAPasswordIsNeverShownEvenWhenItIsMalformed() {
            // "s3cr&Q7x=%FFQ7" written without encoding the '&': the tail is not a parameter but part of the password.
            for (String url : List.of("postgresql://u@h/d?password=s3cr&Q7x=%FFQ7", "postgresql://u@h/d?password=s3cr&Q7x%FF=Q7",
                    "postgresql://u@h/d?password=s3cr&Q7\uD800x=1", "postgresql://u@h/d?password=s3cr&Q7=1&Q7=2")) {
                assertThatThrownBy(() -> ConnectionSpec.parse(url)).as(url)
                        .isInstanceOf(InvalidConnectionSpecException.class)
                        .message().doesNotContain("s3cr").doesNotContain("Q7").contains("not shown");
            }
        }

        @Test
        void characterOutsideTheBmpNextToAPercentEscapeIsKept() {
            assertThat(ConnectionSpec.parse("postgresql://u@h/d?currentSchema=%41\uD83D\uDE00").schema())
                    .contains("A\uD83D\uDE00");
        }

        @Test
        void anOddParameterNameIsShownBounded() {
            String name = "x'".repeat(5_000);
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://u@h/d?" + name + "=1"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith("url parameter \"x'x'")
                    .hasMessageContaining("(10000 characters)")
                    .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(1_000));
        }

        @Test
        void aParameterNameOfControlCharactersIsShownBoundedOnceEscaped() {
            // Found by the reliability suite's fuzzing: each NUL shows as a 6-character escape, and the name is shown
            // twice, so cutting after 80 characters of the name made a 1,578-character message. Since %00 is refused
            // as libpq refuses it, the name is shown as written, still cut.
            String name = "k" + "%00".repeat(10_000);
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://u@h/d?" + name + "=1"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith("url parameter name: must not contain %00 (a NUL character), but was "
                            + "\"k%00%00")
                    .hasMessageContaining("(30001 characters)")
                    .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(1_000));
        }
    }

    /** pgjdbc's TLS options: the certificate and key files as options, the key's password as a secret field. */
    @Nested
    class TlsOptions {
        private static final String KEY_SECRET = "k3y-Pa55-Wd";

        @Test
        void theUrlTakesTheTlsFilesAndTheKeyPasswordWhichIsMaskedLikeThePassword() {
            ConnectionSpec spec = ConnectionSpec.parse("postgresql://app:" + SECRET + "@db/app?sslmode=verify-full"
                    + "&sslrootcert=/etc/ca.crt&sslcert=/etc/app.crt&sslkey=/etc/app.pk8&sslpassword=" + KEY_SECRET);

            assertThat(spec.options()).containsEntry("sslrootcert", "/etc/ca.crt").containsEntry("sslcert", "/etc/app.crt")
                    .containsEntry("sslkey", "/etc/app.pk8").doesNotContainKey("sslpassword");
            assertThat(spec.sslPassword()).contains(KEY_SECRET);
            assertThat(spec.driverProperties()).containsEntry("sslpassword", KEY_SECRET);
            assertThat(spec.toString()).doesNotContain(KEY_SECRET).doesNotContain(SECRET).contains("sslpassword=***");
            assertThat(ConnectionSpec.parse(spec.toString().replace(":***@", ":" + SECRET + "@")
                    .replace("sslpassword=***", "sslpassword=" + KEY_SECRET))).isEqualTo(spec);
            assertThat(spec.toBuilder().build()).isEqualTo(spec);
        }

        @Test
        void theKeyPasswordTakesPartInEqualityButNotInTheHash() {
            ConnectionSpec a = ConnectionSpec.builder().host("db").database("app").user("app").sslPassword(KEY_SECRET)
                    .build();
            ConnectionSpec b = a.toBuilder().sslPassword("other-" + KEY_SECRET).build();

            assertThat(b).isNotEqualTo(a).hasSameHashCodeAs(a);
            assertThat(a.toBuilder().sslPassword(null).build().sslPassword()).isEmpty();
        }

        @Test
        void aBadKeyPasswordIsRefusedWithoutShowingIt() {
            assertThatThrownBy(() -> ConnectionSpec.builder().sslPassword(""))
                    .isInstanceOf(InvalidConnectionSpecException.class).hasMessageContaining("sslPassword");
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://app@db/app?sslpassword=" + KEY_SECRET
                    + "&sslpassword=x"))
                    .isInstanceOf(InvalidConnectionSpecException.class).hasMessageContaining("more than once")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(KEY_SECRET));
            // A raw '&' in the key's password: its tail is not shown either.
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://app@db/app?sslpassword=ab&" + KEY_SECRET))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(KEY_SECRET));
        }

        @Test
        void sslfactoryAndOtherClassLoadingOptionsAreRefusedSayingWhy() {
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://app@db/app?sslfactory="
                    + "org.postgresql.ssl.NonValidatingFactory"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining("sslfactory")
                    .hasMessageContaining("is not allowed: it makes pgjdbc load and run a class")
                    .hasMessageContaining("use sslmode (verify-full), sslrootcert, sslcert, sslkey and sslpassword");
            assertThatThrownBy(() -> ConnectionSpec.builder().option("sslhostnameverifier", "x.Y"))
                    .isInstanceOf(InvalidConnectionSpecException.class).hasMessageContaining("host-name check");
        }

        @Test
        void theEnvironmentGivesTheTlsFilesAndTheKeyPasswordPgdockNamesFirst() {
            Map<String, String> env = new HashMap<>(Map.of("PGDOCK_HOST", "db", "PGDOCK_DATABASE", "app",
                    "PGDOCK_USER", "app", "PGSSLROOTCERT", "/libpq/ca.crt", "PGDOCK_SSLCERT", "/etc/app.crt",
                    "PGSSLCERT", "/libpq/app.crt", "PGSSLKEY", "/libpq/app.pk8", "PGDOCK_SSLPASSWORD", KEY_SECRET));

            ConnectionSpec spec = ConnectionSpec.fromEnvironment(env);

            assertThat(spec.options()).containsEntry("sslrootcert", "/libpq/ca.crt")
                    .containsEntry("sslcert", "/etc/app.crt").containsEntry("sslkey", "/libpq/app.pk8");
            assertThat(spec.sslPassword()).contains(KEY_SECRET);
            // The URL's own settings win over the variables.
            env.put("PGDOCK_URL", "postgresql://app@db/app?sslrootcert=/url/ca.crt");
            assertThat(ConnectionSpec.fromEnvironment(env).options()).containsEntry("sslrootcert", "/url/ca.crt");
            assertThat(ConnectionSpec.fromEnvironment(Map.of("T_HOST", "db", "T_DATABASE", "app", "T_USER", "app",
                    "T_SSLKEY", "/t.pk8", "T_SSLPASSWORD", KEY_SECRET), EnvironmentNames.prefixed("T_")).sslPassword())
                    .contains(KEY_SECRET);
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(Map.of("PGDOCK_HOST", "db", "PGDOCK_DATABASE",
                    "app", "PGDOCK_USER", "app", "PGDOCK_SSLPASSWORD", "")))
                    .isInstanceOf(InvalidConnectionSpecException.class).hasMessageContaining("PGDOCK_SSLPASSWORD");
        }
    }
}
