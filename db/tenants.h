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

#endif
