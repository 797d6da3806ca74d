package io.pgdock.cli;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.EnvironmentNames;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every command that runs has: {@code --help}, {@code --version}, {@code --verbose}, and the connection options.
 * A command implements {@link #run(Cli)}; failures are thrown and turned into one line and an exit code by
 * {@link Cli}.
 */
@Command(mixinStandardHelpOptions = true, versionProvider = RootCommand.Version.class, sortOptions = false)
abstract class CliCommand implements Callable<Integer> {

    /** The connect timeout used when neither --connect-timeout nor the URL's connectTimeout sets one. */
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", order = 100,
            description = "postgresql:// or jdbc:postgresql:// URL; default: PGDOCK_URL, PGDOCK_*, PG* variables. "
                    + "Prefer PGDOCK_PASSWORD for the password (a URL shows in ps).")
    @Nullable String url;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", order = 101,
            description = "Connect timeout when the URL (--url or PGDOCK_URL) sets no connectTimeout "
                    + "(default: 5s); the URL's own wins.")
    @Nullable Duration connectTimeout;

    @Option(names = {"-v", "--verbose"}, order = 102, description = "Print the stack trace of a failure too.")
    boolean verbose;

    @Override
    public final Integer call() throws Exception {
        Cli cli = ((RootCommand) spec.root().userObject()).cli;
        check(cli);
        return run(cli);
    }

    /** Checks the command's input from the environment before anything connects; bad input throws. */
    void check(Cli cli) {
    }

    abstract int run(Cli cli) throws Exception;

    /**
     * The connection: --url, else the environment; with an application name and, when the URL or the environment
     * sets none, the connect timeout of --connect-timeout (or the default).
     */
    final ConnectionSpec connection(Cli cli) {
        ConnectionSpec s = url != null ? withPassword(ConnectionSpec.parse(url), cli.env)
                : ConnectionSpec.fromEnvironment(cli.env);
        ConnectionSpec.Builder b = s.toBuilder();
        if (s.connectTimeout().isEmpty()) {
            b.connectTimeout(timeout());
        }
        if (s.applicationName().isEmpty()) {
            b.applicationName("pgdock-cli");
        }
        return b.build();
    }

    /**
     * A {@code --url} without a password gets it as the environment would give it: the first set of
     * {@code PGDOCK_PASSWORD} and {@code PGPASSWORD}, else the password file (pgdock reads it; pgjdbc is kept from it),
     * as psql's would. Only the storage URL does this: an admin or owner URL must not pick up the runtime role's
     * password, so those read only the password file.
     */
    static ConnectionSpec withPassword(ConnectionSpec spec, java.util.Map<String, String> env) {
        if (spec.password().isEmpty()) {
            for (String name : EnvironmentNames.standard().password()) {
                String value = env.get(name);
                if (value != null && !value.isEmpty()) {
                    return spec.toBuilder().password(value).build();
                }
            }
        }
        return spec.withPasswordFile(env);
    }

    final Duration timeout() {
        return connectTimeout != null ? connectTimeout : DEFAULT_CONNECT_TIMEOUT;
    }

    /** The storage, never migrating: a CLI changes the schema only when asked to ({@code pgdock migrate}). */
    final Storage openStorage(Cli cli) {
        ConnectionSpec s = connection(cli);
        return Storage.open(s, StorageOptions.builder()
                .autoMigrate(false)
                .maximumPoolSize(2)
                .connectionTimeout(s.connectTimeout().orElse(DEFAULT_CONNECT_TIMEOUT).plusSeconds(1))
                .poolName("pgdock-cli")
                .build());
    }
}
