package io.pgdock.core;

import java.util.List;
import java.util.Objects;

/**
 * Which environment variables {@link ConnectionSpec#fromEnvironment(java.util.Map, EnvironmentNames)} reads, field by
 * field. Each field lists variable names in order of precedence: the first one that is set wins. A connection URL, when
 * one is set, is read first, then the connection service it or a {@code service} variable names; the other variables
 * fill only the fields those leave out, and the password file only a password none of them gave. The file variables
 * ({@code serviceFile}, {@code sysconfDir}, {@code passFile}, {@code home}) say where libpq's files are.
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
 * @param service variables naming a service of the service files (libpq's {@code PGSERVICE}); a URL's
 *     {@code service=} comes first
 * @param applicationName variables holding the {@code application_name} (libpq's {@code PGAPPNAME})
 * @param connectTimeout variables holding the connect timeout in whole seconds (libpq's {@code PGCONNECT_TIMEOUT})
 * @param serviceFile variables naming the user's service file (libpq's {@code PGSERVICEFILE}); when none is set,
 *     {@code ~/.pg_service.conf} under the first of {@code home} that is set
 * @param sysconfDir variables naming the directory of the system service file {@code pg_service.conf} (libpq's
 *     {@code PGSYSCONFDIR}); when none is set, no system file is read
 * @param passFile variables naming the password file (libpq's {@code PGPASSFILE}); when none is set,
 *     {@code ~/.pgpass} under the first of {@code home} that is set
 * @param home variables holding the user's home directory ({@code HOME}), for {@code ~/.pg_service.conf} and
 *     {@code ~/.pgpass}; when none is set, neither file is read
 * @param unsupported variables libpq reads that pgdock refuses when set (it fails naming the variable and why), such as
 *     {@code PGOPTIONS} and {@code PGHOSTADDR}
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
        List<String> sslpassword,
        List<String> service,
        List<String> applicationName,
        List<String> connectTimeout,
        List<String> serviceFile,
        List<String> sysconfDir,
        List<String> passFile,
        List<String> home,
        List<String> unsupported) {

    /** libpq's variables for where its files are; read by every preset, since the files belong to the user. */
    private static final List<String> PGSERVICEFILE = List.of("PGSERVICEFILE");
    private static final List<String> PGSYSCONFDIR = List.of("PGSYSCONFDIR");
    private static final List<String> PGPASSFILE = List.of("PGPASSFILE");
    private static final List<String> HOME = List.of("HOME");

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
            List.of("PGDOCK_SSLPASSWORD"),
            List.of("PGDOCK_SERVICE", "PGSERVICE"),
            List.of("PGDOCK_APPNAME", "PGAPPNAME"),
            List.of("PGDOCK_CONNECT_TIMEOUT", "PGCONNECT_TIMEOUT"),
            PGSERVICEFILE, PGSYSCONFDIR, PGPASSFILE, HOME,
            List.of("PGOPTIONS", "PGHOSTADDR"));

    private static final EnvironmentNames DAGSTER = new EnvironmentNames(
            List.of(),
            List.of("DGS_PG_SRV"),
            List.of("DGS_PG_PRT"),
            List.of("DGS_PG_DBN"),
            List.of("DGS_PG_USR"),
            List.of("DGS_PG_PSW"),
            List.of("DGS_PG_SCH"),
            List.of(), List.of(), List.of(), List.of(), List.of(),
            List.of(), List.of(), List.of(), List.of(), List.of(), PGPASSFILE, HOME, List.of());

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
     * @param service variables naming a service of the service files
     * @param applicationName variables holding the application name
     * @param connectTimeout variables holding the connect timeout in whole seconds
     * @param serviceFile variables naming the user's service file
     * @param sysconfDir variables naming the directory of the system service file
     * @param passFile variables naming the password file
     * @param home variables holding the user's home directory
     * @param unsupported variables that are refused when set
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
        service = List.copyOf(Objects.requireNonNull(service, "service"));
        applicationName = List.copyOf(Objects.requireNonNull(applicationName, "applicationName"));
        connectTimeout = List.copyOf(Objects.requireNonNull(connectTimeout, "connectTimeout"));
        serviceFile = List.copyOf(Objects.requireNonNull(serviceFile, "serviceFile"));
        sysconfDir = List.copyOf(Objects.requireNonNull(sysconfDir, "sysconfDir"));
        passFile = List.copyOf(Objects.requireNonNull(passFile, "passFile"));
        home = List.copyOf(Objects.requireNonNull(home, "home"));
        unsupported = List.copyOf(Objects.requireNonNull(unsupported, "unsupported"));
    }

    /**
     * Names without the service, application name, connect timeout and file variables, as before those fields existed:
     * such names read no service file and no password file.
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
    public EnvironmentNames(List<String> url, List<String> host, List<String> port, List<String> database,
            List<String> user, List<String> password, List<String> schema, List<String> sslmode,
            List<String> sslrootcert, List<String> sslcert, List<String> sslkey, List<String> sslpassword) {
        this(url, host, port, database, user, password, schema, sslmode, sslrootcert, sslcert, sslkey, sslpassword,
                List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
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
        this(url, host, port, database, user, password, schema, sslmode, List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /**
     * Every variable named here that holds a connection setting, in field order; for example to tell whether any of
     * them is set. The variables that only say where files are ({@code serviceFile}, {@code sysconfDir},
     * {@code passFile}, {@code home}) and the {@code unsupported} ones are not included: {@code HOME} is set
     * everywhere, and says nothing about a target.
     *
     * @return the setting variables, fields in declaration order
     */
    public List<String> all() {
        return java.util.stream.Stream.of(url, host, port, database, user, password, schema, sslmode, sslrootcert,
                sslcert, sslkey, sslpassword, service, applicationName, connectTimeout).flatMap(List::stream).toList();
    }

    /**
     * pgdock's names: {@code PGDOCK_URL}; then {@code PGDOCK_HOST}, {@code PGDOCK_PORT}, {@code PGDOCK_DATABASE},
     * {@code PGDOCK_USER}, {@code PGDOCK_PASSWORD}, {@code PGDOCK_SCHEMA}, {@code PGDOCK_SSLMODE},
     * {@code PGDOCK_SSLROOTCERT}, {@code PGDOCK_SSLCERT}, {@code PGDOCK_SSLKEY}, {@code PGDOCK_SSLPASSWORD}; then libpq's
     * {@code PGHOST}, {@code PGPORT}, {@code PGDATABASE}, {@code PGUSER}, {@code PGPASSWORD}, {@code PGSSLMODE},
     * {@code PGSSLROOTCERT}, {@code PGSSLCERT}, {@code PGSSLKEY} (libpq has no variable for the key's password);
     * the service {@code PGDOCK_SERVICE}, {@code PGSERVICE}; the application name {@code PGDOCK_APPNAME},
     * {@code PGAPPNAME}; the connect timeout {@code PGDOCK_CONNECT_TIMEOUT}, {@code PGCONNECT_TIMEOUT}; the files
     * {@code PGSERVICEFILE}, {@code PGSYSCONFDIR}, {@code PGPASSFILE} and {@code HOME}. {@code PGOPTIONS} and
     * {@code PGHOSTADDR} are refused when set.
     *
     * @return the standard names
     */
    public static EnvironmentNames standard() {
        return STANDARD;
    }

    /**
     * The seed Dagster deployment's names, unchanged: {@code DGS_PG_SRV} (host), {@code DGS_PG_PRT} (port),
     * {@code DGS_PG_DBN} (database), {@code DGS_PG_USR} (user), {@code DGS_PG_PSW} (password), {@code DGS_PG_SCH}
     * (schema). No URL and no libpq fallback, no service; the password file ({@code PGPASSFILE}, else
     * {@code ~/.pgpass} under {@code HOME}) is read when no password is set.
     *
     * @return the Dagster deployment's names
     */
    public static EnvironmentNames dagster() {
        return DAGSTER;
    }

    /**
     * Names made from one prefix, with no fallback: {@code prefix + "URL"}, {@code "HOST"}, {@code "PORT"},
     * {@code "DATABASE"}, {@code "USER"}, {@code "PASSWORD"}, {@code "SCHEMA"}, {@code "SSLMODE"},
     * {@code "SSLROOTCERT"}, {@code "SSLCERT"}, {@code "SSLKEY"}, {@code "SSLPASSWORD"}, {@code "SERVICE"},
     * {@code "APPNAME"}, {@code "CONNECT_TIMEOUT"}. For example {@code prefixed("PGDOCK_TARGET_WAREHOUSE_")} reads
     * {@code PGDOCK_TARGET_WAREHOUSE_URL} and so on. The files are the user's, found through libpq's variables
     * ({@code PGSERVICEFILE}, {@code PGSYSCONFDIR}, {@code PGPASSFILE}, {@code HOME}).
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
                List.of(prefix + "SSLPASSWORD"),
                List.of(prefix + "SERVICE"),
                List.of(prefix + "APPNAME"),
                List.of(prefix + "CONNECT_TIMEOUT"),
                PGSERVICEFILE, PGSYSCONFDIR, PGPASSFILE, HOME,
                List.of());
    }
}
