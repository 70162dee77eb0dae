/* connector_secrets: a connector's secret fields ("writeOnly" in its type's spec) between the
 * API and the connections.secrets column. A config a client sends is split in two: the public
 * part (every other field, with the spec's defaults applied), stored in connector_config and
 * shown by every read, and the secret fields, each encrypted on its own (server/core/secrets.h)
 * bound to (connector, tenant namespace, connector id, field) and stored as
 * {"<field>":"v1:<key id>:...",...}. Reads never decrypt: they show the field names only.
 * Decryption is for the code that must use a secret (the checks), and for rotation.
 *
 * Also the two batch jobs over every tenant (operator transactions, db/secrets.h):
 * re-encrypting under the first key (`aam keys rotate`) and moving plain secrets that old rows
 * hold in connector_config into the column (`aam migrate`). Neither ever logs a value: lines
 * name the tenant, the connector, the field and the key id. */
#ifndef AAM_CONNECTOR_SECRETS_H
#define AAM_CONNECTOR_SECRETS_H

#include <stddef.h>

#include <jansson.h>

#include "db/db.h"
#include "server/core/schema.h"
#include "server/core/secrets.h"

/* A config split by connector_secrets_split; every member a new reference (or NULL). */
struct connector_secrets_split {
    json_t *config; /* the config without its secret fields, defaults applied */
    json_t *set;    /* {"<field>": "v1:..."}: the secret fields given as strings, encrypted */
    json_t *clear;  /* ["<field>", ...]: the secret fields given as null */
};

/* Splits config (a JSON object the caller validated against s; borrowed) of connector id of
 * tenant ns. Every string secret is encrypted under kr's first key (kr may be NULL for a config
 * with no secret value). Returns 0, or -1 when encryption failed (out then holds nothing); free out with connector_secrets_split_free. */
int connector_secrets_split(const struct secrets_keyring *kr, const struct schema *s,
                            const char *ns, const char *id, const json_t *config,
                            struct connector_secrets_split *out)
    __attribute__((warn_unused_result));

/* Releases what a split holds; NULL members allowed, safe twice. */
void connector_secrets_split_free(struct connector_secrets_split *x);

/* Encrypts secret_[0..len) as field of connector id of tenant ns. Returns the stored form
 * (caller frees; not secret), or NULL when OpenSSL failed or len is too large. */
char *connector_secrets_encrypt(const struct secrets_keyring *kr, const char *ns, const char *id,
                                const char *field, const char *secret_, size_t len)
    __attribute__((warn_unused_result));

/* Decrypts field of connector id of tenant ns from secrets_json (the secrets column's text,
 * db_connectors_secrets). Returns 0 with *secret_out (free with secrets_value_free(*secret_out,
 * *len_out)); 1 when the connector holds no value for field (*secret_out NULL); -1 with one line
 * in err naming the connector, the field and, when known, the key id (a missing key, a value
 * moved from another row or field, a damaged column), never the value. */
int connector_secrets_decrypt(const struct secrets_keyring *kr, const char *ns, const char *id,
                              const char *secrets_json, const char *field, char **secret_out,
                              size_t *len_out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* What a batch job did. */
struct connector_secrets_report {
    long rows;   /* connections written */
    long values; /* secret values re-encrypted (rotate) or moved out of the config (migrate) */
    long failed; /* values left as they were: they did not decrypt (each logged) */
    long passes; /* walks over the table (rotate: another when a row was busy) */
};

/* Re-encrypts every connector secret not under kr's first key, batch rows per transaction
 * (1..1000), each batch locking its rows FOR UPDATE SKIP LOCKED. A value that does not decrypt
 * is logged (connector, field, key id) and left as it is. Safe to interrupt: every batch
 * commits on its own, and a run picks up whatever is left. Returns 0 when no value is left
 * under another key, 1 when some are (failed or busy rows: *report says), -1 on a database
 * error (*err). */
int connector_secrets_rotate(struct db_pool *pool, const struct secrets_keyring *kr, int batch,
                             struct connector_secrets_report *report, struct db_error *err)
    __attribute__((warn_unused_result));

/* Moves every secret field that a row of a registry type holds in clear in connector_config into
 * the secrets column, encrypted (a value already in the column wins; the clear one is dropped).
 * Batches as connector_secrets_rotate; idempotent; nothing when the schema has no secrets column
 * yet. Returns 0, or -1 with *err. */
int connector_secrets_encrypt_plain(struct db_pool *pool, const struct secrets_keyring *kr,
                                    int batch, struct connector_secrets_report *report,
                                    struct db_error *err) __attribute__((warn_unused_result));

#endif
