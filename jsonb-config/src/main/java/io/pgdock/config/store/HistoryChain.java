package io.pgdock.config.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigChange;
import io.pgdock.config.ConfigPolicy;
import io.pgdock.config.HistoryVerification;
import io.pgdock.config.json.JsonValues;
import io.pgdock.config.secret.SecretCodec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The hash chain over history rows, computed here independently of the database's functions (migration V6), so that
 * {@link ConfigPolicy#verifyHistory} does not trust code an intruder could have replaced. Not API.
 *
 * <p>A row's hash is SHA-256 over the text {@code "pgdock config_history v1"}, then the previous hash and the fields
 * scope, key, version, kind, old value, new value, actor, reason and time, each as its length in UTF-8 bytes (4 bytes,
 * big-endian; -1 for null) followed by the bytes. A value is its jsonb text (keys shorter first then by bytes,
 * {@code ": "} and {@code ", "} as separators, numbers without exponent, strings escaped as PostgreSQL escapes them)
 * with each secret envelope written as {@code {"$pgdock_secret": null}}; the time is UTC with microseconds.
 *
 * <p>{@link Verifier} checks rows of one key after another, oldest first. Stateless apart from a verifier, which is
 * used by one thread.
 */
public final class HistoryChain {
    private static final byte[] DOMAIN = "pgdock config_history v1".getBytes(StandardCharsets.UTF_8);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final String ENVELOPE_AS_HASHED = "{\"" + SecretCodec.FIELD + "\": null}";

    private HistoryChain() {
    }

    /** One history row as stored, with its value texts already in hashed form ({@link #canon}). */
    @SuppressWarnings("ArrayRecordComponent") // carries hashes to the verifier; never compared or hashed itself
    public record Row(String scope, String key, long version, ConfigChange.Kind kind, @Nullable String oldCanon,
            @Nullable String newCanon, String actor, @Nullable String reason, Instant changedAt,
            byte @Nullable [] prevHash, byte[] hash) {
    }

    /** The hash of a row whose previous hash is {@code prev} (null for none). */
    public static byte[] digest(byte @Nullable [] prev, String scope, String key, long version,
            ConfigChange.Kind kind, @Nullable String oldCanon, @Nullable String newCanon, String actor,
            @Nullable String reason, Instant changedAt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(DOMAIN);
        field(out, prev);
        field(out, scope);
        field(out, key);
        field(out, Long.toString(version));
        field(out, kind.name());
        field(out, oldCanon);
        field(out, newCanon);
        field(out, actor);
        field(out, reason);
        field(out, TIME.format(changedAt));
        try {
            return MessageDigest.getInstance("SHA-256").digest(out.toByteArray());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    private static void field(ByteArrayOutputStream out, @Nullable String text) {
        field(out, text == null ? null : text.getBytes(StandardCharsets.UTF_8));
    }

    private static void field(ByteArrayOutputStream out, byte @Nullable [] bytes) {
        int n = bytes == null ? -1 : bytes.length;
        out.write(n >>> 24);
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
        if (bytes != null) {
            out.writeBytes(bytes);
        }
    }

    /** A value as hashed: jsonb's text of it, each secret envelope as {@code {"$pgdock_secret": null}}; null stays. */
    public static @Nullable String canon(@Nullable JsonNode value) {
        if (value == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(64);
        write(b, value);
        return b.toString();
    }

    private static void write(StringBuilder b, JsonNode node) {
        if (SecretCodec.isEnvelope(node)) {
            b.append(ENVELOPE_AS_HASHED);
        } else if (node.isObject()) {
            List<String> names = new ArrayList<>(node.size());
            node.fieldNames().forEachRemaining(names::add);
            names.sort(JsonValues.JSONB_KEY_ORDER);
            b.append('{');
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) {
                    b.append(", ");
                }
                string(b, names.get(i));
                b.append(": ");
                write(b, node.get(names.get(i)));
            }
            b.append('}');
        } else if (node.isArray()) {
            b.append('[');
            Iterator<JsonNode> elements = node.elements();
            for (int i = 0; elements.hasNext(); i++) {
                if (i > 0) {
                    b.append(", ");
                }
                write(b, elements.next());
            }
            b.append(']');
        } else if (node.isTextual()) {
            string(b, node.textValue());
        } else if (node.isIntegralNumber()) {
            b.append(node.bigIntegerValue());
        } else if (node.isNumber()) {
            b.append(node.decimalValue().toPlainString());
        } else if (node.isBoolean()) {
            b.append(node.booleanValue());
        } else {
            b.append("null");
        }
    }

    /** A JSON string as PostgreSQL's escape_json writes it. */
    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < ' ') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** Where retention stopped for a key: the version and hash of the newest row it removed. */
    @SuppressWarnings("ArrayRecordComponent") // carries a hash to the verifier; never compared or hashed itself
    public record Anchor(long version, byte[] hash) {
    }

    /** The current entry of a key: its version and value in hashed form. */
    public record Current(long version, @Nullable String canon) {
    }

    /**
     * Checks keys one after another: {@link #row} for each row of a key oldest first, then {@link #endKey}; keys in
     * (scope, key) order. Keeps the first {@value #MAX_BREAKS} broken links; after a key's first one, its remaining
     * rows are counted but not judged (they cannot be, once a link is gone).
     */
    public static final class Verifier {
        static final int MAX_BREAKS = 100;
        private final List<HistoryVerification.Break> breaks = new ArrayList<>();
        private long rows;
        private long keys;
        private long brokenKeys;
        private @Nullable Row previous;
        private boolean broken;
        private boolean started;

        /** The next row of the current key ({@code anchor}: where retention stopped for it, or null). */
        public void row(Row row, @Nullable Anchor anchor) {
            rows++;
            if (!started) {
                started = true;
                keys++;
            }
            if (broken) {
                return;
            }
            if (row.hash() == null) {
                fail(row.scope(), row.key(), row.version(), HistoryVerification.Problem.UNCHAINED,
                        "the row has no hash: it was written while the store's triggers were disabled");
                return;
            }
            byte[] expectedPrev = previous != null ? previous.hash() : anchor != null ? anchor.hash() : null;
            byte[] recomputed = digest(row.prevHash(), row.scope(), row.key(), row.version(), row.kind(),
                    row.oldCanon(), row.newCanon(), row.actor(), row.reason(), row.changedAt());
            if (!Arrays.equals(recomputed, row.hash())) {
                fail(row.scope(), row.key(), row.version(), HistoryVerification.Problem.ROW_CHANGED,
                        "the row's hash does not match its contents: the row was edited after it was written");
            } else if (!Arrays.equals(expectedPrev, row.prevHash())) {
                fail(row.scope(), row.key(), row.version(), HistoryVerification.Problem.LINK_BROKEN,
                        previous == null
                                ? (anchor == null ? "the key's oldest row links to a row before it, which is gone"
                                        + " (removed other than by retention)"
                                        : "the key's oldest row does not link to where retention stopped (version "
                                        + anchor.version() + "): rows before it were removed or inserted")
                                : "the row does not link to the row before it (version " + previous.version()
                                        + "): a row between them was removed or inserted, or rows were reordered");
            } else {
                String step = step(previous, anchor, row);
                if (step != null) {
                    fail(row.scope(), row.key(), row.version(), HistoryVerification.Problem.OUT_OF_SEQUENCE, step);
                }
            }
            previous = row;
        }

        /** Why {@code row} cannot follow {@code before}, or null if it can. */
        private static @Nullable String step(@Nullable Row before, @Nullable Anchor anchor, Row row) {
            if (before == null) {
                // A deletion records the version it deleted, which may be the one retention stopped at.
                long least = anchor == null ? Long.MIN_VALUE
                        : row.kind() == ConfigChange.Kind.DELETE ? anchor.version() : anchor.version() + 1;
                return anchor != null && row.version() < least
                        ? "its version is before the version retention stopped at (" + anchor.version() + ")" : null;
            }
            boolean live = before.kind() != ConfigChange.Kind.DELETE;
            switch (row.kind()) {
                case CREATE -> {
                    if (live) {
                        return "a CREATE follows version " + before.version() + ", which was not deleted";
                    }
                    if (row.version() != before.version() + 1) {
                        return "a CREATE at version " + row.version() + " after the deletion of version "
                                + before.version();
                    }
                }
                case UPDATE, DELETE -> {
                    if (!live) {
                        return "an " + row.kind() + " follows the deletion of version " + before.version();
                    }
                    long expected = row.kind() == ConfigChange.Kind.UPDATE ? before.version() + 1 : before.version();
                    if (row.version() != expected) {
                        return "an " + row.kind() + " at version " + row.version() + " after version "
                                + before.version();
                    }
                    if (!java.util.Objects.equals(row.oldCanon(), before.newCanon())) {
                        return "its old value is not the value version " + before.version() + " wrote";
                    }
                }
                default -> throw new IllegalStateException(row.kind().name());
            }
            return null;
        }

        /**
         * The end of a key's rows: {@code current} is its entry now, or null if it has none. A key with an entry but
         * no rows is passed with {@code last} unset (no {@link #row} call).
         */
        public void endKey(String scope, String key, @Nullable Current current) {
            if (!started) {
                keys++;
            }
            if (!broken) {
                if (previous == null) {
                    if (current != null) {
                        fail(scope, key, current.version(), HistoryVerification.Problem.ENTRY_MISMATCH,
                                "the key exists but has no history: it was written while the store's triggers were"
                                        + " disabled, or its history was removed");
                    }
                } else if (current == null) {
                    if (previous.kind() != ConfigChange.Kind.DELETE) {
                        fail(scope, key, previous.version(), HistoryVerification.Problem.ENTRY_MISMATCH,
                                "the history ends at version " + previous.version() + " of a live key, but the key"
                                        + " does not exist: it was deleted without history, or its deletion's row"
                                        + " was removed");
                    }
                } else if (previous.kind() == ConfigChange.Kind.DELETE || previous.version() != current.version()
                        || !java.util.Objects.equals(previous.newCanon(), current.canon())) {
                    fail(scope, key, current.version(), HistoryVerification.Problem.ENTRY_MISMATCH,
                            "the current value (version " + current.version() + ") is not what the newest history row"
                                    + " (version " + previous.version() + ", " + previous.kind() + ") recorded: the"
                                    + " value was changed without history, or rows after version "
                                    + previous.version() + " were removed");
                }
            }
            previous = null;
            broken = false;
            started = false;
        }

        private void fail(String scope, String key, long version, HistoryVerification.Problem problem, String why) {
            broken = true;
            brokenKeys++;
            if (breaks.size() < MAX_BREAKS) {
                breaks.add(new HistoryVerification.Break(scope, key, version, problem, why));
            }
        }

        public HistoryVerification result() {
            return new HistoryVerification(keys, rows, brokenKeys, List.copyOf(breaks));
        }
    }

    /** Runs a verifier over rows grouped by key, for the in-memory store. */
    public static HistoryVerification verify(Map<List<String>, List<Row>> rowsByKey, Map<List<String>, Anchor> anchors,
            Map<List<String>, Current> entries) {
        java.util.TreeSet<List<String>> ids = new java.util.TreeSet<>(
                java.util.Comparator.<List<String>, String>comparing(id -> id.get(0)).thenComparing(id -> id.get(1)));
        ids.addAll(rowsByKey.keySet());
        ids.addAll(entries.keySet());
        Verifier v = new Verifier();
        for (List<String> id : ids) {
            for (Row r : rowsByKey.getOrDefault(id, List.of())) {
                v.row(r, anchors.get(id));
            }
            v.endKey(id.get(0), id.get(1), entries.get(id));
        }
        return v.result();
    }
}
