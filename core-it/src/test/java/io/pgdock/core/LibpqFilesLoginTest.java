package io.pgdock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.core.ConnectionFailedException.Reason;
import io.pgdock.testing.ThrowawayPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that asks for passwords (SCRAM), and a role whose password comes from libpq's files: a password file
 * ({@code PGPASSFILE}) and a service file ({@code PGSERVICEFILE} and {@code PGSERVICE}), both read by pgdock from an
 * injected environment. And pgdock is the only reader of password files: pgjdbc, which reads one on its own when it is
 * given no password, is kept from it, so a file pgdock ignores (group-readable) or one only pgjdbc would find (its
 * system property {@code org.postgresql.pgpassfile}) does not log in.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// Uses a server of its own only: run once in CI, not again against the external server (see the parent pom).
@Tag("own-server")
class LibpqFilesLoginTest {
    private static final String ROLE = "pgdock_files_role";
    private static final String PASSWORD = "files-pw-73:x\\y";

    private ThrowawayPostgres server;

    @TempDir
    Path dir;

    @BeforeAll
    void start() throws Exception {
        server = ThrowawayPostgres.start();
        ConnectionSpec admin = server.adminSpec();
        try (Connection c = new org.postgresql.Driver().connect(admin.jdbcUrl(), admin.driverProperties());
                Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + PASSWORD.replace("'", "''") + "'");
            s.execute("CREATE SCHEMA app AUTHORIZATION " + ROLE);
        }
        server.requirePasswords();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private static StorageOptions noDiscovery() {
        return StorageOptions.builder().discoverMigrations(false).build();
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("PGHOST", "127.0.0.1");
        env.put("PGPORT", Integer.toString(server.port()));
        env.put("PGDATABASE", server.adminSpec().database());
        env.put("PGUSER", ROLE);
        env.put("PGDOCK_SCHEMA", "app");
        return env;
    }

    private Path file(String name, String text, String perms) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    /** The password as a password-file field: ':' and '\' escaped. */
    private static String escaped(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    private static void assertLogsInAsTheRole(ConnectionSpec spec) {
        try (Storage storage = Storage.open(spec, noDiscovery())) {
            assertThat(storage.health().isUp()).isTrue();
            String user = storage.jdbi().withHandle(h -> h.createQuery("select current_user").mapTo(String.class).one());
            assertThat(user).isEqualTo(ROLE);
        }
    }

    @Test
    void aPasswordFromThePasswordFileLogsIn() throws Exception {
        Path pass = file("pgpass", "# for the test\nelsewhere:*:*:*:wrong\n127.0.0.1:" + server.port() + ":*:" + ROLE
                + ":" + escaped(PASSWORD) + "\n", "rw-------");
        Map<String, String> env = env();
        env.put("PGPASSFILE", pass.toString());
        ConnectionSpec spec = ConnectionSpec.fromEnvironment(env);
        assertThat(spec.toString()).doesNotContain("files-pw-73");
        assertLogsInAsTheRole(spec);
    }

    @Test
    void aPasswordFromAServiceFileLogsIn() throws Exception {
        Path services = file("services.conf", "[pgdock-test]\nhost=127.0.0.1\nport=" + server.port() + "\ndbname="
                + server.adminSpec().database() + "\nuser=" + ROLE + "\npassword=" + PASSWORD + "\n", "rw-------");
        Map<String, String> env = new HashMap<>(Map.of("PGSERVICEFILE", services.toString(),
                "PGDOCK_URL", "postgresql://?service=pgdock-test&currentSchema=app"));
        assertLogsInAsTheRole(ConnectionSpec.fromEnvironment(env));
        env.remove("PGDOCK_URL");
        env.put("PGSERVICE", "pgdock-test");
        env.put("PGDOCK_SCHEMA", "app");
        assertLogsInAsTheRole(ConnectionSpec.fromEnvironment(env));
    }

    @Test
    void aGroupReadablePasswordFileIsIgnoredByPgdockAndNotReadByPgjdbcEither() throws Exception {
        Path pass = file("pgpass-open", "*:*:*:*:" + escaped(PASSWORD) + "\n", "rw-r--r--");
        Map<String, String> env = env();
        env.put("PGPASSFILE", pass.toString());
        ConnectionSpec spec = ConnectionSpec.fromEnvironment(env);
        assertThat(spec.password()).isEmpty();
        // pgjdbc would read the same file (from its system property here, as it reads PGPASSFILE from the process).
        String old = System.getProperty("org.postgresql.pgpassfile");
        System.setProperty("org.postgresql.pgpassfile", pass.toString());
        try {
            assertThatThrownBy(() -> Storage.open(spec, noDiscovery()))
                    .isInstanceOfSatisfying(ConnectionFailedException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
                        assertThat(e.sqlState()).isEqualTo("08004");
                    })
                    .hasMessageContaining("the server asks for a password for role \"" + ROLE + "\", and none was "
                            + "given")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("files-pw-73"));
        } finally {
            if (old == null) {
                System.clearProperty("org.postgresql.pgpassfile");
            } else {
                System.setProperty("org.postgresql.pgpassfile", old);
            }
        }
        // The same file made private is read by pgdock, and logs in.
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        assertLogsInAsTheRole(ConnectionSpec.fromEnvironment(env));
    }

    @Test
    void aParsedSpecGetsThePasswordOnlyThroughWithPasswordFile() throws Exception {
        Path pass = file("pgpass-parsed", "127.0.0.1:" + server.port() + ":*:" + ROLE + ":" + escaped(PASSWORD) + "\n",
                "rw-------");
        ConnectionSpec parsed = ConnectionSpec.parse("postgresql://" + ROLE + "@127.0.0.1:" + server.port() + "/"
                + server.adminSpec().database() + "?currentSchema=app");
        String old = System.getProperty("org.postgresql.pgpassfile");
        System.setProperty("org.postgresql.pgpassfile", pass.toString());
        try {
            assertThatThrownBy(() -> Storage.open(parsed, noDiscovery()))
                    .isInstanceOfSatisfying(ConnectionFailedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION));
        } finally {
            if (old == null) {
                System.clearProperty("org.postgresql.pgpassfile");
            } else {
                System.setProperty("org.postgresql.pgpassfile", old);
            }
        }
        assertLogsInAsTheRole(parsed.withPasswordFile(Map.of("PGPASSFILE", pass.toString())));
    }
}
