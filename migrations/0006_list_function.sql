-- The connectors list as a PL/pgSQL function, so that PostgreSQL plans its queries once per
-- server connection instead of once per request.
--
-- Behind PgBouncer in transaction mode a client cannot keep a named prepared statement: the
-- next transaction may run on another server connection ("prepared statement ... already
-- exists / does not exist"). So every statement the service sends is unnamed, and PostgreSQL
-- parses and plans it on every request; for the list page that was most of the database's
-- work. A PL/pgSQL function's plans live in the server connection that ran it, are
-- invalidated by PostgreSQL itself when a table or index changes, and need nothing from the
-- client: the call itself is a one-line statement that is cheap to parse. Measured with
-- pgbench on the bench's data (1,000 tenants x 20 connectors, same machine): 6,900
-- transactions/s with the page query sent as text, 11,700 through a function like this one.
--
-- SECURITY INVOKER (the default): the caller's row-level security applies inside, so the
-- function sees only the tenant set by the request's prelude; p_ns repeats it in the WHERE
-- so that the indexes serve the queries.
--
-- One row per connector of the page, each with the total of the filtered list. An empty page
-- is one row whose connector columns are NULL, with the total and whether the tenant exists:
-- the handler then tells "no connectors" from "no tenant" without another round trip.
-- Each filter combination has its own queries, so each is planned for its own index
-- (connections_pkey, connections_status_idx, connections_type_idx).
CREATE FUNCTION aam_list_connectors(p_ns text, p_status text, p_type text, p_limit int8,
                                    p_offset int8)
RETURNS TABLE (id text, name text, source_type text, status text, connector_config jsonb,
               created_us int8, updated_us int8, total int8, tenant_exists boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    n int8;
BEGIN
    IF p_status IS NULL AND p_type IS NULL THEN
        SELECT count(*) INTO n FROM connections c WHERE c.namespace = p_ns;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, n, true
            FROM connections c WHERE c.namespace = p_ns
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSIF p_type IS NULL THEN
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, n, true
            FROM connections c WHERE c.namespace = p_ns AND c.status = p_status
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSIF p_status IS NULL THEN
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.source_type = p_type;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, n, true
            FROM connections c WHERE c.namespace = p_ns AND c.source_type = p_type
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    ELSE
        SELECT count(*) INTO n FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status AND c.source_type = p_type;
        RETURN QUERY
            SELECT c.id, c.name, c.source_type, c.status, c.connector_config,
                   (extract(epoch FROM c.created_at) * 1000000)::int8,
                   (extract(epoch FROM c.updated_at) * 1000000)::int8, n, true
            FROM connections c
            WHERE c.namespace = p_ns AND c.status = p_status AND c.source_type = p_type
            ORDER BY c.id LIMIT p_limit OFFSET p_offset;
    END IF;
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb,
                            NULL::int8, NULL::int8, n,
                            EXISTS (SELECT 1 FROM tenants t WHERE t.namespace = p_ns);
    END IF;
END $$;
