package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.pgdock.config.memory.MemoryConfigBackend;
import io.pgdock.config.postgres.PostgresConfigBackend;
import io.pgdock.config.store.ConfigBackend;
import io.pgdock.config.store.ConfigKeys;
import io.pgdock.config.store.DefaultConfigStore;
import io.pgdock.config.store.ScopeFallback;
import io.pgdock.config.store.WriteContext;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The PostgreSQL backend states the scope fallback rule in SQL (its list query keeps, per key, the row whose scope
 * comes first in the layers array); {@link ScopeFallback} states it in Java for the store and the in-memory backends.
 * This test holds the two to each other: random writes and deletes in several nested scopes with overlapping keys, then
 * every read and every page (several prefixes, limits and afterKeys) in each scope, from the backend and from a store
 * over it, compared with {@link ScopeFallback} applied to a plain model of what was written. The in-memory backend is
 * run the same way.
 */
class ScopeFallbackAgreementTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static final long SEED = 20261208L;
    private static final List<String> WRITTEN_SCOPES = List.of("", "a", "a/b", "a/b/c", "a/b/c/d", "a/bb", "b");
    /** The written ones, and some holding nothing whose parents do. */
    private static final List<String> READ_SCOPES = List.of("", "a", "a/b", "a/b/c", "a/b/c/d", "a/bb", "b",
            "a/b/x", "a/bb/c", "z");
    /** Keys that share prefixes and sort around each other in C collation ('-' < '.' < '/' < digits < ':' < 'A' < '_'). */
    private static final List<String> KEYS = List.of("p", "p-x", "p.", "p.a", "p.b", "p.q", "p.q.a", "p.q.b", "p.q-",
            "p.q/z", "p/x", "p0", "p:x", "pA", "p_x", "pa", "pq", "P.a", "q", "q.a", "q.b", "0", "9.z", "z", "zz.a",
            "a/b", "a:b", "_x", "p.q.a.b", "p.qq");
    private static final List<String> PREFIXES = List.of("", "p", "p.", "p.q", "p.q.", "q.", "z", "x");
    private static final List<Integer> LIMITS = List.of(1, 2, 3, 7, 1000);
    private static final List<Integer> CHECKPOINTS = List.of(60, 250, 600);
    private static final WriteContext CONTEXT = new WriteContext(null, null, HistoryRetention.all());

    @Test
    void postgresAgreesWithTheRule() {
        try (Storage storage = Storage.open(PG.spec().toBuilder().schema("scope_fallback").build(),
                StorageOptions.builder().createSchema(true).build())) {
            agree(PostgresConfigBackend.create(storage));
        }
    }

    @Test
    void inMemoryAgreesWithTheRule() {
        agree(new MemoryConfigBackend(Clock.systemUTC(), Executors.defaultThreadFactory()));
    }

    private static void agree(ConfigBackend backend) {
        ConfigOptions options = ConfigOptions.defaults();
        ConfigStore store = new DefaultConfigStore(backend, options, options.mapper());
        Map<String, NavigableMap<String, ConfigEntry>> model = new HashMap<>();
        Random random = new Random(SEED);
        int deletes = 0;
        int checks = 0;
        for (int op = 1; op <= CHECKPOINTS.get(CHECKPOINTS.size() - 1); op++) {
            String scope = WRITTEN_SCOPES.get(random.nextInt(WRITTEN_SCOPES.size()));
            String key = KEYS.get(random.nextInt(KEYS.size()));
            NavigableMap<String, ConfigEntry> inScope = model.computeIfAbsent(scope, s -> new TreeMap<>());
            if (random.nextInt(10) < 3) {
                boolean existed = backend.delete(scope, key, ConfigStore.ANY_VERSION, CONTEXT);
                assertThat(existed).as("delete of %s", ConfigKeys.describe(scope, key))
                        .isEqualTo(inScope.remove(key) != null);
                deletes++;
            } else {
                JsonNode value = JsonNodeFactory.instance.numberNode(op);
                inScope.put(key, backend.write(scope, key, value, value.toString(), ConfigStore.ANY_VERSION, CONTEXT));
            }
            if (CHECKPOINTS.contains(op)) {
                checks += check(backend, store, model, "after " + op + " operations (seed " + SEED + ")");
            }
        }
        assertThat(deletes).isGreaterThan(100);
        assertThat(checks).isGreaterThan(5_000);
    }

    /** Every read and page in every scope; returns how many answers were compared. */
    private static int check(ConfigBackend backend, ConfigStore store,
            Map<String, NavigableMap<String, ConfigEntry>> model, String when) {
        int checks = 0;
        for (String scope : READ_SCOPES) {
            List<String> layers = ConfigKeys.layers(scope);
            ConfigStore view = store.inScope(scope);
            for (String key : KEYS) {
                String what = "read of " + ConfigKeys.describe(scope, key) + " " + when;
                List<ConfigEntry> held = ScopeFallback.held(layers, model::get, key);
                List<ConfigEntry> read = backend.read(layers, key);
                assertThat(show(sorted(read))).as(what + ": the entries each layer holds").isEqualTo(show(held));
                Optional<ConfigEntry> expected = ScopeFallback.first(layers, held);
                assertThat(show(ScopeFallback.first(layers, read))).as(what).isEqualTo(show(expected));
                assertThat(show(view.entry(key))).as(what + ", through the store").isEqualTo(show(expected));
                checks += 3;
            }
            for (String prefix : PREFIXES) {
                for (int limit : LIMITS) {
                    checks += walk(backend, view, layers, model, prefix, limit, scope, when);
                }
                // afterKeys that are no page's last key: below, inside and above the prefix's range.
                for (String afterKey : Arrays.asList(null, "", "0", prefix + ".", prefix + "a", prefix + "{", "zzz")) {
                    List<ConfigEntry> expected = ScopeFallback.page(layers, model::get, prefix, afterKey, 5);
                    assertThat(show(backend.list(layers, prefix, afterKey, 5)))
                            .as("list of prefix %s after %s, limit 5, in scope %s %s", ConfigKeys.show(prefix),
                                    afterKey, ConfigKeys.show(scope), when)
                            .isEqualTo(show(expected));
                    checks++;
                }
            }
        }
        return checks;
    }

    /** Pages through {@code prefix} with {@code limit}, from the backend and from the store, against the rule. */
    private static int walk(ConfigBackend backend, ConfigStore view, List<String> layers,
            Map<String, NavigableMap<String, ConfigEntry>> model, String prefix, int limit, String scope, String when) {
        int checks = 0;
        String after = null;
        List<ConfigEntry> expected;
        do {
            String what = "list of prefix " + ConfigKeys.show(prefix) + " after " + after + ", limit " + limit
                    + ", in scope " + ConfigKeys.show(scope) + " " + when;
            expected = ScopeFallback.page(layers, model::get, prefix, after, limit);
            assertThat(show(backend.list(layers, prefix, after, limit))).as(what).isEqualTo(show(expected));
            ConfigPage page = view.list(prefix, after, limit);
            assertThat(show(page.entries())).as(what + ", through the store").isEqualTo(show(expected));
            List<ConfigEntry> more = ScopeFallback.page(layers, model::get, prefix, after, limit + 1);
            assertThat(page.next()).as(what + ", through the store: the next page's afterKey")
                    .isEqualTo(more.size() > limit ? Optional.of(expected.get(limit - 1).key()) : Optional.empty());
            checks += 3;
            after = expected.isEmpty() ? null : expected.get(expected.size() - 1).key();
        } while (expected.size() == limit);
        return checks;
    }

    /** Most specific scope first, as {@link ScopeFallback#held} lists them (a backend's read has no order). */
    private static List<ConfigEntry> sorted(List<ConfigEntry> entries) {
        List<ConfigEntry> copy = new ArrayList<>(entries);
        copy.sort(Comparator.comparingInt((ConfigEntry e) -> ConfigKeys.layers(e.scope()).size()).reversed());
        return copy;
    }

    /** Scope, key, version and value: what the rule decides (times and actors are the backend's own). */
    private static List<String> show(List<ConfigEntry> entries) {
        return entries.stream().map(ScopeFallbackAgreementTest::show).toList();
    }

    private static String show(Optional<ConfigEntry> entry) {
        return entry.map(ScopeFallbackAgreementTest::show).orElse("(none)");
    }

    private static String show(ConfigEntry e) {
        return ConfigKeys.describe(e.scope(), e.key()) + " v" + e.version() + " = " + e.value();
    }
}
