package io.pgdock.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pgdock}: the command groups. Holds the run's {@link Cli} for the commands below it. */
@Command(name = "pgdock", mixinStandardHelpOptions = true, versionProvider = RootCommand.Version.class,
        description = "Operate a pgdock deployment: configuration, connections, health, provisioning and migrations.",
        subcommands = {ConfigCommand.class, ConnectionsCommand.class, HealthCommand.class, ProvisionCommand.class, MigrateCommand.class},
        footer = {"", "Connection: --url, else PGDOCK_URL, PGDOCK_HOST/PGHOST, ... (see the README).",
                "Exit codes: 0 ok, 1 runtime failure, 2 usage error."})
final class RootCommand implements Callable<Integer> {

    final Cli cli;

    @Spec
    CommandSpec spec;

    RootCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a command is required (config, connections, health, provision, "
                + "migrate)");
    }

    /** The version from the jar's {@code pgdock-cli.properties}, written by the build. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = RootCommand.class.getResourceAsStream("pgdock-cli.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"pgdock " + p.getProperty("version", "(unknown version)")};
        }
    }
}
