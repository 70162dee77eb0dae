/* db/checks: the check statements (see checks.h).
 *
 * The budget is one upsert, as register_attempts is counted (db/throttles.c): the row lock it
 * takes serialises concurrent checks of one tenant on every replica, so exactly max get
 * through in a window. The connector is read in the same round trip. */
#include "db/checks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $1 ns, $2 id (NULL: a pre-create check), $3 max, $4 window seconds. No row when ns has no
 * tenant or id no connector; else the seconds to wait (0 = taken). A refused check is not
 * counted (starts stays at most max + 1). */
static const char SQL_START[] =
    "INSERT INTO check_starts AS s (namespace, starts, window_start) "
    "SELECT $1::text, 1, now() WHERE EXISTS (SELECT 1 FROM tenants WHERE namespace = $1::text) "
    "  AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM connections "
    "    WHERE namespace = $1::text AND id = $2::text)) "
    "ON CONFLICT (namespace) DO UPDATE SET "
    "starts = CASE WHEN s.window_start > now() - make_interval(secs => $4::int) "
    "  THEN least(s.starts + 1, $3::int + 1) ELSE 1 END, "
    "window_start = CASE WHEN s.window_start > now() - make_interval(secs => $4::int) "
    "  THEN s.window_start ELSE now() END "
    "RETURNING CASE WHEN starts > $3::int "
    "  THEN greatest(ceil(extract(epoch FROM window_start - now()) + $4::int), 1) ELSE 0 END::int";

/* The connector as a check needs it, in enum db_check_col order. to_jsonb(c) -> 'secrets' reads
 * the secrets column (issue 21's connections.secrets) where the schema has one and is NULL
 * where it has not, so this statement runs on either. $1 ns, $2 id. */
static const char SQL_LOAD[] =
    "SELECT c.source_type, c.status, c.connector_config, to_jsonb(c) -> 'secrets', "
    "(extract(epoch FROM c.updated_at) * 1000000)::int8 "
    "FROM connections c WHERE c.namespace = $1 AND c.id = $2";

int db_checks_start(struct db_pool *pool, const char *ns, const char *id, int max, int window_s,
                    int *found, int *retry_after, struct db_result **out, struct db_error *err)
{
    char max_s[16], win[16];
    struct db_result *rs[2] = {NULL, NULL};
    snprintf(max_s, sizeof max_s, "%d", max);
    snprintf(win, sizeof win, "%d", window_s);
    const char *params[] = {ns, id, max_s, win};
    const struct db_stmt st[] = {{SQL_START, 4, params}, {SQL_LOAD, 2, params}};
    *found = 0;
    *retry_after = 0;
    *out = NULL;
    if (db_run(pool, ns, st, id != NULL ? 2 : 1, rs, 0, err) != 0)
        return -1;
    const char *v = db_result_rows(rs[0]) > 0 ? db_result_get(rs[0], 0, 0) : NULL;
    if (v != NULL) {
        *found = 1;
        *retry_after = atoi(v) > 0 ? atoi(v) : 0;
    }
    db_result_free(rs[0]);
    if (*found && *retry_after == 0 && id != NULL && db_result_rows(rs[1]) == 1)
        *out = rs[1];
    else
        db_result_free(rs[1]);
    if (*found && *retry_after == 0 && id != NULL && *out == NULL)
        *found = 0; /* deleted between the two statements' snapshots: not there */
    return 0;
}

int db_checks_load(struct db_pool *pool, const char *ns, const char *id, struct db_result **out,
                   struct db_error *err)
{
    const char *params[] = {ns, id};
    const struct db_stmt st = {SQL_LOAD, 2, params};
    *out = NULL;
    return db_run(pool, ns, &st, 1, out, DB_READ_ONLY, err);
}

/* The history trigger's settings (issue 23), transaction-local: a background check sets only
 * the action (actor system). */
static const char SQL_ACTION[] = "SELECT set_config('aam.action', 'checked', true)";
static const char SQL_ACTOR[] =
    "SELECT set_config('aam.action', 'checked', true), set_config('aam.actor_type', $1, true), "
    "set_config('aam.actor_id', $2, true), set_config('aam.actor_email', coalesce($3, ''), true), "
    "set_config('aam.request_id', coalesce($4, ''), true)";

/* $1 ns, $2 id, $3 ok, $4 checked_at (us), $5 message, $6 updated_at as read (us). Rows: the
 * status before and after; none when the connector is gone or changed since it was read. */
#define WANT_STATUS                                                                                \
    "CASE WHEN $3::boolean AND cur.status IN ('ERROR', 'PENDING') THEN 'ACTIVE' "                  \
    "WHEN NOT $3::boolean AND cur.status IN ('ACTIVE', 'PENDING') THEN 'ERROR' "                   \
    "ELSE cur.status END"
static const char SQL_RECORD[] =
    "WITH cur AS (SELECT status FROM connections WHERE namespace = $1 AND id = $2 "
    "  AND (extract(epoch FROM updated_at) * 1000000)::int8 = $6::int8 FOR UPDATE) "
    "UPDATE connections c SET last_check_ok = $3::boolean, "
    "  last_check_at = to_timestamp(0) + $4::int8 * interval '1 microsecond', "
    "  last_check_message = $5::text, status = " WANT_STATUS ", "
    "  updated_at = CASE WHEN (" WANT_STATUS ") <> cur.status THEN now() ELSE c.updated_at END "
    "FROM cur WHERE c.namespace = $1 AND c.id = $2 RETURNING cur.status, c.status";

static const char SQL_RELEASE[] =
    "UPDATE check_schedule SET claimed_until = NULL WHERE namespace = $1 AND connector_id = $2";

int db_checks_record(struct db_pool *pool, const char *ns, const char *id,
                     const struct db_check_result *r, const struct db_check_actor *actor,
                     char *from, char *to, struct db_error *err)
{
    char at[24], upd[24];
    struct db_result *rs[3] = {NULL, NULL, NULL};
    snprintf(at, sizeof at, "%" PRId64, r->checked_at_us);
    snprintf(upd, sizeof upd, "%" PRId64, r->updated_us);
    const char *params[] = {ns, id, r->ok ? "true" : "false", at, r->message, upd};
    const char *actor_params[] = {actor ? actor->type : NULL, actor ? actor->id : NULL,
                                  actor ? actor->email : NULL, actor ? actor->request_id : NULL};
    struct db_stmt st[3] = {
        actor ? (struct db_stmt){SQL_ACTOR, 4, actor_params} : (struct db_stmt){SQL_ACTION, 0, NULL},
        {SQL_RECORD, 6, params},
        {SQL_RELEASE, 2, params},
    };
    from[0] = to[0] = '\0';
    if (db_run(pool, ns, st, r->release_lease ? 3 : 2, rs, 0, err) != 0)
        return -1;
    if (db_result_rows(rs[1]) == 1) {
        snprintf(from, 16, "%s", db_result_get(rs[1], 0, DB_CHECK_RECORD_FROM));
        snprintf(to, 16, "%s", db_result_get(rs[1], 0, DB_CHECK_RECORD_TO));
    }
    for (int i = 0; i < 3; i++)
        db_result_free(rs[i]);
    return 0;
}

int db_checks_claim(struct db_pool *pool, int limit, double interval_s, double lease_s,
                    struct db_result **out, struct db_error *err)
{
    static const char sql[] =
        "SELECT namespace, connector_id FROM aam_claim_checks($1::int, $2::float8, $3::float8)";
    char lim[16], iv[32], lease[32];
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(iv, sizeof iv, "%.3f", interval_s);
    snprintf(lease, sizeof lease, "%.3f", lease_s);
    const char *params[] = {lim, iv, lease};
    const struct db_stmt st = {sql, 3, params};
    *out = NULL;
    return db_run(pool, NULL, &st, 1, out, 0, err);
}

int db_checks_release(struct db_pool *pool, const char *ns, const char *id, struct db_error *err)
{
    const char *params[] = {ns, id};
    const struct db_stmt st = {SQL_RELEASE, 2, params};
    return db_run(pool, ns, &st, 1, NULL, 0, err);
}
