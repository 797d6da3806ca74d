package io.pgdock.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.testing.PgdockExtension;
import java.sql.Connection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the README's example for an application's own DataSource, on a HikariCP pool as Spring Boot makes one. */
class ApplicationDataSourceExampleTest {
    @RegisterExtension
    static final PgdockExtension PG = PgdockExtension.create();

    @Test
    void theExampleRunsOnTheApplicationsPoolAndLeavesItOpen() throws Exception {
        PG.jdbi().useHandle(h -> h.execute("CREATE SCHEMA IF NOT EXISTS ingest"));
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(PG.spec().jdbcUrl() + "?currentSchema=ingest");   // spring.datasource.url
        config.setUsername(PG.spec().user());
        config.setPassword(PG.spec().password().orElse(null));
        try (HikariDataSource application = new HikariDataSource(config)) {
            assertThat(ApplicationDataSourceExample.batchSize(application)).isEqualTo(1000);
            try (Storage storage = Storage.over(application, "ingest")) {
                ConfigStore.postgres(storage).put("ingest.batch_size", 250);
            }
            assertThat(ApplicationDataSourceExample.batchSize(application)).isEqualTo(250);
            assertThat(application.isClosed()).isFalse();
            try (Connection c = application.getConnection()) {
                assertThat(c.isValid(5)).isTrue();
            }
        }
    }
}
