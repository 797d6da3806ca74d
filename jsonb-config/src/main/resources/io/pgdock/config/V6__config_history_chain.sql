-- pgdock JSONB configuration store, module "config", version 6: a hash chain over config_history.
--
-- Privileges (V4) keep the runtime role from changing history; they cannot keep out a superuser, the owner, or someone
-- editing a restored copy. So every history row now carries two more columns, written by a BEFORE INSERT trigger:
--
--   prev_hash  the hash of the previous row of the same (scope, key) in id order; null for a key's first row, or, once
--              retention removed a key's oldest rows, the hash of the last one removed (kept in config_history_anchor);
--   hash       sha256 over prev_hash and the row: scope, key, version, kind, old_value, new_value, actor, reason and
--              changed_at (pgdock_config_history_digest below is the exact definition).
--
-- ConfigStore.verifyHistory recomputes every hash in Java (it does not trust these functions) and checks each link, each
-- version step and that the newest row matches the current entry, so an edited, removed, inserted or reordered row shows
-- as a broken link at (scope, key, version). Secret envelopes are hashed as {"$pgdock_secret": null}: reencrypt rewrites
-- them in place (V5) without touching the chain, and their contents are authenticated by AES-GCM, bound to their scope
-- and key. The chain is one per key, so writers of different keys never wait for each other; what it cannot show without
-- a copy kept elsewhere (a key's whole history recomputed, or removed together with its entry) is in RELIABILITY.md.
--
-- Rows written before this migration are chained here, oldest first. Run as the schema's owner (V4). Works on PostgreSQL
-- 12 and later (sha256 is built in since 11). Function bodies name this schema (@schema@ becomes it, quoted), as in V1.

ALTER TABLE config_history ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

-- Where retention stopped: per key, the version and hash of the newest row it removed. Written only by
-- pgdock_config_trim (the owner's); every other role may only read it.
CREATE TABLE config_history_anchor (
    scope      text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    version    bigint NOT NULL,
    hash       bytea,
    trimmed_at timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);

-- One field of the hashed text: its length in UTF-8 bytes (4 bytes, big-endian; -1 for null), then the bytes.
CREATE FUNCTION pgdock_config_hash_field(p_text text) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN p_text IS NULL THEN '\xffffffff'::bytea
                ELSE int4send(octet_length(convert_to(p_text, 'UTF8'))) || convert_to(p_text, 'UTF8') END
$$;

DO $migration$
DECLARE
    v_schema text := quote_ident(current_schema());
    v_grant  record;
    v_row    record;
    v_prev   bytea;
    v_hash   bytea;
    v_scope  text;
    v_key    text;
BEGIN
    -- A value as hashed: its jsonb text, with every secret envelope replaced by {"$pgdock_secret": null}.
    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_history_canon(p_value jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_text   text;
    v_result jsonb := p_value;
    v_path   text[];
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    v_text := p_value::text;
    IF strpos(v_text, '"$pgdock_secret"') = 0 THEN
        RETURN v_text;
    END IF;
    FOR v_path IN SELECT o.path FROM @schema@.pgdock_config_value_outline(p_value) o WHERE o.what = '"secret"'::jsonb
    LOOP
        IF cardinality(v_path) = 0 THEN
            RETURN '{"$pgdock_secret": null}';
        END IF;
        v_result := jsonb_set(v_result, v_path, '{"$pgdock_secret": null}'::jsonb);
    END LOOP;
    RETURN v_result::text;
END
$$
$function$, '@schema@', v_schema);

    -- The hash of one row. changed_at is written in UTC with microseconds, whatever the session's TimeZone.
    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_history_digest(p_prev bytea, p_scope text, p_key text, p_version bigint, p_kind text,
                                             p_old jsonb, p_new jsonb, p_actor text, p_reason text,
                                             p_changed_at timestamptz) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT sha256(convert_to('pgdock config_history v1', 'UTF8')
                  || CASE WHEN p_prev IS NULL THEN '\xffffffff'::bytea ELSE int4send(length(p_prev)) || p_prev END
                  || @schema@.pgdock_config_hash_field(p_scope) || @schema@.pgdock_config_hash_field(p_key)
                  || @schema@.pgdock_config_hash_field(p_version::text) || @schema@.pgdock_config_hash_field(p_kind)
                  || @schema@.pgdock_config_hash_field(@schema@.pgdock_config_history_canon(p_old))
                  || @schema@.pgdock_config_hash_field(@schema@.pgdock_config_history_canon(p_new))
                  || @schema@.pgdock_config_hash_field(p_actor) || @schema@.pgdock_config_hash_field(p_reason)
                  || @schema@.pgdock_config_hash_field(
                         to_char(p_changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')))
$$
$function$, '@schema@', v_schema);

    -- BEFORE INSERT on config_history: link the row to its key's newest row (or the retention anchor) and hash it,
    -- whatever the statement set. Writers of one key are serialised by its config_entry row, so the newest row read
    -- here is the one committed before.
    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_history_chain() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    v_prev bytea;
BEGIN
    SELECT h.hash INTO v_prev FROM @schema@.config_history h
    WHERE h.scope = NEW.scope AND h.key = NEW.key ORDER BY h.id DESC LIMIT 1;
    IF NOT FOUND THEN
        SELECT a.hash INTO v_prev FROM @schema@.config_history_anchor a WHERE a.scope = NEW.scope AND a.key = NEW.key;
    END IF;
    NEW.prev_hash := v_prev;
    NEW.hash := @schema@.pgdock_config_history_digest(v_prev, NEW.scope, NEW.key, NEW.version, NEW.kind,
                                                      NEW.old_value, NEW.new_value, NEW.actor, NEW.reason,
                                                      NEW.changed_at);
    RETURN NEW;
END
$$
$function$, '@schema@', v_schema);

    -- Retention (V4's rules), now removing a prefix of the key's rows in id order, so the chain has no hole, and
    -- recording where it stopped. The age rule removes the rows before the oldest row young enough to stay (a row
    -- written by a long transaction can be older than the one before it; it is kept rather than the chain broken).
    EXECUTE replace($function$
CREATE OR REPLACE FUNCTION pgdock_config_trim(p_scope text, p_key text, p_keep integer, p_age_us bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_newest bigint;
    v_cut    bigint;
    v_young  bigint;
    v_last   record;
BEGIN
    SELECT h.id INTO v_newest FROM @schema@.config_history h
    WHERE h.scope = p_scope AND h.key = p_key ORDER BY h.id DESC LIMIT 1;
    IF v_newest IS NULL THEN
        RETURN;
    END IF;
    IF p_keep > 0 THEN
        SELECT n.id INTO v_cut FROM @schema@.config_history n WHERE n.scope = p_scope AND n.key = p_key
        ORDER BY n.id DESC OFFSET p_keep LIMIT 1;
    END IF;
    IF p_age_us IS NOT NULL AND p_age_us >= 0 THEN
        SELECT h.id INTO v_young FROM @schema@.config_history h
        WHERE h.scope = p_scope AND h.key = p_key
          AND h.changed_at >= now()
                              - make_interval(hours => least(p_age_us / 3600000000, 50000000)::integer)
                              - (p_age_us % 3600000000) * interval '1 microsecond'
        ORDER BY h.id LIMIT 1;
        v_cut := greatest(v_cut, (SELECT max(h.id) FROM @schema@.config_history h
                                  WHERE h.scope = p_scope AND h.key = p_key AND h.id < coalesce(v_young, v_newest)));
    END IF;
    IF v_cut IS NULL THEN
        RETURN;
    END IF;
    SELECT h.version, h.hash INTO v_last FROM @schema@.config_history h
    WHERE h.scope = p_scope AND h.key = p_key AND h.id = v_cut;
    INSERT INTO @schema@.config_history_anchor AS a (scope, key, version, hash, trimmed_at)
    VALUES (p_scope, p_key, v_last.version, v_last.hash, now())
    ON CONFLICT (scope, key) DO UPDATE SET version = excluded.version, hash = excluded.hash,
                                           trimmed_at = excluded.trimmed_at;
    DELETE FROM @schema@.config_history h WHERE h.scope = p_scope AND h.key = p_key AND h.id <= v_cut;
END
$$
$function$, '@schema@', v_schema);

    -- V4's guard, now also on the anchor table: its message names the table it guards.
    EXECUTE $function$
CREATE OR REPLACE FUNCTION pgdock_config_history_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied: % is %; % by role % refused', TG_TABLE_NAME,
            CASE WHEN TG_TABLE_NAME = 'config_history' THEN 'append-only'
                 ELSE 'written only by the store''s retention (pgdock_config_trim)' END, TG_OP, current_user
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'history rows are removed only by the store''s retention (pgdock_config_trim)';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$
$function$;

    -- The rows already there, oldest first per key.
    FOR v_row IN SELECT h.* FROM config_history h ORDER BY h.scope, h.key, h.id LOOP
        IF v_scope IS DISTINCT FROM v_row.scope OR v_key IS DISTINCT FROM v_row.key THEN
            v_prev := NULL;
            v_scope := v_row.scope;
            v_key := v_row.key;
        END IF;
        v_hash := pgdock_config_history_digest(v_prev, v_row.scope, v_row.key, v_row.version, v_row.kind,
                                               v_row.old_value, v_row.new_value, v_row.actor, v_row.reason,
                                               v_row.changed_at);
        UPDATE config_history h SET prev_hash = v_prev, hash = v_hash
        WHERE h.scope = v_row.scope AND h.key = v_row.key AND h.id = v_row.id;
        v_prev := v_hash;
    END LOOP;

    -- The anchor is the owner's: others may read it (verifyHistory does), nothing more, as for history itself.
    EXECUTE 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON config_history_anchor FROM PUBLIC';
    FOR v_grant IN
        SELECT DISTINCT a.grantee::regrole AS grantee
        FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
        WHERE c.oid = 'config_history_anchor'::regclass AND a.grantee <> 0 AND a.grantee <> c.relowner
    LOOP
        EXECUTE pg_catalog.format(
            'REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON config_history_anchor FROM %s',
            v_grant.grantee);
    END LOOP;
END
$migration$;

CREATE TRIGGER config_history_chain
    BEFORE INSERT ON config_history
    FOR EACH ROW EXECUTE FUNCTION pgdock_config_history_chain();

CREATE TRIGGER config_history_anchor_guard
    BEFORE INSERT OR UPDATE OR DELETE ON config_history_anchor
    FOR EACH ROW EXECUTE FUNCTION pgdock_config_history_guard();

CREATE TRIGGER config_history_anchor_guard_truncate
    BEFORE TRUNCATE ON config_history_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION pgdock_config_history_guard();
