package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.json.JsonValues;
import io.pgdock.core.Storage;
import io.pgdock.core.StorageOptions;
import io.pgdock.testing.PgdockExtension;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Values and listings read back from PostgreSQL exactly as the in-memory store gives them: same trees
 * ({@code equals}), same JSON text (so the same object key order and the same decimals), on values chosen to trip
 * up jsonb's rules.
 */
class PostgresConfigValuesTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    private static Storage storage;
    private static ConfigStore pg;
    private static ConfigStore memory;

    @BeforeAll
    static void open() {
        storage = Storage.open(PG.spec().toBuilder().schema("cfg").build(),
                StorageOptions.builder().createSchema(true).build());
        pg = ConfigStore.postgres(storage);
        memory = ConfigStore.inMemory();
    }

    @AfterAll
    static void close() {
        storage.close();
    }

    private static final List<String> JSON_TEXTS = List.of(
            "1.50", "1e2", "1.0e2", "1E+2", "-0", "-0.0", "0.000e-3", "1E-7", "1.0E-7", "-1.5e-10", "2147483647", "2147483648", "-2147483648", "-2147483649", "-9223372036854775808",
            "9223372036854775808", "123456789012345678901234567890", "-123456789012345678901234567890.000",
            "1e40", "[1.50, 1e2, -0, 1E-7, 3000000000]",
            "{\"bb\": 1, \"a\": {\"ccc\": [1, {\"zz\": null, \"y\": true}], \"dd\": 2.50}, \"é\": 3, \"z\": 4, \"\": 0}",
            "{\"日本\": 1, \"ü\": 2, \"\\ud83d\\ude00\": 3, \"ab\": 4, \"Z\": 5, \"é\": 6, \"e\": 7}",
            "{\"a\": 1, \"a\": 2, \"b\": {\"x\": 1, \"x\": [2]}}",
            "\"line\\nbreak \\u2028 tab\\t quote\\\" \\u007f \\ud83d\\ude00\"",
            "[]", "{}", "null", "true", "\"\"");

    private static List<Object> javaValues() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("longer_key", Map.of("k", 1, "kk", List.of(1.5f, 2.25d)));
        nested.put("k", new BigDecimal("1.50"));
        nested.put("ключ", -0.0d);
        nested.put("a", 5L);
        List<Object> values = new ArrayList<>();
        values.add(5L);
        values.add((short) 3);
        values.add(BigInteger.valueOf(5));
        values.add(new BigDecimal("1E+2"));
        values.add(new BigDecimal("100"));
        values.add(1.5f);
        values.add(100.0d);
        values.add(1e20d);
        values.add(-0.0d);
        values.add(0.1d);
        values.add(Long.MIN_VALUE);
        values.add(new BigInteger("-9223372036854775809"));
        values.add(nested);
        values.add(new byte[] {1, 2, 3});
        values.add("text 😀 ü");
        values.add(null);
        return values;
    }

    @Test
    void jsonTextReadsBackAsTheInMemoryStoreGivesIt() throws Exception {
        for (int i = 0; i < JSON_TEXTS.size(); i++) {
            String key = "json." + i;
            String text = JSON_TEXTS.get(i);
            ConfigEntry written = pg.putJson(key, text);
            memory.putJson(key, text);
            assertSame(key + " " + text, written.value(), pg.get(key).orElseThrow(), memory.get(key).orElseThrow());
            assertSameAsJsonb(key, text);
        }
    }

    @Test
    void javaValuesReadBackAsTheInMemoryStoreGivesThem() {
        List<Object> values = javaValues();
        for (int i = 0; i < values.size(); i++) {
            String key = "java." + i;
            ConfigEntry written = pg.put(key, values.get(i));
            memory.put(key, values.get(i));
            assertSame(key + " " + values.get(i), written.value(), pg.get(key).orElseThrow(),
                    memory.get(key).orElseThrow());
        }
    }

    private static void assertSame(String what, JsonNode written, JsonNode fromPostgres, JsonNode fromMemory) {
        assertThat(fromPostgres).as(what).isEqualTo(fromMemory);
        assertThat(written).as(what + " (as put returned it)").isEqualTo(fromPostgres);
        // equals() does not see the order of object keys or a decimal's trailing zeros; the text does.
        assertThat(JsonValues.text(fromPostgres)).as(what).isEqualTo(JsonValues.text(fromMemory));
        assertThat(JsonValues.text(written)).as(what).isEqualTo(JsonValues.text(fromPostgres));
    }

    /** What jsonb itself makes of the text, parsed by Jackson, equals the store's value. */
    private static void assertSameAsJsonb(String key, String text) throws Exception {
        try (Connection c = storage.dataSource().getConnection();
                PreparedStatement s = c.prepareStatement("select ?::jsonb::text")) {
            s.setString(1, text);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                JsonNode jsonb = JsonValues.INTERNAL.readTree(rs.getString(1));
                assertThat(JsonValues.text(jsonb)).as(text).isEqualTo(JsonValues.text(memory.get(key).orElseThrow()));
            }
        }
    }

    @Test
    void bigDecimalWithFortyDigitsReadsBackEqual() {
        BigDecimal forty = new BigDecimal("123456789012345678901234567890.1234567890");
        assertThat(forty.precision()).isEqualTo(40);
        pg.put("decimal.forty", forty);
        memory.put("decimal.forty", forty);   // every test writes both stores alike, for the listing test
        assertThat(pg.get("decimal.forty", BigDecimal.class)).contains(forty);
        assertThat(pg.get("decimal.forty").orElseThrow().decimalValue()).isEqualTo(forty);
    }

    @Test
    void numbersBeyondJacksonsDefaultLengthReadBack() {
        // Jackson's parser refuses numbers over 1000 characters by default; jsonb stores up to numeric's limits.
        BigDecimal long1 = new BigDecimal(new BigInteger("7".repeat(3000)), 2000);
        pg.put("decimal.long", long1);
        memory.put("decimal.long", long1);
        assertThat(pg.get("decimal.long", BigDecimal.class)).contains(long1);
        assertSame("3000 digits", pg.get("decimal.long").orElseThrow(), pg.get("decimal.long").orElseThrow(),
                memory.get("decimal.long").orElseThrow());
    }

    @Test
    void listGivesTheInMemoryStoresEntriesPageByPage() {
        // Keys chosen for LIKE wildcards, case, and characters around '.' and '/' in byte order.
        List<String> keys = List.of("lst.a", "lst.a_b", "lst.axb", "lst.A", "lst.a.1", "lst.a/1",
                "lst.a:1", "lst.a-1", "lst.b", "lst.z", "lst.Z", "lst.0", "lst_x", "lst/x", "lss", "ls");
        String[] scopes = {"", "prod", "prod/x", "other"};
        int n = 0;
        for (String key : keys) {
            for (int s = 0; s < scopes.length; s++) {
                if ((key.hashCode() + s) % 3 == 0 || (s == 0 && key.length() % 2 == 0)) {
                    Object value = Map.of("n", n++, "scope", scopes[s]);
                    pg.inScope(scopes[s]).put(key, value);
                    memory.inScope(scopes[s]).put(key, value);
                }
            }
        }
        for (String scope : scopes) {
            for (String prefix : List.of("", "l", "lst", "lst.", "lst.a", "lst.a_", "lst.a.", "lst.A", "lst_", "lst/",
                    "none")) {
                ConfigStore p = pg.inScope(scope);
                ConfigStore m = memory.inScope(scope);
                assertThat(described(p.list(prefix))).as("scope %s prefix %s", scope, prefix)
                        .isEqualTo(described(m.list(prefix)));
                for (int limit : new int[] {1, 2, 5}) {
                    String after = null;
                    do {
                        ConfigPage pgPage = p.list(prefix, after, limit);
                        ConfigPage memoryPage = m.list(prefix, after, limit);
                        assertThat(described(pgPage.entries())).as("scope %s prefix %s after %s", scope, prefix, after)
                                .isEqualTo(described(memoryPage.entries()));
                        assertThat(pgPage.nextAfter()).isEqualTo(memoryPage.nextAfter());
                        after = pgPage.nextAfter();
                    } while (after != null);
                }
            }
        }
        assertThat(pg.inScope("prod/x").list("lst.a_")).extracting(ConfigEntry::key).containsExactly("lst.a_b");
    }

    /** An entry without its time, which differs between the stores. */
    private static List<String> described(List<ConfigEntry> entries) {
        List<String> out = new ArrayList<>();
        for (ConfigEntry e : entries) {
            out.add(e.scope() + "|" + e.key() + "|" + JsonValues.text(e.value()) + "|" + e.version());
        }
        return out;
    }
}
