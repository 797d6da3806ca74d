-- pgdock JSONB configuration store, module "config", version 1.
--
-- Runs in the storage schema: the migrator sets search_path to it, so the names here are unqualified (the trigger
-- functions alone name the schema in their bodies; see there). Works on PostgreSQL 12 and later.
--
-- Versioning and the audit trail are done by triggers, so an edit made with plain SQL (INSERT, UPDATE or DELETE on
-- config_entry) is versioned and recorded exactly like a write through ConfigStore. Who and why come from settings the
-- writer makes in its transaction:
--
--   SELECT set_config('pgdock_config.actor', 'alice', true), set_config('pgdock_config.reason', 'raise limit', true);
--
-- Without them the actor is current_user plus the application_name, e.g. "alice (psql)", and the reason is null. The
-- store also passes its history retention the same way (pgdock_config.keep_versions, pgdock_config.max_age_us); plain
-- SQL edits keep all history unless they set those too.

-- Keys and scopes are compared and sorted bytewise (COLLATE "C"), which for their character set is Java's
-- String.compareTo order. The checks repeat the store's own validation, so rows written with plain SQL obey it too.
CREATE TABLE config_entry (
    scope      text COLLATE "C" NOT NULL
               CONSTRAINT config_entry_scope_check
               CHECK (length(scope) <= 256 AND scope ~ '^([A-Za-z0-9._:-]+(/[A-Za-z0-9._:-]+)*)?$'),
    key        text COLLATE "C" NOT NULL
               CONSTRAINT config_entry_key_check
               CHECK (length(key) BETWEEN 1 AND 256 AND key ~ '^[A-Za-z0-9._:/-]+$'),
    value      jsonb NOT NULL,
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL,
    -- Key first: reads look a key up in a few scopes, and list() walks keys in order across scopes, so this one index
    -- serves both (and a write maintains one index, not two).
    PRIMARY KEY (key, scope)
);

CREATE TABLE config_history (
    id         bigserial,
    scope      text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    version    bigint NOT NULL,
    kind       text NOT NULL CONSTRAINT config_history_kind_check CHECK (kind IN ('CREATE', 'UPDATE', 'DELETE')),
    old_value  jsonb,
    new_value  jsonb,
    actor      text NOT NULL,
    reason     text,
    changed_at timestamptz NOT NULL,
    -- history() reads one key newest first and retention trims one key's oldest rows: both walk this index, the only
    -- one, so the insert every write makes maintains a single index.
    PRIMARY KEY (scope, key, id)
);

-- Who is writing: the transaction's pgdock_config.actor, else current_user (application_name). current_setting(..., true)
-- gives '' rather than null once the setting has been used in the session, so '' counts as unset.
CREATE FUNCTION pgdock_config_actor() RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(nullif(pg_catalog.current_setting('pgdock_config.actor', true), ''),
                    current_user::text
                    || coalesce(' (' || nullif(pg_catalog.current_setting('application_name'), '') || ')', ''))
$$;

-- The trigger functions. Their bodies name this schema (@schema@ below becomes it, quoted), so that a plain-SQL edit
-- from a session whose search_path lacks the schema (UPDATE "schema".config_entry ...) is recorded here all the same,
-- and cannot reach a config_history table elsewhere on that search_path. Baking the name in costs nothing per call,
-- unlike pinning the functions' search_path with SET, which PostgreSQL applies and undoes around every call.
DO $migration$
DECLARE
    v_schema text := quote_ident(current_schema());
BEGIN
    -- BEFORE INSERT OR UPDATE: the version, time and author are the trigger's, whatever the statement set. An update
    -- is the old version plus one; a new key (or a row moved to another scope or key) continues after the newest
    -- version in that key's history, or starts at 1.
    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_entry_stamp() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.scope = OLD.scope AND NEW.key = OLD.key THEN
        NEW.version := OLD.version + 1;
    ELSIF EXISTS (SELECT FROM @schema@.config_entry l WHERE l.key = NEW.key AND l.scope = NEW.scope) THEN
        -- An insert of a live key: it becomes the ON CONFLICT update (whose own firing of this trigger sets the
        -- version) or fails, so this version is never stored; the cheap primary-key probe spares the history lookup.
        NEW.version := 1;
    ELSE
        -- A key that lived before continues its numbering from its newest history row (versions only grow, so that
        -- row has the highest), so a compare-and-set holding a version of the key's earlier life cannot succeed.
        NEW.version := coalesce((SELECT h.version FROM @schema@.config_history h
                                 WHERE h.scope = NEW.scope AND h.key = NEW.key
                                 ORDER BY h.id DESC LIMIT 1), 0) + 1;
    END IF;
    NEW.updated_at := pg_catalog.now();
    -- The same expression as pgdock_config_actor(), inline: calling a SQL function from PL/pgSQL costs a query.
    NEW.updated_by := coalesce(nullif(pg_catalog.current_setting('pgdock_config.actor', true), ''),
        current_user::text
        || coalesce(' (' || nullif(pg_catalog.current_setting('application_name'), '') || ')', ''));
    RETURN NEW;
END
$$
$function$, '@schema@', v_schema);

    -- AFTER INSERT OR UPDATE OR DELETE: one history row per change (two when an update moves a row to another key: a
    -- DELETE of the old key and a CREATE of the new one), then the writer's retention for that key: keep the newest
    -- pgdock_config.keep_versions rows, drop rows older than pgdock_config.max_age_us microseconds. The actor of an
    -- insert or update is the one the BEFORE trigger stamped on the row.
    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_entry_audit() RETURNS trigger
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

    IF v_keep > 0 THEN
        DELETE FROM @schema@.config_history h
        WHERE h.scope = v_scope AND h.key = v_key
          AND h.id <= (SELECT n.id FROM @schema@.config_history n WHERE n.scope = v_scope AND n.key = v_key
                       ORDER BY n.id DESC OFFSET v_keep LIMIT 1);
    END IF;
    IF v_age_us IS NOT NULL THEN
        -- Hours, then the remaining microseconds: exact (no float rounding, no calendar days), and never before
        -- 4713 BC, where timestamptz ends (ages beyond 50,000,000 hours keep every row younger than ~3700 BC).
        DELETE FROM @schema@.config_history h
        WHERE h.scope = v_scope AND h.key = v_key
          AND h.changed_at < pg_catalog.now()
                             - pg_catalog.make_interval(hours => least(v_age_us / 3600000000, 50000000)::integer)
                             - (v_age_us % 3600000000) * interval '1 microsecond';
    END IF;
    RETURN NULL;
END
$$
$function$, '@schema@', v_schema);
END
$migration$;

CREATE TRIGGER config_entry_stamp
    BEFORE INSERT OR UPDATE ON config_entry
    FOR EACH ROW EXECUTE FUNCTION pgdock_config_entry_stamp();

CREATE TRIGGER config_entry_audit
    AFTER INSERT OR UPDATE OR DELETE ON config_entry
    FOR EACH ROW EXECUTE FUNCTION pgdock_config_entry_audit();
