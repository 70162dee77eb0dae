/* Unit tests for server/http/admin.c: the admin listener started for real on 127.0.0.1 beside a
 * real HTTP server (http_start on an ephemeral port: admin_start needs it for /metrics and the
 * drain state), with a route table of test handlers, so no database is involved. Checked over
 * plain sockets as an orchestrator or Prometheus would: /health and /ready answered through
 * the table, /metrics in the Prometheus text format, 404 for any other path, 405 for any
 * method but GET and HEAD (also on a route the table serves with another method), and /ready
 * 503 "draining" with Retry-After once the server drains, while /health stays 200.
 * The admin port is taken as tests/harness/port.sh takes one: a port in [20000, 32000) locked
 * with flock on /tmp/aam-ports/<port>, and another one when binding it fails anyway. Every
 * wait is a poll with a deadline. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/core/config.h"
#include "server/http/admin.h"
#include "server/http/http.h"
#include "server/http/router.h"
#include "util/mono.h"

#define ANSWER_DEADLINE_MS 10000
#define PORT_LOCK_DIR "/tmp/aam-ports"
#define PORT_LOW 20000
#define PORT_SPAN 12000
#define VERSION "test-9.9.9"

/* ------------------------------------------------------------------ the route table */

static struct db_pool *const fake_pool = (struct db_pool *)0x5eed; /* never dereferenced */
static const struct cfg *seen_cfg;
static struct db_pool *seen_db;
static int ready_fails;  /* the /ready handler answers 503 problem+json */
static int posts_served; /* the POST-only route's handler ran */

static void h_health(const struct http_req *req, struct http_res *res)
{
    (void)req;
    http_res_json(res, 200, json_pack("{s:s}", "status", "alive"));
}

static void h_ready(const struct http_req *req, struct http_res *res)
{
    seen_cfg = req->cfg;
    seen_db = req->db;
    if (ready_fails) {
        http_res_error(res, APP_ERR_UNAVAILABLE, "test: not ready");
        res->retry_after = 7;
        return;
    }
    http_res_json(res, 200, json_pack("{s:s}", "status", "ready-from-table"));
}

static void h_poke(const struct http_req *req, struct http_res *res)
{
    (void)req;
    posts_served++;
    http_res_json(res, 200, json_pack("{s:s}", "status", "poked"));
}

static const struct router_route admin_routes[] = {
    {.method = "GET", .pattern = "/health", .handler = h_health, .is_public = 1},
    {.method = "GET", .pattern = "/ready", .handler = h_ready, .is_public = 1},
    {.method = "POST", .pattern = "/poke", .handler = h_poke, .is_public = 1},
};
static const struct router_table admin_table = {.routes = admin_routes, .n = 3};

static const struct router_route public_routes[] = {
    {.method = "GET", .pattern = "/api/v1/things", .handler = h_health},
};
static const struct router_table public_table = {.routes = public_routes, .n = 1};

/* ------------------------------------------------------------------ fixture */

static struct cfg cfg;
static struct http_server *srv;
static struct admin *adm;
static int lock_fd = -1;
static char admin_addr[32];

/* Locks a port of [PORT_LOW, PORT_LOW + PORT_SPAN) as port.sh does; returns it, the lock held
 * in lock_fd, or -1. */
static int lock_port(void)
{
    (void)mkdir(PORT_LOCK_DIR, 01777);
    for (int try = 0; try < 200; try++) {
        char path[64];
        int port = PORT_LOW + (int)((unsigned)rand() % PORT_SPAN);
        snprintf(path, sizeof path, PORT_LOCK_DIR "/%d", port);
        int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            continue;
        (void)fchmod(fd, 0666);
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            lock_fd = fd;
            return port;
        }
        close(fd);
    }
    return -1;
}

static void unlock_port(void)
{
    if (lock_fd >= 0)
        close(lock_fd);
    lock_fd = -1;
}

static void setup(void)
{
    srand((unsigned)(time(NULL) ^ getpid()));
    memset(&cfg, 0, sizeof cfg);
    seen_cfg = NULL, seen_db = NULL, ready_fails = 0, posts_served = 0;
    snprintf(cfg.listen_host, sizeof cfg.listen_host, "127.0.0.1");
    cfg.port = 0; /* the public server on an ephemeral port: these tests never call it */
    cfg.threads = 1;
    cfg.workers = 1;
    cfg.hash_workers = 1;
    cfg.check_workers = 1;
    cfg.check_queue = 1;
    cfg.shutdown_grace_s = 0;
    srv = http_start(&cfg, NULL, &public_table);
    ck_assert_ptr_nonnull(srv);
    snprintf(cfg.admin_host, sizeof cfg.admin_host, "127.0.0.1");
    for (int try = 0; try < 20 && adm == NULL; try++) {
        cfg.admin_port = lock_port();
        ck_assert_int_gt(cfg.admin_port, 0);
        snprintf(admin_addr, sizeof admin_addr, "127.0.0.1:%d", cfg.admin_port);
        cfg.admin_addr = admin_addr;
        adm = admin_start(&cfg, srv, fake_pool, &admin_table, VERSION);
        if (adm == NULL) /* held by a listener outside the locks: take another */
            unlock_port();
    }
    ck_assert_ptr_nonnull(adm);
}

static void teardown(void)
{
    admin_stop(adm);
    adm = NULL;
    http_free(srv);
    srv = NULL;
    unlock_port();
}

/* ------------------------------------------------------------------ a plain HTTP client */

struct reply {
    int status;
    char *head; /* status line and headers */
    char *body;
    size_t body_len;
};

static void reply_free(struct reply *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Sends one request with Connection: close and reads the answer to EOF, waiting at most
 * ANSWER_DEADLINE_MS in all. */
static void ask(const char *method, const char *path, struct reply *out)
{
    char req[512];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Length: 0\r\n\r\n",
                     method, path);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.admin_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect: %s",
                  strerror(errno));
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    long long deadline = mono_ms() + ANSWER_DEADLINE_MS;
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long long left = deadline - mono_ms();
        ck_assert_msg(left > 0, "no complete answer to %s %s in time", method, path);
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        ck_assert_int_ge(pr, 0);
        if (pr == 0)
            continue; /* the deadline check above ends it */
        if (len + 1024 > cap) {
            cap *= 2;
            char *bigger = realloc(buf, cap);
            ck_assert_ptr_nonnull(bigger);
            buf = bigger;
        }
        ssize_t got = read(fd, buf + len, cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        ck_assert_int_ge(got, 0);
        if (got == 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    ck_assert_msg(end != NULL, "no header end in: %s", buf);
    memset(out, 0, sizeof *out);
    out->head = strndup(buf, (size_t)(end - buf) + 2); /* keeps the last header's CRLF */
    out->body_len = len - (size_t)(end + 4 - buf);
    out->body = strndup(end + 4, out->body_len);
    ck_assert_int_eq(sscanf(buf, "HTTP/1.%*d %d", &out->status), 1);
    free(buf);
}

/* The value of header name (case-insensitive), copied into a static buffer; NULL when absent. */
static const char *header(const struct reply *r, const char *name)
{
    static char value[256];
    size_t n = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line != NULL && line[2] != '\0';
         line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
            const char *v = h + n + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r");
            snprintf(value, sizeof value, "%.*s", (int)vl, v);
            return value;
        }
    }
    return NULL;
}

static void assert_header(const struct reply *r, const char *name, const char *want)
{
    const char *v = header(r, name);
    ck_assert_msg(v != NULL, "no %s header in:\n%s", name, r->head);
    ck_assert_str_eq(v, want);
}

static void assert_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return;
    ck_abort_msg("line not found: %s\n--- in:\n%s", line, text);
}

static void drain_server(void)
{
    ck_assert_int_eq(http_drain(srv), 0);
    ck_assert(http_draining(srv));
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_admin_health_and_ready_through_the_table)
{
    struct reply r;
    ask("GET", "/health", &r);
    ck_assert_int_eq(r.status, 200);
    assert_header(&r, "Content-Type", "application/json");
    assert_header(&r, "Cache-Control", "no-store");
    ck_assert_ptr_nonnull(strstr(r.body, "\"alive\""));
    reply_free(&r);

    ask("GET", "/ready", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"ready-from-table\""));
    ck_assert_ptr_null(header(&r, "Retry-After"));
    reply_free(&r);
    /* the handler got the listener's configuration and pool */
    ck_assert_ptr_eq(seen_cfg, &cfg);
    ck_assert_ptr_eq(seen_db, fake_pool);
}
END_TEST

/* A handler's error goes out as problem+json, with its Retry-After. */
START_TEST(test_admin_route_error_is_problem_json)
{
    struct reply r;
    ready_fails = 1;
    ask("GET", "/ready", &r);
    ck_assert_int_eq(r.status, 503);
    assert_header(&r, "Content-Type", "application/problem+json");
    assert_header(&r, "Retry-After", "7");
    ck_assert_ptr_nonnull(strstr(r.body, "test: not ready"));
    reply_free(&r);
}
END_TEST

START_TEST(test_admin_head_has_no_body)
{
    struct reply r;
    ask("HEAD", "/health", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 0);
    reply_free(&r);
}
END_TEST

START_TEST(test_admin_metrics_prometheus_text)
{
    struct reply r;
    ask("GET", "/metrics", &r);
    ck_assert_int_eq(r.status, 200);
    assert_header(&r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    assert_header(&r, "Cache-Control", "no-store");
    ck_assert_uint_eq(r.body_len, strlen(r.body));
    ck_assert(r.body_len > 0 && r.body[r.body_len - 1] == '\n');
    assert_line(r.body, "# TYPE aam_http_requests_total counter");
    assert_line(r.body, "# TYPE aam_http_request_duration_seconds histogram");
    assert_line(r.body, "aam_build_info{version=\"" VERSION "\"} 1");
    assert_line(r.body, "aam_draining 0");
    assert_line(r.body, "aam_lane_workers{lane=\"db\"} 1");
    /* every sample belongs to a family announced before it */
    for (const char *line = r.body; *line != '\0'; line = strchr(line, '\n') + 1) {
        if (line[0] == '#')
            continue;
        size_t name_len = strcspn(line, "{ ");
        char family[128];
        snprintf(family, sizeof family, "# TYPE %.*s ", (int)name_len, line);
        const char *announced = strstr(r.body, family);
        if (announced == NULL) { /* histogram samples: _bucket, _sum, _count of the family */
            size_t base = name_len;
            while (base > 0 && line[base - 1] != '_')
                base--;
            ck_assert_uint_gt(base, 1);
            snprintf(family, sizeof family, "# TYPE %.*s histogram", (int)(base - 1), line);
            announced = strstr(r.body, family);
        }
        ck_assert_msg(announced != NULL && announced < line, "sample without its # TYPE: %.*s",
                      (int)strcspn(line, "\n"), line);
    }
    reply_free(&r);
}
END_TEST

START_TEST(test_admin_unknown_path_404_text)
{
    static const char *const paths[] = {"/", "/metrics/", "/healthz", "/api/v1/things", "/ready/x"};
    struct reply r;
    ask("GET", paths[_i], &r);
    ck_assert_int_eq(r.status, 404);
    assert_header(&r, "Content-Type", "text/plain; charset=utf-8");
    ck_assert_str_eq(r.body, "not found: the admin listener serves /metrics, /health, /ready\n");
    reply_free(&r);
}
END_TEST

/* Only GET and HEAD: another method on a table route, on /metrics, and on a route the table
 * serves only for POST (its handler never runs on the admin listener). */
START_TEST(test_admin_other_methods_405)
{
    static const struct {
        const char *method, *path;
    } cases[] = {
        {"POST", "/health"},
        {"DELETE", "/ready"},
        {"POST", "/metrics"},
        {"POST", "/poke"},
    };
    struct reply r;
    ask(cases[_i].method, cases[_i].path, &r);
    ck_assert_int_eq(r.status, 405);
    assert_header(&r, "Content-Type", "text/plain; charset=utf-8");
    ck_assert_str_eq(r.body, "only GET and HEAD\n");
    ck_assert_int_eq(posts_served, 0);
    reply_free(&r);
}
END_TEST

/* Once the server drains, /ready says so without asking the table (an orchestrator stops
 * sending traffic), /health stays alive, /metrics shows it. */
START_TEST(test_admin_ready_503_draining)
{
    struct reply r;
    drain_server();
    ask("GET", "/ready", &r);
    ck_assert_int_eq(r.status, 503);
    assert_header(&r, "Content-Type", "application/json");
    assert_header(&r, "Retry-After", "1");
    ck_assert_ptr_nonnull(strstr(r.body, "\"draining\""));
    ck_assert_ptr_null(seen_db); /* the table's /ready was not asked */
    reply_free(&r);

    ask("GET", "/health", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"alive\""));
    reply_free(&r);

    ask("GET", "/metrics", &r);
    ck_assert_int_eq(r.status, 200);
    assert_line(r.body, "aam_draining 1");
    reply_free(&r);
}
END_TEST

/* A port another listener holds: admin_start refuses (NULL) instead of sharing it. */
START_TEST(test_admin_taken_port_refused)
{
    struct cfg twin = cfg;
    struct admin *second = admin_start(&twin, srv, fake_pool, &admin_table, VERSION);
    ck_assert_ptr_null(second);
    /* the first still answers */
    struct reply r;
    ask("GET", "/health", &r);
    ck_assert_int_eq(r.status, 200);
    reply_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("admin");
    TCase *tc = tcase_create("admin");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_admin_health_and_ready_through_the_table);
    tcase_add_test(tc, test_admin_route_error_is_problem_json);
    tcase_add_test(tc, test_admin_head_has_no_body);
    tcase_add_test(tc, test_admin_metrics_prometheus_text);
    tcase_add_loop_test(tc, test_admin_unknown_path_404_text, 0, 5);
    tcase_add_loop_test(tc, test_admin_other_methods_405, 0, 4);
    tcase_add_test(tc, test_admin_ready_503_draining);
    tcase_add_test(tc, test_admin_taken_port_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
