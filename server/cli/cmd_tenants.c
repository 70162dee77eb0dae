/* cmd_tenants: `aam tenants create --namespace NS --name N` and `aam tenants list`. A tenant
 * owns its namespace: without a tenants row nothing can be stored in a namespace (migration
 * 0003), so service callers, whose tokens come from `aam token`, need a tenant made by an
 * operator, with no user. create is idempotent: the same arguments again change nothing, a new
 * name is written and reported. Exit: 0 ok, 1 failure (database), 2 bad input or config. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/tenants.h"
#include "server/core/jwt.h"
#include "server/cli/commands.h"
#include "server/core/config.h"

#define TENANT_NAME_MAX_CHARS 200 /* as register's tenant_name */

static const char USAGE[] = "usage: aam tenants create --namespace NS --name NAME\n"
                            "       aam tenants list\n";

/* Loads the configuration and opens a one-connection pool. Returns NULL after printing why
 * (*rc = 2 for configuration). */
static struct db_pool *open_db(struct cfg *cfg, const char *what, int *rc)
{
    char err[256];
    if (cfg_load(cfg, CFG_NEED_DB, err, sizeof err) != 0) {
        fprintf(stderr, "aam tenants %s: %s\n", what, err);
        *rc = 2;
        return NULL;
    }
    char cmd[32];
    snprintf(cmd, sizeof cmd, "tenants %s", what);
    struct db_pool *db = cmd_open_db(cfg, CFG_DB_COMMAND, cmd);
    if (db == NULL)
        *rc = 2;
    return db;
}

/* Parses --namespace and --name. Returns 0, or 2 after printing why. */
static int parse_create(int argc, char **argv, const char **ns, const char **name)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"name", required_argument, NULL, 'N'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            *ns = optarg;
        else if (c == 'N')
            *name = optarg;
        else {
            fputs(USAGE, stderr);
            return 2;
        }
    }
    const char *bad = NULL;
    if (optind < argc)
        bad = "unexpected argument";
    else if (*ns == NULL || *name == NULL)
        bad = "--namespace and --name are required";
    else if (!jwt_namespace_valid(*ns))
        bad = "--namespace must match ^[a-z0-9][a-z0-9_-]{0,62}$";
    else if (!cmd_name_valid(*name, TENANT_NAME_MAX_CHARS))
        bad = "--name must be 1 to 200 characters (UTF-8), not all blank, no control characters";
    if (bad == NULL)
        return 0;
    fprintf(stderr, "aam tenants create: %s\n", bad);
    return 2;
}

static int tenants_create(int argc, char **argv)
{
    const char *ns = NULL, *name = NULL;
    struct cfg cfg;
    struct db_error err = {0};
    enum db_outcome state;
    int rc = parse_create(argc, argv, &ns, &name);
    if (rc != 0)
        return rc;
    rc = 1;
    struct db_pool *db = open_db(&cfg, "create", &rc);
    if (db == NULL)
        goto cleanup;
    if (db_tenants_upsert(db, ns, name, &state, &err) != 0) {
        fprintf(stderr, "aam tenants create: database: %s\n", err.message);
        goto cleanup;
    }
    printf("tenant %s: %s%s\n", ns, db_outcome_name(state),
           state == DB_OUTCOME_UPDATED ? " (name)" : "");
    rc = fflush(stdout) == 0 ? 0 : 1;
cleanup:
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}

static void on_tenant(void *arg, const char *ns, const char *name)
{
    (void)arg;
    printf("%s\t%s\n", ns, name);
}

/* One line per tenant, by namespace: "namespace<TAB>name". Every namespace is read, so this is
 * an operator read (db_tenants_list_all); the server never reads that way. */
static int tenants_list(int argc, char **argv)
{
    struct cfg cfg;
    struct db_error err = {0};
    int rc = 1;
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "aam tenants list: unexpected argument\n%s", USAGE);
        return 2;
    }
    struct db_pool *db = open_db(&cfg, "list", &rc);
    if (db == NULL)
        goto cleanup;
    if (db_tenants_list_all(db, on_tenant, NULL, &err) != 0) {
        fprintf(stderr, "aam tenants list: database: %s\n", err.message);
        goto cleanup;
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
cleanup:
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}

int cmd_tenants(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        return tenants_create(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return tenants_list(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(USAGE, stdout);
        return 0;
    }
    fputs(USAGE, stderr);
    return 2;
}
