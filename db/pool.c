/* pool: a lazy, thread-safe pool of libpq connections (mutex + condvar, LIFO idle stack).
 * db_pool_new never connects; a connection is opened on first use, checked cheaply before
 * reuse (status, transaction state, age, and poll(2) on its socket: an idle connection has
 * nothing to read, so readable means the server or the pooler hung up), and closed instead
 * of returned when it is broken, old, or the pool keeps none (AAM_DB_POOL_SIZE=0). */
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
    long long down_until_ms;                /* fail fast until then, after a failed connect */
    char down_msg[256];                     /* why the last connect failed */
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
    snprintf(p->connect_timeout, sizeof p->connect_timeout, "%d", p->cfg.connect_timeout_s);
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

/* Opens a connection (blocking, up to connect_timeout_s). The URL goes in as dbname with
 * expand_dbname, so URI and key=value forms both work; connect_timeout is client-side only and
 * fallback_application_name is a startup parameter PgBouncer knows, so neither trips a pooler. */
static struct db_conn *open_conn(struct db_pool *p, struct db_error *err)
{
    const char *keys[] = {"dbname", "connect_timeout", "fallback_application_name", NULL};
    const char *vals[] = {p->url, p->connect_timeout, "aam", NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        db_error_set(err, DB_ERR_UNAVAILABLE, "cannot connect to the database: %s",
                     pg ? PQerrorMessage(pg) : "out of memory");
        PQfinish(pg);
        return NULL;
    }
    struct db_conn *c = xmalloc(sizeof *c);
    c->pg = pg;
    c->born_ms = mono_ms();
    c->broken = 0;
    PQsetNoticeReceiver(pg, on_notice, c);
    return c;
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
    struct db_conn *c = open_conn(p, err);
    pthread_mutex_lock(&p->mu);
    if (c != NULL) {
        p->created++;
        p->down_until_ms = 0;
    } else {
        p->open--;
        p->in_use--;
        p->down_until_ms = mono_ms() + DB_FAIL_FAST_MS;
        snprintf(p->down_msg, sizeof p->down_msg, "%s", err->message);
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
    long long ago = DB_FAIL_FAST_MS - (p->down_until_ms - now);
    char msg[sizeof p->down_msg];
    memcpy(msg, p->down_msg, sizeof msg);
    pthread_mutex_unlock(&p->mu);
    db_error_set(err, DB_ERR_UNAVAILABLE,
                 "database unavailable (a connect failed %lld ms ago; not retrying for %d ms): %s",
                 ago, DB_FAIL_FAST_MS, msg);
    return -1;
}

int db_pool_acquire(struct db_pool *p, struct db_conn **out, struct db_error *err)
{
    long long deadline = mono_ms() + p->cfg.acquire_timeout_ms;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->n_idle > 0) {
            struct db_conn *c = p->idle[--p->n_idle];
            p->in_use++;
            pthread_mutex_unlock(&p->mu);
            if (conn_usable(p, c)) {
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
            if (now < p->down_until_ms)
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

void db_pool_release(struct db_pool *p, struct db_conn *c)
{
    if (c == NULL)
        return;
    int healthy = !c->broken && PQstatus(c->pg) == CONNECTION_OK &&
                  PQtransactionStatus(c->pg) == PQTRANS_IDLE &&
                  PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF;
    int old = too_old(p, c, mono_ms());
    int keep = healthy && !old && p->cfg.pool_size > 0;
    pthread_mutex_lock(&p->mu);
    p->in_use--;
    if (keep) {
        p->idle[p->n_idle++] = c;
    } else {
        p->open--;
        if (!healthy || old)
            p->discarded++;
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
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
    char timeout[32];
    if (pool->cfg.statement_timeout_ms > 0)
        snprintf(timeout, sizeof timeout, "%dms", pool->cfg.statement_timeout_ms);
    else
        snprintf(timeout, sizeof timeout, "off");
    snprintf(line, sizeof line,
             "database target %s:%s/%s user=%s (%s), pool %d, unnamed statements only, "
             "statement_timeout %s",
             u.host ? u.host : "localhost", u.port ? u.port : "5432",
             u.dbname ? u.dbname : "(default)", u.user ? u.user : "(default)",
             u.has_password ? "password ***" : "no password in URL", pool->cfg.pool_size, timeout);
    db_url_parts_free(&u);
    return xstrdup(line);
}
