package io.pgdock.config.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.pgdock.config.ConfigOptions;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.config.Secret;
import io.pgdock.config.secret.SecretDeserializer;
import io.pgdock.config.secret.SecretSerializer;
import io.pgdock.config.store.ConfigKeys;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * JSON handling shared by both stores: one strict mapper, and normalisation of every value to exactly what PostgreSQL's
 * {@code jsonb} stores, so the in-memory store gives back what the PostgreSQL store would, and a value PostgreSQL would
 * refuse or alter silently is refused before anything is written. Not API.
 *
 * <p>jsonb's rules followed here (PostgreSQL manual, "JSON Types"): object keys are ordered by length, then by their
 * UTF-8 bytes; a repeated key keeps its last value; numbers are {@code numeric}: exact, at most 131072 digits before the
 * point and 16383 after, printed without exponent and with as many decimals as written ({@code 1.50} stays,
 * {@code 1.5e1} becomes {@code 15}, {@code -0} becomes {@code 0}); U+0000 cannot be stored in text. Unpaired surrogates
 * are refused too: the driver would send them as {@code ?}.
 *
 * <p>A normalised value is also the very tree Jackson reads back from jsonb's text, so the two stores' values are
 * {@code equals}: a number with a fraction is a {@link DecimalNode}, one without is an {@link IntNode}, {@link LongNode}
 * or {@link BigIntegerNode} by size (so {@code 5L} reads back as an {@code IntNode}, {@code 1e2} as {@code IntNode} 100).
 */
public final class JsonValues {
    /** numeric's limits: digits before and after the decimal point. */
    private static final int MAX_INTEGER_DIGITS = 131_072;
    private static final int MAX_FRACTION_DIGITS = 16_383;
    /** The longest number jsonb prints (it never uses an exponent): sign, digits, point. */
    private static final int MAX_NUMBER_TEXT = 1 + MAX_INTEGER_DIGITS + 1 + MAX_FRACTION_DIGITS;
    /**
     * How deep arrays and objects may nest: Jackson's default read limit. jsonb allows more, but a deeper value could
     * not be read back by a parser with default limits, ours included, so it is refused on the way in.
     */
    public static final int MAX_DEPTH = 1000;

    /** Since Jackson 2.15 the factory keeps BigDecimals as given; trailing zeros are kept by the mapper feature below. */
    public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * Jackson's default read limits (numbers of 1000 characters, names of 50,000) are below what jsonb stores, so both
     * mappers refused, or could not read back, values both stores accept: these follow jsonb instead. Numbers may be as
     * long as jsonb prints them, plus an exponent in text a caller writes; strings and names any length (the value size
     * limit is checked after parsing); nesting {@link #MAX_DEPTH} levels.
     */
    private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
            .maxNumberLength(MAX_NUMBER_TEXT + 12)
            .maxStringLength(Integer.MAX_VALUE)
            .maxNameLength(Integer.MAX_VALUE)
            .maxNestingDepth(MAX_DEPTH)
            .build();

    /**
     * pgdock's own parser and writer of JSON text: {@code putJson} and merge patch text, JSON Schemas, notification
     * payloads, and the compact text of values. Never given to callers, and never configured by them, so no option can
     * loosen what a value must be or change the text the stores write.
     */
    public static final ObjectMapper INTERNAL = configured(JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(LIMITS).build()))
            .build();

    /**
     * Reads values back from PostgreSQL: {@link #INTERNAL}'s configuration and limits, without the source text in error
     * locations, since values may be secret.
     */
    private static final ObjectMapper STORED = configured(JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(LIMITS).build()))
            .build();

    /** The internal mappers' settings: trees keep numbers exactly as written, and nothing may follow a value. */
    public static JsonMapper.Builder configured(JsonMapper.Builder builder) {
        return builder
                .nodeFactory(NODES)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);
    }

    /**
     * A new mapper with pgdock's default binding settings ({@link ConfigOptions#defaultObjectMapper()} documents them):
     * the internal settings, the JDK 8 and {@code java.time} modules, dates as ISO-8601 text, and no coercion between
     * JSON's scalar types.
     */
    public static JsonMapper newDefaultMapper() {
        return configured(JsonMapper.builder(JsonFactory.builder().streamReadConstraints(LIMITS).build()))
                .addModule(new Jdk8Module())
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                // An OffsetDateTime reads back with the offset it was written with, not moved to UTC.
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                // Text is not read as a number, boolean or date, nor "" as null, 0 or false: the scalar types'
                // coercions are off (an integer still reads as a floating-point type, which loses nothing).
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // 1.5 (and 1.0) do not read as an int by dropping the fraction.
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                // 0 does not read as an enum's first constant.
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                // A number or a boolean does not read as its text ("500"): Jackson allows it unless told.
                .withCoercionConfig(LogicalType.Textual, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .build();
    }

    /** The mapper of stores given none, and of {@link Secret#of(Object)}; never changed. */
    public static final ObjectMapper DEFAULT_MAPPER = forStores(newDefaultMapper());

    /**
     * Makes a mapper the store's own: {@code mapper} must be a copy nobody else holds. Adds {@link Secret}'s
     * serializer and deserializer as a module, so that a mapper that ignores annotations still writes secrets as
     * placeholders to seal (rather than as beans) and reads secret fields.
     */
    public static ObjectMapper forStores(ObjectMapper mapper) {
        return mapper.registerModule(new SimpleModule("io.pgdock.config.Secret")
                .addSerializer(Secret.class, new SecretSerializer())
                .addDeserializer(Secret.class, new SecretDeserializer()));
    }

    /** jsonb's key order: shorter first, then by UTF-8 bytes (which for equal lengths is code point order). */
    public static final Comparator<String> JSONB_KEY_ORDER = Comparator
            .comparingInt((String k) -> k.getBytes(StandardCharsets.UTF_8).length)
            .thenComparing(JsonValues::compareUtf8);

    private JsonValues() {
    }

    /** Parses JSON text strictly; errors name the key and the position. */
    public static JsonNode parse(String scope, String key, String json) {
        try {
            JsonNode node = INTERNAL.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key)
                        + ": the JSON text is empty", null);
            }
            return node;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            // Jackson's message quotes the text it stopped at, which may be part of a secret: keep only its gist, and
            // leave Jackson's exception (which carries the same text) out of the chain.
            throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key)
                    + ": value is not valid JSON" + where + ": " + withoutQuotedText(e.getOriginalMessage()), null);
        } catch (NumberFormatException e) {
            // Valid JSON, but Jackson cannot make a BigDecimal of it: its exponent does not fit in an int (say
            // 0.4e0066999999999), so the number is far outside numeric's range. Jackson gives no position here.
            throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": a number is"
                    + " outside PostgreSQL numeric's range (at most " + MAX_INTEGER_DIGITS + " digits before the point"
                    + " and " + MAX_FRACTION_DIGITS + " after)", null);
        }
    }

    /**
     * Parses a value as PostgreSQL prints jsonb; the tree equals the normalised value that was written.
     *
     * @throws JsonProcessingException if the text is not JSON or exceeds a limit; its message may quote the text
     */
    public static JsonNode readStored(String json) throws JsonProcessingException {
        return STORED.readTree(json);
    }

    /**
     * Maps a Java value to JSON with the store's mapper; the tree is still to be {@link #normalize normalised}. A
     * failure names the key and the value's class, and keeps Jackson's message, which names types and properties (the
     * value is being written, not parsed, so there is no input text to quote).
     */
    public static JsonNode toTree(String scope, String key, @Nullable Object value,
            Function<Object, JsonNode> mapping) {
        if (value instanceof JsonNode node) {
            return node;
        }
        try {
            return value == null ? NODES.nullNode() : mapping.apply(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": a "
                    + (value == null ? "null" : value.getClass().getName()) + " cannot be mapped to JSON: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The value as jsonb would store it, or an {@link InvalidConfigException} naming the key and the JSON Pointer of
     * the part jsonb cannot store.
     */
    public static JsonNode normalize(String scope, String key, JsonNode value) {
        if (!value.isContainerNode()) {
            return scalar(scope, key, value, "");
        }
        // Iterative, not recursive: a value may nest MAX_DEPTH levels, and put() runs on the caller's thread, whose
        // stack may be small. Each frame holds one container's remaining members and the copy being filled.
        Deque<Container> open = new ArrayDeque<>();
        JsonNode root = Container.open(value, "", open);
        while (!open.isEmpty()) {
            Container current = open.peek();
            if (!current.members.hasNext()) {
                open.pop();
                continue;
            }
            Map.Entry<String, JsonNode> member = current.members.next();
            String name = member.getKey();
            String path = current.path + "/" + name.replace("~", "~0").replace("/", "~1");
            if (current.out.isObject()) {
                checkText(scope, key, name, path + " (the member name)");
            }
            JsonNode child = member.getValue();
            JsonNode normalized;
            if (child.isContainerNode()) {
                if (open.size() == MAX_DEPTH) {
                    throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key)
                            + ": arrays and objects nest deeper than " + MAX_DEPTH + " levels at " + pointer(path),
                            null);
                }
                normalized = Container.open(child, path, open);
            } else {
                normalized = scalar(scope, key, child, path);
            }
            if (current.out.isObject()) {
                ((ObjectNode) current.out).set(name, normalized);
            } else {
                ((ArrayNode) current.out).add(normalized);
            }
        }
        return root;
    }

    /** An array or object being normalised: its members still to copy (objects' in jsonb's order) and the copy. */
    private static final class Container {
        final Iterator<Map.Entry<String, JsonNode>> members;
        final JsonNode out;
        final String path;

        private Container(Iterator<Map.Entry<String, JsonNode>> members, JsonNode out, String path) {
            this.members = members;
            this.out = out;
            this.path = path;
        }

        /** Pushes a frame for {@code node} and returns its (still empty) copy. */
        static JsonNode open(JsonNode node, String path, Deque<Container> open) {
            List<Map.Entry<String, JsonNode>> members = new ArrayList<>(node.size());
            if (node.isObject()) {
                members.addAll(node.properties());
                members.sort(Map.Entry.comparingByKey(JSONB_KEY_ORDER));
            } else {
                int i = 0;
                for (Iterator<JsonNode> it = node.elements(); it.hasNext(); i++) {
                    members.add(Map.entry(Integer.toString(i), it.next()));
                }
            }
            JsonNode out = node.isObject() ? NODES.objectNode() : NODES.arrayNode(node.size());
            open.push(new Container(members.iterator(), out, path));
            return out;
        }
    }

    private static JsonNode scalar(String scope, String key, JsonNode node, String path) {
        return switch (node.getNodeType()) {
            case STRING -> {
                checkText(scope, key, node.textValue(), path);
                yield node;
            }
            // jsonb has no binary type: Jackson writes byte[] as base64 text, which is what reads back.
            case BINARY -> NODES.textNode(node.asText());
            case NUMBER -> number(scope, key, node, path);
            case BOOLEAN, NULL -> node;
            default -> throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": "
                    + node.getNodeType() + " at " + pointer(path) + " is not JSON", null);
        };
    }

    private static JsonNode number(String scope, String key, JsonNode node, String path) {
        if (node.isInt()) {
            return node;
        }
        if (node.isIntegralNumber()) {
            return number(scope, key, new BigDecimal(node.bigIntegerValue()), path);
        }
        if (node.isDouble() || node.isFloat()) {
            double d = node.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": " + d
                        + " at " + pointer(path) + " is not a JSON number", null);
            }
            return number(scope, key, new BigDecimal(node.isFloat() ? Float.toString(node.floatValue())
                    : Double.toString(d)), path);
        }
        return number(scope, key, node.decimalValue(), path);
    }

    private static JsonNode number(String scope, String key, BigDecimal value, String path) {
        // Check the limits before writing the number out in full: "1e999999999" is 11 characters but a billion digits.
        // Zero has no digits to count whatever its exponent (jsonb stores 0e200000 as 0); its scale still counts.
        long integerDigits = value.signum() == 0 ? 1 : (long) value.precision() - value.scale();
        if (integerDigits > MAX_INTEGER_DIGITS || value.scale() > MAX_FRACTION_DIGITS) {
            throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key) + ": the number at "
                    + pointer(path) + " is outside PostgreSQL numeric's range (at most " + MAX_INTEGER_DIGITS
                    + " digits before the point and " + MAX_FRACTION_DIGITS + " after)", null);
        }
        if (value.signum() == 0) {
            return value.scale() > 0 ? DecimalNode.valueOf(BigDecimal.ZERO.setScale(value.scale())) : IntNode.valueOf(0);
        }
        if (value.scale() > 0) {
            return DecimalNode.valueOf(value);
        }
        // jsonb prints a number without a fraction as an integer, which Jackson reads as the smallest integer node.
        BigInteger i = value.setScale(0).unscaledValue();
        if (i.bitLength() < Integer.SIZE) {
            return IntNode.valueOf(i.intValue());
        }
        return i.bitLength() < Long.SIZE ? LongNode.valueOf(i.longValue()) : BigIntegerNode.valueOf(i);
    }

    private static void checkText(String scope, String key, String text, String path) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) {
                throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key)
                        + ": the text at " + pointer(path) + " contains U+0000, which PostgreSQL cannot store", null);
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidConfigException(key, "config key " + ConfigKeys.describe(scope, key)
                        + ": the text at " + pointer(path) + " has an unpaired surrogate at index " + i
                        + ", which is not valid Unicode", null);
            }
        }
    }

    /** Compact JSON text, UTF-8. */
    public static byte[] bytes(JsonNode node) {
        try {
            return INTERNAL.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    /** Compact JSON text. */
    public static String text(JsonNode node) {
        return new String(bytes(node), StandardCharsets.UTF_8);
    }

    /** A message with every quoted span ('...', "...", `...` stays: those name types) replaced by an ellipsis. */
    public static String withoutQuotedText(String message) {
        if (message == null) {
            return "unreadable";
        }
        String cut = message.replaceAll("'[^']*'", "'…'").replaceAll("\"[^\"]*\"", "\"…\"");
        int nl = cut.indexOf('\n');
        return nl < 0 ? cut : cut.substring(0, nl);
    }

    /**
     * What a binding failure was, without the value: the kind of JSON found at the failing part ({@code at}, a JSON
     * Pointer into {@code value}) and the type expected there. Jackson's message is used only where no type says more,
     * with its quoted spans cut.
     */
    public static String describe(JsonMappingException e, JsonNode value, String at) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown property " + ConfigKeys.show(u.getPropertyName());
        }
        if (e.getCause() instanceof InputCoercionException range) {
            return outOfRange(range);   // its message shows the number: "Numeric value (...) out of range of int"
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return found(value, at) + " cannot be read as " + m.getTargetType().getTypeName();
        }
        return withoutQuotedText(e.getOriginalMessage());
    }

    /** As {@link #describe(JsonMappingException, JsonNode, String)}, for a failure of the parser at the root. */
    public static String describe(java.io.IOException e, JsonNode value) {
        if (e instanceof InputCoercionException range) {
            return outOfRange(range);
        }
        return found(value, "") + " cannot be read (" + e.getClass().getSimpleName() + ")";
    }

    private static String outOfRange(InputCoercionException e) {
        return "a JSON number out of the range of " + (e.getTargetType() == null ? "the type asked for"
                : e.getTargetType().getTypeName());
    }

    /** The kind of JSON at {@code at} in {@code value}, for example "a JSON number with a fraction"; never the value. */
    private static String found(JsonNode value, String at) {
        JsonNode there;
        try {
            there = at.isEmpty() ? value : value.at(at);
        } catch (IllegalArgumentException e) {
            return "the value there";
        }
        return switch (there.getNodeType()) {
            case NUMBER -> there.isIntegralNumber() ? "a JSON integer" : "a JSON number with a fraction";
            case STRING -> there.textValue().isEmpty() ? "an empty JSON string" : "a JSON string";
            case BOOLEAN -> "a JSON boolean";
            case NULL -> "JSON null";
            case ARRAY -> "a JSON array";
            case OBJECT -> "a JSON object";
            case MISSING -> "a missing member";
            default -> "the value there";
        };
    }

    /** The JSON Pointer of the part of a value where binding failed. */
    public static String pointer(JsonMappingException e) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            out.append('/');
            if (ref.getFieldName() != null) {
                out.append(ref.getFieldName().replace("~", "~0").replace("/", "~1"));
            } else if (ref.getIndex() >= 0) {
                out.append(ref.getIndex());
            }
        }
        return out.toString();
    }

    private static String pointer(String path) {
        return path.isEmpty() ? "the root" : ConfigKeys.show(path);
    }

    private static int compareUtf8(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
