package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ConfigStoreFixture.Db;
import io.pgdock.config.ConfigStoreFixture.Limits;
import io.pgdock.config.ConfigStoreFixture.SealedDb;
import io.pgdock.config.ConfigStoreFixture.TestKeys;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of the {@link com.fasterxml.jackson.databind.ObjectMapper}: pgdock's default and yours
 * ({@link ConfigOptions.Builder#objectMapper}). Round trips of optionals and java.time values, no coercion between
 * scalar types, and what a mapper of your own may and may not change.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Mapping}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class MappingContract extends ConfigStoreTester {
    /** Every JDK 8 and java.time type a config value commonly holds. */
    record Schedule(Optional<Integer> retries, Optional<String> label, OptionalInt limit, OptionalLong max,
            OptionalDouble ratio, Instant since, LocalDate day, Duration timeout, OffsetDateTime at) {
    }

    /** For enum coercion. */
    enum Mode { FAST, SAFE }

    /** For coercion inside a record. */
    record Named(String name, int port) {
    }

    @Test
    void optionalsAndJavaTimeValuesRoundTripWithTheDefaultMapper() {
        ConfigStore store = newStore();
        Instant since = Instant.parse("2024-01-02T03:04:05.123456789Z");
        LocalDate day = LocalDate.of(2024, 1, 2);
        Duration timeout = Duration.ofSeconds(90, 5);
        OffsetDateTime at = OffsetDateTime.parse("2024-01-02T03:04:05+02:00");
        Schedule full = new Schedule(Optional.of(3), Optional.of("nightly"), OptionalInt.of(10), OptionalLong.of(1L << 40),
                OptionalDouble.of(0.25), since, day, timeout, at);
        Schedule empty = new Schedule(Optional.empty(), Optional.empty(), OptionalInt.empty(), OptionalLong.empty(),
                OptionalDouble.empty(), since, day, timeout, at);

        store.put("m.opt", Optional.of(1));
        store.put("m.none", Optional.empty());
        store.put("m.int", OptionalInt.of(2));
        store.put("m.since", since);
        store.put("m.day", day);
        store.put("m.timeout", timeout);
        store.put("m.at", at);
        store.put("m.full", full);
        store.put("m.empty", empty);

        assertThat(store.get("m.opt")).as("Optional.of(1) is stored as 1").contains(NODES.numberNode(1));
        assertThat(store.get("m.opt", new TypeReference<Optional<Integer>>() { })).contains(Optional.of(1));
        assertThat(store.get("m.none").map(JsonNode::isNull)).as("Optional.empty() is JSON null").contains(true);
        assertThat(store.get("m.int", OptionalInt.class)).contains(OptionalInt.of(2));
        assertThat(store.get("m.since")).as("ISO-8601 text").contains(NODES.textNode("2024-01-02T03:04:05.123456789Z"));
        assertThat(store.get("m.day")).contains(NODES.textNode("2024-01-02"));
        assertThat(store.get("m.timeout")).contains(NODES.textNode("PT1M30.000000005S"));
        assertThat(store.get("m.at")).contains(NODES.textNode("2024-01-02T03:04:05+02:00"));
        assertThat(store.get("m.since", Instant.class)).contains(since);
        assertThat(store.get("m.day", LocalDate.class)).contains(day);
        assertThat(store.get("m.timeout", Duration.class)).contains(timeout);
        assertThat(store.get("m.at", OffsetDateTime.class)).as("keeps its offset").contains(at);
        assertThat(store.get("m.full", Schedule.class)).contains(full);
        assertThat(store.get("m.empty", Schedule.class)).contains(empty);
        assertThat(store.parts().get("m.full", "/limit", OptionalInt.class)).contains(OptionalInt.of(10));
        assertThat(store.get("m.empty")).hasValueSatisfying(v -> assertThat(v.get("retries").isNull()).isTrue());
        assertThat(store.policy().snapshot("m.").get("m.full", Schedule.class)).as("through a snapshot").contains(full);

        store.parts().patch("m.full", Map.of("since", Instant.parse("2025-06-07T08:09:10Z"), "retries", Optional.of(4)));
        assertThat(store.get("m.full", Schedule.class)).contains(new Schedule(Optional.of(4), Optional.of("nightly"),
                OptionalInt.of(10), OptionalLong.of(1L << 40), OptionalDouble.of(0.25),
                Instant.parse("2025-06-07T08:09:10Z"), day, timeout, at));
    }

    /** The default mapper refuses {@code json} as {@code type} with a binding error that shows no value. */
    private static void refusesWithoutCoercion(ConfigStore store, String json, Class<?> type, String found,
            String shownType) {
        String key = "c.k" + Math.abs(json.hashCode() % 100_000) + type.getSimpleName().toLowerCase(Locale.ROOT);
        store.putJson(key, json);
        ConfigBindingException e = catchThrowableOfType(ConfigBindingException.class, () -> store.get(key, type));
        assertThat(e).as("%s as %s", json, type).isNotNull();
        assertThat(e.key()).isEqualTo(key);
        assertThat(e.path()).isEmpty();
        assertThat(e.type()).isEqualTo(shownType);
        assertThat(e).hasMessage("config key \"" + key + "\" does not bind to " + shownType + " at the root: " + found
                + " cannot be read as " + shownType).hasNoCause();
    }

    @Test
    void theDefaultMapperDoesNotCoerceOneScalarTypeToAnother() {
        ConfigStore store = newStore();
        store.put("c.port", 500);

        ConfigBindingException asText = catchThrowableOfType(ConfigBindingException.class,
                () -> store.get("c.port", String.class));
        assertThat(asText).hasMessage("config key \"c.port\" does not bind to java.lang.String at the root: a JSON "
                + "integer cannot be read as java.lang.String").hasNoCause();
        assertThat(asText.key()).isEqualTo("c.port");
        assertThat(asText.type()).isEqualTo("java.lang.String");
        assertThat(asText.path()).isEmpty();

        refusesWithoutCoercion(store, "731.25", String.class, "a JSON number with a fraction", "java.lang.String");
        refusesWithoutCoercion(store, "true", String.class, "a JSON boolean", "java.lang.String");
        refusesWithoutCoercion(store, "\"4711\"", Integer.class, "a JSON string", "java.lang.Integer");
        refusesWithoutCoercion(store, "\"4711\"", int.class, "a JSON string", "int");
        refusesWithoutCoercion(store, "\"4711\"", Long.class, "a JSON string", "java.lang.Long");
        refusesWithoutCoercion(store, "\"4711.5\"", BigDecimal.class, "a JSON string", "java.math.BigDecimal");
        refusesWithoutCoercion(store, "\"4711.5\"", Double.class, "a JSON string", "java.lang.Double");
        refusesWithoutCoercion(store, "\"true\"", Boolean.class, "a JSON string", "java.lang.Boolean");
        refusesWithoutCoercion(store, "1", Boolean.class, "a JSON integer", "java.lang.Boolean");
        refusesWithoutCoercion(store, "true", Integer.class, "a JSON boolean", "java.lang.Integer");
        refusesWithoutCoercion(store, "731.5", Integer.class, "a JSON number with a fraction", "java.lang.Integer");
        refusesWithoutCoercion(store, "731.0", long.class, "a JSON number with a fraction", "long");
        refusesWithoutCoercion(store, "731.5", BigInteger.class, "a JSON number with a fraction",
                "java.math.BigInteger");
        refusesWithoutCoercion(store, "\"\"", Integer.class, "an empty JSON string", "java.lang.Integer");
        refusesWithoutCoercion(store, "\"\"", Instant.class, "an empty JSON string", "java.time.Instant");
        refusesWithoutCoercion(store, "\"\"", Limits.class, "an empty JSON string",
                "io.pgdock.config.ConfigStoreFixture$Limits");
        refusesWithoutCoercion(store, "1", Mode.class, "a JSON integer", "io.pgdock.config.MappingContract$Mode");
        refusesWithoutCoercion(store, "\"1\"", Mode.class, "a JSON string",
                "io.pgdock.config.MappingContract$Mode");
        refusesWithoutCoercion(store, "19000", LocalDate.class, "a JSON integer", "java.time.LocalDate");
    }

    @Test
    void aScalarThatIsNotCoercedInsideAValueNamesItsPath() {
        ConfigStore store = newStore();
        store.put("c.named", Map.of("name", 7311, "port", 5432));
        store.put("c.names", List.of("a", 7312));
        store.put("c.flags", Map.of("on", true));

        ConfigBindingException inRecord = catchThrowableOfType(ConfigBindingException.class,
                () -> store.get("c.named", Named.class));
        assertThat(inRecord.path()).isEqualTo("/name");
        assertThat(inRecord).hasMessageEndingWith("at /name: a JSON integer cannot be read as java.lang.String")
                .hasMessageNotContaining("7311");
        assertThat(catchThrowableOfType(ConfigBindingException.class,
                () -> store.get("c.names", new TypeReference<List<String>>() { })))
                .hasMessageEndingWith("at /1: a JSON integer cannot be read as java.lang.String")
                .hasMessageNotContaining("7312")
                .satisfies(e -> assertThat(e.path()).isEqualTo("/1"));
        assertThat(catchThrowableOfType(ConfigBindingException.class,
                () -> store.get("c.flags", new TypeReference<Map<String, String>>() { })))
                .hasMessageEndingWith("at /on: a JSON boolean cannot be read as java.lang.String");
        assertThat(catchThrowableOfType(ConfigBindingException.class, () -> store.parts().get("c.named", "/name",
                String.class))).as("by pointer").satisfies(e -> assertThat(e.path()).isEqualTo("/name"))
                .hasMessageEndingWith("at /name: a JSON integer cannot be read as java.lang.String");
    }

    @Test
    void whatTheDefaultMapperStillReads() {
        ConfigStore store = newStore();
        store.put("r.count", 5);
        store.put("r.epoch", 1_700_000_000);
        store.putJson("r.price", "1.50");
        store.put("r.mode", "SAFE");
        store.put("r.any", Map.of("n", 5, "d", new BigDecimal("1.50")));

        assertThat(store.get("r.count", Double.class)).as("an integer as a floating-point type").contains(5.0);
        assertThat(store.get("r.count", BigDecimal.class)).contains(BigDecimal.valueOf(5));
        assertThat(store.get("r.count", Long.class)).contains(5L);
        assertThat(store.get("r.epoch", Instant.class)).as("seconds since the epoch")
                .contains(Instant.ofEpochSecond(1_700_000_000));
        assertThat(store.get("r.count", Duration.class)).as("seconds").contains(Duration.ofSeconds(5));
        store.putJson("r.old_timeout", "90.000000005");
        assertThat(store.get("r.old_timeout", Duration.class)).as("a Duration as pgdock wrote it before it wrote text")
                .contains(Duration.ofSeconds(90, 5));
        assertThat(store.get("r.price", BigDecimal.class)).contains(new BigDecimal("1.50"));
        assertThat(store.get("r.mode", Mode.class)).contains(Mode.SAFE);
        assertThat(store.get("r.any", Object.class)).as("numbers of untyped values: Integer, or exact BigDecimal")
                .contains(Map.of("n", 5, "d", new BigDecimal("1.50")));
    }

    @Test
    void aNumberOutOfTheTypesRangeNamesTheTypeButNotTheNumber() {
        ConfigStore store = newStore();
        store.put("c.big", 98_765_432_109L);
        store.put("c.limits", Map.of("max", 98_765_432_109L, "mode", "fast"));

        assertThat(catchThrowableOfType(ConfigBindingException.class, () -> store.get("c.big", Integer.class)))
                .hasMessage("config key \"c.big\" does not bind to java.lang.Integer at the root: a JSON number out of"
                        + " the range of int").hasNoCause();
        assertThat(catchThrowableOfType(ConfigBindingException.class, () -> store.get("c.limits", Limits.class)))
                .hasMessageEndingWith("at /max: a JSON number out of the range of int")
                .hasMessageNotContaining("98765432109").hasNoCause()
                .satisfies(e -> assertThat(e.path()).isEqualTo("/max"));
    }

    @Test
    void aMapperOfYourOwnDecidesCoercion() {
        ConfigStore store = newStore(ConfigOptions.builder().objectMapper(new ObjectMapper()).build());
        store.put("c.port", 500);
        store.put("c.text", "5");

        assertThat(store.get("c.port", String.class)).as("Jackson's own default coerces").contains("500");
        assertThat(store.get("c.text", Integer.class)).contains(5);
        assertThatThrownBy(() -> store.put("c.opt", Optional.of(1)))
                .as("a mapper without Jdk8Module cannot map an Optional; the message says which module it needs")
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("config key \"c.opt\": a java.util.Optional cannot be mapped to JSON: ")
                .hasMessageContaining("jackson-datatype-jdk8");
        assertThat(store.entry("c.opt")).as("nothing written").isEmpty();
    }

    /** A type of the caller's, which only the caller's module maps: {@code "1250 EUR"}. */
    record Money(long cents, String currency) {
    }

    /** Field names the caller's naming strategy changes. */
    record Budget(String ownerName, Money monthlyLimit) {
    }

    /** With a secret field. */
    record Account(String ownerName, Secret apiToken) {
    }

    /** The same, read as plain text. */
    record PlainAccount(String ownerName, String apiToken) {
    }

    private static JsonMapper snakeCaseMoneyMapper() {
        SimpleModule money = new SimpleModule("money")
                .addSerializer(Money.class, new com.fasterxml.jackson.databind.ser.std.StdSerializer<Money>(Money.class) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public void serialize(Money m, com.fasterxml.jackson.core.JsonGenerator gen,
                            com.fasterxml.jackson.databind.SerializerProvider provider) throws IOException {
                        gen.writeString(m.cents() + " " + m.currency());
                    }
                })
                .addDeserializer(Money.class, new com.fasterxml.jackson.databind.deser.std.StdDeserializer<Money>(
                        Money.class) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public Money deserialize(com.fasterxml.jackson.core.JsonParser p,
                            com.fasterxml.jackson.databind.DeserializationContext ctxt) throws IOException {
                        String[] parts = p.getValueAsString().split(" ", -1);
                        return new Money(Long.parseLong(parts[0]), parts[1]);
                    }
                });
        return JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).addModule(money)
                .build();
    }

    @Test
    void aMapperOfYourOwnMapsAndBindsOnEveryPath() throws Exception {
        JsonMapper mine = snakeCaseMoneyMapper();
        Set<Object> modulesBefore = Set.copyOf(mine.getRegisteredModuleIds());
        ConfigOptions options = ConfigOptions.builder().objectMapper(mine).keys(new TestKeys("k1")).build();
        ConfigStore store = newStore(options);
        Budget budget = new Budget("ann", new Money(1250, "EUR"));

        store.put("u.budget", budget);
        assertThat(store.get("u.budget")).as("written by the caller's mapper, in jsonb's member order")
                .contains(JSON.readTree("{\"owner_name\": \"ann\", \"monthly_limit\": \"1250 EUR\"}"));
        assertThat(store.get("u.budget").orElseThrow().fieldNames()).toIterable()
                .containsExactly("owner_name", "monthly_limit");
        assertThat(store.get("u.budget", Budget.class)).as("get(Class)").contains(budget);
        assertThat(store.get("u.budget", new TypeReference<Budget>() { })).as("get(TypeReference)").contains(budget);
        assertThat(store.<Budget>get("u.budget", mine.constructType(Budget.class))).as("get(JavaType)")
                .contains(budget);
        assertThat(store.parts().get("u.budget", "/monthly_limit", Money.class)).as("by pointer")
                .contains(new Money(1250, "EUR"));
        assertThat(store.getOrDefault("u.unset", Budget.class, budget)).isEqualTo(budget);
        assertThat(store.inScope("prod").get("u.budget", Budget.class)).as("through a scope's fallback")
                .contains(budget);
        assertThat(store.policy().snapshot("u.").get("u.budget", Budget.class)).as("through a snapshot").contains(budget);

        store.parts().patch("u.budget", Map.of("monthly_limit", new Money(2000, "EUR")));
        assertThat(store.get("u.budget", Budget.class)).as("patch").contains(new Budget("ann", new Money(2000, "EUR")));

        ObjectNode tree = NODES.objectNode().put("owner_name", "bob");
        tree.putPOJO("monthly_limit", new Money(5, "USD"));
        store.put("u.tree", tree);
        assertThat(store.parts().get("u.tree", "/monthly_limit")).as("a Java object in a tree").contains(
                NODES.textNode("5 USD"));

        store.putSecret("u.limit", new Money(7, "CHF"));
        assertThat(Secret.isEncrypted(stored(store, "u.limit"))).as("putSecret encrypts").isTrue();
        assertThat(store.get("u.limit", Money.class)).as("putSecret maps with the store's mapper")
                .contains(new Money(7, "CHF"));

        store.put("u.account", new Account("cid", Secret.of("t0ken-secret")));
        assertThat(Secret.isEncrypted(stored(store, "u.account").get("api_token"))).as("a Secret field is sealed")
                .isTrue();
        assertThat(store.get("u.account", Account.class).orElseThrow().apiToken().revealText()).isEqualTo("t0ken-secret");
        assertThat(store.get("u.account", PlainAccount.class)).contains(new PlainAccount("cid", "t0ken-secret"));

        assertThat(mine.getRegisteredModuleIds()).as("the caller's mapper is not changed").isEqualTo(modulesBefore);
        mine.setPropertyNamingStrategy(PropertyNamingStrategies.UPPER_CAMEL_CASE);
        store.put("u.later", budget);
        assertThat(store.get("u.later").orElseThrow().has("owner_name"))
                .as("changing the caller's mapper later does not reach the store").isTrue();
        assertThat(options.objectMapper()).hasValueSatisfying(m -> assertThat(m).isNotSameAs(mine)
                .satisfies(copy -> assertThat(copy.getPropertyNamingStrategy())
                        .isSameAs(PropertyNamingStrategies.SNAKE_CASE)));
    }

    @Test
    void secretFieldsAreSealedAndReadEvenByAMapperThatIgnoresAnnotations() {
        JsonMapper plain = JsonMapper.builder().disable(MapperFeature.USE_ANNOTATIONS).build();
        ConfigStore store = newStore(ConfigOptions.builder().objectMapper(plain).keys(new TestKeys("k1")).build());

        store.put("db", new SealedDb("jdbc:postgresql://db/app", Secret.of("hunter2-secret")));

        assertThat(Secret.isEncrypted(stored(store, "db").get("password"))).isTrue();
        assertThat(stored(store, "db").toString()).doesNotContain("hunter2");
        assertThat(store.get("db", SealedDb.class).orElseThrow().password().revealText()).isEqualTo("hunter2-secret");
        assertThat(store.get("db", Db.class)).contains(new Db("jdbc:postgresql://db/app", "hunter2-secret"));
    }

    @Test
    void aFailureOfYourMappersDeserializerNamesTheKeyAndTheTypeButNotTheValue() {
        SimpleModule failing = new SimpleModule("failing").addDeserializer(Money.class,
                new com.fasterxml.jackson.databind.deser.std.StdDeserializer<Money>(Money.class) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public Money deserialize(com.fasterxml.jackson.core.JsonParser p,
                            com.fasterxml.jackson.databind.DeserializationContext ctxt) throws IOException {
                        throw new IllegalStateException("cannot parse " + p.getValueAsString());
                    }
                });
        JsonMapper unwrapped = JsonMapper.builder().addModule(failing)
                .disable(DeserializationFeature.WRAP_EXCEPTIONS).build();
        ConfigStore store = newStore(ConfigOptions.builder().objectMapper(unwrapped).build());
        store.put("u.money", Map.of("limit", "12 very-secret-money"));

        assertThat(catchThrowableOfType(ConfigBindingException.class, () -> store.parts().get("u.money", "/limit", Money.class)))
                .hasMessage("config key \"u.money\" does not bind to io.pgdock.config.MappingContract$Money at "
                        + "/limit: the mapper failed with java.lang.IllegalStateException")
                .hasNoCause();
    }

    @Test
    void aMapperOfYourOwnCannotLoosenWhatAValueMustBe() {
        JsonMapper lax = JsonMapper.builder(com.fasterxml.jackson.core.JsonFactory.builder()
                        .streamWriteConstraints(com.fasterxml.jackson.core.StreamWriteConstraints.builder()
                                .maxNestingDepth(5000).build())
                        .build())
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_JAVA_COMMENTS)
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_TRAILING_COMMA)
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
        ConfigStore store = newStore(ConfigOptions.builder().objectMapper(lax).maxValueBytes(64).build());

        assertThatThrownBy(() -> store.putJson("l.k", "/* a comment */ [1,]")).as("putJson parses strictly")
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> store.put("l.k", Double.NaN)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("is not a JSON number");
        assertThatThrownBy(() -> store.put("l.k", "a\u0000b")).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("U+0000");
        assertThatThrownBy(() -> store.put("l.k", new BigDecimal("1e-20000"))).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("numeric's range");
        assertThatThrownBy(() -> store.put("l.k", "x".repeat(100))).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("over the limit of 64 bytes");
        Object deep = "leaf";
        for (int i = 0; i < 1001; i++) {
            deep = List.of(deep);
        }
        Object tooDeep = deep;
        assertThatThrownBy(() -> store.put("l.k", tooDeep)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("deeper than 1000 levels");
        assertThat(store.entry("l.k")).as("nothing written").isEmpty();

        store.put("l.order", new Limits(1, "m"));
        store.put("l.float", 0.1f);
        assertThat(store.get("l.order").orElseThrow().fieldNames()).toIterable().as("jsonb's member order")
                .containsExactly("max", "mode");
        store.put("l.order", Map.of("zz", 1, "a", 2, "mmm", 3));
        assertThat(store.get("l.order").orElseThrow().fieldNames()).toIterable().containsExactly("a", "zz", "mmm");
        assertThat(store.get("l.float")).as("a float is stored as the decimal it prints as")
                .contains(NODES.numberNode(new BigDecimal("0.1")));
    }

    @Test
    void aValueTheDefaultMapperCannotMapNamesTheKeyAndWritesNothing() {
        ConfigStore store = newStore();
        Object noProperties = new Object();

        assertThatThrownBy(() -> store.put("m.thing", noProperties)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("config key \"m.thing\": a java.lang.Object cannot be mapped to JSON: ");
        assertThatThrownBy(() -> store.putSecret("m.thing", noProperties)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("config key \"m.thing\": a java.lang.Object cannot be mapped to JSON as a secret:");
        assertThat(store.entry("m.thing")).isEmpty();
    }
}
