package io.pgdock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ConfigConflictException;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Health;
import io.pgdock.core.InvalidConnectionSpecException;
import io.pgdock.core.SslMode;
import io.pgdock.core.Storage;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetResolver;
import io.pgdock.datasource.registry.ConnectionRegistry;
import io.pgdock.datasource.registry.ConnectionRegistry.Resolution;
import io.pgdock.datasource.registry.StoredConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pgdock connections}: the named connections of the connection registry ({@link ConnectionRegistry}), kept in
 * the config store under {@value ConnectionRegistry#KEY_PREFIX}{@code <name>}. Passwords are never printed, and never
 * taken from the command line (where {@code ps} would show them).
 */
@Command(name = "connections", mixinStandardHelpOptions = true, versionProvider = RootCommand.Version.class,
        description = {"Named connections, kept in the config store (key pgdock.connections.<NAME>), their passwords "
                + "as secrets.", "PGDOCK_TARGET_<NAME>_* variables, when set, override a stored connection."},
        subcommands = {ConnectionsCommand.Add.class, ConnectionsCommand.Get.class, ConnectionsCommand.ListAll.class,
                ConnectionsCommand.Delete.class, ConnectionsCommand.Test.class})
final class ConnectionsCommand implements Runnable {

    /** How a set password is shown: never its value. */
    static final Map<StoredConnection.Password, String> SHOWN = Map.of(
            StoredConnection.Password.SECRET, "(secret, set)",
            StoredConnection.Password.PLAIN_TEXT, "(set, stored in plain text: add the connection again to encrypt it)");

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a connections command is required (add, get, list, delete,"
                + " test)");
    }

    /** A name checked before anything connects: a bad one is a usage error. */
    static String checkName(String name) {
        try {
            return TargetResolver.checkName(name);
        } catch (IllegalArgumentException e) {
            throw new UsageException(Cli.firstLine(e.getMessage()));
        }
    }

    static CliFailure notStored(String scope, String name, Map<String, String> env) {
        return new CliFailure("no connection \"" + name + "\" is stored (config key \"" + ConnectionRegistry.key(name)
                + "\", scope " + ConfigSubcommand.scopeName(scope) + ")" + (overridden(env, name)
                ? "; it is set in the environment (" + TargetResolver.environmentPrefix(name) + "*): see 'pgdock "
                        + "connections test " + name + "'" : ""));
    }

    /** Whether any of the name's PGDOCK_TARGET_<NAME>_* variables is set. */
    static boolean overridden(Map<String, String> env, String name) {
        String prefix = TargetResolver.environmentPrefix(name);
        return env.keySet().stream().anyMatch(v -> v.startsWith(prefix));
    }

    /** A stored connection as JSON: name, scope, key, version, who and when, and its fields (passwords as shown). */
    static ObjectNode json(StoredConnection c, Map<String, String> env) {
        ObjectNode o = Cli.JSON.createObjectNode();
        o.put("name", c.name()).put("scope", c.scope()).put("key", c.key()).put("version", c.version())
                .put("updatedAt", c.updatedAt().toString()).put("updatedBy", c.updatedBy());
        o.set("connection", fields(c));
        o.put("overriddenByEnvironment", overridden(env, c.name()));
        return o;
    }

    static ObjectNode fields(StoredConnection c) {
        Map<String, Object> fields = c.fields();
        if (fields.containsKey("password")) {
            fields.put("password", SHOWN.get(c.password()));
        }
        if (fields.containsKey("sslpassword")) {
            fields.put("sslpassword", SHOWN.get(c.sslPassword()));
        }
        return Cli.JSON.valueToTree(fields);
    }

    @Command(name = "add", description = {"Store connection NAME: from URL, or from --host, --database, --user, ...",
            "The password comes from stdin (--password-stdin) or a variable (--password-env), never from the command "
                    + "line, and is stored as a secret (needs PGDOCK_CONFIG_KEYS).",
            "A connection that exists is refused unless --replace or --expect-version."},
            footer = {"", "Examples:",
                    "  pgdock connections add warehouse 'postgresql://reader@wh:5432/sales?currentSchema=mart"
                            + "&sslmode=verify-full' --password-stdin < password.txt",
                    "  pgdock connections add eu --host db-eu --database cards --user reader --sslmode verify-full "
                            + "--sslrootcert /etc/pgdock/ca.crt --password-env EU_PASSWORD"})
    static final class Add extends ConfigWriteCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The connection's name, e.g. warehouse.")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "URL",
                description = "postgresql:// or jdbc:postgresql:// URL of the connection, without a password.")
        @Nullable String connectionUrl;

        @Option(names = "--host", paramLabel = "HOST", description = "The server's host (instead of URL).")
        @Nullable String host;

        @Option(names = "--port", paramLabel = "PORT", description = "The server's port; default 5432.")
        @Nullable Integer port;

        @Option(names = "--database", paramLabel = "NAME", description = "The database.")
        @Nullable String database;

        @Option(names = "--user", paramLabel = "ROLE", description = "The role to log in as.")
        @Nullable String user;

        @Option(names = "--schema", paramLabel = "SCHEMA", description = "The schema, first on search_path.")
        @Nullable String schema;

        @Option(names = "--sslmode", paramLabel = "MODE",
                description = "disable, allow, prefer, require, verify-ca or verify-full.")
        @Nullable String sslmode;

        @Option(names = "--sslrootcert", paramLabel = "FILE", description = "The CA certificate file.")
        @Nullable String sslrootcert;

        @Option(names = "--sslcert", paramLabel = "FILE", description = "The client certificate file.")
        @Nullable String sslcert;

        @Option(names = "--sslkey", paramLabel = "FILE", description = "The client key file (PKCS#8 DER).")
        @Nullable String sslkey;

        @Option(names = "--application-name", paramLabel = "NAME", description = "The application_name.")
        @Nullable String applicationName;

        @Option(names = "--option", paramLabel = "NAME=VALUE",
                description = "A pgjdbc option of ConnectionSpec.ALLOWED_OPTIONS, e.g. tcpKeepAlive=true; repeatable.")
        Map<String, String> options = new LinkedHashMap<>();

        @Option(names = "--password-stdin", description = "Read the password from stdin (one line end dropped).")
        boolean passwordStdin;

        @Option(names = "--password-env", paramLabel = "VARIABLE",
                description = "Read the password from this environment variable.")
        @Nullable String passwordEnv;

        @Option(names = "--sslpassword-env", paramLabel = "VARIABLE",
                description = "Read the client key's password (sslpassword) from this environment variable.")
        @Nullable String sslPasswordEnv;

        @Option(names = "--replace", description = "Replace the connection if it exists.")
        boolean replace;

        @Option(names = "--expect-version", paramLabel = "N",
                description = "Compare-and-set: write only if the connection is at version N.")
        @Nullable Long expectVersion;

        @Override
        int run(Cli cli) {
            checkName(name);
            if (replace && expectVersion != null) {
                throw new ParameterException(spec.commandLine(), "give --replace or --expect-version, not both");
            }
            ConnectionSpec connection = connectionSpec(cli);
            long expected = replace ? ConfigStore.ANY_VERSION : expectVersion != null ? expectVersion : 0;
            StoredConnection stored;
            try (Storage storage = openStorage(cli)) {
                ConnectionRegistry registry = ConnectionRegistry.of(writer(cli, store(cli, storage)));
                try {
                    stored = registry.put(name, connection, expected);
                } catch (ConfigConflictException e) {
                    if (expected == 0) {
                        throw new CliFailure("connection \"" + name + "\" exists already in scope "
                                + scopeName(scope) + " (version " + e.currentVersion() + "); give --replace, or "
                                + "--expect-version " + e.currentVersion() + " to replace that version only");
                    }
                    throw e;
                }
            }
            if (json) {
                cli.printJson(ConnectionsCommand.json(stored, cli.env));
            } else {
                cli.out.println((stored.version() == 1 ? "added" : "replaced") + " connection \"" + name
                        + "\" in scope " + scopeName(stored.scope()) + " (config key " + stored.key() + "): version "
                        + stored.version() + ", password " + (stored.password() == StoredConnection.Password.NONE
                        ? "none" : "stored as a secret"));
                if (overridden(cli.env, name)) {
                    cli.out.println("note: " + TargetResolver.environmentPrefix(name) + "* is set here, and the "
                            + "environment wins over the stored connection");
                }
            }
            return PgdockCli.OK;
        }

        /** The connection from the URL or the options, and its passwords; bad input is a usage error. */
        private ConnectionSpec connectionSpec(Cli cli) {
            boolean fields = host != null || port != null || database != null || user != null || schema != null
                    || sslmode != null || sslrootcert != null || sslcert != null || sslkey != null
                    || applicationName != null || !options.isEmpty();
            if (connectionUrl != null && fields) {
                throw new ParameterException(spec.commandLine(), "give the connection either as URL or with --host, "
                        + "--database, --user, ..., not both (the URL's parameters set the same things)");
            }
            if (passwordStdin && passwordEnv != null) {
                throw new ParameterException(spec.commandLine(), "give --password-stdin or --password-env, not both");
            }
            ConnectionSpec.Builder b;
            try {
                if (connectionUrl != null) {
                    ConnectionSpec parsed = ConnectionSpec.parse(connectionUrl);
                    if (parsed.password().isPresent() || parsed.sslPassword().isPresent()) {
                        throw new UsageException("connection \"" + name + "\": the URL holds a password, which a "
                                + "command line shows to everyone (ps, shell history); give it with --password-stdin "
                                + "or --password-env VARIABLE" + (parsed.sslPassword().isPresent()
                                ? " (and sslpassword with --sslpassword-env)" : ""));
                    }
                    b = parsed.toBuilder();
                } else {
                    if (host == null || database == null || user == null) {
                        throw new ParameterException(spec.commandLine(), "give the connection as URL, or with --host, "
                                + "--database and --user (missing: " + String.join(", ", missing()) + ")");
                    }
                    b = ConnectionSpec.builder().host(host).database(database).user(user).schema(schema)
                            .applicationName(applicationName);
                    if (port != null) {
                        b.port(port);
                    }
                    if (sslmode != null) {
                        b.sslMode(sslMode(sslmode));
                    }
                    b.option("sslrootcert", sslrootcert).option("sslcert", sslcert).option("sslkey", sslkey);
                    options.forEach(b::option);
                }
                b.password(password(cli));
                if (sslPasswordEnv != null) {
                    b.sslPassword(variable(cli, "--sslpassword-env", sslPasswordEnv));
                }
                return b.build();
            } catch (InvalidConnectionSpecException e) {
                throw new UsageException("connection \"" + name + "\": " + Cli.firstLine(e.getMessage()));
            }
        }

        private List<String> missing() {
            return java.util.stream.Stream.of(host == null ? "--host" : null, database == null ? "--database" : null,
                    user == null ? "--user" : null).filter(java.util.Objects::nonNull).toList();
        }

        private @Nullable String password(Cli cli) {
            if (passwordEnv != null) {
                return variable(cli, "--password-env", passwordEnv);
            }
            if (!passwordStdin) {
                return null;
            }
            String text;
            try {
                text = new String(cli.in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UsageException("--password-stdin: cannot read stdin: " + Cli.firstLine(e.getMessage()));
            }
            text = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                    : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            if (text.isEmpty()) {
                throw new UsageException("--password-stdin: stdin is empty; pipe the password in, e.g. "
                        + "--password-stdin < password.txt");
            }
            if (text.contains("\n")) {
                throw new UsageException("--password-stdin: stdin holds more than one line; give the password alone");
            }
            return text;
        }

        private static String variable(Cli cli, String option, String variable) {
            String value = cli.env.get(variable);
            if (value == null || value.isEmpty()) {
                throw new UsageException(option + " " + variable + ": the variable is " + (value == null ? "not set"
                        : "empty"));
            }
            return value;
        }

        private static SslMode sslMode(String value) {
            for (SslMode m : SslMode.values()) {
                if (m.value().equals(value)) {
                    return m;
                }
            }
            throw new UsageException("--sslmode: expected one of disable, allow, prefer, require, verify-ca, "
                    + "verify-full, but was " + show(value));
        }
    }

    @Command(name = "get", description = {"Show stored connection NAME (never its password; no master key needed).",
            "A connection that is not stored is a failure (exit 1)."})
    static final class Get extends ConfigSubcommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        int run(Cli cli) {
            checkName(name);
            StoredConnection c;
            try (Storage storage = openStorage(cli)) {
                c = ConnectionRegistry.of(store(cli, storage)).get(name).orElseThrow(() -> notStored(scope, name,
                        cli.env));
            }
            if (json) {
                cli.printJson(ConnectionsCommand.json(c, cli.env));
                return PgdockCli.OK;
            }
            cli.out.printf("%-17s %s%n", "name", c.name());
            cli.out.printf("%-17s %s (scope %s, version %d, %s by %s)%n", "key", c.key(), scopeName(c.scope()),
                    c.version(), c.updatedAt(), c.updatedBy());
            fields(c).properties().forEach(f -> cli.out.printf("%-17s %s%n", f.getKey(),
                    f.getValue().isTextual() ? f.getValue().textValue() : f.getValue().toString()));
            if (overridden(cli.env, name)) {
                cli.out.printf("%-17s %s%n", "overridden", "yes: " + TargetResolver.environmentPrefix(name)
                        + "* is set, and the environment wins");
            }
            return PgdockCli.OK;
        }
    }

    @Command(name = "list", description = {"List the stored connections, as reads in the scope see them (never a "
            + "password; no master key needed).", "A stored value that is not a valid connection is listed as INVALID "
            + "with the reason."})
    static final class ListAll extends ConfigSubcommand {
        @Override
        int run(Cli cli) {
            Map<String, Object> rows = new LinkedHashMap<>();   // StoredConnection, or the problem's message
            try (Storage storage = openStorage(cli)) {
                ConnectionRegistry registry = ConnectionRegistry.of(store(cli, storage));
                for (String name : registry.names()) {
                    try {
                        registry.get(name).ifPresent(c -> rows.put(name, c));
                    } catch (IllegalArgumentException e) {
                        rows.put(name, Cli.firstLine(e.getMessage()));
                    }
                }
            }
            if (json) {
                ObjectNode o = Cli.JSON.createObjectNode().put("scope", scope);
                var a = o.putArray("connections");
                rows.forEach((name, row) -> a.add(row instanceof StoredConnection c ? ConnectionsCommand.json(c,
                        cli.env) : Cli.JSON.createObjectNode().put("name", name).put("error", (String) row)));
                cli.printJson(o);
                return PgdockCli.OK;
            }
            int width = rows.keySet().stream().mapToInt(String::length).max().orElse(0);
            rows.forEach((name, row) -> {
                if (row instanceof StoredConnection c) {
                    String password = c.password() == StoredConnection.Password.NONE ? "no password"
                            : c.password() == StoredConnection.Password.SECRET ? "password: secret"
                            : "password: PLAIN TEXT";
                    cli.out.printf("%-" + width + "s  v%-4d %s  %s%s%s%n", name, c.version(), c.spec(), password,
                            c.scope().equals(scope) ? "" : "  (from " + scopeName(c.scope()) + ")",
                            overridden(cli.env, name) ? "  (overridden by " + TargetResolver.environmentPrefix(name)
                                    + "*)" : "");
                } else {
                    cli.out.printf("%-" + width + "s  INVALID  %s%n", name, row);
                }
            });
            return PgdockCli.OK;
        }
    }

    @Command(name = "delete", description = {"Delete stored connection NAME from the scope (its parents keep theirs).",
            "A connection that is not stored is a failure (exit 1)."})
    static final class Delete extends ConfigWriteCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--expect-version", paramLabel = "N", description = "Delete only if it is at version N.")
        @Nullable Long expectVersion;

        @Override
        int run(Cli cli) {
            checkName(name);
            try (Storage storage = openStorage(cli)) {
                ConnectionRegistry registry = ConnectionRegistry.of(writer(cli, store(cli, storage)));
                if (!registry.delete(name, expectVersion == null ? ConfigStore.ANY_VERSION : expectVersion)) {
                    throw notStored(scope, name, cli.env);
                }
            }
            if (json) {
                cli.printJson(Cli.JSON.createObjectNode().put("scope", scope).put("name", name)
                        .put("key", ConnectionRegistry.key(name)).put("deleted", true));
            } else {
                cli.out.println("deleted connection \"" + name + "\" from scope " + scopeName(scope));
            }
            return PgdockCli.OK;
        }
    }

    @Command(name = "test", description = {"Connect to connection NAME and report the outcome: up, or why not "
            + "(unreachable, tls, authentication, database missing, schema missing, ...), and what to fix.",
            "PGDOCK_TARGET_<NAME>_* variables, when set, win over the stored connection (the store is then not read);"
                    + " the output says which answered. Exit 1 when it cannot connect."})
    static final class Test extends ConfigSubcommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        int run(Cli cli) throws Exception {
            checkName(name);
            Resolution r = resolve(cli);
            ConnectionSpec target = r.spec().connectTimeout().isPresent() ? r.spec()
                    : r.spec().toBuilder().connectTimeout(timeout()).build();
            ObjectNode o = Cli.JSON.createObjectNode().put("name", name)
                    .put("source", r.source() == ConnectionRegistry.Source.ENVIRONMENT ? "environment" : "config-store")
                    .put("origin", r.origin()).put("scope", r.scope());
            if (r.source() == ConnectionRegistry.Source.CONFIG_STORE) {
                o.put("key", ConnectionRegistry.key(name)).put("version", r.version());
            }
            o.put("spec", target.toString());
            FactoryOptions options = FactoryOptions.builder().connectTimeout(timeout()).maximumPoolSize(1).build();
            try (DataSourceFactory factory = DataSourceFactory.pooled(options)) {
                factory.warmUp(target);   // connects now, checking the schema: the classifier's typed failure
                Health h = factory.health(target);
                o.put("status", h.status().name());
                h.reason().ifPresent(reason -> o.put("reason", reason.name().toLowerCase(Locale.ROOT)));
                o.put("latencyMs", h.latency().toNanos() / 1_000_000.0);
                o.put("serverVersion", h.serverVersion().orElse(null));
                o.put("error", h.error().orElse(null));
            } catch (ConnectionFailedException e) {
                o.put("status", "DOWN").put("reason", e.reason().name().toLowerCase(Locale.ROOT))
                        .put("sqlState", e.sqlState()).put("error", Cli.firstLine(e.getMessage()));
                String hint = hint(e.reason(), r);
                if (hint != null) {
                    o.put("hint", hint);
                }
            }
            boolean up = o.get("status").asText().equals("UP");
            if (json) {
                cli.printJson(o);
            } else {
                cli.out.println("connection \"" + name + "\" from " + r.origin());
                cli.out.println("  " + target);
                if (up) {
                    cli.out.printf(Locale.ROOT, "UP    connected in %.1f ms, PostgreSQL %s%n",
                            o.get("latencyMs").asDouble(), o.path("serverVersion").asText());
                } else {
                    cli.out.println("DOWN  " + o.path("reason").asText("unknown").replace('_', ' ') + ": "
                            + o.path("error").asText());
                    if (o.has("hint")) {
                        cli.out.println("      " + o.get("hint").asText());
                    }
                }
            }
            return up ? PgdockCli.OK : PgdockCli.FAILURE;
        }

        /** The environment's connection, else the store's (opened only then); neither is a failure. */
        private Resolution resolve(Cli cli) {
            Optional<ConnectionSpec> fromEnvironment = TargetResolver.environment(cli.env).resolve(name);
            if (fromEnvironment.isPresent()) {
                return new Resolution(name, fromEnvironment.get(), ConnectionRegistry.Source.ENVIRONMENT, null, 0);
            }
            try (Storage storage = openStorage(cli)) {
                return ConnectionRegistry.of(store(cli, storage)).find(name).orElseThrow(() -> new CliFailure(
                        "no connection is named \"" + name + "\": none is stored (config key \""
                                + ConnectionRegistry.key(name) + "\", scope " + scopeName(scope) + ") and no "
                                + TargetResolver.environmentPrefix(name) + "* variable is set"));
            }
        }

        /** Where the fix goes for this connection, for the failures whose fix is in the connection itself. */
        private static @Nullable String hint(ConnectionFailedException.Reason reason, Resolution r) {
            boolean env = r.source() == ConnectionRegistry.Source.ENVIRONMENT;
            String where = env ? "the " + TargetResolver.environmentPrefix(r.name()) + "* variables"
                    : "the stored connection ('pgdock connections add " + r.name() + " --replace ...')";
            return switch (reason) {
                case AUTHENTICATION -> "the user or password is refused: fix them in " + where
                        + (env ? "" : ", the password with --password-stdin or --password-env");
                case UNREACHABLE, DATABASE_MISSING, SCHEMA_MISSING, TLS -> "fix the connection in " + where
                        + " if it names the wrong server, database, schema or TLS settings";
                default -> null;
            };
        }
    }
}
