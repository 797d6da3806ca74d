/**
 * Runnable examples of pgdock.
 *
 * <ul>
 *   <li>{@link io.pgdock.examples.ExamplePipeline}: the README's first command, six steps that use the whole library
 *       (provisioning, Storage and migrations, configuration with secrets, dynamic connections, a pipeline with a run
 *       log, live configuration, health). It calls {@link io.pgdock.examples.SampleSources} (sample databases and
 *       reference data), {@link io.pgdock.examples.CardTransactionsPipeline} (the pipeline proper, which takes its
 *       three resources and so can be tested with fakes) and {@link io.pgdock.examples.RunLog} (runs and stages),
 *       and resolves source names through the connection registry.</li>
 *   <li>{@link io.pgdock.examples.CardTransactionsBatchJob}: a Spring Batch job (no Spring Boot) whose job repository
 *       lives in the storage schema, created by the migration {@link io.pgdock.examples.SpringBatchTables}, and whose
 *       step reads its settings from the config store and its source from the factory.</li>
 *   <li>{@link io.pgdock.examples.ReadmeExample}, {@link io.pgdock.examples.DynamicConnectionsExample},
 *       {@link io.pgdock.examples.ConnectionRegistryExample}, {@link io.pgdock.examples.EnvironmentOverridesExample}
 *       and {@link io.pgdock.examples.ConfigPatchExportExample}: the code shown in the READMEs, compiled here and kept
 *       identical to the READMEs by a test.</li>
 * </ul>
 *
 * <p>The tests show how to test pipelines: {@code CardTransactionsPipelineTest} replaces each resource with its fake.
 */
@NullMarked
package io.pgdock.examples;

import org.jspecify.annotations.NullMarked;
