/* db/tenants: reads of the tenants table for the request handlers. A tenant is created by
 * register (db/users.h, with its first user) and by the commands. */
#ifndef AAM_DB_TENANTS_H
#define AAM_DB_TENANTS_H

#include <stddef.h>

#include "db/db.h"

/* ---- used by the request handlers */

/* Sets *exists to 1 when ns has a tenant, else 0 (one indexed read, in ns, read-only).
 * Returns 0, or -1 with *err set (then *exists is 0). */
int db_tenants_exists(struct db_pool *pool, const char *ns, int *exists, struct db_error *err)
    __attribute__((warn_unused_result));

/* Writes the id of ns's tenant into id[size]: "" when ns has none (or, which a uuid rules out,
 * when it does not fit). Returns 0, or -1 with *err set (then id is ""). */
int db_tenants_id(struct db_pool *pool, const char *ns, char *id, size_t size, struct db_error *err)
    __attribute__((warn_unused_result));

/* ------------------------------------------------------------------ the operator commands
 * `aam tenants create|list` and `aam seed` (server/cli). */

/* Creates tenant ns named name, or renames it. *out: DB_OUTCOME_CREATED, DB_OUTCOME_UPDATED
 * (the name differed) or DB_OUTCOME_UNCHANGED. One statement, so concurrent creates leave one
 * row. Scoped to ns: row-level security shows and lets write only that namespace's row.
 * Returns 0, or -1 with *err and nothing written. ns and name are borrowed for the call. */
int db_tenants_upsert(struct db_pool *pool, const char *ns, const char *name, enum db_outcome *out,
                      struct db_error *err) __attribute__((warn_unused_result));

/* The same upsert inside tx, which must be scoped to ns (the seed: a tenant and its rows in one
 * transaction). On -1 tx is failed: the caller rolls it back. */
int db_tenants_upsert_tx(struct db_tx *tx, const char *ns, const char *name, enum db_outcome *out,
                         struct db_error *err) __attribute__((warn_unused_result));

/* Called once per tenant; both strings are borrowed for the call only. */
typedef void (*db_tenants_each_fn)(void *arg, const char *ns, const char *name);

/* Every tenant of every namespace, by namespace, read as operator (DB_OPERATOR_SETTING), in one
 * read-only transaction. Calls each only after the read succeeded. Returns 0, or -1 with *err
 * (each never called). */
int db_tenants_list_all(struct db_pool *pool, db_tenants_each_fn each, void *arg,
                        struct db_error *err) __attribute__((warn_unused_result));

#endif
