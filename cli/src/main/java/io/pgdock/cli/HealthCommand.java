package io.pgdock.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.Health;
import io.pgdock.core.Storage;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.FactoryOptions;
import io.pgdock.datasource.TargetResolver;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pgdock health}: the storage's health, and named targets' with {@code --target}; exit 1 when any is down. */
@Command(name = "health", description = {"Check the storage (and named targets): up or down, latency, server version, pool.",
        "Exit 1 when any is down."})
final class HealthCommand extends CliCommand {

    @Option(names = "--target", paramLabel = "NAME",
            description = "Also check this target (PGDOCK_TARGET_<NAME>_URL or _HOST, ...); repeatable.")
    List<String> targets = List.of();

    @Option(names = "--json", description = "Print one JSON document (see cli/README.md).")
    boolean json;

    @Override
    int run(Cli cli) {
        Map<String, ObjectNode> checks = new LinkedHashMap<>();
        checks.put("storage", storage(cli));
        if (!targets.isEmpty()) {
            // A target's connect timeout follows the storage's rule: its URL's own, else --connect-timeout.
            TargetResolver environment = TargetResolver.environment(cli.env);
            TargetResolver resolver = name -> environment.resolve(name).map(s -> s.connectTimeout().isPresent() ? s
                    : s.toBuilder().connectTimeout(timeout()).build());
            FactoryOptions options = FactoryOptions.builder().resolver(resolver)
                    .connectTimeout(timeout()).maximumPoolSize(1).build();
            try (DataSourceFactory factory = DataSourceFactory.pooled(options)) {
                for (String name : targets) {
                    checks.put("target " + name, json(factory.health(name)));
                }
            }
        }
        boolean up = checks.values().stream().allMatch(c -> c.get("status").asText().equals("UP"));
        if (json) {
            ObjectNode o = Cli.JSON.createObjectNode().put("status", up ? "UP" : "DOWN");
            o.set("storage", checks.remove("storage"));
            ObjectNode t = o.putObject("targets");
            checks.forEach((name, check) -> t.set(name.substring("target ".length()), check));
            cli.printJson(o);
        } else {
            int width = checks.keySet().stream().mapToInt(String::length).max().orElse(0);
            checks.forEach((name, c) -> cli.out.printf("%-" + width + "s  %s%n", name, text(c)));
        }
        return up ? PgdockCli.OK : PgdockCli.FAILURE;
    }

    /** The storage's health; a storage that cannot be opened is down, with the reason. */
    private ObjectNode storage(Cli cli) {
        try (Storage storage = openStorage(cli)) {
            return json(storage.health()).put("spec", storage.spec().toString());
        } catch (ConnectionFailedException e) {
            return Cli.JSON.createObjectNode().put("status", "DOWN")
                    .put("reason", e.reason().name().toLowerCase(Locale.ROOT))
                    .put("error", Cli.firstLine(e.getMessage()));
        }
    }

    private static ObjectNode json(Health h) {
        ObjectNode o = Cli.JSON.createObjectNode().put("status", h.status().name());
        h.reason().ifPresent(r -> o.put("reason", r.name().toLowerCase(Locale.ROOT)));
        o.put("latencyMs", h.latency().toNanos() / 1_000_000.0);
        o.put("serverVersion", h.serverVersion().orElse(null));
        Health.PoolStats p = h.pool();
        o.putObject("pool").put("active", p.active()).put("idle", p.idle()).put("waiting", p.waiting())
                .put("total", p.total()).put("maximum", p.maximum());
        o.put("error", h.error().orElse(null));
        o.put("checkedAt", h.checkedAt().toString());
        return o;
    }

    private static String text(ObjectNode c) {
        if (!c.get("status").asText().equals("UP")) {
            return "DOWN  " + (c.has("reason") ? c.get("reason").asText() + ": " : "") + c.path("error").asText();
        }
        return String.format(Locale.ROOT, "UP    %.1f ms  PostgreSQL %s  pool %d active, %d idle of %d",
                c.get("latencyMs").asDouble(), c.get("serverVersion").asText(), c.get("pool").get("active").asInt(),
                c.get("pool").get("idle").asInt(), c.get("pool").get("maximum").asInt());
    }
}
