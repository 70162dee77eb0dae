/* cmd_migrate: `aam migrate`. Applies migrations as the tables' owner (AAM_MIGRATE_DATABASE_URL,
 * else DATABASE_URL), PgBouncer in transaction mode included (db_migrate holds only
 * transaction-scoped locks), then grants the application role (AAM_APP_ROLE) DML only. Without
 * AAM_MIGRATE_DATABASE_URL the application role is the owner: it works, with a warning, since
 * an owner can ALTER its tables and lift row-level security. Last, plain connector secrets that
 * old rows hold in their config are encrypted into their secrets column. */
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "server/cli/commands.h"
#include "server/core/config.h"
#include "server/core/connector_secrets.h"
#include "server/core/log.h"

#define ENCRYPT_BATCH 100 /* rows per transaction of the encryption step */

/* After the SQL: secret fields that rows written before 0009 hold in clear in connector_config
 * move, encrypted, into connections.secrets (SQL cannot encrypt). Idempotent: a second run finds
 * nothing. Logs counts and connector ids, never a value. Returns the exit status. */
static int encrypt_plain(struct db_pool *db, const struct cfg *cfg)
{
    struct connector_secrets_report rep;
    struct db_error dberr = {0};
    if (connector_secrets_encrypt_plain(db, cfg->secret_keys, ENCRYPT_BATCH, &rep, &dberr) != 0) {
        fprintf(stderr, "aam migrate: encrypting plain connector secrets: %s\n", dberr.message);
        return 1;
    }
    if (rep.rows > 0)
        printf("secrets: %ld plain secret values of %ld connectors encrypted into their secrets\n",
               rep.values, rep.rows);
    return 0;
}

/* The role split's second half; returns the exit status. */
static int grant_app(struct db_pool *db, const struct cfg *cfg)
{
    struct db_error dberr = {0};
    if (cfg->migrate_database_url == NULL) {
        log_warn("aam migrate: AAM_MIGRATE_DATABASE_URL is not set, so the application role owns "
                 "the tables and could ALTER them or lift row-level security; see the README, "
                 "\"Database roles\"");
        return 0;
    }
    int rc = db_migrate_grant_app(db, cfg->app_role, &dberr);
    if (rc < 0) {
        fprintf(stderr, "aam migrate: granting %s: %s\n", cfg->app_role, dberr.message);
        return 1;
    }
    if (rc == 1)
        printf("grants: role %s may read and write rows, and owns nothing\n", cfg->app_role);
    return 0;
}

int cmd_migrate(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct cfg cfg;
    char err[256];
    if (cfg_load(&cfg, CFG_NEED_DB | CFG_NEED_SECRET_KEYS, err, sizeof err) != 0) {
        fprintf(stderr, "aam migrate: %s\n", err);
        return 2;
    }
    struct db_pool *db = cmd_open_db(&cfg, CFG_DB_MIGRATE, "migrate");
    int rc = 1, applied = 0;
    struct db_error dberr = {0};
    if (db == NULL) {
        cfg_free(&cfg);
        return 2;
    }
    char *desc = db_describe(db);
    log_info("aam migrate: %s; migrations from %s", desc, cfg.migrations_dir);
    free(desc);
    if (db_migrate(db, cfg.migrations_dir, &applied, &dberr) == 0) {
        printf("migrations: %d applied%s\n", applied, applied == 0 ? " (already current)" : "");
        rc = grant_app(db, &cfg);
        if (rc == 0)
            rc = encrypt_plain(db, &cfg);
    } else {
        fprintf(stderr, "aam migrate: failed: %s\n", dberr.message);
    }
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}
