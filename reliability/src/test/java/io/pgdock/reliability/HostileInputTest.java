package io.pgdock.reliability;

import static io.pgdock.reliability.HostileStrings.assertClearMessage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.quicktheories.generators.SourceDSL.lists;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ConfigSubscription;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.TestDatabase;
import io.pgdock.testing.TestPostgres;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Fuzzes every string of the config store that reaches SQL (keys, prefixes, scopes, JSON Pointers and member names)
 * with quotes, backslashes, dollar quotes, comments, NUL, unpaired surrogates, LIKE wildcards and 10,000-character
 * strings, against the PostgreSQL store and, with the same expectation, the in-memory fake. Each value is refused with
 * an {@link InvalidConfigException} whose message names the field and shows the value (bounded and escaped), or it is
 * stored and read back literally; and a snapshot of the catalogue and of the store's other rows
 * ({@link HostileCatalog}) is the same before and after.
 */
class HostileInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Keys present in the root scope for the whole class: prefixes must select among them as "starts with", no more. */
    private static final List<String> SEEDED = List.of("a_", "ab", "a_b", "aXb", "a.b", "a/b", "a:b", "a-b", "ab_c",
            "a__", "A_b", "b", "b.c.d", "z");

    private static TestDatabase db;
    private static Storage storage;
    private static ConfigStore store;
    private static ConfigStore fake;
    private static Jdbi owner;

    @BeforeAll
    static void openStore() {
        db = TestPostgres.get().createDatabase();
        ConnectionSpec spec = db.spec().toBuilder().schema("app").build();
        storage = Storage.open(spec, StorageOptions.builder().createSchema(true).maximumPoolSize(3).minimumIdle(0)
                .build());
        store = ConfigStore.postgres(storage);
        fake = ConfigStore.inMemory();
        owner = db.jdbi();
        for (String key : SEEDED) {
            store.put(key, key.length());
            fake.put(key, key.length());
        }
    }

    @AfterAll
    static void printOutcomes() {
        HostileStrings.printOutcomes("HostileInputTest");
    }

    @AfterAll
    static void closeStore() {
        if (storage != null) {
            storage.close();
        }
        if (db != null) {
            db.close();
        }
    }

    /** The snapshot, leaving out the rows of (scope, key); a key or scope that cannot be stored leaves nothing out. */
    private static Map<String, Object> snapshot(String scope, String key) {
        boolean storable = key != null && key.matches("[A-Za-z0-9._:/-]{1,256}")
                && (scope == null || scope.matches("[A-Za-z0-9._:/-]{0,256}"));
        return storable ? HostileCatalog.snapshot(owner, "app", scope, key)
                : HostileCatalog.snapshot(owner, "app", null, null);
    }

    @Test
    void keysAreRefusedOrStoredLiterally() {
        Fuzz.check("keysAreRefusedOrStoredLiterally", 300, HostileStrings.hostile(), key -> {
            Map<String, Object> before = snapshot("", key);
            JsonNode value = JSON.getNodeFactory().textNode("v:" + key);
            Throwable refused = catchThrowable(() -> store.put(key, value));
            Throwable refusedByFake = catchThrowable(() -> fake.put(key, value));
            assertThat(refusedByFake == null).as("the fake agrees on %s", key).isEqualTo(refused == null);
            HostileStrings.count("keysAreRefusedOrStoredLiterally", refused != null);
            if (refused != null) {
                assertThat(refused).isInstanceOf(InvalidConfigException.class);
                assertClearMessage(refused, "config key", key);
                for (Throwable other : List.of(catchThrowable(() -> store.get(key)),
                        catchThrowable(() -> store.delete(key)))) {
                    assertThat(other).isInstanceOf(InvalidConfigException.class).hasMessage(refused.getMessage());
                }
            } else {
                assertThat(store.get(key)).contains(value);
                assertThat(fake.get(key)).contains(value);
                assertThat(store.entry(key).map(ConfigEntry::key)).contains(key);
                assertThat(store.list(key).stream().map(ConfigEntry::key)).contains(key);
                if (!SEEDED.contains(key)) {
                    assertThat(store.delete(key)).isTrue();
                    assertThat(fake.delete(key)).isTrue();
                    assertThat(store.get(key)).isEmpty();
                } else {
                    store.put(key, key.length());
                    fake.put(key, key.length());
                }
            }
            assertThat(snapshot("", key)).isEqualTo(before);
        });
    }

    @Test
    void prefixesSelectExactlyTheKeysThatStartWithThem() {
        Fuzz.check("prefixesSelectExactlyTheKeysThatStartWithThem", 300, HostileStrings.hostile(), prefix -> {
            Map<String, Object> before = snapshot(null, null);
            Throwable refused = catchThrowable(() -> store.list(prefix));
            Throwable refusedByFake = catchThrowable(() -> fake.list(prefix));
            assertThat(refusedByFake == null).as("the fake agrees on %s", prefix).isEqualTo(refused == null);
            HostileStrings.count("prefixesSelectExactlyTheKeysThatStartWithThem", refused != null);
            if (refused != null) {
                assertThat(refused).isInstanceOf(InvalidConfigException.class);
                assertClearMessage(refused, "key prefix", prefix);
                for (Throwable other : List.of(catchThrowable(() -> store.transfer().export(prefix)),
                        catchThrowable(() -> store.policy().snapshot(prefix)),
                        catchThrowable(() -> store.watch(prefix, event -> { })))) {
                    assertThat(other).isInstanceOf(InvalidConfigException.class);
                    assertClearMessage(other, "key prefix", prefix);
                }
            } else {
                // The oracle: every root key, read with plain SQL, filtered with Java's startsWith.
                TreeSet<String> expected = new TreeSet<>();
                owner.withHandle(h -> h.createQuery("select key from app.config_entry where scope = ''")
                        .mapTo(String.class).list()).stream().filter(k -> k.startsWith(prefix)).forEach(expected::add);
                TreeSet<String> expectedOfFake = new TreeSet<>();
                keys(fake.list("")).stream().filter(k -> k.startsWith(prefix)).forEach(expectedOfFake::add);
                assertThat(keys(store.list(prefix))).as("list(%s)", prefix).containsExactlyElementsOf(expected);
                assertThat(keys(fake.list(prefix))).as("fake list(%s)", prefix)
                        .containsExactlyElementsOf(expectedOfFake);
                List<String> exported = new ArrayList<>();
                store.transfer().export(prefix).get("entries").forEach(e -> exported.add(e.get("key").asText()));
                assertThat(exported).as("export(%s)", prefix).containsExactlyElementsOf(expected);
                assertThat(keys(store.policy().snapshot(prefix).list(prefix))).as("snapshot(%s)", prefix)
                        .containsExactlyElementsOf(expected);
                try (ConfigSubscription subscription = store.watch(prefix, event -> { })) {
                    assertThat(subscription).isNotNull();
                }
            }
            assertThat(snapshot(null, null)).isEqualTo(before);
        });
    }

    @Test
    void aPrefixWithALikeWildcardIsLiteral() {
        assertThat(keys(store.list("a_"))).containsExactly("a_", "a__", "a_b");
        assertThat(keys(fake.list("a_"))).containsExactly("a_", "a__", "a_b");
        assertThat(keys(store.list("a_", null, 1).entries())).containsExactly("a_");
    }

    @Test
    void scopesAreRefusedOrKeptApart() {
        Fuzz.check("scopesAreRefusedOrKeptApart", 200, HostileStrings.hostile(), scope -> {
            Map<String, Object> before = snapshot(null, "scoped.key");
            store.put("scoped.key", "root");
            Throwable refused = catchThrowable(() -> store.inScope(scope));
            Throwable refusedByFake = catchThrowable(() -> fake.inScope(scope));
            assertThat(refusedByFake == null).as("the fake agrees on %s", scope).isEqualTo(refused == null);
            HostileStrings.count("scopesAreRefusedOrKeptApart", refused != null);
            if (refused != null) {
                assertThat(refused).isInstanceOf(InvalidConfigException.class);
                assertClearMessage(refused, "scope", scope);
            } else {
                ConfigStore view = store.inScope(scope);
                view.put("scoped.key", "in:" + scope);
                assertThat(view.get("scoped.key", String.class)).contains("in:" + scope);
                assertThat(view.entry("scoped.key").map(ConfigEntry::scope)).contains(scope);
                assertThat(view.policy().explain("scoped.key").toString()).doesNotContain("in:");
                if (!scope.isEmpty()) {
                    assertThat(store.get("scoped.key", String.class)).contains("root");
                    view.delete("scoped.key");
                    assertThat(view.get("scoped.key", String.class)).contains("root");
                }
            }
            store.put("scoped.key", "root");
            // The root entry of "scoped.key" is rewritten on every try, so its rows in every scope are left out.
            assertThat(snapshot(null, "scoped.key")).isEqualTo(before);
        });
    }

    @Test
    void memberNamesAreStoredLiterallyAndPointersReachThem() {
        Fuzz.check("memberNamesAreStoredLiterallyAndPointersReachThem", 300, HostileStrings.hostile(), name -> {
            ObjectNode value = JSON.createObjectNode();
            value.put(name, 42);
            value.put("other", 1);
            Map<String, Object> before = snapshot("", "ptr");
            Throwable refused = catchThrowable(() -> store.put("ptr", value));
            Throwable refusedByFake = catchThrowable(() -> fake.put("ptr", value));
            assertThat(refusedByFake == null).as("the fake agrees on %s", name).isEqualTo(refused == null);
            HostileStrings.count("memberNamesAreStoredLiterallyAndPointersReachThem", refused != null);
            if (refused != null) {
                // jsonb cannot hold U+0000 or an unpaired surrogate; anything else must be stored.
                assertThat(name.indexOf('\0') >= 0 || hasUnpairedSurrogate(name)).as("refused %s: %s", name, refused)
                        .isTrue();
                assertThat(refused).isInstanceOf(InvalidConfigException.class);
                assertThat(refused.getMessage()).contains("config key \"ptr\"");
            } else {
                String pointer = "/" + name.replace("~", "~0").replace("/", "~1");
                assertThat(store.parts().get("ptr", pointer)).as(pointer).contains(JSON.getNodeFactory().numberNode(42));
                assertThat(fake.parts().get("ptr", pointer)).as(pointer).contains(JSON.getNodeFactory().numberNode(42));
                assertThat(store.get("ptr")).contains(value);
                assertThat(store.delete("ptr")).isTrue();
                fake.delete("ptr");
            }
            assertThat(snapshot("", "ptr")).isEqualTo(before);
        });
    }

    /** Hostile text as it is, and as the tokens of a well-formed-looking pointer, and pointers into the document. */
    private static Gen<String> pointers() {
        return Generate.oneOf(HostileStrings.hostile(),
                HostileStrings.hostile().map(s -> "/" + s),
                lists().of(HostileStrings.hostile()).ofSizeBetween(1, 4).map(tokens -> "/" + String.join("/", tokens)),
                Generate.pick(List.of("", "/", "//", "/a", "/a/b", "/a/b/1", "/a/b/01", "/a/b/-", "/a/b/2", "/~0~1",
                        "/~1~0", "/0/0", "/0/00", "/'; drop table config_entry; --", "/%", "/_", "/a/b/1/x", "/a~",
                        "/~", "/~~01", "/~01~"))).describedAs(HostileStrings::describe);
    }

    @Test
    void pointersAreRefusedOrFollowRfc6901() {
        Fuzz.check("pointersAreRefusedOrFollowRfc6901", 300, pointers(), pointer -> {
            JsonNode value = JSON.readTree("{\"a\": {\"b\": [10, 20]}, \"~/\": 1, \"\": {\"\": 2}, \"0\": [3], "
                    + "\"'; drop table config_entry; --\": 4, \"%\": 5, \"_\": 6}");
            store.put("doc", value);
            fake.put("doc", value);
            Map<String, Object> before = snapshot(null, null);
            Optional<JsonNode> expected;
            try {
                expected = Optional.ofNullable(Rfc6901.at(value, pointer));
            } catch (IllegalArgumentException malformed) {
                expected = null;
            }
            Throwable refused = catchThrowable(() -> store.parts().get("doc", pointer));
            Throwable refusedByFake = catchThrowable(() -> fake.parts().get("doc", pointer));
            HostileStrings.count("pointersAreRefusedOrFollowRfc6901", refused != null);
            if (expected == null) {
                for (Throwable t : new Throwable[] {refused, refusedByFake}) {
                    assertThat(t).as("malformed pointer %s", pointer).isInstanceOf(InvalidConfigException.class);
                    assertClearMessage(t, "JSON Pointer", pointer);
                    assertThat(t.getMessage()).contains("config key \"doc\"");
                }
            } else {
                assertThat(refused).as("pointer %s", pointer).isNull();
                assertThat(store.parts().get("doc", pointer)).as(pointer).isEqualTo(expected);
                assertThat(fake.parts().get("doc", pointer)).as(pointer).isEqualTo(expected);
            }
            assertThat(snapshot(null, null)).isEqualTo(before);
        });
    }

    @Test
    void pointerEscapesAreDecodedOnce() {
        store.put("esc", Map.of("~1", 1, "/", 2, "~0", 3, "~", 4));
        assertThat(store.parts().get("esc", "/~01")).map(JsonNode::asInt).contains(1);
        assertThat(store.parts().get("esc", "/~1")).map(JsonNode::asInt).contains(2);
        assertThat(store.parts().get("esc", "/~00")).map(JsonNode::asInt).contains(3);
        assertThat(store.parts().get("esc", "/~0")).map(JsonNode::asInt).contains(4);
        assertThat(catchThrowable(() -> store.parts().get("esc", "/~2"))).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"/~2\"");
    }

    private static List<String> keys(List<ConfigEntry> entries) {
        return entries.stream().map(ConfigEntry::key).toList();
    }

    static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** An independent reading of RFC 6901, to compare the stores with. */
    static final class Rfc6901 {
        private Rfc6901() {
        }

        /** Whether every '~' in the token starts {@code ~0} or {@code ~1} ({@code "~~01"} is malformed). */
        private static boolean wellEscaped(String token) {
            for (int i = token.indexOf('~'); i >= 0; i = token.indexOf('~', i + 2)) {
                if (i + 1 >= token.length() || (token.charAt(i + 1) != '0' && token.charAt(i + 1) != '1')) {
                    return false;
                }
            }
            return true;
        }

        /** The node the pointer names, or null; IllegalArgumentException if it is malformed. */
        static JsonNode at(JsonNode root, String pointer) {
            if (pointer.isEmpty()) {
                return root;
            }
            if (!pointer.startsWith("/")) {
                throw new IllegalArgumentException(pointer);
            }
            JsonNode node = root;
            for (String raw : pointer.substring(1).split("/", -1)) {
                if (!wellEscaped(raw)) {
                    throw new IllegalArgumentException(pointer);
                }
                String token = raw.replace("~1", "/").replace("~0", "~");
                if (node == null) {
                    continue;
                }
                if (node.isObject()) {
                    node = node.get(token);
                } else if (node.isArray()) {
                    node = token.matches("0|[1-9][0-9]{0,8}") ? node.get(Integer.parseInt(token)) : null;
                } else {
                    node = null;
                }
            }
            return node;
        }
    }
}
