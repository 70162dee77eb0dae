-- Two database roles (issue 20): the owner, which `aam migrate` and the operator commands use
-- (AAM_MIGRATE_DATABASE_URL), owns every table and function; the application role that
-- `aam serve` uses (DATABASE_URL, AAM_APP_ROLE) reads and writes rows and owns nothing. Row-level
-- security guards against a forgotten WHERE, but an owner may ALTER TABLE, DROP POLICY or turn
-- row-level security off: the service must not hold those rights.
--
-- 1. aam_operator(): the operator policies honour aam.operator only for a role with the
--    privileges of the table's owner. Any role may set a custom setting, so for any other
--    role (the application role) aam.operator = 'on' is an error (42501), not a bypass.
-- 2. aam_app_privileges + aam_grant_app(role): what the application role may do, table by
--    table. `aam migrate` calls aam_grant_app after the migrations on every run, so a table a
--    later migration adds gets SELECT, INSERT, UPDATE, DELETE unless that migration narrows it
--    with a row here (an append-only table: 'SELECT, INSERT'). Never TRUNCATE, REFERENCES,
--    TRIGGER or ownership.

-- tbl is the table whose policy asks, stored in the policy as an OID: a role cannot point the
-- check at a table of its own (a temporary "tenants"). search_path is pinned for the same reason.
CREATE FUNCTION aam_operator(tbl regclass) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF coalesce(current_setting('aam.operator', true), '') <> 'on' THEN
        RETURN false;
    END IF;
    IF pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = tbl), 'USAGE')
    THEN
        RETURN true;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = format('permission denied: aam.operator counts only for the owner of %s, not '
                         'for role %s', tbl, current_user),
        HINT = 'operator commands connect with AAM_MIGRATE_DATABASE_URL';
END $$;

ALTER POLICY tenants_operator ON tenants
    USING ((SELECT aam_operator('tenants'::regclass)));
ALTER POLICY source_grants_operator ON source_grants
    USING ((SELECT aam_operator('source_grants'::regclass)));
ALTER POLICY clients_isolation ON clients
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
           OR id = (SELECT nullif(current_setting('aam.client_id', true), ''))
           OR (SELECT aam_operator('clients'::regclass)));

-- Tables whose privileges for the application role are narrower than SELECT, INSERT, UPDATE,
-- DELETE ('' = none). A later migration adds a row for a table that needs less.
CREATE TABLE aam_app_privileges (
    relname    text PRIMARY KEY,
    privileges text NOT NULL CHECK (privileges ~ '^((SELECT|INSERT|UPDATE|DELETE)(, )?)*$'),
    why        text NOT NULL
);
INSERT INTO aam_app_privileges (relname, privileges, why) VALUES
    ('aam_app_privileges', '', 'the owner''s list'),
    ('schema_migrations', 'SELECT', 'append-only, and only `aam migrate` appends'),
    ('source_grants', 'SELECT', 'operators grant folders (`aam sources`); the service reads them'),
    ('tenants', 'SELECT, INSERT, UPDATE', 'register creates tenants; the service deletes none');

-- Gives role app exactly its privileges on every table, view and sequence of this schema.
-- Refuses a role that row-level security cannot bind (superuser, BYPASSRLS) or that has the
-- privileges of an owner here (it could ALTER, DROP or disable policies): the split would be a
-- pretence.
CREATE FUNCTION aam_grant_app(app text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    nsp oid := (SELECT oid FROM pg_namespace WHERE nspname = current_schema());
    owned text;
BEGIN
    SELECT rolsuper, rolbypassrls INTO r FROM pg_roles WHERE rolname = app;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the application role "%" (AAM_APP_ROLE) does not exist', app;
    END IF;
    IF r.rolsuper OR r.rolbypassrls THEN
        RAISE EXCEPTION 'the application role "%" is a superuser or has BYPASSRLS: row-level '
            'security cannot bind it', app;
    END IF;
    SELECT string_agg(c.relname, ', ' ORDER BY c.relname) INTO owned FROM pg_class c
    WHERE c.relnamespace = nsp AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
      AND pg_has_role(app, c.relowner, 'USAGE');
    IF owned IS NOT NULL
       OR pg_has_role(app, (SELECT nspowner FROM pg_namespace WHERE oid = nsp), 'USAGE')
       OR has_schema_privilege(app, nsp, 'CREATE') THEN
        RAISE EXCEPTION 'the application role "%" owns % (or may create objects in schema %), so '
            'it could ALTER tables or drop their policies', app,
            coalesce(owned, 'the schema'), current_schema()
            USING HINT = 'as a superuser: ALTER DATABASE ... OWNER TO <owner>; REASSIGN OWNED BY '
                || quote_ident(app) || ' TO <owner>; then aam migrate with '
                || 'AAM_MIGRATE_DATABASE_URL naming <owner>';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), app);
    FOR r IN
        SELECT c.relname, coalesce(p.privileges, 'SELECT, INSERT, UPDATE, DELETE') AS privileges
        FROM pg_class c LEFT JOIN aam_app_privileges p ON p.relname = c.relname
        WHERE c.relnamespace = nsp AND c.relkind IN ('r', 'p', 'v', 'm')
    LOOP
        EXECUTE format('REVOKE ALL ON TABLE %I FROM %I', r.relname, app);
        IF r.privileges <> '' THEN
            EXECUTE format('GRANT %s ON TABLE %I TO %I', r.privileges, r.relname, app);
        END IF;
    END LOOP;
    FOR r IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = nsp AND c.relkind = 'S'
    LOOP
        EXECUTE format('REVOKE ALL ON SEQUENCE %I FROM %I', r.relname, app);
        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO %I', r.relname, app);
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION aam_grant_app(text) FROM PUBLIC;
