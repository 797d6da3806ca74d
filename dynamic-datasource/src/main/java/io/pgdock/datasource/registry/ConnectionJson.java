package io.pgdock.datasource.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.Secret;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Endpoint;
import io.pgdock.core.InvalidConnectionSpecException;
import io.pgdock.core.SslMode;
import io.pgdock.core.TargetServerType;
import io.pgdock.core.internal.Shown;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The stored shape of a connection: one JSON object, written from a {@link ConnectionSpec} and read back strictly.
 *
 * <pre>{@code
 * {"host": "db", "port": 5432, "database": "sales", "user": "reader", "password": <secret>, "schema": "mart",
 *  "sslmode": "verify-full", "sslrootcert": "/etc/pgdock/ca.crt", "applicationName": "etl", "connectTimeout": 10,
 *  "options": {"tcpKeepAlive": "true"}}
 * }</pre>
 *
 * Reading refuses anything else, naming the field: an unknown field, a field of the wrong JSON type, a bad value (as
 * {@link ConnectionSpec.Builder} checks it), and a required field that is missing. Written fields are exactly those
 * the spec sets, so what is written reads back as an equal spec.
 */
final class ConnectionJson {

    /** Every field, in the order written and listed in messages. */
    static final List<String> FIELDS = List.of("host", "hosts", "port", "database", "user", "password", "schema",
            "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "applicationName", "connectTimeout",
            "socketTimeout", "statementTimeout", "lockTimeout", "idleInTransactionSessionTimeout", "readOnly",
            "targetServerType", "options");

    /** The TLS files, fields of their own rather than options. */
    private static final Set<String> TLS_FILES = Set.of("sslrootcert", "sslcert", "sslkey");

    private ConnectionJson() {
    }

    /** The value to store for {@code spec}: a map, with the password and sslpassword as secrets. */
    static Map<String, Object> write(ConnectionSpec spec) {
        Map<String, Object> o = new LinkedHashMap<>();
        List<Endpoint> endpoints = spec.endpoints();
        if (endpoints.size() == 1) {
            o.put("host", spec.host());
            o.put("port", spec.port());
        } else {
            List<Map<String, Object>> hosts = new ArrayList<>();
            for (Endpoint e : endpoints) {
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("host", e.host());
                h.put("port", e.port());
                hosts.add(h);
            }
            o.put("hosts", hosts);
        }
        o.put("database", spec.database());
        o.put("user", spec.user());
        spec.password().ifPresent(p -> o.put("password", Secret.of(p)));
        spec.schema().ifPresent(s -> o.put("schema", s));
        spec.sslMode().ifPresent(m -> o.put("sslmode", m.value()));
        for (String file : List.of("sslrootcert", "sslcert", "sslkey")) {
            String path = spec.options().get(file);
            if (path != null) {
                o.put(file, path);
            }
        }
        spec.sslPassword().ifPresent(p -> o.put("sslpassword", Secret.of(p)));
        spec.applicationName().ifPresent(a -> o.put("applicationName", a));
        spec.connectTimeout().ifPresent(d -> o.put("connectTimeout", d.toSeconds()));
        spec.socketTimeout().ifPresent(d -> o.put("socketTimeout", d.toSeconds()));
        spec.statementTimeout().ifPresent(d -> o.put("statementTimeout", d.toMillis()));
        spec.lockTimeout().ifPresent(d -> o.put("lockTimeout", d.toMillis()));
        spec.idleInTransactionSessionTimeout().ifPresent(d -> o.put("idleInTransactionSessionTimeout", d.toMillis()));
        if (spec.readOnly()) {
            o.put("readOnly", true);
        }
        if (spec.targetServerType() != TargetServerType.ANY) {
            o.put("targetServerType", spec.targetServerType().value());
        }
        Map<String, String> options = new TreeMap<>(spec.options());
        options.keySet().removeAll(TLS_FILES);
        if (!options.isEmpty()) {
            o.put("options", options);
        }
        return o;
    }

    /**
     * What was read: the spec (without its passwords when they were {@code redacted}) and how each password is
     * stored.
     */
    record Read(ConnectionSpec spec, StoredConnection.Password password, StoredConnection.Password sslPassword) {
    }

    /** A field that is wrong; {@link #read} turns it into an {@link InvalidConnectionException}. */
    static final class Problem extends RuntimeException {
        private static final long serialVersionUID = 1L;

        final String field;
        final String problem;

        Problem(String field, String problem, @Nullable Throwable cause) {
            super(problem, cause, false, false);
            this.field = field;
            this.problem = problem;
        }
    }

    /**
     * Reads a stored value strictly.
     *
     * @param value the value as read: decrypted (passwords are their text), or {@code redacted} (each secret is
     *     {@value Secret#REDACTED}, and the spec is read without its passwords)
     * @param redacted whether secrets were replaced by {@value Secret#REDACTED}
     * @param name the connection's name, key and scope, for the message
     * @throws InvalidConnectionException naming the connection, the field and the bad value (never a password)
     */
    static Read read(JsonNode value, boolean redacted, String name, String key, String scope) {
        try {
            return read(value, redacted);
        } catch (Problem p) {
            throw new InvalidConnectionException(name, key, scope, p.field, p.problem, p.getCause());
        }
    }

    private static Read read(JsonNode o, boolean redacted) {
        if (!o.isObject()) {
            throw new Problem("", "must be a JSON object with the fields " + String.join(", ", FIELDS)
                    + ", but was a JSON " + type(o), null);
        }
        for (Iterator<String> names = o.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!FIELDS.contains(field)) {
                throw new Problem(field, "unknown field" + suggestion(field) + "; the fields are "
                        + String.join(", ", FIELDS), null);
            }
        }
        ConnectionSpec.Builder b = ConnectionSpec.builder();
        if (o.has("host") && o.has("hosts")) {
            throw new Problem("hosts", "give either host (and port) or hosts, not both", null);
        }
        if (o.has("hosts")) {
            if (o.has("port")) {
                throw new Problem("port", "give each host's port in hosts, not port beside hosts", null);
            }
            b.endpoints(endpoints(o.get("hosts")));
        } else {
            String host = text(o, "host");
            if (host == null) {
                throw new Problem("host", "is missing (give host, or hosts for several servers)", null);
            }
            set("host", () -> b.host(host));
            Long port = number(o, "port", 1, 65535);
            if (port != null) {
                set("port", () -> b.port(port.intValue()));
            }
        }
        String database = required(o, "database");
        set("database", () -> b.database(database));
        String user = required(o, "user");
        set("user", () -> b.user(user));
        StoredConnection.Password password = password(o, "password", redacted);
        if (!redacted && password != StoredConnection.Password.NONE) {
            set("password", () -> b.password(o.get("password").textValue()));
        }
        StoredConnection.Password sslPassword = password(o, "sslpassword", redacted);
        if (!redacted && sslPassword != StoredConnection.Password.NONE) {
            set("sslpassword", () -> b.sslPassword(o.get("sslpassword").textValue()));
        }
        String schema = text(o, "schema");
        set("schema", () -> b.schema(schema));
        String sslmode = text(o, "sslmode");
        if (sslmode != null) {
            b.sslMode(choice("sslmode", sslmode, SslMode.values(), SslMode::value));
        }
        for (String file : List.of("sslrootcert", "sslcert", "sslkey")) {
            String path = text(o, file);
            if (path != null) {
                set(file, () -> b.option(file, path));
            }
        }
        String applicationName = text(o, "applicationName");
        set("applicationName", () -> b.applicationName(applicationName));
        Long seconds = number(o, "connectTimeout", 0, Integer.MAX_VALUE);
        set("connectTimeout", () -> b.connectTimeout(seconds == null ? null : Duration.ofSeconds(seconds)));
        Long socket = number(o, "socketTimeout", 0, Integer.MAX_VALUE);
        set("socketTimeout", () -> b.socketTimeout(socket == null ? null : Duration.ofSeconds(socket)));
        Long statement = number(o, "statementTimeout", 0, Integer.MAX_VALUE);
        set("statementTimeout", () -> b.statementTimeout(statement == null ? null : Duration.ofMillis(statement)));
        Long lock = number(o, "lockTimeout", 0, Integer.MAX_VALUE);
        set("lockTimeout", () -> b.lockTimeout(lock == null ? null : Duration.ofMillis(lock)));
        Long idle = number(o, "idleInTransactionSessionTimeout", 0, Integer.MAX_VALUE);
        set("idleInTransactionSessionTimeout", () -> b.idleInTransactionSessionTimeout(idle == null ? null
                : Duration.ofMillis(idle)));
        JsonNode readOnly = o.get("readOnly");
        if (readOnly != null) {
            if (!readOnly.isBoolean()) {
                throw new Problem("readOnly", "must be true or false, but was " + shown(readOnly), null);
            }
            b.readOnly(readOnly.booleanValue());
        }
        String targetServerType = text(o, "targetServerType");
        if (targetServerType != null) {
            b.targetServerType(choice("targetServerType", targetServerType, TargetServerType.values(),
                    TargetServerType::value));
        }
        JsonNode options = o.get("options");
        if (options != null) {
            if (!options.isObject()) {
                throw new Problem("options", "must be a JSON object of pgjdbc options (name: text), but was a JSON "
                        + type(options), null);
            }
            for (Map.Entry<String, JsonNode> option : options.properties()) {
                String field = "options." + option.getKey();
                if (TLS_FILES.contains(option.getKey())) {
                    throw new Problem(field, "give it as the field " + option.getKey() + ", not as an option", null);
                }
                if (!option.getValue().isTextual()) {
                    throw new Problem(field, "must be text, but was " + shown(option.getValue()), null);
                }
                set(field, () -> b.option(option.getKey(), option.getValue().textValue()));
            }
        }
        ConnectionSpec spec;
        try {
            spec = b.build();
        } catch (InvalidConnectionSpecException e) {
            throw new Problem(e.source(), problem(e), e);
        }
        return new Read(spec, password, sslPassword);
    }

    private static List<Endpoint> endpoints(JsonNode hosts) {
        if (!hosts.isArray() || hosts.isEmpty()) {
            throw new Problem("hosts", "must be a non-empty JSON array of {\"host\": ..., \"port\": ...} objects, but "
                    + "was " + shown(hosts), null);
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            String at = "hosts[" + i + "]";
            JsonNode h = hosts.get(i);
            if (!h.isObject()) {
                throw new Problem(at, "must be a JSON object {\"host\": ..., \"port\": ...}, but was " + shown(h),
                        null);
            }
            for (Iterator<String> names = h.fieldNames(); names.hasNext(); ) {
                String field = names.next();
                if (!field.equals("host") && !field.equals("port")) {
                    throw new Problem(at + "." + field, "unknown field; a host has the fields host and port", null);
                }
            }
            String host = text(h, "host", at + ".host");
            if (host == null) {
                throw new Problem(at + ".host", "is missing", null);
            }
            Long port = number(h, "port", at + ".port", 1, 65535);
            try {
                endpoints.add(new Endpoint(host, port == null ? Endpoint.DEFAULT_PORT : port.intValue()));
            } catch (InvalidConnectionSpecException e) {
                throw new Problem(at + "." + e.source(), problem(e), e);
            }
        }
        return endpoints;
    }

    /** How a password field is stored; its value is never shown, only its JSON type. */
    private static StoredConnection.Password password(JsonNode o, String field, boolean redacted) {
        JsonNode p = o.get(field);
        if (p == null || p.isNull()) {
            if (p != null) {
                throw new Problem(field, "must be text (stored as a secret), but was JSON null; leave the field out "
                        + "for no password", null);
            }
            return StoredConnection.Password.NONE;
        }
        if (!p.isTextual()) {
            throw new Problem(field, "must be text (stored as a secret), but was a JSON " + type(p)
                    + " (value not shown: it is a secret)", null);
        }
        if (redacted) {
            return p.textValue().equals(Secret.REDACTED) ? StoredConnection.Password.SECRET
                    : StoredConnection.Password.PLAIN_TEXT;
        }
        return StoredConnection.Password.SECRET;   // decrypted: a secret and plain text read the same
    }

    private static @Nullable String text(JsonNode o, String field) {
        return text(o, field, field);
    }

    private static @Nullable String text(JsonNode o, String field, String shownAs) {
        JsonNode v = o.get(field);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw new Problem(shownAs, "must be text, but was " + shown(v), null);
        }
        return v.textValue();
    }

    private static String required(JsonNode o, String field) {
        String v = text(o, field);
        if (v == null) {
            throw new Problem(field, "is missing", null);
        }
        return v;
    }

    private static @Nullable Long number(JsonNode o, String field, long min, long max) {
        return number(o, field, field, min, max);
    }

    private static @Nullable Long number(JsonNode o, String field, String shownAs, long min, long max) {
        JsonNode v = o.get(field);
        if (v == null) {
            return null;
        }
        String unit = switch (field) {
            case "connectTimeout", "socketTimeout" -> " (seconds)";
            case "statementTimeout", "lockTimeout", "idleInTransactionSessionTimeout" -> " (milliseconds)";
            default -> "";
        };
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw new Problem(shownAs, "must be a whole number from " + min + " to " + max + unit + ", but was "
                    + shown(v), null);
        }
        return v.longValue();
    }

    private interface Setter {
        void set();
    }

    /** Runs a builder call, naming {@code field} (the stored name) when it refuses the value. */
    private static void set(String field, Setter setter) {
        try {
            setter.set();
        } catch (InvalidConnectionSpecException e) {
            throw new Problem(field, problem(e), e);
        }
    }

    /** The builder's message without its own "source: " (the field is named by the caller). */
    private static String problem(InvalidConnectionSpecException e) {
        String m = String.valueOf(e.getMessage());
        return m.startsWith(e.source() + ": ") ? m.substring(e.source().length() + 2) : m;
    }

    private interface Spelling<E> {
        String of(E value);
    }

    private static <E> E choice(String field, String raw, E[] values, Spelling<E> spelling) {
        List<String> names = new ArrayList<>();
        for (E e : values) {
            if (spelling.of(e).equals(raw)) {
                return e;
            }
            names.add(spelling.of(e));
        }
        throw new Problem(field, "must be one of " + String.join(", ", names) + ", but was " + Shown.show(raw), null);
    }

    /** ", did you mean X?" for a field one or two edits from a known one, else "". */
    private static String suggestion(String field) {
        String best = null;
        int bestDistance = 3;
        for (String known : FIELDS) {
            int d = distance(field.toLowerCase(Locale.ROOT), known.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = known;
                bestDistance = d;
            }
        }
        return best == null ? "" : " (did you mean " + best + "?)";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** A JSON value as a message shows it: text quoted and escaped, other values as JSON, cut when long. */
    private static String shown(JsonNode v) {
        if (v.isTextual()) {
            return Shown.show(v.textValue());
        }
        if (v.isContainerNode()) {
            return "a JSON " + type(v);
        }
        String json = v.toString();
        return json.length() > 80 ? json.substring(0, 80) + "..." : json;
    }

    private static String type(JsonNode v) {
        return v.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
