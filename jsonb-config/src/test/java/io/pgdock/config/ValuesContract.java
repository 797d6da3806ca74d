package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigStoreFixture.Limits;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of values and jsonb's rules. Scalars, arrays and objects as jsonb keeps them: member order,
 * numbers' value and scale, nesting, text jsonb cannot store, the size limit and JSON Schemas per prefix.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Values}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class ValuesContract extends ConfigStoreTester {
    @Test
    void scalarsArraysAndObjectsReadBackAsWritten() {
        ConfigStore store = newStore();
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("v.text", "batch – größe ☃ 🎉 \"quoted\" \\ \t");
        values.put("v.empty_text", "");
        values.put("v.int", 42);
        values.put("v.negative", -7);
        values.put("v.long", Long.MAX_VALUE);
        values.put("v.min_long", Long.MIN_VALUE);
        values.put("v.double", 3.5);
        values.put("v.true", true);
        values.put("v.false", false);
        values.put("v.null", null);
        values.put("v.array", Arrays.asList(1, "two", null, true, List.of(), Map.of()));
        values.put("v.empty_array", List.of());
        values.put("v.empty_object", Map.of());
        values.put("v.nested", Map.of("a", Map.of("b", List.of(Map.of("c", 1)))));
        values.put("v.record", new Limits(5, "fast"));

        for (Map.Entry<String, Object> v : values.entrySet()) {
            ConfigEntry e = store.put(v.getKey(), v.getValue());
            JsonNode expected = v.getValue() == null ? NODES.nullNode() : JSON.valueToTree(v.getValue());
            assertThat(sameMeaning(e.value(), expected)).as("%s as returned by put: %s", v.getKey(), e.value())
                    .isTrue();
            JsonNode read = store.get(v.getKey()).orElseThrow();
            assertThat(sameMeaning(read, expected)).as("%s as read back: %s", v.getKey(), read).isTrue();
        }
        assertThat(store.get("v.long", Long.class)).contains(Long.MAX_VALUE);
        assertThat(store.get("v.min_long", Long.class)).contains(Long.MIN_VALUE);
        assertThat(store.get("v.text", String.class)).contains((String) values.get("v.text"));
        assertThat(store.get("v.record", Limits.class)).contains(new Limits(5, "fast"));
        assertThat(store.get("v.array").orElseThrow().get(2).isNull()).isTrue();
    }

    @Test
    void bytesAreStoredAsBase64Text() {
        ConfigStore store = newStore();

        store.put("v.bytes", new byte[] {1, 2, 3, (byte) 0xff});

        assertThat(store.get("v.bytes").orElseThrow().isTextual()).isTrue();
        assertThat(store.get("v.bytes", String.class)).contains("AQID/w==");
        assertThat(store.get("v.bytes", byte[].class)).hasValueSatisfying(b -> assertThat(b)
                .containsExactly(1, 2, 3, 0xff));
    }

    @Test
    void objectKeysAreOrderedAsJsonbOrdersThemAndTheLastDuplicateWins() {
        ConfigStore store = newStore();

        store.putJson("v.object", "{\"bbb\": 1, \"a\": 2, \"cc\": 3, \"ab\": {\"zz\": 0, \"y\": 0}, \"é\": 4, \"z\": 5}");
        store.putJson("v.duplicates", "{\"a\": 1, \"b\": 2, \"a\": 3}");
        Map<String, Integer> map = new LinkedHashMap<>();
        map.put("long_name", 1);
        map.put("b", 2);
        store.put("v.map", map);

        assertThat(json(store.get("v.object").orElseThrow()))
                .as("shorter keys first, then by their UTF-8 bytes")
                .isEqualTo("{\"a\":2,\"z\":5,\"ab\":{\"y\":0,\"zz\":0},\"cc\":3,\"é\":4,\"bbb\":1}");
        assertThat(json(store.get("v.duplicates").orElseThrow())).isEqualTo("{\"a\":3,\"b\":2}");
        assertThat(json(store.get("v.map").orElseThrow())).isEqualTo("{\"b\":2,\"long_name\":1}");
    }

    @Test
    void aBigDecimalWithFortyDigitsReadsBackEqual() {
        ConfigStore store = newStore();
        BigDecimal decimal = new BigDecimal("1234567890123456789012345678.901234567890");
        BigInteger integer = new BigInteger("-1234567890123456789012345678901234567890");

        store.put("v.decimal", decimal);
        store.put("v.integer", integer);
        store.putJson("v.decimal_json", "[1234567890123456789012345678.901234567890]");

        BigDecimal read = store.get("v.decimal", BigDecimal.class).orElseThrow();
        assertThat(read.compareTo(decimal)).as("%s compared to %s", read, decimal).isZero();
        assertThat(read.toPlainString()).isEqualTo("1234567890123456789012345678.901234567890");
        assertThat(store.get("v.decimal").orElseThrow().decimalValue().toPlainString())
                .isEqualTo("1234567890123456789012345678.901234567890");
        assertThat(store.get("v.integer", BigInteger.class)).contains(integer);
        assertThat(store.get("v.decimal_json", new TypeReference<List<BigDecimal>>() { }).orElseThrow().get(0)
                .toPlainString()).isEqualTo("1234567890123456789012345678.901234567890");
    }

    @Test
    void numbersKeepTheirValueAndScaleButNotTheirSpelling() {
        ConfigStore store = newStore();
        Map<String, String> readsBackAs = new LinkedHashMap<>();
        readsBackAs.put("1.0e2", "100");
        readsBackAs.put("1.000e2", "100.0");
        readsBackAs.put("1.50", "1.50");
        readsBackAs.put("-0", "0");
        readsBackAs.put("-0.0", "0.0");
        readsBackAs.put("1E-7", "0.0000001");
        readsBackAs.put("1e22", "10000000000000000000000");
        readsBackAs.put("-123.456e-2", "-1.23456");
        readsBackAs.put("0.1", "0.1");
        readsBackAs.put("-0e-3", "0.000");
        readsBackAs.put("0e200000", "0");
        readsBackAs.put("0e999999999", "0");

        readsBackAs.forEach((written, expected) -> {
            store.putJson("v.number", written);
            JsonNode read = store.get("v.number").orElseThrow();
            assertThat(read.decimalValue().toPlainString()).as("%s read back", written).isEqualTo(expected);
            assertThat(json(read)).as("%s read back as JSON", written).isEqualTo(expected);
        });
        store.put("v.double", 0.1);
        assertThat(store.get("v.double").orElseThrow().decimalValue().toPlainString())
                .as("the double 0.1 is its shortest decimal, not its binary expansion").isEqualTo("0.1");
        store.put("v.float", 0.1f);
        assertThat(store.get("v.float", Float.class)).contains(0.1f);
    }

    @Test
    void integralNumbersReadBackAsIntegersWhicheverWayTheyWereWritten() {
        ConfigStore store = newStore();

        store.put("v.int", 5);
        store.put("v.long", 5L);
        store.put("v.short", (short) 5);
        store.put("v.big", BigInteger.valueOf(5));
        store.putJson("v.exp", "5e0");
        store.putJson("v.huge", "123456789012345678901234567890");

        for (String key : List.of("v.int", "v.long", "v.short", "v.big", "v.exp")) {
            JsonNode read = store.get(key).orElseThrow();
            assertThat(read.isIntegralNumber()).as("%s (%s) is integral", key, read.getClass().getSimpleName())
                    .isTrue();
            assertThat(read).as(key).isEqualTo(JSON.getNodeFactory().numberNode(5));
        }
        assertThat(store.get("v.huge").orElseThrow().isIntegralNumber()).isTrue();
        assertThat(store.get("v.huge").orElseThrow().bigIntegerValue())
                .isEqualTo(new BigInteger("123456789012345678901234567890"));
    }

    @Test
    void numbersWithThousandsOfDigitsReadBackEqual() {
        ConfigStore store = newStore();
        BigDecimal wide = new BigDecimal("9".repeat(5000) + "." + "1".repeat(5000));
        String text = "7".repeat(20_000);

        store.put("v.wide", wide);
        store.putJson("v.wide_json", text);

        assertThat(store.get("v.wide", BigDecimal.class)).hasValueSatisfying(n -> assertThat(n.compareTo(wide))
                .as("a number with 10,000 digits").isZero());
        assertThat(store.get("v.wide_json").orElseThrow().bigIntegerValue()).isEqualTo(new BigInteger(text));
    }

    @Test
    void longMemberNamesAndStringsReadBackEqual() {
        ConfigStore store = newStore();
        String name = "n".repeat(60_000);
        String text = "t".repeat(100_000);

        store.put("v.object", Map.of(name, text));
        store.putJson("v.object_json", "{\"" + name + "\": \"" + text + "\"}");

        for (String key : List.of("v.object", "v.object_json")) {
            JsonNode read = store.get(key).orElseThrow();
            assertThat(read.size()).as(key).isEqualTo(1);
            assertThat(read.fieldNames().next()).as("member name of %s", key).isEqualTo(name);
            assertThat(read.get(name).asText()).as("member value of %s", key).isEqualTo(text);
        }
    }

    @Test
    void arraysAndObjectsNestUpToAThousandLevels() {
        ConfigStore store = newStore();
        JsonNode deepest = nested(1000);

        assertThat(store.put("v.deep", deepest).version()).isEqualTo(1);
        assertThat(store.putJson("v.deep_json", "[".repeat(999) + "{\"a\": 1}" + "]".repeat(999)).version())
                .isEqualTo(1);
        assertThat(store.get("v.deep").orElseThrow()).isEqualTo(deepest);

        assertThatThrownBy(() -> store.put("v.deep", nested(1001)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("v.deep")
                .hasMessageContaining("1000");
        assertThatThrownBy(() -> store.putJson("v.deep", "[".repeat(1001) + "]".repeat(1001)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("v.deep")
                .hasMessageContaining("1000");
        assertThat(store.entry("v.deep").orElseThrow().version()).isEqualTo(1);
    }

    /** Arrays nested {@code levels} deep, the innermost holding 1. */
    private static JsonNode nested(int levels) {
        JsonNode node = NODES.arrayNode().add(1);
        for (int i = 1; i < levels; i++) {
            node = NODES.arrayNode().add(node);
        }
        return node;
    }

    @Test
    void numbersOutsidePostgresNumericAreRefused() {
        ConfigStore store = newStore();

        for (String bad : List.of("1e131072", "1e-16384", "[1e999999999]", "{\"a\": 1e-999999999}",
                "[0.4e00669999999999999999999999]", "-1e-99999999999999999999")) {
            assertThatThrownBy(() -> store.putJson("v.number", bad))
                    .as("putJson(%s)", bad)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("v.number")
                    .hasMessageContaining("numeric");
        }
        assertThatThrownBy(() -> store.put("v.number", new BigDecimal("1e-20000")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("v.number");
        assertThat(store.putJson("v.number", "1e131071").value().bigIntegerValue().toString())
                .as("131072 digits before the point").hasSize(131_072);
        assertThat(store.putJson("v.number", "1e-16383").value().decimalValue().scale()).isEqualTo(16_383);
        assertThat(store.entry("v.number").orElseThrow().version()).isEqualTo(2);
    }

    @Test
    void textThatJsonbCannotStoreIsRefusedNamingKeyAndPlace() {
        ConfigStore store = newStore();
        store.put("v.text", "ok");
        Map<Object, String> refused = new LinkedHashMap<>();
        refused.put("a\u0000b", "U+0000");
        refused.put(Map.of("a\u0000", 1), "U+0000");
        refused.put(List.of("x", Map.of("b", "\u0000")), "/1/b");
        refused.put("high \uD800 alone", "surrogate");
        refused.put("low \uDC00 alone", "surrogate");
        refused.put(Map.of("\uDFFF", 1), "surrogate");
        refused.put(Double.NaN, "NaN");
        refused.put(Double.POSITIVE_INFINITY, "Infinity");
        refused.put(List.of(1.0, Double.NEGATIVE_INFINITY), "/1");

        refused.forEach((value, mentions) -> {
            assertThatThrownBy(() -> store.put("v.text", value))
                    .as("put(%s)", value)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("v.text")
                    .hasMessageContaining(mentions)
                    .satisfies(t -> assertThat(((InvalidConfigException) t).key()).isEqualTo("v.text"));
        });
        assertThatThrownBy(() -> store.putJson("v.text", "{\"a\": \"\\u0000\"}"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("U+0000").hasMessageContaining("/a");
        assertThatThrownBy(() -> store.putJson("v.text", "[\"\\ud800\"]"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("/0");
        assertThatThrownBy(() -> store.putJson("v.new", "\"\\u0000\"")).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("config key \"v.new\"").hasMessageContaining("U+0000");
        assertUnchanged(store, "v.text", 1, "\"ok\"");
        assertThat(store.entry("v.new")).isEmpty();
        assertThat(store.put("v.text", "\uD83C\uDF89 and \\u0000").value().asText())
                .as("a surrogate pair, and an escaped backslash before u0000").isEqualTo("🎉 and \\u0000");
    }

    @Test
    void valuesOverTheDefaultLimitOfOneMebibyteAreRefusedStatingSizeAndLimit() {
        ConfigStore store = newStore();
        assertThat(ConfigOptions.defaults().maxValueBytes()).isEqualTo(1 << 20);

        assertThatThrownBy(() -> store.put("v.big", "x".repeat(1 << 20)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("v.big")
                .hasMessageContaining("1048578")
                .hasMessageContaining("1048576");
        assertThat(store.entry("v.big")).as("nothing stored").isEmpty();
        assertThat(store.history("v.big")).isEmpty();
        assertThat(store.put("v.big", "x".repeat((1 << 20) - 2)).value().asText()).hasSize((1 << 20) - 2);
    }

    @Test
    void theLimitIsConfigurableAndCountsCompactUtf8() {
        ConfigStore store = newStore(ConfigOptions.builder().maxValueBytes(64).build());
        store.put("v.text", "x".repeat(62));

        assertThatThrownBy(() -> store.put("v.text", "y".repeat(63)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("v.text")
                .hasMessageContaining("65")
                .hasMessageContaining("64");
        assertThatThrownBy(() -> store.put("v.text", "é".repeat(32)))
                .as("32 two-byte characters")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("66");
        assertThatThrownBy(() -> store.putJson("v.text", "\"" + "z".repeat(63) + "\""))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("65 bytes");
        assertUnchanged(store, "v.text", 1, "\"" + "x".repeat(62) + "\"");
        assertThat(store.put("v.text", "é".repeat(31)).version()).as("62 bytes of text in quotes").isEqualTo(2);
        assertThat(store.putJson("v.list", "[1,    2,    3,    4,    5,    6,    7,    8,    9,    10,   11]")
                .version()).as("whitespace does not count").isEqualTo(1);
    }

    @Test
    void valuesUnderAPrefixMustMatchItsSchemaBeforeAnythingIsWritten() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .schema("ingest.", "{\"type\": \"object\", \"required\": [\"max\"],"
                        + " \"properties\": {\"max\": {\"type\": \"integer\", \"minimum\": 1}}}")
                .build());
        store.put("ingest.limits", Map.of("max", 5));

        assertThatThrownBy(() -> store.put("ingest.limits", Map.of("max", 0)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("ingest.limits")
                .hasMessageContaining("\"ingest.\"")
                .hasMessageContaining("max")
                .satisfies(t -> assertThat(((InvalidConfigException) t).key()).isEqualTo("ingest.limits"));
        assertThatThrownBy(() -> store.putJson("ingest.limits", "{}"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("ingest.limits")
                .hasMessageContaining("max");
        assertThatThrownBy(() -> store.inScope("prod").put("ingest.limits", "five"))
                .as("in another scope")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("ingest.limits");
        assertThatThrownBy(() -> store.put("ingest.new", Map.of("max", -1), 0))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("config key \"ingest.new\"").hasMessageContaining("$.max");

        assertUnchanged(store, "ingest.limits", 1, "{\"max\":5}");
        assertThat(store.entry("ingest.new")).isEmpty();
        assertThat(store.inScope("prod").list("")).extracting(ConfigEntry::scope).containsOnly("");
        assertThat(store.put("egress.limits", "anything").version()).as("a key under no schema").isEqualTo(1);
        assertThat(store.put("ingest", "x").version()).as("a key shorter than the prefix").isEqualTo(1);
    }

    @Test
    void theLongestMatchingPrefixDecides() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .schema("", "{\"not\": {\"type\": \"null\"}}")
                .schema("ingest.", "{\"type\": \"object\"}")
                .schema("ingest.strict.", "{\"type\": \"integer\"}")
                .build());

        assertThat(store.put("ingest.strict.n", 7).version()).as("an integer under \"ingest.strict.\"").isEqualTo(1);
        assertThat(store.putJson("ingest.strict.n", "123456789012345678901234567890").version())
                .as("a big integer under \"ingest.strict.\"").isEqualTo(2);
        assertThat(store.putJson("ingest.strict.n", "1e2").version()).as("1e2 is the integer 100").isEqualTo(3);
        assertThatThrownBy(() -> store.put("ingest.strict.n", Map.of("max", 5)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"ingest.strict.\"");
        assertThatThrownBy(() -> store.put("ingest.strict.n", 1.5))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"ingest.strict.\"");
        assertThat(store.put("ingest.limits", Map.of("max", 5)).version()).isEqualTo(1);
        assertThatThrownBy(() -> store.put("ingest.limits", 7))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"ingest.\"");
        assertThatThrownBy(() -> store.put("egress.x", null))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"\"");
        assertThat(store.put("egress.x", 1).version()).isEqualTo(1);
    }
}
