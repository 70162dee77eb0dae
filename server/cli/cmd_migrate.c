/* cmd_migrate: `aam migrate`. Applies migrations through whatever DATABASE_URL points at,
 * PgBouncer in transaction mode included (db_migrate holds only transaction-scoped locks). */
#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"
#include "server/cli/commands.h"
#include "server/core/config.h"
#include "server/core/log.h"

int cmd_migrate(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct cfg cfg;
    char err[256];
    if (cfg_load(&cfg, CFG_NEED_DB, err, sizeof err) != 0) {
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
        rc = 0;
    } else {
        fprintf(stderr, "aam migrate: failed: %s\n", dberr.message);
    }
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}
