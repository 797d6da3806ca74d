package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libpq's environment beyond the connection variables, read from an injected map and files in temporary directories:
 * the password file (PostgreSQL documentation 34.16), the connection service file (34.17), {@code PGAPPNAME},
 * {@code PGCONNECT_TIMEOUT}, and the refused {@code PGOPTIONS} and {@code PGHOSTADDR}.
 */
class LibpqFilesTest {
    private static final String SECRET = "s3cr3t-Pa55-q";

    @TempDir
    Path dir;

    private Path file(String name, String text, String perms) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    /** What slf4j-simple writes to standard error while {@code r} runs (it looks {@code System.err} up per line). */
    private static String stderrOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Nested
    class PasswordFile {
        private static final String LINES = """
                # hostname:port:database:username:password
                otherhost:5432:*:app:not-this-one
                \\:\\:1:5432:app:app:p\\:w\\\\6
                db:*:app:app:first-pw
                db:5432:app:app:second-pw
                *:*:*:*:fallback-pw
                """;

        @Test
        void theFirstMatchingLineWinsWithWildcardsAndBackslashEscapes() throws IOException {
            Path pass = file("pgpass", LINES, "rw-------");
            Map<String, String> env = env("PGPASSFILE", pass.toString(), "PGUSER", "app", "PGDATABASE", "app");
            env.put("PGHOST", "db");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("first-pw");
            env.put("PGHOST", "::1");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("p:w\\6");
            env.put("PGHOST", "elsewhere");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("fallback-pw");
        }

        @Test
        void everyFieldMustMatchExactlyUnlessItIsAWildcard() throws IOException {
            Path pass = file("pgpass", "db:5432:app:app:exact\n", "rw-------");
            Map<String, String> env = env("PGPASSFILE", pass.toString(), "PGHOST", "db", "PGUSER", "app",
                    "PGDATABASE", "app");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("exact");
            env.put("PGPORT", "5433");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).isEmpty();
            env.remove("PGPORT");
            env.put("PGHOST", "DB");   // case matters, as in libpq
            assertThat(ConnectionSpec.fromEnvironment(env).password()).isEmpty();
            env.put("PGHOST", "db");
            env.put("PGDATABASE", "app2");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).isEmpty();
        }

        @Test
        void homeDotPgpassIsTheDefaultAndPgpassfileOverridesIt() throws IOException {
            file("home/.pgpass", "*:*:*:*:from-home\n", "rw-------");
            Path named = file("named", "*:*:*:*:from-pgpassfile\n", "rw-------");
            Map<String, String> env = env("HOME", dir.resolve("home").toString(), "PGHOST", "db", "PGUSER", "app",
                    "PGDATABASE", "app");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("from-home");
            env.put("PGPASSFILE", named.toString());
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("from-pgpassfile");
            env.put("PGPASSFILE", dir.resolve("missing").toString());   // as libpq: a missing file gives nothing
            assertThat(ConnectionSpec.fromEnvironment(env).password()).isEmpty();
        }

        @Test
        void withoutHomeOrPgpassfileNoFileIsRead() throws IOException {
            file(".pgpass", "*:*:*:*:x\n", "rw-------");
            assertThat(ConnectionSpec.fromEnvironment(env("PGHOST", "db", "PGUSER", "app", "PGDATABASE", "app"))
                    .password()).isEmpty();
        }

        @Test
        void aGivenPasswordWinsOverTheFile() throws IOException {
            Path pass = file("pgpass", "*:*:*:*:from-file\n", "rw-------");
            Map<String, String> env = env("PGPASSFILE", pass.toString(), "PGDOCK_URL", "postgresql://app:from-url@db/app",
                    "PGPASSWORD", "from-variable");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("from-url");
            env.put("PGDOCK_URL", "postgresql://app@db/app");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("from-variable");
            env.remove("PGPASSWORD");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("from-file");
        }

        @Test
        void aFileTheGroupOrOthersCanReadIsIgnoredWithAWarningAsLibpqDoes() throws IOException {
            Path pass = file("pgpass", "*:*:*:*:" + SECRET + "\n", "rw-r--r--");
            Map<String, String> env = env("PGPASSFILE", pass.toString(), "PGHOST", "db", "PGUSER", "app",
                    "PGDATABASE", "app");
            ConnectionSpec[] spec = new ConnectionSpec[1];
            String log = stderrOf(() -> spec[0] = ConnectionSpec.fromEnvironment(env));
            assertThat(spec[0].password()).isEmpty();
            assertThat(log).contains("WARN", "password file \"" + pass + "\" has group or world access; permissions "
                    + "should be u=rw (0600) or less; it is ignored").doesNotContain(SECRET);
            Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("r--------"));
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains(SECRET);
        }

        @Test
        void aDirectoryIsNotAPasswordFile() throws IOException {
            Path d = Files.createDirectory(dir.resolve("adir"));
            Map<String, String> env = env("PGPASSFILE", d.toString(), "PGHOST", "db", "PGUSER", "app",
                    "PGDATABASE", "app");
            ConnectionSpec[] spec = new ConnectionSpec[1];
            assertThat(stderrOf(() -> spec[0] = ConnectionSpec.fromEnvironment(env)))
                    .contains("password file \"" + d + "\" is not a plain file; it is ignored");
            assertThat(spec[0].password()).isEmpty();
        }

        @Test
        void aMalformedLineIsSkippedWithItsFileAndLineButNotItsText() throws IOException {
            Path pass = file("pgpass", "# ok\ndb:5432:" + SECRET + "\n*:*:*:*:good-pw\n", "rw-------");
            Map<String, String> env = env("PGPASSFILE", pass.toString(), "PGHOST", "db", "PGUSER", "app",
                    "PGDATABASE", "app");
            ConnectionSpec[] spec = new ConnectionSpec[1];
            String log = stderrOf(() -> spec[0] = ConnectionSpec.fromEnvironment(env));
            assertThat(spec[0].password()).contains("good-pw");
            assertThat(log).contains("password file \"" + pass + "\" line 2 has fewer than five ':'-separated fields")
                    .doesNotContain(SECRET);
        }

        @Test
        void aMatchingLineWithAnEmptyPasswordIsAnErrorNamingTheLine() throws IOException {
            Path pass = file("pgpass", "db:5432:app:app:\n", "rw-------");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env("PGPASSFILE", pass.toString(),
                    "PGHOST", "db", "PGUSER", "app", "PGDATABASE", "app")))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("password file " + pass + " line 1: matches db:5432/app for role \"app\", but its "
                            + "password is empty; give the password, or remove the line");
        }

        @Test
        void severalHostsMustGetOnePassword() throws IOException {
            Path pass = file("pgpass", "a:5432:app:app:" + SECRET + "\nb:5432:app:app:other\n*:*:*:*:star\n",
                    "rw-------");
            Map<String, String> env = env("PGPASSFILE", pass.toString(), "PGDOCK_URL", "postgresql://app@a,b/app");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageContaining("password file " + pass + ": gives host a:5432 the password of line 1 and "
                            + "host b:5432 the password of line 2; a spec has one password for all its hosts")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
            env.put("PGDOCK_URL", "postgresql://app@c,d/app");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("star");
        }

        @Test
        void withPasswordFileGivesAParsedSpecTheFilesPassword() throws IOException {
            Path pass = file("pgpass", "db:6000:app:app:" + SECRET + "\n", "rw-------");
            ConnectionSpec parsed = ConnectionSpec.parse("postgresql://app@db:6000/app");
            assertThat(parsed.withPasswordFile(env("PGPASSFILE", pass.toString())).password()).contains(SECRET);
            assertThat(parsed.withPasswordFile(env()).password()).isEmpty();
            ConnectionSpec own = ConnectionSpec.parse("postgresql://app:mine@db:6000/app");
            assertThat(own.withPasswordFile(env("PGPASSFILE", pass.toString()))).isSameAs(own);
            assertThat(parsed.withPasswordFile(env("PGPASSFILE", pass.toString())).toString()).doesNotContain(SECRET);
        }
    }

    @Nested
    class ServiceFile {
        @Test
        void aServiceValueShowsWhereItWasWrittenNeverTheValue() {
            LibpqFiles.ServiceValue value = new LibpqFiles.ServiceValue("hunter2-svc",
                    "service file /etc/pg_service.conf line 4 (service \"etl\") password");
            assertThat(value.toString()).contains("line 4", "password").doesNotContain("hunter2");
        }

        private static final String SERVICES = String.join("\n",
                "# services",
                "[other]",
                "this line is not checked, as libpq does not check other services",
                "",
                "[etl]",
                "  host=svc-host",
                "port=6543",
                "dbname=svcdb",
                "user=svcuser",
                "password=" + SECRET,
                "application_name=svc-app",
                "connect_timeout=7",
                "host=second-host-ignored",
                "[later]",
                "host=later-host",
                "");

        @Test
        void urlValuesOverrideTheServiceAndTheServiceOverridesTheVariables() throws IOException {
            Path services = file("services.conf", SERVICES, "rw-r--r--");
            Map<String, String> env = env("PGSERVICEFILE", services.toString(),
                    "PGDOCK_URL", "postgresql://?service=etl&application_name=url-app",
                    "PGHOST", "env-host", "PGDATABASE", "envdb", "PGAPPNAME", "env-app", "PGSSLMODE", "require");
            ConnectionSpec spec = ConnectionSpec.fromEnvironment(env);
            assertThat(spec.endpoints()).containsExactly(new Endpoint("svc-host", 6543));
            assertThat(spec.database()).isEqualTo("svcdb");
            assertThat(spec.user()).isEqualTo("svcuser");
            assertThat(spec.password()).contains(SECRET);
            assertThat(spec.applicationName()).contains("url-app");
            assertThat(spec.connectTimeout()).contains(Duration.ofSeconds(7));
            assertThat(spec.sslMode()).contains(SslMode.REQUIRE);   // the service has none: the variable's
        }

        @Test
        void pgserviceNamesTheServiceWhenTheUrlDoesNot() throws IOException {
            Path services = file("services.conf", SERVICES, "rw-r--r--");
            ConnectionSpec spec = ConnectionSpec.fromEnvironment(env("PGSERVICEFILE", services.toString(),
                    "PGSERVICE", "later", "PGUSER", "u", "PGDATABASE", "d"));
            assertThat(spec.endpoints()).containsExactly(new Endpoint("later-host", 5432));
        }

        @Test
        void theUserFileIsSearchedFirstThenTheSystemFile() throws IOException {
            file("home/.pg_service.conf", "[both]\nhost=user-host\n", "rw-------");
            file("etc/pg_service.conf", "[both]\nhost=system-host\n[system]\nhost=system-only\n", "rw-r--r--");
            Map<String, String> env = env("HOME", dir.resolve("home").toString(),
                    "PGSYSCONFDIR", dir.resolve("etc").toString(), "PGUSER", "u", "PGDATABASE", "d", "PGSERVICE", "both");
            assertThat(ConnectionSpec.fromEnvironment(env).host()).isEqualTo("user-host");
            env.put("PGSERVICE", "system");
            assertThat(ConnectionSpec.fromEnvironment(env).host()).isEqualTo("system-only");
            // PGSERVICEFILE replaces ~/.pg_service.conf; a missing one is passed over, as libpq passes it over.
            env.put("PGSERVICE", "both");
            env.put("PGSERVICEFILE", dir.resolve("missing.conf").toString());
            assertThat(ConnectionSpec.fromEnvironment(env).host()).isEqualTo("system-host");
        }

        @Test
        void aServiceNoFileDefinesIsAnErrorListingTheFilesSearched() throws IOException {
            Path services = file("services.conf", SERVICES, "rw-r--r--");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env("PGSERVICEFILE", services.toString(),
                    "PGSYSCONFDIR", dir.resolve("etc").toString(), "PGSERVICE", "nope")))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith("PGSERVICE: names service \"nope\", which no service file defines "
                            + "(searched: " + services + ", " + dir.resolve("etc/pg_service.conf") + " (does not exist))");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env("PGDOCK_URL", "postgresql://h/d?service=x")))
                    .hasMessageStartingWith("PGDOCK_URL parameter service: names service \"x\", which no service file "
                            + "defines (searched: nothing, since none of PGSERVICEFILE, HOME, PGSYSCONFDIR is set)");
        }

        @Test
        void aMalformedLineOfTheServiceIsAnErrorWithFileAndLineButNotItsText() throws IOException {
            Path services = file("services.conf", "[etl]\nhost=h\npassword " + SECRET + "\n", "rw-------");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env("PGSERVICEFILE", services.toString(),
                    "PGSERVICE", "etl")))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("service file " + services + " line 3 (service \"etl\"): is not keyword=value (line "
                            + "not shown: it may hold a password)");
            Path blanks = file("blanks.conf", "[etl]\nhost = h\n", "rw-------");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env("PGSERVICEFILE", blanks.toString(),
                    "PGSERVICE", "etl")))
                    .hasMessageContaining("line 2 (service \"etl\"): has a keyword that is not one libpq knows");
        }

        @Test
        void aBadServicePasswordIsReportedWithoutIt() throws IOException {
            Path services = file("services.conf", "[etl]\nhost=h\nuser=u\ndbname=d\npassword=" + SECRET + "\0x\n",
                    "rw-------");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env("PGSERVICEFILE", services.toString(),
                    "PGSERVICE", "etl")))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("service file " + services + " line 5 (service \"etl\") password: must not contain a "
                            + "NUL character");
        }

        @Test
        void whatPgdockDoesNotSupportIsRefusedByNameWithTheReason() throws IOException {
            Path services = file("services.conf", """
                    [a]
                    host=h
                    hostaddr=10.0.0.1
                    [b]
                    service=a
                    [c]
                    keepalives=1
                    [d]
                    options=-c work_mem=1MB
                    """, "rw-------");
            Map<String, String> env = env("PGSERVICEFILE", services.toString(), "PGUSER", "u", "PGDATABASE", "d");
            env.put("PGSERVICE", "a");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env)).hasMessage("service file " + services
                    + " line 3 (service \"a\") hostaddr: is not supported: pgjdbc has no separate numeric address "
                    + "that skips the name lookup; put the address itself in the host part (postgresql://192.0.2.1/db)");
            env.put("PGSERVICE", "b");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env)).hasMessageContaining("line 5 (service \"b\") "
                    + "service: names another service; nested service specifications are not supported");
            env.put("PGSERVICE", "c");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env)).hasMessageContaining("line 7 (service \"c\") "
                    + "keepalives: is not a keyword pgdock reads from a service file (it reads host, port, dbname");
            env.put("PGSERVICE", "d");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env)).hasMessageContaining("line 9 (service \"d\") "
                    + "options: is not supported: it sends server settings at login");
        }

        @Test
        void hostAndPortListsOfAService() throws IOException {
            Path services = file("services.conf", """
                    [ha]
                    host=a,b
                    port=5433,5434
                    [one]
                    host=a,b
                    port=6000
                    [bad]
                    host=a,b,c
                    port=1,2
                    """, "rw-------");
            Map<String, String> env = env("PGSERVICEFILE", services.toString(), "PGUSER", "u", "PGDATABASE", "d",
                    "PGSERVICE", "ha");
            assertThat(ConnectionSpec.fromEnvironment(env).endpoints())
                    .containsExactly(new Endpoint("a", 5433), new Endpoint("b", 5434));
            env.put("PGSERVICE", "one");
            assertThat(ConnectionSpec.fromEnvironment(env).endpoints())
                    .containsExactly(new Endpoint("a", 6000), new Endpoint("b", 6000));
            env.put("PGSERVICE", "bad");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env)).hasMessageContaining("line 9 (service "
                    + "\"bad\") port: lists 2 ports for 3 hosts; give one port, or one per host");
        }

        @Test
        void theServicePasswordComesBeforeThePasswordFile() throws IOException {
            Path services = file("services.conf", "[etl]\nhost=h\npassword=from-service\n", "rw-------");
            Path pass = file("pgpass", "*:*:*:*:from-file\n", "rw-------");
            Map<String, String> env = env("PGSERVICEFILE", services.toString(), "PGPASSFILE", pass.toString(),
                    "PGSERVICE", "etl", "PGUSER", "u", "PGDATABASE", "d");
            assertThat(ConnectionSpec.fromEnvironment(env).password()).contains("from-service");
        }

        @Test
        void parseReadsNoFilesAndSaysWhereServiceIsRead() {
            assertThatThrownBy(() -> ConnectionSpec.parse("postgresql://u@h/d?service=etl"))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith("url parameter service: names service \"etl\", which is read from a service "
                            + "file, and ConnectionSpec.parse reads no files; pass the URL in PGDOCK_URL");
        }
    }

    @Nested
    class Variables {
        @Test
        void pgappnameAndPgconnectTimeoutFillWhatTheUrlLeavesOut() {
            Map<String, String> env = env("PGDOCK_URL", "postgresql://u@h/d", "PGAPPNAME", "nightly",
                    "PGCONNECT_TIMEOUT", "12");
            ConnectionSpec spec = ConnectionSpec.fromEnvironment(env);
            assertThat(spec.applicationName()).contains("nightly");
            assertThat(spec.connectTimeout()).contains(Duration.ofSeconds(12));
            env.put("PGDOCK_URL", "postgresql://u@h/d?application_name=own&connect_timeout=3");
            spec = ConnectionSpec.fromEnvironment(env);
            assertThat(spec.applicationName()).contains("own");
            assertThat(spec.connectTimeout()).contains(Duration.ofSeconds(3));
            env.put("PGDOCK_APPNAME", "pgdock-name");
            env.put("PGDOCK_URL", "postgresql://u@h/d");
            assertThat(ConnectionSpec.fromEnvironment(env).applicationName()).contains("pgdock-name");
        }

        @Test
        void aBadConnectTimeoutIsRefusedNamingTheVariable() {
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env("PGDOCK_URL", "postgresql://u@h/d",
                    "PGCONNECT_TIMEOUT", "-1")))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessage("PGCONNECT_TIMEOUT: must be a whole number of seconds from 0 (no limit) to 2147483647, "
                            + "but was \"-1\"");
        }

        @Test
        void pgoptionsAndPghostaddrAreRefusedWithTheReason() {
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env("PGDOCK_URL", "postgresql://u@h/d",
                    "PGOPTIONS", "-c search_path=evil")))
                    .isInstanceOf(InvalidConnectionSpecException.class)
                    .hasMessageStartingWith("PGOPTIONS: is set, and pgdock does not support it: it sends server settings "
                            + "at login (-c name=value) that would override what pgdock sets")
                    .hasMessageContaining("unset PGOPTIONS");
            assertThatThrownBy(() -> ConnectionSpec.fromEnvironment(env("PGDOCK_URL", "postgresql://u@h/d",
                    "PGHOSTADDR", "10.0.0.1")))
                    .hasMessageStartingWith("PGHOSTADDR: is set, and pgdock does not support it: pgjdbc has no separate "
                            + "numeric address");
        }

        @Test
        void aPrefixedTargetReadsItsOwnServiceAndTheUsersPasswordFile() throws IOException {
            Path services = file("services.conf", "[wh]\nhost=warehouse\ndbname=sales\nuser=reader\n", "rw-------");
            Path pass = file("pgpass", "warehouse:5432:sales:reader:" + SECRET + "\n", "rw-------");
            Map<String, String> env = env("PGSERVICEFILE", services.toString(), "PGPASSFILE", pass.toString(),
                    "T_SERVICE", "wh", "PGSERVICE", "ignored-by-a-prefixed-target");
            ConnectionSpec spec = ConnectionSpec.fromEnvironment(env, EnvironmentNames.prefixed("T_"));
            assertThat(spec.endpoints()).containsExactly(new Endpoint("warehouse", 5432));
            assertThat(spec.password()).contains(SECRET);
            assertThat(EnvironmentNames.prefixed("T_").all()).contains("T_SERVICE").doesNotContain("HOME", "PGPASSFILE");
        }
    }
}
