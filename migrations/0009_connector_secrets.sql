-- Connector secrets (issue 21): a secret field of a connector type ("writeOnly" in its spec:
-- postgres.password, s3.secret_access_key, rest_api.token) is never kept in connector_config.
-- It lives in its own column, encrypted by the service before any statement carries it:
--
--   secrets        {"<field>": "v1:<key id>:<base64(nonce | ciphertext | tag)>", ...}
--   secret_fields  the field names holding a value, as a JSON array (["password"], or []):
--                  what every read answers as "secrets", computed here once per write so a
--                  list reads one more short column and decrypts nothing.
--
-- AES-256-GCM binds each value to (connector, tenant namespace, connector id, field), so a
-- value copied to another row or field by SQL does not decrypt (server/core/secrets.h). The
-- key id is readable without a key: split_part(value, ':', 2), for `aam keys status|rotate`.
-- Plain secrets that rows already hold in connector_config are moved here, encrypted, by
-- `aam migrate` right after the SQL migrations (SQL cannot encrypt; cmd_migrate.c).
ALTER TABLE connections
    ADD COLUMN secrets jsonb NOT NULL DEFAULT '{}'::jsonb
        CONSTRAINT connections_secrets_object CHECK (jsonb_typeof(secrets) = 'object'),
    ADD COLUMN secret_fields jsonb
        GENERATED ALWAYS AS (jsonb_path_query_array(secrets, '$.keyvalue().key')) STORED;

-- The operator commands `aam keys status|rotate` (and `aam migrate`'s encryption step) read and
-- re-encrypt every tenant's secrets, so connections gets the operator policy the other tables
-- have (aam.operator = 'on', honoured only for the tables' owner: aam_operator(), migration
-- 0008). The cheap test comes first so the service's queries, which never set aam.operator, do
-- not call the PL/pgSQL function: the whole expression is one init-plan per statement.
CREATE POLICY connections_operator ON connections
    USING ((SELECT coalesce(current_setting('aam.operator', true), '') = 'on'
                   AND aam_operator('connections'::regclass)))
    WITH CHECK ((SELECT coalesce(current_setting('aam.operator', true), '') = 'on'
                        AND aam_operator('connections'::regclass)));

-- The list returns secret_fields after connector_config (a new result column: the function
-- is dropped and created again; its arguments, and so its callers, are unchanged).
DROP FUNCTION aam_list_connectors(text, text, text, int8, int8);
CREATE FUNCTION aam_list_connectors(p_ns text, p_status text, p_type text, p_limit int8,
                                    p_offset int8)
RETURNS TABLE (id text, name text, source_type text, status text, connector_config jsonb,
               secret_fields jsonb, created_us int8, updated_us int8, total int8,
               tenant_exists boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    n int8;
BEGIN
    IF p_status IS NULL AND p_type IS NULL THEN
        SELECT count(*) INTO n FROM connections c WHERE c.namespace = p_ns;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config, c.secret_fields,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, n, true
            FROM connections c WHERE c.namespace = p_ns
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSIF p_type IS NULL THEN
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config, c.secret_fields,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, n, true
            FROM connections c WHERE c.namespace = p_ns AND c.status = p_status
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSIF p_status IS NULL THEN
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.source_type = p_type;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config, c.secret_fields,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, n, true
            FROM connections c WHERE c.namespace = p_ns AND c.source_type = p_type
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSE
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status AND c.source_type = p_type;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config, c.secret_fields,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, n, true
            FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status AND c.source_type = p_type
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    END IF;
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb,
                            NULL::jsonb, NULL::int8, NULL::int8, n,
                            EXISTS (SELECT 1 FROM tenants t WHERE t.namespace = p_ns);
    END IF;
END $$;
