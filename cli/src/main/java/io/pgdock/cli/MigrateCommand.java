package io.pgdock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.core.Migration;
import io.pgdock.core.MigrationProvider;
import io.pgdock.core.MigrationSet;
import io.pgdock.core.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgdock migrate}: the pending migrations of every module found on the class path (its
 * {@link MigrationProvider}s), applied in one transaction under the schema's advisory lock, or printed.
 */
@Command(name = "migrate", description = {"Apply the pending migrations of the schema (config store and any other "
        + "module in the jar).", "--print-sql prints them for a DBA and changes nothing."})
final class MigrateCommand extends CliCommand {

    @Option(names = "--print-sql", description = "Print the pending SQL; change nothing.")
    boolean printSql;

    @Option(names = "--json", description = "Print one JSON document (see cli/README.md).")
    boolean json;

    @Override
    int run(Cli cli) {
        List<MigrationSet> sets = new ArrayList<>();
        for (MigrationProvider provider : ServiceLoader.load(MigrationProvider.class)) {
            sets.add(provider.migrations());
        }
        try (Storage storage = openStorage(cli)) {
            if (printSql) {
                Map<String, List<Migration>> pending = storage.migrator().pending(sets);
                String sql = storage.migrator().pendingSql(sets);
                if (json) {
                    ObjectNode o = Cli.JSON.createObjectNode().put("schema", storage.schema());
                    o.set("pending", Cli.JSON.valueToTree(versions(pending)));
                    o.put("sql", sql);
                    cli.printJson(o);
                } else {
                    cli.out.print(sql);
                }
                return PgdockCli.OK;
            }
            Map<String, List<Migration>> applied = storage.migrator().apply(sets);
            if (json) {
                ObjectNode o = Cli.JSON.createObjectNode().put("schema", storage.schema());
                o.set("applied", Cli.JSON.valueToTree(versions(applied)));
                cli.printJson(o);
            } else if (applied.isEmpty()) {
                cli.out.println("schema \"" + storage.schema() + "\" is up to date; nothing to apply");
            } else {
                applied.forEach((module, migrations) -> migrations.forEach(m -> cli.out.println(
                        "applied " + module + " V" + m.version() + " " + m.description())));
            }
        }
        return PgdockCli.OK;
    }

    /** Module to its migrations, as {@code [{"version": 1, "description": "..."}]}. */
    private static Map<String, List<Map<String, Object>>> versions(Map<String, List<Migration>> byModule) {
        Map<String, List<Map<String, Object>>> out = new java.util.LinkedHashMap<>();
        byModule.forEach((module, migrations) -> out.put(module, migrations.stream()
                .map(m -> Map.<String, Object>of("version", m.version(), "description", m.description())).toList()));
        return out;
    }
}
