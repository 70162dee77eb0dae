/* hosts: the host list of a connection string (postgresql://u@h1:5432,h2:5432/db), one
 * connection attempt per host. libpq would try the hosts itself, but it stops at the first one
 * that accepts (target_session_attrs=read-write trusts what a pooler reports, and PgBouncer 1.18
 * reports the in_hot_standby it saw at its first login), so the pool tries the hosts one at a
 * time, checks each new connection takes writes, and keeps per-host backoff here. */
#include <stdio.h>
#include <string.h>

#include "db/db_internal.h"

struct db_host {
    char *host, *hostaddr, *port; /* this host's entries of the lists; NULL = libpq's default */
    char label[96];               /* "host:port", for logs; never a password */
    int fails;                    /* consecutive failed attempts */
    long long down_until_ms;      /* not tried again before then (monotonic) */
};

struct db_hosts {
    int expand; /* the string did not parse: hand it to libpq whole, which will say why */
    char *url;
    int nshared;
    char **keys, **vals; /* every other keyword of the string, for every host */
    int n;
    struct db_host h[DB_HOSTS_MAX];
    int preferred; /* the host that last took writes: tried first */
    int base_ms;
};

/* Keywords that are per host, or that the pool sets itself. target_session_attrs is dropped:
 * the pool checks writes itself, and libpq's own check believes a pooler's stale report. */
static int is_per_host(const char *kw)
{
    static const char *const own[] = {"host",
                                      "hostaddr",
                                      "port",
                                      "target_session_attrs",
                                      "load_balance_hosts",
                                      "connect_timeout",
                                      "fallback_application_name",
                                      NULL};
    for (int i = 0; own[i] != NULL; i++)
        if (strcmp(kw, own[i]) == 0)
            return 1;
    return 0;
}

/* The i-th comma-separated entry of list (NULL when absent or empty); malloc'd. */
static char *list_item(const char *list, int i)
{
    if (list == NULL)
        return NULL;
    const char *p = list;
    for (; i > 0; i--) {
        p = strchr(p, ',');
        if (p == NULL)
            return NULL;
        p++;
    }
    size_t len = strcspn(p, ",");
    if (len == 0)
        return NULL;
    char *s = xmalloc(len + 1);
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

static int list_len(const char *list)
{
    if (list == NULL || list[0] == '\0')
        return 0;
    int n = 1;
    for (const char *p = list; (p = strchr(p, ',')) != NULL; p++)
        n++;
    return n;
}

static void set_label(struct db_host *h)
{
    const char *host = h->host ? h->host : h->hostaddr ? h->hostaddr : "(default host)";
    snprintf(h->label, sizeof h->label, "%s:%s", host, h->port ? h->port : "(default port)");
}

/* Splits the host, hostaddr and port lists as libpq does: as many hosts as entries in host (or
 * hostaddr); one port for all or one per host. Returns -1 when libpq would refuse the lists. */
static int split_hosts(struct db_hosts *hs, const char *host, const char *hostaddr, const char *port)
{
    int nh = list_len(host), na = list_len(hostaddr), np = list_len(port);
    int n = nh > na ? nh : na;
    if (n == 0)
        n = 1;
    if ((nh > 0 && na > 0 && nh != na) || (np > 1 && np != n) || n > DB_HOSTS_MAX)
        return -1;
    hs->n = n;
    for (int i = 0; i < n; i++) {
        hs->h[i].host = list_item(host, i);
        hs->h[i].hostaddr = list_item(hostaddr, i);
        hs->h[i].port = list_item(port, np == 1 ? 0 : i);
        set_label(&hs->h[i]);
    }
    return 0;
}

static void parse_into(struct db_hosts *hs, PQconninfoOption *opts)
{
    const char *host = NULL, *hostaddr = NULL, *port = NULL;
    int count = 0;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
        count++;
    hs->keys = xcalloc((size_t)count + 1, sizeof *hs->keys);
    hs->vals = xcalloc((size_t)count + 1, sizeof *hs->vals);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        if (is_per_host(o->keyword))
            continue;
        hs->keys[hs->nshared] = xstrdup(o->keyword);
        hs->vals[hs->nshared] = xstrdup(o->val);
        hs->nshared++;
    }
    if (split_hosts(hs, host, hostaddr, port) != 0)
        hs->expand = 1;
}

struct db_hosts *db_hosts_new(const char *url, int fail_fast_ms)
{
    struct db_hosts *hs = xcalloc(1, sizeof *hs);
    char *errmsg = NULL;
    hs->url = xstrdup(url);
    hs->base_ms = fail_fast_ms > 0 ? fail_fast_ms : DB_DEFAULT_FAIL_FAST_MS;
    PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
    PQfreemem(errmsg);
    if (opts != NULL)
        parse_into(hs, opts);
    else
        hs->expand = 1;
    PQconninfoFree(opts);
    if (hs->expand) { /* one attempt with the string as it is: libpq reports what is wrong */
        for (int i = 0; i < hs->n; i++) {
            free(hs->h[i].host);
            free(hs->h[i].hostaddr);
            free(hs->h[i].port);
        }
        memset(hs->h, 0, sizeof hs->h);
        hs->n = 1;
        snprintf(hs->h[0].label, sizeof hs->h[0].label, "(connection string)");
    }
    return hs;
}

void db_hosts_free(struct db_hosts *hs)
{
    if (hs == NULL)
        return;
    for (int i = 0; i < hs->nshared; i++) {
        free(hs->keys[i]);
        free(hs->vals[i]);
    }
    free(hs->keys);
    free(hs->vals);
    for (int i = 0; i < hs->n; i++) {
        free(hs->h[i].host);
        free(hs->h[i].hostaddr);
        free(hs->h[i].port);
    }
    free(hs->url);
    free(hs);
}

int db_hosts_count(const struct db_hosts *hs)
{
    return hs->n;
}

const char *db_hosts_label(const struct db_hosts *hs, int i)
{
    return hs->h[i].label;
}

static int add_param(const char **keys, const char **vals, int n, size_t cap, const char *k,
                     const char *v)
{
    if (v == NULL || (size_t)n + 1 >= cap)
        return n;
    keys[n] = k;
    vals[n] = v;
    return n + 1;
}

int db_hosts_params(const struct db_hosts *hs, int i, const char *connect_timeout,
                    const char **keys, const char **vals, size_t cap)
{
    int n = 0;
    if (hs->expand) {
        n = add_param(keys, vals, n, cap, "dbname", hs->url);
    } else {
        for (int k = 0; k < hs->nshared; k++)
            n = add_param(keys, vals, n, cap, hs->keys[k], hs->vals[k]);
        n = add_param(keys, vals, n, cap, "host", hs->h[i].host);
        n = add_param(keys, vals, n, cap, "hostaddr", hs->h[i].hostaddr);
        n = add_param(keys, vals, n, cap, "port", hs->h[i].port);
    }
    /* After the URL's own keywords: with expand_dbname, later keywords win. */
    n = add_param(keys, vals, n, cap, "connect_timeout", connect_timeout);
    n = add_param(keys, vals, n, cap, "fallback_application_name", "aam");
    keys[n] = NULL;
    vals[n] = NULL;
    return hs->expand;
}

long long db_hosts_backoff_ms(int base_ms, int fails)
{
    long long cap = base_ms > DB_FAIL_FAST_MAX_MS ? base_ms : DB_FAIL_FAST_MAX_MS;
    long long ms = base_ms;
    for (int i = 1; i < fails && ms < cap; i++)
        ms *= 2;
    return ms < cap ? ms : cap;
}

int db_hosts_pick(const struct db_hosts *hs, long long now, const unsigned char *tried)
{
    for (int k = 0; k < hs->n; k++) {
        int i = (hs->preferred + k) % hs->n;
        if (!tried[i] && hs->h[i].down_until_ms <= now)
            return i;
    }
    return -1;
}

void db_hosts_failed(struct db_hosts *hs, int i, long long now)
{
    /* Already in a window: another thread's attempt, begun before that window was set, failed
     * too. One failure, not two: concurrent attempts must not stretch the backoff. */
    if (hs->h[i].down_until_ms > now)
        return;
    hs->h[i].fails++;
    hs->h[i].down_until_ms = now + db_hosts_backoff_ms(hs->base_ms, hs->h[i].fails);
}

void db_hosts_succeeded(struct db_hosts *hs, int i)
{
    hs->h[i].fails = 0;
    hs->h[i].down_until_ms = 0;
    hs->preferred = i;
}

long long db_hosts_ready_at(const struct db_hosts *hs)
{
    long long at = hs->h[0].down_until_ms;
    for (int i = 1; i < hs->n; i++)
        if (hs->h[i].down_until_ms < at)
            at = hs->h[i].down_until_ms;
    return at;
}
