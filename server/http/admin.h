/* admin: the admin listener (AAM_ADMIN_ADDR, default 127.0.0.1:9090): GET /metrics in the
 * Prometheus text format, /health and /ready, on its own address so the public port never
 * serves /metrics and operators can keep this one off the internet. One thread, no auth:
 * bind it to loopback or a private network. */
#ifndef AAM_ADMIN_H
#define AAM_ADMIN_H

struct cfg;
struct db_pool;
struct http_server;
struct router_table;

struct admin;

/* Listens on cfg->admin_host:cfg->admin_port and serves /metrics plus the routes of `routes`
 * (/health, /ready). srv, db and routes are borrowed: stop the admin listener before freeing
 * them. Returns NULL (and logs why) when the address cannot be bound. */
struct admin *admin_start(const struct cfg *cfg, struct http_server *srv, struct db_pool *db,
                          const struct router_table *routes, const char *version)
    __attribute__((warn_unused_result));

/* Stops the listener and frees it. NULL-safe. */
void admin_stop(struct admin *a);

#endif
