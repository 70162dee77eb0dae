/* cmd_users: `aam users add --namespace NS --email E --role R`: an operator adds a user to a
 * tenant by inviting it, as a tenant's admin does with POST /api/v1/aam/members. The one-time
 * invite token goes to stdout alone (so `INVITE=$(aam users add ...)` works); the user redeems
 * it, with a password of its choosing, at POST /api/v1/auth/accept-invite within 7 days. Only
 * the token's SHA-256 is stored. A second invite of the same email replaces the first.
 * Exit 0 ok; 1 failure (no such tenant, the email is a member already, the database); 2 bad
 * input or configuration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db/db.h"
#include "db/members.h"
#include "server/cli/commands.h"
#include "server/core/access.h"
#include "server/core/config.h"
#include "server/core/email.h"
#include "server/core/jwt.h"
#include "server/core/session.h"
#include "util/utf8.h"

#define USERS_INVITE_TTL_S (7 * 24 * 3600) /* as POST /api/v1/aam/members */

static const char USAGE[] =
    "usage: aam users add --namespace NS --email E --role admin|editor|viewer\n";

static int usage_error(const char *why)
{
    if (why != NULL && why[0] != '\0')
        fprintf(stderr, "aam users: %s\n", why);
    fputs(USAGE, stderr);
    return 2;
}

struct users_args {
    const char *ns, *email, *role;
};

/* Parses and validates `add`'s options. Returns 0, 1 (help shown) or 2 (bad input). */
static int parse_add(int argc, char **argv, struct users_args *a)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"email", required_argument, NULL, 'e'},
        {"role", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            a->ns = optarg;
        else if (c == 'e')
            a->email = optarg;
        else if (c == 'r')
            a->role = optarg;
        else if (c == 'h') {
            fputs(USAGE, stdout);
            return 1;
        } else {
            return usage_error("");
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument");
    if (a->ns == NULL || a->email == NULL || a->role == NULL)
        return usage_error("add needs --namespace, --email and --role");
    if (!jwt_namespace_valid(a->ns))
        return usage_error("--namespace must match ^[a-z0-9][a-z0-9_-]{0,62}$");
    size_t len = strlen(a->email);
    if (!utf8_valid(a->email, len) || !email_valid(a->email, len))
        return usage_error("--email must be an address like name@example.com");
    if (access_role_parse(a->role) == ACCESS_ROLE_NONE)
        return usage_error("--role must be admin, editor or viewer");
    return 0;
}

static int do_add(struct db_pool *db, const struct users_args *a)
{
    char secret_token[SESSION_TOKEN_SIZE], hash[SESSION_HASH_SIZE];
    struct db_result *row = NULL;
    struct db_error err;
    enum db_members_outcome outcome = DB_MEMBERS_NO_TENANT;
    int rc = 1;

    if (session_new_secret(secret_token) != 0) {
        fprintf(stderr, "aam users: no random bytes from the kernel\n");
        return 1;
    }
    session_hash(secret_token, SESSION_TOKEN_LEN, hash);
    if (db_members_invite(db, a->ns, a->email, a->role, hash, "operator", USERS_INVITE_TTL_S,
                          &outcome, &row, &err) != 0) {
        fprintf(stderr, "aam users: could not add the user: %s\n", err.message);
        goto cleanup;
    }
    if (outcome == DB_MEMBERS_NO_TENANT) {
        fprintf(stderr,
                "aam users: namespace \"%s\" has no tenant; create it first "
                "(aam tenants create --namespace %s --name ...)\n",
                a->ns, a->ns);
        goto cleanup;
    }
    if (outcome == DB_MEMBERS_IS_MEMBER) {
        fprintf(stderr, "aam users: that email is already a member of %s\n", a->ns);
        goto cleanup;
    }
    printf("%s\n", secret_token);
    if (fflush(stdout) != 0)
        goto cleanup;
    fprintf(stderr,
            "aam users: invited as %s into %s, valid until %s; the token is shown only now: the "
            "user redeems it with a password at POST /api/v1/auth/accept-invite\n",
            a->role, a->ns, db_result_get(row, 0, DB_MEMBERS_INVITE_EXPIRES_AT));
    rc = 0;
cleanup:
    OPENSSL_cleanse(secret_token, sizeof secret_token);
    db_result_free(row);
    return rc;
}

int cmd_users(int argc, char **argv)
{
    struct users_args a = {0};
    struct cfg cfg;
    struct db_pool *db = NULL;
    char err[256];
    int rc = 2;

    memset(&cfg, 0, sizeof cfg);
    if (argc < 2)
        return usage_error("");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(argv[1], "add") != 0)
        return usage_error("unknown subcommand");
    int pa = parse_add(argc - 1, argv + 1, &a);
    if (pa != 0)
        return pa == 1 ? 0 : 2;
    if (cfg_load(&cfg, CFG_NEED_DB, err, sizeof err) != 0) {
        fprintf(stderr, "aam users: %s\n", err);
        goto cleanup;
    }
    db = cmd_open_db(&cfg, CFG_DB_COMMAND, "users");
    if (db == NULL)
        goto cleanup;
    rc = do_add(db, &a);
cleanup:
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}
