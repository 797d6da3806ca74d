package io.pgdock.examples;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.ConnectionSpec;
import io.pgdock.datasource.DataSourceFactory;
import io.pgdock.datasource.TargetResolver;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link TargetResolver} backed by the configuration store: target {@code warehouse} is the entry
 * {@code targets.warehouse}, a JSON object such as
 * <pre>{@code {"url": "postgresql://reader@warehouse:5432/sales?currentSchema=mart", "password": "..."}}</pre>
 *
 * <p>The factory resolves a name on every {@link DataSourceFactory#get(String)}, so a password changed in the store
 * reaches the next {@code get}: the factory sees a spec that differs only by its password, builds a new pool, and drains
 * the old one. (Until the store encrypts secrets, keep such passwords out of it, or in a scope only the pipeline's role
 * can read.)
 *
 * <p>Thread-safe, as the store is.
 */
public final class ConfigStoreTargetResolver implements TargetResolver {
    /** The JSON shape of one target's entry. */
    record Target(String url, String password) {
        /** Without the password, which a record would print (nor one written into the URL). */
        @Override
        public String toString() {
            String shown;
            try {
                shown = ConnectionSpec.parse(url).toString();   // masks a password in the URL
            } catch (RuntimeException e) {
                shown = "(not a valid URL)";
            }
            return "Target[url=" + shown + ", password=" + (password == null ? "none" : "***") + "]";
        }
    }

    private final ConfigStore configs;
    private final String prefix;

    /**
     * @param configs the store
     * @param prefix the key prefix of target entries, for example {@code "targets."}
     */
    public ConfigStoreTargetResolver(ConfigStore configs, String prefix) {
        this.configs = Objects.requireNonNull(configs, "configs");
        this.prefix = Objects.requireNonNull(prefix, "prefix");
    }

    @Override
    public Optional<ConnectionSpec> resolve(String name) {
        return configs.get(prefix + name, Target.class).map(target -> {
            ConnectionSpec spec = ConnectionSpec.parse(target.url());
            return target.password() == null ? spec : spec.toBuilder().password(target.password()).build();
        });
    }
}
