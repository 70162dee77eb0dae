/* config: the environment, read through one table (name, kind, default, bounds, meaning),
 * validated before anything starts. Errors name the setting and never echo a secret. */
#include "server/config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/log.h"
#include "server/netaddr.h"

enum cfg_kind { CFG_INT, CFG_STRING, CFG_SECRET, CFG_SPECIAL };

struct cfg_param {
    const char *name;
    enum cfg_kind kind;
    const char *def;   /* shown in help; NULL = required/none */
    long min, max;     /* CFG_INT bounds */
    size_t offset;     /* into struct cfg (int or char *); unused for CFG_SPECIAL */
    unsigned need;     /* required when the command needs this */
    const char *help;
};

#define OFF(f) offsetof(struct cfg, f)

/* Derived defaults ("cores", workers) are computed in apply_derived_defaults. */
static const struct cfg_param params[] = {
    {"DATABASE_URL", CFG_STRING, NULL, 0, 0, OFF(database_url), CFG_NEED_DB,
     "libpq URI: PostgreSQL, PgBouncer (session or transaction mode) or Supavisor"},
    {"AAM_DB_POOL_SIZE", CFG_INT, "16", 0, 1000, OFF(db_pool_size), 0,
     "connections kept; 0 = none kept, one per request (the pooler does all pooling)"},
    {"AAM_DB_ACQUIRE_TIMEOUT_MS", CFG_INT, "5000", 1, 600000, OFF(db_acquire_timeout_ms), 0,
     "longest wait for a free pooled connection before answering 503"},
    {"AAM_DB_STATEMENT_TIMEOUT_MS", CFG_INT, "10000", 0, 3600000, OFF(db_statement_timeout_ms), 0,
     "statement_timeout set per transaction (0 = none)"},
    {"AAM_DB_CONNECT_TIMEOUT_S", CFG_INT, "5", 1, 300, OFF(db_connect_timeout_s), 0,
     "libpq connect_timeout"},
    {"AAM_DB_MAX_LIFETIME_S", CFG_INT, "1800", 10, 604800, OFF(db_max_lifetime_s), 0,
     "a pooled connection older than this is closed and replaced"},
    {"JWT_SECRET", CFG_SECRET, NULL, 32, 0, OFF(jwt_secret), CFG_NEED_JWT,
     "HS256 key, at least 32 bytes"},
    {"JWT_TTL_SECONDS", CFG_INT, "3600", 60, 2592000, OFF(jwt_ttl_s), 0, "token lifetime"},
    {"PORT", CFG_INT, "8080", 1, 65535, OFF(port), 0, "listening port"},
    {"AAM_SOURCES_ROOT", CFG_SPECIAL, "./mock_sources", 0, 0, 0, 0,
     "the only directory FilesSource connectors may read"},
    {"AAM_CORS_ORIGINS", CFG_SPECIAL, "", 0, 0, 0, 0,
     "comma-separated origins (scheme://host[:port]) allowed to call the API from a browser"},
    {"AAM_DEMO_PASSWORD", CFG_SECRET, "generated", 8, 0, OFF(demo_password), 0,
     "password `aam seed` gives the demo user when it creates it (at least 8 bytes)"},
    {"AAM_THREADS", CFG_INT, "cores", 1, 256, OFF(threads), 0, "HTTP I/O threads"},
    {"AAM_WORKERS", CFG_INT, "max(pool,4)", 1, 1024, OFF(workers), 0,
     "request workers for database work (16 when the pool size is 0)"},
    {"AAM_HASH_WORKERS", CFG_INT, "cores", 1, 64, OFF(hash_workers), 0,
     "workers for register/login (password hashing), apart from the rest"},
    {"AAM_SHUTDOWN_GRACE_S", CFG_INT, "10", 0, 300, OFF(shutdown_grace_s), 0,
     "how long in-flight requests may finish after SIGTERM"},
    {"AAM_LOGIN_MAX_FAILURES", CFG_INT, "5", 1, 1000, OFF(login_max_failures), 0,
     "failed logins for one email per window before 429"},
    {"AAM_LOGIN_MAX_FAILURES_PER_ADDRESS", CFG_INT, "100", 1, 100000,
     OFF(login_max_failures_per_address), 0,
     "failed logins from one client address per window before 429 (higher: many users share NATs)"},
    {"AAM_LOGIN_WINDOW_S", CFG_INT, "300", 1, 86400, OFF(login_window_s), 0,
     "the failed-login window"},
    {"AAM_REGISTER_MAX_PER_ADDRESS", CFG_INT, "20", 1, 1000000, OFF(register_max_per_address), 0,
     "registrations one client address may make per hour before 429"},
    {"AAM_MAX_CONNECTORS_PER_TENANT", CFG_INT, "1000", 1, 100000000, OFF(max_connectors_per_tenant), 0,
     "connectors one tenant may hold"},
    {"AAM_TRUSTED_PROXIES", CFG_SPECIAL, "", 0, 0, 0, 0,
     "comma-separated CIDRs whose X-Forwarded-For is believed for the client address"},
    {"AAM_MIGRATIONS_DIR", CFG_STRING, "./migrations", 0, 0, OFF(migrations_dir), 0,
     "where `aam migrate` finds NNNN_name.sql files"},
    {"AAM_SEEDS_DIR", CFG_STRING, "./seeds", 0, 0, OFF(seeds_dir), 0,
     "where `aam seed` finds its seed files"},
    {"AAM_LOG_LEVEL", CFG_SPECIAL, "info", 0, 0, 0, 0, "debug, info, warn or error"},
};

#define N_PARAMS (sizeof params / sizeof params[0])

/* Writes "<name><what>" as the one error line. */
static int fail(char *err, size_t errlen, const char *name, const char *what)
{
    snprintf(err, errlen, "%s%s", name, what);
    return -1;
}

/* Strict integer parse: whole string, base 10, within [min, max]. */
static int parse_int(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int load_int(struct cfg *c, const struct cfg_param *p, const char *raw, char *err, size_t errlen)
{
    long v;
    if (parse_int(raw, p->min, p->max, &v) != 0) {
        snprintf(err, errlen, "%s must be an integer from %ld to %ld (got \"%.40s\")", p->name,
                 p->min, p->max, raw);
        return -1;
    }
    *(int *)(void *)((char *)c + p->offset) = (int)v;
    return 0;
}

static int load_string(struct cfg *c, const struct cfg_param *p, const char *raw, char *err,
                       size_t errlen)
{
    if (p->kind == CFG_SECRET && (long)strlen(raw) < p->min) {
        snprintf(err, errlen, "%s must be at least %ld bytes", p->name, p->min);
        return -1;
    }
    if (raw[0] == '\0')
        return fail(err, errlen, p->name, " is set but empty");
    char *copy = strdup(raw);
    if (copy == NULL)
        return fail(err, errlen, p->name, ": out of memory");
    *(char **)(void *)((char *)c + p->offset) = copy;
    if (p->offset == OFF(jwt_secret))
        c->jwt_secret_len = strlen(copy);
    return 0;
}

/* An origin is scheme://host[:port] with no path, or "*" for any. */
static int origin_valid(const char *o)
{
    if (strcmp(o, "*") == 0)
        return 1;
    const char *rest = NULL;
    if (strncmp(o, "http://", 7) == 0)
        rest = o + 7;
    else if (strncmp(o, "https://", 8) == 0)
        rest = o + 8;
    return rest != NULL && rest[0] != '\0' && strchr(rest, '/') == NULL && strchr(rest, ' ') == NULL;
}

static int load_cors(struct cfg *c, const char *raw, char *err, size_t errlen)
{
    char *copy = strdup(raw), *save = NULL;
    size_t cap = 1;
    for (const char *s = raw; *s; s++)
        cap += (*s == ',');
    c->cors_origins = calloc(cap + 1, sizeof(char *));
    if (copy == NULL || c->cors_origins == NULL) {
        free(copy);
        return fail(err, errlen, "AAM_CORS_ORIGINS", ": out of memory");
    }
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t n = strlen(tok);
        while (n > 0 && tok[n - 1] == ' ')
            tok[--n] = '\0';
        if (n == 0)
            continue;
        if (!origin_valid(tok)) {
            snprintf(err, errlen, "AAM_CORS_ORIGINS: \"%.80s\" is not an origin (scheme://host[:port])", tok);
            free(copy);
            return -1;
        }
        c->cors_origins[c->n_cors_origins++] = strdup(tok);
    }
    free(copy);
    return 0;
}

static int load_trusted_proxies(struct cfg *c, const char *raw, char *err, size_t errlen)
{
    char why[160];
    if (netaddr_parse_list(raw, &c->trusted_proxies, &c->n_trusted_proxies, why, sizeof why) != 0) {
        snprintf(err, errlen, "AAM_TRUSTED_PROXIES: %s", why);
        return -1;
    }
    return 0;
}

/* An explicit AAM_SOURCES_ROOT must be a directory; the default may be missing (the files
 * routes then answer 409), so a binary run outside the repository still serves the API. */
static int load_sources_root(struct cfg *c, const char *raw, int explicit, unsigned need, char *err,
                             size_t errlen)
{
    char resolved[PATH_MAX];
    struct stat st;
    if (realpath(raw, resolved) != NULL && stat(resolved, &st) == 0 && S_ISDIR(st.st_mode)) {
        c->sources_root = strdup(resolved);
        return 0;
    }
    if (explicit || (need & CFG_NEED_SOURCES)) {
        snprintf(err, errlen, "AAM_SOURCES_ROOT: \"%.200s\" is not an existing directory", raw);
        return -1;
    }
    c->sources_root = strdup(raw);
    return 0;
}

static int load_special(struct cfg *c, const struct cfg_param *p, const char *raw, unsigned need,
                        char *err, size_t errlen)
{
    if (strcmp(p->name, "AAM_SOURCES_ROOT") == 0)
        return load_sources_root(c, raw ? raw : p->def, raw != NULL, need, err, errlen);
    if (strcmp(p->name, "AAM_CORS_ORIGINS") == 0)
        return raw ? load_cors(c, raw, err, errlen) : 0;
    if (strcmp(p->name, "AAM_TRUSTED_PROXIES") == 0)
        return raw ? load_trusted_proxies(c, raw, err, errlen) : 0;
    if (raw != NULL && log_level_parse(raw, &log_threshold) != 0)
        return fail(err, errlen, p->name, " must be debug, info, warn or error");
    return 0;
}

static void apply_defaults(struct cfg *c)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    c->db_pool_size = 16;
    c->db_acquire_timeout_ms = 5000;
    c->db_statement_timeout_ms = 10000;
    c->db_connect_timeout_s = 5;
    c->db_max_lifetime_s = 1800;
    c->jwt_ttl_s = 3600;
    c->port = 8080;
    c->threads = (int)cores;
    c->workers = 0; /* derived after the pool size is known */
    c->hash_workers = (int)cores;
    c->shutdown_grace_s = 10;
    c->login_max_failures = 5;
    c->login_max_failures_per_address = 100;
    c->login_window_s = 300;
    c->register_max_per_address = 20;
    c->max_connectors_per_tenant = 1000;
}

static int load_param(struct cfg *c, const struct cfg_param *p, unsigned need, char *err, size_t errlen)
{
    const char *raw = getenv(p->name);
    /* A setting that belongs to other commands (JWT_SECRET for migrate, DATABASE_URL for
     * token) is not read at all: a deploy step must not fail on a value it never uses. */
    if (p->need != 0 && (p->need & need) == 0)
        return 0;
    if (p->kind == CFG_SPECIAL)
        return load_special(c, p, raw, need, err, errlen);
    if (raw == NULL) {
        if (p->need & need)
            return fail(err, errlen, p->name, " is required");
        return 0;
    }
    if (p->kind == CFG_INT)
        return load_int(c, p, raw, err, errlen);
    return load_string(c, p, raw, err, errlen);
}

int cfg_load(struct cfg *out, unsigned need, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    apply_defaults(out);
    for (size_t i = 0; i < N_PARAMS; i++) {
        if (load_param(out, &params[i], need, err, errlen) != 0) {
            cfg_free(out);
            return -1;
        }
    }
    if (out->database_url != NULL && strstr(out->database_url, "://") == NULL &&
        strchr(out->database_url, '=') == NULL) {
        snprintf(err, errlen, "DATABASE_URL must be a postgresql:// URI or a key=value connection string");
        cfg_free(out);
        return -1;
    }
    if (out->migrations_dir == NULL)
        out->migrations_dir = strdup("./migrations");
    if (out->seeds_dir == NULL)
        out->seeds_dir = strdup("./seeds");
    if (out->workers == 0)
        out->workers = out->db_pool_size > 0 ? (out->db_pool_size > 4 ? out->db_pool_size : 4) : 16;
    return 0;
}

static void free_and_null(char **p)
{
    free(*p);
    *p = NULL;
}

void cfg_free(struct cfg *c)
{
    if (c == NULL)
        return;
    free_and_null(&c->database_url);
    if (c->jwt_secret != NULL)
        memset(c->jwt_secret, 0, c->jwt_secret_len); /* don't leave the key in freed memory */
    free_and_null(&c->jwt_secret);
    free_and_null(&c->sources_root);
    free_and_null(&c->demo_password);
    free_and_null(&c->migrations_dir);
    free_and_null(&c->seeds_dir);
    for (size_t i = 0; c->cors_origins != NULL && i < c->n_cors_origins; i++)
        free(c->cors_origins[i]);
    free(c->cors_origins);
    c->cors_origins = NULL;
    free(c->trusted_proxies);
    c->trusted_proxies = NULL;
    c->n_trusted_proxies = 0;
    c->n_cors_origins = 0;
}

int cfg_cors_allowed(const struct cfg *c, const char *origin)
{
    if (origin == NULL)
        return 0;
    for (size_t i = 0; i < c->n_cors_origins; i++) {
        if (strcmp(c->cors_origins[i], "*") == 0 || strcmp(c->cors_origins[i], origin) == 0)
            return 1;
    }
    return 0;
}

void cfg_print_help(void)
{
    printf("Configuration (environment):\n");
    for (size_t i = 0; i < N_PARAMS; i++) {
        const char *def = params[i].def ? params[i].def : "required";
        printf("  %-28s %-16s %s\n", params[i].name, def[0] ? def : "none", params[i].help);
    }
}
