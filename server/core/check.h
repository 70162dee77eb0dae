/* check: whether a connector works, now. A check runs the steps of its type and reports each
 * with a message a person can act on; it never fails as a function (a failure is a step that
 * did not pass). filesource: the folder is the tenant's and readable, the pattern matches, the
 * first CHECK_FILES_MAX headers parse. postgres: the host resolves only into
 * AAM_OUTBOUND_NETS, a libpq connection to the checked address (db/probe.c) and SELECT 1 in a
 * read-only transaction. rest_api: one GET of base_url with the token header through
 * server/core/outbound.c, no redirect followed, 2xx passes. Every network step shares one
 * CHECK_TIMEOUT_MS deadline (resolve, connect, answer).
 *
 * Secrets: decrypted only for the check, into buffers wiped before they are freed, and every
 * step message is scrubbed of every secret value before it leaves this module. Thread-safe:
 * checks run at once on the check lane and the background scheduler. */
#ifndef AAM_CHECK_H
#define AAM_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/checks.h"
#include "server/core/outbound.h"

struct cfg;
struct db_pool;
struct db_result;
struct schema;
struct secrets_keyring;

#define CHECK_TIMEOUT_MS 5000 /* the contract's 5 s: resolve, connect and answer together */
#define CHECK_FILES_MAX 20    /* headers read per filesource check */
#define CHECK_STEPS_MAX 4
#define CHECK_MESSAGE_MAX 320
#define CHECK_SECRETS_MAX 8
#define CHECK_APPLICATION_NAME "aam-check"
/* The problem type of a check route for a type that has no check (s3). */
#define CHECK_PROBLEM_NO_CHECK "urn:aam:problem:no-check"

struct check_env {
    const struct cfg *cfg;                /* sources_root, outbound_nets, secret_keys */
    struct db_pool *db;                   /* folder ownership */
    const struct outbound_policy *policy; /* NULL: {.allow = cfg->outbound_nets} */
};

struct check_step {
    const char *name; /* static: "folder", "files", "headers", "resolve", "connect", ... */
    int ok;
    char message[CHECK_MESSAGE_MAX];
};

struct check_report {
    int ok;                /* every step passed */
    int64_t checked_at_us; /* wall clock when it began, microseconds since the epoch */
    long long duration_ms;
    size_t n_steps;
    struct check_step steps[CHECK_STEPS_MAX];
};

/* Secret field values for one check, each in a buffer of its own (wiped on free). */
struct check_secrets {
    struct {
        const char *field; /* borrowed from the type's schema (lives for the process) */
        char *secret_;
        size_t len;
    } v[CHECK_SECRETS_MAX];
    size_t n;
};

/* 1 when type has a check (filesource, postgres, rest_api), else 0. Migration 0012's
 * schedule trigger names the same types. */
int check_supported(const char *type);

/* Moves the secret properties of schema s out of config (a request's config object): each
 * string value is copied into out and deleted from config. Returns the number taken. */
size_t check_secrets_take(const struct schema *s, json_t *config, struct check_secrets *out);

/* Decrypts secrets_json (the secrets column: {"field":"v1:<key id>:..."}, NULL or "null" for
 * none) bound to connector id of ns. Returns 0, or -1 with one line in err naming the field and
 * the key id (never a value); out then holds nothing. */
int check_secrets_open(const struct secrets_keyring *kr, const struct schema *s, const char *ns,
                       const char *id, const char *secrets_json, struct check_secrets *out,
                       char *err, size_t errlen) __attribute__((warn_unused_result));

/* Wipes and frees every value; safe to call twice. */
void check_secrets_free(struct check_secrets *sec);

/* Runs type's check of config (secrets left out: they come in sec) for tenant ns. The caller
 * has validated config against the type's spec with its defaults applied. */
void check_run(const struct check_env *env, const char *ns, const char *type, const json_t *config,
               const struct check_secrets *sec, struct check_report *out);

/* Checks a stored connector: row 0 of r as db_checks_start/db_checks_load return it (enum
 * db_check_col). Its config is parsed, defaults applied, its secrets decrypted for the check
 * only (a secret that does not decrypt, a key AAM_SECRET_KEYS lacks, is a failed "secrets"
 * step naming the key id). */
void check_stored(const struct check_env *env, const char *ns, const char *id,
                  const struct db_result *r, struct check_report *out);

/* Stores report as connector id's last check (db_checks_record) with the status transition;
 * updated_us is the connector's updated_at as it was read, actor NULL for the system. from/to
 * receive the statuses (16 bytes each). Returns 0, or -1 with *err. */
int check_record(const struct check_env *env, const char *ns, const char *id,
                 const struct check_report *report, int64_t updated_us,
                 const struct db_check_actor *actor, int release_lease, char *from, char *to,
                 struct db_error *err) __attribute__((warn_unused_result));

/* The one-line summary kept as last_check.message: the first failed step ("connect: password
 * authentication failed for user \"app\""), or the last step's message when all passed. */
void check_summary(const struct check_report *report, char *buf, size_t size);

/* {"ok","checked_at","duration_ms","steps":[{"name","ok","message"}]}: malloc'd text the
 * caller frees, its length in *len. */
char *check_report_json(const struct check_report *report, size_t *len);

/* ---- metrics: checks by type and result, and their durations (lock-free counters) */

#define CHECK_TYPES 3 /* filesource, postgres, rest_api */
#define CHECK_BUCKETS 9
/* Upper bounds of the duration buckets, in seconds (+Inf is the count). */
extern const double check_bucket_le[CHECK_BUCKETS];

struct check_stats {
    const char *type[CHECK_TYPES];
    unsigned long passed[CHECK_TYPES], failed[CHECK_TYPES];
    unsigned long bucket[CHECK_TYPES][CHECK_BUCKETS]; /* cumulative, as Prometheus wants */
    unsigned long count[CHECK_TYPES];
    double sum_s[CHECK_TYPES];
};

/* A snapshot of the counters since start. */
void check_stats_get(struct check_stats *out);

#endif
