package io.pgdock.spring;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code pgdock.property-source.*} properties: whether and how the config store is read as Spring properties (see
 * {@link ConfigStorePropertySource}).
 *
 * <pre>
 * pgdock.url=jdbc:postgresql://db:5432/app
 * pgdock.schema=pgdock
 * pgdock.property-source.enabled=true
 * pgdock.property-source.prefix=ingest.
 * pgdock.property-source.scope=prod/ingest
 * </pre>
 *
 * <p>They are read once, by {@link ConfigPropertySourceInitializer}, from the environment as it stands before any bean
 * is made (command line, system properties, environment variables, {@code application.properties}); a value of them
 * kept in the config store itself has no effect. Not thread-safe (a JavaBean for the binder).
 */
@ConfigurationProperties(ConfigPropertySourceProperties.PREFIX)
public class ConfigPropertySourceProperties {
    /** The prefix of these properties. */
    public static final String PREFIX = "pgdock.property-source";

    /**
     * Whether the config store is a property source. When true, the application does not start unless the store can be
     * read (with the storage from the pgdock.* connection properties), and changes to it reach the environment live.
     */
    private boolean enabled;

    /**
     * The config keys to read, by their start (a plain string prefix, as ConfigStore.list and watch take it): "ingest."
     * for ingest.batch_size and ingest.sources, "" for every key. Each key is the property of the same name.
     */
    private String prefix = "";

    /**
     * The config store scope to read, such as "prod/ingest": each key from the most specific scope on the way to the
     * root scope that has it. "" (the default) is the root scope.
     */
    private String scope = "";

    /** Creates the properties with their defaults: disabled, every key, the root scope. */
    public ConfigPropertySourceProperties() {
    }

    /** @return whether the config store is a property source */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether the config store is a property source */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** @return the key prefix; {@code ""} for every key */
    public String getPrefix() {
        return prefix;
    }

    /** @param prefix the key prefix; {@code ""} for every key */
    public void setPrefix(String prefix) {
        this.prefix = prefix;
    }

    /** @return the scope; {@code ""} for the root scope */
    public String getScope() {
        return scope;
    }

    /** @param scope the scope; {@code ""} for the root scope */
    public void setScope(String scope) {
        this.scope = scope;
    }

    @Override
    public String toString() {
        return "ConfigPropertySourceProperties[enabled=" + enabled + ", prefix=\"" + prefix + "\", scope=\"" + scope + "\"]";
    }
}
