package io.pgdock.spring;

import io.pgdock.core.ConnectionSpec;
import io.pgdock.core.Storage;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * pgdock's beans. Each backs off when the application defines its own.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"})
public class PgdockAutoConfiguration {

    /** Creates the configuration; called by Spring. */
    public PgdockAutoConfiguration() {
    }

    /**
     * The storage: over the application's own {@link DataSource} when there is one and {@code pgdock.url} is not set,
     * else a pool of its own from {@code pgdock.*} (the library's {@code PGDOCK_*} variables).
     *
     * @param environment the application's environment
     * @param dataSources the application's DataSource, if any
     * @return the storage, closed with the context
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Storage pgdockStorage(Environment environment, ObjectProvider<DataSource> dataSources) {
        Map<String, String> variables = variables(environment);
        DataSource application = dataSources.getIfUnique();
        if (application != null && !variables.containsKey("PGDOCK_URL")) {
            String schema = variables.getOrDefault("PGDOCK_SCHEMA", "pgdock");
            return Storage.over(application, schema);
        }
        return Storage.open(ConnectionSpec.fromEnvironment(variables));
    }

    /** The {@code pgdock.*} properties as the library's variable names: {@code pgdock.url} is {@code PGDOCK_URL}. */
    static Map<String, String> variables(Environment environment) {
        Map<String, String> bound = Binder.get(environment)
                .bind("pgdock", Bindable.mapOf(String.class, String.class))
                .orElseGet(Map::of);
        Map<String, String> variables = new HashMap<>();
        bound.forEach((name, value) -> variables.put(
                "PGDOCK_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'), value));
        return variables;
    }
}
