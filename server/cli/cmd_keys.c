/* cmd_keys: `aam keys status` and `aam keys rotate [--batch N]`, over every tenant's connector
 * secrets (webhook secrets join when they exist). Both connect as the tables' owner
 * (AAM_MIGRATE_DATABASE_URL, like the other operator commands: only the owner may read across
 * tenants, migration 0008) and need AAM_SECRET_KEYS.
 *
 * status: one line per key id that encrypts values, "KIND<TAB>KEY ID<TAB>COUNT<TAB>STATE" with
 * STATE "first" (encrypts new values), "held" (in AAM_SECRET_KEYS, decrypts) or "missing"; and
 * the keys of AAM_SECRET_KEYS that encrypt nothing (count 0: safe to drop, unless first).
 * Exit 1 when a value's key is missing.
 * rotate: re-encrypts every value under the first key, N rows per transaction (default 100),
 * while the service runs; interrupting it loses nothing and running it again carries on.
 * Exit 1 when values are left under other keys (those that did not decrypt are logged by
 * connector, field and key id). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/secrets.h"
#include "server/cli/commands.h"
#include "server/core/config.h"
#include "server/core/connector_secrets.h"
#include "server/core/secrets.h"

#define ROTATE_BATCH_DEFAULT 100

static const char USAGE[] =
    "usage: aam keys status\n"
    "       aam keys rotate [--batch N]   (N rows per transaction, 1-1000)\n";

struct status_ctx {
    const struct secrets_keyring *kr;
    int missing;
    unsigned char seen[64]; /* keyring keys that encrypt something (the first 64) */
};

static void on_status_row(void *arg, const char *kind, const char *key_id, long n)
{
    struct status_ctx *st = arg;
    char count[24];
    const char *state = "missing";
    for (size_t i = 0; i < secrets_keyring_count(st->kr); i++) {
        if (strcmp(secrets_keyring_id(st->kr, i), key_id) == 0) {
            state = i == 0 ? "first" : "held";
            if (i < sizeof st->seen)
                st->seen[i] = 1;
        }
    }
    st->missing |= strcmp(state, "missing") == 0;
    snprintf(count, sizeof count, "%ld", n);
    cmd_print_row(kind, key_id[0] ? key_id : "(not v1:<key id>:...)", count, state, (char *)NULL);
}

static int keys_status(struct db_pool *db, const struct cfg *cfg)
{
    struct status_ctx st = {cfg->secret_keys, 0, {0}};
    struct db_error err = {0};
    if (db_secrets_count(db, on_status_row, &st, &err) != 0) {
        fprintf(stderr, "aam keys status: %s\n", err.message);
        return 1;
    }
    for (size_t i = 0; i < secrets_keyring_count(st.kr) && i < sizeof st.seen; i++) {
        if (!st.seen[i])
            cmd_print_row("connector", secrets_keyring_id(st.kr, i), "0", i == 0 ? "first" : "held",
                          (char *)NULL);
    }
    if (st.missing)
        fprintf(stderr, "aam keys status: some secrets are under a key AAM_SECRET_KEYS lacks "
                        "(state \"missing\"); they cannot be decrypted until it is added back\n");
    return st.missing ? 1 : 0;
}

/* Reads --batch; returns 0, or 2 after printing the usage. */
static int parse_rotate(int argc, char **argv, int *batch)
{
    static const struct option opts[] = {{"batch", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        long v = c == 'b' ? strtol(optarg, &end, 10) : 0;
        if (c != 'b' || *optarg == '\0' || *end != '\0' || v < 1 || v > 1000) {
            fputs(USAGE, stderr);
            return 2;
        }
        *batch = (int)v;
    }
    if (optind < argc) {
        fputs(USAGE, stderr);
        return 2;
    }
    return 0;
}

static int keys_rotate(struct db_pool *db, const struct cfg *cfg, int batch)
{
    struct connector_secrets_report rep;
    struct db_error err = {0};
    const char *first = secrets_keyring_id(cfg->secret_keys, 0);
    int rc = connector_secrets_rotate(db, cfg->secret_keys, batch, &rep, &err);
    if (rc < 0) {
        fprintf(stderr, "aam keys rotate: %s (what was committed stays; run it again)\n",
                err.message);
        return 1;
    }
    printf("rotate: %ld secret values of %ld connectors re-encrypted under key %s\n", rep.values,
           rep.rows, first);
    if (rc > 0)
        fprintf(stderr,
                "aam keys rotate: values are left under other keys: %ld did not decrypt (logged "
                "above by connector, field and key id)%s; see aam keys status\n",
                rep.failed, rep.failed > 0 ? "" : ", or their rows were busy: run it again");
    return rc > 0 ? 1 : 0;
}

int cmd_keys(int argc, char **argv)
{
    struct cfg cfg;
    char err[256];
    int batch = ROTATE_BATCH_DEFAULT, rc = 2;
    const char *sub = argc > 1 ? argv[1] : "";
    int rotate = strcmp(sub, "rotate") == 0;
    if (!rotate && (strcmp(sub, "status") != 0 || argc > 2)) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (rotate && parse_rotate(argc - 1, argv + 1, &batch) != 0)
        return 2;
    if (cfg_load(&cfg, CFG_NEED_DB | CFG_NEED_SECRET_KEYS, err, sizeof err) != 0) {
        fprintf(stderr, "aam keys %s: %s\n", sub, err);
        return 2;
    }
    struct db_pool *db = cmd_open_db(&cfg, CFG_DB_COMMAND, rotate ? "keys rotate" : "keys status");
    if (db != NULL)
        rc = rotate ? keys_rotate(db, &cfg, batch) : keys_status(db, &cfg);
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}
