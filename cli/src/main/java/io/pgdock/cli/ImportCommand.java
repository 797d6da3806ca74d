package io.pgdock.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ImportOptions;
import io.pgdock.config.ImportOptions.ConflictMode;
import io.pgdock.config.ImportResult;
import io.pgdock.config.ImportResult.Action;
import io.pgdock.core.Storage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pgdock config import}: a pgdock-config document into the scope, in one transaction, with a progress bar on a
 * terminal (over the bytes read, then over the keys written), and a summary of what it did (one line per key with
 * {@code --verbose}).
 */
@Command(name = "import", description = {"Import a pgdock-config document (from config export) into the scope, "
        + "all entries or none.", "Existing keys with another value follow --mode.",
        "Prints a summary: how many keys were added, changed, unchanged and skipped,",
        "and (with --dry-run) the keys in conflict; -v/--verbose prints one line per",
        "key first, with its values (every secret as \"***\"). On a terminal, a progress",
        "bar shows the bytes read, then the keys written, with rate and time left."},
        footer = {"", "Examples:", "  pgdock config import backup.json --scope staging --dry-run",
                "  pgdock config export ingest. | pgdock config import - --scope prod --mode merge --reason restore"})
final class ImportCommand extends ConfigWriteCommand {

    @Parameters(index = "0", paramLabel = "FILE", description = "The document, or '-' for stdin.")
    String file;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "fail",
            description = "For existing keys with another value: fail (the default), skip, overwrite or merge.")
    ConflictMode mode;

    @Option(names = "--dry-run", description = "Check and show what would change; write nothing.")
    boolean dryRun;

    @Option(names = "--no-progress", description = "Draw no progress bar (none is drawn unless stderr is a terminal).")
    boolean noProgress;

    @Override
    int run(Cli cli) throws IOException {
        JsonNode document = read(cli);
        ImportResult result;
        try (Storage storage = openStorage(cli);
                Progress writes = new Progress(cli.err, cli.progress(noProgress, false), Progress.width(cli.env),
                        "keys written", cli.ticker)) {
            ImportOptions.Builder options = ImportOptions.builder().onConflict(mode)
                    .progress((written, total) -> {
                        if (total > 0) {
                            writes.update(written, total);
                        }
                    });
            if (dryRun) {
                options.dryRun();
            }
            result = writer(cli, store(cli, storage)).transfer().importFrom(document, options.build());
        }
        if (json) {
            ObjectNode o = Cli.JSON.createObjectNode().put("scope", result.scope()).put("dryRun", result.dryRun());
            for (Action a : Action.values()) {
                o.put(a.name().toLowerCase(java.util.Locale.ROOT), result.count(a));
            }
            for (ImportResult.Item item : result.items()) {
                o.withArray("items").addObject().put("key", item.key()).put("action", item.action().name())
                        .put("version", item.version());
            }
            if (result.items().isEmpty()) {
                o.putArray("items");
            }
            cli.printJson(o);
        } else {
            if (verbose) {
                cli.out.print(result.diff());   // one line per key, every secret as "***"
            }
            for (String line : summary(result, verbose)) {
                cli.out.println(line);
            }
        }
        return PgdockCli.OK;
    }

    /** The most conflicting keys the summary names; --verbose and --json name them all. */
    static final int CONFLICTS_NAMED = 20;

    /**
     * The summary: the counts of each action and, when there are conflicts (a dry run in mode fail), their keys (at
     * most {@value #CONFLICTS_NAMED}, unless {@code all}); never a value.
     */
    static List<String> summary(ImportResult result, boolean all) {
        List<String> lines = new ArrayList<>();
        long conflicts = result.count(Action.CONFLICT);
        lines.add((result.dryRun() ? "dry run, nothing written: " : "imported into scope "
                + scopeName(result.scope()) + ": ") + result.count(Action.ADDED) + " added, "
                + result.count(Action.CHANGED) + " changed, " + result.count(Action.UNCHANGED) + " unchanged, "
                + result.count(Action.SKIPPED) + " skipped" + (result.dryRun() ? ", " + conflicts + " conflict"
                + (conflicts == 1 ? "" : "s") : ""));
        if (conflicts > 0) {
            List<String> keys = result.keys(Action.CONFLICT);
            List<String> named = all ? keys : keys.subList(0, Math.min(keys.size(), CONFLICTS_NAMED));
            lines.add("conflicts (the key holds another value; --mode skip, overwrite or merge decides): "
                    + String.join(", ", named.stream().map(ConfigSubcommand::show).toList())
                    + (named.size() < keys.size() ? " and " + (keys.size() - named.size())
                            + " more (--verbose or --json lists them all)" : ""));
        }
        return lines;
    }

    /** Parses the document, counting the bytes read for the progress bar; bad JSON is shown with its position. */
    private JsonNode read(Cli cli) throws IOException {
        long size = -1;
        InputStream raw;
        if (file.equals("-")) {
            raw = cli.in;
        } else {
            Path path = Path.of(file);
            try {
                raw = Files.newInputStream(path);
                size = Files.size(path);
            } catch (IOException e) {
                throw ConfigCommand.cannotRead(file, e);
            }
        }
        try (Progress progress = new Progress(cli.err, cli.progress(noProgress, false), Progress.width(cli.env), "bytes",
                cli.ticker);
                InputStream counted = new Counting(raw, progress, size)) {
            JsonNode document = Cli.JSON.readTree(counted);
            if (document == null || document.isMissingNode()) {
                throw new UsageException(file + " is empty; expected a pgdock-config document");
            }
            return document;
        } catch (JsonProcessingException e) {
            // Not Jackson's description: it can quote a token of the file, and a hand-written file can hold secrets.
            throw new UsageException(file + " is not valid JSON" + Cli.position(e) + ": "
                    + (e instanceof JsonEOFException ? "the document ends too early" : "unexpected text there"));
        } catch (IOException e) {
            throw ConfigCommand.cannotRead(file, e);
        }
    }

    /** Counts what is read and shows it; closing it closes the stream unless it is stdin. */
    private final class Counting extends FilterInputStream {
        private final Progress progress;
        private final long size;
        private long read;

        Counting(InputStream in, Progress progress, long size) {
            super(in);
            this.progress = progress;
            this.size = size;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                progress.update(++read, size);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                read += n;
                progress.update(read, size);
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            if (!file.equals("-")) {
                super.close();
            }
        }
    }
}
