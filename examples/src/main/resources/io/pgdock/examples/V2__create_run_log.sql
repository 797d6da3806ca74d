-- Every run of a pipeline and every stage of a run, with its status, rows processed and error message.
CREATE TABLE pipeline_run (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline    text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    error       text
);

CREATE TABLE pipeline_stage (
    stage_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         bigint      NOT NULL REFERENCES pipeline_run ON DELETE CASCADE,
    name           text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    rows_processed bigint      NOT NULL DEFAULT 0,
    started_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at    timestamptz,
    error          text
);
CREATE INDEX pipeline_stage_run ON pipeline_stage (run_id);
