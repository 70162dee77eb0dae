/* cmd_serve: `aam serve`. Order: config, database pool (lazy: never connects here, so the
 * process starts while the database is down), HTTP server; then wait for SIGTERM/SIGINT and
 * tear down in reverse. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "server/http/admin.h"
#include "server/cli/commands.h"
#include "server/core/config.h"
#include "server/core/outbound.h"
#include "server/core/check_sched.h"
#include "server/core/csvcache.h"
#include "server/core/retention.h"
#include "server/core/webhook_worker.h"
#include "server/handlers/routes.h"
#include "server/http/http.h"
#include "server/core/log.h"

/* Blocks the stop signals in every thread (they inherit the mask) so sigwait gets them. */
static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up must not kill the process */
}

static void log_startup(const struct cfg *cfg, const struct db_pool *db)
{
    char *desc = db_describe(db);
    log_info("aam serve: %s port %d, %d I/O threads, %d workers, %d hash workers, sources root "
             "%s, %zu CORS origins, token ttl %d s",
             cfg->listen_host[0] ? cfg->listen_host : "every address,", cfg->port, cfg->threads,
             cfg->workers, cfg->hash_workers, cfg->sources_root, cfg->n_cors_origins,
             cfg->jwt_ttl_s);
    log_info("%s", desc);
    free(desc);
}

int cmd_serve(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct cfg cfg;
    char err[256];
    sigset_t stop;
    int sig = 0;
    if (cfg_load(&cfg, CFG_NEED_DB | CFG_NEED_JWT | CFG_NEED_SECRET_KEYS, err, sizeof err) != 0) {
        fprintf(stderr, "aam serve: %s\n", err);
        return 2;
    }
    block_stop_signals(&stop);
    /* libcurl's global state, before any thread starts (checks and webhooks send through it) */
    if (outbound_global_init() != 0) {
        fprintf(stderr, "aam serve: cannot initialise outbound HTTP (libcurl)\n");
        cfg_free(&cfg);
        return 1;
    }
    csvcache_set_budget((size_t)cfg.csv_cache_mb * 1024 * 1024);
    struct db_pool *db = cmd_open_db(&cfg, CFG_DB_SERVE, "serve");
    if (db == NULL) {
        cfg_free(&cfg);
        return 2;
    }
    log_startup(&cfg, db);
    struct http_server *srv = http_start(&cfg, db, routes_table());
    struct admin *admin = NULL;
    if (srv != NULL && cfg.admin_addr != NULL &&
        (admin = admin_start(&cfg, srv, db, routes_admin_table(), AAM_VERSION)) == NULL) {
        http_free(srv);
        srv = NULL;
    }
    if (srv == NULL) {
        db_pool_free(db);
        cfg_free(&cfg);
        return 1;
    }
    log_info("listening on http://0.0.0.0:%d; admin listener (/metrics) %s%s", cfg.port,
             cfg.admin_addr ? "on " : "off", cfg.admin_addr ? cfg.admin_addr : "");
    struct retention *retention = retention_start(db, cfg.history_days);
    struct check_sched *sched = check_sched_start(&cfg, db); /* NULL: AAM_CHECK_INTERVAL_S=0 */
    struct webhook_worker *webhooks = webhook_worker_start(db, &cfg);
    sigwait(&stop, &sig);
    retention_stop(retention); /* before the pool goes; a batch in flight is short */
    check_sched_signal(sched); /* no new background check; the running ones end during the drain */
    webhook_worker_signal_stop(webhooks); /* each thread ends after the delivery it sends */
    log_info("received %s: draining in-flight requests (up to %d s)",
             sig == SIGINT ? "SIGINT" : "SIGTERM", cfg.shutdown_grace_s);
    /* A delivery takes up to 10 s; one still sending after the drain is left to its lease (the
     * next replica to claim it sends it again), as a crash would. */
    if (http_drain(srv) != 0 || webhook_worker_stop(webhooks, 1000) != 0) {
        /* Workers still hold the pool and the config: freeing them would pull memory from
         * under running requests. Leave with what the kernel cleans up. */
        log_info("stopped (without waiting for the rest)");
        _exit(0);
    }
    check_sched_stop(sched);
    admin_stop(admin); /* it reads srv and db: stopped before they are freed */
    http_free(srv);
    db_pool_free(db);
    outbound_global_cleanup();
    cfg_free(&cfg);
    log_info("stopped");
    return 0;
}
