-- Members, roles and scopes (issue 24): a tenant is a team, and a service client gets only
-- what it needs.
--
-- 1. users.role: admin, editor or viewer. Every user that exists when this runs becomes its
--    tenant's admin (until now every user could do everything, and each tenant has exactly the
--    user who registered it), so nobody loses a right. New rows default to the least role,
--    viewer: register, the seed and invites always say which role they give.
-- 2. invites: an admin's invitation of an email into the tenant with a role. The token is 256
--    bits from the OS CSPRNG, shown once and stored as the hex SHA-256 of its text (like refresh
--    tokens); single use (accepting deletes the row in the transaction that creates the user),
--    valid 7 days. A second invitation of the same email replaces the first (and its token).
--    Accepting starts from the token, before the tenant is known: aam.invite_hash shows exactly
--    the one row with that hash, as aam.refresh_hash does for refresh tokens.
-- 3. clients.scopes: what a service client may do. Every client that exists gets all five, as
--    it could do everything before.
--
-- The last admin of a tenant can be neither demoted nor removed. db/members.c keeps that
-- race-free by locking the tenant's row (FOR NO KEY UPDATE) before it counts the admins, in the
-- same transaction as the change: two admins demoting each other at once are serialised, and
-- the second sees the first's commit.

ALTER TABLE users ADD COLUMN role text NOT NULL DEFAULT 'admin'
    CONSTRAINT users_role_check CHECK (role IN ('admin', 'editor', 'viewer'));
ALTER TABLE users ALTER COLUMN role SET DEFAULT 'viewer';
-- Counting a tenant's admins is an index probe.
CREATE INDEX users_namespace_role_idx ON users (namespace, role);

CREATE TABLE invites (
    token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    namespace  text NOT NULL REFERENCES tenants (namespace) ON DELETE CASCADE,
    email      text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role       text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    invited_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CONSTRAINT invites_namespace_email_key UNIQUE (namespace, email)
);

ALTER TABLE invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE invites FORCE ROW LEVEL SECURITY;
CREATE POLICY invites_isolation ON invites
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
           OR token_hash = (SELECT nullif(current_setting('aam.invite_hash', true), '')))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')));

ALTER TABLE clients ADD COLUMN scopes text[] NOT NULL
    DEFAULT ARRAY['connectors:read', 'connectors:write', 'connectors:check', 'events:read',
                  'webhooks:write']
    CONSTRAINT clients_scopes_check CHECK (
        cardinality(scopes) BETWEEN 1 AND 5
        AND scopes <@ ARRAY['connectors:read', 'connectors:write', 'connectors:check',
                            'events:read', 'webhooks:write']);
