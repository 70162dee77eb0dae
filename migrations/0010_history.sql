-- History and concurrency (issue 23): an append-only event per connector change, written by
-- the database itself in the transaction of the change; a row version per connector (strong
-- ETags, If-Match); a revision per tenant (the list's ETag and its 304).
--
-- THE TRIGGER CONTRACT (what writers of `connections` may rely on and must set)
--
-- Every INSERT, UPDATE or DELETE of a `connections` row, by any role and any code path (API,
-- `aam seed`, background checks, an operator's psql), in the same transaction:
--   1. sets connections.version to a fresh value of the sequence connection_versions (BEFORE
--      UPDATE; an INSERT takes it as the column default). Values are never reused, also not
--      after a delete and a re-create of the same id: the ETag is "v<version>".
--   2. adds 1 to tenants.revision of the row's namespace. The writer must see that tenants row
--      (aam.namespace set to it, as every writer does): otherwise the write fails (P0001)
--      rather than leaving a stale revision behind.
--   3. appends to connector_events, unless an UPDATE changed no field an event shows.
-- The actor and the cause come from transaction-local settings (set_config(name, value, true)),
-- read when the trigger runs; '' or unset means absent:
--   aam.actor_type   'user' | 'client' | 'system'; absent: 'system'
--   aam.actor_id     the user's id, the client's id, or what the system part is ('aam seed',
--                    'check'); absent: 'system'
--   aam.actor_email  the user's email, else absent
--   aam.actor_role   the actor's role (issue 24), else absent
--   aam.request_id   the request's X-Request-Id, else absent
--   aam.action       absent for ordinary writes. 'checked': the UPDATE records a check's result
--                    (issue 22: a `last_check jsonb` column holding {"ok","checked_at",
--                    "message"}): the trigger appends one 'checked' event whose changes hold
--                    "ok": {"from": <the previous last_check's ok, or null>, "to": <the new
--                    one>} (and any other changed field but status), and, when the same UPDATE
--                    changed status, a second event 'status_changed' with changes
--                    {"status": {"from", "to"}}. Without aam.action a status change is part of
--                    an ordinary 'updated' event.
-- db/ sets them: db_run_as (the API's writes: a prelude statement in the same pipeline), and
-- db_tx_set_actor (`aam seed`: system, 'aam seed'). With none set, the actor is system.
-- Actions: INSERT 'created', DELETE 'deleted', UPDATE 'updated' (or as aam.action says).
-- changes: each changed field -> {"from", "to"} (null for absent): "name", "type" (the
-- source_type column), "status", each key of connector_config as "config.<key>" (a config that
-- is not an object: "config" whole), and each key of a `secrets` jsonb column (issue 21: field
-- -> ciphertext), when that column exists, as "config.<key>": {"changed": true} (never a value).
-- Created events carry every field with "from": null, deleted ones every field with "to": null.
--
-- Ordering: the trigger takes the tenant's row lock (the revision UPDATE) before it draws the
-- event id, and holds it to commit; so within one tenant, event ids increase in commit order,
-- and a reader that resumes after id N never misses an event that commits later with a smaller
-- id (the feed's keyset pagination relies on it). db_run_as locks the tenants row first of all,
-- before any connections row, so a single-row API write and a multi-row seed cannot deadlock.
--
-- Events cannot be changed: the application role gets SELECT, INSERT only (aam_app_privileges,
-- so UPDATE and DELETE are a permission error, 42501). Retention: aam_prune_events(days), a
-- SECURITY DEFINER function of the owner, deletes events older than days (at least 1), in
-- batches; `aam serve` calls it at start and every 6 hours with AAM_HISTORY_DAYS.

ALTER TABLE tenants ADD COLUMN revision bigint NOT NULL DEFAULT 0;

CREATE SEQUENCE connection_versions;
ALTER TABLE connections ADD COLUMN version bigint NOT NULL DEFAULT nextval('connection_versions');

CREATE TABLE connector_events (
    id bigserial PRIMARY KEY,
    namespace text NOT NULL REFERENCES tenants (namespace),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_type text NOT NULL CHECK (actor_type IN ('user', 'client', 'system')),
    actor_id text NOT NULL,
    actor_email text,
    actor_role text,
    action text NOT NULL
        CHECK (action IN ('created', 'updated', 'deleted', 'checked', 'status_changed')),
    connector_id text NOT NULL,
    changes jsonb NOT NULL DEFAULT '{}'::jsonb,
    request_id text
);
-- The feed (namespace, id > after), a connector's history (namespace, connector_id, id < cursor,
-- newest first), and pruning by age (BRIN: `at` grows with the heap, and it costs next to
-- nothing per insert).
CREATE INDEX connector_events_feed_idx ON connector_events (namespace, id);
CREATE INDEX connector_events_history_idx ON connector_events (namespace, connector_id, id);
CREATE INDEX connector_events_at_idx ON connector_events USING brin (at);

ALTER TABLE connector_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE connector_events FORCE ROW LEVEL SECURITY;
CREATE POLICY connector_events_isolation ON connector_events
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')));
-- Pruning reads every tenant's old events: only as the owner (aam_operator), i.e. through
-- aam_prune_events.
CREATE POLICY connector_events_prune ON connector_events FOR DELETE
    USING ((SELECT aam_operator('connector_events'::regclass)));

INSERT INTO aam_app_privileges (relname, privileges, why) VALUES
    ('connector_events', 'SELECT, INSERT', 'append-only history: events are never changed, and '
     'only the owner''s aam_prune_events removes them');

-- changes (see above) between two rows as to_jsonb gives them; o or n NULL for an insert or a
-- delete.
CREATE FUNCTION aam_connector_changes(o jsonb, n jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    WITH cfg AS (
        SELECT CASE WHEN o IS NULL THEN '{}'::jsonb
                    WHEN jsonb_typeof(o -> 'connector_config') = 'object'
                    THEN o -> 'connector_config' END AS oc,
               CASE WHEN n IS NULL THEN '{}'::jsonb
                    WHEN jsonb_typeof(n -> 'connector_config') = 'object'
                    THEN n -> 'connector_config' END AS nc,
               CASE WHEN jsonb_typeof(o -> 'secrets') = 'object' THEN o -> 'secrets'
                    ELSE '{}'::jsonb END AS os,
               CASE WHEN jsonb_typeof(n -> 'secrets') = 'object' THEN n -> 'secrets'
                    ELSE '{}'::jsonb END AS ns)
    SELECT coalesce(jsonb_object_agg(f.field, f.change), '{}'::jsonb) FROM (
        SELECT v.field, jsonb_build_object('from', o -> v.col, 'to', n -> v.col) AS change
        FROM (VALUES ('name', 'name'), ('source_type', 'type'), ('status', 'status')) v (col, field)
        WHERE (o -> v.col) IS DISTINCT FROM (n -> v.col)
        UNION ALL
        SELECT 'config', jsonb_build_object('from', o -> 'connector_config',
                                            'to', n -> 'connector_config')
        FROM cfg WHERE (cfg.oc IS NULL OR cfg.nc IS NULL)
            AND (o -> 'connector_config') IS DISTINCT FROM (n -> 'connector_config')
        UNION ALL
        SELECT 'config.' || k.key, jsonb_build_object('from', cfg.oc -> k.key, 'to', cfg.nc -> k.key)
        FROM cfg, LATERAL (SELECT jsonb_object_keys(cfg.oc) UNION SELECT jsonb_object_keys(cfg.nc))
            AS k (key)
        WHERE cfg.oc IS NOT NULL AND cfg.nc IS NOT NULL AND (cfg.oc -> k.key) IS DISTINCT FROM (cfg.nc -> k.key)
        UNION ALL
        SELECT 'config.' || k.key, '{"changed": true}'::jsonb
        FROM cfg, LATERAL (SELECT jsonb_object_keys(cfg.os) UNION SELECT jsonb_object_keys(cfg.ns))
            AS k (key)
        WHERE (cfg.os -> k.key) IS DISTINCT FROM (cfg.ns -> k.key)) f
$$;

CREATE FUNCTION aam_append_event(p_ns text, p_action text, p_connector text, p_changes jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO connector_events (namespace, actor_type, actor_id, actor_email, actor_role, action,
                                  connector_id, changes, request_id)
    VALUES (p_ns,
            coalesce(nullif(current_setting('aam.actor_type', true), ''), 'system'),
            coalesce(nullif(current_setting('aam.actor_id', true), ''), 'system'),
            nullif(current_setting('aam.actor_email', true), ''),
            nullif(current_setting('aam.actor_role', true), ''),
            p_action, p_connector, p_changes,
            nullif(current_setting('aam.request_id', true), ''))
$$;

CREATE FUNCTION aam_connections_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('connection_versions');
    RETURN NEW;
END $$;

CREATE TRIGGER connections_version BEFORE UPDATE ON connections
    FOR EACH ROW EXECUTE FUNCTION aam_connections_version();

CREATE FUNCTION aam_connections_history() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    o jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    n jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    ns text := coalesce(n ->> 'namespace', o ->> 'namespace');
    cid text := coalesce(n ->> 'id', o ->> 'id');
    act text := nullif(current_setting('aam.action', true), '');
    ch jsonb;
    bumped int;
BEGIN
    -- First the revision: its row lock orders this tenant's event ids by commit (see above).
    UPDATE tenants SET revision = revision + 1 WHERE namespace = ns;
    GET DIAGNOSTICS bumped = ROW_COUNT;
    IF bumped <> 1 THEN
        RAISE EXCEPTION 'connections of namespace % written without its tenants row in sight '
            '(set aam.namespace to it): the revision could not be bumped', ns;
    END IF;
    ch := aam_connector_changes(o, n);
    IF TG_OP = 'INSERT' THEN
        PERFORM aam_append_event(ns, 'created', cid, ch);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM aam_append_event(ns, 'deleted', cid, ch);
    ELSIF act = 'checked' THEN
        PERFORM aam_append_event(ns, 'checked', cid, (ch - 'status') || jsonb_build_object('ok',
            jsonb_build_object('from', o -> 'last_check' -> 'ok', 'to', n -> 'last_check' -> 'ok')));
        IF ch ? 'status' THEN
            PERFORM aam_append_event(ns, 'status_changed', cid,
                                     jsonb_build_object('status', ch -> 'status'));
        END IF;
    ELSIF ch <> '{}'::jsonb THEN
        PERFORM aam_append_event(ns, 'updated', cid, ch);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER connections_history AFTER INSERT OR UPDATE OR DELETE ON connections
    FOR EACH ROW EXECUTE FUNCTION aam_connections_history();

-- Retention. SECURITY DEFINER: runs as the owner, whose aam_operator() lets the
-- connector_events_prune policy show every tenant's rows; the application role itself has no
-- DELETE. At most p_batch rows per call (short transactions; the caller loops while it gets a
-- full batch). Returns how many it deleted.
CREATE FUNCTION aam_prune_events(p_days int, p_batch int) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET aam.operator = 'on' AS $$
DECLARE
    n bigint;
BEGIN
    IF p_days IS NULL OR p_days < 1 OR p_batch IS NULL OR p_batch < 1 THEN
        RAISE EXCEPTION 'aam_prune_events: days and batch must be at least 1';
    END IF;
    DELETE FROM connector_events WHERE id IN (
        SELECT e.id FROM connector_events e
        WHERE e.at < now() - make_interval(days => p_days) LIMIT p_batch);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION aam_prune_events(int, int) SET search_path = %I, pg_temp',
                   current_schema());
END $$;

-- The list with its tenant's revision, read in the same snapshot as the page (a STABLE
-- function's queries share the calling statement's snapshot), so the ETag never runs ahead of
-- the rows it describes. Same shape as 0006 plus the revision column; the empty-page row
-- carries it too (NULL when the tenant does not exist). Each row also carries its version.
DROP FUNCTION aam_list_connectors(text, text, text, int8, int8);
CREATE FUNCTION aam_list_connectors(p_ns text, p_status text, p_type text, p_limit int8,
                                    p_offset int8)
RETURNS TABLE (id text, name text, source_type text, status text, connector_config jsonb,
               created_us int8, updated_us int8, version int8, total int8, tenant_exists boolean,
               revision int8)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    n int8;
    rev int8;
BEGIN
    SELECT t.revision INTO rev FROM tenants t WHERE t.namespace = p_ns;
    IF p_status IS NULL AND p_type IS NULL THEN
        SELECT count(*) INTO n FROM connections c WHERE c.namespace = p_ns;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, c.version, n, true, rev
            FROM connections c WHERE c.namespace = p_ns
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSIF p_type IS NULL THEN
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, c.version, n, true, rev
            FROM connections c WHERE c.namespace = p_ns AND c.status = p_status
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSIF p_status IS NULL THEN
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.source_type = p_type;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, c.version, n, true, rev
            FROM connections c WHERE c.namespace = p_ns AND c.source_type = p_type
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSE
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status AND c.source_type = p_type;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, c.version, n, true, rev
            FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status AND c.source_type = p_type
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    END IF;
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb,
                            NULL::int8, NULL::int8, NULL::int8, n, rev IS NOT NULL, rev;
    END IF;
END $$;

-- The conditional list (If-None-Match): when the tenant's revision is still p_known, one row
-- with every column NULL but tenant_exists (true) and revision: one primary-key lookup, no
-- page query, no count. Otherwise the page, as aam_list_connectors gives it.
CREATE FUNCTION aam_list_connectors_if(p_ns text, p_status text, p_type text, p_limit int8,
                                       p_offset int8, p_known int8)
RETURNS TABLE (id text, name text, source_type text, status text, connector_config jsonb,
               created_us int8, updated_us int8, version int8, total int8, tenant_exists boolean,
               revision int8)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM tenants t WHERE t.namespace = p_ns AND t.revision = p_known) THEN
        RETURN QUERY SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb,
                            NULL::int8, NULL::int8, NULL::int8, NULL::int8, true, p_known;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM aam_list_connectors(p_ns, p_status, p_type, p_limit, p_offset);
END $$;
