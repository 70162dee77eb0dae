/* cmd_sources: `aam sources grant|revoke --namespace NS PATH` and `aam sources list
 * [--namespace NS]`: which tenants may use which folders of AAM_SOURCES_ROOT. Grants live in
 * the database (every replica sees a change at once) and name folders relative to the root, so
 * moving the root moves them. PATH is resolved like a FilesSource path (relative to the
 * working directory, symlinks followed) and must be a folder inside the root, else exit 2 with
 * one line saying why; an unknown namespace exits 1; nothing is written on a refusal. grant and
 * revoke are idempotent. Exit: 0 ok, 1 failure, 2 bad input or config. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/grants.h"
#include "server/core/jwt.h"
#include "server/cli/commands.h"
#include "server/core/config.h"
#include "server/core/sources.h"

static const char USAGE[] = "usage: aam sources grant --namespace NS PATH\n"
                            "       aam sources revoke --namespace NS PATH\n"
                            "       aam sources list [--namespace NS]\n";

struct sources_args {
    const char *verb;      /* "grant", "revoke", "list" */
    const char *ns;        /* NULL when not given (list only) */
    const char *path;      /* grant, revoke */
    char folder[PATH_MAX]; /* path relative to the root ("" = the root) */
};

/* Parses the options of verb. Returns 0, or 2 after printing why. */
static int parse_args(int argc, char **argv, struct sources_args *a)
{
    static const struct option opts[] = {{"namespace", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    int c, want_path = strcmp(a->verb, "list") != 0;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'n') {
            fputs(USAGE, stderr);
            return 2;
        }
        a->ns = optarg;
    }
    const char *bad = NULL;
    if (want_path && optind + 1 != argc)
        bad = "exactly one PATH is required";
    else if (!want_path && optind != argc)
        bad = "unexpected argument";
    else if (want_path && a->ns == NULL)
        bad = "--namespace is required";
    else if (a->ns != NULL && !jwt_namespace_valid(a->ns))
        bad = "--namespace must match ^[a-z0-9][a-z0-9_-]{0,62}$";
    if (bad != NULL) {
        fprintf(stderr, "aam sources %s: %s\n%s", a->verb, bad, USAGE);
        return 2;
    }
    a->path = want_path ? argv[optind] : NULL;
    return 0;
}

/* path made absolute against the working directory and normalised by its spelling alone ("."
 * "..", "//"), into out. For revoking the grant of a folder that no longer exists (realpath
 * cannot resolve it). Returns 0, or -1 when it does not fit. */
static int lexical_path(const char *path, char *out, size_t size)
{
    char joined[2 * PATH_MAX], cwd[PATH_MAX];
    size_t n = 0;
    if (path[0] != '/' && getcwd(cwd, sizeof cwd) == NULL)
        return -1;
    if ((size_t)snprintf(joined, sizeof joined, "%s/%s", path[0] == '/' ? "" : cwd, path) >=
        sizeof joined)
        return -1;
    out[0] = '\0';
    char *save = NULL;
    for (char *c = strtok_r(joined, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            char *slash = strrchr(out, '/');
            n = slash != NULL ? (size_t)(slash - out) : 0;
            out[n] = '\0';
            continue;
        }
        if (n + 1 + strlen(c) >= size)
            return -1;
        out[n++] = '/';
        memcpy(out + n, c, strlen(c) + 1);
        n += strlen(c);
    }
    if (n == 0 && size > 1)
        memcpy(out, "/", 2);
    return 0;
}

/* Resolves a->path to a folder inside root into a->folder. revoke also takes a path that no
 * longer exists, spelled inside the root (lexical_path), so a deleted folder's grant can be
 * removed before a new folder of that name inherits it. Returns 0, or 2 after one line. */
static int resolve_path(const char *root, struct sources_args *a)
{
    char real[PATH_MAX];
    int fd = -1;
    enum sources_status st = sources_open_folder(root, a->path, &fd, real, sizeof real);
    const char *rel = st == SOURCES_OK ? sources_relative(root, real) : NULL;
    if (fd >= 0)
        close(fd);
    if (st == SOURCES_MISSING && strcmp(a->verb, "revoke") == 0 &&
        lexical_path(a->path, real, sizeof real) == 0)
        rel = sources_relative(root, real);
    if (rel == NULL || strlen(rel) >= sizeof a->folder) {
        fprintf(stderr,
                "aam sources %s: PATH \"%s\" %s; it must be a folder inside "
                "AAM_SOURCES_ROOT (%s)\n",
                a->verb, a->path,
                st == SOURCES_OK ? "is outside the sources root" : sources_status_text(st), root);
        return 2;
    }
    memcpy(a->folder, rel, strlen(rel) + 1);
    return 0;
}

/* The folder as printed: relative to the root, "." for the root itself. */
static const char *shown(const char *folder)
{
    return folder[0] == '\0' ? "." : folder;
}

/* grant or revoke, each one statement scoped to the namespace: the tenant must exist (a grant
 * references it, and revoke on an unknown namespace is as much a mistake as grant). */
static int change(struct db_pool *db, const struct sources_args *a)
{
    int grant = strcmp(a->verb, "grant") == 0;
    enum db_outcome done;
    struct db_error err = {0};
    int rc = grant ? db_grants_add(db, a->ns, a->folder, &done, &err)
                   : db_grants_remove(db, a->ns, a->folder, &done, &err);
    if (rc != 0) {
        fprintf(stderr, "aam sources %s: database: %s\n", a->verb, err.message);
        return 1;
    }
    if (done == DB_OUTCOME_NO_TENANT) {
        fprintf(stderr, "aam sources %s: no tenant \"%s\" (create it with `aam tenants create`)\n",
                a->verb, a->ns);
        return 1;
    }
    if (done == DB_OUTCOME_UNCHANGED)
        printf("%s %s: %s\n", grant ? "already granted" : "not granted (nothing to revoke)", a->ns,
               shown(a->folder));
    else
        printf("%s %s: %s\n", grant ? "granted" : "revoked", a->ns, shown(a->folder));
    return 0;
}

static void on_grant(void *arg, const char *ns, const char *folder)
{
    (void)arg;
    printf("%s\t%s\n", ns, shown(folder));
}

/* One line per grant, by folder then namespace: "namespace<TAB>folder" (folder relative to the
 * root, "." for the root). Reading every namespace's grants is an operator read
 * (db_grants_list), done only here and in `aam tenants list`. With --namespace, an unknown
 * namespace exits 1. The per-namespace folders (AAM_SOURCES_ROOT/<ns>/) are not rows and are
 * not listed. */
static int list(struct db_pool *db, const struct sources_args *a)
{
    struct db_error err = {0};
    int known = 0;
    if (db_grants_list(db, a->ns, on_grant, NULL, &known, &err) != 0) {
        fprintf(stderr, "aam sources list: database: %s\n", err.message);
        return 1;
    }
    if (!known) {
        fprintf(stderr, "aam sources list: no tenant \"%s\"\n", a->ns);
        return 1;
    }
    return 0;
}

int cmd_sources(int argc, char **argv)
{
    struct sources_args a = {0};
    struct cfg cfg;
    char err[256];
    struct db_pool *db = NULL;
    if (argc < 2 || (strcmp(argv[1], "grant") != 0 && strcmp(argv[1], "revoke") != 0 &&
                     strcmp(argv[1], "list") != 0)) {
        int help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fputs(USAGE, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    a.verb = argv[1];
    int rc = parse_args(argc - 1, argv + 1, &a);
    if (rc != 0)
        return rc;
    unsigned need = CFG_NEED_DB | (a.path != NULL ? CFG_NEED_SOURCES : 0);
    if (cfg_load(&cfg, need, err, sizeof err) != 0) {
        fprintf(stderr, "aam sources %s: %s\n", a.verb, err);
        return 2;
    }
    if (a.path != NULL && (rc = resolve_path(cfg.sources_root, &a)) != 0)
        goto cleanup;
    char what[32];
    snprintf(what, sizeof what, "sources %s", a.verb);
    db = cmd_open_db(&cfg, CFG_DB_COMMAND, what);
    if (db == NULL) {
        rc = 2;
        goto cleanup;
    }
    rc = a.path != NULL ? change(db, &a) : list(db, &a);
    if (fflush(stdout) != 0)
        rc = 1;
cleanup:
    db_pool_free(db);
    cfg_free(&cfg);
    return rc;
}
