/* db/secrets: the operator's statements over connections.secrets (see secrets.h). The claims
 * walk the primary key in order (keyset paging), so a pass reads every row once however many
 * batches it takes, and SKIP LOCKED leaves a row a request is writing to a later pass. */
#include "db/secrets.h"
#include "db/db_internal.h"

#include <stdio.h>
#include <string.h>

static const char SQL_OPERATOR[] = "SELECT set_config('" DB_OPERATOR_SETTING "', 'on', true)";

int db_secrets_column_exists(struct db_pool *pool, int *exists, struct db_error *err)
{
    static const char sql[] =
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('connections') "
        "AND attname = 'secrets' AND NOT attisdropped)";
    const struct db_stmt st = {sql, 0, NULL};
    struct db_result *r = NULL;
    *exists = 0;
    if (db_run(pool, NULL, &st, 1, &r, DB_READ_ONLY, err) != 0)
        return -1;
    const char *v = db_result_get(r, 0, 0);
    *exists = v != NULL && strcmp(v, "t") == 0;
    db_result_free(r);
    return 0;
}

int db_secrets_count(struct db_pool *pool, db_secrets_count_fn each, void *arg, struct db_error *err)
{
    static const char sql[] = "SELECT 'connector', split_part(e.value, ':', 2), count(*) "
                              "FROM connections c, jsonb_each_text(c.secrets) e "
                              "GROUP BY 2 ORDER BY 2";
    const struct db_stmt stmts[2] = {{SQL_OPERATOR, 0, NULL}, {sql, 0, NULL}};
    struct db_result *r[2] = {NULL, NULL};
    if (db_run(pool, NULL, stmts, 2, r, DB_READ_ONLY, err) != 0)
        return -1;
    for (int i = 0; i < db_result_rows(r[1]); i++) {
        const char *n = db_result_get(r[1], i, 2);
        each(arg, db_result_get(r[1], i, 0), db_result_get(r[1], i, 1), n ? atol(n) : 0);
    }
    db_result_free(r[0]);
    db_result_free(r[1]);
    return 0;
}

/* Marks the batch's transaction as a re-encryption (DB_SECRETS_REWRAP_SETTING, see secrets.h). */
static const char SQL_OPERATOR_REWRAP[] = "SELECT set_config('" DB_OPERATOR_SETTING
                                          "', 'on', true), "
                                          "set_config('" DB_SECRETS_REWRAP_SETTING "', 'on', true)";

struct db_tx *db_secrets_begin(struct db_pool *pool, struct db_error *err)
{
    const struct db_stmt st = {SQL_OPERATOR_REWRAP, 0, NULL};
    struct db_result *r = NULL;
    struct db_tx *tx = db_tx_begin(pool, NULL, err);
    if (tx == NULL)
        return NULL;
    if (db_tx_exec(tx, &st, &r, err) != 0) {
        db_tx_rollback(tx);
        return NULL;
    }
    db_result_free(r);
    return tx;
}

/* The claim's columns, then its ordering and lock. */
#define CLAIM_COLS "SELECT c.namespace, c.id, c.secrets, c.source_type, c.connector_config "
#define CLAIM_TAIL                                                                                 \
    " AND (c.namespace, c.id) > ($2::text, $3::text) "                                             \
    "ORDER BY c.namespace, c.id LIMIT $4::int FOR UPDATE OF c SKIP LOCKED"

static int claim(struct db_tx *tx, const char *sql, const char *p1, const char *after_ns,
                 const char *after_id, int limit, struct db_result **out, struct db_error *err)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *params[] = {p1, after_ns, after_id, lim};
    const struct db_stmt st = {sql, 4, params};
    *out = NULL;
    return db_tx_exec(tx, &st, out, err);
}

int db_secrets_claim_tx(struct db_tx *tx, const char *key_id, const char *after_ns,
                        const char *after_id, int limit, struct db_result **out,
                        struct db_error *err)
{
    static const char sql[] = CLAIM_COLS
        "FROM connections c WHERE EXISTS (SELECT 1 FROM jsonb_each_text(c.secrets) e "
        "WHERE split_part(e.value, ':', 2) <> $1::text)" CLAIM_TAIL;
    return claim(tx, sql, key_id, after_ns, after_id, limit, out, err);
}

int db_secrets_claim_plain_tx(struct db_tx *tx, const char *names_by_type, const char *after_ns,
                              const char *after_id, int limit, struct db_result **out,
                              struct db_error *err)
{
    static const char sql[] = CLAIM_COLS
        "FROM connections c WHERE c.connector_config ?| ARRAY(SELECT "
        "jsonb_array_elements_text(coalesce($1::jsonb -> c.source_type, '[]')))" CLAIM_TAIL;
    return claim(tx, sql, names_by_type, after_ns, after_id, limit, out, err);
}

int db_secrets_store_tx(struct db_tx *tx, const char *ns, const char *id, const char *drop_config,
                        const char *set, struct db_error *err)
{
    static const char sql[] = "UPDATE connections SET connector_config = connector_config - "
                              "  ARRAY(SELECT jsonb_array_elements_text(coalesce($3::jsonb, '[]'))), "
                              "  secrets = secrets || $4::jsonb WHERE namespace = $1 AND id = $2";
    const char *params[] = {ns, id, drop_config, set};
    const struct db_stmt st = {sql, 4, params};
    struct db_result *r = NULL;
    if (db_tx_exec(tx, &st, &r, err) != 0)
        return -1;
    db_result_free(r);
    return 0;
}
