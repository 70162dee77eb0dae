/* handlers/health: /health says the process is alive (never touches the database);
 * /ready pings the database and reports the pool, so a load balancer can hold traffic
 * back while the database is away without restarting the process. */
#include "server/handlers/health.h"

#include "db/db.h"

void health_get(const struct http_req *req, struct http_res *res)
{
    (void)req;
    http_res_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

static json_t *pool_json(struct db_pool *db)
{
    struct db_pool_stats st;
    db_pool_get_stats(db, &st);
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:I}", "size", st.size, "open", st.open,
                     "idle", st.idle, "in_use", st.in_use, "waiting", st.waiting, "created",
                     (json_int_t)st.created, "discarded", (json_int_t)st.discarded, "timeouts",
                     (json_int_t)st.timeouts);
}

void health_ready(const struct http_req *req, struct http_res *res)
{
    double latency_ms = 0;
    struct db_error err = {0};
    int ok = db_ping(req->db, &latency_ms, &err) == 0;
    json_t *db = json_pack("{s:b, s:o, s:o}", "ok", ok, "latency_ms",
                           ok ? json_real(latency_ms) : json_null(), "pool", pool_json(req->db));
    if (!ok)
        json_object_set_new(db, "error", json_string("database unreachable"));
    http_res_json(res, ok ? 200 : 503,
                  json_pack("{s:s, s:o}", "status", ok ? "ok" : "unavailable", "db", db));
    if (!ok)
        res->retry_after = 2;
}
