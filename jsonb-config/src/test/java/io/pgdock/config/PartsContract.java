package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.type.TypeFactory;
import io.pgdock.config.ConfigStoreFixture.Limits;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract's tests of partial reads and updates: {@link ConfigParts} (JSON Pointer, JSON Merge Patch). Pointer
 * reads, RFC 7386 merge patches with compare-and-set, limits and schemas on the patched value, secrets replaced
 * whole, and two writers patching different members.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Parts}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class PartsContract extends ConfigStoreTester {
    @Test
    void aJsonPointerReadsOnePartOfAValue() {
        ConfigStore store = newStore();
        store.putJson("db.settings", "{\"pool\": {\"max\": 20, \"min\": 2}, \"hosts\": [\"a\", \"b\"], \"a/b\": 1,"
                + " \"m~n\": 2, \"\": 3, \"off\": null}");

        assertThat(store.parts().get("db.settings", "/pool/max")).contains(NODES.numberNode(20));
        assertThat(store.parts().get("db.settings", "/pool/max", Integer.class)).contains(20);
        assertThat(store.parts().get("db.settings", "/hosts", new TypeReference<List<String>>() { })).contains(List.of("a", "b"));
        assertThat(store.parts().get("db.settings", "/pool", TypeFactory.defaultInstance()
                .constructMapType(Map.class, String.class, Integer.class))).contains(Map.of("max", 20, "min", 2));
        assertThat(store.parts().get("db.settings", "/hosts/1")).as("an array index").contains(NODES.textNode("b"));
        assertThat(store.parts().get("db.settings", "/a~1b")).as("~1 is /").contains(NODES.numberNode(1));
        assertThat(store.parts().get("db.settings", "/m~0n")).as("~0 is ~").contains(NODES.numberNode(2));
        assertThat(store.parts().get("db.settings", "/")).as("the member named \"\"").contains(NODES.numberNode(3));
        assertThat(store.parts().get("db.settings", "")).as("the whole value").isEqualTo(store.get("db.settings"));
        assertThat(store.parts().get("db.settings", "/off")).as("JSON null is a value").contains(NODES.nullNode());
        assertThat(store.parts().get("db.settings", "/off", Integer.class)).as("typed reads of null are empty").isEmpty();
        for (String missing : List.of("/pool/nope", "/hosts/2", "/hosts/01", "/hosts/-", "/hosts/x", "/pool/max/x",
                "/off/x", "/nope/deeper")) {
            assertThat(store.parts().get("db.settings", missing)).as("pointer %s", missing).isEmpty();
            assertThat(store.parts().get("db.settings", missing, Integer.class)).as("typed, pointer %s", missing).isEmpty();
        }
        assertThat(store.parts().get("db.unset", "/pool/max")).as("a key that is not set").isEmpty();
        assertThat(store.inScope("prod").parts().get("db.settings", "/pool/min", Integer.class)).as("from the parent scope")
                .contains(2);
    }

    @Test
    void aMalformedPointerIsRefusedNamingKeyAndPointer() {
        ConfigStore store = newStore();
        store.put("db.settings", Map.of("pool", Map.of("max", 20)));

        assertThatThrownBy(() -> store.parts().get("db.settings", "pool/max"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"db.settings\"")
                .hasMessageContaining("\"pool/max\"")
                .hasMessageContaining("start with '/'");
        assertThatThrownBy(() -> store.parts().get("db.settings", "/pool~2", Integer.class))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"/pool~2\"")
                .hasMessageContaining("'~' at index 5");
        assertThatThrownBy(() -> store.parts().get("db.unset", "/a~"))
                .as("checked before the key is read")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"db.unset\"")
                .hasMessageContaining("\"/a~\"");
        assertThatThrownBy(() -> store.parts().get("db.settings", (String) null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("pointer");
        assertThatThrownBy(() -> store.parts().get("bad key", "/a")).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"bad key\"");
    }

    @Test
    void aPartThatDoesNotBindNamesTheWholePathButNotTheValue() {
        ConfigStore store = newStore();
        store.put("db.settings", Map.of("pool", Map.of("max", "very-secret-text")));

        ConfigBindingException e = catchThrowableOfType(ConfigBindingException.class,
                () -> store.parts().get("db.settings", "/pool", Limits.class));

        assertThat(e.path()).isEqualTo("/pool/max");
        assertThat(e).hasMessageContaining("\"db.settings\"").hasMessageNotContaining("very-secret-text");
    }

    /** RFC 7386, appendix A (all of it), then the example of section 3: original, patch, result. */
    static Stream<List<String>> mergePatchExamples() {
        return Stream.of(
                List.of("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"),
                List.of("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"),
                List.of("{\"a\":\"b\"}", "{\"a\":null}", "{}"),
                List.of("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"),
                List.of("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"),
                List.of("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"),
                List.of("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"),
                List.of("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"),
                List.of("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"),
                List.of("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"),
                List.of("{\"a\":\"foo\"}", "null", "null"),
                List.of("{\"a\":\"foo\"}", "\"bar\"", "\"bar\""),
                List.of("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"),
                List.of("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"),
                List.of("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"),
                List.of("{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
                                + "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}",
                        "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\",\"author\":{\"familyName\":null},"
                                + "\"tags\":[\"example\"]}",
                        "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
                                + "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mergePatchExamples")
    void mergePatchFollowsRfc7386(List<String> example) {
        ConfigStore store = newStore();
        store.putJson("doc", example.get(0));

        ConfigEntry patched = store.parts().patchJson("doc", example.get(1));

        assertThat(patched.value()).as("the patched entry").isEqualTo(parse(example.get(2)));
        assertThat(store.get("doc")).as("read back").contains(patched.value());
        assertThat(patched.version()).isEqualTo(2);
        ConfigChange change = store.history("doc").get(0);
        assertThat(change.kind()).isEqualTo(ConfigChange.Kind.UPDATE);
        assertThat(change.oldValue()).isEqualTo(parse(example.get(0)));
        assertThat(change.newValue()).isEqualTo(patched.value());
    }

    @Test
    void patchingAKeyThatIsNotSetPatchesNothing() {
        ConfigStore store = newStore();

        ConfigEntry created = store.parts().patch("db.settings", Map.of("pool", Map.of("max", 20), "off",
                NODES.nullNode()));
        ConfigEntry scalar = store.parts().patchJson("db.flag", "true");

        assertThat(json(created.value())).as("null members dropped").isEqualTo("{\"pool\":{\"max\":20}}");
        assertThat(created.version()).isEqualTo(1);
        assertThat(store.history("db.settings")).singleElement()
                .satisfies(c -> assertThat(c.kind()).isEqualTo(ConfigChange.Kind.CREATE));
        assertThat(scalar.value()).isEqualTo(NODES.booleanNode(true));
        assertThat(store.inScope("prod").parts().patch("db.settings", Map.of("pool", Map.of("min", 1))).value())
                .as("a patch in a scope patches that scope's own value, not the parent's")
                .isEqualTo(parse("{\"pool\":{\"min\":1}}"));
        assertUnchanged(store, "db.settings", 1, "{\"pool\":{\"max\":20}}");
    }

    @Test
    void patchComparesAndSets() {
        ConfigStore store = newStore();
        ConfigEntry first = store.put("db.settings", Map.of("a", 1));

        assertThatThrownBy(() -> store.parts().patch("db.settings", Map.of("b", 2), first.version() + 1))
                .isInstanceOf(ConfigConflictException.class)
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isEqualTo(1));
        assertThatThrownBy(() -> store.parts().patchJson("db.settings", "{\"b\":2}", 0))
                .isInstanceOf(ConfigConflictException.class)
                .hasMessageContaining("\"db.settings\" is at version 1, but version 0 (absent) was expected")
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isEqualTo(1));
        assertThatThrownBy(() -> store.parts().patch("db.other", Map.of("b", 2), 3))
                .isInstanceOf(ConfigConflictException.class)
                .satisfies(t -> assertThat(((ConfigConflictException) t).currentVersion()).isZero());
        assertThatThrownBy(() -> store.parts().patch("db.settings", Map.of("b", 2), -2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expectedVersion").hasMessageContaining("but was -2");
        assertUnchanged(store, "db.settings", 1, "{\"a\":1}");
        assertThat(store.entry("db.other")).isEmpty();

        assertThat(store.parts().patch("db.settings", Map.of("b", 2), 1).value()).isEqualTo(parse("{\"a\":1,\"b\":2}"));
        assertThat(store.parts().patch("db.other", Map.of("c", 3), 0).version()).isEqualTo(1);
    }

    @Test
    void aPatchedValueOverTheSizeLimitIsRefusedAndNothingIsWritten() {
        ConfigStore store = newStore(ConfigOptions.builder().maxValueBytes(64).build());
        store.put("v.obj", Map.of("a", "x".repeat(40)));   // {"a":"xxx...x"}: 48 bytes

        assertThatThrownBy(() -> store.parts().patch("v.obj", Map.of("b", "y".repeat(10))))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"v.obj\"")
                .hasMessageContaining("patched value")
                .hasMessageContaining("65 bytes")
                .hasMessageContaining("64 bytes");
        assertThatThrownBy(() -> store.parts().patch("v.obj", Map.of("a", NODES.nullNode(), "z", "y".repeat(70))))
                .as("a patch larger than a value may be")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("merge patch is");
        assertUnchanged(store, "v.obj", 1, "{\"a\":\"" + "x".repeat(40) + "\"}");
        assertThat(store.history("v.obj")).as("no history row for a refused patch").hasSize(1);
        assertThat(store.parts().patch("v.obj", Map.of("b", "y".repeat(9))).version()).as("64 bytes fit").isEqualTo(2);
    }

    @Test
    void aPatchedValueMustMatchItsSchema() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .schema("ingest.", "{\"type\": \"object\", \"required\": [\"max\"],"
                        + " \"properties\": {\"max\": {\"type\": \"integer\", \"minimum\": 1}}}")
                .build());
        store.put("ingest.limits", Map.of("max", 5, "mode", "fast"));

        assertThatThrownBy(() -> store.parts().patch("ingest.limits", Map.of("max", 0)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"ingest.limits\"")
                .hasMessageContaining("\"ingest.\"");
        assertThatThrownBy(() -> store.parts().patchJson("ingest.limits", "{\"max\": null}"))
                .as("removing a required member")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("max");
        assertThatThrownBy(() -> store.parts().patch("ingest.new", Map.of("mode", "slow")))
                .as("a new key made by a patch")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("config key \"ingest.new\"")
                .hasMessageContaining("does not match the JSON Schema for prefix \"ingest.\"");
        assertUnchanged(store, "ingest.limits", 1, "{\"max\":5,\"mode\":\"fast\"}");
        assertThat(store.entry("ingest.new")).isEmpty();
        assertThat(store.history("ingest.new")).isEmpty();
        assertThat(store.parts().patch("ingest.limits", Map.of("max", 7)).value())
                .isEqualTo(parse("{\"max\":7,\"mode\":\"fast\"}"));
    }

    @Test
    void secretsAreReplacedAsAWholeNeverMergedInto() {
        ConfigStore store = newStore();
        String secret = "{\"$pgdock_secret\":{\"v\":1,\"kid\":\"k1\",\"alg\":\"A256GCM\",\"dek\":\"ZGVr\","
                + "\"iv\":\"aXY=\",\"ct\":\"Y3Q=\"}}";
        String other = secret.replace("k1", "k2");
        store.putJson("db.settings", "{\"password\":" + secret + ",\"user\":\"app\"}");

        assertThat(store.parts().patchJson("db.settings", "{\"password\":{\"plain\":\"x\"}}").value())
                .as("an object patched onto a secret starts from {}")
                .isEqualTo(parse("{\"password\":{\"plain\":\"x\"},\"user\":\"app\"}"));
        assertThat(store.parts().patchJson("db.settings", "{\"password\":" + other + "}").value())
                .as("a secret patched onto an object replaces it")
                .isEqualTo(parse("{\"password\":" + other + ",\"user\":\"app\"}"));
        assertThat(store.parts().patchJson("db.settings", "{\"password\":" + secret + "}").value().get("password"))
                .as("a secret patched onto a secret replaces it")
                .isEqualTo(parse(secret));
        store.putJson("db.password", secret);
        assertThat(store.parts().patchJson("db.password", "{\"a\":1}").value()).isEqualTo(parse("{\"a\":1}"));
        assertThat(store.parts().patchJson("db.password", other).value()).as("a whole secret as the patch")
                .isEqualTo(parse(other));
        assertThat(store.parts().patchJson("db.password", "{\"$pgdock_secret\":null,\"x\":1}").value())
                .as("an object with more than that member is a plain patch, applied to {}")
                .isEqualTo(parse("{\"x\":1}"));
    }

    @Test
    void twoWritersPatchingDifferentMembersBothWin() throws Exception {
        ConfigStore store = newStore();
        store.put("shared", Map.of());
        int perWriter = 150;

        runConcurrently(2, w -> () -> {
            String name = w == 0 ? "left" : "right";
            for (int i = 0; i < perWriter; i++) {
                store.as(name).parts().patch("shared", Map.of(name, Map.of("last", i, "n" + i, true)));
            }
            return null;
        });

        JsonNode value = store.get("shared").orElseThrow();
        for (String name : List.of("left", "right")) {
            assertThat(value.get(name).get("last").intValue()).as("%s's last write", name).isEqualTo(perWriter - 1);
            assertThat(value.get(name).size()).as("%s's members: every patch kept", name).isEqualTo(perWriter + 1);
        }
        assertThat(store.entry("shared").orElseThrow().version()).isEqualTo(1 + 2 * perWriter);
        List<ConfigChange> history = store.history("shared");
        assertThat(history).as("one history row per patch").hasSize(1 + 2 * perWriter);
        assertThat(history.stream().filter(c -> c.actor().equals("left"))).hasSize(perWriter);
    }
}
