/* cmd_clients: `aam clients create --namespace NS --name N`, `aam clients list [--namespace NS]`,
 * `aam clients revoke ID`: the service clients that trade an id and a secret for an access
 * token at POST /api/v1/auth/token (grant_type=client_credentials).
 * create prints the id and the secret once, as two shell-friendly lines on stdout
 * (client_id=..., client_secret=...); only the secret's SHA-256 is stored, so a lost secret
 * means a new client. A namespace needs its tenant first (exit 1 otherwise). list never shows a
 * secret. revoke deletes the client: new tokens are refused at once, tokens already issued live
 * out their lifetime (JWT_TTL_SECONDS). Exit 0 ok, 1 failure, 2 bad input or configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "db/clients.h"
#include "db/db.h"
#include "server/core/jwt.h"
#include "server/cli/commands.h"
#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/session.h"
#include "util/hex.h"

#define CLIENT_NAME_MAX 200 /* characters */

static const char USAGE[] = "usage: aam clients create --namespace NS --name N\n"
                            "       aam clients list [--namespace NS]\n"
                            "       aam clients revoke ID\n";

static int usage_error(const char *why)
{
    if (why != NULL && why[0] != '\0')
        fprintf(stderr, "aam clients: %s\n", why);
    fputs(USAGE, stderr);
    return 2;
}

/* "cl_" + 24 hex digits (96 random bits): unique, not secret. */
static int new_client_id(char *out, size_t size)
{
    unsigned char raw[12];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return -1;
    if (size < 3 + 2 * sizeof raw + 1)
        return -1;
    memcpy(out, "cl_", 3);
    hex_encode(raw, sizeof raw, out + 3);
    return 0;
}

static int do_create(struct db_pool *db, const char *ns, const char *name)
{
    char id[32], secret[SESSION_TOKEN_SIZE], hash[SESSION_HASH_SIZE];
    struct db_error err;
    enum db_outcome made;
    int rc = 1;

    if (new_client_id(id, sizeof id) != 0 || session_new_secret(secret) != 0) {
        fprintf(stderr, "aam clients: no random bytes from the kernel\n");
        return 1;
    }
    session_hash(secret, SESSION_TOKEN_LEN, hash);
    if (db_clients_create(db, id, ns, name, hash, &made, &err) != 0) {
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
    fprintf(stderr, "aam clients: created %s for namespace %s; the secret is shown only now\n", id,
            ns);
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
        printf("client_id\tnamespace\tname\tcreated_at\n");
    *shown = 1;
}

static void on_client(void *arg, const struct db_client_info *c)
{
    show_header(arg);
    printf("%s\t%s\t%s\t%s\n", c->id, c->ns, c->name, c->created_at);
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

/* Parses --namespace/--name after the subcommand. Returns 0, 1 for --help, or -1 (printed). */
static int parse_opts(int argc, char **argv, const char **ns, const char **name)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"name", required_argument, NULL, 'm'},
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
        else if (c == 'h') {
            fputs(USAGE, stdout);
            return 1;
        } else {
            usage_error(c == 'm' ? "--name belongs to create" : "");
            return -1;
        }
    }
    if (*ns != NULL && !jwt_namespace_valid(*ns)) {
        usage_error("--namespace must match ^[a-z0-9][a-z0-9_-]{0,62}$");
        return -1;
    }
    return 0;
}

/* Validates the arguments of one subcommand. Returns 0, 1 (help shown) or 2 (bad input). */
static int check_args(const char *sub, int argc, char **argv, const char **ns, const char **name,
                      const char **id)
{
    if (strcmp(sub, "revoke") == 0) {
        if (argc != 2 || argv[1][0] == '-')
            return usage_error("revoke takes one client id");
        if (!session_client_id_valid(argv[1]))
            return usage_error("a client id is 1 to 64 of A-Z a-z 0-9 - _");
        *id = argv[1];
        return 0;
    }
    int pa = parse_opts(argc, argv, ns, strcmp(sub, "create") == 0 ? name : NULL);
    if (pa != 0)
        return pa > 0 ? 1 : 2;
    if (optind < argc)
        return usage_error("unexpected argument");
    if (strcmp(sub, "create") == 0 && (*ns == NULL || *name == NULL))
        return usage_error("create needs --namespace and --name");
    if (*name != NULL && !cmd_name_valid(*name, CLIENT_NAME_MAX))
        return usage_error("--name must be 1 to 200 characters of UTF-8, no control characters");
    return 0;
}

int cmd_clients(int argc, char **argv)
{
    const char *ns = NULL, *name = NULL, *id = NULL;
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
    int ca = check_args(sub, argc - 1, argv + 1, &ns, &name, &id);
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
        rc = do_create(db, ns, name);
    else if (strcmp(sub, "list") == 0)
        rc = do_list(db, ns);
    else
        rc = do_revoke(db, id);
cleanup:
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}
