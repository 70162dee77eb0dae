/* clients: the service clients (OAuth2 client credentials) as the operator commands (`aam
 * clients`) and the admins' routes (/api/v1/aam/clients) see them: create, list, revoke. Only a
 * secret's SHA-256 is ever stored. A client's scopes (migration 0011) travel as one
 * space-separated text, as in the token's `scope`. */
#ifndef AAM_DB_CLIENTS_H
#define AAM_DB_CLIENTS_H

#include <stddef.h>

#include "db/db.h"

/* Creates client id in ns, named name, with scopes (space-separated, at least one; the table's
 * CHECK refuses an unknown one) and secret_hash (hex SHA-256 of the secret, never the secret). *out: DB_OUTCOME_CREATED, or DB_OUTCOME_NO_TENANT (ns has no tenants row: nothing
 * written). The tenant check and the insert are one statement, scoped to ns. Returns 0, or -1
 * with *err (a taken id: DB_ERR_UNIQUE). Every string is borrowed for the call. */
int db_clients_create(struct db_pool *pool, const char *id, const char *ns, const char *name,
                      const char *scopes, const char *secret_hash, enum db_outcome *out,
                      struct db_error *err) __attribute__((warn_unused_result));

/* One client as listed; every string is borrowed for the call of db_clients_each_fn only. */
struct db_client_info {
    const char *id;
    const char *ns;
    const char *name;
    const char *created_at; /* RFC 3339, UTC, whole seconds */
    const char *scopes;     /* space-separated */
};
typedef void (*db_clients_each_fn)(void *arg, const struct db_client_info *c);

/* The clients of ns, or of every namespace when ns is NULL, by namespace, creation time and id,
 * read as operator (DB_OPERATOR_SETTING) in one read-only transaction. Never a secret or its
 * hash. Calls each only after the read succeeded. Returns 0, or -1 with *err (each never
 * called). */
int db_clients_list(struct db_pool *pool, const char *ns, db_clients_each_fn each, void *arg,
                    struct db_error *err) __attribute__((warn_unused_result));

/* The clients of tenant ns as its admins see them (scoped to ns, no operator setting), by
 * creation time and id, read-only; otherwise as db_clients_list. */
int db_clients_list_tenant(struct db_pool *pool, const char *ns, db_clients_each_fn each, void *arg,
                           struct db_error *err) __attribute__((warn_unused_result));

/* Deletes client id of tenant ns (scoped to ns: another tenant's client is not found). *out:
 * DB_OUTCOME_DELETED or DB_OUTCOME_UNCHANGED (no such client in ns). Returns 0, or -1 with *err
 * and nothing deleted. */
int db_clients_delete_tenant(struct db_pool *pool, const char *ns, const char *id,
                             enum db_outcome *out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Deletes client id, whatever its namespace (DB_CLIENT_ID_SETTING shows that one row). *out:
 * DB_OUTCOME_DELETED, with the client's namespace copied into ns_out (ns_size bytes, at least
 * 64), or DB_OUTCOME_UNCHANGED (no such client; ns_out ""). Returns 0, or -1 with *err and
 * nothing deleted. */
int db_clients_revoke(struct db_pool *pool, const char *id, enum db_outcome *out, char *ns_out,
                      size_t ns_size, struct db_error *err) __attribute__((warn_unused_result));

#endif
