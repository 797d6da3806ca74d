-- pgdock JSONB configuration store, module "config", version 4: config_history is append-only, enforced by the database.
--
-- Run as the schema's owner (two-role deployments: Provisioning.withOwner, then 'pgdock migrate' with the owner's URL or
-- StorageOptions.migrationSpec). Afterwards a role that does not own config_history (the runtime role):
--   * may only SELECT and INSERT it: UPDATE, DELETE, TRUNCATE, REFERENCES and TRIGGER are revoked from every role but
--     the owner, and a guard trigger refuses UPDATE, DELETE and TRUNCATE with 42501 for any role that does not have the
--     owner's privileges, even one a later GRANT (or an upgrade by provisioning again) gave them to;
--   * cannot ALTER (DISABLE TRIGGER), DROP or replace the functions: PostgreSQL allows that to the owner alone;
--   * keeps its retention (ConfigOptions.retention: keep_versions / max_age_us): the audit trigger no longer deletes
--     history rows itself but calls pgdock_config_trim, a SECURITY DEFINER function owned by the migrating role, with its
--     search_path pinned to pg_catalog, pg_temp; it deletes only one key's oldest rows, and never that key's newest.
--
-- In a single-role deployment the runtime role is the owner, so none of this binds it (RELIABILITY.md, "Audit trail").
-- A later version can add a hash chain: the audit trigger is the one writer of history rows, and trimming goes through
-- one function that can record what it removed.

DO $migration$
DECLARE
    v_schema text := quote_ident(current_schema());
    v_grant  record;
BEGIN
    -- Retention, as the owner. Same rules as V1's trigger had; a keep below 1 or a null keeps every row, and the key's
    -- newest row is never removed, so a direct call cannot empty a key's history.
    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_trim(p_scope text, p_key text, p_keep integer, p_age_us bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_newest bigint;
BEGIN
    SELECT h.id INTO v_newest FROM @schema@.config_history h
    WHERE h.scope = p_scope AND h.key = p_key ORDER BY h.id DESC LIMIT 1;
    IF v_newest IS NULL THEN
        RETURN;
    END IF;
    IF p_keep > 0 THEN
        DELETE FROM @schema@.config_history h
        WHERE h.scope = p_scope AND h.key = p_key AND h.id < v_newest
          AND h.id <= (SELECT n.id FROM @schema@.config_history n WHERE n.scope = p_scope AND n.key = p_key
                       ORDER BY n.id DESC OFFSET p_keep LIMIT 1);
    END IF;
    IF p_age_us IS NOT NULL AND p_age_us >= 0 THEN
        -- Hours, then the remaining microseconds: exact (no float rounding, no calendar days), and never before
        -- 4713 BC, where timestamptz ends (ages beyond 50,000,000 hours keep every row younger than ~3700 BC).
        DELETE FROM @schema@.config_history h
        WHERE h.scope = p_scope AND h.key = p_key AND h.id < v_newest
          AND h.changed_at < now()
                             - make_interval(hours => least(p_age_us / 3600000000, 50000000)::integer)
                             - (p_age_us % 3600000000) * interval '1 microsecond';
    END IF;
END
$$
$function$, '@schema@', v_schema);

    -- The guard: a role without the owner's privileges may not change or remove history rows, whatever was granted.
    -- The trimming function runs as the owner, so it passes.
    EXECUTE $function$
CREATE FUNCTION pgdock_config_history_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied: config_history is append-only; % by role % refused', TG_OP, current_user
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'history rows are removed only by the store''s retention (pgdock_config_trim)';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$
$function$;

    -- The audit trigger of V1, with retention through pgdock_config_trim instead of its own DELETEs.
    EXECUTE replace($function$
CREATE OR REPLACE FUNCTION pgdock_config_entry_audit() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    v_reason text := nullif(pg_catalog.current_setting('pgdock_config.reason', true), '');
    v_keep   integer := nullif(pg_catalog.current_setting('pgdock_config.keep_versions', true), '')::integer;
    v_age_us bigint := nullif(pg_catalog.current_setting('pgdock_config.max_age_us', true), '')::bigint;
    v_scope  text;
    v_key    text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_scope := OLD.scope;
        v_key := OLD.key;
        INSERT INTO @schema@.config_history (scope, key, version, kind, old_value, new_value, actor, reason, changed_at)
        VALUES (OLD.scope, OLD.key, OLD.version, 'DELETE', OLD.value, NULL,
                coalesce(nullif(pg_catalog.current_setting('pgdock_config.actor', true), ''),
        current_user::text
        || coalesce(' (' || nullif(pg_catalog.current_setting('application_name'), '') || ')', '')), v_reason,
                pg_catalog.now());
    ELSE
        v_scope := NEW.scope;
        v_key := NEW.key;
        IF TG_OP = 'UPDATE' AND NEW.scope = OLD.scope AND NEW.key = OLD.key THEN
            INSERT INTO @schema@.config_history (scope, key, version, kind, old_value, new_value, actor, reason,
                                                 changed_at)
            VALUES (NEW.scope, NEW.key, NEW.version, 'UPDATE', OLD.value, NEW.value, NEW.updated_by, v_reason,
                    NEW.updated_at);
        ELSE
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO @schema@.config_history (scope, key, version, kind, old_value, new_value, actor, reason,
                                                     changed_at)
                VALUES (OLD.scope, OLD.key, OLD.version, 'DELETE', OLD.value, NULL, NEW.updated_by, v_reason,
                        NEW.updated_at);
            END IF;
            INSERT INTO @schema@.config_history (scope, key, version, kind, old_value, new_value, actor, reason,
                                                 changed_at)
            VALUES (NEW.scope, NEW.key, NEW.version, 'CREATE', NULL, NEW.value, NEW.updated_by, v_reason,
                    NEW.updated_at);
        END IF;
    END IF;

    IF v_keep > 0 OR v_age_us IS NOT NULL THEN
        PERFORM @schema@.pgdock_config_trim(v_scope, v_key, v_keep, v_age_us);
    END IF;
    RETURN NULL;
END
$$
$function$, '@schema@', v_schema);

    -- Every privilege on history but SELECT and INSERT is withdrawn from everyone but the owner.
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON config_history FROM PUBLIC';
    FOR v_grant IN
        SELECT DISTINCT a.grantee::regrole AS grantee
        FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
        WHERE c.oid = 'config_history'::regclass AND a.grantee <> 0 AND a.grantee <> c.relowner
    LOOP
        EXECUTE pg_catalog.format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON config_history FROM %s',
                                  v_grant.grantee);
    END LOOP;
END
$migration$;

CREATE TRIGGER config_history_guard
    BEFORE UPDATE OR DELETE ON config_history
    FOR EACH ROW EXECUTE FUNCTION pgdock_config_history_guard();

CREATE TRIGGER config_history_guard_truncate
    BEFORE TRUNCATE ON config_history
    FOR EACH STATEMENT EXECUTE FUNCTION pgdock_config_history_guard();
