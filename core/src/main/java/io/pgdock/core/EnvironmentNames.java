package io.pgdock.core;

import java.util.List;
import java.util.Objects;

/**
 * Which environment variables {@link ConnectionSpec#fromEnvironment(java.util.Map, EnvironmentNames)} reads, field by
 * field. Each field lists variable names in order of precedence: the first one that is set wins. A connection URL, when
 * one is set, is read first; the other variables fill only the fields the URL leaves out.
 *
 * <p>Presets: {@link #standard()} (pgdock's own names, then libpq's), {@link #dagster()} (the seed Dagster deployment's
 * {@code DGS_PG_*} names) and {@link #prefixed(String)} (for example the variables of one named target). Immutable.
 *
 * @param url variables holding a whole connection URL
 * @param host variables holding the host name
 * @param port variables holding the port
 * @param database variables holding the database name
 * @param user variables holding the user (role) name
 * @param password variables holding the password
 * @param schema variables holding the schema name
 * @param sslmode variables holding the TLS mode
 * @param sslrootcert variables holding the path of the CA certificate file (pgjdbc's {@code sslrootcert})
 * @param sslcert variables holding the path of the client certificate file ({@code sslcert})
 * @param sslkey variables holding the path of the client key file ({@code sslkey})
 * @param sslpassword variables holding the password of an encrypted client key ({@code sslpassword}), a secret
 */
public record EnvironmentNames(
        List<String> url,
        List<String> host,
        List<String> port,
        List<String> database,
        List<String> user,
        List<String> password,
        List<String> schema,
        List<String> sslmode,
        List<String> sslrootcert,
        List<String> sslcert,
        List<String> sslkey,
        List<String> sslpassword) {

    private static final EnvironmentNames STANDARD = new EnvironmentNames(
            List.of("PGDOCK_URL"),
            List.of("PGDOCK_HOST", "PGHOST"),
            List.of("PGDOCK_PORT", "PGPORT"),
            List.of("PGDOCK_DATABASE", "PGDATABASE"),
            List.of("PGDOCK_USER", "PGUSER"),
            List.of("PGDOCK_PASSWORD", "PGPASSWORD"),
            List.of("PGDOCK_SCHEMA"),
            List.of("PGDOCK_SSLMODE", "PGSSLMODE"),
            List.of("PGDOCK_SSLROOTCERT", "PGSSLROOTCERT"),
            List.of("PGDOCK_SSLCERT", "PGSSLCERT"),
            List.of("PGDOCK_SSLKEY", "PGSSLKEY"),
            // libpq has no variable for the key's password.
            List.of("PGDOCK_SSLPASSWORD"));

    private static final EnvironmentNames DAGSTER = new EnvironmentNames(
            List.of(),
            List.of("DGS_PG_SRV"),
            List.of("DGS_PG_PRT"),
            List.of("DGS_PG_DBN"),
            List.of("DGS_PG_USR"),
            List.of("DGS_PG_PSW"),
            List.of("DGS_PG_SCH"),
            List.of(), List.of(), List.of(), List.of(), List.of());

    /**
     * Copies the lists, so the record is immutable.
     *
     * @param url variables holding a whole connection URL
     * @param host variables holding the host name
     * @param port variables holding the port
     * @param database variables holding the database name
     * @param user variables holding the user (role) name
     * @param password variables holding the password
     * @param schema variables holding the schema name
     * @param sslmode variables holding the TLS mode
     * @param sslrootcert variables holding the path of the CA certificate file
     * @param sslcert variables holding the path of the client certificate file
     * @param sslkey variables holding the path of the client key file
     * @param sslpassword variables holding the password of an encrypted client key
     * @throws NullPointerException if a list or a name in it is null
     */
    public EnvironmentNames {
        url = List.copyOf(Objects.requireNonNull(url, "url"));
        host = List.copyOf(Objects.requireNonNull(host, "host"));
        port = List.copyOf(Objects.requireNonNull(port, "port"));
        database = List.copyOf(Objects.requireNonNull(database, "database"));
        user = List.copyOf(Objects.requireNonNull(user, "user"));
        password = List.copyOf(Objects.requireNonNull(password, "password"));
        schema = List.copyOf(Objects.requireNonNull(schema, "schema"));
        sslmode = List.copyOf(Objects.requireNonNull(sslmode, "sslmode"));
        sslrootcert = List.copyOf(Objects.requireNonNull(sslrootcert, "sslrootcert"));
        sslcert = List.copyOf(Objects.requireNonNull(sslcert, "sslcert"));
        sslkey = List.copyOf(Objects.requireNonNull(sslkey, "sslkey"));
        sslpassword = List.copyOf(Objects.requireNonNull(sslpassword, "sslpassword"));
    }

    /**
     * Names without TLS file or key-password variables, as before those fields existed.
     *
     * @param url variables holding a whole connection URL
     * @param host variables holding the host name
     * @param port variables holding the port
     * @param database variables holding the database name
     * @param user variables holding the user (role) name
     * @param password variables holding the password
     * @param schema variables holding the schema name
     * @param sslmode variables holding the TLS mode
     * @throws NullPointerException if a list or a name in it is null
     */
    public EnvironmentNames(List<String> url, List<String> host, List<String> port, List<String> database,
            List<String> user, List<String> password, List<String> schema, List<String> sslmode) {
        this(url, host, port, database, user, password, schema, sslmode, List.of(), List.of(), List.of(), List.of());
    }

    /**
     * Every variable named here, in field order; for example to tell whether any of them is set.
     *
     * @return all names, fields in declaration order
     */
    public List<String> all() {
        return java.util.stream.Stream.of(url, host, port, database, user, password, schema, sslmode, sslrootcert,
                sslcert, sslkey, sslpassword).flatMap(List::stream).toList();
    }

    /**
     * pgdock's names: {@code PGDOCK_URL}; then {@code PGDOCK_HOST}, {@code PGDOCK_PORT}, {@code PGDOCK_DATABASE},
     * {@code PGDOCK_USER}, {@code PGDOCK_PASSWORD}, {@code PGDOCK_SCHEMA}, {@code PGDOCK_SSLMODE},
     * {@code PGDOCK_SSLROOTCERT}, {@code PGDOCK_SSLCERT}, {@code PGDOCK_SSLKEY}, {@code PGDOCK_SSLPASSWORD}; then libpq's
     * {@code PGHOST}, {@code PGPORT}, {@code PGDATABASE}, {@code PGUSER}, {@code PGPASSWORD}, {@code PGSSLMODE},
     * {@code PGSSLROOTCERT}, {@code PGSSLCERT}, {@code PGSSLKEY} (libpq has no variable for the key's password).
     *
     * @return the standard names
     */
    public static EnvironmentNames standard() {
        return STANDARD;
    }

    /**
     * The seed Dagster deployment's names, unchanged: {@code DGS_PG_SRV} (host), {@code DGS_PG_PRT} (port),
     * {@code DGS_PG_DBN} (database), {@code DGS_PG_USR} (user), {@code DGS_PG_PSW} (password), {@code DGS_PG_SCH}
     * (schema). No URL and no libpq fallback.
     *
     * @return the Dagster deployment's names
     */
    public static EnvironmentNames dagster() {
        return DAGSTER;
    }

    /**
     * Names made from one prefix, with no fallback: {@code prefix + "URL"}, {@code "HOST"}, {@code "PORT"},
     * {@code "DATABASE"}, {@code "USER"}, {@code "PASSWORD"}, {@code "SCHEMA"}, {@code "SSLMODE"},
     * {@code "SSLROOTCERT"}, {@code "SSLCERT"}, {@code "SSLKEY"}, {@code "SSLPASSWORD"}. For example
     * {@code prefixed("PGDOCK_TARGET_WAREHOUSE_")} reads {@code PGDOCK_TARGET_WAREHOUSE_URL} and so on.
     *
     * @param prefix the common prefix of the variables
     * @return names with that prefix
     */
    public static EnvironmentNames prefixed(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return new EnvironmentNames(
                List.of(prefix + "URL"),
                List.of(prefix + "HOST"),
                List.of(prefix + "PORT"),
                List.of(prefix + "DATABASE"),
                List.of(prefix + "USER"),
                List.of(prefix + "PASSWORD"),
                List.of(prefix + "SCHEMA"),
                List.of(prefix + "SSLMODE"),
                List.of(prefix + "SSLROOTCERT"),
                List.of(prefix + "SSLCERT"),
                List.of(prefix + "SSLKEY"),
                List.of(prefix + "SSLPASSWORD"));
    }
}
