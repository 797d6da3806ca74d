-- pgdock JSONB configuration store, module "config", version 7: the hash chain's helpers made cheap.
--
-- V6's pgdock_config_hash_field was declared IMMUTABLE around convert_to (STABLE), and it and
-- pgdock_config_history_digest each pinned search_path. Either keeps PostgreSQL from inlining a SQL function, so every
-- history row paid for parsing and planning ten function bodies: about 110-200 µs per put on this project's machine
-- (BENCHMARKS.md, "What the history hash chain costs put"). hash_field is now STABLE without a SET clause, so it is
-- inlined; the digest becomes PL/pgSQL, which computes each value's canonical text once (an inlined hash_field would
-- otherwise evaluate its argument, the canonical text, three times) and keeps its plan. What they compute is unchanged,
-- so every hash written before stays valid (verifyHistory recomputes them in Java).
--
-- Without the pinned search_path they resolve built-in functions and operators by the caller's search_path, where
-- pg_catalog comes first unless a session lists it later itself. Such a session could only make its own rows' hashes
-- wrong, which verifyHistory (recomputing in Java) reports; it gains nothing. Functions of this schema are named by
-- schema, as before. Run as the schema's owner (V4). Works on PostgreSQL 12 and later.

ALTER FUNCTION pgdock_config_hash_field(text) STABLE RESET ALL;

DO $migration$
BEGIN
    EXECUTE replace($function$
CREATE OR REPLACE FUNCTION pgdock_config_history_digest(p_prev bytea, p_scope text, p_key text, p_version bigint,
                                                        p_kind text, p_old jsonb, p_new jsonb, p_actor text,
                                                        p_reason text, p_changed_at timestamptz) RETURNS bytea
    LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    v_old text := @schema@.pgdock_config_history_canon(p_old);
    v_new text := @schema@.pgdock_config_history_canon(p_new);
BEGIN
    RETURN sha256(convert_to('pgdock config_history v1', 'UTF8')
                  || CASE WHEN p_prev IS NULL THEN '\xffffffff'::bytea ELSE int4send(length(p_prev)) || p_prev END
                  || @schema@.pgdock_config_hash_field(p_scope) || @schema@.pgdock_config_hash_field(p_key)
                  || @schema@.pgdock_config_hash_field(p_version::text) || @schema@.pgdock_config_hash_field(p_kind)
                  || @schema@.pgdock_config_hash_field(v_old) || @schema@.pgdock_config_hash_field(v_new)
                  || @schema@.pgdock_config_hash_field(p_actor) || @schema@.pgdock_config_hash_field(p_reason)
                  || @schema@.pgdock_config_hash_field(
                         to_char(p_changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')));
END
$$
$function$, '@schema@', quote_ident(current_schema()));
END
$migration$;
