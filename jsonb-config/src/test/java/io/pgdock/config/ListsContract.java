package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of listing: {@link ConfigStore#list(String) list}, whole and paged. Key order, literal
 * prefixes, pages that cover every entry once, page limits, and bad prefixes.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Lists}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class ListsContract extends ConfigStoreTester {
    @Test
    void listReturnsTheKeysUnderAPrefixInKeyOrder() {
        ConfigStore store = newStore();
        List<String> keys = List.of("ingest.b", "ingest.B", "ingest._", "ingest.-", "ingest.1", "ingest.a:x",
                "ingest.a/x", "ingest.a.x", "ingest", "ingestion", "egress.a");
        for (String key : keys) {
            store.put(key, key.length());
        }

        assertThat(store.list("ingest.")).extracting(ConfigEntry::key)
                .as("keys under \"ingest.\", compared as Java strings (PostgreSQL COLLATE \"C\")")
                .containsExactly("ingest.-", "ingest.1", "ingest.B", "ingest._", "ingest.a.x", "ingest.a/x",
                        "ingest.a:x", "ingest.b");
        assertThat(store.list("")).extracting(ConfigEntry::key)
                .containsExactlyElementsOf(keys.stream().sorted().toList());
        assertThat(store.list("ingest")).hasSize(10);
        assertThat(store.list("nothing.")).isEmpty();
        assertThat(store.list("ingest.a.x")).singleElement().satisfies(e -> {
            assertThat(e.scope()).isEmpty();
            assertThat(e.version()).isEqualTo(1);
            assertThat(e.value().intValue()).isEqualTo(10);
        });
    }

    @Test
    void listTakesThePrefixLiterally() {
        ConfigStore store = newStore();
        store.put("a_b.x", 1);
        store.put("aXb.y", 2);
        store.put("a.b.z", 3);
        store.put("aZb.w", 4);

        assertThat(store.list("a_b")).as("'_' is not a wildcard").extracting(ConfigEntry::key).containsExactly("a_b.x");
        assertThat(store.list("a.b")).as("'.' is not a wildcard").extracting(ConfigEntry::key).containsExactly("a.b.z");
    }

    @Test
    void pagesCoverEveryEntryOnceInKeyOrder() {
        ConfigStore store = newStore();
        List<String> keys = IntStream.range(0, 23).mapToObj(i -> String.format("p.k%02d", i)).toList();
        for (String key : keys) {
            store.put(key, key);
        }
        store.put("q.other", 0);

        List<String> seen = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String after = null;
        for (int pages = 0; pages < 100; pages++) {
            ConfigPage page = store.list("p.", after, 5);
            sizes.add(page.entries().size());
            page.entries().forEach(e -> seen.add(e.key()));
            if (page.nextAfter() == null) {
                break;
            }
            assertThat(page.entries()).as("a page with a nextAfter").isNotEmpty();
            assertThat(page.nextAfter()).as("nextAfter is the last key of its page")
                    .isEqualTo(page.entries().get(page.entries().size() - 1).key());
            assertThat(page.next()).contains(page.nextAfter());
            after = page.nextAfter();
        }

        assertThat(seen).as("keys over all pages").containsExactlyElementsOf(keys);
        assertThat(sizes).as("page sizes").containsExactly(5, 5, 5, 5, 3);
        assertThat(store.list("p.", null, 23).nextAfter()).as("a page that holds the rest").isNull();
        assertThat(store.list("p.", "p.k22", 5).entries()).as("after the last key").isEmpty();
        assertThat(store.list("p.")).extracting(ConfigEntry::key).containsExactlyElementsOf(keys);
    }

    @Test
    void aPageMayStartAfterAKeyThatIsNotStored() {
        ConfigStore store = newStore();
        for (String key : List.of("p.a", "p.b", "p.c", "p.d")) {
            store.put(key, 1);
        }

        assertThat(store.list("p.", "p.b0", 10).entries()).extracting(ConfigEntry::key).containsExactly("p.c", "p.d");
        assertThat(store.list("p.", "a", 2).entries()).as("after a key before the prefix")
                .extracting(ConfigEntry::key).containsExactly("p.a", "p.b");
        assertThat(store.list("p.", "q", 2).entries()).as("after a key past the prefix").isEmpty();
    }

    @Test
    void pageLimitsAreBounded() {
        ConfigStore store = newStore();
        store.put("p.a", 1);

        assertThat(store.list("p.", null, 1).entries()).hasSize(1);
        assertThat(store.list("p.", null, 10_000).entries()).hasSize(1);
        for (int limit : new int[] {0, -1, 10_001}) {
            assertThatThrownBy(() -> store.list("p.", null, limit))
                    .as("limit %s", limit)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("limit")
                    .hasMessageContaining(Integer.toString(limit));
        }
    }

    @Test
    void listRefusesAPrefixOrAfterKeyThatNoKeyCouldHave() {
        ConfigStore store = newStore();

        assertThatThrownBy(() -> store.list("ingest batch"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("ingest batch");
        assertThatThrownBy(() -> store.list("p.", "p.a b", 10))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("p.a b");
        assertThatThrownBy(() -> store.list(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("prefix");
    }
}
