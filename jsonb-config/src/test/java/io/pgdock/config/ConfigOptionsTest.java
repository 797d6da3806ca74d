package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pgdock.config.json.JsonValues;
import io.pgdock.core.Ticker;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link ConfigOptions} itself: the mapper option's rules, and that every option is documented where users read. */
class ConfigOptionsTest {
    /** A mapper subclass that does not override {@code copy()}, as Jackson requires of subclasses. */
    static final class UncopyableMapper extends ObjectMapper {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void theMapperIsCopiedWhenSetAndEachTimeItIsAskedFor() {
        ObjectMapper mine = new ObjectMapper();
        Set<Object> modules = Set.copyOf(mine.getRegisteredModuleIds());

        ConfigOptions options = ConfigOptions.builder().objectMapper(mine).build();

        assertThat(mine.getRegisteredModuleIds()).as("the caller's mapper is not changed").isEqualTo(modules);
        ObjectMapper first = options.objectMapper().orElseThrow();
        assertThat(first).isNotSameAs(mine).isNotSameAs(options.objectMapper().orElseThrow())
                .isNotSameAs(options.mapper());
        assertThat(options.mapper()).as("the store's own copy").isNotSameAs(mine);
        assertThat(options.mapper().getRegisteredModuleIds()).as("with Secret's serializer")
                .contains("io.pgdock.config.Secret");
    }

    @Test
    void withoutAMapperTheStoresUseTheDefaultOne() {
        assertThat(ConfigOptions.defaults().objectMapper()).isEmpty();
        assertThat(ConfigOptions.builder().build().mapper()).isSameAs(JsonValues.DEFAULT_MAPPER);
        JsonMapper a = ConfigOptions.defaultObjectMapper();
        assertThat(a).as("a new one on each call, the caller's to change").isNotSameAs(ConfigOptions.defaultObjectMapper())
                .isNotSameAs(JsonValues.DEFAULT_MAPPER);
        assertThat(a.getRegisteredModuleIds()).contains("com.fasterxml.jackson.datatype.jdk8.Jdk8Module",
                "jackson-datatype-jsr310");
    }

    @Test
    void theTickerIsTheSystemOneUnlessSet() {
        assertThat(ConfigOptions.defaults().ticker()).isSameAs(Ticker.system());
        Ticker fake = () -> 42;
        assertThat(ConfigOptions.builder().ticker(fake).build().ticker()).isSameAs(fake);
        assertThatThrownBy(() -> ConfigOptions.builder().ticker(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("ticker");
    }

    @Test
    void theInMemoryStoreCallsListenersOnTheCallersThreadsOrOnItsOwnDaemonThread() throws Exception {
        AtomicInteger made = new AtomicInteger();
        ThreadFactory mine = r -> {
            Thread t = new Thread(r, "mine-config-" + made.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        assertThat(ConfigOptions.defaults().watchThreadFactory()).isEmpty();
        ConfigOptions options = ConfigOptions.builder().watchThreadFactory(mine).build();
        assertThat(options.watchThreadFactory()).containsSame(mine);

        assertThat(listenerThread(ConfigStore.inMemory(options))).isEqualTo("mine-config-1");
        assertThat(listenerThread(ConfigStore.inMemory())).isEqualTo("pgdock-config-watch-memory");
        assertThatThrownBy(() -> ConfigOptions.builder().watchThreadFactory(null))
                .isInstanceOf(NullPointerException.class).hasMessage("watchThreadFactory");
    }

    /** The name of the thread a watch of {@code store} is told of a write on. */
    private static String listenerThread(ConfigStore store) throws Exception {
        CompletableFuture<String> calledOn = new CompletableFuture<>();
        try (ConfigSubscription sub = store.watch("t.", e -> calledOn.complete(Thread.currentThread().getName()))) {
            store.put("t.a", 1);
            String name = calledOn.get(30, TimeUnit.SECONDS);
            assertThat(sub.isOpen()).isTrue();
            return name;
        }
    }

    @Test
    void aMapperThatCannotBeCopiedIsRefusedWhenSet() {
        assertThatThrownBy(() -> ConfigOptions.builder().objectMapper(new UncopyableMapper()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("objectMapper: a io.pgdock.config.ConfigOptionsTest$UncopyableMapper cannot be copied (it"
                        + " does not override ObjectMapper.copy()); the store needs a copy of its own");
        assertThatThrownBy(() -> ConfigOptions.builder().objectMapper(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("mapper");
    }

    /** The builder's options: its public methods other than build(). */
    private static Set<String> builderOptions() {
        return Arrays.stream(ConfigOptions.Builder.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && !m.getName().equals("build"))
                .map(Method::getName).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The first code span of each row of a table, without its parameters: {@code cache(maxEntries)} is "cache". */
    private static Set<String> firstColumn(String table, Pattern row) {
        Set<String> names = new TreeSet<>();
        Matcher m = row.matcher(table);
        while (m.find()) {
            names.add(m.group(1).replaceAll("\\(.*", ""));
        }
        return names;
    }

    @Test
    void everyOptionIsInTheJavadocTableAndTheReadmeTable() throws IOException {
        Set<String> options = builderOptions();
        assertThat(options).contains("objectMapper", "keys", "cache");

        String source = Files.readString(Path.of("src/main/java/io/pgdock/config/ConfigOptions.java"),
                StandardCharsets.UTF_8);
        String javadoc = source.substring(source.indexOf("<table>"), source.indexOf("</table>"));
        assertThat(firstColumn(javadoc, Pattern.compile("<tr><td>\\{@code ([^}]+)}</td>")))
                .as("rows of ConfigOptions' Javadoc table").isEqualTo(options);

        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("### `ConfigOptions`");
        assertThat(start).as("README has a ConfigOptions section").isNotNegative();
        String section = readme.substring(start, readme.indexOf("\n\n", readme.indexOf("| option", start)));
        assertThat(firstColumn(section, Pattern.compile("(?m)^\\| `([^`]+)`"))).as("rows of the README's table")
                .isEqualTo(options);
    }
}
