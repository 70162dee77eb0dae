/* connectors: the connections table, one row per connector, keyed by (namespace, id). */
#ifndef AAM_DB_CONNECTORS_H
#define AAM_DB_CONNECTORS_H

#include <stddef.h>

#include "db/db.h"

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
