/* connector_secrets: splitting a config into its public part and its encrypted secret fields,
 * decrypting one field for the code that uses it, and the two batch jobs (see the header). */
#include "server/core/connector_secrets.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/secrets.h"
#include "server/core/log.h"
#include "server/core/types.h"

static void set_aad(struct secrets_aad *aad, const char *ns, const char *id, const char *field)
{
    aad->kind = SECRETS_KIND_CONNECTOR;
    aad->ns = ns;
    aad->owner = id;
    aad->field = field;
}

char *connector_secrets_encrypt(const struct secrets_keyring *kr, const char *ns, const char *id,
                                const char *field, const char *secret_, size_t len)
{
    struct secrets_aad aad;
    set_aad(&aad, ns, id, field);
    return secrets_encrypt(kr, &aad, secret_, len);
}

void connector_secrets_split_free(struct connector_secrets_split *x)
{
    json_decref(x->config);
    json_decref(x->set);
    json_decref(x->clear);
    x->config = x->set = x->clear = NULL;
}

int connector_secrets_split(const struct secrets_keyring *kr, const struct schema *s,
                            const char *ns, const char *id, const json_t *config,
                            struct connector_secrets_split *out)
{
    const char *key;
    json_t *value;
    out->config = json_object();
    out->set = json_object();
    out->clear = json_array();
    json_object_foreach((json_t *)(uintptr_t)config, key, value) {
        if (!schema_is_secret(s, key)) {
            json_object_set(out->config, key, value);
        } else if (json_is_null(value)) {
            json_array_append_new(out->clear, json_string(key));
        } else {
            char *stored = kr == NULL ? NULL
                                      : connector_secrets_encrypt(kr, ns, id, key,
                                                                  json_string_value(value),
                                                                  json_string_length(value));
            if (stored == NULL) {
                log_error("connector %s/%s: could not encrypt field %s%s", ns, id, key,
                          kr == NULL ? " (no AAM_SECRET_KEYS loaded)" : "");
                connector_secrets_split_free(out);
                return -1;
            }
            json_object_set_new(out->set, key, json_string(stored));
            free(stored);
        }
    }
    (void)schema_apply_defaults(s, out->config); /* an object: cannot fail */
    return 0;
}

int connector_secrets_decrypt(const struct secrets_keyring *kr, const char *ns, const char *id,
                              const char *secrets_json, const char *field, char **secret_out,
                              size_t *len_out, char *err, size_t errlen)
{
    char why[256];
    struct secrets_aad aad;
    json_t *doc = json_loads(secrets_json ? secrets_json : "{}", 0, NULL);
    const char *stored = json_string_value(json_object_get(doc, field));
    int ret = -1;
    *secret_out = NULL;
    *len_out = 0;
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "connector %s/%s: its stored secrets are not a JSON object", ns, id);
    } else if (json_object_get(doc, field) == NULL) {
        ret = 1;
    } else if (stored == NULL) {
        snprintf(err, errlen, "connector %s/%s, field %s: the stored secret is not a string", ns,
                 id, field);
    } else {
        set_aad(&aad, ns, id, field);
        ret = secrets_decrypt(kr, &aad, stored, secret_out, len_out, why, sizeof why);
        if (ret != 0)
            snprintf(err, errlen, "connector %s/%s, field %s: %s", ns, id, field, why);
    }
    json_decref(doc);
    return ret;
}

/* ------------------------------------------------------------------ the batch jobs */

#define BATCH_MAX 1000
#define ROTATE_PASSES_MAX 5 /* passes over the table while busy rows are left behind */

/* What one claimed row becomes: members to merge into secrets, members to drop from the config. */
struct row_change {
    json_t *set;  /* {"field": "v1:..."} */
    json_t *drop; /* ["field"] or NULL */
};

/* Decides a claimed row's change; returns how many values it re-encrypted or moved, adding
 * undecryptable ones to *failed. */
typedef long (*row_fn)(const struct secrets_keyring *kr, const struct db_result *r, int row,
                       struct row_change *ch, long *failed);

/* Rotate: every value not under the first key, decrypted and encrypted again. */
static long on_rotate_row(const struct secrets_keyring *kr, const struct db_result *r, int row,
                          struct row_change *ch, long *failed)
{
    const char *ns = db_result_get(r, row, DB_SECRETS_NS),
               *id = db_result_get(r, row, DB_SECRETS_ID);
    const char *first = secrets_keyring_id(kr, 0);
    json_t *doc = json_loads(db_result_get(r, row, DB_SECRETS_SECRETS), 0, NULL);
    const char *field;
    json_t *value;
    long n = 0;
    json_object_foreach(doc, field, value) {
        char kid[SECRETS_KEY_ID_MAX + 1] = "", err[512];
        char *secret_ = NULL, *stored = NULL;
        size_t len = 0;
        if (secrets_stored_key_id(json_string_value(value), kid, sizeof kid) == 0 &&
            strcmp(kid, first) == 0)
            continue;
        struct secrets_aad aad;
        set_aad(&aad, ns, id, field);
        if (secrets_decrypt(kr, &aad, json_string_value(value), &secret_, &len, err, sizeof err) !=
            0) {
            log_warn("aam keys rotate: connector %s/%s, field %s left as it is: %s", ns, id, field,
                     err);
            (*failed)++;
            continue;
        }
        stored = secrets_encrypt(kr, &aad, secret_, len);
        secrets_value_free(secret_, len);
        if (stored == NULL) {
            (*failed)++;
            continue;
        }
        json_object_set_new(ch->set, field, json_string(stored));
        free(stored);
        n++;
    }
    json_decref(doc);
    return n;
}

/* Migrate: the type's secret fields found in the config, encrypted into the column (unless the
 * column already has one) and dropped from the config. */
static long on_plain_row(const struct secrets_keyring *kr, const struct db_result *r, int row,
                         struct row_change *ch, long *failed)
{
    (void)failed;
    const char *ns = db_result_get(r, row, DB_SECRETS_NS),
               *id = db_result_get(r, row, DB_SECRETS_ID);
    const struct types_type *t = types_find(db_result_get(r, row, DB_SECRETS_TYPE));
    json_t *config = json_loads(db_result_get(r, row, DB_SECRETS_CONFIG), 0, NULL);
    json_t *have = json_loads(db_result_get(r, row, DB_SECRETS_SECRETS), 0, NULL);
    long n = 0;
    ch->drop = json_array();
    for (size_t i = 0; t != NULL && i < schema_count(types_schema(t)); i++) {
        const char *field = schema_property(types_schema(t), i);
        json_t *v = json_object_get(config, field);
        if (!schema_property_secret(types_schema(t), i) || v == NULL)
            continue;
        json_array_append_new(ch->drop, json_string(field));
        if (json_is_null(v) || json_object_get(have, field) != NULL)
            continue; /* nothing to keep, or the column's value is the newer one */
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        const char *secret_ = text ? text : json_string_value(v);
        size_t len = text ? strlen(text) : json_string_length(v);
        char *stored = connector_secrets_encrypt(kr, ns, id, field, secret_, len);
        if (text != NULL)
            secrets_value_free(text, len);
        if (stored == NULL) {
            log_error("aam migrate: connector %s/%s: could not encrypt field %s", ns, id, field);
            json_array_remove(ch->drop, json_array_size(ch->drop) - 1); /* keep it, try again */
            continue;
        }
        json_object_set_new(ch->set, field, json_string(stored));
        free(stored);
        n++;
        log_info("aam migrate: connector %s/%s: field %s encrypted into its secrets", ns, id, field);
    }
    json_decref(config);
    json_decref(have);
    return n;
}

/* The claim of one batch: rotate or migrate. */
struct job {
    const char *what; /* "aam keys rotate" */
    const char *arg;  /* the first key id, or the secret fields by type */
    int plain;
    row_fn on_row;
};

static int claim_batch(const struct job *job, struct db_tx *tx, const char *after_ns,
                       const char *after_id, int batch, struct db_result **r, struct db_error *err)
{
    return job->plain ? db_secrets_claim_plain_tx(tx, job->arg, after_ns, after_id, batch, r, err)
                      : db_secrets_claim_tx(tx, job->arg, after_ns, after_id, batch, r, err);
}

/* Writes the changes of one claimed batch r in tx. Returns 0 or -1. */
static int store_batch(const struct job *job, const struct secrets_keyring *kr, struct db_tx *tx,
                       const struct db_result *r, struct connector_secrets_report *rep,
                       struct db_error *err)
{
    for (int i = 0; i < db_result_rows(r); i++) {
        struct row_change ch = {json_object(), NULL};
        long n = job->on_row(kr, r, i, &ch, &rep->failed);
        int rc = 0;
        if (n > 0 || json_array_size(ch.drop) > 0) {
            char *set = json_dumps(ch.set, JSON_COMPACT);
            char *drop = ch.drop ? json_dumps(ch.drop, JSON_COMPACT) : NULL;
            rc = db_secrets_store_tx(tx, db_result_get(r, i, DB_SECRETS_NS),
                                     db_result_get(r, i, DB_SECRETS_ID), drop, set, err);
            free(set);
            free(drop);
            rep->rows += rc == 0;
            rep->values += rc == 0 ? n : 0;
        }
        json_decref(ch.set);
        json_decref(ch.drop);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* One walk over the table in (namespace, id) order, batch rows per transaction. */
static int run_pass(const struct job *job, struct db_pool *pool, const struct secrets_keyring *kr,
                    int batch, struct connector_secrets_report *rep, struct db_error *err)
{
    char after_ns[256] = "", after_id[256] = "";
    rep->passes++;
    for (;;) {
        struct db_result *r = NULL;
        struct db_tx *tx = db_secrets_begin(pool, err);
        if (tx == NULL)
            return -1;
        if (claim_batch(job, tx, after_ns, after_id, batch, &r, err) != 0 ||
            store_batch(job, kr, tx, r, rep, err) != 0) {
            db_result_free(r);
            db_tx_rollback(tx);
            return -1;
        }
        int rows = db_result_rows(r);
        if (rows > 0) {
            snprintf(after_ns, sizeof after_ns, "%s", db_result_get(r, rows - 1, DB_SECRETS_NS));
            snprintf(after_id, sizeof after_id, "%s", db_result_get(r, rows - 1, DB_SECRETS_ID));
        }
        db_result_free(r);
        if (db_tx_commit(tx, err) != 0)
            return -1;
        if (rows > 0)
            log_info("%s: batch done (%d rows, up to %s/%s); %ld values so far", job->what, rows,
                     after_ns, after_id, rep->values);
        if (rows < batch)
            return 0;
    }
}

static int clamp_batch(int batch)
{
    return batch < 1 ? 1 : batch > BATCH_MAX ? BATCH_MAX : batch;
}

/* Adds how many values are not under key first to *left. */
struct left_count {
    const char *first;
    long left;
};

static void on_count(void *arg, const char *kind, const char *key_id, long n)
{
    struct left_count *lc = arg;
    (void)kind;
    if (strcmp(key_id, lc->first) != 0)
        lc->left += n;
}

int connector_secrets_rotate(struct db_pool *pool, const struct secrets_keyring *kr, int batch,
                             struct connector_secrets_report *report, struct db_error *err)
{
    const struct job job = {"aam keys rotate", secrets_keyring_id(kr, 0), 0, on_rotate_row};
    memset(report, 0, sizeof *report);
    batch = clamp_batch(batch);
    for (int pass = 0; pass < ROTATE_PASSES_MAX; pass++) {
        struct left_count lc = {secrets_keyring_id(kr, 0), 0};
        long values_before = report->values;
        report->failed = 0; /* each pass meets the same undecryptable values again */
        if (run_pass(&job, pool, kr, batch, report, err) != 0)
            return -1;
        if (db_secrets_count(pool, on_count, &lc, err) != 0)
            return -1;
        if (lc.left == 0)
            return 0;
        /* Left: values that did not decrypt, and rows that were busy during the pass. Another
         * pass helps only the busy ones, and only while a pass still moves something. */
        if (lc.left <= report->failed || report->values == values_before)
            return 1;
    }
    return 1;
}

/* {"<type>":["<secret field>",...],...} for every registry type with secret fields. */
static char *secret_names_by_type(void)
{
    json_t *all = json_object();
    for (size_t i = 0; i < types_count(); i++) {
        json_t *names = schema_secret_names(types_schema(types_at(i)));
        if (json_array_size(names) > 0)
            json_object_set(all, types_name(types_at(i)), names);
        json_decref(names);
    }
    char *text = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    return text;
}

int connector_secrets_encrypt_plain(struct db_pool *pool, const struct secrets_keyring *kr,
                                    int batch, struct connector_secrets_report *report,
                                    struct db_error *err)
{
    int ready = 0;
    memset(report, 0, sizeof *report);
    if (db_secrets_column_exists(pool, &ready, err) != 0)
        return -1;
    if (!ready)
        return 0; /* migrations that stop before 0009: nothing to move yet */
    char *names = secret_names_by_type();
    const struct job job = {"aam migrate", names, 1, on_plain_row};
    int rc = run_pass(&job, pool, kr, clamp_batch(batch), report, err);
    free(names);
    return rc;
}
