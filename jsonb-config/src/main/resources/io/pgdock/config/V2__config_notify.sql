-- pgdock JSONB configuration store, module "config", version 2: change notifications for ConfigStore.watch and the
-- cached store.
--
-- Every row appended to config_history (that is, every change of config_entry, including plain-SQL edits, which go
-- through the V1 triggers) sends a notification on this schema's channel, returned by pgdock_config_channel():
-- "pgdock_config_" followed by the md5 of the schema name, so that it fits PostgreSQL's 63-byte channel names whatever
-- the schema is called. The payload is small JSON without the value (payloads are limited to 8000 bytes):
--
--   {"id": 42, "scope": "prod", "key": "ingest.batch_size", "version": 3, "kind": "UPDATE"}
--
-- The watcher reads the change itself from config_history by (scope, key, id), which the primary key serves.
-- Notifications are sent when the writing transaction commits, in commit order; a rolled-back write sends none.
--
-- config_history.tx records the writing transaction (txid_current(), epoch-extended), so that a watcher whose connection
-- was lost can replay exactly what may have committed while it was away: every row whose transaction was still running
-- (or not yet started) at the last moment it knew it was connected, that is, tx >= the xmin of its last snapshot.
-- Rows written before this migration have no tx (null) and are never replayed by that rule.

ALTER TABLE config_history ADD COLUMN tx bigint;
ALTER TABLE config_history ALTER COLUMN tx SET DEFAULT pg_catalog.txid_current();
-- For that replay after a reconnect (the one reader of tx); writes pay one more small index entry.
CREATE INDEX config_history_tx ON config_history (tx);

DO $migration$
DECLARE
    v_channel text := 'pgdock_config_' || pg_catalog.md5(current_schema());
BEGIN
    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_channel() RETURNS text
    LANGUAGE sql IMMUTABLE
AS $$ SELECT '@channel@'::text $$
$function$, '@channel@', v_channel);

    EXECUTE replace($function$
CREATE FUNCTION pgdock_config_history_notify() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.pg_notify('@channel@', pg_catalog.json_build_object(
        'id', NEW.id, 'scope', NEW.scope, 'key', NEW.key, 'version', NEW.version, 'kind', NEW.kind)::text);
    RETURN NULL;
END
$$
$function$, '@channel@', v_channel);
END
$migration$;

CREATE TRIGGER config_history_notify
    AFTER INSERT ON config_history
    FOR EACH ROW EXECUTE FUNCTION pgdock_config_history_notify();
