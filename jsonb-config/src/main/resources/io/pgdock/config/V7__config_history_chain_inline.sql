-- pgdock JSONB configuration store, module "config", version 7: the hash chain's SQL helpers inlined.
--
-- V6's pgdock_config_hash_field was declared IMMUTABLE around convert_to (STABLE), and it and
-- pgdock_config_history_digest each pinned search_path. Either keeps PostgreSQL from inlining a SQL function, so every
-- history row paid for parsing and planning ten function bodies: 150-220 µs per row on this project's CI machine
-- (BENCHMARKS.md, "History hash chain"). Declared STABLE, without a SET clause, both are inlined into the chain
-- trigger's cached plan; what they compute is unchanged, so every hash written before stays valid.
--
-- Without the pinned search_path they resolve built-in functions and operators by the caller's search_path, where
-- pg_catalog comes first unless a session lists it later itself. Such a session could only make its own rows' hashes
-- wrong, which verifyHistory (recomputing in Java) reports; it gains nothing. Functions of this schema are named by
-- schema, as before. Run as the schema's owner (V4). Works on PostgreSQL 12 and later.

ALTER FUNCTION pgdock_config_hash_field(text) STABLE RESET ALL;

ALTER FUNCTION pgdock_config_history_digest(bytea, text, text, bigint, text, jsonb, jsonb, text, text, timestamptz)
    RESET ALL;
