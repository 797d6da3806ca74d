package io.pgdock.spring;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigEvent;
import io.pgdock.config.ConfigExplanation;
import io.pgdock.config.ConfigStore;
import io.pgdock.config.ExportOptions;
import io.pgdock.config.Secret;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads config keys under a prefix from one scoped view of a store and turns each into Spring properties, knowing
 * which of them hold secrets.
 *
 * <p><b>Where secrets are.</b> Reads decrypt, so a decrypted value no longer says which parts of it were secrets. The
 * stored form does: an export of a scope's own layer, a watch event and {@code explain} hold each secret as stored (an
 * envelope, or {@value Secret#REDACTED}). A key's properties are therefore made from two reads, the decrypted value and
 * a stored form of the same scope and version; when no matching pair can be read (the key keeps changing meanwhile),
 * every property of the key is treated as a secret, and the next change of the key reads it again.
 *
 * <p>Thread-safe (stateless over a thread-safe store).
 */
final class ConfigPropertyReader {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigStorePropertySource.class);
    /** A JSON member name used as one property-name element as is; others are put in brackets, {@code a[b.c]}. */
    private static final Pattern SIMPLE_NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final int ATTEMPTS = 3;

    private final ConfigStore view;
    private final String prefix;

    ConfigPropertyReader(ConfigStore view, String prefix) {
        this.view = view;
        this.prefix = prefix;
    }

    ConfigStore view() {
        return view;
    }

    String prefix() {
        return prefix;
    }

    /** One key as properties: its entry and its properties in the order they were made. */
    record KeyProperties(ConfigEntry entry, Map<String, Property> properties) {
    }

    /** One property: its text, whether it holds (part of) a secret, and the entry it came from. */
    record Property(String value, boolean secret, ConfigEntry entry) {
        /** Names the property's key and secrecy, never its value. */
        @Override
        public String toString() {
            return "Property[key=" + entry.key() + (secret ? ", secret" : "") + "]";
        }
    }

    /** Every key under the prefix, as reads in the view's scope see them. */
    Map<String, KeyProperties> readAll() {
        List<ConfigEntry> entries = view.list(prefix);
        Map<String, Map<String, StoredForm>> layers = new HashMap<>();
        Map<String, KeyProperties> all = new LinkedHashMap<>();
        for (ConfigEntry entry : entries) {
            Map<String, StoredForm> layer = layers.computeIfAbsent(entry.scope(), this::exportLayer);
            StoredForm stored = layer.get(entry.key());
            if (stored != null && stored.version() == entry.version()) {
                all.put(entry.key(), flatten(entry, stored.value(), false));
            } else {
                read(entry.key(), null).ifPresent(p -> all.put(entry.key(), p));
            }
        }
        return all;
    }

    /**
     * One key as reads in the view's scope see it now.
     *
     * @param hint the event that announced the change, whose stored value is used when it is the value read
     * @return the key's properties, or empty if no scope on the way to the root has it
     */
    Optional<KeyProperties> read(String key, @Nullable ConfigEvent hint) {
        ConfigEntry entry = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Optional<ConfigEntry> current = view.entry(key);
            if (current.isEmpty()) {
                return Optional.empty();
            }
            entry = current.get();
            if (hint != null && !hint.deleted() && hint.scope().equals(entry.scope())
                    && hint.version() == entry.version() && hint.value().isPresent()) {
                return Optional.of(flatten(entry, hint.value().get(), false));
            }
            ConfigExplanation explanation = view.policy().explain(key);
            ConfigEntry redacted = explanation.entry().orElse(null);
            if (redacted != null && redacted.scope().equals(entry.scope()) && redacted.version() == entry.version()) {
                return Optional.of(flatten(entry, redacted.value(), true));
            }
            hint = null;
        }
        if (entry == null) {
            return Optional.empty();
        }
        LOG.warn("pgdock.property-source: key {} changed while it was read; all its properties are treated as secrets "
                + "until its next change", key);
        return Optional.of(flatten(entry, null, false));
    }

    private Map<String, StoredForm> exportLayer(String scope) {
        JsonNode document = view.inScope(scope).transfer().export(ExportOptions.builder().prefix(prefix).build());
        Map<String, StoredForm> layer = new HashMap<>();
        for (JsonNode e : document.path("entries")) {
            layer.put(e.path("key").asText(), new StoredForm(e.path("version").asLong(), e.path("value")));
        }
        return layer;
    }

    private record StoredForm(long version, JsonNode value) {
    }

    /**
     * The properties of one entry.
     *
     * @param stored the value as stored (envelopes) or redacted ({@value Secret#REDACTED}), of the same version; null
     *     to treat every property as a secret
     * @param redacted whether {@code stored} is the redacted form
     */
    static KeyProperties flatten(ConfigEntry entry, @Nullable JsonNode stored, boolean redacted) {
        Map<String, Property> out = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        flatten(entry.key(), entry.value(), stored, stored == null, redacted, entry, out, skipped);
        if (!skipped.isEmpty()) {
            LOG.warn("pgdock.property-source: key {} has JSON members whose names cannot be part of a property name "
                    + "(empty, or with [ or ]); left out: {}", entry.key(), skipped);
        }
        return new KeyProperties(entry, out);
    }

    private static void flatten(String name, JsonNode value, @Nullable JsonNode stored, boolean secret, boolean redacted,
            ConfigEntry entry, Map<String, Property> out, List<String> skipped) {
        boolean isSecret = secret || (stored != null && (Secret.isEncrypted(stored)
                || (redacted && stored.isTextual() && Secret.REDACTED.equals(stored.textValue()))));
        JsonNode storedHere = isSecret ? null : stored;
        if (value.isObject()) {
            for (Map.Entry<String, JsonNode> member : value.properties()) {
                String memberName = member.getKey();
                String child;
                if (SIMPLE_NAME.matcher(memberName).matches()) {
                    child = name + "." + memberName;
                } else if (!memberName.isEmpty() && memberName.indexOf('[') < 0 && memberName.indexOf(']') < 0) {
                    child = name + "[" + memberName + "]";
                } else {
                    skipped.add(name + " / \"" + memberName + "\"");
                    continue;
                }
                flatten(child, member.getValue(), storedHere == null ? null : storedHere.get(memberName), isSecret,
                        redacted, entry, out, skipped);
            }
        } else if (value.isArray()) {
            if (value.isEmpty()) {
                out.put(name, new Property("", isSecret, entry));   // as Spring Boot reads an empty YAML list
            }
            for (int i = 0; i < value.size(); i++) {
                flatten(name + "[" + i + "]", value.get(i), storedHere == null ? null : storedHere.get(i), isSecret,
                        redacted, entry, out, skipped);
            }
        } else {
            out.put(name, new Property(text(value), isSecret, entry));
        }
    }

    /** A scalar as property text: strings as they are, numbers without exponents, JSON null as "" (as YAML's ~). */
    static String text(JsonNode scalar) {
        if (scalar.isNull() || scalar.isMissingNode()) {
            return "";
        }
        if (scalar.isTextual()) {
            return scalar.textValue();
        }
        if (scalar.isBigDecimal()) {
            return scalar.decimalValue().toPlainString();
        }
        return scalar.asText();
    }
}
