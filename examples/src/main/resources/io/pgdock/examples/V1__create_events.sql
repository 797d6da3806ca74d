-- The example pipeline's business table. Applied once by Storage.open through the migration mechanism.
CREATE TABLE events (
    id          bigint PRIMARY KEY,
    region      text        NOT NULL,
    amount      numeric(12, 2) NOT NULL,
    note        text,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX events_region ON events (region);
