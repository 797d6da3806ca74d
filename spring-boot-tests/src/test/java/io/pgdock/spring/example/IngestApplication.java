package io.pgdock.spring.example;

import io.pgdock.config.ConfigStore;
import io.pgdock.core.Storage;
import io.pgdock.datasource.DataSourceFactory;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** The README's Spring Boot application: the three resources injected, configured by example-application.properties. */
// spring-boot-example: begin
@SpringBootApplication
public class IngestApplication {
    public static void main(String[] args) {
        SpringApplication.run(IngestApplication.class, args);
    }

    @Bean
    ApplicationRunner ingest(Storage storage, ConfigStore configs, DataSourceFactory sources) {
        return args -> {
            int batch = configs.get("ingest.batch_size", Integer.class).orElse(1000);
            long rows = sources.jdbi("warehouse").withHandle(h ->
                    h.createQuery("select count(*) from sales").mapTo(Long.class).one());
            storage.jdbi().useHandle(h ->
                    h.execute("insert into runs (batch_size, source_rows) values (?, ?)", batch, rows));
        };
    }
}
// spring-boot-example: end
