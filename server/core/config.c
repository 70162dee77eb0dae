/* config: the environment, read through the one table in config.h (CFG_SETTINGS: name, kind,
 * default, bounds, hook, help), validated before anything starts. Errors name the setting and
 * never echo a secret. */
#include "server/core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/core/log.h"
#include "server/core/secrets.h"
#include "util/netaddr.h"
#include "util/xalloc.h"

enum cfg_kind { CFG_KIND_INT, CFG_KIND_STR, CFG_KIND_SECRET, CFG_KIND_CUSTOM };

struct cfg_param;

/* Runs after the generic parse; raw is the environment value or NULL when unset. A function
 * type, so the hooks below are declared by name alone. */
typedef int cfg_hook(struct cfg *c, const struct cfg_param *p, const char *raw, unsigned need,
                     char *err, size_t errlen);

struct cfg_param {
    const char *name;
    enum cfg_kind kind;
    const char *def; /* see config.h: NULL none, "(…)" shown only */
    long min, max;   /* INT bounds; SECRET minimum length */
    size_t offset;   /* into struct cfg (int or char *); unused for CUSTOM */
    unsigned need;
    cfg_hook *hook;
    const char *help;
};

static cfg_hook hook_database_url, hook_app_role, hook_jwt_secret, hook_secret_keys,
    hook_sources_root, hook_cors_origins, hook_trusted_proxies, hook_outbound_nets,
    hook_default_cores, hook_default_workers, hook_log_level, hook_admin_addr, hook_listen_addr;

#define CFG_OFF_INT(f) offsetof(struct cfg, f)
#define CFG_OFF_STR(f) offsetof(struct cfg, f)
#define CFG_OFF_SECRET(f) offsetof(struct cfg, f)
#define CFG_OFF_CUSTOM(f) 0
#define CFG_ROW(kind, field, name, def, min, max, need, hook, help)                                \
    {name, CFG_KIND_##kind, def, min, max, CFG_OFF_##kind(field), need, hook, help},

static const struct cfg_param params[] = {CFG_SETTINGS(CFG_ROW)};

#define N_PARAMS (sizeof params / sizeof params[0])

/* Writes "<name><what>" as the one error line. */
static int fail(char *err, size_t errlen, const char *name, const char *what)
{
    snprintf(err, errlen, "%s%s", name, what);
    return -1;
}

static int *int_field(struct cfg *c, const struct cfg_param *p)
{
    return (int *)(void *)((char *)c + p->offset);
}

static char **str_field(struct cfg *c, const struct cfg_param *p)
{
    return (char **)(void *)((char *)c + p->offset);
}

/* A default shown in --help only: the hook computes the value. */
static int def_is_display_only(const char *def)
{
    return def != NULL && def[0] == '(';
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

static int load_int(struct cfg *c, const struct cfg_param *p, const char *raw, char *err,
                    size_t errlen)
{
    long v;
    if (parse_int(raw, p->min, p->max, &v) != 0) {
        snprintf(err, errlen, "%s must be an integer from %ld to %ld (got \"%.40s\")", p->name,
                 p->min, p->max, raw);
        return -1;
    }
    *int_field(c, p) = (int)v;
    return 0;
}

static int load_string(struct cfg *c, const struct cfg_param *p, const char *raw, char *err,
                       size_t errlen)
{
    if (p->kind == CFG_KIND_SECRET && (long)strlen(raw) < p->min) {
        snprintf(err, errlen, "%s must be at least %ld bytes", p->name, p->min);
        return -1;
    }
    if (raw[0] == '\0')
        return fail(err, errlen, p->name, " is set but empty");
    char **field = str_field(c, p);
    free(*field);
    *field = xstrdup(raw);
    return 0;
}

/* The generic part of a row: the value from raw, else from the default. */
static int load_value(struct cfg *c, const struct cfg_param *p, const char *raw, char *err,
                      size_t errlen)
{
    const char *text = raw;
    if (text == NULL && p->def != NULL && !def_is_display_only(p->def))
        text = p->def;
    if (text == NULL || p->kind == CFG_KIND_CUSTOM)
        return 0;
    if (p->kind == CFG_KIND_INT)
        return load_int(c, p, text, err, errlen);
    return load_string(c, p, text, err, errlen);
}

static int load_param(struct cfg *c, const struct cfg_param *p, unsigned need, char *err,
                      size_t errlen)
{
    /* A setting that belongs to other commands (JWT_SECRET for migrate, DATABASE_URL for
     * token) is not read at all: a deploy step must not fail on a value it never uses. */
    if (p->need != 0 && (p->need & need) == 0)
        return 0;
    const char *raw = getenv(p->name);
    if (raw == NULL && (p->need & need))
        return fail(err, errlen, p->name, " is required");
    if (load_value(c, p, raw, err, errlen) != 0)
        return -1;
    return p->hook ? p->hook(c, p, raw, need, err, errlen) : 0;
}

int cfg_load(struct cfg *out, unsigned need, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < N_PARAMS; i++) {
        if (load_param(out, &params[i], need, err, errlen) != 0) {
            cfg_free(out);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ hooks */

/* DATABASE_URL and AAM_MIGRATE_DATABASE_URL. */
static int hook_database_url(struct cfg *c, const struct cfg_param *p, const char *raw,
                             unsigned need, char *err, size_t errlen)
{
    (void)c, (void)need;
    if (raw != NULL && strstr(raw, "://") == NULL && strchr(raw, '=') == NULL) {
        snprintf(err, errlen, "%s must be a postgresql:// URI or a key=value connection string",
                 p->name);
        return -1;
    }
    return 0;
}

/* A role name as PostgreSQL spells an unquoted one (the grants quote it anyway): so a typo
 * stops `aam migrate` here, with the setting's name, not in the middle of a migration. */
static int hook_app_role(struct cfg *c, const struct cfg_param *p, const char *raw, unsigned need,
                         char *err, size_t errlen)
{
    (void)raw, (void)need;
    const char *r = c->app_role;
    size_t n = r != NULL ? strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789_$") : 0;
    if (r == NULL || n == 0 || r[n] != '\0' || n > 63 || (r[0] >= '0' && r[0] <= '9') || r[0] == '$')
        return fail(err, errlen, p->name, " must be a role name: a-z, 0-9, _ and $, at most 63");
    return 0;
}

static int hook_jwt_secret(struct cfg *c, const struct cfg_param *p, const char *raw, unsigned need,
                           char *err, size_t errlen)
{
    (void)p, (void)raw, (void)need, (void)err, (void)errlen;
    c->jwt_secret_len = c->jwt_secret ? strlen(c->jwt_secret) : 0;
    return 0;
}

/* The value is secret: the keyring parser's error line names the setting and a position, never
 * the text. */
static int hook_secret_keys(struct cfg *c, const struct cfg_param *p, const char *raw,
                            unsigned need, char *err, size_t errlen)
{
    (void)p, (void)need;
    if (raw == NULL)
        return 0;
    c->secret_keys = secrets_keyring_parse(raw, err, errlen);
    return c->secret_keys != NULL ? 0 : -1;
}

static int hook_default_cores(struct cfg *c, const struct cfg_param *p, const char *raw,
                              unsigned need, char *err, size_t errlen)
{
    (void)need, (void)err, (void)errlen;
    if (raw != NULL)
        return 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    *int_field(c, p) = (int)(cores < 1 ? 1 : cores > p->max ? p->max : cores);
    return 0;
}

/* Workers bound how many database transactions run at once. More than the database can run
 * in parallel only moves the queue from our FIFO into the CPU's run queue, where it costs the
 * tail: on 2 cores with the database alongside, 20 workers gave a p99 2.2x pgbench's, 4-6 gave
 * 1.0-1.1x at the same throughput (shared/bench, README "Performance"). So the default is
 * PostgreSQL's own rule of thumb for active connections, 2 x cores + 2, never more than the
 * pool holds; with no pool (one connection per request, mostly waiting on connection setup) 16.
 * Reads AAM_DB_POOL_SIZE's row, which comes first. */
static int hook_default_workers(struct cfg *c, const struct cfg_param *p, const char *raw,
                                unsigned need, char *err, size_t errlen)
{
    (void)need, (void)err, (void)errlen;
    if (raw != NULL)
        return 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int by_cores = (int)(cores < 1 ? 1 : cores > 64 ? 64 : cores) * 2 + 2;
    if (c->db_pool_size == 0)
        *int_field(c, p) = 16;
    else
        *int_field(c, p) = c->db_pool_size < by_cores ? c->db_pool_size : by_cores;
    return 0;
}

static int hook_log_level(struct cfg *c, const struct cfg_param *p, const char *raw, unsigned need,
                          char *err, size_t errlen)
{
    (void)c, (void)need;
    if (raw != NULL && log_level_parse(raw, &log_threshold) != 0)
        return fail(err, errlen, p->name, " must be debug, info, warn or error");
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
    return rest != NULL && rest[0] != '\0' && strchr(rest, '/') == NULL &&
           strchr(rest, ' ') == NULL;
}

/* Parsed once at start, so a bad CIDR stops every command with exit 2 and one line. */
static int hook_trusted_proxies(struct cfg *c, const struct cfg_param *p, const char *raw,
                                unsigned need, char *err, size_t errlen)
{
    (void)p, (void)need;
    char why[160];
    if (raw == NULL)
        return 0;
    if (netaddr_parse_list(raw, &c->trusted_proxies, &c->n_trusted_proxies, why, sizeof why) != 0) {
        snprintf(err, errlen, "AAM_TRUSTED_PROXIES: %s", why);
        return -1;
    }
    return 0;
}

/* Where checks and webhooks may connect (server/core/outbound.c asks the set). Parsed once at
 * start like AAM_TRUSTED_PROXIES; an empty value is refused rather than read as "nowhere", which
 * is more likely a broken deployment template than an intent. */
static int hook_outbound_nets(struct cfg *c, const struct cfg_param *p, const char *raw,
                              unsigned need, char *err, size_t errlen)
{
    (void)need;
    char why[160];
    const char *v = raw ? raw : p->def;
    size_t blank = strspn(v, " \t,");
    if (v[blank] == '\0')
        return fail(err, errlen, p->name, " is set but empty (CIDRs and/or public)");
    c->outbound_nets = netaddr_set_parse(v, why, sizeof why);
    if (c->outbound_nets == NULL) {
        snprintf(err, errlen, "%s: %s", p->name, why);
        return -1;
    }
    return 0;
}

static int hook_cors_origins(struct cfg *c, const struct cfg_param *p, const char *raw,
                             unsigned need, char *err, size_t errlen)
{
    (void)p, (void)need;
    if (raw == NULL)
        return 0;
    char *copy = xstrdup(raw), *save = NULL;
    size_t cap = 1;
    for (const char *s = raw; *s; s++)
        cap += (*s == ',');
    c->cors_origins = xcalloc(cap + 1, sizeof(char *));
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t n = strlen(tok);
        while (n > 0 && tok[n - 1] == ' ')
            tok[--n] = '\0';
        if (n == 0)
            continue;
        if (!origin_valid(tok)) {
            snprintf(err, errlen,
                     "AAM_CORS_ORIGINS: \"%.80s\" is not an origin (scheme://host[:port])", tok);
            free(copy);
            return -1;
        }
        c->cors_origins[c->n_cors_origins++] = xstrdup(tok);
    }
    free(copy);
    return 0;
}

/* An explicit AAM_SOURCES_ROOT must be a directory; the default may be missing (the files
 * routes then answer 409), so a binary run outside the repository still serves the API. */
static int hook_sources_root(struct cfg *c, const struct cfg_param *p, const char *raw,
                             unsigned need, char *err, size_t errlen)
{
    char resolved[PATH_MAX];
    struct stat st;
    const char *dir = raw ? raw : p->def;
    if (realpath(dir, resolved) != NULL && stat(resolved, &st) == 0 && S_ISDIR(st.st_mode)) {
        c->sources_root = xstrdup(resolved);
        return 0;
    }
    if (raw != NULL || (need & CFG_NEED_SOURCES)) {
        snprintf(err, errlen, "AAM_SOURCES_ROOT: \"%.200s\" is not an existing directory", dir);
        return -1;
    }
    c->sources_root = xstrdup(dir);
    return 0;
}

/* ------------------------------------------------------------------ the rest */

void cfg_free(struct cfg *c)
{
    if (c == NULL)
        return;
    if (c->jwt_secret != NULL)
        memset(c->jwt_secret, 0, c->jwt_secret_len); /* don't leave the key in freed memory */
    for (size_t i = 0; i < N_PARAMS; i++) {
        if (params[i].kind == CFG_KIND_STR || params[i].kind == CFG_KIND_SECRET)
            xfree(str_field(c, &params[i]));
    }
    c->jwt_secret_len = 0;
    secrets_keyring_free(c->secret_keys);
    c->secret_keys = NULL;
    xfree(&c->sources_root);
    xfree(&c->admin_addr);
    for (size_t i = 0; c->cors_origins != NULL && i < c->n_cors_origins; i++)
        free(c->cors_origins[i]);
    xfree(&c->cors_origins);
    c->n_cors_origins = 0;
    xfree(&c->trusted_proxies);
    c->n_trusted_proxies = 0;
    netaddr_set_free(c->outbound_nets);
    c->outbound_nets = NULL;
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
        const char *def = params[i].def;
        char shown[32];
        if (def == NULL)
            def = params[i].need ? "required" : "none";
        else if (def[0] == '\0')
            def = "none";
        else if (def_is_display_only(def)) {
            snprintf(shown, sizeof shown, "%.*s", (int)strlen(def) - 2, def + 1);
            def = shown;
        }
        printf("  %-28s %-16s %s\n", params[i].name, def, params[i].help);
    }
}

void cfg_db_config(const struct cfg *c, enum cfg_db_use use, struct db_config *out)
{
    *out = (struct db_config){
        .url = use != CFG_DB_SERVE && c->migrate_database_url != NULL ? c->migrate_database_url
                                                                      : c->database_url,
        .pool_size = use == CFG_DB_SERVE ? c->db_pool_size : 1,
        .acquire_timeout_ms = c->db_acquire_timeout_ms,
        .statement_timeout_ms = use == CFG_DB_MIGRATE ? 0 : c->db_statement_timeout_ms,
        .connect_timeout_s = c->db_connect_timeout_s,
        .max_lifetime_s = c->db_max_lifetime_s,
        .fail_fast_ms = c->db_fail_fast_ms,
    };
}

/* "off", or IP:PORT / [IPv6]:PORT. No host names: the admin listener must bind exactly
 * where the operator said (a name could resolve to a public address). */
static int hook_admin_addr(struct cfg *c, const struct cfg_param *p, const char *raw, unsigned need,
                           char *err, size_t errlen)
{
    (void)need;
    static const char *const what =
        "AAM_ADMIN_ADDR must be off or IP:PORT (e.g. 127.0.0.1:9090, [::1]:9090), port 1-65535";
    const char *v = raw ? raw : p->def;
    if (strcmp(v, "off") == 0)
        return 0;
    const char *colon = strrchr(v, ':');
    const char *host = v;
    size_t hlen = colon ? (size_t)(colon - v) : 0;
    if (v[0] == '[') {
        host = v + 1;
        if (hlen < 2 || v[hlen - 1] != ']')
            return fail(err, errlen, what, "");
        hlen -= 2;
    }
    long port;
    unsigned char buf[sizeof(struct in6_addr)];
    if (colon == NULL || hlen == 0 || hlen >= sizeof c->admin_host ||
        parse_int(colon + 1, 1, 65535, &port) != 0)
        return fail(err, errlen, what, "");
    memcpy(c->admin_host, host, hlen);
    c->admin_host[hlen] = '\0';
    int ok = v[0] == '[' ? inet_pton(AF_INET6, c->admin_host, buf) == 1
                         : inet_pton(AF_INET, c->admin_host, buf) == 1;
    if (!ok)
        return fail(err, errlen, what, "");
    c->admin_port = (int)port;
    c->admin_addr = xstrdup(v);
    return 0;
}

/* An IP literal (IPv6 may come in brackets), or unset for every address. No host name: the API
 * must bind exactly where the operator said (a name could resolve to a public address), and no
 * port: PORT says that. */
static int hook_listen_addr(struct cfg *c, const struct cfg_param *p, const char *raw,
                            unsigned need, char *err, size_t errlen)
{
    (void)need;
    unsigned char buf[sizeof(struct in6_addr)];
    if (raw == NULL)
        return 0;
    size_t len = strlen(raw);
    const char *host = raw;
    if (len >= 2 && raw[0] == '[' && raw[len - 1] == ']') {
        host = raw + 1;
        len -= 2;
    }
    if (len > 0 && len < sizeof c->listen_host) {
        memcpy(c->listen_host, host, len);
        c->listen_host[len] = '\0';
        if (inet_pton(AF_INET, c->listen_host, buf) == 1 ||
            inet_pton(AF_INET6, c->listen_host, buf) == 1)
            return 0;
    }
    c->listen_host[0] = '\0';
    snprintf(err, errlen,
             "%s must be an IP address such as 127.0.0.1 or ::1 (no host name, no port: PORT "
             "sets that), got \"%.60s\"",
             p->name, raw);
    return -1;
}
