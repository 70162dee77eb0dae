/* db/connectors: the connections table (the tenant's connector registry) as the request
 * handlers use it. Every function runs in the namespace it is given, and every WHERE names
 * that namespace too (row-level security is the second guard, not the only one). PostgreSQL
 * returns plain columns and the caller writes the JSON; a connector's jsonb config comes back
 * as the text PostgreSQL sends (its numbers keep their digits). */
#ifndef AAM_DB_CONNECTORS_H
#define AAM_DB_CONNECTORS_H

#include "db/db.h"
#include <stddef.h>

/* The type whose config names a folder (server/core/connector_json.h uses this spelling). */
#define DB_CONNECTOR_TYPE_FILESOURCE "filesource"

/* The columns of one connector in a result, in this order from a function's first connector
 * column. The namespace is not read back: it is the caller's. Timestamps are integer
 * microseconds since the Unix epoch, which no session setting (DateStyle, TimeZone) changes. */
enum db_connector_col {
    DB_CONNECTOR_ID,
    DB_CONNECTOR_NAME,
    DB_CONNECTOR_TYPE,
    DB_CONNECTOR_STATUS,
    DB_CONNECTOR_CONFIG,  /* jsonb text */
    DB_CONNECTOR_CREATED, /* microseconds */
    DB_CONNECTOR_UPDATED,
    DB_CONNECTOR_VERSION, /* the row version (migration 0010): a connector's ETag */
    DB_CONNECTOR_NCOLS
};

/* ---- used by the request handlers */

struct db_connector_filter {
    const char *status; /* NULL: any */
    const char *type;   /* NULL: any; otherwise an exact match */
    long limit, offset;
    long long known_revision; /* -1: none; else the tenant revision the caller's copy shows */
};

/* Extra columns of db_connectors_list's rows, after the connector's. */
enum {
    DB_CONNECTORS_LIST_TOTAL = DB_CONNECTOR_NCOLS, /* NULL only in the not-modified row */
    DB_CONNECTORS_LIST_TENANT_EXISTS,
    DB_CONNECTORS_LIST_REVISION, /* the tenant's revision, read with the page */
};

/* The strong ETags a conditional write accepts (If-Match), at most DB_IF_MATCH_MAX; n == 0
 * matches nothing. A NULL struct pointer in a call means no condition. */
#define DB_IF_MATCH_MAX 8
struct db_if_match {
    int n;
    long long versions[DB_IF_MATCH_MAX];
};

/* One page of ns's connectors matching f and the total, in one statement (aam_list_connectors,
 * migrations/0006 and 0010, whose plans PostgreSQL keeps per connection; named prepared
 * statements do not survive PgBouncer in transaction mode). Read-only. On 0, *out holds the
 * page's rows (connector columns, then DB_CONNECTORS_LIST_TOTAL,
 * DB_CONNECTORS_LIST_TENANT_EXISTS "t"/"f", DB_CONNECTORS_LIST_REVISION); an empty page is one
 * row with a NULL id carrying only those three. With f->known_revision >= 0 and the tenant still
 * at that revision: one row with a NULL id and a NULL total (not modified), decided by one
 * primary-key lookup, no page query and no count (aam_list_connectors_if). The caller frees
 * *out. On -1, *err is set and *out is NULL. */
int db_connectors_list(struct db_pool *pool, const char *ns, const struct db_connector_filter *f,
                       struct db_result **out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Connector id of ns (read-only). On 0, *out holds zero rows or one (enum db_connector_col from
 * column 0); the caller frees it. On -1, *err is set and *out is NULL. */
int db_connectors_get(struct db_pool *pool, const char *ns, const char *id, struct db_result **out,
                      struct db_error *err) __attribute__((warn_unused_result));

/* What a conditional write found. */
enum db_connector_state {
    DB_CONNECTOR_DONE = 0, /* written (or, for a patch, see its state column) */
    DB_CONNECTOR_ABSENT,   /* no such connector */
    DB_CONNECTOR_STALE,    /* it exists, and if_match names none of its versions: nothing written */
};

/* Deletes connector id of ns as actor (the history records it), only when if_match (NULL: no
 * condition) names its version, checked in the DELETE itself. *state: DONE, ABSENT or STALE.
 * Returns 0, or -1 with *err. */
int db_connectors_delete(struct db_pool *pool, const char *ns, const char *id,
                         const struct db_actor *actor, const struct db_if_match *if_match,
                         enum db_connector_state *state, struct db_error *err)
    __attribute__((warn_unused_result));

/* A new connector, all borrowed for the call. */
struct db_connector_new {
    const char *id, *name, *type, *status;
    const char *body;   /* the request body: PostgreSQL reads its "config" member */
    const char *folder; /* a filesource's folder relative to the sources root, else NULL */
    int quota;          /* the most connectors the tenant may hold */
};

/* Columns of db_connectors_create's row before the connector's ("t"/"f" each). */
enum {
    DB_CONNECTORS_CREATE_TENANT, /* ns has a tenant */
    DB_CONNECTORS_CREATE_OWNED,  /* ns owns the folder, if any (aam_folder_owned) */
    DB_CONNECTORS_CREATE_ROOM,   /* below the quota, or the id is taken (then a plain conflict) */
    DB_CONNECTORS_CREATE_COLS    /* the inserted connector's columns start here: NULL when the
                                  * id was taken or a check failed */
};

/* Inserts c into ns, as actor, when ns has a tenant, owns c->folder and holds fewer than c->quota
 * connectors, all checked in the inserting statement after a transaction-scoped advisory lock
 * on ns's quota (two creates of one tenant cannot both count quota - 1; other tenants never
 * wait). Nothing is stored on a refusal. On 0, *out holds one row (see the enum above); the
 * caller frees it. On -1, *err is set and *out is NULL; a tenant removed between the check
 * and the insert is SQLSTATE 23503 on connections_namespace_fkey. */
int db_connectors_create(struct db_pool *pool, const char *ns, const struct db_actor *actor,
                         const struct db_connector_new *c, struct db_result **out,
                         struct db_error *err)
    __attribute__((warn_unused_result));

/* What a patch changes, all borrowed; NULL leaves a field as it is. */
struct db_connector_change {
    const char *name, *status;
    const char *body;   /* the request body when it has a "config" member (it replaces the
                         * stored config), else NULL */
    int config_valid;   /* with body: the new config passes the filesource rules */
    const char *folder; /* with a valid one: its folder relative to the root, else NULL */
};

/* Applies ch to connector id of ns in one statement: lock the row, compute the wanted values,
 * write only when something differs and the result is valid for the row's type (config_valid
 * and the folder's ownership count only for a filesource, whose type cannot change), and
 * answer with the row as it now is. With if_match (NULL: no condition), only when it names the
 * locked row's version. On 0, *out holds zero rows (no such connector) or one: column 0 is
 * "updated", "unchanged", "invalid" or "stale" (if_match failed), then the connector's columns
 * from 1. The write is attributed to actor. The caller frees it. On -1, *err is set and *out is
 * NULL. */
int db_connectors_patch(struct db_pool *pool, const char *ns, const char *id,
                        const struct db_actor *actor, const struct db_if_match *if_match,
                        const struct db_connector_change *ch, struct db_result **out,
                        struct db_error *err) __attribute__((warn_unused_result));

/* The columns of db_connectors_folder's row. */
enum db_connectors_folder_col {
    DB_CONNECTORS_FOLDER_TYPE,
    DB_CONNECTORS_FOLDER_PATH,    /* config.path, NULL when absent */
    DB_CONNECTORS_FOLDER_PATTERN, /* config.pattern, NULL when absent */
    DB_CONNECTORS_FOLDER_STORED,  /* the folder its path resolved to when written, or NULL */
    DB_CONNECTORS_FOLDER_OWNED,   /* "t" when ns owns that folder now */
};

/* What the files routes need of connector id of ns (read-only): its type, path and pattern,
 * and whether ns owns the folder stored at write time (one indexed lookup). On 0, *out holds
 * zero rows or one (enum db_connectors_folder_col); the caller frees it. On -1, *err is set
 * and *out is NULL. */
int db_connectors_folder(struct db_pool *pool, const char *ns, const char *id,
                         struct db_result **out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Sets *owned to 1 when ns owns folder (relative to the sources root; aam_folder_owned), else 0
 * (read-only). Returns 0, or -1 with *err (then *owned is 0). */
int db_connectors_folder_owned(struct db_pool *pool, const char *ns, const char *folder, int *owned,
                               struct db_error *err) __attribute__((warn_unused_result));

/* ------------------------------------------------------------------ the seed (server/cli) */

/* A connector as a seed file declares it; every string is borrowed. */
struct db_connector_seed {
    const char *ns;
    const char *id;
    const char *name;
    const char *type; /* the source_type column */
    const char *status;
    const char *config_json; /* a JSON object, compact */
    const char *folder;      /* the folder its path resolves to, relative to the sources root;
                              * NULL when none (not a filesource, or not there) */
};

/* Creates the connector, or reconciles the seed-owned fields (name, type, status, config,
 * folder) of the existing row; a row that already matches is not written. *out:
 * DB_OUTCOME_CREATED, DB_OUTCOME_UPDATED or DB_OUTCOME_UNCHANGED. On UPDATED, changed receives
 * the changed fields as "name, type, status, config, folder" (those that differed, in that
 * order); otherwise "". tx must be scoped to c->ns. Returns 0, or -1 with *err; then tx is
 * failed and the caller rolls it back. */
int db_connectors_upsert_tx(struct db_tx *tx, const struct db_connector_seed *c,
                            enum db_outcome *out, char *changed, size_t changed_size,
                            struct db_error *err) __attribute__((warn_unused_result));

#endif
