/* cmd_clients: `aam clients create --namespace NS --name N`, `aam clients list [--namespace NS]`,
 * `aam clients revoke ID`: the service clients that trade an id and a secret for an access
 * token at POST /api/v1/auth/token (grant_type=client_credentials).
 * create prints the id and the secret once, as two shell-friendly lines on stdout
 * (client_id=..., client_secret=...); --scope S[,S] limits the client to those scopes (without
 * it, all five; an unknown scope is exit 2); only the secret's SHA-256 is stored, so a lost secret
 * means a new client. A namespace needs its tenant first (exit 1 otherwise). list never shows a
 * secret. revoke deletes the client: new tokens are refused at once, tokens already issued live
 * out their lifetime (JWT_TTL_SECONDS). Exit 0 ok, 1 failure, 2 bad input or configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/clients.h"
#include "db/db.h"
#include "server/core/access.h"
#include "server/core/jwt.h"
#include "server/cli/commands.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/session.h"
#include "util/utf8.h"

#define CLIENT_NAME_MAX 200 /* characters */

static const char USAGE[] = "usage: aam clients create --namespace NS --name N [--scope S[,S]]\n"
                            "       aam clients list [--namespace NS]\n"
                            "       aam clients revoke ID\n";

static int usage_error(const char *why)
{
    if (why != NULL && why[0] != '\0')
        fprintf(stderr, "aam clients: %s\n", why);
    fputs(USAGE, stderr);
    return 2;
}

static int do_create(struct db_pool *db, const char *ns, const char *name, unsigned scopes)
{
    char id[SESSION_CLIENT_ID_NEW_SIZE], scope_text[ACCESS_SCOPES_TEXT_MAX],
        secret[SESSION_TOKEN_SIZE], hash[SESSION_HASH_SIZE];
    struct db_error err;
    enum db_outcome made;
    int rc = 1;

    if (session_new_client_id(id, sizeof id) != 0 || session_new_secret(secret) != 0) {
        fprintf(stderr, "aam clients: no random bytes from the kernel\n");
        return 1;
    }
    session_hash(secret, SESSION_TOKEN_LEN, hash);
    access_scopes_format(scopes, scope_text, sizeof scope_text);
    if (db_clients_create(db, id, ns, name, scope_text, hash, &made, &err) != 0) {
        fprintf(stderr, "aam clients: could not create the client: %s\n", err.message);
        goto cleanup;
    }
    if (made != DB_OUTCOME_CREATED) {
        fprintf(stderr,
                "aam clients: namespace \"%s\" has no tenant; create it first "
                "(aam tenants create --namespace %s --name ...)\n",
                ns, ns);
        goto cleanup;
    }
    printf("client_id=%s\nclient_secret=%s\n", id, secret);
    if (fflush(stdout) != 0)
        goto cleanup;
    fprintf(stderr,
            "aam clients: created %s for namespace %s with scopes %s; the secret is shown only "
            "now\n",
            id, ns, scope_text);
    rc = 0;
cleanup:
    OPENSSL_cleanse(secret, sizeof secret);
    return rc;
}

/* The header goes out once, before the first row, and only when the read succeeded: a failed
 * list prints nothing on stdout. */
static void show_header(int *shown)
{
    if (!*shown)
        printf("client_id\tnamespace\tname\tcreated_at\tscopes\n");
    *shown = 1;
}

static void on_client(void *arg, const struct db_client_info *c)
{
    show_header(arg);
    cmd_print_row(c->id, c->ns, c->name, c->created_at, c->scopes, (char *)NULL);
}

static int do_list(struct db_pool *db, const char *ns)
{
    struct db_error err;
    int shown = 0;
    if (db_clients_list(db, ns, on_client, &shown, &err) != 0) {
        fprintf(stderr, "aam clients: could not list the clients: %s\n", err.message);
        return 1;
    }
    show_header(&shown);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int do_revoke(struct db_pool *db, const char *id)
{
    struct db_error err;
    enum db_outcome done;
    char ns[64];
    if (db_clients_revoke(db, id, &done, ns, sizeof ns, &err) != 0) {
        fprintf(stderr, "aam clients: could not revoke the client: %s\n", err.message);
        return 1;
    }
    if (done != DB_OUTCOME_DELETED) {
        fprintf(stderr, "aam clients: no client \"%s\"\n", id);
        return 1;
    }
    printf("revoked %s (namespace %s); tokens already issued expire within JWT_TTL_SECONDS\n", id,
           ns);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Parses --namespace/--name/--scope after the subcommand (name and scope NULL: not allowed).
 * Returns 0, 1 for --help, or -1 (printed). */
static int parse_opts(int argc, char **argv, const char **ns, const char **name, const char **scope)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"name", required_argument, NULL, 'm'},
        {"scope", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            *ns = optarg;
        else if (c == 'm' && name != NULL)
            *name = optarg;
        else if (c == 's' && scope != NULL)
            *scope = optarg;
        else if (c == 'h') {
            fputs(USAGE, stdout);
            return 1;
        } else {
            usage_error(c == 'm' || c == 's' ? "--name and --scope belong to create" : "");
            return -1;
        }
    }
    if (*ns != NULL && !jwt_namespace_valid(*ns)) {
        usage_error("--namespace must match ^[a-z0-9][a-z0-9_-]{0,62}$");
        return -1;
    }
    return 0;
}

/* The arguments of one subcommand. */
struct clients_args {
    const char *ns, *name, *id, *scope;
    unsigned scopes; /* create: ACCESS_SCOPE_* bits (all five without --scope) */
};

/* Reads --scope S[,S] into a->scopes. Returns 0, or 2 after naming the unknown scope. */
static int check_scope(struct clients_args *a)
{
    char bad[80], why[160];
    a->scopes = ACCESS_SCOPES_ALL;
    if (a->scope == NULL)
        return 0;
    a->scopes = access_scopes_parse(a->scope, ",", bad, sizeof bad);
    if (a->scopes != 0)
        return 0;
    if (bad[0] != '\0' && utf8_is_display_safe(bad, strlen(bad)))
        snprintf(why, sizeof why, "unknown scope \"%s\"", bad);
    else
        snprintf(why, sizeof why, "--scope names no scope");
    usage_error(why);
    fputs("scopes: connectors:read connectors:write connectors:check events:read webhooks:write\n",
          stderr);
    return 2;
}

/* Validates the arguments of one subcommand. Returns 0, 1 (help shown) or 2 (bad input). */
static int check_args(const char *sub, int argc, char **argv, struct clients_args *a)
{
    const char **ns = &a->ns, **name = &a->name, **id = &a->id;
    if (strcmp(sub, "revoke") == 0) {
        if (argc != 2 || argv[1][0] == '-')
            return usage_error("revoke takes one client id");
        if (!session_client_id_valid(argv[1]))
            return usage_error("a client id is 1 to 64 of A-Z a-z 0-9 - _");
        *id = argv[1];
        return 0;
    }
    int create = strcmp(sub, "create") == 0;
    int pa = parse_opts(argc, argv, ns, create ? name : NULL, create ? &a->scope : NULL);
    if (pa != 0)
        return pa > 0 ? 1 : 2;
    if (optind < argc)
        return usage_error("unexpected argument");
    if (strcmp(sub, "create") == 0 && (*ns == NULL || *name == NULL))
        return usage_error("create needs --namespace and --name");
    if (*name != NULL && !cmd_name_valid(*name, CLIENT_NAME_MAX))
        return usage_error("--name must be 1 to 200 characters of UTF-8, no control characters");
    return create ? check_scope(a) : 0;
}

int cmd_clients(int argc, char **argv)
{
    struct clients_args a = {0};
    struct cfg cfg;
    struct db_pool *db = NULL;
    char err[256];
    int rc = 2;

    memset(&cfg, 0, sizeof cfg);
    if (argc < 2)
        return usage_error("");
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0)
        return usage_error("unknown subcommand");
    int ca = check_args(sub, argc - 1, argv + 1, &a);
    if (ca != 0)
        return ca == 1 ? 0 : 2;
    if (cfg_load(&cfg, CFG_NEED_DB, err, sizeof err) != 0) {
        fprintf(stderr, "aam clients: %s\n", err);
        goto cleanup;
    }
    db = cmd_open_db(&cfg, CFG_DB_COMMAND, "clients");
    if (db == NULL) {
        rc = 2;
        goto cleanup;
    }
    if (strcmp(sub, "create") == 0)
        rc = do_create(db, a.ns, a.name, a.scopes);
    else if (strcmp(sub, "list") == 0)
        rc = do_list(db, a.ns);
    else
        rc = do_revoke(db, a.id);
cleanup:
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}
