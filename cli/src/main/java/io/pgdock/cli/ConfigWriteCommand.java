package io.pgdock.cli;

import io.pgdock.config.ConfigStore;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** A {@code config} command that writes: who is writing and why are recorded in the key's history. */
abstract class ConfigWriteCommand extends ConfigSubcommand {

    @Option(names = "--reason", paramLabel = "TEXT", order = 20, description = "Why, recorded in the history.")
    @Nullable String reason;

    @Option(names = "--actor", paramLabel = "NAME", order = 21,
            description = "Who, recorded in the history; default: cli:$USER.")
    @Nullable String actor;

    /** The store as this command's actor, with its reason. */
    final ConfigStore writer(Cli cli, ConfigStore store) {
        String who = actor != null ? actor : "cli:" + cli.env.getOrDefault("USER", "unknown");
        ConfigStore w = store.as(who);
        return reason == null ? w : w.because(reason);
    }
}
