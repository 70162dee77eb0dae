/* pool: a lazy, thread-safe pool of libpq connections (mutex + condvar, LIFO idle stack).
 * db_pool_new never connects; a connection is opened on first use (on the first host of the
 * list that takes writes, see db/hosts.c), checked cheaply before reuse (status, transaction
 * state, age, generation, and poll(2) on its socket: an idle connection has nothing to read, so
 * readable means the server or the pooler hung up), and closed instead of returned when it is
 * broken, old, of an older generation, or the pool keeps none (AAM_DB_POOL_SIZE=0). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/db_internal.h"

struct db_pool {
    char *url;
    struct db_config cfg; /* cfg.url points at url */
    char connect_timeout[16];
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* signalled when a connection comes back or a slot frees up */
    struct db_conn **idle; /* LIFO: the most recently used connection is the warmest */
    int n_idle;
    int open;   /* idle + in use, including ones being connected */
    int in_use; /* checked out, including ones being connected */
    int waiting;
    unsigned long created, discarded, timeouts;
    unsigned long errors[DB_ERROR_CLASSES]; /* by enum db_status - 1 */
    struct db_hosts *hosts;                 /* the host list and its backoff; under mu */
    unsigned long gen;  /* bumped when a server turned out unfit (read-only, gone): connections
                        * of an older generation are closed instead of reused */
    char down_msg[256]; /* why the last connect failed */
};

struct db_pool *db_pool_new(const struct db_config *cfg)
{
    if (cfg == NULL || cfg->url == NULL || cfg->url[0] == '\0')
        return NULL;
    struct db_pool *p = xcalloc(1, sizeof *p);
    p->url = xstrdup(cfg->url);
    p->cfg = *cfg;
    p->cfg.url = p->url;
    if (p->cfg.pool_size < 0)
        p->cfg.pool_size = 0;
    if (p->cfg.acquire_timeout_ms <= 0)
        p->cfg.acquire_timeout_ms = DB_DEFAULT_ACQUIRE_TIMEOUT_MS;
    if (p->cfg.statement_timeout_ms < 0)
        p->cfg.statement_timeout_ms = 0;
    if (p->cfg.connect_timeout_s <= 0)
        p->cfg.connect_timeout_s = DB_DEFAULT_CONNECT_TIMEOUT_S;
    if (p->cfg.fail_fast_ms <= 0)
        p->cfg.fail_fast_ms = DB_DEFAULT_FAIL_FAST_MS;
    snprintf(p->connect_timeout, sizeof p->connect_timeout, "%d", p->cfg.connect_timeout_s);
    p->hosts = db_hosts_new(p->url, p->cfg.fail_fast_ms);
    p->idle = xmalloc(sizeof *p->idle * (size_t)(p->cfg.pool_size > 0 ? p->cfg.pool_size : 1));
    pthread_mutex_init(&p->mu, NULL);
    /* Waits are bounded by a monotonic deadline, immune to wall-clock steps. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    return p;
}

static void close_conn(struct db_conn *c)
{
    if (c == NULL)
        return;
    PQfinish(c->pg); /* sends Terminate when the socket is still up: the server cleans up now */
    free(c);
}

void db_pool_free(struct db_pool *pool)
{
    if (pool == NULL)
        return;
    for (int i = 0; i < pool->n_idle; i++)
        close_conn(pool->idle[i]);
    if (pool->in_use > 0)
        db_log_warn("db: pool freed with %d connections still checked out", pool->in_use);
    pthread_cond_destroy(&pool->cv);
    pthread_mutex_destroy(&pool->mu);
    db_hosts_free(pool->hosts);
    free(pool->idle);
    free(pool->url);
    free(pool);
}

int db_pool_statement_timeout_ms(const struct db_pool *pool)
{
    return pool->cfg.statement_timeout_ms;
}

/* The server enforces statement_timeout only once the statement runs. Behind a pooler whose
 * database is down, a statement can wait far longer for a server connection (PgBouncer's
 * query_wait_timeout is 120 s by default), so the client gives up too: statement_timeout plus
 * connect_timeout_s for the pooler to find a server. A ping gets connect_timeout_s alone. */
long long db_pool_deadline(const struct db_pool *pool, int ping)
{
    long long grace = (long long)pool->cfg.connect_timeout_s * 1000;
    if (ping)
        return mono_ms() + grace;
    if (pool->cfg.statement_timeout_ms <= 0)
        return 0;
    return mono_ms() + pool->cfg.statement_timeout_ms + grace;
}

/* Server notices (e.g. "relation already exists, skipping") go to our log, not raw to stderr.
 * libpq also hands us, as a notice, an error that arrives while the connection is idle: the
 * server's goodbye (57P01 on shutdown, idle_session_timeout). A FATAL one marks it dead. */
static void on_notice(void *arg, const PGresult *r)
{
    struct db_conn *c = arg;
    const char *severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (severity != NULL && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
        c->broken = 1;
    /* A WARNING is raised on purpose (migration 0003 names each tenant it had to create). */
    if (severity != NULL && strcmp(severity, "WARNING") == 0)
        db_log_warn("db: server WARNING: %s", msg ? msg : "");
    else
        db_log_debug("db: server %s: %s", severity ? severity : "notice", msg ? msg : "");
}

/* 0 when c's server takes writes. `SHOW transaction_read_only` as a plain query (simple
 * protocol, its own transaction), so it works through a transaction pooler and reports the
 * server behind it now, not what the pooler saw at its first login. Waits at most the connect
 * timeout: a pooler whose server is down holds the query instead of failing it. */
static int check_writable(struct db_pool *p, struct db_conn *c, struct db_error *err)
{
    PGresult *r = db_conn_exec(c, "SHOW transaction_read_only", -1, NULL, db_pool_deadline(p, 1),
                               err);
    int rc = -1;
    if (r == NULL)
        goto cleanup;
    if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "off") != 0) {
        db_error_set(err, DB_ERR_UNAVAILABLE,
                     "the server is read-only (a standby, or a primary being demoted)");
        memcpy(err->sqlstate, "25006", 6);
        goto cleanup;
    }
    rc = 0;
cleanup:
    PQclear(r);
    return rc;
}

/* Opens a connection to host i (blocking, up to connect_timeout_s, plus the write check).
 * connect_timeout is client-side only and fallback_application_name is a startup parameter
 * PgBouncer knows, so neither trips a pooler. */
static struct db_conn *open_conn(struct db_pool *p, int i, unsigned long gen, struct db_error *err)
{
    const char *keys[DB_HOSTS_PARAMS_MAX], *vals[DB_HOSTS_PARAMS_MAX];
    int expand = db_hosts_params(p->hosts, i, p->connect_timeout, keys, vals, DB_HOSTS_PARAMS_MAX);
    PGconn *pg = PQconnectdbParams(keys, vals, expand);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        db_error_set(err, DB_ERR_UNAVAILABLE, "cannot connect to the database (%s): %s",
                     db_hosts_label(p->hosts, i), pg ? PQerrorMessage(pg) : "out of memory");
        PQfinish(pg);
        return NULL;
    }
    struct db_conn *c = xcalloc(1, sizeof *c);
    c->pg = pg;
    c->born_ms = mono_ms();
    c->gen = gen;
    PQsetNoticeReceiver(pg, on_notice, c);
    if (check_writable(p, c, err) != 0) {
        char why[sizeof err->message];
        memcpy(why, err->message, sizeof why);
        db_error_set(err, DB_ERR_UNAVAILABLE, "database host %s does not take writes: %s",
                     db_hosts_label(p->hosts, i), why);
        close_conn(c);
        return NULL;
    }
    return c;
}

/* One round over the host list: from the host that last took writes on, every host not in its
 * backoff window, until one connects and takes writes. NULL + *err (the last host's reason);
 * *attempts: how many hosts were tried (0 when concurrent failures closed every window first). */
static struct db_conn *open_writable(struct db_pool *p, struct db_error *err, int *attempts)
{
    unsigned char tried[DB_HOSTS_MAX] = {0};
    int n = db_hosts_count(p->hosts);
    *attempts = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int i = db_hosts_pick(p->hosts, mono_ms(), tried);
        unsigned long gen = p->gen;
        if (i < 0 && *attempts == 0)
            db_error_set(err, DB_ERR_UNAVAILABLE,
                         "database unavailable (every host failed its last connect; not retrying "
                         "yet): %s",
                         p->down_msg);
        pthread_mutex_unlock(&p->mu);
        if (i < 0)
            return NULL;
        tried[i] = 1;
        ++*attempts;
        struct db_conn *c = open_conn(p, i, gen, err);
        pthread_mutex_lock(&p->mu);
        if (c != NULL)
            db_hosts_succeeded(p->hosts, i);
        else
            db_hosts_failed(p->hosts, i, mono_ms());
        pthread_mutex_unlock(&p->mu);
        if (c != NULL) {
            if (n > 1)
                db_log_debug("db: connected to %s (takes writes)", db_hosts_label(p->hosts, i));
            return c;
        }
        if (n > 1)
            db_log_info("db: %s; trying the next host", err->message);
    }
}

static int too_old(const struct db_pool *p, const struct db_conn *c, long long now)
{
    return p->cfg.max_lifetime_s > 0 && now - c->born_ms >= (long long)p->cfg.max_lifetime_s * 1000;
}

static int readable_now(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&pfd, 1, 0);
    while (r < 0 && errno == EINTR);
    return r != 0;
}

/* The cheap pre-use check: no round trip. An idle connection has nothing to read, so a
 * readable socket means the server or the pooler went away (restart, kill, idle timeout:
 * EOF, usually after a FATAL message). Only TLS housekeeping (a session ticket) can make a
 * live one readable, so a readable socket is read once before the verdict: dead if that hits
 * EOF or a FATAL, or if it is still readable afterwards. */
static int conn_usable(const struct db_pool *p, struct db_conn *c)
{
    if (c->broken || PQstatus(c->pg) != CONNECTION_OK ||
        PQtransactionStatus(c->pg) != PQTRANS_IDLE || PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF)
        return 0;
    if (too_old(p, c, mono_ms()))
        return 0;
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return 0;
    if (!readable_now(fd))
        return 1;
    if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK || c->broken)
        return 0;
    return !readable_now(fd);
}

static void deadline_ts(long long deadline_ms, struct timespec *ts)
{
    ts->tv_sec = (time_t)(deadline_ms / 1000);
    ts->tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
}

/* A new connection in a slot reserved under the mutex (open and in_use already counted). */
static int connect_reserved(struct db_pool *p, struct db_conn **out, struct db_error *err)
{
    int attempts = 0;
    struct db_conn *c = open_writable(p, err, &attempts);
    pthread_mutex_lock(&p->mu);
    if (c != NULL) {
        p->created++;
    } else {
        p->open--;
        p->in_use--;
        if (attempts > 0)
            snprintf(p->down_msg, sizeof p->down_msg, "%.250s", err->message);
        pthread_cond_signal(&p->cv); /* the slot is free again: a waiter may try */
    }
    pthread_mutex_unlock(&p->mu);
    if (c == NULL)
        return -1; /* the caller logs the failure once */
    *out = c;
    return 0;
}

/* Called with the mutex held; returns with it released. */
static int fail_fast_locked(struct db_pool *p, long long now, struct db_error *err)
{
    long long left = db_hosts_ready_at(p->hosts) - now;
    char msg[sizeof p->down_msg];
    memcpy(msg, p->down_msg, sizeof msg);
    pthread_mutex_unlock(&p->mu);
    db_error_set(err, DB_ERR_UNAVAILABLE,
                 "database unavailable (every host failed its last connect; not retrying for "
                 "another %lld ms): %s",
                 left, msg);
    return -1;
}

int db_pool_acquire(struct db_pool *p, struct db_conn **out, struct db_error *err)
{
    long long deadline = mono_ms() + p->cfg.acquire_timeout_ms;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->n_idle > 0) {
            struct db_conn *c = p->idle[--p->n_idle];
            int current = c->gen == p->gen;
            p->in_use++;
            pthread_mutex_unlock(&p->mu);
            if (current && conn_usable(p, c)) {
                *out = c;
                return 0;
            }
            close_conn(c);
            pthread_mutex_lock(&p->mu);
            p->in_use--;
            p->open--;
            p->discarded++;
            continue;
        }
        if (p->cfg.pool_size == 0 || p->open < p->cfg.pool_size) {
            long long now = mono_ms();
            if (now < db_hosts_ready_at(p->hosts))
                return fail_fast_locked(p, now, err);
            p->open++;
            p->in_use++;
            pthread_mutex_unlock(&p->mu);
            return connect_reserved(p, out, err);
        }
        struct timespec ts;
        deadline_ts(deadline, &ts);
        p->waiting++;
        int rc = pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        p->waiting--;
        if (rc == ETIMEDOUT && p->n_idle == 0 && p->open >= p->cfg.pool_size) {
            p->timeouts++;
            pthread_mutex_unlock(&p->mu);
            db_error_set(err, DB_ERR_UNAVAILABLE,
                         "no database connection free after %d ms (pool of %d, all in use)",
                         p->cfg.acquire_timeout_ms, p->cfg.pool_size);
            return -1;
        }
    }
}

/* A server turned out unfit (c->node_suspect): the connections opened before c learnt it may
 * sit on the same server (through a per-node pooler, they outlive its demotion to a standby).
 * Called with the mutex held: starts a new generation and hands back the idle ones to close
 * outside the lock; those checked out are closed when they come back. Returns their count. */
static int new_generation_locked(struct db_pool *p, struct db_conn **stale)
{
    int n = 0;
    p->gen++;
    for (int i = 0; i < p->n_idle; i++)
        stale[n++] = p->idle[i];
    p->open -= p->n_idle;
    p->discarded += (unsigned long)p->n_idle;
    p->n_idle = 0;
    return n;
}

void db_pool_release(struct db_pool *p, struct db_conn *c)
{
    if (c == NULL)
        return;
    int healthy = !c->broken && PQstatus(c->pg) == CONNECTION_OK &&
                  PQtransactionStatus(c->pg) == PQTRANS_IDLE &&
                  PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF;
    int old = too_old(p, c, mono_ms());
    int size = p->cfg.pool_size > 0 ? p->cfg.pool_size : 1;
    struct db_conn **stale = NULL;
    int n_stale = 0;
    if (c->node_suspect)
        stale = xmalloc(sizeof *stale * (size_t)size);
    pthread_mutex_lock(&p->mu);
    int keep = healthy && !old && p->cfg.pool_size > 0 && c->gen == p->gen && !c->node_suspect;
    if (c->node_suspect && c->gen == p->gen)
        n_stale = new_generation_locked(p, stale);
    p->in_use--;
    if (keep) {
        p->idle[p->n_idle++] = c;
    } else {
        p->open--;
        if (!healthy || old || c->gen != p->gen)
            p->discarded++;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (n_stale > 0)
        db_log_warn("db: a server went away or became read-only; closing %d idle connections "
                    "opened before that",
                    n_stale);
    for (int i = 0; i < n_stale; i++)
        close_conn(stale[i]);
    free(stale);
    if (!keep)
        close_conn(c);
}

void db_pool_get_stats(struct db_pool *pool, struct db_pool_stats *out)
{
    memset(out, 0, sizeof *out);
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->mu);
    out->size = pool->cfg.pool_size;
    out->open = pool->open;
    out->idle = pool->n_idle;
    out->in_use = pool->in_use;
    out->waiting = pool->waiting;
    out->created = pool->created;
    out->discarded = pool->discarded;
    out->timeouts = pool->timeouts;
    for (int i = 0; i < DB_ERROR_CLASSES; i++)
        out->errors[i] = pool->errors[i];
    pthread_mutex_unlock(&pool->mu);
}

void db_pool_count_error(struct db_pool *pool, enum db_status status)
{
    if (pool == NULL || status == DB_OK || (int)status > DB_ERROR_CLASSES)
        return;
    pthread_mutex_lock(&pool->mu);
    pool->errors[status - 1]++;
    pthread_mutex_unlock(&pool->mu);
}

char *db_describe(const struct db_pool *pool)
{
    struct db_url_parts u;
    char line[512];
    if (pool == NULL)
        return xstrdup("database: none");
    if (db_url_parts_get(pool->url, &u) != 0)
        return xstrdup("database target (unparseable connection string)");
    char timeout[32], hosts[96] = "";
    if (db_hosts_count(pool->hosts) > 1)
        snprintf(hosts, sizeof hosts,
                 ", %d hosts (new connections go to the one that takes writes)",
                 db_hosts_count(pool->hosts));
    if (pool->cfg.statement_timeout_ms > 0)
        snprintf(timeout, sizeof timeout, "%dms", pool->cfg.statement_timeout_ms);
    else
        snprintf(timeout, sizeof timeout, "off");
    snprintf(line, sizeof line,
             "database target %s:%s/%s user=%s (%s), pool %d, unnamed statements only, "
             "statement_timeout %s%s",
             u.host ? u.host : "localhost", u.port ? u.port : "5432",
             u.dbname ? u.dbname : "(default)", u.user ? u.user : "(default)",
             u.has_password ? "password ***" : "no password in URL", pool->cfg.pool_size, timeout,
             hosts);
    db_url_parts_free(&u);
    return xstrdup(line);
}
