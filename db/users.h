/* db/users: the users table as register and login use it. Emails are passed as the client
 * sent them: every statement applies PostgreSQL's lower(), the one normalisation (the table's
 * CHECK, the login lookup and the throttle key all use it, so they agree for any script). */
#ifndef AAM_DB_USERS_H
#define AAM_DB_USERS_H

#include "db/db.h"
#include <stddef.h>

/* ---- used by the request handlers */

/* What register stores, all borrowed for the call. */
struct db_user_registration {
    const char *ns;            /* the new tenant's namespace */
    const char *tenant_name;   /* its display name */
    const char *email;         /* as sent */
    const char *password_hash; /* server/core/password.h's encoding */
    const char *refresh_hash;  /* the first refresh token's hash */
    int refresh_ttl_s;
};

/* Creates the tenant, its first user (its admin) and that user's first refresh-token family in one
 * transaction scoped to the new namespace (the row-level security WITH CHECK of each table).
 * A concurrent registration of the same email or namespace waits on the unique index, then
 * fails with DB_ERR_UNIQUE and err->constraint "users_email_key" or "tenants_pkey": exactly
 * one wins. On 0, *tenant holds one row (the tenant's id) and *user one row (the user's id and
 * stored email); the caller frees both with db_result_free. On -1, *err is set, both are NULL
 * and nothing was stored. */
int db_users_register(struct db_pool *pool, const struct db_user_registration *reg,
                      struct db_result **tenant, struct db_result **user, struct db_error *err)
    __attribute__((warn_unused_result));

/* The columns of db_users_login_lookup's row. */
enum db_users_login_col {
    DB_USERS_LOGIN_ID,
    DB_USERS_LOGIN_NS,
    DB_USERS_LOGIN_EMAIL,
    DB_USERS_LOGIN_PASSWORD_HASH,
    DB_USERS_LOGIN_TENANT_ID, /* NULL when the tenant row is missing */
    DB_USERS_LOGIN_ROLE,      /* "admin", "editor" or "viewer" */
};

/* Finds the user with lower(email) before any namespace is known (read-only): the users
 * policy shows the one row whose email equals DB_LOGIN_EMAIL_SETTING, and DB_TENANT_SETTING
 * is then set to its namespace in the same transaction so the tenants row is visible. Both
 * settings end with the transaction. On 0, *out holds zero rows (no such user) or one (see
 * enum db_users_login_col); the caller frees it. On -1, *err is set and *out is NULL. */
int db_users_login_lookup(struct db_pool *pool, const char *email, struct db_result **out,
                          struct db_error *err) __attribute__((warn_unused_result));

/* Replaces user_id's password hash (in ns, the policy's WITH CHECK) by new_hash, only while
 * the stored one is still old_hash, so a concurrent password change is never overwritten.
 * Returns 0 (also when nothing matched), or -1 with *err. */
int db_users_set_password_hash(struct db_pool *pool, const char *ns, const char *user_id,
                               const char *new_hash, const char *old_hash, struct db_error *err)
    __attribute__((warn_unused_result));

/* ------------------------------------------------------------------ the seed (server/cli) */

/* The namespace of the user with this email (as stored: lower case), whatever its tenant:
 * DB_LOGIN_EMAIL_SETTING, set in tx for the rest of it, shows that one row, as for login.
 * Copies the namespace into ns_out (ns_size bytes, at least 64), "" when there is no such
 * user. Returns 0, or -1 with *err; then tx is failed and the caller rolls it back. */
int db_users_find_namespace_tx(struct db_tx *tx, const char *email, char *ns_out, size_t ns_size,
                               struct db_error *err) __attribute__((warn_unused_result));

/* Inserts user email into ns with password_hash, as the tenant's admin, unless the email exists (ON CONFLICT DO
 * NOTHING: of two concurrent seeds, one creates the user). *out: DB_OUTCOME_CREATED, or
 * DB_OUTCOME_UNCHANGED (the user was there: password_hash was not stored). tx must be scoped to
 * ns. Returns 0, or -1 with *err; then tx is failed. Strings are borrowed for the call. */
int db_users_create_if_absent_tx(struct db_tx *tx, const char *email, const char *ns,
                                 const char *password_hash, enum db_outcome *out,
                                 struct db_error *err) __attribute__((warn_unused_result));

#endif
