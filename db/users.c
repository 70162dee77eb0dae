/* db/users: register's transaction and login's lookup over the users table (see users.h). */
#include "db/users.h"
#include "db/db_internal.h"

#include <stdio.h>

#include "db/sessions_internal.h"
#include "db/tenants_internal.h"

/* ------------------------------------------------------------------ request handlers */

/* lower(): the CHECK (email = lower(email)), the login lookup and the throttle key all use
 * the database's notion of lower case, so they agree for any script. */
static const char SQL_INSERT_USER[] = "INSERT INTO users (email, namespace, password_hash, role) "
                                      "VALUES (lower($1), $2, $3, 'admin') RETURNING id, email";

int db_users_register(struct db_pool *pool, const struct db_user_registration *reg,
                      struct db_result **tenant, struct db_result **user, struct db_error *err)
{
    struct db_result *rs[3] = {NULL, NULL, NULL};
    char ttl[16];

    *tenant = *user = NULL;
    snprintf(ttl, sizeof ttl, "%d", reg->refresh_ttl_s);
    const char *tenant_params[] = {reg->ns, reg->tenant_name};
    const char *user_params[] = {reg->email, reg->ns, reg->password_hash};
    const char *refresh_params[] = {reg->refresh_hash, ttl, reg->email};
    const struct db_stmt st[] = {
        {db_tenants_sql_insert, 2, tenant_params},
        {SQL_INSERT_USER, 3, user_params},
        {db_sessions_sql_issue_for_email, 3, refresh_params},
    };
    if (db_run(pool, reg->ns, st, 3, rs, 0, err) != 0)
        return -1;
    *tenant = rs[0];
    *user = rs[1];
    db_result_free(rs[2]);
    return 0;
}

static const char SQL_LOGIN_EMAIL[] = "SELECT set_config('" DB_LOGIN_EMAIL_SETTING
                                      "', lower($1), true)";
static const char SQL_LOGIN_NS[] =
    "SELECT set_config('" DB_TENANT_SETTING "', "
    "coalesce((SELECT namespace FROM users WHERE email = lower($1)), ''), true)";
static const char SQL_LOGIN_USER[] =
    "SELECT u.id, u.namespace, u.email, u.password_hash, t.id, u.role "
    "FROM users u LEFT JOIN tenants t ON t.namespace = u.namespace WHERE u.email = lower($1)";

int db_users_login_lookup(struct db_pool *pool, const char *email, struct db_result **out,
                          struct db_error *err)
{
    struct db_result *rs[3] = {NULL, NULL, NULL};
    const char *params[] = {email};
    const struct db_stmt st[] = {
        {SQL_LOGIN_EMAIL, 1, params},
        {SQL_LOGIN_NS, 1, params},
        {SQL_LOGIN_USER, 1, params},
    };
    *out = NULL;
    if (db_run(pool, NULL, st, 3, rs, DB_READ_ONLY, err) != 0)
        return -1;
    *out = rs[2];
    db_result_free(rs[0]);
    db_result_free(rs[1]);
    return 0;
}

int db_users_set_password_hash(struct db_pool *pool, const char *ns, const char *user_id,
                               const char *new_hash, const char *old_hash, struct db_error *err)
{
    static const char sql[] = "UPDATE users SET password_hash = $1, updated_at = now() "
                              "WHERE id = $2 AND password_hash = $3";
    const char *params[] = {new_hash, user_id, old_hash};
    const struct db_stmt st = {sql, 3, params};
    return db_run(pool, ns, &st, 1, NULL, 0, err);
}

/* ------------------------------------------------------------------ the seed (server/cli) */

int db_users_find_namespace_tx(struct db_tx *tx, const char *email, char *ns_out, size_t ns_size,
                               struct db_error *err)
{
    static const char set_sql[] = "SELECT set_config('" DB_LOGIN_EMAIL_SETTING "', $1, true)";
    static const char get_sql[] = "SELECT namespace FROM users WHERE email = $1";
    const char *params[] = {email};
    const struct db_stmt set = {set_sql, 1, params}, get = {get_sql, 1, params};
    struct db_result *r = NULL;
    if (db_tx_exec(tx, &set, NULL, err) != 0 || db_tx_exec(tx, &get, &r, err) != 0)
        return -1;
    const char *ns = db_result_rows(r) > 0 ? db_result_get(r, 0, 0) : NULL;
    if (ns_size > 0)
        snprintf(ns_out, ns_size, "%s", ns != NULL ? ns : "");
    db_result_free(r);
    return 0;
}

int db_users_create_if_absent_tx(struct db_tx *tx, const char *email, const char *ns,
                                 const char *password_hash, enum db_outcome *out,
                                 struct db_error *err)
{
    static const char sql[] = "INSERT INTO users (email, namespace, password_hash, role) "
                              "VALUES ($1, $2, $3, 'admin') ON CONFLICT (email) DO NOTHING";
    const char *params[] = {email, ns, password_hash};
    const struct db_stmt st = {sql, 3, params};
    struct db_result *r = NULL;
    if (db_tx_exec(tx, &st, &r, err) != 0)
        return -1;
    *out = db_result_affected(r) == 1 ? DB_OUTCOME_CREATED : DB_OUTCOME_UNCHANGED;
    db_result_free(r);
    return 0;
}
