-- pgdock JSONB configuration store, module "config", version 3: JSON Merge Patch (RFC 7386) in the database.
--
-- Independent of version 2: it only adds a function, which ConfigStore.patch uses in the single UPDATE (or INSERT) that
-- applies a patch, so the merge is computed on the row's newest version under its row lock and two writers patching
-- different members of one value both win. Works on PostgreSQL 12 and later. Plain SQL can use it too:
--
--   UPDATE config_entry SET value = pgdock_config_merge_patch(value, '{"pool": {"max": 20}}')
--   WHERE scope = '' AND key = 'db.settings';
--
-- Rules (RFC 7386, section 2): a patch that is not an object replaces the target; an object patch is merged member by
-- member into the target (into {} when the target is not an object or is SQL NULL), a member whose patch value is null
-- is removed, and an object member is merged recursively. One exception: a secret envelope, an object whose single
-- member is "$pgdock_secret", is opaque. As a patch (or a member of one) it replaces the target as a whole; as a target
-- it counts as a non-object, so nothing is ever merged into an envelope. The Java class JsonPatches does the same.
--
-- Iterative, not recursive: PL/pgSQL recursion uses the C stack, and values may nest 1000 levels. A recursive CTE lists
-- every member of the patch with its path, parents before children; then each is applied in that order: null removes
-- the member, an object member makes sure the target has a plain object there (replacing whatever else is there), any
-- other value is set as it is. Each step copies the value (jsonb_set), which for configuration values is cheap.
-- The function names no table. Its own search_path is pg_catalog alone: pgdock's sessions search the storage schema
-- first, and no function or operator there may stand in for the jsonb ones it calls.
CREATE FUNCTION pgdock_config_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_result jsonb;
    v_op     record;
BEGIN
    IF patch IS NULL THEN
        RAISE EXCEPTION 'pgdock_config_merge_patch: the patch is SQL NULL (write ''null''::jsonb for JSON null)'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- Mergeable: an object that is not a secret envelope (an envelope minus its member is '{}' but is not '{}' itself).
    IF NOT (jsonb_typeof(patch) = 'object' AND (patch = '{}'::jsonb OR patch - '$pgdock_secret' <> '{}'::jsonb)) THEN
        RETURN patch;
    END IF;
    IF coalesce(jsonb_typeof(target) = 'object' AND (target = '{}'::jsonb OR target - '$pgdock_secret' <> '{}'::jsonb),
                false) THEN
        v_result := target;
    ELSE
        v_result := '{}'::jsonb;
    END IF;
    FOR v_op IN
        WITH RECURSIVE member(path, value, mergeable) AS (
            SELECT ARRAY[m.key], m.value,
                   jsonb_typeof(m.value) = 'object' AND (m.value = '{}'::jsonb OR m.value - '$pgdock_secret' <> '{}'::jsonb)
            FROM jsonb_each(patch) m
            UNION ALL
            SELECT p.path || m.key, m.value,
                   jsonb_typeof(m.value) = 'object' AND (m.value = '{}'::jsonb OR m.value - '$pgdock_secret' <> '{}'::jsonb)
            FROM member p
            CROSS JOIN LATERAL jsonb_each(CASE WHEN p.mergeable THEN p.value ELSE '{}'::jsonb END) m
        )
        SELECT path, value, mergeable FROM member ORDER BY cardinality(path)
    LOOP
        IF v_op.value = 'null'::jsonb THEN
            v_result := v_result #- v_op.path;
        ELSIF v_op.mergeable THEN
            IF NOT coalesce(jsonb_typeof(v_result #> v_op.path) = 'object'
                            AND ((v_result #> v_op.path) = '{}'::jsonb
                                 OR (v_result #> v_op.path) - '$pgdock_secret' <> '{}'::jsonb), false) THEN
                v_result := jsonb_set(v_result, v_op.path, '{}'::jsonb);
            END IF;
        ELSE
            v_result := jsonb_set(v_result, v_op.path, v_op.value);
        END IF;
    END LOOP;
    RETURN v_result;
END
$$;
