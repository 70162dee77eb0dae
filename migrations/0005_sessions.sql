-- Sessions that can end: refresh tokens (rotated, in families) and service clients (OAuth2
-- client credentials). Neither table holds a secret: a refresh token and a client secret are
-- 256 bits from the OS CSPRNG, stored as the hex SHA-256 of their text. A slow password hash
-- buys nothing for values nobody can guess; SHA-256 keeps the lookup an index probe.
--
-- Row-level security as on the other tables, keyed on aam.namespace. Like login, which finds a
-- user by aam.login_email before it knows the tenant, the token endpoint finds a refresh token
-- by aam.refresh_hash and a client by aam.client_id: each setting shows exactly the one row
-- whose key the caller already holds (the hash of a secret, or a client id plus its secret,
-- checked in C), never a list. Writes are always checked against aam.namespace.

-- One row per issued refresh token. A family is one sign-in: every rotation adds a row with the
-- same family_id and spends the previous one (spent_at). Presenting a spent token revokes the
-- family, which deletes its rows, so revoked rows never linger. Spent rows are kept until their
-- own expiry, which is exactly as long as their reuse could still be detected; expired rows are
-- deleted in bounded batches by every login and refresh of the tenant.
CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    family_id  uuid NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    namespace  text NOT NULL REFERENCES tenants (namespace) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    spent_at   timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
-- Serves the bounded cleanup of a tenant's expired rows.
CREATE INDEX refresh_tokens_expiry_idx ON refresh_tokens (namespace, expires_at);

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY refresh_tokens_isolation ON refresh_tokens
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
           OR token_hash = (SELECT nullif(current_setting('aam.refresh_hash', true), '')))
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')));

-- Service clients: `aam clients create` makes one for a tenant; it trades its id and secret for
-- an access token of its namespace. Revoking deletes the row. aam.operator = 'on' (set only by
-- `aam clients list`, never by the server) shows every tenant's clients for the operator list.
CREATE TABLE clients (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    namespace   text NOT NULL REFERENCES tenants (namespace) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    secret_hash text NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clients_namespace_idx ON clients (namespace);

ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;
CREATE POLICY clients_isolation ON clients
    USING (namespace = (SELECT nullif(current_setting('aam.namespace', true), ''))
           OR id = (SELECT nullif(current_setting('aam.client_id', true), ''))
           OR (SELECT current_setting('aam.operator', true)) = 'on')
    WITH CHECK (namespace = (SELECT nullif(current_setting('aam.namespace', true), '')));
