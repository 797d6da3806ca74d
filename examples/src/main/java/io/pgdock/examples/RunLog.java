package io.pgdock.examples;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * Records each run of a pipeline and each stage of a run in two tables of the storage schema, {@code pipeline_run} and
 * {@code pipeline_stage} (migration {@code V2__create_run_log.sql}), as an orchestrator's run history does: status
 * {@code running}, then {@code succeeded} or {@code failed}, the rows processed, when it started and finished, and the
 * error message of a failure.
 *
 * <pre>{@code
 * RunLog log = new RunLog(storage.jdbi());
 * long run = log.startRun("card-transactions");
 * log.stage(run, "eu", rows -> rows.add(copyEu()));   // failed, with the message and rows so far, if copyEu throws
 * log.finishRun(run, null);                           // or the failure
 * }</pre>
 *
 * <p>Each record is written in its own short transaction, so a stage's {@code running} row is visible while it runs
 * and its {@code failed} row survives the rollback of the stage's own work. Thread-safe.
 */
public final class RunLog {
    /** The longest error message kept; longer ones are cut. */
    static final int MAX_ERROR_LENGTH = 2_000;

    private final Jdbi jdbi;

    /**
     * @param jdbi the storage's Jdbi; its schema holds the two tables
     */
    public RunLog(Jdbi jdbi) {
        this.jdbi = Objects.requireNonNull(jdbi, "jdbi");
    }

    /**
     * One stage of a run as recorded.
     *
     * @param name the stage's name
     * @param status {@code running}, {@code succeeded} or {@code failed}
     * @param rowsProcessed the rows it processed (so far, if it failed)
     * @param startedAt when it started
     * @param finishedAt when it finished, or null while it runs
     * @param error the failure's message, or null
     */
    public record Stage(String name, String status, long rowsProcessed, Instant startedAt,
            @Nullable Instant finishedAt, @Nullable String error) {
        /** @return how long it ran, or empty while it runs */
        public Optional<Duration> duration() {
            return Optional.ofNullable(finishedAt).map(end -> Duration.between(startedAt, end));
        }
    }

    /**
     * One run as recorded.
     *
     * @param id the run's id
     * @param pipeline the pipeline's name
     * @param status {@code running}, {@code succeeded} or {@code failed}
     * @param startedAt when it started
     * @param finishedAt when it finished, or null while it runs
     * @param error the failure's message, or null
     * @param stages its stages in the order they started
     */
    public record Run(long id, String pipeline, String status, Instant startedAt, @Nullable Instant finishedAt,
            @Nullable String error, List<Stage> stages) {
        /** Copies the stages. */
        public Run {
            stages = List.copyOf(stages);
        }
    }

    /** Counts the rows a stage has processed, so that a failed stage records how far it got. Thread-safe. */
    public static final class Rows {
        private final AtomicLong count = new AtomicLong();

        /**
         * @param rows rows just processed
         */
        public void add(long rows) {
            count.addAndGet(rows);
        }

        /** @return the rows processed so far */
        public long count() {
            return count.get();
        }
    }

    /**
     * The work of one stage.
     *
     * @param <X> the checked exception it may throw
     */
    @FunctionalInterface
    public interface StageWork<X extends Exception> {
        /**
         * Does the stage's work.
         *
         * @param rows add the rows processed here as they are done
         * @throws X to fail the stage
         */
        void run(Rows rows) throws X;
    }

    /**
     * Records a new run as {@code running}.
     *
     * @param pipeline the pipeline's name
     * @return the run's id
     */
    public long startRun(String pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        return jdbi.withHandle(h -> h.createUpdate("insert into pipeline_run (pipeline, status) values (:p, 'running')")
                .bind("p", pipeline).executeAndReturnGeneratedKeys("run_id").mapTo(Long.class).one());
    }

    /**
     * Records the end of a run.
     *
     * @param runId the run
     * @param failure why it failed, or null if it succeeded
     * @throws IllegalArgumentException if there is no run {@code runId}
     */
    public void finishRun(long runId, @Nullable Throwable failure) {
        int updated = jdbi.withHandle(h -> h.createUpdate("update pipeline_run set status = :s, "
                        + "finished_at = clock_timestamp(), error = :e where run_id = :id")
                .bind("s", failure == null ? "succeeded" : "failed").bind("e", message(failure)).bind("id", runId)
                .execute());
        if (updated == 0) {
            throw new IllegalArgumentException("runId: no such run in pipeline_run, but was " + runId);
        }
    }

    /**
     * Runs one stage of a run: records it as {@code running}, runs {@code work}, and records it as {@code succeeded},
     * or as {@code failed} with the exception's message, which is then rethrown unchanged. Either way the rows
     * {@code work} added are recorded.
     *
     * @param runId the run
     * @param name the stage's name
     * @param work the stage's work
     * @param <X> the checked exception {@code work} may throw
     * @return the rows processed
     * @throws X if {@code work} throws it
     */
    public <X extends Exception> long stage(long runId, String name, StageWork<X> work) throws X {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(work, "work");
        long stageId = jdbi.withHandle(h -> h.createUpdate(
                        "insert into pipeline_stage (run_id, name, status) values (:run, :name, 'running')")
                .bind("run", runId).bind("name", name).executeAndReturnGeneratedKeys("stage_id").mapTo(Long.class).one());
        Rows rows = new Rows();
        try {
            work.run(rows);
        } catch (Exception | Error e) {
            try {
                finishStage(stageId, rows.count(), e);
            } catch (RuntimeException recordFailure) {
                e.addSuppressed(recordFailure);
            }
            throw e;
        }
        finishStage(stageId, rows.count(), null);
        return rows.count();
    }

    private void finishStage(long stageId, long rows, @Nullable Throwable failure) {
        jdbi.useHandle(h -> h.createUpdate("update pipeline_stage set status = :s, rows_processed = :rows, "
                        + "finished_at = clock_timestamp(), error = :e where stage_id = :id")
                .bind("s", failure == null ? "succeeded" : "failed").bind("rows", rows).bind("e", message(failure))
                .bind("id", stageId).execute());
    }

    /**
     * Reads a run and its stages.
     *
     * @param runId the run
     * @return the run, or empty if there is none with this id
     */
    public Optional<Run> run(long runId) {
        return jdbi.withHandle(h -> {
            List<Stage> stages = h.createQuery("select name, status, rows_processed, started_at, finished_at, error "
                            + "from pipeline_stage where run_id = :id order by stage_id")
                    .bind("id", runId)
                    .map((rs, ctx) -> new Stage(rs.getString(1), rs.getString(2), rs.getLong(3),
                            rs.getTimestamp(4).toInstant(), instant(rs.getTimestamp(5)), rs.getString(6)))
                    .list();
            return h.createQuery("select pipeline, status, started_at, finished_at, error from pipeline_run "
                            + "where run_id = :id")
                    .bind("id", runId)
                    .map((rs, ctx) -> new Run(runId, rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(),
                            instant(rs.getTimestamp(4)), rs.getString(5), stages))
                    .findOne();
        });
    }

    /**
     * Reads the latest run of a pipeline and its stages.
     *
     * @param pipeline the pipeline's name
     * @return the run, or empty if the pipeline never ran
     */
    public Optional<Run> latestRun(String pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        return jdbi.withHandle(h -> h.createQuery(
                        "select run_id from pipeline_run where pipeline = :p order by run_id desc limit 1")
                        .bind("p", pipeline).mapTo(Long.class).findOne())
                .flatMap(this::run);
    }

    private static @Nullable Instant instant(java.sql.@Nullable Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /** The failure's class and message, cut to {@link #MAX_ERROR_LENGTH}. */
    static @Nullable String message(@Nullable Throwable failure) {
        if (failure == null) {
            return null;
        }
        String text = failure.getMessage() == null ? failure.getClass().getName()
                : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        return text.length() <= MAX_ERROR_LENGTH ? text : text.substring(0, MAX_ERROR_LENGTH - 3) + "...";
    }
}
