-- Checks (issue 22): a connector's last check result, the per-tenant check budget, and the
-- schedule every replica shares for background re-checks.
--
-- 1. connections.last_check_{ok,at,message}: the last result, shown as the connector's
--    "last_check" (NULL before the first check). Written by the check's own transaction, which
--    also applies the status transition; aam_list_connectors returns them, so the list stays
--    one statement.
-- 2. check_starts: checks a tenant started in a fixed window that begins at its first check
--    (like register_attempts), so every replica counts the same 30 a minute.
-- 3. check_schedule: one row per checkable connector (filesource, postgres, rest_api in
--    ACTIVE, ERROR or PENDING), kept by a trigger on connections. A replica claims due rows
--    with aam_claim_checks() (FOR UPDATE SKIP LOCKED in one short statement): the claim moves
--    next_check_at one interval on and sets claimed_until (a lease), and the check's result
--    transaction clears the lease. A replica that dies mid-check leaves a lease that simply
--    expires. The schedule is a table of its own so that a claim never writes the connections
--    row (no updated_at, history or ETag churn, no dead tuples on the list's hot table).

ALTER TABLE connections
    ADD COLUMN last_check_ok boolean,
    ADD COLUMN last_check_at timestamptz,
    ADD COLUMN last_check_message text;

CREATE TABLE check_starts (
    namespace    text PRIMARY KEY REFERENCES tenants (namespace) ON DELETE CASCADE,
    starts       integer NOT NULL CHECK (starts > 0),
    window_start timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE check_starts ENABLE ROW LEVEL SECURITY;
ALTER TABLE check_starts FORCE ROW LEVEL SECURITY;
CREATE POLICY check_starts_isolation ON check_starts
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')));

-- '-infinity': never scheduled yet; the first claim spreads it over the interval (see below).
CREATE TABLE check_schedule (
    namespace     text NOT NULL,
    connector_id  text NOT NULL,
    next_check_at timestamptz NOT NULL DEFAULT '-infinity',
    claimed_until timestamptz,
    CONSTRAINT check_schedule_pkey PRIMARY KEY (namespace, connector_id),
    CONSTRAINT check_schedule_connector_fkey FOREIGN KEY (namespace, connector_id)
        REFERENCES connections (namespace, id) ON DELETE CASCADE
);
CREATE INDEX check_schedule_due_idx ON check_schedule (next_check_at);

ALTER TABLE check_schedule ENABLE ROW LEVEL SECURITY;
ALTER TABLE check_schedule FORCE ROW LEVEL SECURITY;
-- A tenant's transaction sees its own rows (the trigger below, the result's lease release);
-- the claim function sees every row through aam.operator, which counts only for the owner
-- (aam_operator, migration 0008): the application role reaches other tenants' rows only
-- through aam_claim_checks, which hands back ids and nothing else.
CREATE POLICY check_schedule_isolation ON check_schedule
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
           OR (SELECT aam_operator('check_schedule'::regclass)))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
                OR (SELECT aam_operator('check_schedule'::regclass)));

-- The checkable types are server/core/check.c's (check_supported); s3 has no check yet.
CREATE FUNCTION aam_check_schedule_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('ACTIVE', 'ERROR', 'PENDING')
       AND NEW.source_type IN ('filesource', 'postgres', 'rest_api') THEN
        INSERT INTO check_schedule (namespace, connector_id) VALUES (NEW.namespace, NEW.id)
        ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM check_schedule WHERE namespace = NEW.namespace AND connector_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER connections_check_schedule
    AFTER INSERT OR UPDATE OF status, source_type ON connections
    FOR EACH ROW EXECUTE FUNCTION aam_check_schedule_sync();

-- Rows that exist already: FORCE is lifted for this transaction only (as in 0003).
ALTER TABLE connections NO FORCE ROW LEVEL SECURITY;
ALTER TABLE check_schedule NO FORCE ROW LEVEL SECURITY;
INSERT INTO check_schedule (namespace, connector_id)
    SELECT c.namespace, c.id FROM connections c
    WHERE c.status IN ('ACTIVE', 'ERROR', 'PENDING')
      AND c.source_type IN ('filesource', 'postgres', 'rest_api')
    ON CONFLICT DO NOTHING;
ALTER TABLE connections FORCE ROW LEVEL SECURITY;
ALTER TABLE check_schedule FORCE ROW LEVEL SECURITY;

-- Claims up to p_limit due connectors for one replica: rows due now and not leased, oldest
-- first, locked with SKIP LOCKED so concurrent claims (other replicas) take other rows. A row
-- due within the last interval is checked now: its next_check_at moves exactly one interval
-- on (each connector keeps its phase, so checks stay spread and happen once per interval) and
-- a lease of p_lease_s covers the check. A row that is new or overdue by more than an
-- interval (a fleet that was stopped, the first start) is not checked now but placed at a
-- random point of the next interval: no thundering herd when replicas start.
-- SECURITY DEFINER (the owner), with aam.operator on for the claim alone: it is set before and
-- cleared after the one query (a function's SET clause cannot name a custom setting for a role
-- that is not a superuser), so the caller's transaction never holds it; the caller gets
-- (namespace, connector_id) pairs and reads each connector in that tenant's own scope.
CREATE FUNCTION aam_claim_checks(p_limit integer, p_interval_s float8, p_lease_s float8)
RETURNS TABLE (namespace text, connector_id text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM set_config('aam.operator', 'on', true);
    RETURN QUERY
    WITH due AS (
        SELECT k.namespace, k.connector_id, k.next_check_at,
               k.next_check_at > now() - make_interval(secs => p_interval_s) AS run
        FROM check_schedule k
        WHERE k.next_check_at <= now() AND (k.claimed_until IS NULL OR k.claimed_until < now())
        ORDER BY k.next_check_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED),
    upd AS (
        UPDATE check_schedule k SET
            next_check_at = CASE WHEN d.run
                THEN d.next_check_at + make_interval(secs => p_interval_s)
                ELSE now() + make_interval(secs => p_interval_s * random()) END,
            claimed_until = CASE WHEN d.run
                THEN now() + make_interval(secs => p_lease_s) END
        FROM due d
        WHERE k.namespace = d.namespace AND k.connector_id = d.connector_id
        RETURNING k.namespace, k.connector_id, d.run)
    SELECT u.namespace, u.connector_id FROM upd u WHERE u.run;
    PERFORM set_config('aam.operator', '', true);
END $$;

-- The list functions of 0010 with the last check's three columns (last_check_ok,
-- last_check_us, last_check_message) after the version: same queries, same indexes. The
-- conditional list (aam_list_connectors_if) returns the same shape, so it is made again too.
DROP FUNCTION aam_list_connectors_if(text, text, text, int8, int8, int8);
DROP FUNCTION aam_list_connectors(text, text, text, int8, int8);
CREATE FUNCTION aam_list_connectors(p_ns text, p_status text, p_type text, p_limit int8,
                                    p_offset int8)
RETURNS TABLE (id text, name text, source_type text, status text, connector_config jsonb,
               secret_fields jsonb, created_us int8, updated_us int8, version int8,
               last_check_ok boolean, last_check_us int8, last_check_message text, total int8,
               tenant_exists boolean, revision int8)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    n int8;
    rev int8;
BEGIN
    SELECT t.revision INTO rev FROM tenants t WHERE t.namespace = p_ns;
    IF p_status IS NULL AND p_type IS NULL THEN
        SELECT count(*) INTO n FROM connections c WHERE c.namespace = p_ns;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config, c.secret_fields,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, c.version, c.last_check_ok,
                   (extract(epoch FROM c.last_check_at) * 1000000)::int8, c.last_check_message,
                   n, true, rev
            FROM connections c WHERE c.namespace = p_ns
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSIF p_type IS NULL THEN
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config, c.secret_fields,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, c.version, c.last_check_ok,
                   (extract(epoch FROM c.last_check_at) * 1000000)::int8, c.last_check_message,
                   n, true, rev
            FROM connections c WHERE c.namespace = p_ns AND c.status = p_status
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSIF p_status IS NULL THEN
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.source_type = p_type;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config, c.secret_fields,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, c.version, c.last_check_ok,
                   (extract(epoch FROM c.last_check_at) * 1000000)::int8, c.last_check_message,
                   n, true, rev
            FROM connections c WHERE c.namespace = p_ns AND c.source_type = p_type
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSE
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status AND c.source_type = p_type;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config, c.secret_fields,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, c.version, c.last_check_ok,
                   (extract(epoch FROM c.last_check_at) * 1000000)::int8, c.last_check_message,
                   n, true, rev
            FROM connections c WHERE c.namespace = p_ns AND c.status = p_status AND c.source_type = p_type
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    END IF;
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb,
                            NULL::jsonb, NULL::int8, NULL::int8, NULL::int8, NULL::boolean,
                            NULL::int8, NULL::text, n, rev IS NOT NULL, rev;
    END IF;
END $$;

CREATE FUNCTION aam_list_connectors_if(p_ns text, p_status text, p_type text, p_limit int8,
                                       p_offset int8, p_known int8)
RETURNS TABLE (id text, name text, source_type text, status text, connector_config jsonb,
               secret_fields jsonb, created_us int8, updated_us int8, version int8,
               last_check_ok boolean, last_check_us int8, last_check_message text, total int8,
               tenant_exists boolean, revision int8)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM tenants t WHERE t.namespace = p_ns AND t.revision = p_known) THEN
        RETURN QUERY SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb,
                            NULL::jsonb, NULL::int8, NULL::int8, NULL::int8, NULL::boolean,
                            NULL::int8, NULL::text, NULL::int8, true, p_known;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM aam_list_connectors(p_ns, p_status, p_type, p_limit, p_offset);
END $$;
