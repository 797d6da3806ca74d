package io.pgdock.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigMigrations;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.KeyProvider;
import io.pgdock.config.Secret;
import io.pgdock.core.Migration;
import io.pgdock.core.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * What the {@code config} commands share: the scope, actor and reason of writes, {@code --json}, and opening the store
 * without migrating it.
 */
abstract class ConfigSubcommand extends CliCommand {

    /** The variable holding the master keys of secrets (see {@link KeyProvider#fromEnvironment(Map)}). */
    static final String KEYS_VARIABLE = "PGDOCK_CONFIG_KEYS";

    @Option(names = "--scope", paramLabel = "SCOPE", order = 10,
            description = "The scope to read (falling back to its parents) and write, e.g. prod/ingest; default: the root scope.")
    String scope = "";

    @Option(names = "--json", order = 11, description = "Print one JSON document (see cli/README.md).")
    boolean json;

    /** A malformed PGDOCK_CONFIG_KEYS is refused before connecting. */
    @Override
    void check(Cli cli) {
        options(cli);
    }

    /** Opens the store on {@code storage}, refusing a database whose config tables are missing or out of date. */
    final ConfigStore store(Cli cli, Storage storage) {
        Map<String, List<Migration>> pending = storage.migrator().pending(List.of(new ConfigMigrations().migrations()));
        if (!pending.isEmpty()) {
            int count = pending.values().stream().mapToInt(List::size).sum();
            throw new CliFailure("the config store in schema \"" + storage.schema() + "\" is missing or out of date ("
                    + count + " migration" + (count == 1 ? "" : "s") + " pending); run 'pgdock migrate' first");
        }
        return ConfigStore.postgres(storage, options(cli)).inScope(scope);
    }

    /**
     * The store's options from the environment ({@link ConfigOptions.Builder#fromEnvironment(Map)}): the master keys
     * in PGDOCK_CONFIG_KEYS, and environment overrides (PGDOCK_VAR_&lt;KEY&gt;) when PGDOCK_CONFIG_ENV_OVERRIDES=true.
     */
    static ConfigOptions options(Cli cli) {
        try {
            return ConfigOptions.builder().fromEnvironment(cli.env).build();
        } catch (IllegalArgumentException e) {
            // A malformed variable is bad input, like a bad connection variable; the message never shows key material.
            throw new UsageException(Cli.firstLine(e.getMessage()));
        }
    }

    /** The scopes a read in {@code scope} consults, most specific first: {@code a/b}, {@code a}, the root. */
    static List<String> layers(String scope) {
        List<String> layers = new ArrayList<>();
        for (String s = scope; !s.isEmpty(); s = s.contains("/") ? s.substring(0, s.lastIndexOf('/')) : "") {
            layers.add(s);
        }
        layers.add("");
        return layers;
    }

    /**
     * A stored value with its secrets decrypted, through an in-memory store with the same keys (a ciphertext is bound
     * to its scope and key, so it is decrypted in that scope under that key); the value itself if it holds none.
     */
    @SuppressWarnings("ReferenceEquality") // identity: Secret.redact returns its argument when nothing is sealed
    static JsonNode reveal(Cli cli, String scope, String key, JsonNode stored) {
        if (stored == null || Secret.redact(stored) == stored) {
            return stored;
        }
        ConfigOptions options = options(cli);
        if (options.keys().isEmpty()) {
            throw new CliFailure("config key \"" + key + "\" holds a secret and " + KEYS_VARIABLE
                    + " is not set; --show-secrets needs the master keys");
        }
        // The keys alone: an environment override of the key must not answer for the stored value.
        ConfigStore decrypting = ConfigStore.inMemory(ConfigOptions.builder().keys(options.keys().orElseThrow())
                .build()).inScope(scope);
        decrypting.put(key, stored);
        return decrypting.get(key).orElseThrow();
    }

    static JsonNode redact(JsonNode value) {
        return Secret.redact(value);
    }

    /** An entry as JSON: scope, key, value (as given), version, updatedAt, updatedBy. */
    static ObjectNode entryJson(ConfigEntry e, @Nullable JsonNode value, boolean withValue) {
        ObjectNode o = Cli.JSON.createObjectNode();
        o.put("scope", e.scope());
        o.put("key", e.key());
        if (withValue) {
            o.set("value", value);
        }
        o.put("version", e.version());
        o.put("updatedAt", e.updatedAt().toString());
        o.put("updatedBy", e.updatedBy());
        return o;
    }

    static String compact(@Nullable JsonNode value) {
        return value == null ? "(none)" : value.toString();
    }

    static String show(String text) {
        return '"' + text + '"';
    }

    static String scopeName(String scope) {
        return scope.isEmpty() ? "(root)" : scope;
    }
}
