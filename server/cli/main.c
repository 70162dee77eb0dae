/* main: picks the subcommand and hands over. Each command loads its own configuration,
 * starts what it needs in a fixed order and tears it down in reverse (server/cmd_*.c). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "db/db.h"
#include "server/cli/commands.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "util/xalloc.h"

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: aam <command> [options]\n"
            "  serve                               the HTTP API\n"
            "  migrate                             apply migrations/*.sql in order, once each\n"
            "  seed                                idempotently apply seeds/ (the demo tenant)\n"
            "  token --namespace NS --sub ID [--ttl S] [--email E] [--tenant-id T]\n"
            "                                      mint a token for operators and services\n"
            "  tenants create --namespace NS --name N, tenants list\n"
            "                                      tenants without a user (service callers)\n"
            "  sources grant|revoke --namespace NS PATH, sources list [--namespace NS]\n"
            "                                      which tenants may use which folders of\n"
            "                                      AAM_SOURCES_ROOT\n"
            "  clients create --namespace NS --name N [--scope S[,S]] | list [--namespace NS]\n"
            "          | revoke ID                 service clients (OAuth2 client credentials)\n"
            "  users add --namespace NS --email E --role admin|editor|viewer\n"
            "                                      invite a user into a tenant (one-time token)\n"
            "  keys status | rotate [--batch N]    connector secrets by key id; re-encrypt them\n"
            "                                      all under the first key of AAM_SECRET_KEYS\n"
            "  --help, --version\n");
}

/* db/ knows nothing of server/log.c; its lines reach the one log through this callback. */
static void on_db_log(enum db_log_level level, const char *msg)
{
    static const enum log_level map[] = {LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR};
    enum log_level l = map[level <= DB_LOG_ERROR ? level : DB_LOG_ERROR];
    if (log_threshold <= l)
        log_write(l, "%s", msg);
}

int main(int argc, char **argv)
{
    db_set_log(on_db_log);
    json_set_alloc_funcs(xmalloc, free); /* jansson, too, aborts on out-of-memory */
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc - 1, argv + 1);
    if (strcmp(cmd, "seed") == 0)
        return cmd_seed(argc - 1, argv + 1);
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc - 1, argv + 1);
    if (strcmp(cmd, "tenants") == 0)
        return cmd_tenants(argc - 1, argv + 1);
    if (strcmp(cmd, "sources") == 0)
        return cmd_sources(argc - 1, argv + 1);
    if (strcmp(cmd, "clients") == 0)
        return cmd_clients(argc - 1, argv + 1);
    if (strcmp(cmd, "users") == 0)
        return cmd_users(argc - 1, argv + 1);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        print_usage(stdout);
        cfg_print_help();
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("aam %s\n", AAM_VERSION);
        return 0;
    }
    fprintf(stderr, "aam: unknown command \"%s\"\n", cmd);
    print_usage(stderr);
    return 2;
}
