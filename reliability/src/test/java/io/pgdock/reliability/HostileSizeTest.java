package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.ConfigPage;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ExportOptions;
import io.pgdock.config.ImportOptions;
import io.pgdock.config.ImportResult;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.core.DataAccessException;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.io.StringReader;
import java.io.Writer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Values too big or too deep, and prefixes with very many keys: oversize values are refused naming the key and the
 * size; 10,000-level nesting is refused (or read) with a clear error, never a {@link StackOverflowError} or a hang;
 * 100,000 keys under one prefix list, page, export and snapshot with correct counts. Heap figures are printed for
 * RELIABILITY.md.
 */
class HostileSizeTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    /** Only to detect a hang (a deep value must not make a call spin or recurse for ever), never a speed check. */
    private static final Duration HANG = Duration.ofMinutes(2);
    private static final int DEEP = 10_000;
    private static final int MANY = 100_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Storage storage;

    @BeforeAll
    static void open() {
        storage = Storage.open(PG.spec().toBuilder().schema("app").build(),
                StorageOptions.builder().createSchema(true).maximumPoolSize(3).minimumIdle(0).build());
    }

    @AfterAll
    static void close() {
        storage.close();
    }

    private static List<ConfigStore> stores(ConfigOptions options) {
        return List.of(ConfigStore.postgres(storage, options), ConfigStore.inMemory(options));
    }

    @Test
    void oversizeValuesAreRefusedNamingTheKeyAndTheSize() throws Exception {
        ConfigOptions small = ConfigOptions.builder().maxValueBytes(1024).build();
        String big = "x".repeat(2_000);
        for (ConfigStore store : stores(small)) {
            List<Throwable> refusals = List.of(
                    catchThrowable(() -> store.put("size.big", big)),
                    catchThrowable(() -> store.putJson("size.big", "\"" + big + "\"")),
                    catchThrowable(() -> store.parts().patch("size.big", Map.of("a", big))),
                    catchThrowable(() -> store.transfer().importFrom(JSON.readTree("{\"format\": \"pgdock-config\", \"version\": 1, "
                            + "\"entries\": [{\"key\": \"size.big\", \"value\": \"" + big + "\"}]}"),
                            ImportOptions.defaults())));
            for (Throwable refused : refusals) {
                assertThat(refused).isInstanceOf(InvalidConfigException.class)
                        .hasMessageContaining("\"size.big\"").hasMessageContaining("1024");
                assertThat(refused.getMessage()).doesNotContain("xxxxxxxxxx").matches("(?s).*\\b200[0-9]\\b.*");
            }
            assertThat(store.get("size.big")).isEmpty();
            // A value that grows past the limit through a patch is refused too, and the old value stays.
            store.put("size.grow", Map.of("a", "x".repeat(600)));
            Throwable grown = catchThrowable(() -> store.parts().patch("size.grow", Map.of("b", "y".repeat(600))));
            assertThat(grown).isInstanceOf(InvalidConfigException.class).hasMessageContaining("\"size.grow\"");
            assertThat(store.get("size.grow").orElseThrow().has("b")).isFalse();
        }
    }

    @Test
    void tenThousandLevelsOfNestingAreRefusedClearly() {
        String deepText = "[".repeat(DEEP) + "]".repeat(DEEP);
        JsonNode deepNode = nestArrays(DEEP);
        JsonNode deepObject = nestObjects(DEEP);
        for (ConfigStore store : stores(ConfigOptions.defaults())) {
            List<Throwable> refusals = assertTimeoutPreemptively(HANG, () -> List.of(
                    catchThrowable(() -> store.putJson("deep.text", deepText)),
                    catchThrowable(() -> store.put("deep.node", deepNode)),
                    catchThrowable(() -> store.put("deep.object", deepObject)),
                    catchThrowable(() -> store.parts().patch("deep.patch", deepObject)),
                    catchThrowable(() -> store.parts().patchJson("deep.patch", "{\"a\":".repeat(DEEP) + "1" + "}".repeat(DEEP)))));
            for (Throwable refused : refusals) {
                assertThat(refused).as(store.toString()).isInstanceOf(InvalidConfigException.class)
                        .hasMessageContaining("config key \"deep.")
                        .hasMessageContaining("1000");
                assertThat(refused.getMessage().length()).isLessThan(1_000);
            }
            assertThat(store.list("deep.")).isEmpty();
        }
    }

    @Test
    void aTenThousandLevelValueWrittenWithPlainSqlReadsAsAClearError() {
        // jsonb itself accepts 10,000 levels; the store's reader stops at Jackson's limit and says so.
        ConfigStore store = ConfigStore.postgres(storage);
        storage.jdbi().useHandle(h -> h.execute("insert into config_entry (scope, key, value) values ('', 'deep.sql', "
                + "(repeat('[', " + DEEP + ") || repeat(']', " + DEEP + "))::jsonb)"));
        try {
            for (Function<ConfigStore, Object> read : List.<Function<ConfigStore, Object>>of(
                    s -> s.get("deep.sql"), s -> s.entry("deep.sql"), s -> s.list("deep."), s -> s.transfer().export("deep."),
                    s -> s.history("deep.sql"), s -> s.parts().get("deep.sql", "/0/0"), s -> s.policy().snapshot("deep.").get("deep.sql"))) {
                // Unreadable stored data is a DataAccessException (the value is not the caller's input).
                Throwable failure = assertTimeoutPreemptively(HANG, () -> catchThrowable(() -> read.apply(store)));
                assertThat(failure).isInstanceOf(DataAccessException.class)
                        .hasMessageContaining("config key \"deep.sql\"")
                        .hasMessageContaining("the stored value cannot be read")
                        .hasMessageContaining("deeper");
            }
            // The key can still be removed through the store.
            assertThat(store.delete("deep.sql")).isTrue();
        } finally {
            storage.jdbi().useHandle(h -> h.execute("delete from config_entry where key = 'deep.sql'"));
        }
    }

    @Test
    void aHundredThousandKeysInOnePrefix() throws Exception {
        ConfigStore store = ConfigStore.postgres(storage);
        ObjectNode document = JSON.createObjectNode().put("format", "pgdock-config").put("version", 1);
        ArrayNode entries = document.putArray("entries");
        for (int i = 0; i < MANY; i++) {
            entries.addObject().put("key", String.format("many.k%06d", i)).put("value", i);
        }
        long started = System.nanoTime();
        ImportResult imported = store.transfer().importFrom(document, ImportOptions.defaults());
        long importMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(imported.count(ImportResult.Action.ADDED)).isEqualTo(MANY);
        document = null;
        entries = null;
        imported = null;

        long baseline = usedHeapAfterGc();
        started = System.nanoTime();
        int paged = 0;
        String after = null;
        do {
            ConfigPage page = store.list("many.", after, 1_000);
            paged += page.entries().size();
            after = page.nextAfter();
        } while (after != null);
        long pagedMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(paged).isEqualTo(MANY);
        // What the paged form holds at a time: one page.
        ConfigPage onePage = store.list("many.", null, 1_000);
        long pageRetained = usedHeapAfterGc() - baseline;
        assertThat(onePage.entries()).hasSize(1_000);
        onePage = null;

        started = System.nanoTime();
        List<ConfigEntry> all = store.list("many.");
        long listMillis = (System.nanoTime() - started) / 1_000_000;
        long listRetained = usedHeapAfterGc() - baseline;
        assertThat(all).hasSize(MANY);
        assertThat(all.get(MANY - 1).key()).isEqualTo(String.format("many.k%06d", MANY - 1));
        all = null;

        CountingWriter out = new CountingWriter();
        store.transfer().export(ExportOptions.builder().prefix("many.").build(), out);
        assertThat(out.keys).isEqualTo(MANY);
        assertThat(store.transfer().export("many.").get("entries").size()).isEqualTo(MANY);
        assertThat(store.policy().snapshot("many.").list("many.")).hasSize(MANY);
        assertThat(store.list("many.k0999", null, 10_000).entries()).hasSize(100);

        System.out.printf("RELIABILITY 100k keys: import %d ms; paged list %d ms, one page of 1,000 retains %.1f MiB; "
                + "list() %d ms, heap retained holding the list %.1f MiB; export %d characters%n", importMillis,
                pagedMillis, pageRetained / 1048576.0, listMillis, listRetained / 1048576.0, out.characters);
    }

    private static JsonNode nestArrays(int depth) {
        ArrayNode root = JSON.createArrayNode();
        ArrayNode current = root;
        for (int i = 1; i < depth; i++) {
            current = current.addArray();
        }
        return root;
    }

    private static JsonNode nestObjects(int depth) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode current = root;
        for (int i = 1; i < depth; i++) {
            current = current.putObject("a");
        }
        return root;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        Runtime runtime = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, runtime.totalMemory() - runtime.freeMemory());
        }
        return used;
    }

    /** Counts the characters written and the entries' "key" members, without keeping the text. */
    private static final class CountingWriter extends Writer {
        private final StringBuilder line = new StringBuilder();
        long characters;
        int keys;

        @Override
        public void write(char[] buffer, int offset, int length) {
            characters += length;
            for (int i = offset; i < offset + length; i++) {
                if (buffer[i] == '\n') {
                    if (line.indexOf("\"many.k") >= 0) {
                        keys++;
                    }
                    line.setLength(0);
                } else {
                    line.append(buffer[i]);
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
