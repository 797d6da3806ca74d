package io.pgdock.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigListener;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.core.Storage;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code pgdock config watch}: one line per change under a prefix, live (and replayed from a history position with
 * {@code --after}); {@code --count} and {@code --timeout} make it end, for scripts.
 */
@Command(name = "watch", description = {"Print every change under PREFIX in the scope and its parents, one line each, "
        + "until --count changes or --timeout.", "With --after, changes after that position (from an earlier "
        + "watch's output) are replayed first. A --count not reached by --timeout is a failure (exit 1)."})
final class WatchCommand extends ConfigSubcommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", description = "Key prefix; default: all keys.")
    String prefix = "";

    @Option(names = "--after", paramLabel = "POSITION", description = "Replay the changes after this position first.")
    @Nullable Long after;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N changes.")
    @Nullable Integer count;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Stop after this long, e.g. 30s.")
    @Nullable Duration timeout;

    @Option(names = "--show-secrets", description = "Decrypt secrets (needs PGDOCK_CONFIG_KEYS).")
    boolean showSecrets;

    /** What the listener thread hands to the command's thread. */
    private sealed interface Signal permits Change, Gap, CaughtUp { }

    private record Change(ConfigEvent event) implements Signal { }

    private record Gap(String why) implements Signal { }

    private record CaughtUp() implements Signal { }

    @Override
    int run(Cli cli) throws InterruptedException {
        if (count != null && count < 1) {
            throw new ParameterException(spec.commandLine(), "--count must be at least 1, but was " + count);
        }
        if (after != null && after < 0) {
            throw new ParameterException(spec.commandLine(), "--after must be 0 or more, but was " + after);
        }
        BlockingQueue<Signal> signals = new LinkedBlockingQueue<>();
        ConfigListener listener = new ConfigListener() {
            @Override
            public void onChange(ConfigEvent event) {
                signals.add(new Change(event));
            }

            @Override
            public void onGap(Exception cause) {
                signals.add(new Gap(cause == null ? "notifications were lost" : Cli.firstLine(cause.getMessage())));
            }

            @Override
            public void onCaughtUp() {
                signals.add(new CaughtUp());
            }
        };
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        int seen = 0;
        try (Storage storage = openStorage(cli)) {
            ConfigStore store = store(cli, storage);
            ConfigSubscription subscription = after == null ? store.watch(prefix, listener)
                    : store.watch(prefix, after, listener);
            try (subscription) {
                while (count == null || seen < count) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    Signal s = signals.poll(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
                    if (s instanceof Change c) {
                        print(cli, c.event());
                        seen++;
                    } else if (s instanceof Gap g) {
                        // Not a failure, so not "pgdock: ...": the watch goes on and delivers what it missed.
                        cli.err.println("watch: notifications stopped (" + g.why() + "); catching up from the history");
                    } else if (s instanceof CaughtUp && verbose) {
                        cli.err.println("watch: caught up");
                    }
                }
            }
        }
        if (count != null && seen < count && timeout != null) {   // only a timeout ends the loop early
            throw new CliFailure("watch: saw " + seen + " of " + count + " changes before the " + Durations.show(timeout)
                    + " timeout");
        }
        return PgdockCli.OK;
    }

    private void print(Cli cli, ConfigEvent event) {
        ConfigChange c = event.change();
        JsonNode value = event.value().map(v -> showSecrets ? reveal(cli, c.scope(), c.key(), v) : redact(v))
                .orElse(null);
        if (json) {
            ObjectNode o = Cli.JSON.createObjectNode();
            o.put("position", event.position());
            o.put("scope", c.scope());
            o.put("key", c.key());
            o.put("version", c.version());
            o.put("kind", c.kind().name());
            o.set("value", value == null ? Cli.JSON.nullNode() : value);
            o.put("actor", c.actor());
            o.put("reason", c.reason());
            o.put("changedAt", c.changedAt().toString());
            cli.printJson(o);
        } else {
            cli.out.println(event.position() + "  " + c.kind().name() + "  \"" + c.key() + "\" v" + c.version()
                    + (c.scope().equals(scope) ? "" : " (scope " + scopeName(c.scope()) + ")")
                    + (event.deleted() ? "" : " = " + compact(value)));
            cli.out.flush();
        }
    }
}
