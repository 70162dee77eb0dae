/* cmd_token: `aam token --namespace NS --sub ID [--ttl S] [--email E] [--tenant-id T]` mints
 * a bearer token for operators and service callers, signed with JWT_SECRET. It needs no
 * database: a token is the authority for its namespace, registered or not. The token alone
 * goes to stdout (so `TOKEN=$(aam token ...)` works); everything else to stderr. The token
 * carries role admin: an operator's token may do everything a tenant's admin may. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/access.h"
#include "server/core/jwt.h"
#include "server/cli/commands.h"
#include "server/core/config.h"

#define TOKEN_MAX_TTL_S 31536000L /* a year: longer-lived credentials should be a decision */

static const char USAGE[] =
    "usage: aam token --namespace NS --sub ID [--ttl SECONDS] [--email E] [--tenant-id T]\n";

/* Parses a positive decimal TTL within 1..TOKEN_MAX_TTL_S. Returns 0, or -1. */
static int parse_ttl(const char *s, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || v < 1 || v > TOKEN_MAX_TTL_S)
        return -1;
    *out = v;
    return 0;
}

/* Copies an option value into a fixed identity field. Returns 0, or -1 when too long. */
static int set_field(char *dst, size_t size, const char *v)
{
    size_t len = strlen(v);
    if (len >= size)
        return -1;
    memcpy(dst, v, len + 1);
    return 0;
}

/* Fills *id and *ttl (-1 = the configured default) from argv. Returns 0; 1 for --help (usage
 * printed to stdout); or -1 after printing why and the usage line to stderr. */
static int parse_args(int argc, char **argv, struct jwt_identity *id, long *ttl)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"sub", required_argument, NULL, 's'},
        {"ttl", required_argument, NULL, 't'},
        {"email", required_argument, NULL, 'e'},
        {"tenant-id", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *bad = NULL;
    int c;
    optind = 1;
    opterr = 1; /* getopt names an unknown option itself */
    while (bad == NULL && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n' &&
            (set_field(id->ns, sizeof id->ns, optarg) != 0 || !jwt_namespace_valid(id->ns)))
            bad = "--namespace must match ^[a-z0-9][a-z0-9_-]{0,62}$";
        else if (c == 's' && (set_field(id->sub, sizeof id->sub, optarg) != 0 || optarg[0] == '\0'))
            bad = "--sub must be 1 to 128 bytes";
        else if (c == 't' && parse_ttl(optarg, ttl) != 0)
            bad = "--ttl must be a whole number of seconds from 1 to 31536000";
        else if (c == 'e' && set_field(id->email, sizeof id->email, optarg) != 0)
            bad = "--email must be at most 254 bytes";
        else if (c == 'i' && set_field(id->tenant_id, sizeof id->tenant_id, optarg) != 0)
            bad = "--tenant-id must be at most 63 bytes";
        else if (c == '?')
            bad = ""; /* getopt has said what was wrong */
        else if (c == 'h') {
            fputs(USAGE, stdout);
            return 1;
        }
    }
    if (bad == NULL && optind < argc)
        bad = "unexpected argument";
    if (bad == NULL && (id->ns[0] == '\0' || id->sub[0] == '\0'))
        bad = "--namespace and --sub are required";
    if (bad == NULL)
        return 0;
    if (bad[0] != '\0')
        fprintf(stderr, "aam token: %s\n", bad);
    fputs(USAGE, stderr);
    return -1;
}

int cmd_token(int argc, char **argv)
{
    struct jwt_identity id;
    struct cfg cfg;
    char err[256];
    long ttl = -1;
    char *token = NULL;
    int ret = 2;

    memset(&id, 0, sizeof id);
    memset(&cfg, 0, sizeof cfg);
    int pa = parse_args(argc, argv, &id, &ttl);
    if (pa != 0) {
        ret = pa > 0 ? 0 : 2;
        goto cleanup;
    }
    if (cfg_load(&cfg, CFG_NEED_JWT, err, sizeof err) != 0) {
        fprintf(stderr, "aam token: %s\n", err);
        goto cleanup;
    }
    if (ttl < 0)
        ttl = (long)cfg.jwt_ttl_s;
    snprintf(id.role, sizeof id.role, "%s", access_role_name(ACCESS_ROLE_ADMIN));
    token = jwt_mint(&id, cfg.jwt_secret, cfg.jwt_secret_len, ttl, time(NULL));
    if (token == NULL) {
        fprintf(stderr, "aam token: could not mint a token\n");
        ret = 1;
        goto cleanup;
    }
    printf("%s\n", token);
    ret = fflush(stdout) == 0 ? 0 : 1;
cleanup:
    free(token);
    cfg_free(&cfg);
    return ret;
}
