package io.pgdock.core;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Where and how to connect to PostgreSQL: host(s), port, database, user, password, schema, TLS mode, application name,
 * timeouts, read-only, target server type and an allow-listed set of extra pgjdbc options.
 *
 * <p>Three ways to make one, all validating as they go and failing with an {@link InvalidConnectionSpecException} whose
 * message names the builder field, URL part or environment variable and shows the bad value (never a password):
 * <pre>{@code
 * ConnectionSpec a = ConnectionSpec.builder().host("db").database("app").user("app_rw").schema("ingest").build();
 * ConnectionSpec b = ConnectionSpec.parse("postgresql://reader@warehouse:5432/sales?currentSchema=mart&sslmode=require");
 * ConnectionSpec c = ConnectionSpec.fromEnvironment(System.getenv());   // PGDOCK_URL, PGDOCK_*, then libpq's PG*
 * }</pre>
 *
 * <p><b>Equality.</b> Two specs are equal when every setting that changes the session is equal, so a spec can key a cache
 * of pools. The password takes part through a SHA-256 fingerprint only: specs that differ only by password are not equal
 * (a rotated password gets a new pool), and the password itself is kept out of {@link #hashCode()} and {@link #toString()}.
 *
 * <p><b>Secrets.</b> {@link #password()} is the only way to read the password. {@link #toString()} masks it, and no
 * exception message built by this class contains it.
 *
 * <p>Instances are immutable and thread-safe. Builders are not thread-safe.
 */
public final class ConnectionSpec {
    /**
     * The pgjdbc properties that may be passed through {@link Builder#option(String, String)} or a URL. Settings this class
     * models itself (user, password, sslmode, ApplicationName, timeouts, readOnly, targetServerType, currentSchema) are not
     * in this list; neither are options that load classes or rewrite the session (sslfactory, socketFactory, options).
     */
    public static final Set<String> ALLOWED_OPTIONS = Set.of(
            "sslrootcert", "sslcert", "sslkey", "sslNegotiation", "gssEncMode", "channelBinding",
            "tcpKeepAlive", "tcpNoDelay", "loginTimeout", "cancelSignalTimeout", "receiveBufferSize", "sendBufferSize",
            "prepareThreshold", "preparedStatementCacheQueries", "preparedStatementCacheSizeMiB", "preferQueryMode",
            "defaultRowFetchSize", "reWriteBatchedInserts", "binaryTransfer", "stringtype", "autosave",
            "cleanupSavepoints", "loadBalanceHosts", "hostRecheckSeconds", "assumeMinServerVersion",
            "readOnlyMode", "maxResultBuffer", "adaptiveFetch", "logUnclosedConnections", "quoteReturningIdentifiers");

    /** Options pgjdbc has that are refused on purpose, with why and what to use instead. */
    private static final Map<String, String> REFUSED_OPTIONS = Map.of(
            "sslfactory", "it makes pgjdbc load and run a class named by configuration, and pgdock's TLS checks assume "
                    + "pgjdbc's own; use sslmode (verify-full), sslrootcert, sslcert, sslkey and sslpassword",
            "sslpasswordcallback", "it makes pgjdbc load a class named by configuration; give the key's password as "
                    + "sslpassword (URL, builder sslPassword(), or PGDOCK_SSLPASSWORD)",
            "socketFactory", "it makes pgjdbc load and run a class named by configuration",
            "sslhostnameverifier", "it makes pgjdbc load a class named by configuration, and can switch off the "
                    + "host-name check; use sslmode=verify-full, or verify-ca where the name cannot match");

    private final List<Endpoint> endpoints;
    /** Each endpoint's own port as it was set, or null where the host took {@link #defaultPort}; for toBuilder. */
    private final List<@Nullable Integer> ownPorts;
    /** The builder's port for hosts without their own, or null for 5432; for toBuilder. */
    private final @Nullable Integer defaultPort;
    private final String database;
    private final String user;
    private final @Nullable String password;
    private final @Nullable String schema;
    private final @Nullable SslMode sslMode;
    private final @Nullable String applicationName;
    private final @Nullable Duration connectTimeout;
    private final @Nullable Duration socketTimeout;
    private final @Nullable Duration statementTimeout;
    private final @Nullable Duration lockTimeout;
    private final @Nullable Duration idleInTransactionSessionTimeout;
    private final boolean readOnly;
    private final TargetServerType targetServerType;
    private final SortedMap<String, String> options;
    private final byte[] passwordFingerprint;
    /** The password of the client key ({@code sslkey}), a secret like the password; or null. */
    private final @Nullable String sslPassword;
    private final byte[] sslPasswordFingerprint;
    private final int hash;

    private ConnectionSpec(Builder b, List<Endpoint> endpoints) {
        this.endpoints = List.copyOf(endpoints);
        this.ownPorts = Collections.unmodifiableList(new ArrayList<>(b.hostPorts));
        this.defaultPort = b.port;
        // build() checked that both are set.
        this.database = Objects.requireNonNull(b.database, "database");
        this.user = Objects.requireNonNull(b.user, "user");
        this.password = b.password;
        this.schema = b.schema;
        this.sslMode = b.sslMode;
        this.applicationName = b.applicationName;
        this.connectTimeout = b.connectTimeout;
        this.socketTimeout = b.socketTimeout;
        this.statementTimeout = b.statementTimeout;
        this.lockTimeout = b.lockTimeout;
        this.idleInTransactionSessionTimeout = b.idleInTransactionSessionTimeout;
        this.readOnly = b.readOnly;
        this.targetServerType = b.targetServerType;
        this.options = Collections.unmodifiableSortedMap(new TreeMap<>(b.options));
        this.passwordFingerprint = password == null ? new byte[0] : Values.sha256(password);
        this.sslPassword = b.sslPassword;
        this.sslPasswordFingerprint = sslPassword == null ? new byte[0] : Values.sha256(sslPassword);
        // Specs are map keys (DataSourceFactory looks a pool up by spec on every get), so the hash is computed once.
        this.hash = Objects.hash(this.endpoints, database, user, schema, sslMode, applicationName, connectTimeout,
                socketTimeout, statementTimeout, lockTimeout, idleInTransactionSessionTimeout, readOnly,
                targetServerType, options);
    }

    /**
     * A builder with nothing set. {@link Builder#build()} needs at least a host, a database and a user.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding every setting of this spec, to derive a changed copy. Hosts keep what was set for them: a host
     * that was given its own port (in a URL, {@code host:port}, or by {@link Builder#endpoints}) keeps it, and one that
     * was not takes {@link Builder#port(int)}, so {@code spec.toBuilder().port(6543)} moves those hosts to 6543 (and is
     * refused, saying why, if every host has a port of its own).
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        for (int i = 0; i < endpoints.size(); i++) {
            b.hosts.add(endpoints.get(i).host());
            b.hostPorts.add(ownPorts.get(i));
        }
        b.port = defaultPort;
        b.portSetByCaller = false;
        b.database = database;
        b.user = user;
        b.password = password;
        b.sslPassword = sslPassword;
        b.schema = schema;
        b.sslMode = sslMode;
        b.applicationName = applicationName;
        b.connectTimeout = connectTimeout;
        b.socketTimeout = socketTimeout;
        b.statementTimeout = statementTimeout;
        b.lockTimeout = lockTimeout;
        b.idleInTransactionSessionTimeout = idleInTransactionSessionTimeout;
        b.readOnly = readOnly;
        b.targetServerType = targetServerType;
        b.options.putAll(options);
        return b;
    }

    /**
     * Parses a connection URL in libpq's form ({@code postgresql://} or {@code postgres://}) or pgjdbc's
     * ({@code jdbc:postgresql://}):
     * <pre>{@code
     * postgresql://user:password@host1:5432,host2:5433/database?currentSchema=s&sslmode=require&ApplicationName=etl
     * }</pre>
     * Read as libpq reads a URI: user, password, hosts, ports and database are percent-decoded ({@code +} stays a
     * plus; a bad escape or {@code %00} is refused naming the part), and an empty port ({@code host:}) is the default.
     * What pgjdbc cannot do is refused by name with the reason: no host (libpq would use a Unix-domain socket), a
     * socket directory as host ({@code %2Fvar%2Frun%2Fpostgresql}), and libpq's {@code host}, {@code hostaddr},
     * {@code port}, {@code dbname}, {@code options}, {@code passfile}, {@code servicefile} and
     * {@code target_session_attrs} parameters; {@code service} is read only by {@link #fromEnvironment(Map)}.
     * This method reads no file: see {@link #withPasswordFile(Map)}. Query parameters use pgjdbc's names for
     * the settings this class models: {@code user}, {@code password}, {@code currentSchema}, {@code sslmode},
     * {@code ApplicationName} (or libpq's {@code application_name}), {@code connectTimeout} (or {@code connect_timeout};
     * whole seconds), {@code socketTimeout} (seconds), {@code targetServerType}, {@code readOnly}; pgdock's
     * {@code statementTimeout}, {@code lockTimeout} and {@code idleInTransactionSessionTimeout} (milliseconds); and any
     * name in {@link #ALLOWED_OPTIONS}. Unknown and repeated parameters are refused.
     *
     * @param url the URL
     * @return the spec
     * @throws InvalidConnectionSpecException if the URL is malformed or a setting is missing or invalid
     */
    public static ConnectionSpec parse(String url) {
        Objects.requireNonNull(url, "url");
        Builder b = UrlParser.parse(url, "url");
        if (b.service != null) {
            throw new InvalidConnectionSpecException(b.serviceSource, "names service " + Values.show(b.service)
                    + ", which is read from a service file, and ConnectionSpec.parse reads no files; pass the URL in "
                    + "PGDOCK_URL to ConnectionSpec.fromEnvironment, which reads PGSERVICEFILE, ~/.pg_service.conf and "
                    + "PGSYSCONFDIR/pg_service.conf");
        }
        if (b.hosts.isEmpty()) {
            throw new InvalidConnectionSpecException("url host", "host is not set (libpq would connect through its "
                    + "default Unix-domain socket, which pgjdbc does not support; name a TCP host such as localhost)");
        }
        b.requireComplete("url", "host", "database", "user");
        return b.build();
    }

    /**
     * Reads a spec from environment variables with the {@link EnvironmentNames#standard() standard names}:
     * {@code PGDOCK_URL}; then {@code PGDOCK_HOST}, {@code PGDOCK_PORT}, {@code PGDOCK_DATABASE}, {@code PGDOCK_USER},
     * {@code PGDOCK_PASSWORD}, {@code PGDOCK_SCHEMA}, {@code PGDOCK_SSLMODE}; then libpq's {@code PGHOST},
     * {@code PGPORT}, {@code PGDATABASE}, {@code PGUSER}, {@code PGPASSWORD}, {@code PGSSLMODE}, {@code PGAPPNAME},
     * {@code PGCONNECT_TIMEOUT}; libpq's service files ({@code PGSERVICE}, {@code PGSERVICEFILE}, {@code PGSYSCONFDIR})
     * and password file ({@code PGPASSFILE}, else {@code $HOME/.pgpass}). {@code PGOPTIONS} and {@code PGHOSTADDR} are
     * refused when set.
     *
     * @param env the environment, usually {@code System.getenv()}; never read from anywhere else
     * @return the spec
     * @throws InvalidConnectionSpecException naming the variable, if a variable is invalid or a required one is unset
     * @see #fromEnvironment(Map, EnvironmentNames)
     */
    public static ConnectionSpec fromEnvironment(Map<String, String> env) {
        return fromEnvironment(env, EnvironmentNames.standard());
    }

    /**
     * Reads a spec from environment variables and libpq's files, in libpq's order of precedence:
     * <ol>
     * <li>the URL variable, if set (with its {@code service=}, if any);</li>
     * <li>the connection service named by the URL's {@code service=}, else by the first set {@code service} variable:
     *     its section of the user's service file (the {@code serviceFile} variable, else {@code .pg_service.conf} in
     *     the {@code home} directory), or, only when that file does not define it, of
     *     {@code <sysconfDir>/pg_service.conf}; its values fill what the URL left unset;</li>
     * <li>for each field still unset, the first of its variables that is set;</li>
     * <li>when no password was set by any of those, the password file (the {@code passFile} variable, else
     *     {@code .pgpass} in the {@code home} directory), as {@link #withPasswordFile(Map)} reads it.</li>
     * </ol>
     * Files are found through {@code env} only (never {@code System.getenv()} or {@code user.home}), so a map without
     * {@code HOME} and the file variables reads no file. A variable that is set but empty is an error (it is almost
     * always a deployment mistake), as is an unknown value, a variable of {@link EnvironmentNames#unsupported()}, or a
     * bad line of the service; the message names the variable, or the file and line (never a password).
     *
     * @param env the environment, usually {@code System.getenv()}
     * @param names which variables to read, for example {@link EnvironmentNames#dagster()}
     * @return the spec
     * @throws InvalidConnectionSpecException naming the variable, if a variable is invalid or a required one is unset
     */
    public static ConnectionSpec fromEnvironment(Map<String, String> env, EnvironmentNames names) {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(names, "names");
        String v;
        for (String unsupported : names.unsupported()) {
            if (env.get(unsupported) != null) {
                throw new InvalidConnectionSpecException(unsupported, "is set, and pgdock does not support it: "
                        + UNSUPPORTED_VARIABLES.getOrDefault(unsupported, "unset it"));
            }
        }
        String urlVariable = firstSet(env, names.url());
        Builder b = urlVariable == null ? new Builder() : UrlParser.parse(setValue(env, urlVariable), urlVariable);

        // As libpq: the URL's own values, then the service's, then the variables.
        String serviceVariable = b.service == null ? firstSet(env, names.service()) : null;
        if (serviceVariable != null) {
            b.setService(setValue(env, serviceVariable), serviceVariable);
        }
        if (b.service != null) {
            applyService(b, LibpqFiles.service(b.service, b.serviceSource, env, names));
        }

        if (b.hosts.isEmpty() && (v = firstSet(env, names.host())) != null) {
            b.setHost(setValue(env, v), v);
        }
        // As libpq: the port variable is for hosts the URL gave no port (and is checked even when none needs it).
        if (b.port == null && (v = firstSet(env, names.port())) != null) {
            int port = Endpoint.parsePort(v, setValue(env, v));
            if (b.hosts.isEmpty() || b.hostPorts.contains(null)) {
                b.setPort(port, v);
                b.portSetByCaller = false;
            }
        }
        if (b.database == null && (v = firstSet(env, names.database())) != null) {
            b.setDatabase(setValue(env, v), v);
        }
        if (b.user == null && (v = firstSet(env, names.user())) != null) {
            b.setUser(setValue(env, v), v);
        }
        if (b.password == null && (v = firstSet(env, names.password())) != null) {
            b.setPassword(setValue(env, v), v);
        }
        if (b.schema == null && (v = firstSet(env, names.schema())) != null) {
            b.setSchema(setValue(env, v), v);
        }
        if (b.sslMode == null && (v = firstSet(env, names.sslmode())) != null) {
            b.sslMode = SslMode.parse(v, setValue(env, v));
        }
        for (Map.Entry<String, List<String>> file : Map.of("sslrootcert", names.sslrootcert(),
                "sslcert", names.sslcert(), "sslkey", names.sslkey()).entrySet()) {
            if (!b.options.containsKey(file.getKey()) && (v = firstSet(env, file.getValue())) != null) {
                b.setOption(file.getKey(), setValue(env, v), v);
            }
        }
        if (b.sslPassword == null && (v = firstSet(env, names.sslpassword())) != null) {
            b.setSslPassword(setValue(env, v), v);
        }
        if (b.applicationName == null && (v = firstSet(env, names.applicationName())) != null) {
            b.setApplicationName(setValue(env, v), v);
        }
        if (b.connectTimeout == null && (v = firstSet(env, names.connectTimeout())) != null) {
            b.connectTimeout = Duration.ofSeconds(parseSeconds(v, setValue(env, v)));
        }
        requireSet(b.hosts.isEmpty(), "host", names.url(), names.host());
        requireSet(b.database == null, "database", names.url(), names.database());
        requireSet(b.user == null, "user", names.url(), names.user());
        ConnectionSpec spec = b.build();
        return spec.password == null ? spec.withPasswordFile(LibpqFiles.passFile(env, names)) : spec;
    }

    /** libpq's variables that pgdock refuses, and why. */
    private static final Map<String, String> UNSUPPORTED_VARIABLES = Map.of(
            "PGOPTIONS", "it sends server settings at login (-c name=value) that would override what pgdock sets "
                    + "(search_path, timeouts), and pgjdbc's options parameter, which it would become, is refused for "
                    + "that reason; use PGDOCK_SCHEMA, the URL's statementTimeout or lockTimeout, or ALTER ROLE ... SET; "
                    + "unset PGOPTIONS for this process",
            "PGHOSTADDR", "pgjdbc has no separate numeric address that skips the name lookup; put the address in "
                    + "PGHOST (or PGDOCK_HOST) and unset PGHOSTADDR");

    /**
     * This spec with the password of the password file that libpq would use, when the spec has no password: the file
     * {@code PGPASSFILE} names, else {@code .pgpass} in {@code HOME} (both read from {@code env}), matched line by line
     * ({@code hostname:port:database:username:password}, {@code *} matches any value, backslash escapes, the first
     * matching line wins). A file the group or others may access, or that is not a plain file, is ignored with a
     * warning, as libpq ignores it. {@link #fromEnvironment(Map, EnvironmentNames)} does this itself; use this for a
     * spec made by {@link #parse(String)} or the builder.
     *
     * <p>pgdock is the only reader of password files: a spec without a password logs in with no password, since
     * pgdock keeps pgjdbc from reading {@code ~/.pgpass} on its own.
     *
     * <p>With several hosts, every host must get the same password from the file (a spec has one password).
     *
     * @param env the environment, usually {@code System.getenv()}
     * @return this spec if it has a password or no line matches, else a copy with the file's password
     * @throws InvalidConnectionSpecException naming the file and line (never the password) if the file cannot be
     *     read, the matching line's password is empty, or the hosts get different passwords
     */
    public ConnectionSpec withPasswordFile(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        return password != null ? this : withPasswordFile(LibpqFiles.passFile(env, EnvironmentNames.standard()));
    }

    private ConnectionSpec withPasswordFile(java.nio.file.@Nullable Path file) {
        if (file == null) {
            return this;
        }
        LibpqFiles.PassMatch first = null;
        Endpoint firstEndpoint = null;
        for (Endpoint e : endpoints) {
            LibpqFiles.PassMatch m = LibpqFiles.password(file, e, database, user);
            if (firstEndpoint == null) {
                first = m;
                firstEndpoint = e;
            } else if ((first == null) != (m == null)
                    || (first != null && m != null && !first.password().equals(m.password()))) {
                throw new InvalidConnectionSpecException("password file " + file, "gives host " + firstEndpoint
                        + (first == null ? " no password" : " the password of line " + first.line()) + " and host " + e
                        + (m == null ? " no password" : " the password of line " + m.line()) + "; a spec has one "
                        + "password for all its hosts, so give each host the same one (or use '*' for the host)");
            }
        }
        if (first == null) {
            return this;
        }
        return toBuilder().setPassword(first.password(), first.where()).build();
    }

    /** Applies a service's values to what the URL left unset; {@code where} names the file and line in errors. */
    private static void applyService(Builder b, Map<String, LibpqFiles.ServiceValue> values) {
        LibpqFiles.ServiceValue hosts = values.get("host");
        LibpqFiles.ServiceValue ports = values.get("port");
        for (Map.Entry<String, LibpqFiles.ServiceValue> e : values.entrySet()) {
            String keyword = e.getKey();
            String value = e.getValue().value();
            String at = e.getValue().where();
            switch (keyword) {
                case "host", "port" -> { }   // below, together
                case "dbname" -> {
                    if (b.database == null) {
                        b.setDatabase(value, at);
                    }
                }
                case "user" -> {
                    if (b.user == null) {
                        b.setUser(value, at);
                    }
                }
                case "password" -> {
                    if (b.password == null) {
                        b.setPassword(value, at);
                    }
                }
                case "sslmode" -> {
                    if (b.sslMode == null) {
                        b.sslMode = SslMode.parse(at, value);
                    }
                }
                case "sslrootcert", "sslcert", "sslkey" -> {
                    if (!b.options.containsKey(keyword)) {
                        b.setOption(keyword, value, at);
                    }
                }
                case "application_name" -> {
                    if (b.applicationName == null) {
                        b.setApplicationName(value, at);
                    }
                }
                case "connect_timeout" -> {
                    if (b.connectTimeout == null) {
                        b.connectTimeout = Duration.ofSeconds(parseSeconds(at, value));
                    }
                }
                case "service" -> throw new InvalidConnectionSpecException(at, "names another service; nested "
                        + "service specifications are not supported (libpq refuses them too)");
                default -> throw new InvalidConnectionSpecException(at, UrlParser.LIBPQ_UNSUPPORTED.containsKey(keyword)
                        ? "is not supported: " + UrlParser.LIBPQ_UNSUPPORTED.get(keyword)
                        : "is not a keyword pgdock reads from a service file (it reads host, port, dbname, user, "
                                + "password, sslmode, sslrootcert, sslcert, sslkey, application_name, connect_timeout)");
            }
        }
        if (hosts != null && b.hosts.isEmpty()) {
            String[] list = hosts.value().split(",", -1);
            // Without a port line, one empty port: every host takes the default.
            String[] portList = ports == null ? new String[] {""} : ports.value().split(",", -1);
            String portsWhere = ports == null ? hosts.where() : ports.where();
            if (portList.length != 1 && portList.length != list.length) {
                throw new InvalidConnectionSpecException(portsWhere, "lists " + portList.length + " ports for "
                        + list.length + " hosts; give one port, or one per host");
            }
            for (int i = 0; i < list.length; i++) {
                String port = portList[portList.length == 1 ? 0 : i];
                b.addEndpoint(list[i], port.isEmpty() ? null : Endpoint.parsePort(portsWhere, port), hosts.where());
            }
        } else if (ports != null && b.port == null && (b.hosts.isEmpty() || b.hostPorts.contains(null))) {
            // As PGPORT: the port for hosts given without one (a list here only fits the service's own hosts).
            if (ports.value().contains(",")) {
                throw new InvalidConnectionSpecException(ports.where(), "lists several ports, but the hosts come "
                        + "from elsewhere; give one port");
            }
            b.setPort(Endpoint.parsePort(ports.where(), ports.value()), ports.where());
            b.portSetByCaller = false;
        }
    }

    private static long parseSeconds(String source, String value) {
        try {
            long n = Long.parseLong(value);
            if (n >= 0 && n <= Integer.MAX_VALUE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidConnectionSpecException(source, "must be a whole number of seconds from 0 (no limit) to "
                + Integer.MAX_VALUE + ", but was " + Values.show(value));
    }

    private static @Nullable String firstSet(Map<String, String> env, List<String> variables) {
        for (String name : variables) {
            if (env.get(name) != null) {
                return name;
            }
        }
        return null;
    }

    /** The value of a variable that {@link #firstSet} found set. */
    private static String setValue(Map<String, String> env, String variable) {
        return Objects.requireNonNull(env.get(variable), variable);
    }

    private static void requireSet(boolean missing, String field, List<String> urlVariables, List<String> variables) {
        if (missing) {
            List<String> all = new ArrayList<>(urlVariables);
            all.addAll(variables);
            String source = all.isEmpty() ? field : String.join(" or ", all);
            throw new InvalidConnectionSpecException(source, field + " is not set; set "
                    + (all.isEmpty() ? "it" : String.join(", ", all))
                    + ("host".equals(field) ? " (without a host libpq would connect through its default Unix-domain "
                            + "socket, which pgjdbc does not support)" : ""));
        }
    }

    /**
     * The servers to try, in order; never empty.
     *
     * @return the endpoints
     */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /**
     * The first server's host.
     *
     * @return a host name or address
     */
    public String host() {
        return endpoints.get(0).host();
    }

    /**
     * The first server's port.
     *
     * @return the port
     */
    public int port() {
        return endpoints.get(0).port();
    }

    /**
     * The database name.
     *
     * @return the database
     */
    public String database() {
        return database;
    }

    /**
     * The role to log in as.
     *
     * @return the user name
     */
    public String user() {
        return user;
    }

    /**
     * The password, if one is set. This is the only accessor that reveals it; do not log what it returns.
     *
     * @return the password, or empty
     */
    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    /**
     * The password that decrypts the client key ({@code sslkey}), pgjdbc's {@code sslpassword}, if one is set. A secret
     * like {@link #password()}: masked in {@link #toString()}, never in a message or log, and part of
     * {@link #equals(Object)} through a fingerprint only. This is the only accessor that reveals it.
     *
     * @return the key's password, or empty
     */
    public Optional<String> sslPassword() {
        return Optional.ofNullable(sslPassword);
    }

    /**
     * The schema sessions work in: it is first on the {@code search_path} of every connection.
     *
     * @return the schema, or empty to leave the server's {@code search_path} alone
     */
    public Optional<String> schema() {
        return Optional.ofNullable(schema);
    }

    /**
     * The TLS mode, if set; pgjdbc's default ({@code prefer}) applies otherwise.
     *
     * @return the TLS mode, or empty
     */
    public Optional<SslMode> sslMode() {
        return Optional.ofNullable(sslMode);
    }

    /**
     * The {@code application_name} the server shows in {@code pg_stat_activity}.
     *
     * @return the application name, or empty
     */
    public Optional<String> applicationName() {
        return Optional.ofNullable(applicationName);
    }

    /**
     * How long to wait for the TCP connection and start-up; pgjdbc's default (10 s) applies if empty.
     *
     * @return the connect timeout, or empty
     */
    public Optional<Duration> connectTimeout() {
        return Optional.ofNullable(connectTimeout);
    }

    /**
     * How long a read from the server may block; no limit if empty.
     *
     * @return the socket timeout, or empty
     */
    public Optional<Duration> socketTimeout() {
        return Optional.ofNullable(socketTimeout);
    }

    /**
     * The server-side {@code statement_timeout} set on every session.
     *
     * @return the statement timeout, or empty to keep the server's
     */
    public Optional<Duration> statementTimeout() {
        return Optional.ofNullable(statementTimeout);
    }

    /**
     * The server-side {@code lock_timeout} set on every session.
     *
     * @return the lock timeout, or empty to keep the server's
     */
    public Optional<Duration> lockTimeout() {
        return Optional.ofNullable(lockTimeout);
    }

    /**
     * The server-side {@code idle_in_transaction_session_timeout} set on every session.
     *
     * @return the timeout, or empty to keep the server's
     */
    public Optional<Duration> idleInTransactionSessionTimeout() {
        return Optional.ofNullable(idleInTransactionSessionTimeout);
    }

    /**
     * Whether connections are opened read-only.
     *
     * @return true for read-only connections
     */
    public boolean readOnly() {
        return readOnly;
    }

    /**
     * Which server of several to use.
     *
     * @return the target server type; {@link TargetServerType#ANY} unless set
     */
    public TargetServerType targetServerType() {
        return targetServerType;
    }

    /**
     * Extra pgjdbc options, by name, from {@link #ALLOWED_OPTIONS}.
     *
     * @return an unmodifiable sorted map
     */
    public SortedMap<String, String> options() {
        return options;
    }

    /**
     * The pgjdbc URL of the servers and database, without credentials or other settings; pair it with
     * {@link #driverProperties()}.
     *
     * @return for example {@code jdbc:postgresql://db:5432/app}
     */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + endpoints.stream().map(Endpoint::toString).collect(Collectors.joining(","))
                + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
    }

    /**
     * The pgjdbc properties for this spec: user, password (if set), and every other driver-level setting.
     * Session settings ({@code search_path} and the server-side timeouts) are in {@link #sessionInitSql()} instead.
     * The result contains the password: pass it to the driver, never to a log.
     *
     * @return a new, modifiable {@code Properties}
     */
    public Properties driverProperties() {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        if (sslMode != null) {
            p.setProperty("sslmode", sslMode.value());
        }
        if (sslPassword != null) {
            p.setProperty("sslpassword", sslPassword);
        }
        if (applicationName != null) {
            p.setProperty("ApplicationName", applicationName);
        }
        if (connectTimeout != null) {
            p.setProperty("connectTimeout", Long.toString(connectTimeout.toSeconds()));
        }
        if (socketTimeout != null) {
            p.setProperty("socketTimeout", Long.toString(socketTimeout.toSeconds()));
        }
        if (targetServerType != TargetServerType.ANY) {
            p.setProperty("targetServerType", targetServerType.value());
        }
        if (readOnly) {
            p.setProperty("readOnly", "true");
            // pgjdbc's default, readOnlyMode=transaction, makes only explicit transactions read-only: an INSERT in
            // auto-commit would still write. "always" also sets the session read-only while in auto-commit.
            p.setProperty("readOnlyMode", "always");
        }
        options.forEach(p::setProperty);
        return p;
    }

    /**
     * The statements to run once on every new connection: {@code SET search_path TO "<schema>", pg_catalog} when a
     * schema is set (the identifier is quoted, so no schema name can inject SQL), and the server-side timeouts when set.
     *
     * @return semicolon-separated statements, or an empty string when there is nothing to set
     */
    public String sessionInitSql() {
        List<String> statements = new ArrayList<>(4);
        if (schema != null) {
            statements.add("SET search_path TO " + Values.quoteIdentifier(schema) + ", pg_catalog");
        }
        if (statementTimeout != null) {
            statements.add("SET statement_timeout = " + statementTimeout.toMillis());
        }
        if (lockTimeout != null) {
            statements.add("SET lock_timeout = " + lockTimeout.toMillis());
        }
        if (idleInTransactionSessionTimeout != null) {
            statements.add("SET idle_in_transaction_session_timeout = " + idleInTransactionSessionTimeout.toMillis());
        }
        return String.join("; ", statements);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ConnectionSpec that)) {
            return false;
        }
        return readOnly == that.readOnly
                && endpoints.equals(that.endpoints)
                && database.equals(that.database)
                && user.equals(that.user)
                && MessageDigest.isEqual(passwordFingerprint, that.passwordFingerprint)
                && MessageDigest.isEqual(sslPasswordFingerprint, that.sslPasswordFingerprint)
                && Objects.equals(schema, that.schema)
                && sslMode == that.sslMode
                && Objects.equals(applicationName, that.applicationName)
                && Objects.equals(connectTimeout, that.connectTimeout)
                && Objects.equals(socketTimeout, that.socketTimeout)
                && Objects.equals(statementTimeout, that.statementTimeout)
                && Objects.equals(lockTimeout, that.lockTimeout)
                && Objects.equals(idleInTransactionSessionTimeout, that.idleInTransactionSessionTimeout)
                && targetServerType == that.targetServerType
                && options.equals(that.options);
    }

    /** Consistent with {@link #equals(Object)}; neither the password nor the sslpassword contributes. */
    @Override
    public int hashCode() {
        return hash;
    }

    /**
     * The spec as a URL with the password masked, for logs and messages, for example
     * {@code postgresql://app:***@db:5432/app?currentSchema=ingest}.
     */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("postgresql://").append(UrlParser.encode(user));
        if (password != null) {
            s.append(":***");
        }
        s.append('@').append(endpoints.stream().map(Endpoint::toString).collect(Collectors.joining(",")))
                .append('/').append(UrlParser.encode(database));
        List<String> params = new ArrayList<>();
        if (schema != null) {
            params.add("currentSchema=" + UrlParser.encode(schema));
        }
        if (sslMode != null) {
            params.add("sslmode=" + sslMode.value());
        }
        if (sslPassword != null) {
            params.add("sslpassword=***");
        }
        if (applicationName != null) {
            params.add("ApplicationName=" + UrlParser.encode(applicationName));
        }
        addSeconds(params, "connectTimeout", connectTimeout);
        addSeconds(params, "socketTimeout", socketTimeout);
        addMillis(params, "statementTimeout", statementTimeout);
        addMillis(params, "lockTimeout", lockTimeout);
        addMillis(params, "idleInTransactionSessionTimeout", idleInTransactionSessionTimeout);
        if (readOnly) {
            params.add("readOnly=true");
        }
        if (targetServerType != TargetServerType.ANY) {
            params.add("targetServerType=" + targetServerType.value());
        }
        options.forEach((k, v) -> params.add(k + "=" + UrlParser.encode(v)));
        if (!params.isEmpty()) {
            s.append('?').append(String.join("&", params));
        }
        return s.toString();
    }

    private static void addSeconds(List<String> params, String name, @Nullable Duration d) {
        if (d != null) {
            params.add(name + "=" + d.toSeconds());
        }
    }

    private static void addMillis(List<String> params, String name, @Nullable Duration d) {
        if (d != null) {
            params.add(name + "=" + d.toMillis());
        }
    }

    /**
     * Builds a {@link ConnectionSpec}. Each setter validates its value at once and throws an
     * {@link InvalidConnectionSpecException} naming the field; {@link #build()} checks that host, database and user are
     * set. Not thread-safe.
     */
    public static final class Builder {
        private final List<String> hosts = new ArrayList<>(1);
        private final List<@Nullable Integer> hostPorts = new ArrayList<>(1);
        private @Nullable Integer port;
        /** Whether {@link #port(int)} was called on this builder, so that a port no host takes is refused. */
        private boolean portSetByCaller;
        private @Nullable String database;
        private @Nullable String user;
        private @Nullable String password;
        private @Nullable String sslPassword;
        private @Nullable String schema;
        private @Nullable SslMode sslMode;
        private @Nullable String applicationName;
        private @Nullable Duration connectTimeout;
        private @Nullable Duration socketTimeout;
        private @Nullable Duration statementTimeout;
        private @Nullable Duration lockTimeout;
        private @Nullable Duration idleInTransactionSessionTimeout;
        private boolean readOnly;
        private TargetServerType targetServerType = TargetServerType.ANY;
        private final SortedMap<String, String> options = new TreeMap<>();
        /** A URL's {@code service=}, read by fromEnvironment; not part of the spec. */
        @Nullable String service;
        String serviceSource = "";   // where service came from; read only when service is set

        private Builder() {
        }

        /**
         * Sets a single server host (replacing any hosts set before); its port is {@link #port(int)} or 5432.
         *
         * @param host a host name or IP address
         * @return this builder
         */
        public Builder host(String host) {
            return setHost(host, "host");
        }

        Builder setHost(String host, String source) {
            Endpoint.checkHost(source, host);
            hosts.clear();
            hostPorts.clear();
            hosts.add(host);
            hostPorts.add(null);
            return this;
        }

        /**
         * Sets several servers, tried in order (see {@link #targetServerType(TargetServerType)}), replacing any hosts
         * set before.
         *
         * @param endpoints one or more servers
         * @return this builder
         */
        public Builder endpoints(List<Endpoint> endpoints) {
            Objects.requireNonNull(endpoints, "endpoints");
            if (endpoints.isEmpty()) {
                throw new InvalidConnectionSpecException("endpoints", "must not be empty");
            }
            hosts.clear();
            hostPorts.clear();
            for (Endpoint e : endpoints) {
                hosts.add(Objects.requireNonNull(e, "endpoint").host());
                hostPorts.add(e.port());
            }
            return this;
        }

        Builder setService(String service, String source) {
            if (service.isEmpty() || service.indexOf('\0') >= 0 || service.indexOf(']') >= 0) {
                throw new InvalidConnectionSpecException(source, "must be a service name (not empty, no ']' or NUL), "
                        + "but was " + Values.show(service));
            }
            this.service = service;
            this.serviceSource = source;
            return this;
        }

        void addEndpoint(String host, @Nullable Integer hostPort, String source) {
            Endpoint.checkHost(source, host);
            hosts.add(host);
            hostPorts.add(hostPort);
        }

        /**
         * Sets the port of hosts that have none of their own: those set with {@link #host(String)}, and those of a URL
         * or of {@link ConnectionSpec#toBuilder()} that came without a port. Default 5432. {@link #build()} refuses a
         * port that no host would take (every host has its own), rather than ignore it.
         *
         * @param port 1 to 65535
         * @return this builder
         */
        public Builder port(int port) {
            setPort(port, "port");
            portSetByCaller = true;
            return this;
        }

        Builder setPort(int port, String source) {
            this.port = Endpoint.checkPort(source, port);
            return this;
        }

        /**
         * Sets the database name.
         *
         * @param database not empty, no NUL or unpaired surrogate, at most 63 bytes in UTF-8
         * @return this builder
         */
        public Builder database(String database) {
            return setDatabase(database, "database");
        }

        Builder setDatabase(String database, String source) {
            this.database = Values.checkIdentifier(source, database);
            return this;
        }

        /**
         * Sets the role to log in as.
         *
         * @param user not empty, no NUL or unpaired surrogate, at most 63 bytes in UTF-8
         * @return this builder
         */
        public Builder user(String user) {
            return setUser(user, "user");
        }

        Builder setUser(String user, String source) {
            this.user = Values.checkIdentifier(source, user);
            return this;
        }

        /**
         * Sets the password; {@code null} removes it (for trust, peer or certificate authentication).
         *
         * @param password the password; not empty
         * @return this builder
         */
        public Builder password(@Nullable String password) {
            return setPassword(password, "password");
        }

        Builder setPassword(@Nullable String password, String source) {
            if (password != null && password.isEmpty()) {
                throw new InvalidConnectionSpecException(source, "must not be empty (leave it unset for no password)");
            }
            if (password != null && password.indexOf('\0') >= 0) {
                throw new InvalidConnectionSpecException(source, "must not contain a NUL character");
            }
            this.password = password;
            return this;
        }

        /**
         * Sets the password that decrypts the client key ({@code sslkey}), pgjdbc's {@code sslpassword}; {@code null}
         * removes it. It is a secret like the password: masked in {@code toString()} and never shown in a message.
         *
         * @param keyPassword the key's password; not empty
         * @return this builder
         */
        public Builder sslPassword(@Nullable String keyPassword) {
            return setSslPassword(keyPassword, "sslPassword");
        }

        Builder setSslPassword(@Nullable String sslPassword, String source) {
            if (sslPassword != null && (sslPassword.isEmpty() || sslPassword.indexOf('\0') >= 0)) {
                throw new InvalidConnectionSpecException(source, "must be non-empty text without NUL (value not "
                        + "shown: it is a secret; leave it unset for an unencrypted key)");
            }
            this.sslPassword = sslPassword;
            return this;
        }

        /**
         * Sets the schema sessions work in; {@code null} removes it. Any name is allowed except one with a double
         * quote, a NUL character or an unpaired surrogate (which has no UTF-8 form), or one longer than 63 bytes in
         * UTF-8.
         *
         * @param schema the schema name
         * @return this builder
         */
        public Builder schema(@Nullable String schema) {
            return setSchema(schema, "schema");
        }

        Builder setSchema(@Nullable String schema, String source) {
            this.schema = schema == null ? null : Values.checkSchema(source, schema);
            return this;
        }

        /**
         * Sets the TLS mode; {@code null} leaves pgjdbc's default ({@code prefer}).
         *
         * @param sslMode the mode
         * @return this builder
         */
        public Builder sslMode(@Nullable SslMode sslMode) {
            this.sslMode = sslMode;
            return this;
        }

        /**
         * Sets the {@code application_name}; {@code null} removes it.
         *
         * @param applicationName printable ASCII, at most 63 characters (what the server keeps)
         * @return this builder
         */
        public Builder applicationName(@Nullable String applicationName) {
            return setApplicationName(applicationName, "applicationName");
        }

        Builder setApplicationName(@Nullable String name, String source) {
            if (name != null) {
                if (name.length() > Values.MAX_IDENTIFIER_BYTES) {
                    throw new InvalidConnectionSpecException(source, "must be at most 63 characters, but was "
                            + name.length() + ": " + Values.show(name));
                }
                for (int i = 0; i < name.length(); i++) {
                    char c = name.charAt(i);
                    if (c < 0x20 || c > 0x7e) {
                        throw new InvalidConnectionSpecException(source,
                                "must be printable ASCII (the server replaces anything else with '?'), but was "
                                        + Values.show(name));
                    }
                }
            }
            this.applicationName = name;
            return this;
        }

        /**
         * Sets how long opening a connection may take, all of it: TCP connect, TLS, authentication and every host of a
         * multi-host spec (pgdock bounds the whole login, where pgjdbc's own {@code connectTimeout} bounds only the TCP
         * connect). Whole seconds (pgjdbc's unit); zero for no limit at all; {@code null} for the default of 10 s
         * (pgjdbc's).
         * A {@code DataSourceFactory} uses its own default for specs that set none.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder connectTimeout(@Nullable Duration timeout) {
            this.connectTimeout = wholeSeconds("connectTimeout", timeout);
            return this;
        }

        /**
         * Sets how long a read from the server may block; whole seconds, zero or {@code null} for no limit.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder socketTimeout(@Nullable Duration timeout) {
            this.socketTimeout = wholeSeconds("socketTimeout", timeout);
            return this;
        }

        /**
         * Sets the server-side {@code statement_timeout} of every session; whole milliseconds, zero for none,
         * {@code null} to keep the server's setting.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder statementTimeout(@Nullable Duration timeout) {
            this.statementTimeout = wholeMillis("statementTimeout", timeout);
            return this;
        }

        /**
         * Sets the server-side {@code lock_timeout} of every session; whole milliseconds, zero for none, {@code null}
         * to keep the server's setting.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder lockTimeout(@Nullable Duration timeout) {
            this.lockTimeout = wholeMillis("lockTimeout", timeout);
            return this;
        }

        /**
         * Sets the server-side {@code idle_in_transaction_session_timeout}; whole milliseconds, zero for none,
         * {@code null} to keep the server's setting.
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder idleInTransactionSessionTimeout(@Nullable Duration timeout) {
            this.idleInTransactionSessionTimeout = wholeMillis("idleInTransactionSessionTimeout", timeout);
            return this;
        }

        /**
         * Sets whether connections are read-only. Default false. When true, every statement is read-only, in
         * auto-commit too: the driver is given {@code readOnly=true} and {@code readOnlyMode=always} (pgjdbc's default
         * mode, {@code transaction}, would let an auto-commit INSERT write), unless {@code readOnlyMode} is set as an
         * {@link #option(String, String) option}. A write then fails with SQLSTATE {@code 25006}, which pgdock reports
         * as {@link ConnectionFailedException.Reason#READ_ONLY}.
         *
         * @param readOnly true for read-only connections
         * @return this builder
         */
        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        /**
         * Sets which of several servers to use. Default {@link TargetServerType#ANY}.
         *
         * @param type the target server type
         * @return this builder
         */
        public Builder targetServerType(TargetServerType type) {
            this.targetServerType = Objects.requireNonNull(type, "targetServerType");
            return this;
        }

        /**
         * Sets an extra pgjdbc option; the name must be in {@link ConnectionSpec#ALLOWED_OPTIONS}.
         *
         * @param name the pgjdbc property name, for example {@code "tcpKeepAlive"}
         * @param value its value; {@code null} removes the option
         * @return this builder
         */
        public Builder option(String name, @Nullable String value) {
            return setOption(name, value, "option " + name);
        }

        Builder setOption(String name, @Nullable String value, String source) {
            Objects.requireNonNull(name, "name");
            if (REFUSED_OPTIONS.containsKey(name)) {
                throw new InvalidConnectionSpecException(source, "is not allowed: " + REFUSED_OPTIONS.get(name));
            }
            if (!ALLOWED_OPTIONS.contains(name)) {
                throw new InvalidConnectionSpecException(source, "unknown option " + Values.show(name)
                        + "; allowed options are " + new TreeSet<>(ALLOWED_OPTIONS));
            }
            if (value == null) {
                options.remove(name);
            } else {
                if (value.isEmpty() || value.indexOf('\0') >= 0) {
                    throw new InvalidConnectionSpecException(source, "must be non-empty text without NUL, but was "
                            + Values.show(value));
                }
                options.put(name, value);
            }
            return this;
        }

        private static @Nullable Duration wholeSeconds(String field, @Nullable Duration d) {
            if (d != null && (d.isNegative() || d.toNanosPart() != 0)) {
                throw new InvalidConnectionSpecException(field,
                        "must be zero or a positive whole number of seconds, but was " + d);
            }
            return d;
        }

        private static @Nullable Duration wholeMillis(String field, @Nullable Duration d) {
            if (d != null && (d.isNegative() || d.toNanosPart() % 1_000_000 != 0)) {
                throw new InvalidConnectionSpecException(field,
                        "must be zero or a positive whole number of milliseconds, but was " + d);
            }
            if (d != null && d.toMillis() > Integer.MAX_VALUE) {
                throw new InvalidConnectionSpecException(field,
                        "must be at most " + Integer.MAX_VALUE + " ms (the server's limit), but was " + d);
            }
            return d;
        }

        void requireComplete(String source, String... fields) {
            for (String field : fields) {
                boolean missing = switch (field) {
                    case "host" -> hosts.isEmpty();
                    case "database" -> database == null;
                    case "user" -> user == null;
                    default -> throw new AssertionError(field);
                };
                if (missing) {
                    throw new InvalidConnectionSpecException(source, field + " is not set");
                }
            }
        }

        /**
         * Builds the spec.
         *
         * @return an immutable spec
         * @throws InvalidConnectionSpecException if host, database or user is not set, or {@link #port(int)} was called
         *     but every host has a port of its own
         */
        public ConnectionSpec build() {
            requireComplete("ConnectionSpec", "host", "database", "user");
            if (portSetByCaller && !hostPorts.contains(null)) {
                List<String> own = new ArrayList<>(hosts.size());
                for (int i = 0; i < hosts.size(); i++) {
                    own.add(new Endpoint(hosts.get(i), hostPorts.get(i)).toString());
                }
                throw new InvalidConnectionSpecException("port", "port(" + port + ") would apply to no host, since every"
                        + " host has a port of its own (" + String.join(", ", own) + "); set the host again with"
                        + " host(...) to give it this port, or set the ports with endpoints(...)");
            }
            int defaultPort = port == null ? Endpoint.DEFAULT_PORT : port;
            Endpoint[] endpoints = new Endpoint[hosts.size()];
            for (int i = 0; i < endpoints.length; i++) {
                Integer p = hostPorts.get(i);
                endpoints[i] = new Endpoint(hosts.get(i), p == null ? defaultPort : p);
            }
            return new ConnectionSpec(this, Arrays.asList(endpoints));
        }
    }
}
