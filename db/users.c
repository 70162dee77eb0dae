/* users: the statements on the users table. Login and registration find a user by email
 * before they know its tenant; row-level security shows that one row through
 * DB_LOGIN_EMAIL_SETTING. */
#include <stdio.h>

#include "db/db_internal.h"
#include "db/users.h"

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
    static const char sql[] = "INSERT INTO users (email, namespace, password_hash) "
                              "VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING";
    const char *params[] = {email, ns, password_hash};
    const struct db_stmt st = {sql, 3, params};
    struct db_result *r = NULL;
    if (db_tx_exec(tx, &st, &r, err) != 0)
        return -1;
    *out = db_result_affected(r) == 1 ? DB_OUTCOME_CREATED : DB_OUTCOME_UNCHANGED;
    db_result_free(r);
    return 0;
}
