/* users: the users table (email, namespace, password hash). Emails are stored in lower case
 * (a CHECK constraint); a user belongs to exactly one tenant. */
#ifndef AAM_DB_USERS_H
#define AAM_DB_USERS_H

#include <stddef.h>

#include "db/db.h"

/* ------------------------------------------------------------------ the seed (server/cli) */

/* The namespace of the user with this email (as stored: lower case), whatever its tenant:
 * DB_LOGIN_EMAIL_SETTING, set in tx for the rest of it, shows that one row, as for login.
 * Copies the namespace into ns_out (ns_size bytes, at least 64), "" when there is no such
 * user. Returns 0, or -1 with *err; then tx is failed and the caller rolls it back. */
int db_users_find_namespace_tx(struct db_tx *tx, const char *email, char *ns_out, size_t ns_size,
                               struct db_error *err) __attribute__((warn_unused_result));

/* Inserts user email into ns with password_hash, unless the email exists (ON CONFLICT DO
 * NOTHING: of two concurrent seeds, one creates the user). *out: DB_OUTCOME_CREATED, or
 * DB_OUTCOME_UNCHANGED (the user was there: password_hash was not stored). tx must be scoped to
 * ns. Returns 0, or -1 with *err; then tx is failed. Strings are borrowed for the call. */
int db_users_create_if_absent_tx(struct db_tx *tx, const char *email, const char *ns,
                                 const char *password_hash, enum db_outcome *out,
                                 struct db_error *err) __attribute__((warn_unused_result));

#endif
