package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The base of the contract's testers, one abstract class of tests per feature ({@link ReadsContract},
 * {@link WritesContract}, ... {@link WatchContract}). A tester takes the store under test from {@link #fixture()};
 * {@link ConfigStoreContract} runs every tester as a {@code @Nested} class whose fixture is the contract itself, that
 * is, the subclass that implements {@link ConfigStoreFixture#newStore(ConfigOptions)}. Besides the fixture's methods
 * this holds what the testers share: comparing JSON, and running writers at once.
 *
 * <p>Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class ConfigStoreTester {
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Parses like a strict reader that keeps every digit; a repeated object key keeps its last value, as in jsonb. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Writes numbers without exponent, so equal text means equal value and equal scale. */
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    /** Numbers compare by value ({@code 1E+2} equals {@code 100}); everything else by {@code equals}. */
    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    /**
     * The store under test: it makes this test's stores, holds its clock and lets time pass.
     *
     * @return the fixture of the test that runs
     */
    protected abstract ConfigStoreFixture fixture();

    /**
     * A new, empty store with {@code options}, from {@link #fixture()}.
     *
     * @param options the options the store must honour
     * @return the store
     */
    protected final ConfigStore newStore(ConfigOptions options) {
        return fixture().newStore(options);
    }

    /**
     * A new, empty store with {@link ConfigOptions#defaults()}, from {@link #fixture()}.
     *
     * @return the store
     */
    protected final ConfigStore newStore() {
        return fixture().newStore();
    }

    /**
     * The fixture's clock ({@link ConfigStoreFixture#clock()}), for stores of tests that need time to pass.
     *
     * @return this test's clock
     */
    protected final Clock clock() {
        return fixture().clock();
    }

    /**
     * Lets {@code duration} pass for the stores this test made ({@link ConfigStoreFixture#elapse(Duration)}).
     *
     * @param duration how much time passes, positive
     */
    protected final void elapse(Duration duration) {
        fixture().elapse(duration);
    }

    /** A new, empty store whose secrets use {@code keys}. */
    final ConfigStore newStore(KeyProvider keys) {
        return newStore(ConfigOptions.builder().keys(keys).build());
    }

    /** What the store keeps for the key's latest write (secrets encrypted): its newest history row's new value. */
    static JsonNode stored(ConfigStore store, String key) {
        return store.history(key).get(0).newValue();
    }

    /**
     * Runs {@code threads} tasks at once (released together) and returns their results, failing if one throws or if
     * they are not done within a few minutes.
     */
    static <T> List<T> runConcurrently(int threads, java.util.function.IntFunction<Callable<T>> task)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Callable<T> body = task.apply(i);
                futures.add(pool.submit(() -> {
                    start.await();
                    return body.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            for (Future<T> f : futures) {
                results.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The key holds {@code json} (compact) at {@code version}. */
    static void assertUnchanged(ConfigStore store, String key, long version, String json) {
        ConfigEntry e = store.entry(key).orElseThrow(() -> new AssertionError(key + " is not set"));
        assertThat(e.version()).as("version of %s", key).isEqualTo(version);
        assertThat(json(e.value())).as("value of %s", key).isEqualTo(json);
    }

    static String json(JsonNode node) {
        return canonical(node);
    }

    static String canonical(JsonNode node) {
        try {
            return CANONICAL.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("not JSON: " + text, e);
        }
    }

    /** The same JSON meaning: same structure and strings, numbers equal by value, object members in any order. */
    static boolean sameMeaning(JsonNode a, JsonNode b) {
        return a.equals(NUMBERS_BY_VALUE, b);
    }
}
