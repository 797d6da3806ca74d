package io.pgdock.cli;

import io.pgdock.config.ConfigStore;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** A {@code config} command that writes: who is writing and why are recorded in the key's history. */
abstract class ConfigWriteCommand extends ConfigSubcommand {

    /** The variable naming the actor when {@code --actor} is not given (a CI job, say). */
    static final String ACTOR_VARIABLE = "PGDOCK_ACTOR";

    @Option(names = "--reason", paramLabel = "TEXT", order = 20, description = "Why, recorded in the history.")
    @Nullable String reason;

    @Option(names = "--actor", paramLabel = "NAME", order = 21,
            description = "Who, recorded in the history; default: PGDOCK_ACTOR, else cli:<OS user> (USER, LOGNAME, "
                    + "USERNAME, else the JVM's user.name), else cli:unknown.")
    @Nullable String actor;

    /** The store as this command's actor, with its reason. */
    final ConfigStore writer(Cli cli, ConfigStore store) {
        ConfigStore w = store.as(actor(cli));
        return reason == null ? w : w.because(reason);
    }

    /**
     * Who the writes are recorded as: {@code --actor}, else {@code PGDOCK_ACTOR} (when not blank), else
     * {@code cli:} and the OS user ({@link Cli#osUser()}), else {@code cli:unknown}.
     */
    final String actor(Cli cli) {
        if (actor != null) {
            return actor;
        }
        String variable = cli.env.get(ACTOR_VARIABLE);
        if (variable != null && !variable.isBlank()) {
            return variable.strip();
        }
        return "cli:" + cli.osUser().orElse("unknown");
    }
}
