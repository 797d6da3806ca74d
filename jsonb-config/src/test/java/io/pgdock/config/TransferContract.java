package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ConfigStoreFixture.TestKeys;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of export and import: {@link ConfigTransfer}. Exports in key order with secrets kept
 * encrypted or left out, imports into another store or scope, conflict modes, dry runs, and documents that are
 * refused.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Transfer}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class TransferContract extends ConfigStoreTester {
    private static final String SECRET = "{\"$pgdock_secret\":{\"v\":1,\"kid\":\"k1\",\"alg\":\"A256GCM\","
            + "\"dek\":\"ZGVrLWNpcGhlcnRleHQ=\",\"iv\":\"aXY=\",\"ct\":\"c2VjcmV0LWNpcGhlcnRleHQ=\"}}";

    @Test
    void exportWritesTheEntriesOfTheScopeItselfInKeyOrder() throws Exception {
        ConfigStore store = newStore();
        store.put("ingest.a", 1);
        store.put("ingest.b", 2);
        ConfigStore prod = store.inScope("prod");
        ConfigEntry b = prod.as("ops").put("ingest.b", 3);
        prod.put("ingest.c", Map.of("x", List.of(1, 2)));
        prod.put("egress.d", "d");

        JsonNode doc = prod.transfer().export("ingest.");

        assertThat(doc.get("format").asText()).isEqualTo("pgdock-config");
        assertThat(doc.get("version").intValue()).isEqualTo(1);
        assertThat(doc.get("scope").asText()).isEqualTo("prod");
        assertThat(doc.get("prefix").asText()).isEqualTo("ingest.");
        assertThat(Instant.parse(doc.get("exportedAt").asText())).isNotNull();
        assertThat(doc.get("entries")).extracting(e -> e.get("key").asText())
                .as("the scope's own entries: ingest.a is inherited from the root, egress.d has another prefix")
                .containsExactly("ingest.b", "ingest.c");
        JsonNode first = doc.get("entries").get(0);
        assertThat(first.get("value")).isEqualTo(NODES.numberNode(3));
        assertThat(first.get("version").longValue()).isEqualTo(b.version());
        assertThat(Instant.parse(first.get("updatedAt").asText())).isEqualTo(b.updatedAt());
        assertThat(first.get("updatedBy").asText()).isEqualTo("ops");
        assertThat(store.transfer().export(ExportOptions.defaults()).get("entries")).extracting(e -> e.get("key").asText())
                .containsExactly("ingest.a", "ingest.b");

        java.io.StringWriter text = new java.io.StringWriter();
        prod.transfer().export(ExportOptions.builder().prefix("ingest.").build(), text);
        assertThat(JSON.readTree(text.toString()).get("entries")).isEqualTo(JSON.readTree(JSON.writeValueAsString(
                doc.get("entries"))));
    }

    @Test
    void exportKeepsSecretsEncryptedOrLeavesThemOut() {
        ConfigStore store = newStore();
        store.putJson("db.password", SECRET);
        store.putJson("db.settings", "{\"user\":\"app\",\"password\":" + SECRET + "}");
        store.put("db.url", "postgres://db");

        JsonNode all = store.transfer().export("db.");
        JsonNode without = store.transfer().export(ExportOptions.builder().prefix("db.").leaveOutSecrets().build());

        assertThat(all.get("entries").get(0).get("value")).as("the envelope as stored").isEqualTo(parse(SECRET));
        assertThat(all.has("secretsLeftOut")).isFalse();
        assertThat(without.get("entries")).extracting(e -> e.get("key").asText()).containsExactly("db.url");
        assertThat(without.get("secretsLeftOut")).extracting(JsonNode::asText)
                .containsExactly("db.password", "db.settings");
    }

    @Test
    void aSecretImportedIntoAnotherScopeNeedsTheKeysToBeResealed() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore source = newStore(keys);
        source.putSecret("ingest.token", "t0ken-value");
        JsonNode document = source.transfer().export("");

        assertThatThrownBy(() -> newStore().inScope("staging").transfer().importFrom(document, ImportOptions.defaults()))
                .hasMessageContaining("ingest.token").hasMessageContaining("KeyProvider")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("t0ken-value"));
        ConfigStore sameScope = newStore(keys);
        sameScope.transfer().importFrom(document, ImportOptions.defaults());
        assertThat(sameScope.get("ingest.token", String.class)).contains("t0ken-value");
    }

    @Test
    void anExportImportsIntoAnotherStoreAsNewVersions() throws Exception {
        TestKeys keys = new TestKeys("k1");
        ConfigStore source = newStore(keys);
        source.put("ingest.a", Map.of("max", 5, "ratio", new BigDecimal("1.50")));
        source.put("ingest.a", Map.of("max", 6, "ratio", new BigDecimal("1.50")));
        source.putSecret("ingest.b", "s3cret-to-move");
        source.put("ingest.c", null);
        java.io.StringWriter text = new java.io.StringWriter();
        source.transfer().export(ExportOptions.defaults(), text);
        assertThat(text.toString()).doesNotContain("s3cret-to-move");
        // Another scope: the secret, bound to the root scope, is re-sealed for "staging" on the way in.
        ConfigStore target = newStore(keys).inScope("staging");

        ImportResult result = target.as("restorer").transfer().importFrom(new java.io.StringReader(text.toString()),
                ImportOptions.defaults());

        assertThat(result.dryRun()).isFalse();
        assertThat(result.items()).extracting(ImportResult.Item::key, ImportResult.Item::action, ImportResult.Item::version)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("ingest.a", ImportResult.Action.ADDED, 1L),
                        org.assertj.core.groups.Tuple.tuple("ingest.b", ImportResult.Action.ADDED, 1L),
                        org.assertj.core.groups.Tuple.tuple("ingest.c", ImportResult.Action.ADDED, 1L));
        for (ConfigEntry e : source.list("")) {
            ConfigEntry copy = target.entry(e.key()).orElseThrow();
            assertThat(copy.value()).as("value of %s", e.key()).isEqualTo(e.value());
            assertThat(copy.scope()).isEqualTo("staging");
            assertThat(copy.version()).isEqualTo(1);
            assertThat(copy.updatedBy()).isEqualTo("restorer");
            assertThat(target.history(e.key())).singleElement()
                    .satisfies(c -> assertThat(c.reason()).isEqualTo("import"));
        }
        assertThat(target.because("restore").transfer().importFrom(source.transfer().export(""), ImportOptions.defaults()).items())
                .as("importing the same again changes nothing")
                .extracting(ImportResult.Item::action).containsOnly(ImportResult.Action.UNCHANGED);
        assertThat(target.entry("ingest.a").orElseThrow().version()).isEqualTo(1);
    }

    /** The target of the conflict-mode tests: one key of each kind. */
    private static ConfigStore conflictTarget(ConfigStore store) {
        store.putJson("k.merge", "{\"a\":1,\"b\":2}");
        store.put("k.same", "same");
        store.put("k.other", "old");
        return store;
    }

    private static JsonNode conflictDocument() {
        return parse("{\"format\":\"pgdock-config\",\"version\":1,\"scope\":\"\",\"entries\":["
                + "{\"key\":\"k.other\",\"value\":\"new\"},"
                + "{\"key\":\"k.merge\",\"value\":{\"b\":null,\"c\":3}},"
                + "{\"key\":\"k.same\",\"value\":\"same\"},"
                + "{\"key\":\"k.added\",\"value\":{\"n\":null}}]}");
    }

    private static ImportOptions mode(ImportOptions.ConflictMode mode) {
        return ImportOptions.builder().onConflict(mode).build();
    }

    @Test
    void conflictModeFailImportsNothingAndNamesTheKeys() {
        ConfigStore store = conflictTarget(newStore());

        ConfigImportConflictException e = catchThrowableOfType(ConfigImportConflictException.class,
                () -> store.transfer().importFrom(conflictDocument(), ImportOptions.defaults()));

        assertThat(e.keys()).containsExactly("k.merge", "k.other");
        assertThat(e).hasMessageContaining("\"k.merge\", \"k.other\"").hasMessageContaining("nothing was imported")
                .hasMessageNotContaining("old").hasMessageNotContaining("new");
        assertThat(store.entry("k.added")).as("not even the key without conflict").isEmpty();
        assertUnchanged(store, "k.other", 1, "\"old\"");
        assertUnchanged(store, "k.merge", 1, "{\"a\":1,\"b\":2}");
    }

    @Test
    void conflictModesSkipOverwriteAndMerge() {
        ConfigStore skip = conflictTarget(newStore());
        ConfigStore overwrite = conflictTarget(newStore());
        ConfigStore merge = conflictTarget(newStore());

        ImportResult skipped = skip.transfer().importFrom(conflictDocument(), mode(ImportOptions.ConflictMode.SKIP));
        ImportResult overwritten = overwrite.transfer().importFrom(conflictDocument(), mode(ImportOptions.ConflictMode.OVERWRITE));
        ImportResult merged = merge.transfer().importFrom(conflictDocument(), mode(ImportOptions.ConflictMode.MERGE));

        assertThat(skipped.items()).extracting(ImportResult.Item::action).containsExactly(ImportResult.Action.ADDED,
                ImportResult.Action.SKIPPED, ImportResult.Action.SKIPPED, ImportResult.Action.UNCHANGED);
        assertUnchanged(skip, "k.merge", 1, "{\"a\":1,\"b\":2}");
        assertUnchanged(skip, "k.other", 1, "\"old\"");
        assertUnchanged(skip, "k.added", 1, "{\"n\":null}");

        assertThat(overwritten.items()).extracting(ImportResult.Item::action).containsExactly(
                ImportResult.Action.ADDED, ImportResult.Action.CHANGED, ImportResult.Action.CHANGED,
                ImportResult.Action.UNCHANGED);
        assertUnchanged(overwrite, "k.merge", 2, "{\"b\":null,\"c\":3}");
        assertUnchanged(overwrite, "k.other", 2, "\"new\"");
        assertUnchanged(overwrite, "k.same", 1, "\"same\"");

        assertThat(merged.items()).extracting(ImportResult.Item::action).containsExactly(ImportResult.Action.ADDED,
                ImportResult.Action.CHANGED, ImportResult.Action.CHANGED, ImportResult.Action.UNCHANGED);
        assertUnchanged(merge, "k.merge", 2, "{\"a\":1,\"c\":3}");
        assertUnchanged(merge, "k.other", 2, "\"new\"");
        assertUnchanged(merge, "k.added", 1, "{\"n\":null}");
        assertThat(merged.items().get(1).version()).isEqualTo(2);
        assertThat(merge.transfer().importFrom(conflictDocument(), mode(ImportOptions.ConflictMode.MERGE)).items())
                .as("merging the same document again: as a merge patch, {\"n\":null} removes n from k.added")
                .extracting(ImportResult.Item::action).containsExactly(ImportResult.Action.CHANGED,
                        ImportResult.Action.UNCHANGED, ImportResult.Action.UNCHANGED, ImportResult.Action.UNCHANGED);
        assertUnchanged(merge, "k.added", 2, "{}");
    }

    @Test
    void theProgressIsToldOfEachWriteAndWhatItThrowsImportsNothing() {
        ConfigStore store = conflictTarget(newStore());
        List<String> calls = new java.util.ArrayList<>();
        ImportResult r = store.transfer().importFrom(conflictDocument(), ImportOptions.builder()
                .onConflict(ImportOptions.ConflictMode.OVERWRITE)
                .progress((written, total) -> calls.add(written + "/" + total)).build());

        assertThat(calls).as("0 once planned, then one call per write: k.added, k.merge and k.other (k.same is unchanged)")
                .containsExactly("0/3", "1/3", "2/3", "3/3");
        assertThat(r.keys(ImportResult.Action.CHANGED)).containsExactly("k.merge", "k.other");
        assertThat(r.keys(ImportResult.Action.UNCHANGED)).containsExactly("k.same");
        assertThat(r.keys(ImportResult.Action.CONFLICT)).isEmpty();

        calls.clear();
        ImportResult dry = conflictTarget(newStore()).transfer().importFrom(conflictDocument(), ImportOptions.builder()
                .dryRun().progress((written, total) -> calls.add(written + "/" + total)).build());
        assertThat(calls).as("a dry run writes nothing").containsExactly("0/0");
        assertThat(dry.keys(ImportResult.Action.CONFLICT)).containsExactly("k.merge", "k.other");

        ConfigStore aborted = conflictTarget(newStore());
        assertThatThrownBy(() -> aborted.transfer().importFrom(conflictDocument(), ImportOptions.builder()
                .onConflict(ImportOptions.ConflictMode.OVERWRITE).progress((written, total) -> {
                    if (written == 2) {
                        throw new IllegalStateException("stopped by the progress listener at 2 of " + total);
                    }
                }).build())).isInstanceOf(IllegalStateException.class).hasMessageContaining("at 2 of 3");
        assertThat(aborted.entry("k.added")).as("the first write is rolled back too").isEmpty();
        assertUnchanged(aborted, "k.merge", 1, "{\"a\":1,\"b\":2}");
        assertThat(aborted.history("k.merge")).as("no history row of the aborted write").hasSize(1);
    }

    @Test
    void aDryRunPrintsTheDiffWithSecretsRedactedAndWritesNothing() {
        ConfigStore store = conflictTarget(newStore());
        store.putJson("k.secret", SECRET);
        ObjectNode doc = (ObjectNode) conflictDocument();
        ((ArrayNode) doc.get("entries")).add(parse("{\"key\":\"k.secret\",\"value\":"
                + SECRET.replace("c2VjcmV0LWNpcGhlcnRleHQ=", "b3RoZXItY2lwaGVydGV4dA==") + "}"));

        ImportResult fail = store.transfer().importFrom(doc, ImportOptions.builder().dryRun().build());
        ImportResult merge = store.transfer().importFrom(doc, ImportOptions.builder()
                .onConflict(ImportOptions.ConflictMode.MERGE).dryRun().build());

        assertThat(fail.dryRun()).isTrue();
        assertThat(fail.diff()).isEqualTo(""
                + "added     \"k.added\" = {\"n\":null}\n"
                + "conflict  \"k.merge\": is {\"a\":1,\"b\":2}, the document has {\"b\":null,\"c\":3}\n"
                + "conflict  \"k.other\": is \"old\", the document has \"new\"\n"
                + "unchanged \"k.same\" = \"same\"\n"
                + "conflict  \"k.secret\": is \"***\", the document has \"***\"\n");
        assertThat(merge.diff()).isEqualTo(""
                + "added     \"k.added\" = {\"n\":null}\n"
                + "changed   \"k.merge\": {\"a\":1,\"b\":2} -> {\"a\":1,\"c\":3}\n"
                + "changed   \"k.other\": \"old\" -> \"new\"\n"
                + "unchanged \"k.same\" = \"same\"\n"
                + "changed   \"k.secret\": \"***\" -> \"***\"\n");
        assertThat(merge.toString()).isEqualTo(
                "ImportResult[scope=\"\", dryRun=true, added=1, changed=3, unchanged=1, skipped=0, conflicts=0]");
        assertThat(merge.items()).allSatisfy(i -> assertThat(i.toString()).doesNotContain("old", "Y2lwaGVy"));
        assertThat(store.entry("k.added")).isEmpty();
        assertUnchanged(store, "k.merge", 1, "{\"a\":1,\"b\":2}");
        assertThat(store.history("k.other")).hasSize(1);
    }

    @Test
    void anInvalidDocumentIsRefusedNamingEveryBadEntryAndNothingIsImported() {
        ConfigStore store = newStore(ConfigOptions.builder().maxValueBytes(32)
                .schema("typed.", "{\"type\": \"integer\"}").build());
        JsonNode doc = parse("{\"format\":\"pgdock-config\",\"version\":1,\"scope\":\"\",\"entries\":["
                + "{\"key\":\"ok.first\",\"value\":1},"
                + "{\"key\":\"bad key\",\"value\":1},"
                + "{\"key\":\"too.big\",\"value\":\"" + "x".repeat(40) + "\"},"
                + "{\"key\":\"typed.n\",\"value\":\"seven\"},"
                + "{\"key\":\"ok.first\",\"value\":2},"
                + "{\"key\":\"no.value\"},"
                + "{\"key\":\"extra\",\"value\":1,\"description\":\"d\"},"
                + "{\"key\":\"when\",\"value\":1,\"updatedAt\":\"yesterday\"},"
                + "[1]]}");

        assertThatThrownBy(() -> store.transfer().importFrom(doc, ImportOptions.defaults()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("nothing was imported: 8 problems")
                .hasMessageContaining("entry 1: config key \"bad key\"")
                .hasMessageContaining("entry 2 (key \"too.big\"): config key \"too.big\": the value is 42 bytes")
                .hasMessageContaining("entry 3 (key \"typed.n\"): config key \"typed.n\": value does not match")
                .hasMessageContaining("entry 4 (key \"ok.first\"): the key is also entry 0")
                .hasMessageContaining("entry 5 (key \"no.value\") has no \"value\"")
                .hasMessageContaining("entry 6 (key \"extra\") has an unknown member \"description\"")
                .hasMessageContaining("entry 7 (key \"when\"): \"updatedAt\" must be an ISO-8601 instant")
                .hasMessageContaining("entry 8 is a JSON ARRAY")
                .hasMessageNotContaining("xxxx")
                .hasMessageNotContaining("seven");
        assertThat(store.list("")).as("not even the valid entry").isEmpty();
        assertThatThrownBy(() -> store.transfer().importFrom(parse("{\"format\":\"pgdock-config\",\"version\":2,\"entries\":[]}"),
                ImportOptions.defaults()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"version\" is 2; this pgdock reads version 1");
        assertThatThrownBy(() -> store.transfer().importFrom(parse("{\"format\":\"other\"}"), ImportOptions.defaults()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("\"format\" must be \"pgdock-config\", but is \"other\"");
        assertThatThrownBy(() -> store.transfer().importFrom(new java.io.StringReader("{\"format\": \"pgdock-config\",}"),
                ImportOptions.defaults()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("not valid JSON at line 1, column ");
    }

    @Test
    void aMergedValueThatIsRefusedStopsTheWholeImport() {
        ConfigStore store = newStore(ConfigOptions.builder()
                .schema("ingest.", "{\"type\": \"object\", \"required\": [\"max\"]}").build());
        store.put("ingest.limits", Map.of("max", 5));
        JsonNode doc = parse("{\"format\":\"pgdock-config\",\"version\":1,\"entries\":["
                + "{\"key\":\"ingest.added\",\"value\":{\"max\":1}},"
                + "{\"key\":\"ingest.limits\",\"value\":{\"max\":null}}]}");

        assertThatThrownBy(() -> store.transfer().importFrom(doc, mode(ImportOptions.ConflictMode.MERGE)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("entry 1 (key \"ingest.limits\"): config key \"ingest.limits\": value does not "
                        + "match the JSON Schema");
        assertThat(store.entry("ingest.added")).isEmpty();
        assertUnchanged(store, "ingest.limits", 1, "{\"max\":5}");
    }
}
