-- Only grants decide who owns a folder (issue 20).
--
-- aam_folder_owned() of migration 0003 counted a first-level folder named like a valid
-- namespace as granted to that namespace, at the same depth as real grants. So a stranger who
-- registered namespace "finance" shared mock_sources/finance/ with the tenant the operator had
-- granted it to, and a grant on the root could never reach a folder named like a namespace.
-- Now a folder's owners are exactly the namespaces holding a grant on its nearest granted
-- ancestor (itself included); a name gives nothing.
--
-- Nothing that works by right stops working: every ownership that existed only by name and
-- is used by a connector (a filesource whose recorded folder is <ns> or below it, in namespace
-- <ns>, with no grant nearer than <ns>) becomes an explicit grant of <ns> to <ns>, one WARNING
-- each (shown by `aam migrate`). Two cases are not converted, each with a WARNING naming the
-- connectors, so an operator can decide:
-- - contested: another namespace holds a grant on <ns> itself. That shared ownership was the
--   hole (the operator granted the folder to someone else); converting it would keep the
--   intruder's access. Those connectors' files answer 409 until an operator grants the folder.
-- - unrecorded: a filesource written before migration 0003 and never changed since has no
--   recorded folder (source_folder is NULL), and where its path resolves depends on the
--   server's file system, which the database cannot see. If it used its namespace's folder, the
--   operator grants it with `aam sources grant`.

-- Row-level security is forced on these tables, so the owner (this migration's role) sees only
-- the rows of the current aam.namespace; the conversion must see every namespace, so it lifts
-- FORCE for the length of this transaction (ALTER TABLE holds an exclusive lock until commit)
-- and restores it below, as migration 0003 does.
ALTER TABLE connections NO FORCE ROW LEVEL SECURITY;
ALTER TABLE source_grants NO FORCE ROW LEVEL SECURITY;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        WITH named AS (
            SELECT c.namespace AS ns, c.id
            FROM connections c
            WHERE c.source_type = 'filesource' AND c.source_folder IS NOT NULL
              AND c.source_folder <> '' AND split_part(c.source_folder, '/', 1) = c.namespace
              -- owned by name only: no grant on <ns> for <ns> ...
              AND NOT EXISTS (SELECT 1 FROM source_grants g
                              WHERE g.folder = c.namespace AND g.namespace = c.namespace)
              -- ... and no grant between <ns> and the folder (itself included), which would
              -- have decided under the old rule as under the new one
              AND NOT EXISTS (SELECT 1 FROM source_grants g
                              WHERE strpos(g.folder, '/') > 0
                                AND (c.source_folder = g.folder
                                     OR starts_with(c.source_folder, g.folder || '/'))))
        SELECT n.ns, string_agg(n.id, ', ' ORDER BY n.id) AS ids,
               (SELECT string_agg(g.namespace, ', ' ORDER BY g.namespace) FROM source_grants g
                WHERE g.folder = n.ns AND g.namespace <> n.ns) AS holders
        FROM named n GROUP BY n.ns ORDER BY n.ns
    LOOP
        IF r.holders IS NOT NULL THEN
            RAISE WARNING 'source grants: namespace "%" used folder "%" by its name only, but % '
                'holds the grant on it: not converted; its connectors (%) answer 409 until an '
                'operator grants the folder', r.ns, r.ns, r.holders, r.ids;
        ELSE
            INSERT INTO source_grants (namespace, folder) VALUES (r.ns, r.ns);
            RAISE WARNING 'source grants: granted folder "%" to namespace "%", which used it by '
                'its name only (connectors: %)', r.ns, r.ns, r.ids;
        END IF;
    END LOOP;
    FOR r IN
        SELECT c.namespace AS ns, string_agg(c.id, ', ' ORDER BY c.id) AS ids
        FROM connections c
        WHERE c.source_type = 'filesource' AND c.source_folder IS NULL
        GROUP BY c.namespace ORDER BY c.namespace
    LOOP
        RAISE WARNING 'source grants: namespace "%" has filesource connectors with no recorded '
            'folder (%); if one used AAM_SOURCES_ROOT/% by name, grant it: '
            'aam sources grant --namespace % PATH', r.ns, r.ids, r.ns, r.ns;
    END LOOP;
END $$;

ALTER TABLE connections FORCE ROW LEVEL SECURITY;
ALTER TABLE source_grants FORCE ROW LEVEL SECURITY;

-- 1 when namespace ns owns folder f (relative to the root, '' the root itself): ns holds a
-- grant on f's nearest granted ancestor, f itself included. Several namespaces may share that
-- grant; a folder with no granted ancestor belongs to nobody. NULL f: false. One indexed lookup
-- (source_grants_pkey) per ancestor, through the source_grants_lookup policy (0003).
CREATE OR REPLACE FUNCTION aam_folder_owned(ns text, f text) RETURNS boolean
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
        SELECT c.k, g.namespace FROM candidates c JOIN source_grants g ON g.folder = c.folder)
    SELECT coalesce(bool_or(h.namespace = ns), false) INTO owned
    FROM holders h WHERE h.k = (SELECT max(k) FROM holders);
    PERFORM set_config('aam.source_folder', '', true);
    RETURN owned;
END $$;
