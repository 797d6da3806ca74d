package io.pgdock.examples;

import io.pgdock.core.MigrationSet;

/**
 * Spring Batch's job repository tables ({@code BATCH_JOB_INSTANCE}, {@code BATCH_JOB_EXECUTION},
 * {@code BATCH_STEP_EXECUTION}, their parameters and contexts, and three sequences) as a pgdock migration, so that they
 * live in the storage schema and are created the way pgdock's own tables are: once, at {@code Storage.open}, in one
 * transaction under the schema's advisory lock, however many workers start at once.
 * <pre>{@code
 * Storage storage = Storage.open(spec, StorageOptions.builder().addMigrations(SpringBatchTables.MIGRATIONS).build());
 * }</pre>
 *
 * <p>Spring Batch's queries name the tables without a schema ({@code BATCH_} is its default table prefix), and every
 * connection of a {@link io.pgdock.core.Storage} has the storage schema first on its {@code search_path}; so a
 * {@code JdbcJobRepositoryFactoryBean} on {@code storage.dataSource()} finds them there with no table prefix set, and
 * the job repository shares the storage's pool.
 *
 * <p>Version 1 is a verbatim copy of Spring Batch 6.0's {@code org/springframework/batch/core/schema-postgresql.sql}
 * (the same in 6.0.4 and 6.0.6), kept in this module rather than read from Spring Batch's jar: pgdock records each
 * applied migration's checksum, so a script that changed under a Spring Batch upgrade would make every later open fail
 * on a changed migration. {@code SpringBatchJobTest} checks that the copy is still the script of the Spring Batch on
 * the class path; when an upgrade changes that script, add its {@code migration/<version>/migration-postgresql.sql} as
 * version 2 instead of editing version 1.
 */
public final class SpringBatchTables {
    /** Module {@code spring-batch}: version 1, Spring Batch 6.0's schema. */
    public static final MigrationSet MIGRATIONS = MigrationSet.fromResources("spring-batch", SpringBatchTables.class,
            "spring-batch/V1__spring_batch_6_0_schema.sql");

    private SpringBatchTables() {
    }
}
