/* commands: the jobs of the aam binary. Each returns the process exit status:
 * 0 ok, 1 failure, 2 configuration or usage error (one line naming the setting). */
#ifndef AAM_COMMANDS_H
#define AAM_COMMANDS_H

#include <stddef.h>

#include "server/core/config.h"

#define AAM_VERSION "0.1.0" /* --version and aam_build_info */

int cmd_serve(int argc, char **argv);   /* server/cmd_serve.c */
int cmd_migrate(int argc, char **argv); /* server/cmd_migrate.c */
int cmd_seed(int argc, char **argv);    /* server/cmd_seed.c */
int cmd_token(int argc, char **argv);   /* server/cmd_token.c */
int cmd_tenants(int argc, char **argv); /* server/cmd_tenants.c */
int cmd_sources(int argc, char **argv); /* server/cmd_sources.c */
int cmd_clients(int argc, char **argv); /* server/cmd_clients.c */

/* The command's database pool, built from cfg for `use` (server/cmd_common.c). Returns NULL
 * after printing "aam WHAT: DATABASE_URL is not a usable connection string"; the command then
 * exits 2. The caller frees the pool with db_pool_free. */
struct db_pool *cmd_open_db(const struct cfg *cfg, enum cfg_db_use use, const char *what)
    __attribute__((warn_unused_result));

/* 1 when s is valid UTF-8 of 1..max_chars characters with no control character and not all
 * blank (tenant and client names: printed one per line by `list`), else 0. */
int cmd_name_valid(const char *s, size_t max_chars);

#endif
