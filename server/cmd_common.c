/* cmd_common: what several commands share: opening the database the way the configuration
 * says, with the one error line every command prints when DATABASE_URL cannot be used. */
#include <stdio.h>

#include "server/commands.h"

struct db_pool *cmd_open_db(const struct cfg *cfg, enum cfg_db_use use, const char *what)
{
    struct db_config dbc;
    cfg_db_config(cfg, use, &dbc);
    struct db_pool *db = db_pool_new(&dbc);
    if (db == NULL)
        fprintf(stderr, "aam %s: DATABASE_URL is not a usable connection string\n", what);
    return db;
}
