package io.pgdock.cli;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigExplanation;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.HistoryVerification;
import io.pgdock.config.ReencryptResult;
import io.pgdock.config.Secret;
import io.pgdock.core.Storage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pgdock config}: the configuration store's commands. */
@Command(name = "config", mixinStandardHelpOptions = true, versionProvider = RootCommand.Version.class,
        description = "Read and change the configuration store (secrets are shown as \"***\" unless --show-secrets).",
        subcommands = {ConfigCommand.Get.class, ConfigCommand.Set.class, ConfigCommand.Patch.class,
                ConfigCommand.Delete.class,
                ConfigCommand.ListKeys.class, ConfigCommand.History.class, ConfigCommand.Rollback.class,
                ConfigCommand.Explain.class, ConfigCommand.Reencrypt.class, ConfigCommand.Verify.class,
                ExportCommand.class, ImportCommand.class, WatchCommand.class})
final class ConfigCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "a config command is required (get, set, patch, delete, list, history, rollback, explain, reencrypt, verify,"
                        + " export, import, watch)");
    }

    static CliFailure notSet(String scope, String key) {
        return new CliFailure("config key \"" + key + "\" is not set (scope " + ConfigSubcommand.scopeName(scope) + ")");
    }

    @Command(name = "get", description = {"Print the value of KEY as JSON (from the scope, else its parents).",
            "A key that is not set is a failure (exit 1)."})
    static final class Get extends ConfigSubcommand {
        @Parameters(index = "0", paramLabel = "KEY", description = "The key, e.g. db.url.")
        String key;

        @Option(names = "--pointer", paramLabel = "POINTER", description = "Print only this part (RFC 6901), e.g. /pool/max.")
        @Nullable String pointer;

        @Option(names = "--show-secrets", description = "Decrypt secrets (needs PGDOCK_CONFIG_KEYS).")
        boolean showSecrets;

        @Override
        int run(Cli cli) {
            JsonPointer at = pointer == null ? null : pointer(key, pointer);
            try (Storage storage = openStorage(cli)) {
                ConfigStore store = store(cli, storage);
                // explain reads the stored value without decrypting it, with every secret shown as "***".
                ConfigEntry e = (showSecrets ? store.entry(key) : store.policy().explain(key).entry())
                        .orElseThrow(() -> notSet(scope, key));
                JsonNode value = e.value();
                if (at != null) {
                    JsonNode part = value.at(at);
                    if (part.isMissingNode() && !showSecrets && inSecret(store, e, value, at)) {
                        part = TextNode.valueOf(Secret.REDACTED);   // a part of a secret is as secret as the rest
                    }
                    value = part;
                    if (value.isMissingNode()) {
                        throw new CliFailure("config key \"" + key + "\" has nothing at pointer \"" + pointer + "\"");
                    }
                }
                if (json) {
                    ObjectNode o = entryJson(e, value, true);
                    if (pointer != null) {
                        o.put("pointer", pointer);
                    }
                    cli.printJson(o);
                } else {
                    cli.out.println(value.toPrettyString());
                }
            }
            return PgdockCli.OK;
        }

        /**
         * Whether {@code at} points into a secret of {@code entry}: {@code redacted}, the value as shown, has
         * {@code "***"} where the stored value has an encrypted secret, at {@code at} or above it.
         */
        private static boolean inSecret(ConfigStore store, ConfigEntry entry, JsonNode redacted, JsonPointer at) {
            JsonNode stored = null;
            for (JsonPointer p = at.head(); p != null; p = p.head()) {
                if (!redacted.at(p).isTextual() || !redacted.at(p).asText().equals(Secret.REDACTED)) {
                    continue;
                }
                if (stored == null) {
                    // The stored value, still encrypted, of the scope that answered: its export has it.
                    stored = Cli.JSON.missingNode();
                    for (JsonNode e : store.inScope(entry.scope()).transfer().export(entry.key()).get("entries")) {
                        if (e.get("key").asText().equals(entry.key())) {
                            stored = e.get("value");
                        }
                    }
                }
                if (Secret.isEncrypted(stored.at(p))) {
                    return true;
                }
            }
            return false;
        }

        /** A strict RFC 6901 pointer: empty, or starting with "/", every "~" followed by 0 or 1. */
        static JsonPointer pointer(String key, String pointer) {
            boolean ok = pointer.isEmpty() || pointer.startsWith("/");
            for (int i = pointer.indexOf('~'); ok && i >= 0; i = pointer.indexOf('~', i + 1)) {
                ok = i + 1 < pointer.length() && (pointer.charAt(i + 1) == '0' || pointer.charAt(i + 1) == '1');
            }
            if (!ok) {
                throw new UsageException("config key \"" + key + "\": --pointer \"" + pointer
                        + "\" is not a JSON Pointer (it starts with \"/\"; \"~\" is followed by 0 or 1)");
            }
            return JsonPointer.compile(pointer);
        }
    }

    @Command(name = "set", description = "Set KEY to a JSON value: from the argument, a file (--file), or stdin (--file -).",
            footer = {"", "Examples:", "  pgdock config set db.pool '{\"max\": 20}' --reason \"more load\"",
                    "  pgdock config set app.mode --string fast",
                    "  pgdock config set smtp.password --secret --string --file - < password.txt",
                    "With --string, one line end at the end of a file or stdin is dropped."})
    static final class Set extends ConfigWriteCommand {
        @Parameters(index = "0", paramLabel = "KEY", description = "The key, e.g. db.pool.")
        String key;

        @Parameters(index = "1", arity = "0..1", paramLabel = "JSON", description = "The value as JSON (or text with --string).")
        @Nullable String value;

        @Option(names = "--file", paramLabel = "FILE", description = "Read the value from FILE ('-' for stdin).")
        @Nullable String file;

        @Option(names = "--string", description = "Store the text as a JSON string instead of parsing it.")
        boolean string;

        @Option(names = "--secret", description = "Store the value encrypted (needs PGDOCK_CONFIG_KEYS).")
        boolean secret;

        @Option(names = {"--expect-version", "--expected-version"}, paramLabel = "N",
                description = "Compare-and-set: write only if the key is at version N (0: only if it is not set).")
        @Nullable Long expectVersion;

        @Override
        int run(Cli cli) {
            if ((value == null) == (file == null)) {
                throw new ParameterException(spec.commandLine(), "give the value either as JSON or with --file, not "
                        + (value == null ? "neither" : "both"));
            }
            String text = value != null ? value : read(cli, file);
            if (string && file != null) {
                text = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                        : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            }
            JsonNode node = string ? TextNode.valueOf(text)
                    : Cli.parseJson("config key \"" + key + "\": value", text, secret);
            try (Storage storage = openStorage(cli)) {
                ConfigStore store = writer(cli, store(cli, storage));
                long expected = expectVersion == null ? ConfigStore.ANY_VERSION : expectVersion;
                ConfigEntry e = secret ? store.put(key, Secret.of(node), expected) : store.put(key, node, expected);
                if (json) {
                    cli.printJson(entryJson(e, null, false));
                } else {
                    cli.out.println("set \"" + key + "\" in scope " + scopeName(e.scope()) + ": version " + e.version());
                }
            }
            return PgdockCli.OK;
        }
    }

    @Command(name = "patch", description = {
            "Apply a JSON merge patch (RFC 7396) to KEY, atomically: from the argument,",
            "a file (--file), or stdin (--file -). Members of the patch replace the",
            "value's members, objects merge recursively, a null member removes the",
            "member, and a patch that is not an object replaces the whole value. A key",
            "that is not set is patched as if it held nothing. A secret inside the value",
            "is replaced as a whole, never merged into."},
            footer = {"", "Examples:", "  pgdock config patch db.pool '{\"max\": 30, \"idle\": null}' --reason \"more load\"",
                    "  pgdock config patch db.pool --file pool-patch.json --expect-version 4",
                    "With --expect-version N, another version is a conflict: exit 1, naming the key and both versions."})
    static final class Patch extends ConfigWriteCommand {
        @Parameters(index = "0", paramLabel = "KEY", description = "The key, e.g. db.pool.")
        String key;

        @Parameters(index = "1", arity = "0..1", paramLabel = "JSON", description = "The merge patch as JSON.")
        @Nullable String patch;

        @Option(names = "--file", paramLabel = "FILE", description = "Read the patch from FILE ('-' for stdin).")
        @Nullable String file;

        @Option(names = {"--expect-version", "--expected-version"}, paramLabel = "N",
                description = "Compare-and-set: patch only if the key is at version N (0: only if it is not set).")
        @Nullable Long expectVersion;

        @Override
        int run(Cli cli) {
            if ((patch == null) == (file == null)) {
                throw new ParameterException(spec.commandLine(), "give the patch either as JSON or with --file, not "
                        + (patch == null ? "neither" : "both"));
            }
            JsonNode node = Cli.parseJson("config key \"" + key + "\": merge patch",
                    patch != null ? patch : read(cli, file));
            try (Storage storage = openStorage(cli)) {
                ConfigStore store = writer(cli, store(cli, storage));
                ConfigEntry e = store.parts().patch(key, node,
                        expectVersion == null ? ConfigStore.ANY_VERSION : expectVersion);
                if (json) {
                    cli.printJson(entryJson(e, null, false));
                } else {
                    cli.out.println("patched \"" + key + "\" in scope " + scopeName(e.scope()) + ": version "
                            + e.version());
                }
            }
            return PgdockCli.OK;
        }
    }

    /** The text of {@code file}, or of stdin for "-"; a file that cannot be read is a usage error. */
    static String read(Cli cli, String file) {
        try {
            return file.equals("-") ? new String(cli.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    /** A file that cannot be read, as a usage error: "cannot read FILE: reason". */
    static UsageException cannotRead(String file, IOException e) {
        String reason;
        if (e instanceof NoSuchFileException) {
            reason = "no such file";
        } else if (e instanceof AccessDeniedException) {
            reason = "permission denied";
        } else if (e instanceof FileSystemException f) {
            // Its message is the path itself when there is no reason.
            reason = f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
        } else {
            reason = e.getMessage() == null ? e.getClass().getSimpleName() : Cli.firstLine(e.getMessage());
        }
        return new UsageException("cannot read " + file + ": " + reason);
    }

    @Command(name = "delete", description = {"Delete KEY from the scope (its parents keep theirs).",
            "A key that is not set is a failure (exit 1)."})
    static final class Delete extends ConfigWriteCommand {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Option(names = {"--expect-version", "--expected-version"}, paramLabel = "N",
                description = "Delete only if the key is at version N.")
        @Nullable Long expectVersion;

        @Override
        int run(Cli cli) {
            try (Storage storage = openStorage(cli)) {
                ConfigStore store = writer(cli, store(cli, storage));
                if (!store.delete(key, expectVersion == null ? ConfigStore.ANY_VERSION : expectVersion)) {
                    throw notSet(scope, key);
                }
                if (json) {
                    ObjectNode o = Cli.JSON.createObjectNode().put("scope", scope).put("key", key).put("deleted", true);
                    cli.printJson(o);
                } else {
                    cli.out.println("deleted \"" + key + "\" from scope " + scopeName(scope));
                }
            }
            return PgdockCli.OK;
        }
    }

    @Command(name = "list", description = "List the keys under PREFIX with their values, as reads in the scope see them.")
    static final class ListKeys extends ConfigSubcommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", description = "Key prefix; default: all keys.")
        String prefix = "";

        @Option(names = "--show-secrets", description = "Decrypt secrets (needs PGDOCK_CONFIG_KEYS).")
        boolean showSecrets;

        @Override
        int run(Cli cli) {
            List<ConfigEntry> entries;
            try (Storage storage = openStorage(cli)) {
                ConfigStore store = store(cli, storage);
                entries = showSecrets ? store.list(prefix) : stored(store, prefix);
            }
            if (json) {
                ArrayNode a = Cli.JSON.createArrayNode();
                entries.forEach(e -> a.add(entryJson(e, showSecrets ? e.value() : redact(e.value()), true)));
                ObjectNode o = Cli.JSON.createObjectNode().put("scope", scope).put("prefix", prefix);
                o.set("entries", a);
                cli.printJson(o);
            } else {
                int width = entries.stream().mapToInt(e -> e.key().length()).max().orElse(0);
                for (ConfigEntry e : entries) {
                    String from = e.scope().equals(scope) ? "" : "  (from " + scopeName(e.scope()) + ")";
                    cli.out.printf("%-" + width + "s  v%-4d %s%s%n", e.key(), e.version(),
                            compact(showSecrets ? e.value() : redact(e.value())), from);
                }
            }
            return PgdockCli.OK;
        }

        /**
         * The entries as stored (secrets still encrypted, so no key is needed), each key from the most specific scope
         * that has it: one export per scope consulted. Reading decrypted ({@code list}) would need every key.
         */
        static List<ConfigEntry> stored(ConfigStore store, String prefix) {
            Map<String, ConfigEntry> byKey = new TreeMap<>();
            for (String layer : layers(store.scope())) {
                for (JsonNode e : store.inScope(layer).transfer().export(prefix).get("entries")) {
                    byKey.putIfAbsent(e.get("key").asText(), new ConfigEntry(layer, e.get("key").asText(),
                            e.get("value"), e.get("version").asLong(), Instant.parse(e.get("updatedAt").asText()),
                            e.get("updatedBy").asText()));
                }
            }
            return new ArrayList<>(byKey.values());
        }
    }

    @Command(name = "history", description = "Show the recorded changes of KEY in the scope, newest first.")
    static final class History extends ConfigSubcommand {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Option(names = "--limit", paramLabel = "N", description = "Show at most N changes.")
        @Nullable Integer limit;

        @Option(names = "--show-secrets", description = "Decrypt secrets (needs PGDOCK_CONFIG_KEYS).")
        boolean showSecrets;

        @Override
        int run(Cli cli) {
            if (limit != null && limit < 1) {
                throw new ParameterException(spec.commandLine(), "--limit must be at least 1, but was " + limit);
            }
            List<ConfigChange> changes;
            try (Storage storage = openStorage(cli)) {
                changes = store(cli, storage).history(key);
            }
            if (limit != null && changes.size() > limit) {
                changes = changes.subList(0, limit);
            }
            ArrayNode a = Cli.JSON.createArrayNode();
            for (ConfigChange c : changes) {
                ObjectNode o = a.addObject();
                o.put("version", c.version());
                o.put("kind", c.kind().name());
                o.set("before", shown(cli, c.scope(), c.oldValue()));
                o.set("after", shown(cli, c.scope(), c.newValue()));
                o.put("actor", c.actor());
                o.put("reason", c.reason());
                o.put("changedAt", c.changedAt().toString());
            }
            if (json) {
                ObjectNode o = Cli.JSON.createObjectNode().put("scope", scope).put("key", key);
                o.set("changes", a);
                cli.printJson(o);
            } else {
                for (JsonNode c : a) {
                    cli.out.printf("v%-4d %-6s %s  %s%s  %s%n", c.get("version").asLong(), c.get("kind").asText(),
                            c.get("changedAt").asText(), c.get("actor").asText(),
                            c.get("reason").isNull() ? "" : " (" + c.get("reason").asText() + ")",
                            c.get("kind").asText().equals("DELETE") ? "deleted" : compact(c.get("after")));
                }
            }
            return PgdockCli.OK;
        }

        private JsonNode shown(Cli cli, String changeScope, @Nullable JsonNode value) {
            if (value == null) {
                return Cli.JSON.nullNode();
            }
            return showSecrets ? reveal(cli, changeScope, key, value) : redact(value);
        }
    }

    @Command(name = "rollback", description = "Write the value KEY had at --to-version as a new version.")
    static final class Rollback extends ConfigWriteCommand {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Option(names = "--to-version", paramLabel = "N", required = true, description = "A version in the key's history.")
        long version;

        @Override
        int run(Cli cli) {
            try (Storage storage = openStorage(cli)) {
                ConfigEntry e = writer(cli, store(cli, storage)).rollback(key, version);
                if (json) {
                    cli.printJson(entryJson(e, null, false).put("rolledBackTo", version));
                } else {
                    cli.out.println("rolled \"" + key + "\" back to version " + version + ": now version " + e.version());
                }
            }
            return PgdockCli.OK;
        }
    }

    @Command(name = "explain", description = {"Show which scopes a read of KEY consults and which one answers.",
            "With PGDOCK_CONFIG_ENV_OVERRIDES=true, a variable PGDOCK_VAR_<KEY> answers above every scope; explain",
            "names it and the stored entry it hides (a secret's value is shown as \"***\")."})
    static final class Explain extends ConfigSubcommand {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        int run(Cli cli) {
            ConfigExplanation x;
            try (Storage storage = openStorage(cli)) {
                x = store(cli, storage).policy().explain(key);
            }
            if (json) {
                ObjectNode o = Cli.JSON.createObjectNode().put("key", key);
                x.consulted().forEach(o.putArray("consulted")::add);
                o.put("answeredBy", x.answeredBy().orElse(null));
                o.put("environmentVariable", x.environmentVariable().orElse(null));
                o.set("entry", x.entry().map(e -> (JsonNode) entryJson(e, e.value(), true)).orElse(Cli.JSON.nullNode()));
                o.set("shadowed", x.shadowed().map(e -> (JsonNode) entryJson(e, e.value(), true))
                        .orElse(Cli.JSON.nullNode()));
                cli.printJson(o);
            } else {
                cli.out.println("key        \"" + key + "\"");
                cli.out.println("consulted  " + (x.environmentVariable().isPresent() ? "the environment, " : "")
                        + String.join(", ", x.consulted().stream().map(ConfigSubcommand::scopeName).toList()));
                cli.out.println("answer     " + x.entry().map(e -> e.environmentVariable()
                        .map(v -> "environment variable " + v + ": " + compact(e.value()))
                        .orElse("scope " + scopeName(e.scope()) + ", version " + e.version() + ": " + compact(e.value())))
                        .orElse("none: the key is not set"));
                x.shadowed().ifPresent(h -> cli.out.println("hides      scope " + scopeName(h.scope()) + ", version "
                        + h.version() + ": " + compact(h.value())));
            }
            return PgdockCli.OK;
        }
    }

    @Command(name = "reencrypt", description = {
            "Re-encrypt every secret not under the current key of PGDOCK_CONFIG_KEYS (its first entry): current values",
            "(each written as a new version) and then history rows (in place: only their secrets change), in the scope",
            "and every scope below it, for keys starting with PREFIX. Run it until it rewrites nothing, then remove the",
            "old key from PGDOCK_CONFIG_KEYS. It can be stopped and run again."})
    static final class Reencrypt extends ConfigWriteCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", description = "Only keys starting with PREFIX; default: all.")
        String prefix = "";

        /** Without the keys there is nothing to re-encrypt with: refused before connecting. */
        @Override
        void check(Cli cli) {
            if (options(cli).keys().isEmpty()) {
                throw new UsageException("config reencrypt needs the master keys: set " + KEYS_VARIABLE
                        + "=<new key id>:<base64 key>,<old key id>:<base64 key> (the current key first)");
            }
        }

        @Override
        int run(Cli cli) {
            String current = options(cli).keys().orElseThrow().currentKeyId();
            ReencryptResult r;
            try (Storage storage = openStorage(cli)) {
                r = writer(cli, store(cli, storage)).policy().reencrypt(prefix);
            }
            if (json) {
                cli.printJson(Cli.JSON.createObjectNode().put("scope", scope).put("prefix", prefix)
                        .put("currentKeyId", current).put("values", r.values()).put("historyRows", r.historyRows()));
            } else {
                cli.out.println("re-encrypted under key id \"" + current + "\" in scope " + scopeName(scope)
                        + " and below" + (prefix.isEmpty() ? "" : ", keys starting with " + show(prefix)) + ": "
                        + r.values() + " current value" + (r.values() == 1 ? "" : "s") + ", " + r.historyRows()
                        + " history row" + (r.historyRows() == 1 ? "" : "s"));
                cli.out.println(r.total() == 0 ? "nothing is left under another key id: older keys can be retired"
                        : "run it again until it rewrites nothing (a writer still on an older key adds more)");
            }
            return PgdockCli.OK;
        }
    }

    @Command(name = "verify", description = {
            "Check the hash chain of history in the scope and every scope below it, for keys starting with PREFIX:",
            "every row's hash recomputed here, every link, version step and current value. Prints what was checked",
            "and the first broken link of each key (scope, key, version, problem). Exit 1 when a link is broken:",
            "someone (a superuser included) edited, removed, inserted or reordered history rows. Reads only."})
    static final class Verify extends ConfigSubcommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", description = "Only keys starting with PREFIX; default: all.")
        String prefix = "";

        @Override
        int run(Cli cli) {
            HistoryVerification v;
            try (Storage storage = openStorage(cli)) {
                v = store(cli, storage).policy().verifyHistory(prefix);
            }
            if (json) {
                ObjectNode o = Cli.JSON.createObjectNode().put("scope", scope).put("prefix", prefix)
                        .put("intact", v.intact()).put("keys", v.keys()).put("rows", v.rows())
                        .put("brokenKeys", v.brokenKeys());
                ArrayNode breaks = o.putArray("breaks");
                for (HistoryVerification.Break b : v.breaks()) {
                    breaks.addObject().put("scope", b.scope()).put("key", b.key()).put("version", b.version())
                            .put("problem", b.problem().name()).put("detail", b.detail());
                }
                cli.printJson(o);
            } else {
                String where = "scope " + scopeName(scope) + " and below"
                        + (prefix.isEmpty() ? "" : ", keys starting with " + show(prefix));
                cli.out.println("checked " + v.keys() + " key" + (v.keys() == 1 ? "" : "s") + " and " + v.rows()
                        + " history row" + (v.rows() == 1 ? "" : "s") + " in " + where);
                for (HistoryVerification.Break b : v.breaks()) {
                    cli.out.println("BROKEN  " + b);
                }
                if (v.brokenKeys() > v.breaks().size()) {
                    cli.out.println("... and " + (v.brokenKeys() - v.breaks().size()) + " more broken keys");
                }
                cli.out.println(v.intact() ? "history intact: every link holds"
                        : v.brokenKeys() + " key" + (v.brokenKeys() == 1 ? "" : "s")
                                + " with a broken link: history was changed outside the store");
            }
            return v.intact() ? PgdockCli.OK : PgdockCli.FAILURE;
        }
    }
}
