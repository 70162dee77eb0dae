/* config: every setting the process reads, from the environment, validated in one table.
 * A missing or invalid setting is reported as one line naming it; commands exit 2 on it. */
#ifndef AAM_CONFIG_H
#define AAM_CONFIG_H

#include <stddef.h>

struct netaddr_cidr;

/* Which settings a command needs. DATABASE_URL and JWT_SECRET are read only by the commands
 * that need them; every other setting is validated whenever it is set. */
enum cfg_need {
    CFG_NEED_DB = 1 << 0,      /* DATABASE_URL */
    CFG_NEED_JWT = 1 << 1,     /* JWT_SECRET */
    CFG_NEED_SOURCES = 1 << 2, /* AAM_SOURCES_ROOT must be an existing directory */
};

struct cfg {
    char *database_url;        /* NULL when not set and not needed */
    int db_pool_size;          /* AAM_DB_POOL_SIZE, 0 = a connection per request */
    int db_acquire_timeout_ms; /* AAM_DB_ACQUIRE_TIMEOUT_MS: bounded wait for a pooled connection */
    int db_statement_timeout_ms; /* AAM_DB_STATEMENT_TIMEOUT_MS: per transaction, via set_config */
    int db_connect_timeout_s;  /* AAM_DB_CONNECT_TIMEOUT_S */
    int db_max_lifetime_s;     /* AAM_DB_MAX_LIFETIME_S: recycle older connections */
    char *jwt_secret;          /* NULL when not set and not needed; never logged */
    size_t jwt_secret_len;
    int jwt_ttl_s;             /* JWT_TTL_SECONDS */
    int port;                  /* PORT */
    char *sources_root;        /* AAM_SOURCES_ROOT, resolved with realpath when it exists */
    char **cors_origins;       /* AAM_CORS_ORIGINS split on ',', trimmed; NULL-terminated */
    size_t n_cors_origins;
    char *demo_password;       /* AAM_DEMO_PASSWORD or NULL */
    int threads;               /* AAM_THREADS: HTTP I/O threads, default the core count */
    int workers;               /* AAM_WORKERS: request workers (database lane) */
    int hash_workers;          /* AAM_HASH_WORKERS: password-hashing lane, default the core count */
    int shutdown_grace_s;      /* AAM_SHUTDOWN_GRACE_S: in-flight requests get this long */
    int login_max_failures;    /* AAM_LOGIN_MAX_FAILURES per email per window */
    int login_max_failures_per_address; /* AAM_LOGIN_MAX_FAILURES_PER_ADDRESS per window */
    int login_window_s;        /* AAM_LOGIN_WINDOW_S */
    int register_max_per_address; /* AAM_REGISTER_MAX_PER_ADDRESS, per hour */
    int max_connectors_per_tenant; /* AAM_MAX_CONNECTORS_PER_TENANT */
    struct netaddr_cidr *trusted_proxies; /* AAM_TRUSTED_PROXIES, parsed; NULL when none */
    size_t n_trusted_proxies;
    char *migrations_dir;      /* AAM_MIGRATIONS_DIR, default ./migrations */
    char *seeds_dir;           /* AAM_SEEDS_DIR, default ./seeds */
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

#endif
