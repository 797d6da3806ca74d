package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The URIs of libpq's own URI test suite (PostgreSQL's {@code src/interfaces/libpq/test/regress.in}, with what libpq
 * yields from {@code expected.out}) and the examples of the documentation (34.1.1.2 Connection URIs), each with what
 * pgdock does: the same settings, or a refusal that names the URL part and says why. The URL is read the way a
 * deployment reads it, from {@code PGDOCK_URL} with {@code PGUSER} and {@code PGDATABASE} set, since libpq too fills a
 * user and database the URL leaves out from those (or from its defaults).
 *
 * <p>pgdock differs from libpq on purpose in three ways, each a refusal by name: no Unix-domain sockets (pgjdbc
 * connects over TCP only: an empty host, a {@code host=} parameter or a percent-encoded socket directory), no
 * {@code hostaddr} and no {@code port} parameter; and unknown parameters are errors, where libpq ignores them with a
 * warning.
 */
class LibpqUriCasesTest {
    private static final String ENV_USER = "envuser";
    private static final String ENV_DB = "envdb";

    /** One case: the URI, what libpq yields (from its expected output), what pgdock yields. */
    private static Arguments c(String uri, String libpq, String pgdock) {
        return Arguments.of(uri, libpq, pgdock);
    }

    static Stream<Arguments> cases() {
        String noHost = "refused PGDOCK_URL or PGDOCK_HOST or PGHOST: host is not set; set PGDOCK_URL, PGDOCK_HOST, "
                + "PGHOST (without a host libpq would connect through its default Unix-domain socket";
        String socketHostPart = "(libpq would connect through a Unix-domain socket, which pgjdbc does not support";
        return Stream.of(
                // regress.in, in its order
                c("postgresql://uri-user:secret@host:12345/db",
                        "user='uri-user' password='secret' dbname='db' host='host' port='12345' (inet)",
                        "host:12345 user=uri-user db=db password=set"),
                c("postgresql://uri-user@host:12345/db", "user='uri-user' dbname='db' host='host' port='12345' (inet)",
                        "host:12345 user=uri-user db=db"),
                c("postgresql://uri-user@host/db", "user='uri-user' dbname='db' host='host' (inet)",
                        "host:5432 user=uri-user db=db"),
                c("postgresql://host:12345/db", "dbname='db' host='host' port='12345' (inet)",
                        "host:12345 user=envuser db=db"),
                c("postgresql://host/db", "dbname='db' host='host' (inet)", "host:5432 user=envuser db=db"),
                c("postgresql://uri-user@host:12345/", "user='uri-user' host='host' port='12345' (inet)",
                        "host:12345 user=uri-user db=envdb"),
                c("postgresql://uri-user@host/", "user='uri-user' host='host' (inet)", "host:5432 user=uri-user db=envdb"),
                c("postgresql://uri-user@", "user='uri-user' (local)", noHost),
                c("postgresql://host:12345/", "host='host' port='12345' (inet)", "host:12345 user=envuser db=envdb"),
                c("postgresql://host:12345", "host='host' port='12345' (inet)", "host:12345 user=envuser db=envdb"),
                c("postgresql://host/", "host='host' (inet)", "host:5432 user=envuser db=envdb"),
                c("postgresql://host", "host='host' (inet)", "host:5432 user=envuser db=envdb"),
                c("postgresql://", "(local)", noHost),
                c("postgresql://?hostaddr=127.0.0.1", "hostaddr='127.0.0.1' (inet)",
                        "refused PGDOCK_URL parameter hostaddr: is not supported: pgjdbc has no separate numeric address"),
                c("postgresql://example.com?hostaddr=63.1.2.4", "host='example.com' hostaddr='63.1.2.4' (inet)",
                        "refused PGDOCK_URL parameter hostaddr: is not supported"),
                c("postgresql://%68ost/", "host='host' (inet)", "host:5432 user=envuser db=envdb"),
                c("postgresql://host/db?user=uri-user", "user='uri-user' dbname='db' host='host' (inet)",
                        "host:5432 user=uri-user db=db"),
                c("postgresql://host/db?user=uri-user&port=12345",
                        "user='uri-user' dbname='db' host='host' port='12345' (inet)",
                        "refused PGDOCK_URL parameter port: is not supported: put the port after the host"),
                c("postgresql://host/db?u%73er=someotheruser&port=12345",
                        "user='someotheruser' dbname='db' host='host' port='12345' (inet)",
                        "refused PGDOCK_URL parameter port: is not supported"),
                c("postgresql://host/db?u%7aer=someotheruser&port=12345",
                        "WARNING: ignoring unrecognized URI query parameter: uzer; dbname='db' host='host' port='12345'",
                        "refused PGDOCK_URL parameter uzer: unknown option \"uzer\""),
                c("postgresql://host:12345?user=uri-user", "user='uri-user' host='host' port='12345' (inet)",
                        "host:12345 user=uri-user db=envdb"),
                c("postgresql://host?user=uri-user", "user='uri-user' host='host' (inet)",
                        "host:5432 user=uri-user db=envdb"),
                c("postgresql://host?", "host='host' (inet)", "host:5432 user=envuser db=envdb"),
                c("postgresql://[::1]:12345/db", "dbname='db' host='::1' port='12345' (inet)",
                        "[::1]:12345 user=envuser db=db"),
                c("postgresql://[::1]/db", "dbname='db' host='::1' (inet)", "[::1]:5432 user=envuser db=db"),
                c("postgresql://[2001:db8::1234]/", "host='2001:db8::1234' (inet)",
                        "[2001:db8::1234]:5432 user=envuser db=envdb"),
                c("postgresql://[200z:db8::1234]/", "host='200z:db8::1234' (inet)",
                        "[200z:db8::1234]:5432 user=envuser db=envdb"),
                c("postgresql://[::1]", "host='::1' (inet)", "[::1]:5432 user=envuser db=envdb"),
                c("postgres://", "(local)", noHost),
                c("postgres:///", "(local)", noHost),
                c("postgres:///db", "dbname='db' (local)", noHost),
                c("postgres://uri-user@/db", "user='uri-user' dbname='db' (local)", noHost),
                c("postgres://?host=/path/to/socket/dir", "host='/path/to/socket/dir' (local)",
                        "refused PGDOCK_URL parameter host: is not supported: libpq takes hosts (and Unix-domain socket "
                                + "directories) here"),
                c("postgresql://host?uzer=", "WARNING: ignoring unrecognized URI query parameter: uzer; host='host'",
                        "refused PGDOCK_URL parameter uzer: unknown option \"uzer\""),
                c("postgre://", "missing \"=\" after \"postgre://\" in connection info string",
                        "refused PGDOCK_URL: must start with postgresql://, postgres:// or jdbc:postgresql://"),
                c("postgres://[::1", "end of string reached when looking for matching ']' in IPv6 host address",
                        "refused PGDOCK_URL host: IPv6 address has no closing ']'"),
                c("postgres://[]", "IPv6 host address may not be empty in URI",
                        "refused PGDOCK_URL host: IPv6 address is empty"),
                c("postgres://[::1]z", "unexpected 'z' at position 17 in URI (expecting ':' or '/')",
                        "refused PGDOCK_URL host: expected ':port' after ']', but was \"[::1]z\""),
                c("postgresql://host?zzz", "missing key/value separator '=' in URI query parameter: zzz",
                        "refused PGDOCK_URL parameter zzz: unknown option \"zzz\""),
                c("postgresql://host?value1&value2", "missing key/value separator '=' in URI query parameter: value1",
                        "refused PGDOCK_URL parameter value1: unknown option \"value1\""),
                c("postgresql://host?key=key=value", "extra key/value separator '=' in URI query parameter: key",
                        "refused PGDOCK_URL parameter key: unknown option \"key\""),
                c("postgres://host?dbname=%XXfoo", "invalid percent-encoded token: %XXfoo",
                        "refused PGDOCK_URL parameter dbname: has a bad percent-escape"),
                c("postgresql://a%00b", "forbidden value %00 in percent-encoded value: a%00b",
                        "refused PGDOCK_URL host: must not contain %00 (a NUL character), but was \"a%00b\""),
                c("postgresql://%zz", "invalid percent-encoded token: %zz",
                        "refused PGDOCK_URL host: has a bad percent-escape (a '%' must be followed by two hex digits"),
                c("postgresql://%1", "invalid percent-encoded token: %1",
                        "refused PGDOCK_URL host: has a bad percent-escape"),
                c("postgresql://%", "invalid percent-encoded token: %",
                        "refused PGDOCK_URL host: has a bad percent-escape"),
                c("postgres://@host", "host='host' (inet)", "host:5432 user=envuser db=envdb"),
                c("postgres://host:/", "host='host' (inet)", "host:5432 user=envuser db=envdb"),
                c("postgres://:12345/", "port='12345' (local)",
                        "refused PGDOCK_URL host: host is not set in \":12345\" " + socketHostPart),
                c("postgres://otheruser@?host=/no/such/directory", "user='otheruser' host='/no/such/directory' (local)",
                        "refused PGDOCK_URL parameter host: is not supported"),
                c("postgres://otheruser@/?host=/no/such/directory", "user='otheruser' host='/no/such/directory' (local)",
                        "refused PGDOCK_URL parameter host: is not supported"),
                c("postgres://otheruser@:12345?host=/no/such/socket/path",
                        "user='otheruser' host='/no/such/socket/path' port='12345' (local)",
                        "refused PGDOCK_URL host: host is not set in \":12345\" " + socketHostPart),
                c("postgres://otheruser@:12345/db?host=/path/to/socket",
                        "user='otheruser' dbname='db' host='/path/to/socket' port='12345' (local)",
                        "refused PGDOCK_URL host: host is not set in \":12345\" " + socketHostPart),
                c("postgres://:12345/db?host=/path/to/socket", "dbname='db' host='/path/to/socket' port='12345' (local)",
                        "refused PGDOCK_URL host: host is not set in \":12345\" " + socketHostPart),
                c("postgres://:12345?host=/path/to/socket", "host='/path/to/socket' port='12345' (local)",
                        "refused PGDOCK_URL host: host is not set in \":12345\" " + socketHostPart),
                c("postgres://%2Fvar%2Flib%2Fpostgresql/dbname", "dbname='dbname' host='/var/lib/postgresql' (local)",
                        "refused PGDOCK_URL host: is a Unix-domain socket directory \"/var/lib/postgresql\", which "
                                + "pgjdbc cannot connect to"),

                // the documentation's examples (34.1.1.2)
                c("postgresql://localhost", "host='localhost'", "localhost:5432 user=envuser db=envdb"),
                c("postgresql://localhost:5433", "host='localhost' port='5433'", "localhost:5433 user=envuser db=envdb"),
                c("postgresql://localhost/mydb", "host='localhost' dbname='mydb'", "localhost:5432 user=envuser db=mydb"),
                c("postgresql://user@localhost", "host='localhost' user='user'", "localhost:5432 user=user db=envdb"),
                c("postgresql://user:secret@localhost", "host='localhost' user='user' password='secret'",
                        "localhost:5432 user=user db=envdb password=set"),
                c("postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp",
                        "user='other' host='localhost' dbname='otherdb' connect_timeout='10' application_name='myapp'",
                        "localhost:5432 user=other db=otherdb connectTimeout=10s applicationName=myapp"),
                c("postgresql://host1:123,host2:456/somedb?target_session_attrs=any&application_name=myapp",
                        "host='host1,host2' port='123,456' dbname='somedb' target_session_attrs='any'",
                        "refused PGDOCK_URL parameter target_session_attrs: is not supported: use pgjdbc's "
                                + "targetServerType"),
                c("postgresql://host1:123,host2:456/somedb?application_name=myapp",
                        "host='host1,host2' port='123,456' dbname='somedb' application_name='myapp'",
                        "host1:123,host2:456 user=envuser db=somedb applicationName=myapp"),
                c("postgresql:///mydb?host=localhost&port=5433", "dbname='mydb' host='localhost' port='5433'",
                        "refused PGDOCK_URL parameter host: is not supported"),
                c("postgresql://[2001:db8::1234]/database", "host='2001:db8::1234' dbname='database'",
                        "[2001:db8::1234]:5432 user=envuser db=database"),
                c("postgresql:///dbname?host=/var/lib/postgresql", "dbname='dbname' host='/var/lib/postgresql' (local)",
                        "refused PGDOCK_URL parameter host: is not supported"),
                c("postgresql://%2Fvar%2Flib%2Fpostgresql/dbname", "dbname='dbname' host='/var/lib/postgresql' (local)",
                        "refused PGDOCK_URL host: is a Unix-domain socket directory"),
                c("postgresql://host1:,host2:5433/db", "host='host1,host2' port=',5433' (an empty port: the default)",
                        "host1:5432,host2:5433 user=envuser db=db"),
                c("postgresql://u%73er@h%6Fst:%35433/d%62", "user='user' host='host' port='5433' dbname='db'",
                        "host:5433 user=user db=db"));
    }

    @ParameterizedTest(name = "{0}: libpq {1}; pgdock {2}")
    @MethodSource("cases")
    void readsEachUriAsLibpqDoesOrRefusesItByName(String uri, String libpq, String pgdock) {
        Map<String, String> env = Map.of("PGDOCK_URL", uri, "PGUSER", ENV_USER, "PGDATABASE", ENV_DB);
        if (pgdock.startsWith("refused ")) {
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env))
                    .as("libpq: %s", libpq)
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith(pgdock.substring("refused ".length()))
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
        } else {
            assertThat(describe(ConnectionSpec.fromEnvironment(env))).as("libpq: %s", libpq).isEqualTo(pgdock);
        }
    }

    private static String describe(ConnectionSpec s) {
        return s.endpoints().stream().map(Endpoint::toString).collect(Collectors.joining(","))
                + " user=" + s.user() + " db=" + s.database()
                + s.password().map(p -> " password=set").orElse("")
                + s.connectTimeout().map(d -> " connectTimeout=" + d.toSeconds() + "s").orElse("")
                + s.applicationName().map(a -> " applicationName=" + a).orElse("");
    }
}
