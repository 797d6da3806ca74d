package io.pgdock.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ExportOptions;
import io.pgdock.core.Storage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pgdock config export}: the scope's own entries as a backup document (secrets stay encrypted), to stdout or a
 * file, with a progress bar on a terminal.
 */
@Command(name = "export", description = {"Write the scope's own entries under PREFIX as a pgdock-config document.",
        "Secrets stay encrypted (restoring them needs the same PGDOCK_CONFIG_KEYS), or are left out."})
final class ExportCommand extends ConfigSubcommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", description = "Key prefix; default: all keys.")
    String prefix = "";

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of stdout.")
    @Nullable Path output;

    @Option(names = "--leave-out-secrets", description = "Leave out every entry holding a secret (listed in the document).")
    boolean leaveOutSecrets;

    @Option(names = "--no-progress", description = "Draw no progress bar (none is drawn unless stderr is a terminal).")
    boolean noProgress;

    @Override
    int run(Cli cli) throws IOException {
        ExportOptions.Builder options = ExportOptions.builder().prefix(prefix);
        if (leaveOutSecrets) {
            options.leaveOutSecrets();
        }
        JsonNode document;
        try (Storage storage = openStorage(cli)) {
            document = store(cli, storage).transfer().export(options.build());
        }
        int count = document.get("entries").size();
        try (Progress progress = new Progress(cli.err, cli.progress(noProgress, output == null),
                Progress.width(cli.env), "entries", cli.ticker)) {
            if (output == null) {
                write(document, cli.out, progress);
                cli.out.println();
                cli.out.flush();
            } else {
                try (OutputStream file = Files.newOutputStream(output)) {
                    write(document, file, progress);
                }
            }
        }
        if (output != null) {
            if (json) {
                ObjectNode o = Cli.JSON.createObjectNode().put("scope", scope).put("prefix", prefix)
                        .put("entries", count).put("output", output.toString());
                o.set("secretsLeftOut", document.path("secretsLeftOut").isMissingNode() ? Cli.JSON.createArrayNode()
                        : document.get("secretsLeftOut"));
                cli.printJson(o);
            } else {
                cli.out.println("exported " + count + " entries of scope " + scopeName(scope) + " to " + output);
            }
        }
        return PgdockCli.OK;
    }

    /** Writes the document indented, entry by entry, advancing the progress bar. */
    private static void write(JsonNode document, OutputStream out, Progress progress) throws IOException {
        JsonNode entries = document.get("entries");
        try (JsonGenerator g = Cli.JSON.createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            for (Map.Entry<String, JsonNode> field : document.properties()) {
                if (!field.getKey().equals("entries")) {
                    g.writeFieldName(field.getKey());
                    g.writeTree(field.getValue());
                    continue;
                }
                g.writeArrayFieldStart("entries");
                int done = 0;
                for (JsonNode entry : entries) {
                    g.writeTree(entry);
                    progress.update(++done, entries.size());
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
    }
}
