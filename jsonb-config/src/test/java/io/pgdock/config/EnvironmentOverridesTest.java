package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.pgdock.config.store.EnvironmentOverrides;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The mapping of keys to environment variable names, over the whole key character set (exhaustively for short keys,
 * by property for long ones), the parsing of values and prefixes, and {@link ConfigOptions.Builder#fromEnvironment}.
 * The behaviour of stores with overrides is in {@link EnvironmentOverridesContract}.
 */
class EnvironmentOverridesTest {
    private static final String P = EnvironmentOverrides.DEFAULT_PREFIX;

    /** Every character a key may have (ConfigKeys). */
    private static final String KEY_CHARS =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:";
    /** Every character the encoding writes. */
    private static final String NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

    private static Gen<String> over(String alphabet, int min, int max) {
        return lists().of(Generate.range(0, alphabet.length() - 1)).ofSizeBetween(min, max)
                .map(indexes -> {
                    StringBuilder b = new StringBuilder();
                    indexes.forEach(i -> b.append(alphabet.charAt(i)));
                    return b.toString();
                });
    }

    /** Punctuation-heavy keys, so that runs of every length and neighbouring marks are common. */
    private static Gen<String> keys() {
        return Generate.oneOf(over(KEY_CHARS, 1, 60), over("aZ9._-/:", 1, 30), over("a._", 1, 12));
    }

    private static String decodeOrNull(String variable) {
        try {
            return EnvironmentOverrides.decode(P, variable);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Test
    void everyShortKeyIsRepresentableExactlyWhenItsVariableDecodesBackAndNoTwoRepresentableKeysShareOne() {
        // Exhaustive: every key of 1 to 3 characters from the 67 allowed (over 300,000 keys).
        Map<String, String> keyOfVariable = new HashMap<>();
        int n = KEY_CHARS.length();
        int representable = 0;
        for (int length = 1; length <= 3; length++) {
            int[] at = new int[length];
            while (true) {
                StringBuilder b = new StringBuilder();
                for (int i : at) {
                    b.append(KEY_CHARS.charAt(i));
                }
                String key = b.toString();
                String variable = EnvironmentOverrides.variable(P, key);
                assertThat(variable).as("variable of %s", key).matches("[A-Z0-9_]+").startsWith(P);
                String back = decodeOrNull(variable);
                boolean rep = EnvironmentOverrides.representable(key);
                assertThat(key.equals(back)).as("%s -> %s -> %s; representable %s", key, variable, back, rep)
                        .isEqualTo(rep);
                if (rep) {
                    representable++;
                    String other = keyOfVariable.put(variable, key);
                    assertThat(other).as("keys %s and %s share variable %s", other, key, variable).isNull();
                }
                int i = length - 1;
                while (i >= 0 && ++at[i] == n) {
                    at[i--] = 0;
                }
                if (i < 0) {
                    break;
                }
            }
        }
        assertThat(representable).as("representable keys of up to 3 characters").isGreaterThan(40_000);
    }

    @Test
    void aKeyRoundTripsThroughItsVariableExactlyWhenRepresentable() {
        qt().withExamples(20_000).forAll(keys()).check(key -> {
            String back = decodeOrNull(EnvironmentOverrides.variable(P, key));
            return key.equals(back) == EnvironmentOverrides.representable(key);
        });
    }

    @Test
    void everyNameThatDecodesIsTheVariableOfItsKeySoNoTwoNamesShareAKey() {
        // Decoding is injective: encoding is its left inverse on every name it accepts.
        qt().withExamples(20_000).forAll(Generate.oneOf(over(NAME_CHARS, 1, 60), over("A9_", 1, 40))).check(rest -> {
            String key = decodeOrNull(P + rest);
            return key == null || (EnvironmentOverrides.variable(P, key).equals(P + rest)
                    && EnvironmentOverrides.representable(key));
        });
    }

    @ParameterizedTest
    @CsvSource({
            "batch_size, PGDOCK_VAR_BATCH_SIZE",
            "ingest.batch_size, PGDOCK_VAR_INGEST__BATCH_SIZE",
            "db.pool-max, PGDOCK_VAR_DB__POOL___MAX",
            "team/etl, PGDOCK_VAR_TEAM____ETL",
            "urn:x, PGDOCK_VAR_URN_____X",
            "v2, PGDOCK_VAR_V2",
            "_hidden, PGDOCK_VAR__HIDDEN",
    })
    void theDocumentedExamples(String key, String variable) {
        assertThat(ConfigOptions.environmentVariable(P, key)).isEqualTo(variable);
        assertThat(EnvironmentOverrides.decode(P, variable)).isEqualTo(key);
    }

    @ParameterizedTest
    @CsvSource({
            "PGDOCK_VAR_, nothing follows the prefix",
            "PGDOCK_VAR_batch, the character 'b' at index 11",
            "PGDOCK_VAR_A______B, a run of 6 underscores at index 12",
            "PGDOCK_VAR_A-B, the character '-' at index 12",
    })
    void aVariableUnderThePrefixThatNamesNoKeyIsRefusedNamingIt(String variable, String why) {
        assertThatThrownBy(() -> ConfigOptions.builder().environmentOverrides(Map.of(variable, "secret-value")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"" + variable + "\"")
                .hasMessageContaining(why)
                .hasMessageNotContaining("secret-value");
    }

    @Test
    void aVariableNamingATooLongKeyIsRefused() {
        String variable = P + "A".repeat(257);
        assertThatThrownBy(() -> ConfigOptions.builder().environmentOverrides(Map.of(variable, "1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("257 characters, over the limit of 256");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "500|500",
            " 500 |500",
            "-1.5e2|-150",
            "true|true",
            "null|null",
            "{\"max\": 20}|{\"max\":20}",
            "[1, \"a\"]|[1,\"a\"]",
            "\"1.10\"|\"1.10\"",
            "1.10|1.10",
            "fast|\"fast\"",
            "1.2.3|\"1.2.3\"",
            "007|\"007\"",
            "NaN|\"NaN\"",
            "500 apples|\"500 apples\"",
            "tru|\"tru\"",
            "C:\\data|\"C:\\\\data\"",
    })
    void valuesAreJsonWhenTheyParseElseTextAsGiven(String text, String json) {
        assertThat(EnvironmentOverrides.read(Map.of(P + "X", text), P, Instant.EPOCH).byKey().get("x").value()
                .toString()).isEqualTo(json);
    }

    @Test
    void emptyAndBlankTextAreStrings() {
        var layer = EnvironmentOverrides.read(Map.of(P + "A", "", P + "B", "  "), P, Instant.EPOCH);
        assertThat(layer.byKey().get("a").value()).isEqualTo(JsonNodeFactory.instance.textNode(""));
        assertThat(layer.byKey().get("b").value()).isEqualTo(JsonNodeFactory.instance.textNode("  "));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"{\"max\": 20|{", "  [1, 2|[", "\"unterminated secret|\""})
    void textThatStartsLikeJsonMustBeJsonAndTheErrorShowsNoValue(String text, String start) {
        assertThatThrownBy(() -> ConfigOptions.builder().environmentOverrides(Map.of(P + "DB__POOL", text)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("environment variable PGDOCK_VAR_DB__POOL (config key \"db.pool\")")
                .hasMessageContaining("starts like JSON")
                .hasMessageNotContaining("secret")
                .hasMessageNotContaining("20");
    }

    @Test
    void valuesJsonbCannotStoreAreRefusedNamingTheVariable() {
        assertThatThrownBy(() -> ConfigOptions.builder().environmentOverrides(Map.of(P + "X", "\"a\\u0000b\"")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PGDOCK_VAR_X")
                .hasMessageContaining("U+0000");
    }

    @Test
    void theSizeLimitAndSchemasApplyInBuildNamingTheVariableNotTheValue() {
        assertThatThrownBy(() -> ConfigOptions.builder().maxValueBytes(16)
                .environmentOverrides(Map.of(P + "BIG", "\"" + "s".repeat(40) + "\"")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("environment variable PGDOCK_VAR_BIG (config key \"big\")")
                .hasMessageContaining("42 bytes as JSON, over the limit of 16")
                .hasMessageNotContaining("ssss");
        assertThatThrownBy(() -> ConfigOptions.builder()
                .environmentOverrides(Map.of(P + "INGEST__BATCH", "fast"))
                .schema("ingest.", "{\"type\": \"integer\"}").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PGDOCK_VAR_INGEST__BATCH (config key \"ingest.batch\")")
                .hasMessageContaining("JSON Schema for prefix \"ingest.\"");
    }

    @Test
    void variablesOutsideThePrefixAreNotRead() {
        ConfigOptions o = ConfigOptions.builder()
                .environmentOverrides(Map.of("PGDOCK_URL", "x", "PGDOCK_VARX", "1", "HOME", "/", P + "A", "1")).build();
        assertThat(o.environmentOverrides()).containsOnlyKeys(P + "A");
        assertThat(o.environmentPrefix()).contains(P);
        assertThat(ConfigOptions.defaults().environmentPrefix()).isEmpty();
        assertThat(ConfigOptions.defaults().environmentOverrides()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
            "pgdock_var_, starting with a letter and ending with '_'",
            "PGDOCK_VAR, starting with a letter and ending with '_'",
            "_X_, starting with a letter",
            "PGDOCK_, would read pgdock's own variable PGDOCK_URL",
            "PGDOCK_CONFIG_, would read pgdock's own variable PGDOCK_CONFIG_KEYS",
            "PGDOCK_CONFIG_VAR_, inside pgdock's own variables PGDOCK_CONFIG_*",
            "PGDOCK_TARGET_X_, inside pgdock's own variables PGDOCK_TARGET_*",
    })
    void badPrefixesAreRefusedShowingThem(String prefix, String why) {
        assertThatThrownBy(() -> ConfigOptions.builder().environmentOverrides(Map.of(), prefix))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why);
    }

    @Test
    void anotherPrefixReadsItsOwnVariables() {
        ConfigOptions o = ConfigOptions.builder()
                .environmentOverrides(Map.of("APP_CFG_BATCH_SIZE", "7", P + "BATCH_SIZE", "8"), "APP_CFG_").build();
        assertThat(ConfigStore.inMemory(o).get("batch_size", Integer.class)).contains(7);
    }

    @Test
    void fromEnvironmentTurnsOverridesOnWithTrueOnly() {
        Map<String, String> env = new HashMap<>(Map.of(P + "BATCH_SIZE", "500"));
        assertThat(ConfigOptions.builder().fromEnvironment(env).build().environmentPrefix()).isEmpty();
        env.put(ConfigOptions.ENV_OVERRIDES_VARIABLE, "false");
        assertThat(ConfigOptions.builder().fromEnvironment(env).build().environmentPrefix()).isEmpty();
        env.put(ConfigOptions.ENV_OVERRIDES_VARIABLE, "true");
        ConfigOptions on = ConfigOptions.builder().fromEnvironment(env).build();
        assertThat(ConfigStore.inMemory(on).get("batch_size", Integer.class)).contains(500);
        env.put(ConfigOptions.ENV_PREFIX_VARIABLE, "APP_");
        env.put("APP_BATCH_SIZE", "600");
        assertThat(ConfigStore.inMemory(ConfigOptions.builder().fromEnvironment(env).build())
                .get("batch_size", Integer.class)).contains(600);
    }

    @Test
    void fromEnvironmentRefusesWhatItCannotReadNamingTheVariable() {
        assertThatThrownBy(() -> ConfigOptions.builder()
                .fromEnvironment(Map.of(ConfigOptions.ENV_OVERRIDES_VARIABLE, "yes")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PGDOCK_CONFIG_ENV_OVERRIDES: must be true or false, but was \"yes\"");
        assertThatThrownBy(() -> ConfigOptions.builder()
                .fromEnvironment(Map.of(ConfigOptions.ENV_PREFIX_VARIABLE, "APP_")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PGDOCK_CONFIG_ENV_PREFIX is set but environment overrides are off");
        assertThatThrownBy(() -> ConfigOptions.builder().fromEnvironment(Map.of(ConfigOptions.KEYS_VARIABLE, "bad")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PGDOCK_CONFIG_KEYS");
    }

    @Test
    void theEnvironmentIsCopiedWhenSet() {
        Map<String, String> env = new HashMap<>(Map.of(P + "A", "1"));
        ConfigOptions o = ConfigOptions.builder().environmentOverrides(env).build();
        env.put(P + "A", "2");
        env.put(P + "B", "3");
        ConfigStore store = ConfigStore.inMemory(o);
        assertThat(store.get("a", Integer.class)).contains(1);
        assertThat(store.get("b")).isEmpty();
    }

    @Test
    void toStringNamesVariablesNeverValues() {
        var layer = EnvironmentOverrides.read(Map.of(P + "DB__PASSWORD", "hunter2"), P, Instant.EPOCH);
        assertThat(layer.toString()).contains("PGDOCK_VAR_DB__PASSWORD").doesNotContain("hunter2");
        ConfigStore store = ConfigStore.inMemory(ConfigOptions.builder()
                .environmentOverrides(Map.of(P + "DB__PASSWORD", "hunter2")).build());
        assertThat(store.toString()).contains("environmentOverrides=PGDOCK_VAR_").doesNotContain("hunter2");
        assertThat(store.entry("db.password").orElseThrow().toString())
                .contains("variable=PGDOCK_VAR_DB__PASSWORD").doesNotContain("hunter2");
        assertThat(List.of(store.policy().explain("db.password").toString()))
                .allSatisfy(s -> assertThat(s).contains("PGDOCK_VAR_DB__PASSWORD").doesNotContain("hunter2"));
    }
}
