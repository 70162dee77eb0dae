/* db/webhooks: the webhooks' statements (see webhooks.h and migration 0013). */
#include "db/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US(col) "(extract(epoch FROM " col ") * 1000000)::int8"
#define WEBHOOK_COLS                                                                                                       \
    "w.id, w.url, to_jsonb(w.events)::text, w.description, w.active, " US("w.created_at") ", " US("w.updated_at") ", " US( \
        "w.last_success_at") ", " US("w.disabled_at") ", "                                                                 \
                                                      "CASE WHEN w.previous_secret_expires_at > now() THEN " US(           \
                                                          "w.previous_secret_expires_at") " END"
#define EVENTS_ARRAY(p) "ARRAY(SELECT jsonb_array_elements_text(" p "::jsonb))"

int db_webhooks_create(struct db_pool *pool, const char *ns, const char *id, const char *url,
                       const char *events_json, const char *description, const char *secret,
                       int max, enum db_webhooks_created *out, struct db_result **row,
                       struct db_error *err)
{
    /* The lock first, in its own statement: the count below then runs on a snapshot taken after
     * any other create of this tenant committed (READ COMMITTED, one snapshot per statement). */
    static const char lock_sql[] = "SELECT 1 FROM tenants WHERE namespace = $1 FOR NO KEY UPDATE";
    static const char sql[] =
        "WITH w AS (INSERT INTO webhooks (namespace, id, url, events, description, secret) "
        "SELECT $1, $2, $3, " EVENTS_ARRAY(
            "$4") ", $5, $6 "
                  "WHERE (SELECT count(*) FROM webhooks x WHERE x.namespace = $1) < $7::int "
                  "AND EXISTS (SELECT 1 FROM tenants t WHERE t.namespace = $1) RETURNING *) "
                  "SELECT " WEBHOOK_COLS " FROM w";
    char max_s[16];
    snprintf(max_s, sizeof max_s, "%d", max);
    const char *params[] = {ns, id, url, events_json, description, secret, max_s};
    const struct db_stmt st[] = {{lock_sql, 1, params}, {sql, 7, params}};
    struct db_result *rs[2] = {NULL, NULL};
    *row = NULL;
    if (db_run(pool, ns, st, 2, rs, 0, err) != 0)
        return -1;
    if (db_result_rows(rs[0]) == 0)
        *out = DB_WEBHOOKS_NO_TENANT;
    else if (db_result_rows(rs[1]) == 0)
        *out = DB_WEBHOOKS_QUOTA;
    else
        *out = DB_WEBHOOKS_CREATED;
    db_result_free(rs[0]);
    if (*out == DB_WEBHOOKS_CREATED)
        *row = rs[1];
    else
        db_result_free(rs[1]);
    return 0;
}

int db_webhooks_list(struct db_pool *pool, const char *ns, struct db_result **out,
                     struct db_error *err)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks w WHERE w.namespace = $1 "
                              "ORDER BY w.created_at, w.id";
    const char *params[] = {ns};
    const struct db_stmt st = {sql, 1, params};
    *out = NULL;
    return db_run(pool, ns, &st, 1, out, DB_READ_ONLY, err);
}

int db_webhooks_get(struct db_pool *pool, const char *ns, const char *id, struct db_result **out,
                    struct db_error *err)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS
                              " FROM webhooks w WHERE w.namespace = $1 AND w.id = $2";
    const char *params[] = {ns, id};
    const struct db_stmt st = {sql, 2, params};
    *out = NULL;
    return db_run(pool, ns, &st, 1, out, DB_READ_ONLY, err);
}

int db_webhooks_patch(struct db_pool *pool, const char *ns, const char *id,
                      const struct db_webhook_patch *p, struct db_result **out,
                      struct db_error *err)
{
    /* Activating starts the failure clock afresh; deactivating (by the tenant) fails what is
     * still pending, as the automatic disabling does. */
    static const char sql[] =
        "WITH w AS (UPDATE webhooks SET url = coalesce($3, url), "
        "events = CASE WHEN $4::jsonb IS NULL THEN events ELSE " EVENTS_ARRAY(
            "$4") " END, "
                  "description = coalesce($5, description), active = coalesce($6::boolean, active), "
                  "failing_since = CASE WHEN $6::boolean AND NOT active THEN NULL ELSE failing_since END, "
                  "disabled_at = CASE WHEN $6::boolean THEN NULL ELSE disabled_at END, "
                  "updated_at = now() WHERE namespace = $1 AND id = $2 RETURNING *), "
                  "f AS (UPDATE webhook_deliveries d SET status = 'failed', claimed_until = NULL, "
                  "last_error = 'the endpoint was set inactive' FROM w "
                  "WHERE $6::boolean IS FALSE AND d.namespace = $1 AND d.webhook_id = w.id "
                  "AND d.status = 'pending') "
                  "SELECT " WEBHOOK_COLS " FROM w";
    const char *params[] = {ns, id, p->url, p->events_json, p->description, p->active};
    const struct db_stmt st = {sql, 6, params};
    *out = NULL;
    return db_run(pool, ns, &st, 1, out, 0, err);
}

int db_webhooks_delete(struct db_pool *pool, const char *ns, const char *id, int *deleted,
                       struct db_error *err)
{
    static const char sql[] = "DELETE FROM webhooks WHERE namespace = $1 AND id = $2 RETURNING id";
    const char *params[] = {ns, id};
    const struct db_stmt st = {sql, 2, params};
    struct db_result *r = NULL;
    *deleted = 0;
    if (db_run(pool, ns, &st, 1, &r, 0, err) != 0)
        return -1;
    *deleted = db_result_rows(r) == 1;
    db_result_free(r);
    return 0;
}

int db_webhooks_rotate(struct db_pool *pool, const char *ns, const char *id, const char *secret,
                       struct db_result **out, struct db_error *err)
{
    static const char sql[] =
        "WITH w AS (UPDATE webhooks SET previous_secret = secret, "
        "previous_secret_expires_at = now() + interval '24 hours', secret = $3, "
        "updated_at = now() WHERE namespace = $1 AND id = $2 RETURNING *) "
        "SELECT " WEBHOOK_COLS " FROM w";
    const char *params[] = {ns, id, secret};
    const struct db_stmt st = {sql, 3, params};
    *out = NULL;
    return db_run(pool, ns, &st, 1, out, 0, err);
}

int db_webhooks_test(struct db_pool *pool, const char *ns, const char *id, char *msg_id,
                     size_t size, struct db_error *err)
{
    static const char sql[] =
        "INSERT INTO webhook_deliveries (namespace, webhook_id, event_type, payload) "
        "SELECT w.namespace, w.id, 'webhook.test', aam_webhook_body('webhook.test', "
        "clock_timestamp(), jsonb_build_object('webhook_id', w.id)) FROM webhooks w "
        "WHERE w.namespace = $1 AND w.id = $2 AND w.active RETURNING msg_id";
    const char *params[] = {ns, id};
    const struct db_stmt st = {sql, 2, params};
    struct db_result *r = NULL;
    if (size > 0)
        msg_id[0] = '\0';
    if (db_run(pool, ns, &st, 1, &r, 0, err) != 0)
        return -1;
    const char *v = db_result_get(r, 0, 0);
    if (v != NULL && size > 0)
        snprintf(msg_id, size, "%s", v);
    db_result_free(r);
    return 0;
}

int db_webhooks_deliveries(struct db_pool *pool, const char *ns, const char *id, long long before,
                           int limit, struct db_result **out, int *exists, struct db_error *err)
{
    static const char sql[] =
        "SELECT d.id, d.msg_id, d.event_type, d.event_id, d.status, d.attempts, " US("d.created_at") ", CASE WHEN d.status = 'pending' THEN " US(
            "d.next_attempt_at") " END, " US("d.delivered_at") ", d.last_status_code, d.last_error, "
                                                               "(SELECT coalesce(jsonb_agg(jsonb_build_object('at', aam_webhook_ts(a.at), "
                                                               "'status_code', a.status_code, 'error', a.error, 'duration_ms', a.duration_ms) "
                                                               "ORDER BY a.id), '[]'::jsonb) FROM webhook_attempts a WHERE a.delivery_id = d.id)::text "
                                                               "FROM webhook_deliveries d WHERE d.namespace = $1 AND d.webhook_id = $2 "
                                                               "AND ($3::int8 = 0 OR d.id < $3::int8) ORDER BY d.id DESC LIMIT $4::int";
    static const char exists_sql[] =
        "SELECT EXISTS (SELECT 1 FROM webhooks WHERE namespace = $1 AND id = $2)";
    char before_s[24], limit_s[16];
    snprintf(before_s, sizeof before_s, "%lld", before);
    snprintf(limit_s, sizeof limit_s, "%d", limit);
    const char *params[] = {ns, id, before_s, limit_s};
    const struct db_stmt st[] = {{sql, 4, params}, {exists_sql, 2, params}};
    struct db_result *rs[2] = {NULL, NULL};
    *out = NULL;
    *exists = 0;
    if (db_run(pool, ns, st, 2, rs, DB_READ_ONLY, err) != 0)
        return -1;
    const char *v = db_result_get(rs[1], 0, 0);
    *exists = v != NULL && strcmp(v, "t") == 0;
    db_result_free(rs[1]);
    *out = rs[0];
    return 0;
}

int db_webhooks_claim(struct db_pool *pool, int limit, int lease_s, int inflight,
                      struct db_result **out, struct db_error *err)
{
    static const char sql[] = "SELECT * FROM aam_webhook_claim($1::int, $2::int, $3::int)";
    char limit_s[16], lease_s_[16], inflight_s[16];
    snprintf(limit_s, sizeof limit_s, "%d", limit);
    snprintf(lease_s_, sizeof lease_s_, "%d", lease_s);
    snprintf(inflight_s, sizeof inflight_s, "%d", inflight);
    const char *params[] = {limit_s, lease_s_, inflight_s};
    const struct db_stmt st = {sql, 3, params};
    *out = NULL;
    return db_run(pool, NULL, &st, 1, out, 0, err);
}

int db_webhooks_record(struct db_pool *pool, const char *ns, long long id, long long claim,
                       int code, const char *error, long long duration_ms, char *outcome,
                       size_t size, struct db_error *err)
{
    static const char sql[] = "SELECT aam_webhook_record($1::int8, $2::int8, $3::int, $4, $5::int)";
    char id_s[24], claim_s[24], code_s[16], dur_s[24];
    snprintf(id_s, sizeof id_s, "%lld", id);
    snprintf(claim_s, sizeof claim_s, "%lld", claim);
    snprintf(code_s, sizeof code_s, "%d", code);
    snprintf(dur_s, sizeof dur_s, "%lld", duration_ms > 2000000000 ? 2000000000 : duration_ms);
    const char *params[] = {id_s, claim_s, code > 0 ? code_s : NULL, error, dur_s};
    const struct db_stmt st = {sql, 5, params};
    struct db_result *r = NULL;
    if (size > 0)
        outcome[0] = '\0';
    if (db_run(pool, ns, &st, 1, &r, 0, err) != 0)
        return -1;
    const char *v = db_result_get(r, 0, 0);
    if (size > 0)
        snprintf(outcome, size, "%s", v != NULL ? v : "stale");
    db_result_free(r);
    return 0;
}

int db_webhooks_queue_stats(struct db_pool *pool, long long *pending, double *oldest_s,
                            struct db_error *err)
{
    static const char sql[] = "SELECT pending, oldest_s FROM aam_webhook_queue_stats()";
    const struct db_stmt st = {sql, 0, NULL};
    struct db_result *r = NULL;
    *pending = 0;
    *oldest_s = 0;
    if (db_run(pool, NULL, &st, 1, &r, DB_READ_ONLY, err) != 0)
        return -1;
    const char *p = db_result_get(r, 0, 0), *o = db_result_get(r, 0, 1);
    *pending = p != NULL ? strtoll(p, NULL, 10) : 0;
    *oldest_s = o != NULL ? strtod(o, NULL) : 0;
    db_result_free(r);
    return 0;
}

int db_webhooks_prune(struct db_pool *pool, int days, int batch, long long *deleted,
                      struct db_error *err)
{
    static const char sql[] = "SELECT aam_prune_webhook_deliveries($1::int, $2::int)";
    char days_s[16], batch_s[16];
    struct db_result *r = NULL;
    snprintf(days_s, sizeof days_s, "%d", days);
    snprintf(batch_s, sizeof batch_s, "%d", batch);
    const char *params[] = {days_s, batch_s};
    const struct db_stmt st = {sql, 2, params};
    *deleted = 0;
    if (db_run(pool, NULL, &st, 1, &r, 0, err) != 0)
        return -1;
    const char *v = db_result_get(r, 0, 0);
    *deleted = v != NULL ? strtoll(v, NULL, 10) : 0;
    db_result_free(r);
    return 0;
}
