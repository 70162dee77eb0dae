/* config: every setting the process reads, from the environment, validated in one table.
 * A missing or invalid setting is reported as one line naming it; commands exit 2 on it. */
#ifndef AAM_CONFIG_H
#define AAM_CONFIG_H

#include <stddef.h>

#include "db/db.h"

struct netaddr_cidr;
struct netaddr_set;
struct secrets_keyring;

/* Which settings a command needs. DATABASE_URL, JWT_SECRET and AAM_SECRET_KEYS are read only by
 * the commands that need them; every other setting is validated whenever it is set. */
enum cfg_need {
    CFG_NEED_DB = 1 << 0,          /* DATABASE_URL */
    CFG_NEED_JWT = 1 << 1,         /* JWT_SECRET */
    CFG_NEED_SOURCES = 1 << 2,     /* AAM_SOURCES_ROOT must be an existing directory */
    CFG_NEED_SECRET_KEYS = 1 << 3, /* AAM_SECRET_KEYS (serve, seed, migrate: connector secrets) */
};

#define CFG_STR_(x) #x
#define CFG_STR(x) CFG_STR_(x)

/* THE configuration table: every setting is one row, and everything reads from it: the field
 * of struct cfg, the default, the bounds, the parser, `aam --help`, cfg_load and
 * cfg_db_config. Adding a setting is adding one row here (and a line to README's table):
 *
 *     X(INT, my_field, "AAM_MY_SETTING", "10", 1, 1000, 0, NULL, "what it does")
 *
 * Columns: kind, field of struct cfg, environment name, default, min, max, need, hook, help.
 *   kind   INT: an int field, a whole decimal number within [min, max].
 *          STR: a char * field (NULL when unset with no default); must not be empty.
 *          SECRET: a char * field of at least min bytes; never echoed in an error.
 *          CUSTOM: no generated field (declare it in struct cfg below); hook does all.
 *   default the value used when the variable is unset, parsed like one from the environment;
 *          NULL: none (the field stays 0/NULL); text in parentheses is only shown in --help
 *          ("(cores)") and the hook computes the value.
 *   need   required (an error when unset) for commands that ask for it, and not read at all
 *          by the others (a deploy step must not fail on a setting it never uses); 0: always
 *          read, never required.
 *   hook   NULL, or a function of config.c run after the generic parse, with the raw value
 *          (NULL when unset): extra validation, a derived default, or the whole job (CUSTOM).
 * Rows are applied in order, so a derived default may read the rows above it. */
#define CFG_SETTINGS(X)                                                                              \
    X(STR, database_url, "DATABASE_URL", NULL, 0, 0, CFG_NEED_DB, hook_database_url,                 \
      "libpq URI: PostgreSQL, PgBouncer (session or transaction mode) or Supavisor")                 \
    X(STR, migrate_database_url, "AAM_MIGRATE_DATABASE_URL", NULL, 0, 0, 0, hook_database_url,       \
      "the tables' owner: migrate, seed, tenants, sources, clients use it (default DATABASE_URL)")   \
    X(STR, app_role, "AAM_APP_ROLE", "aam_app", 0, 0, 0, hook_app_role,                              \
      "the role DATABASE_URL logs in as; migrate grants it DML only (if AAM_MIGRATE_DATABASE_URL)")  \
    X(INT, db_pool_size, "AAM_DB_POOL_SIZE", CFG_STR(DB_DEFAULT_POOL_SIZE), 0, 1000, 0, NULL,        \
      "connections kept; 0 = none kept, one per request (the pooler does all pooling)")              \
    X(INT, db_acquire_timeout_ms, "AAM_DB_ACQUIRE_TIMEOUT_MS",                                       \
      CFG_STR(DB_DEFAULT_ACQUIRE_TIMEOUT_MS), 1, 600000, 0, NULL,                                    \
      "longest wait for a free pooled connection before answering 503")                              \
    X(INT, db_statement_timeout_ms, "AAM_DB_STATEMENT_TIMEOUT_MS",                                   \
      CFG_STR(DB_DEFAULT_STATEMENT_TIMEOUT_MS), 0, 3600000, 0, NULL,                                 \
      "statement_timeout set per transaction (0 = none)")                                            \
    X(INT, db_connect_timeout_s, "AAM_DB_CONNECT_TIMEOUT_S",                                         \
      CFG_STR(DB_DEFAULT_CONNECT_TIMEOUT_S), 1, 300, 0, NULL, "libpq connect_timeout")               \
    X(INT, db_max_lifetime_s, "AAM_DB_MAX_LIFETIME_S", CFG_STR(DB_DEFAULT_MAX_LIFETIME_S), 10,       \
      604800, 0, NULL, "a pooled connection older than this is closed and replaced")                 \
    X(INT, db_fail_fast_ms, "AAM_DB_FAIL_FAST_MS", CFG_STR(DB_DEFAULT_FAIL_FAST_MS), 1, 60000, 0,    \
      NULL, "a database host that failed is not tried for this long (doubling to 1 s)")              \
    X(SECRET, jwt_secret, "JWT_SECRET", NULL, 32, 0, CFG_NEED_JWT, hook_jwt_secret,                  \
      "HS256 key, at least 32 bytes")                                                                \
    X(CUSTOM, secret_keys, "AAM_SECRET_KEYS", NULL, 0, 0, CFG_NEED_SECRET_KEYS, hook_secret_keys,    \
      "keys that encrypt connector secrets: comma-separated id:base64(32 bytes); the first "         \
      "encrypts, all decrypt")                                                                       \
    X(INT, jwt_ttl_s, "JWT_TTL_SECONDS", "3600", 60, 2592000, 0, NULL, "token lifetime")             \
    X(INT, refresh_ttl_s, "AAM_REFRESH_TTL_SECONDS", "2592000", 60, 31536000, 0, NULL,               \
      "refresh token lifetime (30 days); each refresh issues a new one with a fresh lifetime")       \
    X(INT, port, "PORT", "8080", 1, 65535, 0, NULL, "listening port")                                \
    X(CUSTOM, listen_addr, "AAM_LISTEN_ADDR", "(all)", 0, 0, 0, hook_listen_addr,                    \
      "IP address the API binds (PORT on it; 127.0.0.1, ::1, 10.0.0.5); all addresses when unset")   \
    X(CUSTOM, sources_root, "AAM_SOURCES_ROOT", "./mock_sources", 0, 0, 0, hook_sources_root,        \
      "the only directory FilesSource connectors may read")                                          \
    X(CUSTOM, cors_origins, "AAM_CORS_ORIGINS", "", 0, 0, 0, hook_cors_origins,                      \
      "comma-separated origins (scheme://host[:port]) allowed to call the API from a browser")       \
    X(SECRET, demo_password, "AAM_DEMO_PASSWORD", "(generated)", 8, 0, 0, NULL,                      \
      "password `aam seed` gives the demo user when it creates it (at least 8 bytes)")               \
    X(INT, threads, "AAM_THREADS", "(cores)", 1, 256, 0, hook_default_cores, "HTTP I/O threads")     \
    X(INT, workers, "AAM_WORKERS", "(min(pool,2*cores+2))", 1, 1024, 0, hook_default_workers,        \
      "request workers for database work (16 when the pool size is 0)")                              \
    X(INT, hash_workers, "AAM_HASH_WORKERS", "(cores)", 1, 64, 0, hook_default_cores,                \
      "workers for register/login (password hashing), apart from the rest")                          \
    X(INT, shutdown_grace_s, "AAM_SHUTDOWN_GRACE_S", "8", 0, 300, 0, NULL,                           \
      "how long requests already begun may finish after SIGTERM (then 1 s more for workers)")        \
    X(INT, csv_cache_mb, "AAM_CSV_CACHE_MB", "16", 1, 65536, 0, NULL,                                \
      "memory for remembered CSV row counts and row indexes, in MiB (least recently used go)")       \
    X(INT, login_max_failures, "AAM_LOGIN_MAX_FAILURES", "5", 1, 1000, 0, NULL,                      \
      "failed logins for one email per window before 429")                                           \
    X(INT, login_max_failures_per_address, "AAM_LOGIN_MAX_FAILURES_PER_ADDRESS", "100", 1, 100000,   \
      0, NULL,                                                                                       \
      "failed logins from one client address per window before 429 (higher: many users share NATs)") \
    X(INT, login_window_s, "AAM_LOGIN_WINDOW_S", "300", 1, 86400, 0, NULL,                           \
      "the failed-login window")                                                                     \
    X(INT, register_max_per_address, "AAM_REGISTER_MAX_PER_ADDRESS", "20", 1, 1000000, 0, NULL,      \
      "registrations one client address may make per hour before 429")                               \
    X(INT, max_connectors_per_tenant, "AAM_MAX_CONNECTORS_PER_TENANT", "1000", 1, 100000000, 0,      \
      NULL, "connectors one tenant may hold")                                                        \
    X(INT, body_budget_mb, "AAM_BODY_BUDGET_MB", "64", 1, 65536, 0, NULL,                            \
      "MiB of request bodies all connections together may hold while they arrive (then 503)")        \
    X(CUSTOM, trusted_proxies, "AAM_TRUSTED_PROXIES", "", 0, 0, 0, hook_trusted_proxies,             \
      "comma-separated CIDRs whose X-Forwarded-For is believed for the client address")              \
    X(CUSTOM, outbound_nets, "AAM_OUTBOUND_NETS", "public", 0, 0, 0, hook_outbound_nets,             \
      "where checks and webhooks may connect: comma-separated CIDRs and public (global unicast)")    \
    X(INT, check_interval_s, "AAM_CHECK_INTERVAL_S", "300", 0, 86400, 0, NULL,                       \
      "how often every checkable connector is checked again in the background; 0 = never")           \
    X(INT, check_workers, "AAM_CHECK_WORKERS", "4", 1, 64, 0, NULL,                                  \
      "threads running API checks (and as many for background checks), apart from the rest")         \
    X(INT, check_queue, "AAM_CHECK_QUEUE", "64", 1, 100000, 0, NULL,                                 \
      "API checks that may wait for a check worker before 503")                                      \
    X(STR, migrations_dir, "AAM_MIGRATIONS_DIR", "./migrations", 0, 0, 0, NULL,                      \
      "where `aam migrate` finds NNNN_name.sql files")                                               \
    X(STR, seeds_dir, "AAM_SEEDS_DIR", "./seeds", 0, 0, 0, NULL,                                     \
      "where `aam seed` finds its seed files")                                                       \
    X(CUSTOM, log_level, "AAM_LOG_LEVEL", "info", 0, 0, 0, hook_log_level,                           \
      "debug, info, warn or error")                                                                  \
    X(CUSTOM, admin_addr, "AAM_ADMIN_ADDR", "127.0.0.1:9090", 0, 0, 0, hook_admin_addr,              \
      "IP:PORT ([v6]:PORT) of the admin listener (/metrics, /health, /ready), or off")               \
    X(INT, history_days, "AAM_HISTORY_DAYS", "90", 1, 36500, 0, NULL,                                \
      "days connector history is kept; `aam serve` prunes older events at start and every 6 h")      \
    X(INT, webhook_workers, "AAM_WEBHOOK_WORKERS", "2", 0, 64, 0, NULL,                              \
      "webhook delivery threads per replica; 0 = this replica sends no webhooks")                    \
    X(INT, webhook_poll_ms, "AAM_WEBHOOK_POLL_MS", "250", 10, 10000, 0, NULL,                        \
      "how often an idle delivery thread looks for due webhook deliveries")

#define CFG_FIELD_INT(f) int f;
#define CFG_FIELD_STR(f) char *f;
#define CFG_FIELD_SECRET(f) char *f;
#define CFG_FIELD_CUSTOM(f)
#define CFG_FIELD(kind, field, name, def, min, max, need, hook, help) CFG_FIELD_##kind(field)

struct cfg {
    CFG_SETTINGS(CFG_FIELD)
    /* Filled by the hooks of the rows above: */
    size_t jwt_secret_len; /* JWT_SECRET's length (the key may hold any byte but NUL) */
    /* AAM_SECRET_KEYS, parsed (server/core/secrets.h); NULL when the command did not ask for it.
     * Only the keyring holds the keys: no copy of the raw value is kept. */
    struct secrets_keyring *secret_keys;
    char *sources_root;  /* AAM_SOURCES_ROOT, resolved with realpath when it exists */
    char **cors_origins; /* AAM_CORS_ORIGINS split on ',', trimmed; NULL-terminated */
    size_t n_cors_origins;
    struct netaddr_cidr *trusted_proxies; /* AAM_TRUSTED_PROXIES, parsed; NULL when none */
    size_t n_trusted_proxies;
    struct netaddr_set *outbound_nets; /* AAM_OUTBOUND_NETS, parsed; never NULL after cfg_load */
    char listen_host[64]; /* AAM_LISTEN_ADDR's IP literal (IPv6 without brackets); "" = all */
    char *admin_addr;     /* AAM_ADMIN_ADDR as given, NULL when "off" */
    char admin_host[64];  /* its IP literal (IPv6 without brackets) */
    int admin_port;
};

/* Reads and validates the environment into *out (zeroed first).
 * Returns 0, or -1 with one line naming the setting in err (no secret in it).
 * On -1, *out holds nothing that needs freeing. */
int cfg_load(struct cfg *out, unsigned need, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Frees what cfg_load allocated; NULL-safe, safe to call twice. */
void cfg_free(struct cfg *c);

/* 1 when origin is listed in AAM_CORS_ORIGINS exactly (scheme://host[:port]), else 0. */
int cfg_cors_allowed(const struct cfg *c, const char *origin);

/* Prints the configuration table (name, default, meaning) for `aam --help`. */
void cfg_print_help(void);

/* What a command uses the database for; decides the pool shape. */
enum cfg_db_use {
    CFG_DB_SERVE,   /* the configured pool and statement timeout */
    CFG_DB_COMMAND, /* one-shot commands (seed, clients): one connection, the configured
                     * statement timeout */
    CFG_DB_MIGRATE, /* one connection, no statement timeout (a migration may take long) */
};

/* The one place a struct db_config is built from the configuration. out->url borrows
 * c->database_url for CFG_DB_SERVE; the commands (migrate and the operator commands) borrow
 * c->migrate_database_url when it is set, the tables' owner, whose aam.operator setting is the
 * only one the operator policies honour (migration 0008). db_pool_new copies the URL. */
void cfg_db_config(const struct cfg *c, enum cfg_db_use use, struct db_config *out);

#endif
