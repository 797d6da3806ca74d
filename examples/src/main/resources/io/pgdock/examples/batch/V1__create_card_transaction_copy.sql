-- The output of the Spring Batch example (CardTransactionsBatchJob): card transactions copied from a named source, one
-- row per source and id. The job's target table (config key batch.target_table) may be any table of these columns.
CREATE TABLE card_transaction_copy (
    source      text           NOT NULL,
    id          bigint         NOT NULL,
    card_last4  text           NOT NULL,
    amount      numeric(12, 2) NOT NULL,
    currency    text           NOT NULL,
    occurred_at timestamptz    NOT NULL,
    PRIMARY KEY (source, id)
);
