/* db/members: members, roles and invites (see members.h). The last-admin rule is kept by the
 * database transaction, not by C: each role change and removal first locks the tenant's row,
 * then counts the admins and writes in one statement whose snapshot is taken after the lock. */
#include "db/members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RFC3339(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* "1" (or any non-zero count) in cell (row 0, col) of r. */
static int cell_nonzero(const struct db_result *r, int col)
{
    const char *v = db_result_get(r, 0, col);
    return v != NULL && strcmp(v, "0") != 0;
}

/* ------------------------------------------------------------------ list */

int db_members_list(struct db_pool *pool, const char *ns, struct db_result **members,
                    struct db_result **invites, long *total, struct db_error *err)
{
    static const char members_sql[] = "SELECT id, email, role, " RFC3339(
        "created_at") " FROM users WHERE namespace = $1 "
                      "ORDER BY created_at, email LIMIT $2::int";
    static const char invites_sql[] = "SELECT email, role, " RFC3339("created_at") ", " RFC3339(
        "expires_at") " FROM invites WHERE namespace = $1 AND expires_at > now() "
                      "ORDER BY created_at, email LIMIT $2::int";
    static const char count_sql[] = "SELECT count(*) FROM users WHERE namespace = $1";
    char max[16];
    snprintf(max, sizeof max, "%d", DB_MEMBERS_LIST_MAX);
    const char *params[] = {ns, max};
    const struct db_stmt st[] = {{members_sql, 2, params},
                                 {invites_sql, 2, params},
                                 {count_sql, 1, params}};
    struct db_result *rs[3] = {NULL, NULL, NULL};

    *members = *invites = NULL;
    *total = 0;
    if (db_run(pool, ns, st, 3, rs, DB_READ_ONLY, err) != 0)
        return -1;
    const char *n = db_result_get(rs[2], 0, 0);
    *total = n != NULL ? strtol(n, NULL, 10) : 0;
    *members = rs[0];
    *invites = rs[1];
    db_result_free(rs[2]);
    return 0;
}

/* ------------------------------------------------------------------ invite */

/* Nothing is stored for a namespace without a tenant or an email that is a member already; a
 * pending invite of the same email is replaced (its old token stops working). */
static const char SQL_INVITE[] =
    "WITH t AS (SELECT namespace FROM tenants WHERE namespace = $1), "
    "member AS (SELECT 1 FROM users WHERE namespace = $1 AND email = lower($2)), "
    "ins AS (INSERT INTO invites (token_hash, namespace, email, role, invited_by, expires_at) "
    " SELECT $4, t.namespace, lower($2), $3, $5, now() + make_interval(secs => $6::int) FROM t "
    " WHERE NOT EXISTS (SELECT 1 FROM member) "
    " ON CONFLICT (namespace, email) DO UPDATE SET token_hash = excluded.token_hash, "
    " role = excluded.role, invited_by = excluded.invited_by, created_at = now(), "
    " expires_at = excluded.expires_at "
    " RETURNING email, role, " RFC3339("created_at") ", " RFC3339(
        "expires_at") ") "
                      "SELECT ins.*, (SELECT count(*) FROM t), (SELECT count(*) FROM member) "
                      "FROM (SELECT 1) AS one LEFT JOIN ins ON true";
static const char SQL_PRUNE_INVITES[] =
    "DELETE FROM invites WHERE namespace = $1 AND expires_at <= now()";

int db_members_invite(struct db_pool *pool, const char *ns, const char *email, const char *role,
                      const char *token_hash, const char *invited_by, int ttl_s,
                      enum db_members_outcome *out, struct db_result **row, struct db_error *err)
{
    char ttl[16];
    struct db_result *rs[2] = {NULL, NULL};
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *params[] = {ns, email, role, token_hash, invited_by, ttl};
    const struct db_stmt st[] = {{SQL_PRUNE_INVITES, 1, params}, {SQL_INVITE, 6, params}};

    *row = NULL;
    *out = DB_MEMBERS_NO_TENANT;
    if (db_run(pool, ns, st, 2, rs, 0, err) != 0)
        return -1;
    db_result_free(rs[0]);
    if (db_result_get(rs[1], 0, DB_MEMBERS_INVITE_EMAIL) != NULL) {
        *out = DB_MEMBERS_DONE;
        *row = rs[1];
        return 0;
    }
    if (cell_nonzero(rs[1], 4))
        *out = cell_nonzero(rs[1], 5) ? DB_MEMBERS_IS_MEMBER : DB_MEMBERS_NO_TENANT;
    db_result_free(rs[1]);
    return 0;
}

/* ------------------------------------------------------------------ role change, removal */

/* Serialises every role change and removal of one tenant: FOR NO KEY UPDATE conflicts with
 * itself but not with the FOR KEY SHARE that foreign-key checks take, so inserts of the
 * tenant's other rows do not wait on it. */
static const char SQL_LOCK_TENANT[] = "SELECT 1 FROM tenants WHERE namespace = $1 FOR NO KEY UPDATE";

/* One statement after the lock: target (the user), admins (how many the tenant has) and the
 * update share its snapshot, taken once the lock is held, so it sees every change committed
 * before. An admin is demoted only while another admin remains. */
static const char SQL_SET_ROLE[] =
    "WITH target AS (SELECT id, role FROM users WHERE id = $2::uuid AND namespace = $1), "
    "admins AS (SELECT count(*) AS n FROM users WHERE namespace = $1 AND role = 'admin'), "
    "upd AS (UPDATE users u SET role = $3, updated_at = now() FROM target "
    " WHERE u.id = target.id AND (target.role <> 'admin' OR $3 = 'admin' "
    "  OR (SELECT n FROM admins) > 1) "
    " RETURNING u.id, u.email, u.role, " RFC3339(
        "u.created_at") ") "
                        "SELECT upd.*, (SELECT count(*) FROM target) FROM (SELECT 1) AS one LEFT JOIN upd ON true";

static const char SQL_REMOVE[] =
    "WITH target AS (SELECT id, role FROM users WHERE id = $2::uuid AND namespace = $1), "
    "admins AS (SELECT count(*) AS n FROM users WHERE namespace = $1 AND role = 'admin'), "
    "del AS (DELETE FROM users u USING target WHERE u.id = target.id "
    " AND (target.role <> 'admin' OR (SELECT n FROM admins) > 1) RETURNING u.id) "
    "SELECT (SELECT count(*) FROM del), (SELECT count(*) FROM target)";

int db_members_set_role(struct db_pool *pool, const char *ns, const char *user_id, const char *role,
                        enum db_members_outcome *out, struct db_result **row, struct db_error *err)
{
    struct db_result *rs[2] = {NULL, NULL};
    const char *params[] = {ns, user_id, role};
    const struct db_stmt st[] = {{SQL_LOCK_TENANT, 1, params}, {SQL_SET_ROLE, 3, params}};

    *row = NULL;
    *out = DB_MEMBERS_NOT_FOUND;
    if (db_run(pool, ns, st, 2, rs, 0, err) != 0)
        return -1;
    db_result_free(rs[0]);
    if (db_result_get(rs[1], 0, DB_MEMBERS_ID) != NULL) {
        *out = DB_MEMBERS_DONE;
        *row = rs[1];
        return 0;
    }
    if (cell_nonzero(rs[1], 4))
        *out = DB_MEMBERS_LAST_ADMIN;
    db_result_free(rs[1]);
    return 0;
}

int db_members_remove(struct db_pool *pool, const char *ns, const char *user_id,
                      enum db_members_outcome *out, struct db_error *err)
{
    struct db_result *rs[2] = {NULL, NULL};
    const char *params[] = {ns, user_id};
    const struct db_stmt st[] = {{SQL_LOCK_TENANT, 1, params}, {SQL_REMOVE, 2, params}};

    *out = DB_MEMBERS_NOT_FOUND;
    if (db_run(pool, ns, st, 2, rs, 0, err) != 0)
        return -1;
    if (cell_nonzero(rs[1], 0))
        *out = DB_MEMBERS_DONE;
    else if (cell_nonzero(rs[1], 1))
        *out = DB_MEMBERS_LAST_ADMIN;
    db_result_free(rs[0]);
    db_result_free(rs[1]);
    return 0;
}

/* ------------------------------------------------------------------ accept */

static const char SQL_SET_INVITE[] = "SELECT set_config('aam.invite_hash', $1, true)";
/* The tenant of the invite, and whether it has expired (NULL when there is no such invite). */
static const char SQL_SET_NS_BY_INVITE[] =
    "SELECT set_config('" DB_TENANT_SETTING "', "
    "coalesce((SELECT namespace FROM invites WHERE token_hash = $1), ''), true), "
    "(SELECT (expires_at <= now())::int FROM invites WHERE token_hash = $1)";
/* Spends the invite, creates its user and the user's first refresh token: one statement, so
 * either all three happen or none (a taken email fails the insert and keeps the invite). */
static const char SQL_ACCEPT[] =
    "WITH inv AS (DELETE FROM invites WHERE token_hash = $1 AND expires_at > now() "
    " RETURNING namespace, email, role), "
    "u AS (INSERT INTO users (email, namespace, password_hash, role) "
    " SELECT email, namespace, $2, role FROM inv RETURNING id, email, namespace, role), "
    "r AS (INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at) "
    " SELECT $3, gen_random_uuid(), id, namespace, now() + make_interval(secs => $4::int) "
    " FROM u RETURNING 1) "
    "SELECT u.id, u.email, u.namespace, u.role, t.id FROM u "
    "LEFT JOIN tenants t ON t.namespace = u.namespace WHERE (SELECT count(*) FROM r) = 1";

int db_members_accept(struct db_pool *pool, const struct db_members_acceptance *a,
                      enum db_members_outcome *out, struct db_result **row, struct db_error *err)
{
    struct db_result *rs[3] = {NULL, NULL, NULL};
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", a->refresh_ttl_s);
    const char *one[] = {a->invite_hash};
    const char *acc[] = {a->invite_hash, a->password_hash, a->refresh_hash, ttl};
    const struct db_stmt st[] = {
        {SQL_SET_INVITE, 1, one},
        {SQL_SET_NS_BY_INVITE, 1, one},
        {SQL_ACCEPT, 4, acc},
    };

    *row = NULL;
    *out = DB_MEMBERS_INVITE_GONE;
    if (db_run(pool, NULL, st, 3, rs, 0, err) != 0)
        return -1;
    if (db_result_rows(rs[2]) == 1) {
        *out = DB_MEMBERS_DONE;
        *row = rs[2];
        rs[2] = NULL;
    } else if (cell_nonzero(rs[1], 1)) {
        *out = DB_MEMBERS_INVITE_EXPIRED;
    }
    for (int i = 0; i < 3; i++)
        db_result_free(rs[i]);
    return 0;
}
