/* clients: the service clients (OAuth2 client credentials) as the operator commands see them:
 * create, list, revoke (`aam clients`). Only a secret's SHA-256 is ever stored. */
#ifndef AAM_DB_CLIENTS_H
#define AAM_DB_CLIENTS_H

#include <stddef.h>

#include "db/db.h"

/* Creates client id in ns, named name, with secret_hash (hex SHA-256 of the secret, never the
 * secret). *out: DB_OUTCOME_CREATED, or DB_OUTCOME_NO_TENANT (ns has no tenants row: nothing
 * written). The tenant check and the insert are one statement, scoped to ns. Returns 0, or -1
 * with *err (a taken id: DB_ERR_UNIQUE). Every string is borrowed for the call. */
int db_clients_create(struct db_pool *pool, const char *id, const char *ns, const char *name,
                      const char *secret_hash, enum db_outcome *out, struct db_error *err)
    __attribute__((warn_unused_result));

/* One client as listed; every string is borrowed for the call of db_clients_each_fn only. */
struct db_client_info {
    const char *id;
    const char *ns;
    const char *name;
    const char *created_at; /* RFC 3339, UTC, whole seconds */
};
typedef void (*db_clients_each_fn)(void *arg, const struct db_client_info *c);

/* The clients of ns, or of every namespace when ns is NULL, by namespace, creation time and id,
 * read as operator (DB_OPERATOR_SETTING) in one read-only transaction. Never a secret or its
 * hash. Calls each only after the read succeeded. Returns 0, or -1 with *err (each never
 * called). */
int db_clients_list(struct db_pool *pool, const char *ns, db_clients_each_fn each, void *arg,
                    struct db_error *err) __attribute__((warn_unused_result));

/* Deletes client id, whatever its namespace (DB_CLIENT_ID_SETTING shows that one row). *out:
 * DB_OUTCOME_DELETED, with the client's namespace copied into ns_out (ns_size bytes, at least
 * 64), or DB_OUTCOME_UNCHANGED (no such client; ns_out ""). Returns 0, or -1 with *err and
 * nothing deleted. */
int db_clients_revoke(struct db_pool *pool, const char *id, enum db_outcome *out, char *ns_out,
                      size_t ns_size, struct db_error *err) __attribute__((warn_unused_result));

#endif
