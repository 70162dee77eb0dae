/* db: the only code that talks to libpq. A lazy connection pool and tenant-scoped transactions
 * that obey the pooler rule: unnamed statements only (PQexecParams/PQsendQueryParams with no
 * name), no session-level SET, no session advisory locks, no LISTEN, no temp tables. Tenant
 * context is set_config('aam.namespace', ns, true) inside the transaction that uses it.
 * Works unchanged against PostgreSQL, PgBouncer (session or transaction mode) and Supavisor.
 * Callers never see a PGresult: results are struct db_result, freed with db_result_free.
 * SQL lives in db/ only: one file per table family (connectors.h, sessions.h, tenants.h,
 * throttles.h, users.h, ...) behind typed functions built on db_run and db_tx.
 * The handlers' seam: the per-table functions the request handlers call use only db_run,
 * db_run_as, db_ping, db_pool_get_stats and the db_result_* readers. The handler unit tests link a
 * scripted implementation of exactly these (tests/unit/server/handlers/db_script.c) instead of
 * db/'s plumbing, so a handler path that needs another call here makes those tests fail to
 * link: add it there. */
#ifndef AAM_DB_H
#define AAM_DB_H

#include <stddef.h>

/* The setting the row-level security policies read. */
#define DB_TENANT_SETTING "aam.namespace"
/* Set only by login, to let the users policy show the one row with that email. */
#define DB_LOGIN_EMAIL_SETTING "aam.login_email"
/* Set only by the operator commands (`aam tenants|sources|clients list`): the operator policies
 * (migrations 0003, 0005) then show every namespace. The server never sets it. */
#define DB_OPERATOR_SETTING "aam.operator"
/* Shows the one service client with that id, before its namespace is known. */
#define DB_CLIENT_ID_SETTING "aam.client_id"

/* Who makes a change, for the history a trigger appends in the writing transaction (migration
 * 0010 says what each setting means). Every string is borrowed for the call; NULL or "" =
 * absent (then the database records actor type and id as "system"). */
struct db_actor {
    const char *type;       /* "user", "client" or "system" */
    const char *id;         /* user id, client id, or the system part ("aam seed", "check") */
    const char *email;      /* a user's email */
    const char *role;       /* the actor's role in its tenant */
    const char *request_id; /* X-Request-Id */
    const char *action;     /* NULL for ordinary writes; "checked" for a check's result */
};

struct db_pool;
struct db_result;
struct db_tx;

/* db/ depends on nothing outside util/: it reports through this callback, which the program
 * sets once at startup (before any pool exists). Without one, warnings and errors go to
 * stderr as plain lines. Lines carry no URL and no password. The callback may be called from
 * any thread that uses a pool, and must be thread-safe. */
enum db_log_level { DB_LOG_DEBUG = 0, DB_LOG_INFO, DB_LOG_WARN, DB_LOG_ERROR };
typedef void (*db_log_fn)(enum db_log_level level, const char *msg);
void db_set_log(db_log_fn fn);

/* The defaults of the settings behind struct db_config. The server's configuration table
 * (server/config.h) shows and applies these same numbers; db_pool_new falls back to them for a
 * field left 0 (or negative) where 0 is not meaningful. */
#define DB_DEFAULT_POOL_SIZE 16
#define DB_DEFAULT_ACQUIRE_TIMEOUT_MS 5000
#define DB_DEFAULT_STATEMENT_TIMEOUT_MS 10000
#define DB_DEFAULT_CONNECT_TIMEOUT_S 5
#define DB_DEFAULT_MAX_LIFETIME_S 1800
#define DB_DEFAULT_FAIL_FAST_MS 250

struct db_config {
    const char *url;          /* libpq URI or key=value string; copied */
    int pool_size;            /* connections kept; 0 = open one per use and close it after */
    int acquire_timeout_ms;   /* bounded wait for a free connection, then DB_ERR_UNAVAILABLE */
    int statement_timeout_ms; /* applied per transaction with set_config(..., true); 0 = none */
    int connect_timeout_s;    /* libpq connect_timeout */
    int max_lifetime_s;       /* a connection older than this is closed on release */
    int fail_fast_ms;         /* after a host failed, it is not tried for this long, doubling per
                               * consecutive failure up to 1 s; 0 = DB_DEFAULT_FAIL_FAST_MS */
};

enum db_status {
    DB_OK = 0,
    DB_ERR_UNAVAILABLE, /* cannot connect / connection lost / pool wait timed out -> 503 */
    DB_ERR_UNIQUE,      /* 23505: see db_error.constraint -> usually 409 */
    DB_ERR_INVALID,     /* class 22 (data) or 23 other than unique (check, not null) -> 422 */
    DB_ERR_QUERY,       /* anything else: a bug or a schema mismatch -> 500 */
};
#define DB_ERROR_CLASSES 4 /* DB_ERR_UNAVAILABLE .. DB_ERR_QUERY */

struct db_error {
    enum db_status status;
    char sqlstate[6];    /* "" when not from the server */
    char constraint[64]; /* the violated constraint's name, when the server says */
    char message[256];   /* primary message; logged. Sent to a client only for DB_ERR_INVALID
                           * (the 422 detail names the refused value's constraint), never for
                           * UNAVAILABLE or QUERY, whose messages may describe the server */
};

/* One statement: unnamed, text parameters ($1..$n; NULL = SQL NULL), text results. */
struct db_stmt {
    const char *sql;
    int nparams;
    const char *const *params;
};

/* Flags for db_run. */
#define DB_READ_ONLY 1 /* safe to retry once on a fresh connection if the first one was dead */

/* What the pool does when the primary changes (a switchover or a crash): a connection whose
 * server answered 25006 (read-only), 57P01/57P02/57P03 (shutting down, crashed, starting up), a
 * class 08 error, or that was lost or timed out, is never reused, and neither is any connection
 * opened before that was seen. Such an answer is DB_ERR_UNAVAILABLE (503), never DB_ERR_QUERY. */

/* Creates the pool. Never connects: the process starts (and /health answers) while the
 * database is down; the first use connects. Returns NULL only when cfg->url is NULL/empty.
 * Several hosts (h1:5432,h2:5432, as pg_auto_failover and Patroni hand out): a new connection
 * goes to the host that last took writes, else the next, and is kept only when the server
 * answers `SHOW transaction_read_only` with off (so a standby, or a pooler in front of one, is
 * passed over, whatever target_session_attrs says). A single host gets the same check.
 * Fail fast: a host that failed is not tried for fail_fast_ms (doubling to 1 s while it keeps
 * failing); while every host is in that window, callers that need a new connection get
 * DB_ERR_UNAVAILABLE at once instead of each waiting out connect_timeout_s. Answers are awaited
 * at most statement_timeout_ms + connect_timeout_s (a pooler may hold a query far longer while
 * its server is down); ping: connect_timeout_s; no limit when statement_timeout_ms is 0. */
struct db_pool *db_pool_new(const struct db_config *cfg) __attribute__((warn_unused_result));

/* Closes every connection and frees the pool. Callers must have returned all connections.
 * NULL-safe. */
void db_pool_free(struct db_pool *pool);

/* Runs stmts[0..n) as one transaction, scoped to tenant ns (NULL or "" = no tenant: RLS then
 * shows no tenant rows), in one network round trip (pipeline mode, a single Sync: the whole
 * pipeline is one implicit transaction, committed at Sync, rolled back on any error).
 * On 0, results[i] holds stmt i's rows (each owned by the caller: db_result_free each);
 * results may be NULL when the caller wants none. On -1, *err says why, no result is returned
 * and nothing was committed. A dead pooled connection found before anything ran is replaced
 * and the work retried once; so is work the server refused because it cannot take writes now
 * (25006, 57P0x: the transaction rolled back, nothing was written); with DB_READ_ONLY, also
 * when the connection died mid-flight. Never retried: work whose commit may have happened. */
int db_run(struct db_pool *pool, const char *ns, const struct db_stmt *stmts, int n,
           struct db_result **results, int flags, struct db_error *err)
    __attribute__((warn_unused_result));

/* db_run, with the transaction's writes attributed to actor (NULL: as db_run, the system): a
 * second prelude statement, in the same round trip, sets aam.actor_type, aam.actor_id,
 * aam.actor_email, aam.actor_role, aam.request_id and aam.action transaction-locally, and
 * locks ns's tenants row (FOR NO KEY UPDATE) before any statement runs, so every writer takes
 * the tenant's lock before a connector's (migration 0010: no deadlock against a multi-row
 * writer, and event ids in commit order). Otherwise exactly db_run. */
int db_run_as(struct db_pool *pool, const char *ns, const struct db_actor *actor,
              const struct db_stmt *stmts, int n, struct db_result **results, int flags,
              struct db_error *err) __attribute__((warn_unused_result));

/* Interactive transaction, for work whose later statements depend on earlier results
 * (seed reconciliation, migrations). One round trip per statement. ns as in db_run.
 * Returns NULL with *err set when no connection could be had or BEGIN failed. */
struct db_tx *db_tx_begin(struct db_pool *pool, const char *ns, struct db_error *err)
    __attribute__((warn_unused_result));

/* Runs one statement inside tx. *out (if out is non-NULL) receives the rows, caller frees.
 * On -1 the transaction is failed: the caller must db_tx_rollback it. */
int db_tx_exec(struct db_tx *tx, const struct db_stmt *stmt, struct db_result **out,
               struct db_error *err) __attribute__((warn_unused_result));

/* Runs a multi-statement SQL script (a migration file) inside tx, simple protocol, no
 * parameters. On -1 the transaction is failed: roll it back. */
int db_tx_exec_script(struct db_tx *tx, const char *sql, struct db_error *err)
    __attribute__((warn_unused_result));

/* Attributes tx's later writes to actor and locks its tenant's row, as db_run_as's prelude
 * does. Returns 0, or -1 with *err (then tx is failed: roll it back). */
int db_tx_set_actor(struct db_tx *tx, const char *ns, const struct db_actor *actor,
                    struct db_error *err) __attribute__((warn_unused_result));

/* Commits and returns the connection to the pool; tx is freed either way. */
int db_tx_commit(struct db_tx *tx, struct db_error *err) __attribute__((warn_unused_result));

/* Rolls back and returns the connection; frees tx. NULL-safe. */
void db_tx_rollback(struct db_tx *tx);

/* Result access. Row and column are 0-based; out of range or SQL NULL -> NULL.
 * Strings are borrowed from r and valid until db_result_free(r). */
int db_result_rows(const struct db_result *r);
int db_result_cols(const struct db_result *r);
const char *db_result_get(const struct db_result *r, int row, int col);
size_t db_result_len(const struct db_result *r, int row, int col);
/* Number of rows an INSERT/UPDATE/DELETE touched. */
long db_result_affected(const struct db_result *r);
/* NULL-safe. */
void db_result_free(struct db_result *r);

/* What an idempotent write of a per-table function did (db/tenants.h, db/grants.h, ...); each
 * function says which of these it gives. CREATED, UPDATED, UNCHANGED are 0, 1, 2, so callers
 * may count by them. */
enum db_outcome {
    DB_OUTCOME_CREATED = 0,
    DB_OUTCOME_UPDATED,
    DB_OUTCOME_UNCHANGED,
    DB_OUTCOME_DELETED,
    DB_OUTCOME_NO_TENANT, /* the namespace has no tenants row: nothing was written */
};
/* "created", "updated", "unchanged", "deleted", "no tenant"; "?" for any other value.
 * A static string, never NULL. */
const char *db_outcome_name(enum db_outcome o);

/* Round trip `SHOW transaction_read_only` on a pooled connection: 0 with *latency_ms when the
 * database answers and takes writes; -1 + *err (DB_ERR_UNAVAILABLE, sqlstate 25006 when it
 * answered read-only) otherwise. A read-only answer drops the pool's connections (as above)
 * and is asked once more on a fresh connection, which may find the new primary. */
int db_ping(struct db_pool *pool, double *latency_ms, struct db_error *err)
    __attribute__((warn_unused_result));

struct db_pool_stats {
    int size; /* configured AAM_DB_POOL_SIZE */
    int open; /* connections currently open (idle + in use) */
    int idle;
    int in_use;
    int waiting;                            /* callers waiting for a connection now */
    unsigned long created;                  /* connections opened since start */
    unsigned long discarded;                /* connections closed as broken, not idle, or too old */
    unsigned long timeouts;                 /* acquisitions that gave up waiting */
    unsigned long errors[DB_ERROR_CLASSES]; /* failed db_run/db_ping by class: [status - 1] */
};

void db_pool_get_stats(struct db_pool *pool, struct db_pool_stats *out);

/* The URL with its password replaced by "***", for logs. malloc'd; NULL on NULL input.
 * Handles the URI form (user:PASSWORD@, ?password=) and key=value (password=, quoted or not);
 * a string it cannot tokenise comes back as a placeholder, never as itself. */
char *db_url_redacted(const char *url);

/* One line describing the effective settings, for startup logs ("target … pool 16 …
 * unnamed statements only"). malloc'd; never NULL (xalloc). */
char *db_describe(const struct db_pool *pool);

/* Applies migrations/NNNN_name.sql from dir in order, each in its own transaction with its
 * schema_migrations row, serialised across processes by a transaction-scoped advisory lock.
 * Refuses (returns -1) when an applied file's checksum changed. Prints progress to the log.
 * *applied receives how many were applied now. */
int db_migrate(struct db_pool *pool, const char *dir, int *applied, struct db_error *err)
    __attribute__((warn_unused_result));

/* Grants the application role `role` what it may do with the schema (DML only, table by table,
 * never ownership), through aam_grant_app() of migration 0008, in one locked transaction; run
 * after db_migrate on every `aam migrate`, so it is idempotent and also covers tables that later
 * migrations add. The pool must be the tables' owner's. Returns 1 granted, 0 when the schema
 * has no aam_grant_app yet (migrations before 0008), -1 + *err (the role does not exist, is a
 * superuser, or owns what it must not). */
int db_migrate_grant_app(struct db_pool *pool, const char *role, struct db_error *err)
    __attribute__((warn_unused_result));

#endif
