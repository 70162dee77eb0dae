/* cmd_tenants: `aam tenants create --namespace NS --name N` and `aam tenants list`. A tenant
 * owns its namespace: without a tenants row nothing can be stored in a namespace (migration
 * 0003), so service callers, whose tokens come from `aam token`, need a tenant made by an
 * operator, with no user. create is idempotent: the same arguments again change nothing, a new
 * name is written and reported. Exit: 0 ok, 1 failure (database), 2 bad input or config. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "db/db.h"
#include "server/auth.h"
#include "server/commands.h"
#include "server/config.h"

#define TENANT_NAME_MAX_CHARS 200 /* as register's tenant_name */

static const char USAGE[] = "usage: aam tenants create --namespace NS --name NAME\n"
                            "       aam tenants list\n";

/* 1 when name is 1..200 UTF-8 characters, not all blank, without control characters (it is
 * printed one per line by `list` and shown in JSON). */
static int name_valid(const char *name)
{
    size_t chars = 0;
    int blank = 1;
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
        chars += (*p & 0xC0) != 0x80;
        blank &= *p == ' ';
    }
    json_t *s = json_string(name); /* NULL when not valid UTF-8 */
    int utf8 = s != NULL;
    json_decref(s);
    return utf8 && chars >= 1 && chars <= TENANT_NAME_MAX_CHARS && !blank;
}

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
    else if (!auth_namespace_valid(*ns))
        bad = "--namespace must match ^[a-z0-9][a-z0-9_-]{0,62}$";
    else if (!name_valid(*name))
        bad = "--name must be 1 to 200 characters (UTF-8), not all blank, no control characters";
    if (bad == NULL)
        return 0;
    fprintf(stderr, "aam tenants create: %s\n", bad);
    return 2;
}

static int tenants_create(int argc, char **argv)
{
    /* The tenant row is visible and writable only in its own namespace (row-level security),
     * so the transaction is scoped to it; ON CONFLICT makes concurrent creates leave one row. */
    static const char sql[] =
        "WITH ins AS (INSERT INTO tenants (namespace, name) VALUES ($1::text, $2::text) "
        "  ON CONFLICT (namespace) DO NOTHING RETURNING 1), "
        "upd AS (UPDATE tenants SET name = $2::text WHERE namespace = $1::text "
        "  AND name IS DISTINCT FROM $2::text AND NOT EXISTS (SELECT 1 FROM ins) RETURNING 1) "
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'created' "
        "  WHEN EXISTS (SELECT 1 FROM upd) THEN 'updated (name)' ELSE 'unchanged' END";
    const char *ns = NULL, *name = NULL;
    struct cfg cfg;
    struct db_error err = {0};
    struct db_result *r = NULL;
    int rc = parse_create(argc, argv, &ns, &name);
    if (rc != 0)
        return rc;
    rc = 1;
    struct db_pool *db = open_db(&cfg, "create", &rc);
    if (db == NULL)
        goto cleanup;
    const char *params[] = {ns, name};
    struct db_stmt stmt = {sql, 2, params};
    if (db_run(db, ns, &stmt, 1, &r, 0, &err) != 0) {
        fprintf(stderr, "aam tenants create: database: %s\n", err.message);
        goto cleanup;
    }
    printf("tenant %s: %s\n", ns, db_result_get(r, 0, 0) ? db_result_get(r, 0, 0) : "?");
    rc = fflush(stdout) == 0 ? 0 : 1;
cleanup:
    db_result_free(r);
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}

/* One line per tenant, by namespace: "namespace<TAB>name". Every namespace is read, so this
 * transaction sets aam.operator (the operator policies of migration 0003); the server
 * never does. */
static int tenants_list(int argc, char **argv)
{
    static const char set_sql[] = "SELECT set_config('aam.operator', 'on', true)";
    static const char sql[] = "SELECT namespace, name FROM tenants ORDER BY namespace";
    struct cfg cfg;
    struct db_error err = {0};
    struct db_result *r[2] = {NULL, NULL};
    struct db_stmt stmts[2] = {{set_sql, 0, NULL}, {sql, 0, NULL}};
    int rc = 1;
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "aam tenants list: unexpected argument\n%s", USAGE);
        return 2;
    }
    struct db_pool *db = open_db(&cfg, "list", &rc);
    if (db == NULL)
        goto cleanup;
    if (db_run(db, NULL, stmts, 2, r, DB_READ_ONLY, &err) != 0) {
        fprintf(stderr, "aam tenants list: database: %s\n", err.message);
        goto cleanup;
    }
    for (int i = 0; i < db_result_rows(r[1]); i++)
        printf("%s\t%s\n", db_result_get(r[1], i, 0), db_result_get(r[1], i, 1));
    rc = fflush(stdout) == 0 ? 0 : 1;
cleanup:
    db_result_free(r[0]);
    db_result_free(r[1]);
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
