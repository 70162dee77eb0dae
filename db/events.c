/* db/events: the history's statements (see events.h). The trigger of migration 0010 writes
 * every event; nothing here inserts, updates or deletes one but the owner's pruning function. */
#include "db/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_COLS                                                                                 \
    "e.id, (extract(epoch FROM e.at) * 1000000)::int8, e.actor_type, e.actor_id, e.actor_email, " \
    "e.actor_role, e.action, e.connector_id, e.changes, e.request_id"

/* $3 NULL: from the newest. connector_events_history_idx serves it backwards. */
static const char SQL_HISTORY[] =
    "SELECT " EVENT_COLS " FROM connector_events e WHERE e.namespace = $1 AND e.connector_id = $2 "
    "AND ($3::int8 IS NULL OR e.id < $3::int8) ORDER BY e.id DESC LIMIT $4::int8";
static const char SQL_EXISTS[] =
    "SELECT EXISTS (SELECT 1 FROM connections WHERE namespace = $1 AND id = $2)";

int db_events_history(struct db_pool *pool, const char *ns, const char *id, long long before,
                      long limit, struct db_result **out, int *exists, struct db_error *err)
{
    char before_s[24], limit_s[24];
    struct db_result *rs[2] = {NULL, NULL};
    snprintf(before_s, sizeof before_s, "%lld", before);
    snprintf(limit_s, sizeof limit_s, "%ld", limit);
    const char *params[] = {ns, id, before >= 0 ? before_s : NULL, limit_s};
    const struct db_stmt st[] = {{SQL_HISTORY, 4, params}, {SQL_EXISTS, 2, params}};
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

static const char SQL_FEED[] = "SELECT " EVENT_COLS " FROM connector_events e "
                               "WHERE e.namespace = $1 AND e.id > $2::int8 ORDER BY e.id LIMIT $3::int8";

int db_events_feed(struct db_pool *pool, const char *ns, long long after, long limit,
                   struct db_result **out, struct db_error *err)
{
    char after_s[24], limit_s[24];
    snprintf(after_s, sizeof after_s, "%lld", after);
    snprintf(limit_s, sizeof limit_s, "%ld", limit);
    const char *params[] = {ns, after_s, limit_s};
    const struct db_stmt st = {SQL_FEED, 3, params};
    *out = NULL;
    return db_run(pool, ns, &st, 1, out, DB_READ_ONLY, err);
}

int db_events_prune(struct db_pool *pool, int days, int batch, long long *deleted,
                    struct db_error *err)
{
    static const char sql[] = "SELECT aam_prune_events($1::int, $2::int)";
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
