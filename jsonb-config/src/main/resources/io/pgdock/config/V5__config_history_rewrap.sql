-- pgdock JSONB configuration store, module "config", version 5: re-wrapping the secrets of history rows.
--
-- ConfigStore.reencrypt moves every secret to the current master key. Current values go through the normal write path;
-- history rows cannot (a write appends history, it does not change it), yet after the old key is retired a history row
-- still sealed under it is unreadable, and a rollback to its version fails. So reencrypt rewrites history rows, and it
-- does so through this one function and nothing else, so that a deployment whose runtime role may only INSERT and
-- SELECT on config_history (V4) can use this single path: the function is SECURITY DEFINER, so it runs as the owner that
-- migrated (which V4's guard lets through), with its search_path pinned.
--
-- What it changes: old_value and new_value of one history row (scope, key, id), nothing else. id, scope, key, version,
-- kind, actor, reason, changed_at and tx stay as they are. What it accepts: a replacement that differs from the stored
-- value only inside secret envelopes ({"$pgdock_secret": {...}}): every other member, element and scalar, the shape of
-- every container, and which places hold a secret must be equal, else it raises check_violation (SQLSTATE 23514)
-- naming the row and the column. The database cannot check the envelopes' contents (it has no key); the caller, which
-- has, re-encrypts each secret's plaintext unchanged under the current key (a fresh data key wrapped by that key, a fresh
-- nonce, and the ciphertext of the same plaintext: the associated data binds the key id, so the ciphertext cannot stay).
-- Returns whether the row existed (retention may have removed it meanwhile).
--
-- Works on PostgreSQL 12 and later. Its search_path is pinned, and it names its table through this schema (@schema@
-- becomes it, quoted, as in V1).

-- The places of a value outside its secrets: (path, what is there). A container is recorded with its type and size, a
-- scalar with itself, a secret envelope with the marker 'secret'. Two values with the same set differ only inside
-- envelopes. Iterative (a recursive CTE), as values may nest 1000 levels.
CREATE FUNCTION pgdock_config_value_outline(p_value jsonb) RETURNS TABLE (path text[], what jsonb)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE node(path, value, envelope) AS (
        SELECT ARRAY[]::text[], p_value,
               jsonb_typeof(p_value) = 'object' AND p_value ? '$pgdock_secret' AND p_value - '$pgdock_secret' = '{}'::jsonb
        WHERE p_value IS NOT NULL
        UNION ALL
        SELECT n.path || c.key, c.value,
               jsonb_typeof(c.value) = 'object' AND c.value ? '$pgdock_secret'
               AND c.value - '$pgdock_secret' = '{}'::jsonb
        FROM node n
        CROSS JOIN LATERAL (
            SELECT o.key, o.value FROM jsonb_each(CASE WHEN jsonb_typeof(n.value) = 'object' AND NOT n.envelope
                                                      THEN n.value ELSE '{}'::jsonb END) o
            UNION ALL
            SELECT (a.ordinality - 1)::text, a.value
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(n.value) = 'array' THEN n.value ELSE '[]'::jsonb END)
                 WITH ORDINALITY a(value, ordinality)
        ) c
    )
    SELECT path,
           CASE WHEN envelope THEN '"secret"'::jsonb
                WHEN jsonb_typeof(value) = 'object' THEN jsonb_build_array('object', (SELECT count(*) FROM jsonb_object_keys(value)))
                WHEN jsonb_typeof(value) = 'array' THEN jsonb_build_array('array', jsonb_array_length(value))
                ELSE jsonb_build_array('scalar', value) END
    FROM node
$$;

DO $migration$
DECLARE
    v_schema text := quote_ident(current_schema());
BEGIN
    -- Whether two values (either may be null) are equal outside their secret envelopes: the same outline.
    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_same_outside_secrets(p_a jsonb, p_b jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (p_a IS NULL) = (p_b IS NULL)
       AND NOT EXISTS ((SELECT * FROM @schema@.pgdock_config_value_outline(p_a)
                        EXCEPT SELECT * FROM @schema@.pgdock_config_value_outline(p_b))
                       UNION ALL
                       (SELECT * FROM @schema@.pgdock_config_value_outline(p_b)
                        EXCEPT SELECT * FROM @schema@.pgdock_config_value_outline(p_a)))
$$
$function$, '@schema@', v_schema);

    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_history_rewrap(p_scope text, p_key text, p_id bigint, p_old_value jsonb,
                                             p_new_value jsonb) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row    record;
    v_column text;
BEGIN
    SELECT h.version, h.old_value, h.new_value INTO v_row
    FROM @schema@.config_history h
    WHERE h.scope = p_scope AND h.key = p_key AND h.id = p_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF NOT @schema@.pgdock_config_same_outside_secrets(v_row.old_value, p_old_value) THEN
        v_column := 'old_value';
    ELSIF NOT @schema@.pgdock_config_same_outside_secrets(v_row.new_value, p_new_value) THEN
        v_column := 'new_value';
    END IF;
    IF v_column IS NOT NULL THEN
        RAISE EXCEPTION 'pgdock_config_history_rewrap: history row % of config key "%" in scope "%" (version %): the'
            ' new % differs from the stored one outside its secrets; only secret envelopes may be rewritten',
            p_id, p_key, p_scope, v_row.version, v_column USING ERRCODE = 'check_violation';
    END IF;
    UPDATE @schema@.config_history h
    SET old_value = p_old_value, new_value = p_new_value
    WHERE h.scope = p_scope AND h.key = p_key AND h.id = p_id;
    RETURN true;
END
$$
$function$, '@schema@', v_schema);
END
$migration$;
