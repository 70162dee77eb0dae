/* grants: source_grants, the folders of AAM_SOURCES_ROOT a tenant's FilesSource connectors may
 * read (`aam sources`, the seed's "grants"). A folder is stored relative to the root, "" being
 * the root itself. */
#ifndef AAM_DB_GRANTS_H
#define AAM_DB_GRANTS_H

#include "db/db.h"

/* Grants ns the folder. *out: DB_OUTCOME_CREATED, DB_OUTCOME_UNCHANGED (already granted) or
 * DB_OUTCOME_NO_TENANT (ns has no tenants row: nothing written). One statement scoped to ns.
 * Returns 0, or -1 with *err and nothing written. ns and folder are borrowed for the call. */
int db_grants_add(struct db_pool *pool, const char *ns, const char *folder, enum db_outcome *out,
                  struct db_error *err) __attribute__((warn_unused_result));

/* The same grant inside tx, which must be scoped to ns (the seed). On -1 tx is failed: the
 * caller rolls it back. */
int db_grants_add_tx(struct db_tx *tx, const char *ns, const char *folder, enum db_outcome *out,
                     struct db_error *err) __attribute__((warn_unused_result));

/* Revokes ns's grant of folder. *out: DB_OUTCOME_DELETED, DB_OUTCOME_UNCHANGED (it was not
 * granted) or DB_OUTCOME_NO_TENANT (nothing written). Returns 0, or -1 with *err. */
int db_grants_remove(struct db_pool *pool, const char *ns, const char *folder, enum db_outcome *out,
                     struct db_error *err) __attribute__((warn_unused_result));

/* Called once per grant; both strings are borrowed for the call only. */
typedef void (*db_grants_each_fn)(void *arg, const char *ns, const char *folder);

/* The grants of ns, or of every namespace when ns is NULL, by folder then namespace, read as
 * operator (DB_OPERATOR_SETTING) in one read-only transaction. With ns, *tenant_known is 0 when
 * ns has no tenants row (each is then never called), else 1; without, always 1. Calls each
 * only after the read succeeded. Returns 0, or -1 with *err (each never called). */
int db_grants_list(struct db_pool *pool, const char *ns, db_grants_each_fn each, void *arg,
                   int *tenant_known, struct db_error *err) __attribute__((warn_unused_result));

#endif
