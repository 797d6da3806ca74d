package io.pgdock.spring;

import io.pgdock.config.ConfigEntry;
import io.pgdock.config.ConfigStore;
import io.pgdock.spring.ConfigPropertyReader.KeyProperties;
import io.pgdock.spring.ConfigPropertyReader.Property;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.OriginLookup;
import org.springframework.core.env.EnumerablePropertySource;

/**
 * The config store's keys as Spring properties, in the application's {@code Environment} under the name
 * {@value #NAME}, kept up to date by the store's watch. Made by {@link ConfigPropertySourceInitializer} when
 * {@code pgdock.property-source.enabled=true}; applications read it through {@code @Value},
 * {@code @ConfigurationProperties} and {@code Environment}, and need not touch this class.
 *
 * <p><b>Names.</b> Every key under {@code pgdock.property-source.prefix}, read in {@code pgdock.property-source.scope}
 * (each key from the most specific scope that has it), is a property of the same name: key {@code ingest.batch_size}
 * is property {@code ingest.batch_size}, which {@code @Value("${ingest.batch_size}")} reads and which binds to
 * {@code batchSize} of {@code @ConfigurationProperties("ingest")} (Spring's relaxed binding takes {@code _}, camel case
 * and {@code -} alike). A JSON value is flattened as Spring Boot flattens YAML:
 * <table>
 * <caption>How a value becomes properties</caption>
 * <tr><th>key = value</th><th>properties</th></tr>
 * <tr><td>{@code ingest.batch_size = 5000}</td><td>{@code ingest.batch_size=5000}</td></tr>
 * <tr><td>{@code ingest = {"batch_size": 5000, "db": {"url": "jdbc:..."}}}</td>
 *     <td>{@code ingest.batch_size=5000}, {@code ingest.db.url=jdbc:...}</td></tr>
 * <tr><td>{@code ingest.sources = ["a", "b"]}</td><td>{@code ingest.sources[0]=a}, {@code ingest.sources[1]=b}</td></tr>
 * <tr><td>{@code ingest.labels = {"team.name": "x"}}</td><td>{@code ingest.labels[team.name]=x} (a member name with
 *     characters other than {@code A-Z a-z 0-9 _ -} is one bracketed element, as in YAML's {@code "[team.name]"})</td></tr>
 * <tr><td>{@code ingest.note = null}, {@code ingest.tags = []}</td><td>{@code ingest.note=}, {@code ingest.tags=} (empty,
 *     as YAML's {@code ~} and {@code []}); an empty object gives no property</td></tr>
 * </table>
 * Values are text: strings as they are, numbers in plain notation ({@code 1e2} is {@code 100}), booleans as
 * {@code true}/{@code false}; Spring converts them to the type asked for. When two keys make the same property
 * ({@code ingest = {"batch_size": 1}} and {@code ingest.batch_size = 2}), the longer key wins. A JSON member whose name is
 * empty or holds {@code [} or {@code ]} cannot be named and is left out, with a warning. Keys with {@code /} or
 * {@code :} are properties of those exact names, readable through {@code Environment.getProperty}; in {@code @Value}
 * a {@code :} starts the default value, so such keys are not reachable there.
 *
 * <p><b>Precedence.</b> The source sits just below the operating system's environment variables: command-line
 * arguments, {@code SPRING_APPLICATION_JSON}, Java system properties and environment variables override the store (so
 * ops can still override one value at deploy time); the store overrides {@code application.properties},
 * {@code application.yml} and their profile variants, and defaults.
 *
 * <p><b>Secrets.</b> A key written as a secret (or a value with {@link io.pgdock.config.Secret} parts) is decrypted
 * here, so {@code @Value} and binding get the plain value, and the properties made from those parts are
 * {@linkplain #isSecret(String) marked}: the actuator's {@code env} and {@code configprops} endpoints show them as
 * {@code ******} whatever {@code management.endpoint.env.show-values} says (the starter's {@code SanitizingFunction}),
 * and no {@code toString}, log line or event of this source shows a value.
 *
 * <p><b>Nothing stale in silence.</b> {@link #isWatchLive()} says whether changes still arrive (see
 * {@link ConfigStoreWatchEvent}), and {@link #unreadKeys()} which changed keys could not be read yet (they are read
 * again, with a back-off, until it works); either makes the {@code pgdockPropertySource} health contributor DOWN, with
 * the reason in its details, and is logged.
 *
 * <p>Thread-safe: reads see one consistent state of all keys, replaced whole by each change.
 */
public final class ConfigStorePropertySource extends EnumerablePropertySource<ConfigStore> implements OriginLookup<String> {
    /** The name of this property source in the environment. */
    public static final String NAME = "pgdockConfigStore";

    private final String prefix;
    private volatile State state;
    private volatile @Nullable String watchProblem;
    private volatile @Nullable Instant watchInterruptedAt;
    private volatile Set<String> unreadKeys = Set.of();

    ConfigStorePropertySource(ConfigStore view, String prefix, Map<String, KeyProperties> keys) {
        super(NAME, view);
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.state = State.of(new TreeMap<>(keys));
    }

    /** @return the key prefix read; {@code ""} for every key */
    public String prefix() {
        return prefix;
    }

    /** @return the scope read; {@code ""} for the root scope */
    public String scope() {
        return getSource().scope();
    }

    /** @return how many config keys the properties come from */
    public int keyCount() {
        return state.keys.size();
    }

    @Override
    public String[] getPropertyNames() {
        return state.names.clone();
    }

    @Override
    public @Nullable Object getProperty(String name) {
        Property p = state.properties.get(name);
        return p == null ? null : p.value();
    }

    @Override
    public boolean containsProperty(String name) {
        return state.properties.containsKey(name);
    }

    /**
     * Whether a property of this source holds (part of) a secret.
     *
     * @param name a property name, as this source has it ({@code smtp.pass_word}) or in Spring's canonical form
     *     ({@code smtp.pass-word}, as the {@code configprops} endpoint names it)
     * @return true if this source has a property of that name made from a secret
     */
    public boolean isSecret(String name) {
        State s = state;
        Property p = s.properties.get(name);
        if (p != null) {
            return p.secret();
        }
        if (s.secretNames.isEmpty()) {
            return false;
        }
        ConfigurationPropertyName candidate = ConfigurationPropertyName.adapt(name, '.');
        for (ConfigurationPropertyName secret : s.secretNames) {
            if (secret.equals(candidate)) {
                return true;
            }
        }
        return false;
    }

    /** Where a property came from: its key, scope and version, for the actuator's {@code env} endpoint. */
    @Override
    public @Nullable Origin getOrigin(String name) {
        Property p = state.properties.get(name);
        return p == null ? null : new KeyOrigin(p.entry());
    }

    /**
     * Whether the store's watch is delivering changes: false from a gap (the listening connection broke, the server
     * restarted, the storage was closed) until it has reconnected and delivered what it missed.
     *
     * @return whether changes arrive
     */
    public boolean isWatchLive() {
        return watchProblem == null;
    }

    /** @return why the watch is not live, without values; empty when it is */
    public Optional<String> watchProblem() {
        return Optional.ofNullable(watchProblem);
    }

    /** @return since when the watch has not been live; empty when it is */
    public Optional<Instant> watchInterruptedAt() {
        return Optional.ofNullable(watchInterruptedAt);
    }

    /**
     * Keys whose change arrived but could not be read yet (the database was unreachable, or a secret's master key is
     * missing): their properties hold the values from before that change, and they are read again until it works.
     *
     * @return the keys, in key order; empty when every change has been applied
     */
    public Set<String> unreadKeys() {
        return unreadKeys;
    }

    /** Records the keys of a batch that could not be read ({@code failed}) among those tried ({@code tried}). */
    void unread(Set<String> failed, Set<String> tried) {
        Set<String> next = new TreeSet<>(unreadKeys);
        next.removeAll(tried);
        next.addAll(failed);
        unreadKeys = Collections.unmodifiableSet(next);
    }

    void watchInterrupted(String problem, Instant at) {
        if (watchProblem == null) {
            watchInterruptedAt = at;
        }
        watchProblem = problem;
    }

    void watchResumed() {
        watchProblem = null;
        watchInterruptedAt = null;
    }

    /** What one update changed: property names (added, removed, or with another value or secrecy) and config keys. */
    record Change(Set<String> propertyNames, Set<String> keys) {
        boolean isEmpty() {
            return propertyNames.isEmpty() && keys.isEmpty();
        }
    }

    /**
     * Applies what was read of some keys (or of all, when {@code all}).
     *
     * @param updates key to its properties, or to null when no scope has it any more
     * @param all whether {@code updates} holds every key (keys missing from it are removed)
     * @return what changed
     */
    Change update(Map<String, @Nullable KeyProperties> updates, boolean all) {
        State old = state;
        TreeMap<String, KeyProperties> keys = all ? new TreeMap<>() : new TreeMap<>(old.keys);
        Set<String> changedKeys = new TreeSet<>();
        for (Map.Entry<String, @Nullable KeyProperties> u : updates.entrySet()) {
            KeyProperties now = u.getValue();
            if (now == null) {
                keys.remove(u.getKey());
            } else {
                keys.put(u.getKey(), now);
            }
        }
        Set<String> allKeys = new HashSet<>(old.keys.keySet());
        allKeys.addAll(keys.keySet());
        for (String key : allKeys) {
            KeyProperties before = old.keys.get(key);
            KeyProperties after = keys.get(key);
            if (!sameProperties(before, after)) {
                changedKeys.add(key);
            }
        }
        if (changedKeys.isEmpty()) {
            return new Change(Set.of(), Set.of());
        }
        State next = State.of(keys);
        Set<String> names = new TreeSet<>();
        Set<String> allNames = new HashSet<>(old.properties.keySet());
        allNames.addAll(next.properties.keySet());
        for (String name : allNames) {
            Property a = old.properties.get(name);
            Property b = next.properties.get(name);
            if (a == null || b == null || !a.value().equals(b.value()) || a.secret() != b.secret()) {
                names.add(name);
            }
        }
        state = next;
        return new Change(names, changedKeys);
    }

    private static boolean sameProperties(@Nullable KeyProperties a, @Nullable KeyProperties b) {
        if (a == null || b == null) {
            return a == null && b == null;
        }
        if (a.properties().size() != b.properties().size()) {
            return false;
        }
        for (Map.Entry<String, Property> e : a.properties().entrySet()) {
            Property other = b.properties().get(e.getKey());
            if (other == null || !other.value().equals(e.getValue().value()) || other.secret() != e.getValue().secret()) {
                return false;
            }
        }
        return true;
    }

    /** Names the source, its prefix, scope, size and watch state; never a value. */
    @Override
    public String toString() {
        State s = state;
        return "ConfigStorePropertySource[prefix=\"" + prefix + "\", scope=\"" + scope() + "\", keys=" + s.keys.size()
                + ", properties=" + s.properties.size() + ", secrets=" + s.secretNames.size() + ", watch="
                + (isWatchLive() ? "live" : "interrupted") + (unreadKeys.isEmpty() ? "" : ", unread=" + unreadKeys) + "]";
    }

    /** One immutable state of all keys. */
    private static final class State {
        final Map<String, KeyProperties> keys;
        final Map<String, Property> properties;
        final String[] names;
        final List<ConfigurationPropertyName> secretNames;

        private State(Map<String, KeyProperties> keys, Map<String, Property> properties,
                List<ConfigurationPropertyName> secretNames) {
            this.keys = keys;
            this.properties = properties;
            this.names = properties.keySet().toArray(String[]::new);
            this.secretNames = secretNames;
        }

        /** Keys in key order, so that a longer key, which sorts after its prefixes, wins a shared property name. */
        static State of(SortedMap<String, KeyProperties> keys) {
            Map<String, Property> properties = new LinkedHashMap<>();
            for (KeyProperties k : keys.values()) {
                for (Map.Entry<String, Property> p : k.properties().entrySet()) {
                    properties.remove(p.getKey());   // re-inserted, so the order of names follows the winner
                    properties.put(p.getKey(), p.getValue());
                }
            }
            List<ConfigurationPropertyName> secrets = new ArrayList<>();
            properties.forEach((name, p) -> {
                if (p.secret()) {
                    secrets.add(ConfigurationPropertyName.adapt(name, '.'));
                }
            });
            return new State(Map.copyOf(keys), Collections.unmodifiableMap(properties), List.copyOf(secrets));
        }
    }

    /** A property's origin: {@code config store key "ingest" in scope "prod", version 3}. */
    private static final class KeyOrigin implements Origin {
        private final ConfigEntry entry;

        KeyOrigin(ConfigEntry entry) {
            this.entry = entry;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof KeyOrigin other && other.entry.scope().equals(entry.scope())
                    && other.entry.key().equals(entry.key()) && other.entry.version() == entry.version();
        }

        @Override
        public int hashCode() {
            return Objects.hash(entry.scope(), entry.key(), entry.version());
        }

        @Override
        public String toString() {
            return "config store key \"" + entry.key() + "\" in scope \"" + entry.scope() + "\", version "
                    + entry.version();
        }
    }
}
