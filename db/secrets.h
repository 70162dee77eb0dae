/* db/secrets: the connections.secrets column as the operator commands see it, across every
 * tenant: `aam keys status` (how many values each key id encrypts), `aam keys rotate` (rows
 * whose values are not all under the first key, in batches) and `aam migrate`'s step that moves
 * plain secrets out of connector_config. Each batch is one short transaction that sets
 * DB_OPERATOR_SETTING (honoured for the tables' owner only: migration 0008, policy
 * connections_operator of 0009) and locks its rows FOR UPDATE SKIP LOCKED, so a busy row is
 * left for a later pass and the service keeps serving. Values here are ciphertexts
 * (v1:<key id>:...); this module never sees a secret in clear. */
#ifndef AAM_DB_SECRETS_H
#define AAM_DB_SECRETS_H

#include "db/db.h"

/* Sets *exists to 1 when connections has its secrets column (migration 0009 applied), else 0:
 * `aam migrate` with a migrations directory that stops earlier has no secrets to move. Returns
 * 0, or -1 with *err. */
int db_secrets_column_exists(struct db_pool *pool, int *exists, struct db_error *err)
    __attribute__((warn_unused_result));

/* Called once per (kind, key id) holding values: kind is "connector" (webhooks later), key_id
 * the id stored in the value ("" for a value not of the v1 form), n how many values. Borrowed
 * for the call only. */
typedef void (*db_secrets_count_fn)(void *arg, const char *kind, const char *key_id, long n);

/* Counts every stored secret value by key id, in one read-only operator transaction; calls each
 * only after the read succeeded. Returns 0, or -1 with *err. */
int db_secrets_count(struct db_pool *pool, db_secrets_count_fn each, void *arg,
                     struct db_error *err) __attribute__((warn_unused_result));

/* Set (transaction-local, 'on') in every batch transaction: its writes only re-encrypt values or
 * move them out of connector_config, so a connector's meaning does not change. A history or
 * webhook trigger reading it can leave such writes out of a connector's events. */
#define DB_SECRETS_REWRAP_SETTING "aam.secrets_rewrap"

/* An operator transaction for one batch (db_tx_begin + DB_OPERATOR_SETTING and
 * DB_SECRETS_REWRAP_SETTING). Returns NULL with *err. Commit or roll back with db_tx_commit /
 * db_tx_rollback. */
struct db_tx *db_secrets_begin(struct db_pool *pool, struct db_error *err)
    __attribute__((warn_unused_result));

/* The columns of the claim functions' rows. */
enum db_secrets_col {
    DB_SECRETS_NS,
    DB_SECRETS_ID,
    DB_SECRETS_SECRETS, /* the secrets column, jsonb text */
    DB_SECRETS_TYPE,    /* the source_type column */
    DB_SECRETS_CONFIG,  /* connector_config, jsonb text */
};

/* Locks (FOR UPDATE SKIP LOCKED) and returns up to limit connections, in (namespace, id) order
 * after (after_ns, after_id) ("" and "" for the start), that hold a secret value not under key
 * key_id. On 0, *out holds the rows (enum db_secrets_col); the caller frees it. On -1, *err is
 * set and tx is failed. */
int db_secrets_claim_tx(struct db_tx *tx, const char *key_id, const char *after_ns,
                        const char *after_id, int limit, struct db_result **out,
                        struct db_error *err) __attribute__((warn_unused_result));

/* The same for rows whose connector_config holds a secret field in clear: names_by_type is a
 * JSON object {"<type>":["<field>",...],...} (the registry's secret fields). */
int db_secrets_claim_plain_tx(struct db_tx *tx, const char *names_by_type, const char *after_ns,
                              const char *after_id, int limit, struct db_result **out,
                              struct db_error *err) __attribute__((warn_unused_result));

/* Updates one claimed row: drops the members named by the JSON array drop_config (may be NULL:
 * none) from connector_config and merges the JSON object set (field -> stored value) into
 * secrets. updated_at is left alone: the connector did not change. Returns 0, or -1 with *err
 * (tx failed). */
int db_secrets_store_tx(struct db_tx *tx, const char *ns, const char *id, const char *drop_config,
                        const char *set, struct db_error *err) __attribute__((warn_unused_result));

#endif
