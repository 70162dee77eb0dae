-- A namespace belongs to its tenant; a folder belongs to its tenants.
--
-- 1. Every namespaced table references tenants, so no row exists in a namespace without a
--    tenants row: a token minted for an unknown namespace can write nothing, and registering
--    a namespace can never inherit rows that were there before. Namespaces that already hold
--    connections but have no tenant get a tenant row named after the namespace (one WARNING
--    each, shown by `aam migrate`), so nothing is lost and the rows stay reachable only by
--    tokens for that namespace.
-- 2. source_grants: which namespaces may use which folders of AAM_SOURCES_ROOT (folders are
--    named relative to the root, '' being the root itself), with row-level security like the
--    other tables. The ownership rule lives in aam_folder_owned() below.
-- 3. connections.source_folder: where a filesource's path resolved (relative to the root) when
--    it was written, so a files read checks ownership in the same statement that reads the
--    connector; the read compares it with where the path resolves now.

-- Row-level security is forced on these tables, so the owner (this migration's role) sees
-- only the rows of the current aam.namespace; the backfill must see every namespace, so it
-- lifts FORCE for the length of this transaction (ALTER TABLE holds an exclusive lock until
-- commit, so no other session runs meanwhile) and restores it below.
ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;
ALTER TABLE connections NO FORCE ROW LEVEL SECURITY;

DO $$
DECLARE
    ns text;
BEGIN
    FOR ns IN SELECT DISTINCT c.namespace FROM connections c
              WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.namespace = c.namespace)
              ORDER BY 1
    LOOP
        INSERT INTO tenants (namespace, name) VALUES (ns, ns);
        RAISE WARNING 'tenant boundary: namespace "%" held connections but no tenant; created tenant "%"', ns, ns;
    END LOOP;
END $$;

ALTER TABLE connections
    ADD CONSTRAINT connections_namespace_fkey FOREIGN KEY (namespace)
    REFERENCES tenants (namespace) ON DELETE CASCADE;

ALTER TABLE connections ADD COLUMN source_folder text;

ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE connections FORCE ROW LEVEL SECURITY;

-- Operator commands (`aam tenants list`, `aam sources list`) read every tenant's rows: they set
-- aam.operator = 'on' in their own transaction. The server never sets it.
CREATE POLICY tenants_operator ON tenants FOR SELECT
    USING ((SELECT current_setting('aam.operator', true)) = 'on');

-- A folder is named relative to the root: '' (the root itself) or components joined by '/',
-- none empty, '.' or '..' (what realpath() below the root yields).
CREATE TABLE source_grants (
    namespace  text NOT NULL REFERENCES tenants (namespace) ON DELETE CASCADE,
    folder     text NOT NULL CHECK (folder = '' OR (folder !~ '(^|/)\.{1,2}(/|$)'
                                    AND folder !~ '//' AND folder !~ '^/' AND folder !~ '/$')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT source_grants_pkey PRIMARY KEY (folder, namespace)
);
CREATE INDEX source_grants_namespace_idx ON source_grants (namespace);

ALTER TABLE source_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE source_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY source_grants_isolation ON source_grants
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')));
CREATE POLICY source_grants_operator ON source_grants FOR SELECT
    USING ((SELECT current_setting('aam.operator', true)) = 'on');
-- The ownership lookup must see other tenants' grants on the folders between the root and
-- the folder it judges (a nearer grant to someone else takes the folder away), and nothing
-- else: aam_folder_owned sets aam.source_folder to '/' || folder for its one query, which
-- shows exactly the grants on that folder and its ancestors (like aam.login_email on users).
CREATE POLICY source_grants_lookup ON source_grants FOR SELECT
    USING (starts_with((SELECT nullif(current_setting('aam.source_folder', true), '')) || '/',
                       CASE WHEN folder = '' THEN '/' ELSE '/' || folder || '/' END));

-- 1 when namespace ns owns folder f (relative to the root): the namespaces holding a grant on
-- f's nearest granted ancestor, f itself included, own it; a first-level folder whose name is
-- a valid namespace counts as granted to that namespace (tenant or not yet: registering a
-- namespace later must not take a folder from whoever used it), so a grant on the root never
-- reaches into a tenant's own folder. NULL f: false. One indexed lookup (source_grants_pkey).
CREATE FUNCTION aam_folder_owned(ns text, f text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    owned boolean;
BEGIN
    IF f IS NULL THEN
        RETURN false;
    END IF;
    PERFORM set_config('aam.source_folder', '/' || f, true);
    WITH parts AS (SELECT string_to_array(f, '/') AS p),
    candidates AS (
        SELECT k, array_to_string(p[1:k], '/') AS folder
        FROM parts, generate_series(0, coalesce(cardinality(p), 0)) AS k),
    holders AS (
        SELECT c.k, g.namespace FROM candidates c JOIN source_grants g ON g.folder = c.folder
        UNION ALL
        SELECT 1, p[1] FROM parts
        WHERE cardinality(p) >= 1 AND p[1] ~ '^[a-z0-9][a-z0-9_-]{0,62}$')
    SELECT coalesce(bool_or(h.namespace = ns), false) INTO owned
    FROM holders h WHERE h.k = (SELECT max(k) FROM holders);
    PERFORM set_config('aam.source_folder', '', true);
    RETURN owned;
END $$;
