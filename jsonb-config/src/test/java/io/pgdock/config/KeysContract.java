package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.core.type.TypeReference;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of keys: which keys are accepted and which refused. Lengths and characters, and that every
 * method that takes a key checks it.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Keys}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class KeysContract extends ConfigStoreTester {
    @Test
    void keysOfOneTo256AllowedCharactersAreAccepted() {
        ConfigStore store = newStore();
        String everyCharacter = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/:";

        for (String key : List.of("k", everyCharacter, "k".repeat(256), "/", ":", "..", "-")) {
            assertThatCode(() -> store.put(key, key.length())).as("put(%s)", key).doesNotThrowAnyException();
            assertThat(store.get(key, Integer.class)).as("get(%s)", key).contains(key.length());
        }
    }

    @Test
    void emptyAndOverlongKeysAreRefusedShowingTheKey() {
        ConfigStore store = newStore();
        String tooLong = "k".repeat(200) + "x".repeat(57);

        assertThatThrownBy(() -> store.put("", 1))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"\"");
        assertThatThrownBy(() -> store.put(tooLong, 1))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("257")
                .hasMessageContaining("k".repeat(50));
        assertThatThrownBy(() -> store.put(null, 1)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("key");
        assertThat(store.list("")).as("nothing stored").isEmpty();
    }

    @Test
    void keysWithOtherCharactersAreRefusedShowingTheKey() {
        ConfigStore store = newStore();
        Map<String, String> shown = new LinkedHashMap<>();
        shown.put("ingest batch", "ingest batch");
        shown.put("ingest*", "ingest*");
        shown.put("schlüssel", "schlüssel");
        shown.put("a%b", "a%b");
        shown.put("a'b", "a'b");
        shown.put("a\nb", "a\\u000ab");
        shown.put("a\u0000b", "a\\u0000b");

        for (Map.Entry<String, String> bad : shown.entrySet()) {
            Throwable thrown = catchThrowable(() -> store.put(bad.getKey(), 1));
            assertThat(thrown).as("put(%s)", bad.getValue())
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining(bad.getValue());
            assertThat(thrown.getMessage()).as("no control characters in the message of put(%s)", bad.getValue())
                    .doesNotContain("\n", "\u0000");
        }
        assertThat(store.list("")).as("nothing stored").isEmpty();
    }

    @Test
    void everyMethodThatTakesAKeyChecksIt() {
        ConfigStore store = newStore();
        String bad = "ingest batch";
        Map<String, Consumer<String>> methods = new LinkedHashMap<>();
        methods.put("entry", store::entry);
        methods.put("get", store::get);
        methods.put("get(Class)", k -> store.get(k, Integer.class));
        methods.put("get(TypeReference)", k -> store.get(k, new TypeReference<List<Integer>>() { }));
        methods.put("getOrDefault", k -> store.getOrDefault(k, Integer.class, 1));
        methods.put("put", k -> store.put(k, 1));
        methods.put("put(expected)", k -> store.put(k, 1, 0));
        methods.put("putJson", k -> store.putJson(k, "1"));
        methods.put("putJson(expected)", k -> store.putJson(k, "1", 0));
        methods.put("delete", store::delete);
        methods.put("delete(expected)", k -> store.delete(k, 1));
        methods.put("history", store::history);
        methods.put("rollback", k -> store.rollback(k, 1));
        methods.put("explain", store.policy()::explain);

        SoftAssertions softly = new SoftAssertions();
        methods.forEach((name, method) -> softly.assertThatThrownBy(() -> method.accept(bad)).as(name)
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(bad));
        softly.assertAll();
    }
}
