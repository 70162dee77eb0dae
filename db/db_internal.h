/* db_internal: what the db/ files share and nothing outside db/ (except its tests) may use:
 * the pooled connection, checkout/return, the one-round-trip pipeline, error mapping, URL
 * pieces and the migration file helpers. Only db/ and tests include libpq-fe.h. */
#ifndef AAM_DB_INTERNAL_H
#define AAM_DB_INTERNAL_H

#include <libpq-fe.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include "db/db.h"
#include "util/mono.h"
#include "util/xalloc.h"

/* A host that failed is not tried again for db_config.fail_fast_ms, doubling with each
 * consecutive failure up to this (or fail_fast_ms when that is longer): while every host is
 * down, requests are told at once instead of each waiting out a connect timeout, and the list
 * is still tried again within a second of a new primary taking writes. */
#define DB_FAIL_FAST_MAX_MS 1000
/* Hosts in one connection string, at most (libpq has no limit; 16 is far beyond any formation). */
#define DB_HOSTS_MAX 16
/* Keywords handed to PQconnectdbParams for one host, at most (libpq 15 knows about 40). */
#define DB_HOSTS_PARAMS_MAX 64

/* One server connection. Owned by the pool while idle, by one caller while checked out. */
struct db_conn {
    PGconn *pg;
    long long born_ms; /* monotonic; for max_lifetime_s */
    unsigned long gen; /* the pool's generation when it was opened */
    int broken;        /* set when its protocol state is unknown: never reuse it */
    int node_suspect;  /* the server went away, timed out or became read-only: every connection
                         * opened before this was seen is suspect too (see db_pool_release) */
};

struct db_result {
    PGresult *pg;
};

/* What a failed attempt means for a retry. */
enum db_fate {
    DB_FATE_NOT_SENT, /* the connection was dead before the work left: nothing ran */
    DB_FATE_LOST,     /* the connection died after sending: the work may have run */
    DB_FATE_FAILED,   /* the server answered with an error: a retry would do the same */
};

/* One line to the callback set with db_set_log (db/log.c). */
void db_log(enum db_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define db_log_debug(...) db_log(DB_LOG_DEBUG, __VA_ARGS__)
#define db_log_info(...) db_log(DB_LOG_INFO, __VA_ARGS__)
#define db_log_warn(...) db_log(DB_LOG_WARN, __VA_ARGS__)
#define db_log_error(...) db_log(DB_LOG_ERROR, __VA_ARGS__)

/* Checks out a usable connection: an idle one that passes the cheap liveness check (status,
 * transaction state, age, and an empty socket), else a new one while under pool_size, else
 * waits up to acquire_timeout_ms. Dead idle connections are discarded on the way. Returns 0
 * with *out, or -1 with *err (DB_ERR_UNAVAILABLE). Never holds the pool mutex during I/O. */
int db_pool_acquire(struct db_pool *pool, struct db_conn **out, struct db_error *err)
    __attribute__((warn_unused_result));

/* Returns a checked-out connection: kept if healthy, idle, young and the pool keeps
 * connections; closed otherwise. c is the pool's again (or freed) afterwards. */
void db_pool_release(struct db_pool *pool, struct db_conn *c);

/* Marks c broken when err says its server cannot take this work any more: the connection
 * was lost, timed out, or the server answered 25006 (read-only: a standby, or a primary being
 * demoted), 57P01/57P02/57P03 (shutting down, crashed, starting up) or a class 08 error. The
 * pool then drops c and every connection opened before it (db_pool_release). */
void db_conn_note_error(struct db_conn *c, const struct db_error *err);

/* Counts a failed db_run/db_ping by its class, for db_pool_get_stats. */
void db_pool_count_error(struct db_pool *pool, enum db_status status);

/* The statement_timeout to apply per transaction, 0 = none. */
int db_pool_statement_timeout_ms(const struct db_pool *pool);
/* When to stop waiting for an answer (monotonic ms; 0 = never): statement_timeout plus the
 * connect timeout (ping: the connect timeout alone). */
long long db_pool_deadline(const struct db_pool *pool, int ping);

/* Sends [BEGIN if begin], the tenant/timeout prelude, [the actor prelude when actor is set], stmts[0..n) and one Sync, then reads
 * every result up to the Sync. results (optional) receives stmt i's rows on success only.
 * Returns 0, or -1 with *err and *fate. Leaves c out of pipeline mode, or marks it broken. */
int db_conn_pipeline(struct db_pool *pool, struct db_conn *c, const char *ns,
                     const struct db_actor *actor, int begin, const struct db_stmt *stmts, int n,
                     struct db_result **results, struct db_error *err, enum db_fate *fate)
    __attribute__((warn_unused_result));

/* The actor prelude of db_run_as and db_tx_set_actor: $1 the namespace, $2..$7 the actor's
 * fields as db_actor_params orders them ("" for absent). */
#define DB_ACTOR_NPARAMS 7
extern const char DB_ACTOR_PRELUDE[];
void db_actor_params(const char *ns, const struct db_actor *a, const char *out[DB_ACTOR_NPARAMS]);

/* Waits for input until PQgetResult will not block. Returns 0 when it will not (a broken
 * connection included: PQgetResult reports it), -1 when deadline (0 = none) passed first. */
int db_conn_await(PGconn *pg, long long deadline) __attribute__((warn_unused_result));

/* Marks c broken and its server suspect, and fills *err: no answer came before the deadline. */
void db_conn_timed_out(struct db_conn *c, struct db_error *err);

/* One statement on c (unnamed; simple protocol, multi-statement, when nparams < 0), waiting
 * no later than deadline. Returns its last result (caller PQclears) when every result was
 * TUPLES_OK / COMMAND_OK / EMPTY_QUERY; else NULL with *err (c marked broken on a timeout). */
PGresult *db_conn_exec(struct db_conn *c, const char *sql, int nparams, const char *const *params,
                       long long deadline, struct db_error *err)
    __attribute__((warn_unused_result));

/* Error mapping. classify: SQLSTATE (may be NULL) + whether the connection is gone. */
enum db_status db_error_classify(const char *sqlstate, int conn_lost);
/* 1 when sqlstate says the server cannot take writes on this connection now, whatever the
 * statement: 25006 read-only transaction, 57P01/57P02/57P03 shutdown/crash/starting, class 08.
 * The statement did not run (its transaction rolled back), so work that got this answer wrote
 * nothing and may run again on another connection. */
int db_error_node_unfit(const char *sqlstate);
/* Fills *err from a failed result (r may be NULL: then from the connection's message). */
void db_error_from_pg(struct db_error *err, const PGresult *r, PGconn *pg);
/* Fills *err from a printf message, with no SQLSTATE. */
void db_error_set(struct db_error *err, enum db_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One log line for a failure: warn for UNAVAILABLE, error for QUERY, debug for the
 * client-caused UNIQUE/INVALID. Carries the SQLSTATE; never a URL. */
void db_error_log(const struct db_error *err, const char *what);

/* The outcome a statement spells as its first cell ('created', 'updated', 'unchanged'):
 * those three words map to their outcome, anything else (NULL included) to UNCHANGED. */
enum db_outcome db_outcome_parse(const char *word);

/* Takes ownership of r. */
struct db_result *db_result_wrap(PGresult *r);

/* The pieces of a connection string, from PQconninfoParse; each malloc'd or NULL. */
struct db_url_parts {
    char *host, *port, *dbname, *user;
    int has_password;
};
/* Returns 0, or -1 when libpq cannot parse url (parts then all NULL). */
int db_url_parts_get(const char *url, struct db_url_parts *out) __attribute__((warn_unused_result));
void db_url_parts_free(struct db_url_parts *parts);

/* The host list of a connection string (db/hosts.c), with per-host backoff. Not thread-safe:
 * the pool calls pick/failed/succeeded/ready_at under its mutex; params and label only read
 * what db_hosts_new built. */
struct db_hosts;
/* Never NULL (xalloc). A string libpq cannot parse, or whose host and port lists do not match,
 * becomes one "host": the whole string, for libpq to refuse with its own message. url copied. */
struct db_hosts *db_hosts_new(const char *url, int fail_fast_ms)
    __attribute__((warn_unused_result));
void db_hosts_free(struct db_hosts *hs); /* NULL-safe */
int db_hosts_count(const struct db_hosts *hs);
/* "host:port" of host i, for logs (no password). Borrowed: valid while hs lives. */
const char *db_hosts_label(const struct db_hosts *hs, int i);
/* Fills keys/vals (cap entries, NULL-terminated; strings borrowed from hs and connect_timeout)
 * for connecting to host i alone: the string's other keywords, this host's host/hostaddr/port,
 * connect_timeout and fallback_application_name; never target_session_attrs. Returns the
 * expand_dbname flag for PQconnectdbParams. */
int db_hosts_params(const struct db_hosts *hs, int i, const char *connect_timeout,
                    const char **keys, const char **vals, size_t cap);
/* The next host to try in a round: the first from the preferred one (the last that took
 * writes) on that is not tried[] yet and not in its backoff window. -1 when none is left. */
int db_hosts_pick(const struct db_hosts *hs, long long now, const unsigned char *tried);
/* Host i failed at now: its window starts (a failure while it is already in one counts not). */
void db_hosts_failed(struct db_hosts *hs, int i, long long now);
void db_hosts_succeeded(struct db_hosts *hs, int i);
/* The earliest moment (monotonic ms) at which some host may be tried; <= now: one may now. */
long long db_hosts_ready_at(const struct db_hosts *hs);
/* The backoff after fails consecutive failures: base_ms doubled per failure after the first,
 * at most max(base_ms, DB_FAIL_FAST_MAX_MS). */
long long db_hosts_backoff_ms(int base_ms, int fails);

/* Migration files: NNNN_name.sql (4+ digits, '_', a name of [A-Za-z0-9_.-], ".sql"). */
struct db_migration {
    long version;
    char *file; /* base name, e.g. "0001_init.sql" */
    char *path; /* dir/file */
};
/* 0 with *version for a migration file name, -1 for any other name (ignored). */
int db_migration_parse_name(const char *name, long *version) __attribute__((warn_unused_result));
/* Lists dir's migration files sorted by name. Two files with one version are an error.
 * Returns 0 with *out (free with db_migration_list_free) and *n, or -1 with *err. */
int db_migration_list(const char *dir, struct db_migration **out, size_t *n, struct db_error *err)
    __attribute__((warn_unused_result));
void db_migration_list_free(struct db_migration *list, size_t n);
/* SHA-256 of data as 64 lowercase hex digits + NUL. */
void db_sha256_hex(const void *data, size_t len, char out[65]);

#endif
