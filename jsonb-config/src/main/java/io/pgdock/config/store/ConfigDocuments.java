package io.pgdock.config.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ExportOptions;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.config.json.JsonPatches;
import io.pgdock.config.json.JsonValues;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The export document ({@code "format": "pgdock-config", "version": 1}): writing it, reading it and checking its
 * structure strictly (unknown members are refused, as {@code putJson} refuses invalid JSON). Values are checked by the
 * store, as {@code put} checks them. Not API; stateless and thread-safe.
 */
public final class ConfigDocuments {
    public static final String FORMAT = "pgdock-config";
    public static final int VERSION = 1;

    /** The most problems one refusal lists; the message says how many more there were. */
    private static final int MAX_LISTED = 50;

    private static final Set<String> DOCUMENT_MEMBERS =
            Set.of("format", "version", "scope", "prefix", "exportedAt", "entries", "secretsLeftOut");
    private static final Set<String> ENTRY_MEMBERS = Set.of("key", "value", "version", "updatedAt", "updatedBy");

    /**
     * {@link JsonValues#INTERNAL}'s configuration, with room for the document around values that nest
     * {@link JsonValues#MAX_DEPTH} levels (a value sits three levels down: document, entries, entry), for reading and
     * writing. Numbers and strings have the same limits as values.
     */
    public static final ObjectMapper DOCUMENT = JsonValues.configured(JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNumberLength(1 + 131_072 + 1 + 16_383 + 12)
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxNestingDepth(JsonValues.MAX_DEPTH + 8)
                    .build())
            .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(JsonValues.MAX_DEPTH + 8).build())
            .build())).build();

    private ConfigDocuments() {
    }

    /** One entry of a document being imported: its position, key and raw value. */
    public record Incoming(int index, String key, JsonNode value) {
        String label() {
            return "entry " + index + " (key " + ConfigKeys.show(key) + ")";
        }
    }

    /** The export document of {@code entries}, taken from {@code scope}. */
    public static ObjectNode document(String scope, ExportOptions options, Instant now, List<ConfigEntry> entries) {
        ObjectNode doc = JsonValues.NODES.objectNode();
        doc.put("format", FORMAT);
        doc.put("version", VERSION);
        doc.put("scope", scope);
        doc.put("prefix", options.prefix());
        doc.put("exportedAt", now.toString());
        ArrayNode out = doc.putArray("entries");
        List<String> leftOut = new ArrayList<>();
        for (ConfigEntry e : entries) {
            if (options.leaveOutSecrets() && JsonPatches.holdsSecret(e.value())) {
                leftOut.add(e.key());
                continue;
            }
            ObjectNode entry = out.addObject();
            entry.put("key", e.key());
            entry.set("value", e.value());
            entry.put("version", e.version());
            entry.put("updatedAt", e.updatedAt().toString());
            entry.put("updatedBy", e.updatedBy());
        }
        if (options.leaveOutSecrets()) {
            ArrayNode keys = doc.putArray("secretsLeftOut");
            leftOut.forEach(keys::add);
        }
        return doc;
    }

    /** Writes a document as indented JSON; flushes, does not close. */
    public static void write(JsonNode document, Writer out) throws IOException {
        DOCUMENT.writerWithDefaultPrettyPrinter().without(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                .writeValue(out, document);
        out.flush();
    }

    /** Reads a document strictly; does not close {@code in}. */
    public static JsonNode read(String scope, Reader in) throws IOException {
        try {
            JsonNode doc = DOCUMENT.reader().without(JsonParser.Feature.AUTO_CLOSE_SOURCE).readTree(in);
            if (doc == null || doc.isMissingNode()) {
                throw refused(scope, List.of("the document is empty"));
            }
            return doc;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            // As putJson: Jackson's message may quote a secret's text; keep its gist and leave it out of the chain.
            throw refused(scope, List.of("the document is not valid JSON" + where + ": "
                    + JsonValues.withoutQuotedText(e.getOriginalMessage())));
        }
    }

    /**
     * The entries of a document, after checking its structure; problems are added to {@code problems}, naming the
     * entry, and entries with problems are left out of the result.
     */
    public static List<Incoming> entries(JsonNode doc, List<String> problems) {
        List<Incoming> found = new ArrayList<>();
        if (!doc.isObject()) {
            problems.add("the document is a JSON " + doc.getNodeType() + ", not an object");
            return found;
        }
        for (String name : names(doc)) {
            if (!DOCUMENT_MEMBERS.contains(name)) {
                problems.add("the document has an unknown member " + ConfigKeys.show(name) + "; known are "
                        + String.join(", ", new java.util.TreeSet<>(DOCUMENT_MEMBERS)));
            }
        }
        JsonNode format = doc.get("format");
        if (format == null || !format.isTextual() || !format.textValue().equals(FORMAT)) {
            problems.add("the document's \"format\" must be \"" + FORMAT + "\", but is " + shown(format));
            return found;   // not our document: its other members mean nothing
        }
        JsonNode version = doc.get("version");
        if (version == null || !version.isIntegralNumber() || version.bigIntegerValue().intValue() != VERSION
                || version.bigIntegerValue().bitLength() > 31) {
            problems.add("the document's \"version\" is " + shown(version) + "; this pgdock reads version " + VERSION);
            return found;
        }
        JsonNode scope = doc.get("scope");
        if (scope != null) {
            try {
                ConfigKeys.checkScope(scope.isTextual() ? scope.textValue() : null);
            } catch (NullPointerException | InvalidConfigException e) {
                problems.add("the document's \"scope\" must be a scope, but is " + shown(scope));
            }
        }
        JsonNode prefix = doc.get("prefix");
        if (prefix != null) {
            try {
                ConfigKeys.checkPrefix(prefix.isTextual() ? prefix.textValue() : null);
            } catch (NullPointerException | InvalidConfigException e) {
                problems.add("the document's \"prefix\" must be a key prefix, but is " + shown(prefix));
            }
        }
        checkInstant(doc.get("exportedAt"), "the document's \"exportedAt\"", problems);
        JsonNode leftOut = doc.get("secretsLeftOut");
        if (leftOut != null && (!leftOut.isArray() || !allText(leftOut))) {
            problems.add("the document's \"secretsLeftOut\" must be an array of keys, but is " + shown(leftOut));
        }
        JsonNode entries = doc.get("entries");
        if (entries == null || !entries.isArray()) {
            problems.add("the document's \"entries\" must be an array, but is " + shown(entries));
            return found;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            JsonNode entry = entries.get(i);
            if (!entry.isObject()) {
                problems.add("entry " + i + " is a JSON " + entry.getNodeType() + ", not an object");
                continue;
            }
            JsonNode key = entry.get("key");
            if (key == null || !key.isTextual()) {
                problems.add("entry " + i + " has no \"key\" text, but " + shown(key));
                continue;
            }
            String label = "entry " + i + " (key " + ConfigKeys.show(key.textValue()) + ")";
            int before = problems.size();
            try {
                ConfigKeys.checkKey(key.textValue());
            } catch (InvalidConfigException e) {
                problems.add("entry " + i + ": " + e.getMessage());
            }
            for (String name : names(entry)) {
                if (!ENTRY_MEMBERS.contains(name)) {
                    problems.add(label + " has an unknown member " + ConfigKeys.show(name) + "; known are "
                            + String.join(", ", new java.util.TreeSet<>(ENTRY_MEMBERS)));
                }
            }
            if (!entry.has("value")) {
                problems.add(label + " has no \"value\"");
            }
            JsonNode v = entry.get("version");
            if (v != null && (!v.isIntegralNumber() || v.bigIntegerValue().signum() <= 0)) {
                problems.add(label + ": \"version\" must be a positive integer, but is " + shown(v));
            }
            checkInstant(entry.get("updatedAt"), label + ": \"updatedAt\"", problems);
            JsonNode by = entry.get("updatedBy");
            if (by != null && !by.isTextual()) {
                problems.add(label + ": \"updatedBy\" must be text, but is " + shown(by));
            }
            Integer earlier = seen.putIfAbsent(key.textValue(), i);
            if (earlier != null) {
                problems.add(label + ": the key is also entry " + earlier);
            }
            if (problems.size() == before) {
                found.add(new Incoming(i, key.textValue(), entry.get("value")));
            }
        }
        return found;
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.properties().forEach(m -> names.add(m.getKey()));
        return names;
    }

    private static void checkInstant(JsonNode node, String what, List<String> problems) {
        if (node == null) {
            return;
        }
        try {
            Instant.parse(node.isTextual() ? node.textValue() : "");
        } catch (DateTimeParseException e) {
            problems.add(what + " must be an ISO-8601 instant such as \"2026-01-02T03:04:05Z\", but is " + shown(node));
        }
    }

    private static boolean allText(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isTextual()) {
                return false;
            }
        }
        return true;
    }

    /** A document part in a message: its type, and the text if it is short text or a number (never a value). */
    private static String shown(JsonNode node) {
        if (node == null) {
            return "missing";
        }
        if (node.isTextual()) {
            return ConfigKeys.show(node.textValue());
        }
        if (node.isNumber() || node.isBoolean() || node.isNull()) {
            String text = node.asText();
            return text.length() > 40 ? "a number of " + text.length() + " characters" : text;
        }
        return "a JSON " + node.getNodeType();
    }

    /** The refusal of a whole import: every problem, one per line. */
    public static InvalidConfigException refused(String scope, List<String> problems) {
        StringBuilder out = new StringBuilder("import into ")
                .append(scope.isEmpty() ? "the root scope" : "scope " + ConfigKeys.show(scope))
                .append(" refused, nothing was imported: ");
        if (problems.size() == 1) {
            out.append(problems.get(0));
        } else {
            out.append(problems.size()).append(" problems:");
            for (int i = 0; i < problems.size() && i < MAX_LISTED; i++) {
                out.append("\n  ").append(problems.get(i));
            }
            if (problems.size() > MAX_LISTED) {
                out.append("\n  and ").append(problems.size() - MAX_LISTED).append(" more");
            }
        }
        return new InvalidConfigException(null, out.toString(), null);
    }
}
