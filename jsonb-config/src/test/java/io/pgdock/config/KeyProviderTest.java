package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing keys from the environment and from files: strict, and never showing key material in an error. */
class KeyProviderTest {
    /** 32 bytes whose base64 is easy to spot in a message. */
    private static final String KEY1 = Base64.getEncoder().encodeToString(
            "KEYMATERIAL-one-0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    private static final String KEY2 = Base64.getEncoder().encodeToString(
            "KEYMATERIAL-two-0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    private static final String SHORT = Base64.getEncoder().encodeToString(
            "KEYMATERIAL-short".getBytes(StandardCharsets.US_ASCII));

    private static Map<String, String> env(String value) {
        return Map.of("PGDOCK_CONFIG_KEYS", value);
    }

    @Test
    void theFirstKeyOfTheVariableIsCurrentAndAllAreKnown() {
        KeyProvider keys = KeyProvider.fromEnvironment(env(" k2:" + KEY2 + " , k1:" + KEY1));
        assertThat(keys.currentKeyId()).isEqualTo("k2");
        assertThat(keys.key("k1").orElseThrow().getEncoded()).isEqualTo(Base64.getDecoder().decode(KEY1));
        assertThat(keys.key("k2").orElseThrow().getAlgorithm()).isEqualTo("AES");
        assertThat(keys.key("k3")).isEmpty();
        assertThat(keys.toString()).contains("k1", "k2").doesNotContain(KEY1).doesNotContain(KEY2);
        assertThat(KeyProvider.fromEnvironment(Map.of("MY_KEYS", "a.b_c-1:" + KEY1), "MY_KEYS").currentKeyId())
                .isEqualTo("a.b_c-1");
    }

    @Test
    void malformedVariablesAreRefusedNamingTheVariableAndEntryButNeverTheKey() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("", "PGDOCK_CONFIG_KEYS: is not set");
        cases.put("k1:" + KEY1 + ",", "PGDOCK_CONFIG_KEYS: entry 2 is empty");
        cases.put(KEY1, "PGDOCK_CONFIG_KEYS: entry 1 has no ':'");
        cases.put(KEY1 + ":k1", "PGDOCK_CONFIG_KEYS: entry 1: the key id (before ':')");   // the wrong way round
        cases.put("k1:" + KEY1 + ",k1:" + KEY2, "entry 2 (key id \"k1\"): the key id appears twice");
        cases.put("k1:" + KEY1 + ",k2:" + KEY2.replace('A', '*'), "entry 2 (key id \"k2\"): the key is not standard base64");
        cases.put("k1:" + SHORT, "entry 1 (key id \"k1\"): the key is 17 bytes; AES-256 needs 32");
        cases.put(":" + KEY1, "the key id (before ':') must be 1 to 64");
        cases.put("x".repeat(65) + ":" + KEY1, "the key id (before ':') must be 1 to 64");
        cases.forEach((value, expected) -> assertThatThrownBy(() -> KeyProvider.fromEnvironment(env(value)))
                .as("%s", expected)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(expected)
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("KEYMATERIAL").doesNotContain(KEY1)
                        .doesNotContain(KEY2).doesNotContain(SHORT))
                .satisfies(t -> assertThat(t.getCause()).isNull()));
        assertThatThrownBy(() -> KeyProvider.fromEnvironment(Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("PGDOCK_CONFIG_KEYS: is not set");
    }

    @Test
    void aFileHoldsOneKeyPerLineWithCommentsAndBlankLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys");
        Files.writeString(file, "# rotated 2026-11\n\nk2:" + KEY2 + "\r\n  k1:" + KEY1 + "  \n");
        KeyProvider keys = KeyProvider.fromFile(file);
        assertThat(keys.currentKeyId()).isEqualTo("k2");
        assertThat(keys.key("k1")).isPresent();

        Files.writeString(file, "# header\nk2:" + KEY2 + "\nk1:" + SHORT + "\n");
        assertThatThrownBy(() -> KeyProvider.fromFile(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(file + ": line 3 (key id \"k1\"): the key is 17 bytes")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain(SHORT).doesNotContain("KEYMATERIAL"));
        Files.writeString(file, "# nothing here\n\n");
        assertThatThrownBy(() -> KeyProvider.fromFile(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + ": holds no key; expected <key id>:<base64 key> lines, the current key first");
        Files.write(file, new byte[] {'k', '1', ':', (byte) 0xff});
        assertThatThrownBy(() -> KeyProvider.fromFile(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + ": is not UTF-8 text");
        assertThatThrownBy(() -> KeyProvider.fromFile(dir.resolve("missing")))
                .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining("missing");
    }

    @Test
    void keysGivenInCodeAreCheckedToo() {
        SecretKey k1 = new SecretKeySpec(Base64.getDecoder().decode(KEY1), "AES");
        assertThat(KeyProvider.of("k1", Map.of("k1", k1)).key("k1")).contains(k1);
        assertThatThrownBy(() -> KeyProvider.of("k2", Map.of("k1", k1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("currentKeyId: \"k2\" is not among the keys [k1]");
        assertThatThrownBy(() -> KeyProvider.of("k1", Map.of("k1", new SecretKeySpec(new byte[16], "AES"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keys: key id \"k1\": the key is 16 bytes; AES-256 needs 32");
        assertThatThrownBy(() -> KeyProvider.of("k 1", Map.of("k 1", k1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key id \"k 1\" must be 1 to 64 characters");
        assertThatThrownBy(() -> KeyProvider.of("k1", Map.of("k1", new SecretKeySpec(new byte[32], "HmacSHA256"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an AES key");
    }

    @Test
    void aStoreUsesTheCurrentKeyOfAnEnvironmentProvider() {
        KeyProvider both = KeyProvider.fromEnvironment(env("k2:" + KEY2 + ",k1:" + KEY1));
        ConfigStore store = ConfigStore.inMemory(ConfigOptions.builder().keys(both).build());
        store.putSecret("a", "hunter2");
        assertThat(store.history("a").get(0).newValue().at("/$pgdock_secret/kid").textValue()).isEqualTo("k2");
        assertThat(store.get("a", String.class)).contains("hunter2");
    }
}
