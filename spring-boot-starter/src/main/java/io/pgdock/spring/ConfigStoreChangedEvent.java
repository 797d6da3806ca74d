package io.pgdock.spring;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.context.ApplicationEvent;

/**
 * Published when changes made to the config store (by this process, another one, or plain SQL) have reached the
 * {@link ConfigStorePropertySource}: after the {@code @ConfigurationProperties} beans under the changed names have been
 * bound again and the {@link RefreshOnConfigChange} beans' {@code @Value} members set again, so a listener sees the new
 * values everywhere. Changes arriving together are published as one event.
 *
 * <pre>{@code
 * @EventListener
 * void onConfigChange(ConfigStoreChangedEvent event) {
 *     if (event.affects("ingest")) {
 *         pipeline.reconfigure(environment.getProperty("ingest.batch_size", Integer.class));
 *     }
 * }
 * }</pre>
 *
 * <p>The event carries names only, never values (some may be secrets). It is published from pgdock's refresh thread,
 * one at a time and in the order the changes were applied. Immutable.
 */
public final class ConfigStoreChangedEvent extends ApplicationEvent {
    private static final long serialVersionUID = 1L;

    private final transient SortedSet<String> propertyNames;
    private final transient SortedSet<String> keys;
    private final transient SortedSet<String> refreshedBeans;
    private final transient SortedMap<String, String> failures;

    /**
     * Creates the event.
     *
     * @param source the property source that changed
     * @param propertyNames the properties added, removed or changed
     * @param keys the config keys they come from
     * @param refreshedBeans the beans bound or injected again with new values
     * @param failures beans that could not be refreshed and keep their previous values, with why (without values)
     */
    public ConfigStoreChangedEvent(ConfigStorePropertySource source, Set<String> propertyNames, Set<String> keys,
            Set<String> refreshedBeans, Map<String, String> failures) {
        super(source);
        this.propertyNames = Collections.unmodifiableSortedSet(new TreeSet<>(propertyNames));
        this.keys = Collections.unmodifiableSortedSet(new TreeSet<>(keys));
        this.refreshedBeans = Collections.unmodifiableSortedSet(new TreeSet<>(refreshedBeans));
        this.failures = Collections.unmodifiableSortedMap(new TreeMap<>(failures));
    }

    /** @return the property source that changed */
    @Override
    public ConfigStorePropertySource getSource() {
        return (ConfigStorePropertySource) super.getSource();
    }

    /** @return the names of the properties added, removed or changed, as the source names them */
    public SortedSet<String> propertyNames() {
        return propertyNames;
    }

    /** @return the config keys whose changes made them */
    public SortedSet<String> keys() {
        return keys;
    }

    /** @return the names of the beans bound or injected again with new values */
    public SortedSet<String> refreshedBeans() {
        return refreshedBeans;
    }

    /**
     * Beans that could not be refreshed (a value no longer binds or converts) and keep their previous values.
     *
     * @return bean name to what failed, naming the property and the exception type, never the value
     */
    public SortedMap<String, String> failures() {
        return failures;
    }

    /**
     * Whether a changed property is {@code prefix} or under it, with Spring's relaxed names ({@code ingest.batch-size}
     * matches a change of {@code ingest.batch_size}).
     *
     * @param prefix a property name prefix such as {@code "ingest"}; {@code ""} for any
     * @return true if a changed property is under it
     */
    public boolean affects(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        ConfigurationPropertyName root = ConfigurationPropertyName.adapt(prefix, '.');
        for (String name : propertyNames) {
            ConfigurationPropertyName changed = ConfigurationPropertyName.adapt(name, '.');
            if (root.isEmpty() || root.equals(changed) || root.isAncestorOf(changed)) {
                return true;
            }
        }
        return false;
    }

    /** Names the changed properties and keys, the refreshed beans and the failures; never a value. */
    @Override
    public String toString() {
        return "ConfigStoreChangedEvent[propertyNames=" + propertyNames + ", keys=" + keys + ", refreshedBeans="
                + refreshedBeans + (failures.isEmpty() ? "" : ", failures=" + failures) + "]";
    }
}
