/* tenants: the tenants table, the owner of a namespace (migration 0003: no row of any table
 * exists in a namespace without its tenants row). */
#ifndef AAM_DB_TENANTS_H
#define AAM_DB_TENANTS_H

#include "db/db.h"

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
