/* db/sessions: refresh-token families and the service-client lookup (see sessions.h). The
 * statement register uses to start a family inside its own transaction is shared with
 * db/users.c through sessions_internal.h. */
#include "db/sessions.h"

#include <stdio.h>
#include <string.h>

#include "db/sessions_internal.h"

/* ------------------------------------------------------------------ issue */

/* A bounded batch of the tenant's expired tokens (spent or not). SKIP LOCKED: concurrent
 * logins never queue behind each other's cleanup. */
static const char SQL_PRUNE[] =
    "DELETE FROM refresh_tokens WHERE token_hash IN ("
    "SELECT token_hash FROM refresh_tokens "
    "WHERE namespace = (SELECT nullif(current_setting('" DB_TENANT_SETTING "', true), '')) "
    "AND expires_at <= now() LIMIT 50 FOR UPDATE SKIP LOCKED)";

static const char SQL_ISSUE[] =
    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at) "
    "VALUES ($1, gen_random_uuid(), $2, $3, now() + make_interval(secs => $4::int))";

int db_sessions_issue(struct db_pool *pool, const char *ns, const char *token_hash,
                      const char *user_id, int ttl_s, struct db_error *err)
{
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *params[] = {token_hash, user_id, ns, ttl};
    const struct db_stmt st[] = {
        {SQL_ISSUE, 4, params},
        {SQL_PRUNE, 0, NULL},
    };
    return db_run(pool, ns, st, 2, NULL, 0, err);
}

const char db_sessions_sql_issue_for_email[] =
    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at) "
    "SELECT $1, gen_random_uuid(), id, namespace, now() + make_interval(secs => $2::int) "
    "FROM users WHERE email = lower($3)";

/* ------------------------------------------------------------------ rotate */

static const char SQL_SET_HASH[] = "SELECT set_config('aam.refresh_hash', $1, true)";

/* Sets the tenant to the token's namespace and takes the family's lock: a transaction-scoped
 * advisory lock on the family id (pooler-safe; released at commit). Every presentation of a
 * token of one family takes it before looking at the family, so presentations are serialised
 * per family, and the next statement's snapshot, taken once the lock is held (READ COMMITTED),
 * sees the commit of whichever came before. Without it two copies of one token presented
 * together each saw it unspent: one rotated and the other failed without revoking anything, so
 * a thief who won the race kept the session. An unknown token locks nothing. */
static const char SQL_SET_NS_LOCK_FAMILY[] =
    "SELECT set_config('" DB_TENANT_SETTING "', "
    "coalesce((SELECT namespace FROM refresh_tokens WHERE token_hash = $1), ''), true), "
    "(SELECT count(pg_advisory_xact_lock("
    "hashtextextended('aam.refresh_family.' || family_id::text, 0))) "
    "FROM refresh_tokens WHERE token_hash = $1)";

/* One statement, so its three parts share one snapshot, taken after the family lock:
 * - spent: takes the token if it is live.
 * - fresh: the next token of the family, only when spent took one.
 * - reused: the token was already spent (by an earlier presentation, which has committed, as
 *   the lock ensures): the family is deleted, including the token that presentation got.
 * The two modifying parts never touch the same row (spent needs spent_at IS NULL in the
 * snapshot, reused needs it set). */
static const char SQL_ROTATE[] =
    "WITH spent AS ("
    " UPDATE refresh_tokens SET spent_at = now()"
    " WHERE token_hash = $1 AND spent_at IS NULL AND expires_at > now()"
    " RETURNING family_id, user_id, namespace),"
    " fresh AS ("
    " INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at)"
    " SELECT $2, family_id, user_id, namespace, now() + make_interval(secs => $3::int) FROM spent"
    " RETURNING family_id),"
    " reused AS ("
    " DELETE FROM refresh_tokens WHERE family_id ="
    " (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND spent_at IS NOT NULL)"
    " RETURNING 1)"
    " SELECT (SELECT count(*) FROM reused), (SELECT count(*) FROM fresh),"
    " u.id, u.namespace, u.email, t.id, u.role"
    " FROM (SELECT 1) AS one LEFT JOIN spent s ON true"
    " LEFT JOIN users u ON u.id = s.user_id"
    " LEFT JOIN tenants t ON t.namespace = u.namespace";

int db_sessions_rotate(struct db_pool *pool, const char *token_hash, const char *next_hash,
                       int ttl_s, struct db_result **out, struct db_error *err)
{
    struct db_result *rs[4] = {NULL, NULL, NULL, NULL};
    char ttl[16];

    *out = NULL;
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *one[] = {token_hash};
    const char *rot[] = {token_hash, next_hash, ttl};
    const struct db_stmt st[] = {
        {SQL_SET_HASH, 1, one},
        {SQL_SET_NS_LOCK_FAMILY, 1, one},
        {SQL_ROTATE, 3, rot},
        {SQL_PRUNE, 0, NULL},
    };
    if (db_run(pool, NULL, st, 4, rs, 0, err) != 0)
        return -1;
    *out = rs[2];
    rs[2] = NULL;
    for (int i = 0; i < 4; i++)
        db_result_free(rs[i]);
    return 0;
}

/* ------------------------------------------------------------------ revoke */

static const char SQL_REVOKE_FAMILY[] =
    "DELETE FROM refresh_tokens WHERE family_id IN ("
    "SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2::uuid)";
static const char SQL_REVOKE_ALL[] = "DELETE FROM refresh_tokens WHERE user_id = $1::uuid";

/* Runs one DELETE in ns and reports how many rows it removed. */
static int run_revoke(struct db_pool *pool, const char *ns, const struct db_stmt *st, long *revoked,
                      struct db_error *err)
{
    struct db_result *r = NULL;
    *revoked = 0;
    if (db_run(pool, ns, st, 1, &r, 0, err) != 0)
        return -1;
    *revoked = db_result_affected(r);
    db_result_free(r);
    return 0;
}

int db_sessions_revoke_family(struct db_pool *pool, const char *ns, const char *user_id,
                              const char *token_hash, long *revoked, struct db_error *err)
{
    const char *params[] = {token_hash, user_id};
    const struct db_stmt st = {SQL_REVOKE_FAMILY, 2, params};
    return run_revoke(pool, ns, &st, revoked, err);
}

int db_sessions_revoke_all(struct db_pool *pool, const char *ns, const char *user_id, long *revoked,
                           struct db_error *err)
{
    const char *params[] = {user_id};
    const struct db_stmt st = {SQL_REVOKE_ALL, 1, params};
    return run_revoke(pool, ns, &st, revoked, err);
}

/* ------------------------------------------------------------------ service clients */

static const char SQL_SET_CLIENT[] = "SELECT set_config('aam.client_id', $1, true)";
static const char SQL_SET_NS_BY_CLIENT[] =
    "SELECT set_config('" DB_TENANT_SETTING "', "
    "coalesce((SELECT namespace FROM clients WHERE id = $1), ''), true)";
static const char SQL_CLIENT[] =
    "SELECT c.namespace, c.secret_hash, t.id, array_to_string(c.scopes, ' ') FROM clients c "
    "LEFT JOIN tenants t ON t.namespace = c.namespace WHERE c.id = $1";

int db_sessions_client(struct db_pool *pool, const char *client_id, struct db_result **out,
                       struct db_error *err)
{
    struct db_result *rs[3] = {NULL, NULL, NULL};
    const char *params[] = {client_id};
    const struct db_stmt st[] = {
        {SQL_SET_CLIENT, 1, params},
        {SQL_SET_NS_BY_CLIENT, 1, params},
        {SQL_CLIENT, 1, params},
    };
    *out = NULL;
    if (db_run(pool, NULL, st, 3, rs, DB_READ_ONLY, err) != 0)
        return -1;
    *out = rs[2];
    db_result_free(rs[0]);
    db_result_free(rs[1]);
    return 0;
}
