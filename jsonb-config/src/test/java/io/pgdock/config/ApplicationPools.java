package io.pgdock.config;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.core.ConnectionSpec;

/** An application's own HikariCP pool, as Spring Boot builds one from a JDBC URL, for the tests of Storage.over. */
final class ApplicationPools {
    private ApplicationPools() {
    }

    /** A pool on {@code spec}'s server and database whose sessions work in {@code schema} (currentSchema in the URL). */
    static HikariDataSource pool(ConnectionSpec spec, String schema, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(spec.jdbcUrl() + "?currentSchema=" + schema);
        config.setUsername(spec.user());
        config.setPassword(spec.password().orElse(null));
        config.setMaximumPoolSize(size);
        config.setPoolName("application-" + schema);
        return new HikariDataSource(config);
    }
}
