/* Tests for server/core/outbound.c against a local HTTP stub this test starts itself (python3's
 * http.server on 127.0.0.1, an ephemeral port): under `public` loopback is refused before any
 * connection, in every spelling (the stub counts the requests it sees); under `127.0.0.0/8` it
 * is reached; a 302 is returned, not followed; a slow answer and a slow resolver end at the
 * timeout; a long body is cut at 64 KiB; a name resolving to two addresses, one outside, is
 * refused; a name only the test's resolver knows is reached (so curl used the pinned address);
 * libpq's hostaddr. Only loopback is ever contacted: the names other than localhost resolve
 * through the test's own resolver, and public addresses are judged, never connected to. */
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/core/outbound.h"
#include "util/netaddr.h"

/* The stub: /ok 200, /unauth 401, /redirect 302 to /elsewhere, /slow 200 after 3 s, /big 200
 * KiB, /echo the method, X-Test and the body; /count "<requests seen> <of them /elsewhere>". */
static const char stub_py[] =
    "import sys, time, threading\n"
    "from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler\n"
    "hits = {}\n"
    "lock = threading.Lock()\n"
    "class H(BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    def log_message(self, *a): pass\n"
    "    def reply(self, code, body=b'', extra=()):\n"
    "        self.send_response(code)\n"
    "        for k, v in extra: self.send_header(k, v)\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        self.end_headers()\n"
    "        try:\n"
    "            if self.command != 'HEAD': self.wfile.write(body)\n"
    "        except OSError: pass\n"
    "    def any(self):\n"
    "        n = int(self.headers.get('Content-Length') or 0)\n"
    "        body = self.rfile.read(n) if n else b''\n"
    "        p = self.path\n"
    "        if p == '/count':\n"
    "            with lock: text = '%d %d' % (sum(hits.values()), hits.get('/elsewhere', 0))\n"
    "            return self.reply(200, text.encode())\n"
    "        with lock: hits[p] = hits.get(p, 0) + 1\n"
    "        if p == '/ok': return self.reply(200, b'ok')\n"
    "        if p == '/unauth': return self.reply(401, b'no')\n"
    "        if p == '/redirect':\n"
    "            loc = 'http://127.0.0.1:%d/elsewhere' % PORT\n"
    "            return self.reply(302, b'', [('Location', loc)])\n"
    "        if p == '/elsewhere': return self.reply(200, b'elsewhere')\n"
    "        if p == '/slow':\n"
    "            time.sleep(3)\n"
    "            return self.reply(200, b'late')\n"
    "        if p == '/big': return self.reply(200, b'x' * (200 * 1024))\n"
    "        if p == '/echo':\n"
    "            text = '%s %s %s' % (self.command, self.headers.get('X-Test'), body.decode())\n"
    "            return self.reply(200, text.encode())\n"
    "        return self.reply(404)\n"
    "    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = any\n"
    "class S(ThreadingHTTPServer):\n"
    "    def handle_error(self, *a): pass\n"
    "srv = S(('127.0.0.1', 0), H)\n"
    "PORT = srv.server_address[1]\n"
    "sys.stdout.write('%d\\n' % PORT)\n"
    "sys.stdout.flush()\n"
    "srv.serve_forever()\n";

static pid_t stub_pid = -1;
static int stub_port;

static void start_stub(void)
{
    int fds[2];
    char line[32] = "";
    ck_assert_int_eq(pipe(fds), 0);
    stub_pid = fork();
    ck_assert_int_ge(stub_pid, 0);
    if (stub_pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", "-c", stub_py, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* the port and a newline, which may come in more than one write */
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    size_t got = 0;
    while (got < sizeof line - 1 && strchr(line, '\n') == NULL && poll(&p, 1, 10000) == 1) {
        ssize_t r = read(fds[0], line + got, sizeof line - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        line[got] = '\0';
    }
    close(fds[0]);
    stub_port = atoi(line);
    ck_assert_msg(stub_port > 0, "the python3 stub did not start");
}

static void stop_stub(void)
{
    if (stub_pid > 0) {
        kill(stub_pid, SIGTERM);
        waitpid(stub_pid, NULL, 0);
        stub_pid = -1;
    }
}

/* The test's resolver: names that resolve to chosen addresses, without DNS. */
static int fake_resolve(void *ctx, const char *host, struct sockaddr_storage *out, size_t max,
                        char *err, size_t errlen)
{
    (void)ctx;
    static const struct {
        const char *host, *addrs[3];
    } names[] = {
        {"loop.test", {"127.0.0.1"}},
        {"dual.test", {"127.0.0.1", "::1"}},
        {"mixed.test", {"127.0.0.1", "10.0.0.5"}},
        {"metadata.test", {"169.254.169.254"}},
        {"world.test", {"93.184.216.34"}},
    };
    if (strcmp(host, "slow.test") == 0) {
        sleep(2);
        return netaddr_parse_host("127.0.0.1", &out[0]) == 0 ? 1 : -1;
    }
    if (strcmp(host, "many.test") == 0) {
        size_t n = 0;
        char text[32];
        for (; n < max && n < 40; n++) {
            snprintf(text, sizeof text, "127.0.0.%zu", n + 1);
            if (netaddr_parse_host(text, &out[n]) != 0)
                return -1;
        }
        return (int)n;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(host, names[i].host) != 0)
            continue;
        int n = 0;
        for (; n < 3 && names[i].addrs[n] != NULL && (size_t)n < max; n++) {
            if (netaddr_parse_host(names[i].addrs[n], &out[n]) != 0)
                return -1;
        }
        return n;
    }
    snprintf(err, errlen, "host %s does not resolve", host);
    return -1;
}

/* A policy for nets; the test's resolver when fake, else the system's (for localhost only).
 * The set is the test's to free (netaddr_set_free(*set)). */
static struct outbound_policy policy_for(const char *nets, int fake, struct netaddr_set **set)
{
    char err[160];
    *set = netaddr_set_parse(nets, err, sizeof err);
    ck_assert_msg(*set != NULL, "%s: %s", nets, err);
    return (struct outbound_policy){.allow = *set, .resolve = fake ? fake_resolve : NULL};
}

/* tmpl with its "%d" (if any) replaced by the stub's port (no printf: the tables are data). */
static void url_of(const char *tmpl, char *out, size_t size)
{
    const char *mark = strstr(tmpl, "%d");
    if (mark == NULL)
        snprintf(out, size, "%s", tmpl);
    else
        snprintf(out, size, "%.*s%d%s", (int)(mark - tmpl), tmpl, stub_port, mark + 2);
}

/* url_fmt with "%d" for the stub's port. */
static int get(const char *nets, int fake, const char *url_fmt, int timeout_ms,
               struct outbound_response *res, char *err, size_t errlen)
{
    char url[256];
    struct netaddr_set *set = NULL;
    struct outbound_policy p = policy_for(nets, fake, &set);
    url_of(url_fmt, url, sizeof url);
    struct outbound_request req = {.method = "GET", .url = url, .timeout_ms = timeout_ms};
    int rc = outbound_http_request(&p, &req, res, err, errlen);
    netaddr_set_free(set);
    return rc;
}

/* How many requests the stub has seen, and how many of them were /elsewhere. */
static void stub_count(int *total, int *elsewhere)
{
    struct outbound_response res;
    char err[256];
    ck_assert_msg(get("127.0.0.0/8", 0, "http://127.0.0.1:%d/count", 5000, &res, err, sizeof err) ==
                      0,
                  "count: %s", err);
    ck_assert_int_eq(sscanf(res.body, "%d %d", total, elsewhere), 2);
    outbound_response_free(&res);
}

/* ------------------------------------------------------------------ refused, reached */

struct refused_case {
    const char *nets;
    int fake;
    const char *url;
    const char *addr; /* the address the refusal names */
};

static const struct refused_case refused_cases[] = {
    {"public", 0, "http://127.0.0.1:%d/ok", "127.0.0.1"},
    {"public", 0, "http://localhost:%d/ok", "127.0.0.1"},
    {"public", 0, "http://2130706433:%d/ok", "127.0.0.1"},
    {"public", 0, "http://0x7f.1:%d/ok", "127.0.0.1"},
    {"public", 0, "http://017700000001:%d/ok", "127.0.0.1"},
    {"public", 0, "http://127.1:%d/ok", "127.0.0.1"},
    {"public", 0, "http://[::ffff:127.0.0.1]:%d/ok", "127.0.0.1"},
    {"public", 0, "http://[::1]:%d/ok", "::1"},
    {"public", 0, "https://127.0.0.1:%d/ok", "127.0.0.1"},
    {"public", 1, "http://loop.test:%d/ok", "127.0.0.1"},
    {"public", 1, "http://metadata.test:%d/ok", "169.254.169.254"},
    {"public", 1, "http://mixed.test:%d/ok", "127.0.0.1"},
    /* one address of two outside: the whole name is refused */
    {"127.0.0.0/8", 1, "http://dual.test:%d/ok", "::1"},
    {"127.0.0.0/8", 1, "http://mixed.test:%d/ok", "10.0.0.5"},
    {"127.0.0.0/8", 0, "http://[::1]:%d/ok", "::1"},
    {"10.0.0.0/8", 0, "http://127.0.0.1:%d/ok", "127.0.0.1"},
};

START_TEST(test_outbound_refused_before_connecting)
{
    const struct refused_case *c = &refused_cases[_i];
    struct outbound_response res;
    char err[256] = "", want[96];
    int before, after, e;
    stub_count(&before, &e);
    ck_assert_int_eq(get(c->nets, c->fake, c->url, 5000, &res, err, sizeof err), -1);
    ck_assert_int_eq(res.why, OUTBOUND_FAIL_REFUSED);
    snprintf(want, sizeof want, "resolves to %s, outside AAM_OUTBOUND_NETS", c->addr);
    ck_assert_msg(strstr(err, want) != NULL, "%s: \"%s\" should say \"%s\"", c->url, err, want);
    ck_assert_msg(strncmp(err, "host ", 5) == 0, "the host is named: %s", err);
    ck_assert_int_eq(res.status, 0);
    ck_assert_str_eq(res.addr, "");
    outbound_response_free(&res);
    stub_count(&after, &e);
    ck_assert_msg(after == before, "%s: the stub saw %d requests", c->url, after - before);
}
END_TEST

struct reached_case {
    const char *nets;
    int fake;
    const char *url;
    long status;
    const char *body;
};

static const struct reached_case reached_cases[] = {
    {"127.0.0.0/8", 0, "http://127.0.0.1:%d/ok", 200, "ok"},
    {"127.0.0.0/8", 0, "http://127.0.0.1:%d/unauth", 401, "no"},
    {"127.0.0.0/8", 0, "http://2130706433:%d/ok", 200, "ok"},
    {"127.0.0.0/8", 0, "http://0x7f.1:%d/ok", 200, "ok"},
    {"127.0.0.0/8, ::1", 0, "http://localhost:%d/ok", 200, "ok"},
    {"public, 127.0.0.0/8", 0, "http://127.0.0.1:%d/ok", 200, "ok"},
    /* known only to the test's resolver: curl can only have used the pinned address */
    {"127.0.0.0/8", 1, "http://loop.test:%d/ok", 200, "ok"},
    {"127.0.0.0/8, ::1/128", 1, "http://dual.test:%d/ok", 200, "ok"},
};

START_TEST(test_outbound_reached_when_allowed)
{
    const struct reached_case *c = &reached_cases[_i];
    struct outbound_response res;
    char err[256] = "";
    ck_assert_msg(get(c->nets, c->fake, c->url, 5000, &res, err, sizeof err) == 0, "%s: %s", c->url,
                  err);
    ck_assert_int_eq(res.status, c->status);
    ck_assert_int_eq(res.why, OUTBOUND_OK);
    ck_assert_str_eq(res.body, c->body);
    ck_assert_uint_eq(res.body_len, strlen(c->body));
    ck_assert_int_eq(res.truncated, 0);
    ck_assert_str_eq(res.addr, "127.0.0.1");
    ck_assert(res.duration_ms >= 0 && res.duration_ms < 5000);
    outbound_response_free(&res);
    outbound_response_free(&res);
}
END_TEST

/* ------------------------------------------------------------------ the HTTP rules */

START_TEST(test_outbound_redirect_not_followed)
{
    struct outbound_response res;
    char err[256] = "";
    int before, e_before, after, e_after;
    stub_count(&before, &e_before);
    ck_assert_int_eq(get("127.0.0.0/8", 0, "http://127.0.0.1:%d/redirect", 5000, &res, err,
                         sizeof err),
                     0);
    ck_assert_int_eq(res.status, 302);
    outbound_response_free(&res);
    stub_count(&after, &e_after);
    ck_assert_int_eq(after, before + 1); /* the /redirect itself */
    ck_assert_int_eq(e_after, e_before);
}
END_TEST

START_TEST(test_outbound_slow_answer_times_out)
{
    struct outbound_response res;
    char err[256] = "";
    ck_assert_int_eq(get("127.0.0.0/8", 0, "http://127.0.0.1:%d/slow", 500, &res, err, sizeof err),
                     -1);
    ck_assert_int_eq(res.why, OUTBOUND_FAIL_TIMEOUT);
    ck_assert_msg(strstr(err, "no answer within 500 ms") != NULL, "%s", err);
    ck_assert_msg(res.duration_ms >= 450 && res.duration_ms < 1500, "took %lld ms", res.duration_ms);
    ck_assert_int_eq(res.status, 0);
    outbound_response_free(&res);
}
END_TEST

/* The resolver's time counts against the same timeout: a lookup that hangs is abandoned. */
START_TEST(test_outbound_slow_resolver_times_out)
{
    struct outbound_response res;
    char err[256] = "";
    ck_assert_int_eq(get("127.0.0.0/8", 1, "http://slow.test:%d/ok", 300, &res, err, sizeof err),
                     -1);
    ck_assert_int_eq(res.why, OUTBOUND_FAIL_TIMEOUT);
    ck_assert_msg(strstr(err, "slow.test") != NULL, "%s", err);
    ck_assert_msg(res.duration_ms >= 250 && res.duration_ms < 1000, "took %lld ms", res.duration_ms);
    outbound_response_free(&res);
}
END_TEST

START_TEST(test_outbound_body_cut_at_bound)
{
    struct outbound_response res;
    char err[256] = "";
    ck_assert_msg(get("127.0.0.0/8", 0, "http://127.0.0.1:%d/big", 5000, &res, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(res.status, 200);
    ck_assert_uint_eq(res.body_len, OUTBOUND_BODY_MAX);
    ck_assert_int_eq(res.truncated, 1);
    ck_assert_int_eq(res.body[OUTBOUND_BODY_MAX], '\0');
    ck_assert_int_eq(res.body[OUTBOUND_BODY_MAX - 1], 'x');
    outbound_response_free(&res);
}
END_TEST

START_TEST(test_outbound_method_headers_body)
{
    struct netaddr_set *set = NULL;
    struct outbound_policy p = policy_for("127.0.0.0/8", 0, &set);
    struct outbound_response res;
    char err[256] = "", url[128];
    const char *const headers[] = {"X-Test: hello", "Content-Type: application/json", NULL};
    snprintf(url, sizeof url, "http://127.0.0.1:%d/echo", stub_port);
    struct outbound_request req = {.method = "POST",
                                   .url = url,
                                   .headers = headers,
                                   .body = "{\"a\":1}",
                                   .body_len = 7,
                                   .timeout_ms = 5000};
    ck_assert_msg(outbound_http_request(&p, &req, &res, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, "POST hello {\"a\":1}");
    outbound_response_free(&res);
    req.method = "HEAD";
    req.body = NULL;
    req.body_len = 0;
    ck_assert_msg(outbound_http_request(&p, &req, &res, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(res.status, 200);
    ck_assert_ptr_null(res.body);
    outbound_response_free(&res);
    netaddr_set_free(set);
}
END_TEST

/* ------------------------------------------------------------------ refused as invalid */

struct invalid_case {
    const char *method, *url, *header;
    int timeout_ms;
};

static const struct invalid_case invalid_cases[] = {
    {"GET", "ftp://127.0.0.1:%d/", NULL, 1000},
    {"GET", "file:///etc/passwd", NULL, 1000},
    {"GET", "gopher://127.0.0.1:%d/", NULL, 1000},
    {"GET", "127.0.0.1:%d/ok", NULL, 1000},
    {"GET", "not a url", NULL, 1000},
    {"GET", "http://[fe80::1%25eth0]:%d/", NULL, 1000},
    {"GET",
     "http://b\xc3\xbc"
     "cher.example:%d/",
     NULL, 1000},
    {"TRACE", "http://127.0.0.1:%d/ok", NULL, 1000},
    {NULL, "http://127.0.0.1:%d/ok", NULL, 1000},
    {"GET", "http://127.0.0.1:%d/ok", "X-A: b\r\nX-Injected: c", 1000},
    {"GET", "http://127.0.0.1:%d/ok", "no colon", 1000},
    {"GET", "http://127.0.0.1:%d/ok", NULL, 0},
};

START_TEST(test_outbound_invalid_requests)
{
    const struct invalid_case *c = &invalid_cases[_i];
    struct netaddr_set *set = NULL;
    struct outbound_policy p = policy_for("127.0.0.0/8", 0, &set);
    struct outbound_response res;
    char err[256] = "", url[128];
    const char *const headers[] = {c->header, NULL};
    int before, after, e;
    stub_count(&before, &e);
    url_of(c->url, url, sizeof url);
    struct outbound_request req = {.method = c->method,
                                   .url = url,
                                   .headers = c->header ? headers : NULL,
                                   .timeout_ms = c->timeout_ms};
    ck_assert_int_eq(outbound_http_request(&p, &req, &res, err, sizeof err), -1);
    ck_assert_msg(res.why == OUTBOUND_FAIL_INVALID, "%s: why %d (%s)", url, res.why, err);
    ck_assert(err[0] != '\0');
    outbound_response_free(&res);
    netaddr_set_free(set);
    stub_count(&after, &e);
    ck_assert_int_eq(after, before);
}
END_TEST

/* An error names the host, never the URL's user, password, path or query, nor a header. */
START_TEST(test_outbound_error_holds_no_secret)
{
    struct netaddr_set *set = NULL;
    struct outbound_policy p = policy_for("public", 0, &set);
    struct outbound_response res;
    char err[256] = "";
    const char *const headers[] = {"Authorization: Bearer tok-SECRET-1", NULL};
    struct outbound_request req = {.method = "GET",
                                   .url = "http://user:pw-SECRET-2@10.0.0.5/p-SECRET-3?t=SECRET-4",
                                   .headers = headers,
                                   .timeout_ms = 1000};
    ck_assert_int_eq(outbound_http_request(&p, &req, &res, err, sizeof err), -1);
    ck_assert_str_eq(err, "host 10.0.0.5 resolves to 10.0.0.5, outside AAM_OUTBOUND_NETS");
    ck_assert_ptr_null(strstr(err, "SECRET"));
    outbound_response_free(&res);
    netaddr_set_free(set);
}
END_TEST

/* ------------------------------------------------------------------ resolve, libpq */

struct resolve_case {
    const char *nets, *host;
    int ok;
    enum outbound_fail why;
    const char *says; /* in err, or the hostaddr when ok */
};

static const struct resolve_case resolve_cases[] = {
    /* judged, never connected to */
    {"public", "93.184.216.34", 1, OUTBOUND_OK, "93.184.216.34"},
    {"public", "world.test", 1, OUTBOUND_OK, "93.184.216.34"},
    {"public", "169.254.169.254", 0, OUTBOUND_FAIL_REFUSED, "resolves to 169.254.169.254"},
    {"public", "2852039166", 0, OUTBOUND_FAIL_REFUSED, "resolves to 169.254.169.254"},
    {"public", "metadata.test", 0, OUTBOUND_FAIL_REFUSED, "resolves to 169.254.169.254"},
    {"public", "::ffff:127.0.0.1", 0, OUTBOUND_FAIL_REFUSED, "resolves to 127.0.0.1"},
    {"public", "100.64.1.1", 0, OUTBOUND_FAIL_REFUSED, "resolves to 100.64.1.1"},
    {"public", "fd00::5", 0, OUTBOUND_FAIL_REFUSED, "resolves to fd00::5"},
    {"public", "localhost", 0, OUTBOUND_FAIL_REFUSED, "host localhost resolves to 127.0.0.1"},
    {"127.0.0.0/8", "localhost", 1, OUTBOUND_OK, "127.0.0.1"},
    {"127.0.0.0/8", "0x7f.1", 1, OUTBOUND_OK, "127.0.0.1"},
    {"127.0.0.0/8", "[::ffff:127.0.0.1]", 1, OUTBOUND_OK, "127.0.0.1"},
    {"127.0.0.0/8", "dual.test", 0, OUTBOUND_FAIL_REFUSED, "resolves to ::1"},
    {"127.0.0.0/8", "many.test", 0, OUTBOUND_FAIL_REFUSED, "more than 32 addresses"},
    {"127.0.0.0/8", "nowhere.test", 0, OUTBOUND_FAIL_RESOLVE, "host nowhere.test does not resolve"},
    {"127.0.0.0/8", "/var/run/postgresql", 0, OUTBOUND_FAIL_INVALID, "socket"},
    {"127.0.0.0/8", "@abstract", 0, OUTBOUND_FAIL_INVALID, "socket"},
    {"127.0.0.0/8", "", 0, OUTBOUND_FAIL_INVALID, "socket"},
    {"127.0.0.0/8", "a.test,b.test", 0, OUTBOUND_FAIL_INVALID, "one host"},
    {"127.0.0.0/8", "bad host", 0, OUTBOUND_FAIL_INVALID, "not a host"},
    {"127.0.0.0/8", "1:2:3", 0, OUTBOUND_FAIL_INVALID, "not a valid address"},
};

START_TEST(test_outbound_pg_hostaddr)
{
    const struct resolve_case *c = &resolve_cases[_i];
    struct netaddr_set *set = NULL;
    struct outbound_policy p = policy_for(c->nets, 1, &set);
    /* localhost through the system's resolver, the *.test names through the test's */
    if (strcmp(c->host, "localhost") == 0)
        p.resolve = NULL;
    char addr[NETADDR_TEXT_MAX] = "junk", err[256] = "";
    enum outbound_fail why = OUTBOUND_FAIL_TRANSFER;
    int rc = outbound_pg_hostaddr(&p, c->host, 2000, addr, sizeof addr, &why, err, sizeof err);
    ck_assert_msg(rc == (c->ok ? 0 : -1), "%s under %s: rc %d (%s)", c->host, c->nets, rc, err);
    ck_assert_msg(why == c->why, "%s: why %d, want %d (%s)", c->host, why, c->why, err);
    if (c->ok) {
        ck_assert_str_eq(addr, c->says);
    } else {
        ck_assert_str_eq(addr, "");
        ck_assert_msg(strstr(err, c->says) != NULL, "%s: \"%s\" should say \"%s\"", c->host, err,
                      c->says);
    }
    netaddr_set_free(set);
}
END_TEST

START_TEST(test_outbound_resolve_all_addresses)
{
    struct netaddr_set *set = NULL;
    struct outbound_policy p = policy_for("127.0.0.0/8, ::1", 1, &set);
    struct sockaddr_storage addrs[4];
    char err[256] = "", text[NETADDR_TEXT_MAX];
    size_t n = 0;
    ck_assert_int_eq(outbound_resolve(&p, "dual.test", 1000, addrs, 4, &n, NULL, err, sizeof err),
                     0);
    ck_assert_uint_eq(n, 2);
    netaddr_format((struct sockaddr *)&addrs[1], text, sizeof text);
    ck_assert_str_eq(text, "::1");
    /* fewer slots than addresses: refused, not cut (every address must be checked) */
    ck_assert_int_eq(outbound_resolve(&p, "dual.test", 1000, addrs, 1, &n, NULL, err, sizeof err),
                     -1);
    ck_assert_uint_eq(n, 0);
    /* more room than OUTBOUND_ADDRS_MAX does not let the 33rd and later go unchecked */
    struct sockaddr_storage *room = calloc(100, sizeof *room);
    ck_assert_int_eq(outbound_resolve(&p, "many.test", 1000, room, 100, &n, NULL, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "more than 32 addresses") != NULL, "%s", err);
    free(room);
    /* no allow-set allows nothing */
    struct outbound_policy none = {.allow = NULL, .resolve = fake_resolve};
    ck_assert_int_eq(outbound_resolve(&none, "loop.test", 1000, addrs, 4, &n, NULL, err, sizeof err),
                     -1);
    netaddr_set_free(set);
}
END_TEST

static Suite *outbound_suite(void)
{
    Suite *s = suite_create("outbound");
    TCase *http = tcase_create("http");
    tcase_add_unchecked_fixture(http, start_stub, stop_stub);
    tcase_set_timeout(http, 20);
    tcase_add_loop_test(http, test_outbound_refused_before_connecting, 0,
                        (int)(sizeof refused_cases / sizeof refused_cases[0]));
    tcase_add_loop_test(http, test_outbound_reached_when_allowed, 0,
                        (int)(sizeof reached_cases / sizeof reached_cases[0]));
    tcase_add_test(http, test_outbound_redirect_not_followed);
    tcase_add_test(http, test_outbound_slow_answer_times_out);
    tcase_add_test(http, test_outbound_slow_resolver_times_out);
    tcase_add_test(http, test_outbound_body_cut_at_bound);
    tcase_add_test(http, test_outbound_method_headers_body);
    tcase_add_loop_test(http, test_outbound_invalid_requests, 0,
                        (int)(sizeof invalid_cases / sizeof invalid_cases[0]));
    tcase_add_test(http, test_outbound_error_holds_no_secret);
    suite_add_tcase(s, http);
    TCase *res = tcase_create("resolve");
    tcase_add_loop_test(res, test_outbound_pg_hostaddr, 0,
                        (int)(sizeof resolve_cases / sizeof resolve_cases[0]));
    tcase_add_test(res, test_outbound_resolve_all_addresses);
    suite_add_tcase(s, res);
    return s;
}

int main(void)
{
    /* No proxy may be taken from the environment: set one that would break every request. */
    setenv("http_proxy", "http://127.0.0.1:9", 1);
    setenv("HTTPS_PROXY", "http://127.0.0.1:9", 1);
    setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
    if (outbound_global_init() != 0)
        return 1;
    SRunner *sr = srunner_create(outbound_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    /* with CK_FORK=no, the slow resolver's thread outlives its test: let it end (valgrind) */
    if (outbound_lookups_drain(5000) != 0)
        failed++;
    outbound_global_cleanup();
    return failed == 0 ? 0 : 1;
}
