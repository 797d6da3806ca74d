-- The example pipeline's reference table and its output, in the storage schema. Applied once by Storage.open.

-- Merchant look-up: the reference data each card transaction is enriched with.
CREATE TABLE merchant (
    merchant_id integer PRIMARY KEY,
    name        text    NOT NULL,
    category    text    NOT NULL,
    country     text    NOT NULL
);

-- Card transactions from every source, enriched with their merchant. A source's rows are replaced as a whole by
-- each run, in one transaction.
CREATE TABLE enriched_transaction (
    source            text           NOT NULL,
    id                bigint         NOT NULL,
    card_last4        text           NOT NULL,
    amount            numeric(12, 2) NOT NULL,
    currency          text           NOT NULL,
    occurred_at       timestamptz    NOT NULL,
    merchant_id       integer        NOT NULL,
    merchant_name     text,                      -- null when the merchant is not in the look-up
    merchant_category text,
    merchant_country  text,
    PRIMARY KEY (source, id)
);
