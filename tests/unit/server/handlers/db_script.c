/* db_script: a scripted stand-in for the part of db/ the handlers use (see db_script.h).
 * Replies are consumed in order, one per db_run; every call is recorded (copies: the
 * handler's buffers are gone by the time a test looks). */
#include "tests/unit/server/handlers/db_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define DBS_MAX_REPLIES 16
#define DBS_MAX_CALLS 32
#define DBS_MAX_STMTS 4
#define DBS_MAX_PARAMS 8

struct db_result {
    const struct dbs_table *t; /* NULL: an empty result */
};

struct reply {
    int ok;
    enum db_status status;
    char constraint[64];
    const struct dbs_table *tables;
    int n;
};

struct call {
    char *ns;
    char *actor_type, *actor_id, *actor_email, *request_id; /* db_run_as only */
    int nstmts;
    char *sql[DBS_MAX_STMTS];
    char *params[DBS_MAX_STMTS][DBS_MAX_PARAMS];
};

static struct reply replies[DBS_MAX_REPLIES];
static size_t n_replies, next_reply;
static struct call calls[DBS_MAX_CALLS];
static size_t n_calls, n_unscripted;
static int ping_ok;

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void dbs_reset(void)
{
    for (size_t i = 0; i < n_calls; i++) {
        free(calls[i].ns);
        free(calls[i].actor_type);
        free(calls[i].actor_id);
        free(calls[i].actor_email);
        free(calls[i].request_id);
        for (int j = 0; j < DBS_MAX_STMTS; j++) {
            free(calls[i].sql[j]);
            for (int k = 0; k < DBS_MAX_PARAMS; k++)
                free(calls[i].params[j][k]);
        }
    }
    memset(calls, 0, sizeof calls);
    memset(replies, 0, sizeof replies);
    n_calls = n_replies = next_reply = n_unscripted = 0;
    ping_ok = 0;
}

static struct reply *push(void)
{
    if (n_replies == DBS_MAX_REPLIES) {
        fprintf(stderr, "db_script: more than %d replies queued\n", DBS_MAX_REPLIES);
        abort();
    }
    return &replies[n_replies++];
}

void dbs_reply_ok(const struct dbs_table *tables, int n)
{
    struct reply *r = push();
    r->ok = 1;
    r->tables = tables;
    r->n = n;
}

void dbs_reply_error(enum db_status status, const char *constraint)
{
    struct reply *r = push();
    r->status = status;
    snprintf(r->constraint, sizeof r->constraint, "%s", constraint ? constraint : "");
}

void dbs_ping_ok(int ok)
{
    ping_ok = ok;
}

size_t dbs_calls(void)
{
    return n_calls;
}

size_t dbs_unscripted(void)
{
    return n_unscripted;
}

const char *dbs_call_ns(size_t i)
{
    return i < n_calls ? calls[i].ns : NULL;
}

int dbs_call_nstmts(size_t i)
{
    return i < n_calls ? calls[i].nstmts : 0;
}

const char *dbs_call_actor(size_t i, const char *field)
{
    if (i >= n_calls)
        return NULL;
    const struct call *c = &calls[i];
    return strcmp(field, "type") == 0    ? c->actor_type
           : strcmp(field, "id") == 0    ? c->actor_id
           : strcmp(field, "email") == 0 ? c->actor_email
                                         : c->request_id;
}

const char *dbs_call_sql(size_t i, int j)
{
    return i < n_calls && j >= 0 && j < DBS_MAX_STMTS ? calls[i].sql[j] : NULL;
}

const char *dbs_call_param(size_t i, int j, int k)
{
    if (i >= n_calls || j < 0 || j >= DBS_MAX_STMTS || k < 0 || k >= DBS_MAX_PARAMS)
        return NULL;
    return calls[i].params[j][k];
}

static void record(const char *ns, const struct db_stmt *stmts, int n)
{
    if (n_calls == DBS_MAX_CALLS)
        return;
    struct call *c = &calls[n_calls++];
    c->ns = dup_or_null(ns);
    c->nstmts = n;
    for (int j = 0; j < n && j < DBS_MAX_STMTS; j++) {
        c->sql[j] = dup_or_null(stmts[j].sql);
        for (int k = 0; k < stmts[j].nparams && k < DBS_MAX_PARAMS; k++)
            c->params[j][k] = dup_or_null(stmts[j].params[k]);
    }
}

static void set_error(struct db_error *err, enum db_status status, const char *constraint,
                      const char *message)
{
    memset(err, 0, sizeof *err);
    err->status = status;
    snprintf(err->constraint, sizeof err->constraint, "%s", constraint);
    snprintf(err->message, sizeof err->message, "%s", message);
    /* A foreign-key constraint (by its name, PostgreSQL's *_fkey) is 23503, the rest of class 23
     * a unique (23505) or a data error (22023). */
    const char *state = status == DB_ERR_UNIQUE ? "23505" : status == DB_ERR_INVALID ? "22023" : "";
    if (status == DB_ERR_INVALID && strstr(constraint, "_fkey") != NULL)
        state = "23503";
    snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
}

/* ------------------------------------------------------------------ the db.h seam */

int db_run(struct db_pool *pool, const char *ns, const struct db_stmt *stmts, int n,
           struct db_result **results, int flags, struct db_error *err)
{
    return db_run_as(pool, ns, NULL, stmts, n, results, flags, err);
}

int db_run_as(struct db_pool *pool, const char *ns, const struct db_actor *actor,
              const struct db_stmt *stmts, int n, struct db_result **results, int flags,
              struct db_error *err)
{
    (void)pool, (void)flags;
    record(ns, stmts, n);
    if (actor != NULL && n_calls > 0 && calls[n_calls - 1].actor_type == NULL) {
        struct call *c = &calls[n_calls - 1];
        c->actor_type = xstrdup(actor->type ? actor->type : "");
        c->actor_id = dup_or_null(actor->id);
        c->actor_email = dup_or_null(actor->email);
        c->request_id = dup_or_null(actor->request_id);
    }
    if (next_reply == n_replies) {
        n_unscripted++;
        set_error(err, DB_ERR_QUERY, "", "db_script: no reply queued");
        return -1;
    }
    const struct reply *r = &replies[next_reply++];
    if (!r->ok) {
        set_error(err, r->status, r->constraint, "scripted failure");
        return -1;
    }
    for (int i = 0; results != NULL && i < n; i++) {
        results[i] = xcalloc(1, sizeof *results[i]);
        results[i]->t = i < r->n ? &r->tables[i] : NULL;
    }
    return 0;
}

int db_ping(struct db_pool *pool, double *latency_ms, struct db_error *err)
{
    (void)pool;
    if (!ping_ok) {
        set_error(err, DB_ERR_UNAVAILABLE, "", "scripted: database down");
        return -1;
    }
    *latency_ms = 0.25;
    return 0;
}

void db_pool_get_stats(struct db_pool *pool, struct db_pool_stats *out)
{
    (void)pool;
    memset(out, 0, sizeof *out);
    out->size = 16;
}

int db_result_rows(const struct db_result *r)
{
    return r && r->t ? r->t->rows : 0;
}

int db_result_cols(const struct db_result *r)
{
    return r && r->t ? r->t->cols : 0;
}

const char *db_result_get(const struct db_result *r, int row, int col)
{
    if (r == NULL || r->t == NULL || row < 0 || col < 0 || row >= r->t->rows || col >= r->t->cols)
        return NULL;
    return r->t->cells[row * r->t->cols + col];
}

size_t db_result_len(const struct db_result *r, int row, int col)
{
    const char *v = db_result_get(r, row, col);
    return v ? strlen(v) : 0;
}

long db_result_affected(const struct db_result *r)
{
    return r && r->t ? r->t->affected : 0;
}

void db_result_free(struct db_result *r)
{
    free(r);
}

/* Interactive transactions are not scripted: the handlers use db_run only. These stand-ins let
 * a per-table file in db/ that also serves the commands (which do use transactions) link into
 * the handler tests; each call fails as a database error would, and is counted as unscripted. */
struct db_tx *db_tx_begin(struct db_pool *pool, const char *ns, struct db_error *err)
{
    (void)pool, (void)ns;
    n_unscripted++;
    set_error(err, DB_ERR_QUERY, "", "db_script: transactions are not scripted");
    return NULL;
}

int db_tx_exec(struct db_tx *tx, const struct db_stmt *stmt, struct db_result **out,
               struct db_error *err)
{
    (void)tx, (void)stmt;
    if (out != NULL)
        *out = NULL;
    n_unscripted++;
    set_error(err, DB_ERR_QUERY, "", "db_script: transactions are not scripted");
    return -1;
}

int db_tx_commit(struct db_tx *tx, struct db_error *err)
{
    (void)tx;
    n_unscripted++;
    set_error(err, DB_ERR_QUERY, "", "db_script: transactions are not scripted");
    return -1;
}

void db_tx_rollback(struct db_tx *tx)
{
    (void)tx;
}
