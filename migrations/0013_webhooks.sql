-- Webhooks (issue 25): a tenant's endpoints, the deliveries owed to them and every attempt.
--
-- The outbox: an AFTER INSERT trigger on connector_events (migration 0010, itself written by the
-- trigger on connections in the transaction of the change) writes one delivery per active
-- webhook of the event's namespace subscribed to the event's type, with the exact body that
-- will be signed and sent, built here from the connections row as it is at that moment. So a
-- delivery exists if and only if the change committed (at least once, never for a rolled-back
-- change), and its body never changes between retries.
--
-- Event types from an event's action:
--   created -> connector.created          deleted -> connector.deleted
--   updated -> connector.updated, and connector.status_changed too when it changed status
--   status_changed -> connector.status_changed
--   checked -> connector.check_failed when its changes say "ok": {"to": false}
-- Body: {"type","timestamp","data"}: data is the connector as the API shows it (config without
-- its secret fields, "secrets": the names of those that hold a value, "last_check" from the
-- columns of migration 0012), or {"id"} for connector.deleted. A body over 256 KiB (a config is at most
-- 64 KiB, so only a pathological row) carries {"id","truncated":true} instead.
--
-- aam.operator (the owner's view of every tenant) is set inside the SECURITY DEFINER functions
-- for their statement and put back: PostgreSQL 15 refuses a function SET clause naming a
-- placeholder setting without superuser.
--
-- Sending (server/core/webhook_worker.c): any replica claims due deliveries through
-- aam_webhook_claim (SECURITY DEFINER: the one cross-tenant read, FOR UPDATE SKIP LOCKED in a
-- short transaction, a lease of claimed_until), sends, and reports with aam_webhook_record in
-- the delivery's own namespace. A lease that runs out (the replica died) makes the delivery due
-- again for any replica, with the same msg_id (the webhook-id header).
--
-- Secrets: webhooks.secret and previous_secret hold secrets.c ciphertext (v1:<key id>:...) bound
-- to (webhook, namespace, webhook id, "secret"); the database never sees one in clear.

CREATE TABLE webhooks (
    namespace text NOT NULL REFERENCES tenants (namespace),
    id text NOT NULL CHECK (id ~ '^wh_[0-9a-f]{24}$'),
    url text NOT NULL CHECK (octet_length(url) BETWEEN 1 AND 2048),
    events text[] NOT NULL CHECK (cardinality(events) >= 1 AND events <@ ARRAY['connector.created',
        'connector.updated', 'connector.deleted', 'connector.status_changed',
        'connector.check_failed']),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    active boolean NOT NULL DEFAULT true,
    secret text NOT NULL,
    previous_secret text,
    previous_secret_expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_success_at timestamptz,
    -- The first failed attempt since the last success (NULL while healthy): 24 h of it and the
    -- endpoint is set inactive.
    failing_since timestamptz,
    disabled_at timestamptz,
    PRIMARY KEY (namespace, id)
);

CREATE TABLE webhook_deliveries (
    id bigserial PRIMARY KEY,
    namespace text NOT NULL,
    webhook_id text NOT NULL,
    event_id bigint, -- connector_events.id; NULL for a test event. No foreign key: events and
                     -- deliveries are pruned on their own
    event_type text NOT NULL,
    msg_id text NOT NULL UNIQUE DEFAULT ('msg_' || replace(gen_random_uuid()::text, '-', '')),
    payload text NOT NULL CHECK (octet_length(payload) <= 262144),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(), -- the event's time
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    claimed_until timestamptz,
    claim bigint NOT NULL DEFAULT 0, -- bumped by every claim: a late report of an older claim
                                     -- changes nothing
    last_attempt_at timestamptz,
    last_status_code int,
    last_error text,
    delivered_at timestamptz,
    FOREIGN KEY (namespace, webhook_id) REFERENCES webhooks (namespace, id) ON DELETE CASCADE,
    UNIQUE (webhook_id, event_id, event_type)
);
-- The claim scans due pending rows by time; the deliveries log reads one webhook's newest;
-- pruning goes by age.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (namespace, webhook_id, id);
CREATE INDEX webhook_deliveries_at_idx ON webhook_deliveries USING brin (created_at);

CREATE TABLE webhook_attempts (
    id bigserial PRIMARY KEY,
    namespace text NOT NULL,
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    status_code int,  -- NULL when no answer came
    error text,       -- NULL on a 2xx
    duration_ms int NOT NULL
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhooks FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
-- Every tenant's rows only for the owner (aam_operator), i.e. through the SECURITY DEFINER
-- functions below (claim, queue statistics, pruning); the application role sees its tenant's.
CREATE POLICY webhooks_isolation ON webhooks
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
           OR (SELECT aam_operator('webhooks'::regclass)))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
                OR (SELECT aam_operator('webhooks'::regclass)));
CREATE POLICY webhook_deliveries_isolation ON webhook_deliveries
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
           OR (SELECT aam_operator('webhook_deliveries'::regclass)))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
                OR (SELECT aam_operator('webhook_deliveries'::regclass)));
CREATE POLICY webhook_attempts_isolation ON webhook_attempts
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
           OR (SELECT aam_operator('webhook_attempts'::regclass)))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
                OR (SELECT aam_operator('webhook_attempts'::regclass)));

INSERT INTO aam_app_privileges (relname, privileges, why) VALUES
    ('webhook_deliveries', 'SELECT, INSERT, UPDATE', 'deliveries are removed only with their '
     'webhook (cascade) or by the owner''s aam_prune_webhook_deliveries'),
    ('webhook_attempts', 'SELECT, INSERT', 'the attempts log is append-only');

-- aam_connector_secret_fields(type): migration 0010.

CREATE FUNCTION aam_webhook_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The connector as the API shows it, from its row now; NULL when it does not exist.
CREATE FUNCTION aam_webhook_connector(p_ns text, p_id text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
               'id', c.id, 'name', c.name, 'type', c.source_type, 'status', c.status,
               'namespace', c.namespace,
               'config', CASE WHEN jsonb_typeof(c.connector_config) = 'object'
                              THEN c.connector_config - aam_connector_secret_fields(c.source_type)
                                   - s.names
                              ELSE c.connector_config END,
               'secrets', to_jsonb(s.names),
               'created_at', aam_webhook_ts(c.created_at),
               'updated_at', aam_webhook_ts(c.updated_at))
           || jsonb_build_object('last_check',
                  CASE WHEN c.last_check_at IS NOT NULL
                       THEN jsonb_build_object('ok', c.last_check_ok,
                                               'checked_at', aam_webhook_ts(c.last_check_at),
                                               'message', c.last_check_message) END)
    FROM connections c
    CROSS JOIN LATERAL to_jsonb(c) AS j
    CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(DISTINCT f ORDER BY f), ARRAY[]::text[]) AS names FROM (
            SELECT jsonb_object_keys(CASE WHEN jsonb_typeof(j -> 'secrets') = 'object'
                                          THEN j -> 'secrets' ELSE '{}'::jsonb END)
            UNION ALL
            SELECT k FROM unnest(aam_connector_secret_fields(c.source_type)) AS k
            WHERE jsonb_typeof(c.connector_config) = 'object'
              AND jsonb_typeof(c.connector_config -> k) NOT IN ('null')
              AND c.connector_config ? k) AS x (f)) AS s
    WHERE c.namespace = p_ns AND c.id = p_id
$$;

-- The body of one delivery, bounded.
CREATE FUNCTION aam_webhook_body(p_type text, p_at timestamptz, p_data jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    body text := jsonb_build_object('type', p_type, 'timestamp', aam_webhook_ts(p_at),
                                    'data', p_data)::text;
BEGIN
    IF octet_length(body) > 262144 THEN
        body := jsonb_build_object('type', p_type, 'timestamp', aam_webhook_ts(p_at),
                    'data', jsonb_build_object('id', p_data ->> 'id', 'truncated', true))::text;
    END IF;
    RETURN body;
END $$;

CREATE FUNCTION aam_webhooks_fanout() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    types text[] := CASE NEW.action
        WHEN 'created' THEN ARRAY['connector.created']
        WHEN 'deleted' THEN ARRAY['connector.deleted']
        WHEN 'updated' THEN CASE WHEN NEW.changes ? 'status'
                                 THEN ARRAY['connector.updated', 'connector.status_changed']
                                 ELSE ARRAY['connector.updated'] END
        WHEN 'status_changed' THEN ARRAY['connector.status_changed']
        WHEN 'checked' THEN CASE WHEN NEW.changes -> 'ok' -> 'to' = 'false'::jsonb
                                 THEN ARRAY['connector.check_failed'] ELSE ARRAY[]::text[] END
        ELSE ARRAY[]::text[] END;
    data jsonb;
    t text;
BEGIN
    -- The common case first: a tenant without a subscribed endpoint pays one indexed probe.
    IF NOT EXISTS (SELECT 1 FROM webhooks w
                   WHERE w.namespace = NEW.namespace AND w.active AND w.events && types) THEN
        RETURN NULL;
    END IF;
    IF NEW.action = 'deleted' THEN
        data := jsonb_build_object('id', NEW.connector_id);
    ELSE
        data := coalesce(aam_webhook_connector(NEW.namespace, NEW.connector_id),
                         jsonb_build_object('id', NEW.connector_id));
    END IF;
    FOREACH t IN ARRAY types LOOP
        INSERT INTO webhook_deliveries (namespace, webhook_id, event_id, event_type, payload,
                                        created_at)
        SELECT NEW.namespace, w.id, NEW.id, t, aam_webhook_body(t, NEW.at, data), NEW.at
        FROM webhooks w
        WHERE w.namespace = NEW.namespace AND w.active AND t = ANY (w.events);
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER connector_events_webhooks AFTER INSERT ON connector_events
    FOR EACH ROW EXECUTE FUNCTION aam_webhooks_fanout();

-- Claims up to p_limit due deliveries of active endpoints, at most p_inflight claimed at once
-- per endpoint, for p_lease_s seconds. Rows another transaction holds are skipped (SKIP
-- LOCKED), so replicas never claim one delivery twice at once. Each claim bumps attempts and
-- claim. Returns what sending needs; previous_secret only while its rotation window is open.
CREATE FUNCTION aam_webhook_claim(p_limit int, p_lease_s int, p_inflight int)
RETURNS TABLE (id bigint, namespace text, webhook_id text, claim bigint, msg_id text,
               payload text, attempts int, url text, secret text, previous_secret text,
               created_epoch bigint)
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    was text := coalesce(current_setting('aam.operator', true), '');
BEGIN
    PERFORM set_config('aam.operator', 'on', true);
    RETURN QUERY
    WITH cand AS (
        SELECT d.id, d.namespace, d.webhook_id, d.next_attempt_at FROM webhook_deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()
          AND (d.claimed_until IS NULL OR d.claimed_until <= clock_timestamp())
        ORDER BY d.next_attempt_at
        LIMIT p_limit * 4
        FOR UPDATE SKIP LOCKED),
    ranked AS (
        SELECT c.id, c.namespace, c.webhook_id, c.next_attempt_at,
               row_number() OVER (PARTITION BY c.namespace, c.webhook_id ORDER BY c.id) AS rn
        FROM cand c),
    busy AS (
        SELECT d.namespace, d.webhook_id, count(*) AS n FROM webhook_deliveries d
        WHERE d.status = 'pending' AND d.claimed_until > clock_timestamp()
        GROUP BY d.namespace, d.webhook_id),
    picked AS (
        SELECT r.id FROM ranked r
        JOIN webhooks w ON w.namespace = r.namespace AND w.id = r.webhook_id AND w.active
        LEFT JOIN busy b ON b.namespace = r.namespace AND b.webhook_id = r.webhook_id
        WHERE r.rn + coalesce(b.n, 0) <= p_inflight
        ORDER BY r.next_attempt_at
        LIMIT p_limit)
    UPDATE webhook_deliveries d
    SET claimed_until = clock_timestamp() + make_interval(secs => p_lease_s),
        claim = d.claim + 1, attempts = d.attempts + 1
    FROM picked p, webhooks w
    WHERE d.id = p.id AND w.namespace = d.namespace AND w.id = d.webhook_id
    RETURNING d.id, d.namespace, d.webhook_id, d.claim, d.msg_id, d.payload, d.attempts, w.url,
              w.secret,
              CASE WHEN w.previous_secret_expires_at > clock_timestamp()
                   THEN w.previous_secret END,
              extract(epoch FROM d.created_at)::bigint;
    PERFORM set_config('aam.operator', was, true);
END $$;

-- Records one attempt of claim p_claim of delivery p_id, in the delivery's namespace (RLS as
-- every request). p_code: the HTTP status, NULL when no answer came; p_error NULL on success.
-- Returns 'succeeded', 'retry' (next attempt scheduled), 'failed' (24 h after the event: no
-- more attempts), 'disabled' (the endpoint has failed for 24 h: set inactive, its pending
-- deliveries failed) or 'stale' (another claim has it now, or it is gone: nothing changed but
-- the attempts log).
-- Retries after the previous attempt: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h.
CREATE FUNCTION aam_webhook_record(p_id bigint, p_claim bigint, p_code int, p_error text,
                                   p_duration_ms int)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    d webhook_deliveries%ROWTYPE;
    now_ timestamptz := clock_timestamp();
    ok boolean := p_code BETWEEN 200 AND 299;
    delay int;
    since timestamptz;
BEGIN
    SELECT * INTO d FROM webhook_deliveries x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'stale';
    END IF;
    INSERT INTO webhook_attempts (namespace, delivery_id, at, status_code, error, duration_ms)
    VALUES (d.namespace, d.id, now_, p_code, CASE WHEN ok THEN NULL ELSE p_error END,
            greatest(p_duration_ms, 0));
    IF d.claim <> p_claim OR d.status <> 'pending' THEN
        RETURN 'stale';
    END IF;
    IF ok THEN
        UPDATE webhook_deliveries SET status = 'succeeded', delivered_at = now_,
            claimed_until = NULL, last_attempt_at = now_, last_status_code = p_code,
            last_error = NULL
        WHERE id = d.id;
        UPDATE webhooks SET last_success_at = now_, failing_since = NULL
        WHERE namespace = d.namespace AND id = d.webhook_id;
        RETURN 'succeeded';
    END IF;
    UPDATE webhooks SET failing_since = coalesce(failing_since, now_)
    WHERE namespace = d.namespace AND id = d.webhook_id
    RETURNING failing_since INTO since;
    UPDATE webhook_deliveries SET claimed_until = NULL, last_attempt_at = now_,
        last_status_code = p_code, last_error = p_error
    WHERE id = d.id;
    IF since <= now_ - interval '24 hours' THEN
        UPDATE webhooks SET active = false, disabled_at = now_, updated_at = now_
        WHERE namespace = d.namespace AND id = d.webhook_id;
        UPDATE webhook_deliveries SET status = 'failed', claimed_until = NULL
        WHERE namespace = d.namespace AND webhook_id = d.webhook_id AND status = 'pending';
        RETURN 'disabled';
    END IF;
    delay := CASE d.attempts WHEN 1 THEN 5 WHEN 2 THEN 30 WHEN 3 THEN 120 WHEN 4 THEN 600
                             WHEN 5 THEN 1800 WHEN 6 THEN 3600 ELSE 7200 END;
    IF now_ + make_interval(secs => delay) > d.created_at + interval '24 hours' THEN
        UPDATE webhook_deliveries SET status = 'failed' WHERE id = d.id;
        RETURN 'failed';
    END IF;
    UPDATE webhook_deliveries SET next_attempt_at = now_ + make_interval(secs => delay)
    WHERE id = d.id;
    RETURN 'retry';
END $$;

-- The queue as /metrics shows it: pending deliveries and the age of the oldest, every tenant.
CREATE FUNCTION aam_webhook_queue_stats() RETURNS TABLE (pending bigint, oldest_s double precision)
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    was text := coalesce(current_setting('aam.operator', true), '');
BEGIN
    PERFORM set_config('aam.operator', 'on', true);
    RETURN QUERY
    SELECT count(*), coalesce(extract(epoch FROM clock_timestamp() - min(d.created_at)), 0)::float8
    FROM webhook_deliveries d WHERE d.status = 'pending';
    PERFORM set_config('aam.operator', was, true);
END $$;

-- Retention (AAM_HISTORY_DAYS): deletes up to p_batch deliveries (their attempts with them)
-- older than p_days, every tenant's. Returns how many.
CREATE FUNCTION aam_prune_webhook_deliveries(p_days int, p_batch int) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    n bigint;
    was text := coalesce(current_setting('aam.operator', true), '');
BEGIN
    IF p_days IS NULL OR p_days < 1 OR p_batch IS NULL OR p_batch < 1 THEN
        RAISE EXCEPTION 'aam_prune_webhook_deliveries: days and batch must be at least 1';
    END IF;
    PERFORM set_config('aam.operator', 'on', true);
    DELETE FROM webhook_deliveries WHERE id IN (
        SELECT d.id FROM webhook_deliveries d
        WHERE d.created_at < now() - make_interval(days => p_days) LIMIT p_batch);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('aam.operator', was, true);
    RETURN n;
END $$;

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION aam_webhook_claim(int, int, int) SET search_path = %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION aam_webhook_queue_stats() SET search_path = %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION aam_prune_webhook_deliveries(int, int) SET search_path = %I, '
                   'pg_temp', current_schema());
END $$;
