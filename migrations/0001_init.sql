-- The contract's tables: tenants, users, connections, with row-level security keyed on the
-- transaction-local setting aam.namespace. FORCE makes the policies bind the owning role too,
-- so the application role cannot read another tenant's rows even by forgetting a WHERE.
-- After a transaction ends the setting reads as '' (not NULL): nullif turns that into "no
-- tenant", which matches nothing. The (SELECT ...) wrapper makes the planner evaluate the
-- setting once per statement (an InitPlan), not once per row.

CREATE TABLE tenants (
    namespace  text PRIMARY KEY CHECK (namespace ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name       text NOT NULL,
    id         uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL CHECK (email = lower(email)),
    namespace     text NOT NULL REFERENCES tenants (namespace) ON DELETE CASCADE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_namespace_idx ON users (namespace);

-- No foreign key to tenants: a service token minted by `aam token` for a namespace is the
-- authority for that namespace, registered or not.
CREATE TABLE connections (
    namespace        text NOT NULL,
    id               text NOT NULL,
    name             text NOT NULL,
    source_type      text NOT NULL,
    status           text NOT NULL DEFAULT 'PENDING'
                     CHECK (status IN ('ACTIVE', 'INACTIVE', 'PENDING', 'ERROR')),
    connector_config jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT connections_pkey PRIMARY KEY (namespace, id)
);
-- The primary key serves the unfiltered list (namespace = $1 ORDER BY id); these serve the
-- status and type filters with the same order, so a page costs its size, not the tenant's.
CREATE INDEX connections_status_idx ON connections (namespace, status, id);
CREATE INDEX connections_type_idx ON connections (namespace, source_type, id);

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_isolation ON tenants
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')));

-- Login must find a user before it knows the tenant: it sets aam.login_email, which shows
-- exactly the row with that email and nothing else.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_isolation ON users
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
           OR email = (SELECT nullif(current_setting('aam.login_email', true), '')))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')));

ALTER TABLE connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE connections FORCE ROW LEVEL SECURITY;
CREATE POLICY connections_isolation ON connections
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')));
