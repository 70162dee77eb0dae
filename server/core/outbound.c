/* outbound: resolve within a deadline, check every address against AAM_OUTBOUND_NETS, then
 * connect only to a checked address (libcurl pinned with CURLOPT_RESOLVE and guarded by
 * CURLOPT_OPENSOCKETFUNCTION; libpq through `hostaddr`). Option references: curl's
 * docs/libcurl/opts/CURLOPT_*.md for each option set below. */
#include "server/core/outbound.h"

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/mono.h"
#include "util/netaddr.h"
#include "util/xalloc.h"

/* ------------------------------------------------------------------ global state */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready = -1; /* 0 once curl_global_init succeeded */

static void on_curl_once(void)
{
    curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int outbound_global_init(void)
{
    pthread_once(&curl_once, on_curl_once);
    return curl_ready;
}

void outbound_global_cleanup(void)
{
    if (curl_ready == 0) {
        curl_global_cleanup();
        curl_ready = -1;
    }
}

/* ------------------------------------------------------------------ the resolver
 *
 * getaddrinfo has no timeout (glibc retries per resolv.conf: 5 s x 2 attempts x servers), so
 * it runs on a detached helper thread while the caller waits on a condition variable until the
 * deadline. A caller that gives up drops its reference; the thread frees the job when it
 * finishes. Chosen over getaddrinfo_a (its gai_cancel cannot stop a lookup in progress either,
 * and the request block must then outlive the caller just the same) and over c-ares (another
 * library, and a second resolver whose answers could differ from the system's, /etc/hosts and
 * nsswitch included). A DNS server that never answers leaves one thread per lookup behind for
 * its retries; OUTBOUND_LOOKUPS_MAX bounds how many: beyond it a lookup fails at once. */

struct lookup {
    pthread_cond_t done_cv;
    int refs; /* the caller and the thread; the last to let go frees */
    int done;
    int n; /* addresses found, or -1 */
    outbound_resolve_fn *fn;
    void *ctx;
    char host[OUTBOUND_HOST_MAX + 1];
    struct sockaddr_storage addrs[OUTBOUND_ADDRS_MAX + 1]; /* one more: "too many" is seen */
    char err[160];
};

static pthread_mutex_t lookup_mu = PTHREAD_MUTEX_INITIALIZER;
static int lookups_running; /* guarded by lookup_mu */

/* The default resolver: getaddrinfo with no address-family filter and no AI_ADDRCONFIG, so
 * every address the name has is checked, whichever this host could reach. */
static int resolve_system(void *ctx, const char *host, struct sockaddr_storage *out, size_t max,
                          char *err, size_t errlen)
{
    (void)ctx;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &list);
    if (rc != 0) {
        if (rc == EAI_NONAME)
            snprintf(err, errlen, "host %s does not resolve", host);
        else
            snprintf(err, errlen, "host %s: name lookup failed (%s)", host,
                     rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    size_t n = 0;
    for (const struct addrinfo *ai = list; ai != NULL && n < max; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof out[n])
            continue;
        memset(&out[n], 0, sizeof out[n]);
        memcpy(&out[n], ai->ai_addr, ai->ai_addrlen);
        n++;
    }
    freeaddrinfo(list);
    if (n == 0) {
        snprintf(err, errlen, "host %s has no IPv4 or IPv6 address", host);
        return -1;
    }
    return (int)n;
}

int outbound_lookups_drain(int timeout_ms)
{
    long long deadline = mono_ms() + timeout_ms;
    for (;;) {
        pthread_mutex_lock(&lookup_mu);
        int running = lookups_running;
        pthread_mutex_unlock(&lookup_mu);
        if (running == 0)
            return 0;
        if (mono_ms() >= deadline)
            return -1;
        struct timespec tick = {.tv_sec = 0, .tv_nsec = 10 * 1000000};
        nanosleep(&tick, NULL);
    }
}

/* Drops one reference to l; frees it with the last. Called with lookup_mu held. */
static void release_locked(struct lookup *l)
{
    if (--l->refs > 0)
        return;
    pthread_cond_destroy(&l->done_cv);
    free(l);
}

static void *on_lookup_thread(void *arg)
{
    struct lookup *l = arg;
    char err[sizeof l->err] = "";
    struct sockaddr_storage *found = xcalloc(OUTBOUND_ADDRS_MAX + 1, sizeof *found);
    int n = l->fn(l->ctx, l->host, found, OUTBOUND_ADDRS_MAX + 1, err, sizeof err);
    pthread_mutex_lock(&lookup_mu);
    l->n = n;
    if (n > 0)
        memcpy(l->addrs, found, (size_t)n * sizeof *found);
    snprintf(l->err, sizeof l->err, "%s", err[0] ? err : "name lookup failed");
    l->done = 1;
    lookups_running--;
    pthread_cond_signal(&l->done_cv);
    release_locked(l);
    pthread_mutex_unlock(&lookup_mu);
    free(found);
    return NULL;
}

/* A new job holding two references, or NULL when OUTBOUND_LOOKUPS_MAX are running. */
static struct lookup *lookup_new(const struct outbound_policy *policy, const char *host)
{
    struct lookup *l = NULL;
    pthread_condattr_t attr;
    pthread_mutex_lock(&lookup_mu);
    if (lookups_running >= OUTBOUND_LOOKUPS_MAX) {
        pthread_mutex_unlock(&lookup_mu);
        return NULL;
    }
    lookups_running++;
    pthread_mutex_unlock(&lookup_mu);
    l = xcalloc(1, sizeof *l);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&l->done_cv, &attr);
    pthread_condattr_destroy(&attr);
    l->refs = 2;
    l->fn = policy->resolve ? policy->resolve : resolve_system;
    l->ctx = policy->resolve_ctx;
    snprintf(l->host, sizeof l->host, "%s", host);
    return l;
}

/* Runs the lookup on a helper thread and waits until deadline (mono_ms). Returns the number of
 * addresses copied into out (at most max + 1, so the caller sees "too many"), or -1. */
static int lookup_run(const struct outbound_policy *policy, const char *host, long long deadline,
                      struct sockaddr_storage *out, size_t max, enum outbound_fail *why, char *err,
                      size_t errlen)
{
    pthread_t tid;
    pthread_attr_t attr;
    struct lookup *l = lookup_new(policy, host);
    int n = -1;
    *why = OUTBOUND_FAIL_RESOLVE;
    if (l == NULL) {
        snprintf(err, errlen, "host %s: the resolver is busy (%d lookups running)", host,
                 OUTBOUND_LOOKUPS_MAX);
        return -1;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int started = pthread_create(&tid, &attr, on_lookup_thread, l) == 0;
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&lookup_mu);
    if (!started) {
        lookups_running--;
        l->refs = 1; /* no thread holds it */
        snprintf(err, errlen, "host %s: could not start a name lookup", host);
        goto cleanup;
    }
    struct timespec until = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
    while (!l->done && pthread_cond_timedwait(&l->done_cv, &lookup_mu, &until) != ETIMEDOUT)
        ;
    if (!l->done) {
        *why = OUTBOUND_FAIL_TIMEOUT;
        snprintf(err, errlen, "host %s: no answer from the resolver in time", host);
        goto cleanup;
    }
    if (l->n < 0) {
        snprintf(err, errlen, "%s", l->err);
        goto cleanup;
    }
    n = l->n > (int)max + 1 ? (int)max + 1 : l->n;
    memcpy(out, l->addrs, (size_t)n * sizeof *out);
cleanup:
    release_locked(l);
    pthread_mutex_unlock(&lookup_mu);
    return n;
}

/* A host we are willing to look up or pin: printable ASCII of the host-name alphabet (curl's
 * parser lets IDN through as UTF-8; libpq takes anything), so names in messages are clean and
 * curl resolves exactly the name we checked. Brackets only around an IPv6 literal. */
static int host_acceptable(const char *host)
{
    size_t len = strlen(host);
    if (len == 0 || len > OUTBOUND_HOST_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = host[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_' || c == ':' || (c == '[' && i == 0) ||
                 (c == ']' && i == len - 1 && host[0] == '[');
        if (!ok)
            return 0;
    }
    return 1;
}

int outbound_resolve(const struct outbound_policy *policy, const char *host, int timeout_ms,
                     struct sockaddr_storage *addrs, size_t max, size_t *n, enum outbound_fail *why,
                     char *err, size_t errlen)
{
    enum outbound_fail dummy = OUTBOUND_OK;
    char text[NETADDR_TEXT_MAX];
    struct sockaddr_storage *found = NULL;
    int count = -1, ret = -1;
    why = why ? why : &dummy;
    *n = 0;
    *why = OUTBOUND_FAIL_INVALID;
    if (host == NULL || !host_acceptable(host) || max == 0) {
        snprintf(err, errlen, "not a host name or address");
        goto cleanup;
    }
    /* The lookup never returns more than OUTBOUND_ADDRS_MAX + 1: a larger max would let
     * addresses past that go unchecked instead of refusing the host. */
    if (max > OUTBOUND_ADDRS_MAX)
        max = OUTBOUND_ADDRS_MAX;
    found = xcalloc(max + 1, sizeof *found);
    if (netaddr_parse_host(host, &found[0]) == 0) {
        count = 1; /* a literal, in whatever spelling: judged as the address it denotes */
    } else if (host[0] == '[' || strchr(host, ':') != NULL) {
        snprintf(err, errlen, "host %s is not a valid address", host);
        goto cleanup;
    } else {
        count = lookup_run(policy, host, mono_ms() + (timeout_ms > 0 ? timeout_ms : 0), found, max,
                           why, err, errlen);
        if (count < 0)
            goto cleanup;
    }
    if ((size_t)count > max) {
        *why = OUTBOUND_FAIL_REFUSED;
        snprintf(err, errlen, "host %s resolves to more than %zu addresses", host, max);
        goto cleanup;
    }
    for (int i = 0; i < count; i++) {
        if (!netaddr_set_allows(policy->allow, (const struct sockaddr *)&found[i])) {
            netaddr_format((const struct sockaddr *)&found[i], text, sizeof text);
            *why = OUTBOUND_FAIL_REFUSED;
            snprintf(err, errlen, "host %s resolves to %s, outside AAM_OUTBOUND_NETS", host, text);
            goto cleanup;
        }
    }
    memcpy(addrs, found, (size_t)count * sizeof *found);
    *n = (size_t)count;
    *why = OUTBOUND_OK;
    ret = 0;
cleanup:
    free(found);
    return ret;
}

int outbound_pg_hostaddr(const struct outbound_policy *policy, const char *host, int timeout_ms,
                         char *hostaddr, size_t size, enum outbound_fail *why, char *err,
                         size_t errlen)
{
    struct sockaddr_storage addrs[OUTBOUND_ADDRS_MAX];
    size_t n = 0;
    enum outbound_fail dummy = OUTBOUND_OK;
    why = why ? why : &dummy;
    if (size > 0)
        hostaddr[0] = '\0';
    if (host == NULL || host[0] == '\0' || host[0] == '/' || host[0] == '@') {
        *why = OUTBOUND_FAIL_INVALID;
        snprintf(err, errlen, "a database host must be a host name or address (no socket path)");
        return -1;
    }
    if (strchr(host, ',') != NULL) {
        *why = OUTBOUND_FAIL_INVALID;
        snprintf(err, errlen, "a database host must be one host, not a list");
        return -1;
    }
    if (outbound_resolve(policy, host, timeout_ms, addrs, OUTBOUND_ADDRS_MAX, &n, why, err,
                         errlen) != 0)
        return -1;
    netaddr_format((const struct sockaddr *)&addrs[0], hostaddr, size);
    return 0;
}

/* ------------------------------------------------------------------ HTTP through libcurl */

struct transfer {
    struct outbound_response *res;
    const struct sockaddr_storage *pinned; /* the checked addresses */
    size_t n_pinned;
    int port;
    int refused_socket; /* curl asked for an address that was not checked */
};

static void response_init(struct outbound_response *res)
{
    memset(res, 0, sizeof *res);
}

void outbound_response_free(struct outbound_response *res)
{
    if (res == NULL)
        return;
    xfree(&res->body);
    res->body_len = 0;
}

/* Keeps the first OUTBOUND_BODY_MAX bytes; once more arrives the transfer stops (returning
 * less than given makes curl end it with CURLE_WRITE_ERROR, read as "truncated"). */
static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct transfer *t = arg;
    struct outbound_response *res = t->res;
    size_t len = size * nmemb;
    size_t room = OUTBOUND_BODY_MAX - res->body_len;
    if (res->body == NULL)
        res->body = xmalloc(OUTBOUND_BODY_MAX + 1);
    size_t take = len > room ? room : len;
    memcpy(res->body + res->body_len, data, take);
    res->body_len += take;
    res->body[res->body_len] = '\0';
    res->truncated = len > room;
    return res->truncated ? 0 : len;
}

static int same_addr(const struct sockaddr *a, const struct sockaddr_storage *b, int port)
{
    if (a->sa_family != b->ss_family)
        return 0;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b;
        return ntohs(x->sin_port) == port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b;
        return ntohs(x->sin6_port) == port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

/* The guard under the pin: curl opens a socket only for a checked address and port. Should
 * curl ever resolve on its own (a host spelling CURLOPT_RESOLVE did not match), a different
 * answer fails the connection instead of reaching it. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct transfer *t = arg;
    if (purpose == CURLSOCKTYPE_IPCXN) {
        for (size_t i = 0; i < t->n_pinned; i++) {
            if (same_addr(&addr->addr, &t->pinned[i], t->port))
                return socket(addr->family, addr->socktype, addr->protocol);
        }
    }
    t->refused_socket = 1;
    return CURL_SOCKET_BAD;
}

/* The parts of the URL curl will use, read with curl's own parser (no second parser to
 * disagree with it). Returns 0, or -1 with err. */
static int url_parts(CURLU *u, const char *url, char **host, long *port, char *err, size_t errlen)
{
    char *scheme = NULL, *zone = NULL, *port_text = NULL;
    int ret = -1;
    if (url == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK) {
        snprintf(err, errlen, "not a valid URL");
        goto cleanup;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        snprintf(err, errlen, "only http and https URLs may be reached");
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
        snprintf(err, errlen, "a URL with an IPv6 zone id cannot be reached");
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_PORT, &port_text, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        snprintf(err, errlen, "not a valid URL");
        goto cleanup;
    }
    *port = strtol(port_text, NULL, 10);
    if (!host_acceptable(*host)) {
        snprintf(err, errlen, "the URL's host is not a plain host name or address");
        goto cleanup;
    }
    ret = 0;
cleanup:
    curl_free(scheme);
    curl_free(zone);
    curl_free(port_text);
    return ret;
}

/* "host:port:addr1,addr2": every checked address, IPv6 in brackets (CURLOPT_RESOLVE). */
static struct curl_slist *pin_list(const char *host, long port,
                                   const struct sockaddr_storage *addrs, size_t n)
{
    size_t cap = strlen(host) + 16 + n * (NETADDR_TEXT_MAX + 3);
    char *entry = xmalloc(cap);
    size_t used = (size_t)snprintf(entry, cap, "%s:%ld:", host, port);
    for (size_t i = 0; i < n; i++) {
        char text[NETADDR_TEXT_MAX];
        netaddr_format((const struct sockaddr *)&addrs[i], text, sizeof text);
        int v6 = addrs[i].ss_family == AF_INET6 && strchr(text, ':') != NULL;
        used += (size_t)snprintf(entry + used, cap - used, "%s%s%s%s", i ? "," : "", v6 ? "[" : "",
                                 text, v6 ? "]" : "");
    }
    struct curl_slist *list = curl_slist_append(NULL, entry);
    free(entry);
    return list;
}

/* 1 when method is one we send. */
static int method_known(const char *m)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; m != NULL && i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(m, known[i]) == 0)
            return 1;
    }
    return 0;
}

/* The request headers as a curl list, with Expect switched off (no 100-continue wait). NULL
 * when a line holds CR or LF (a header could smuggle another) or has no "Name:". */
static struct curl_slist *header_list(const char *const *headers, int *bad)
{
    struct curl_slist *list = curl_slist_append(NULL, "Expect:");
    *bad = list == NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL && !*bad; i++) {
        const char *h = headers[i];
        const char *colon = strchr(h, ':');
        if (strpbrk(h, "\r\n") != NULL || colon == NULL || colon == h) {
            *bad = 1;
            break;
        }
        struct curl_slist *next = curl_slist_append(list, h);
        if (next == NULL)
            *bad = 1;
        else
            list = next;
    }
    if (*bad) {
        curl_slist_free_all(list);
        return NULL;
    }
    return list;
}

/* Sets every option of the transfer. Returns 0, or -1 when curl refuses one (a libcurl built
 * without an option we rely on must fail closed, not send without it). */
static int set_options(CURL *c, CURLU *u, const struct outbound_request *req,
                       struct curl_slist *pins, struct curl_slist *hdrs, struct transfer *t,
                       long remaining_ms, char *errbuf)
{
    int bad = 0;
    bad |= curl_easy_setopt(c, CURLOPT_CURLU, u) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_RESOLVE, pins) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK; /* "" ignores *_proxy env */
    bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, remaining_ms) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, remaining_ms) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "aam-outbound/1") != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, t) != CURLE_OK;
    bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
    if (strcmp(req->method, "HEAD") == 0)
        bad |= curl_easy_setopt(c, CURLOPT_NOBODY, 1L) != CURLE_OK;
    else if (strcmp(req->method, "GET") != 0)
        bad |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method) != CURLE_OK;
    if (req->body != NULL) {
        bad |= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len) !=
               CURLE_OK;
        bad |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body) != CURLE_OK;
    }
    return bad ? -1 : 0;
}

/* One line for a failed transfer, naming the host (curl's own text can name the URL). */
static enum outbound_fail describe_failure(CURLcode rc, const struct transfer *t, const char *host,
                                           int timeout_ms, const char *errbuf, char *err,
                                           size_t errlen)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(err, errlen, "host %s: no answer within %d ms", host, timeout_ms);
        return OUTBOUND_FAIL_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
        if (t->refused_socket)
            snprintf(err, errlen, "host %s: refused to connect to an address not checked", host);
        else
            snprintf(err, errlen, "host %s: could not connect to port %d", host, t->port);
        return t->refused_socket ? OUTBOUND_FAIL_REFUSED : OUTBOUND_FAIL_CONNECT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(err, errlen, "host %s: TLS failed (%s)", host,
                 errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return OUTBOUND_FAIL_TLS;
    default:
        snprintf(err, errlen, "host %s: %s", host, curl_easy_strerror(rc));
        return OUTBOUND_FAIL_TRANSFER;
    }
}

int outbound_http_request(const struct outbound_policy *policy, const struct outbound_request *req,
                          struct outbound_response *res, char *err, size_t errlen)
{
    long long start = mono_ms();
    CURLU *u = NULL;
    CURL *c = NULL;
    char *host = NULL;
    struct curl_slist *pins = NULL, *hdrs = NULL;
    struct sockaddr_storage addrs[OUTBOUND_ADDRS_MAX];
    struct sockaddr_storage literal;
    size_t n = 0;
    long port = 0, remaining = 0;
    int bad_header = 0, is_literal = 0, ret = -1;
    char errbuf[CURL_ERROR_SIZE] = "";
    char *ip = NULL;
    CURLcode rc;
    struct transfer t = {.res = res};
    response_init(res);
    res->why = OUTBOUND_FAIL_INVALID;
    if (outbound_global_init() != 0 || (u = curl_url()) == NULL || (c = curl_easy_init()) == NULL) {
        res->why = OUTBOUND_FAIL_TRANSFER;
        snprintf(err, errlen, "libcurl could not start");
        goto cleanup;
    }
    if (req->timeout_ms <= 0 || !method_known(req->method)) {
        snprintf(err, errlen, "a request needs a method (GET, POST, ...) and a timeout");
        goto cleanup;
    }
    if (url_parts(u, req->url, &host, &port, err, errlen) != 0)
        goto cleanup;
    if ((hdrs = header_list(req->headers, &bad_header)) == NULL) {
        snprintf(err, errlen, "a request header is not one \"Name: value\" line");
        goto cleanup;
    }
    if (outbound_resolve(policy, host, req->timeout_ms, addrs, OUTBOUND_ADDRS_MAX, &n, &res->why,
                         err, errlen) != 0)
        goto cleanup;
    remaining = (long)(start + req->timeout_ms - mono_ms());
    if (remaining <= 0) {
        res->why = OUTBOUND_FAIL_TIMEOUT;
        snprintf(err, errlen, "host %s: no answer within %d ms", host, req->timeout_ms);
        goto cleanup;
    }
    t.pinned = addrs;
    t.n_pinned = n;
    t.port = (int)port;
    /* An IP literal is never resolved by curl: the guard alone holds it to the address. */
    is_literal = netaddr_parse_host(host, &literal) == 0;
    if (!is_literal)
        pins = pin_list(host, port, addrs, n);
    if ((!is_literal && pins == NULL) ||
        set_options(c, u, req, pins, hdrs, &t, remaining, errbuf) != 0) {
        res->why = OUTBOUND_FAIL_TRANSFER;
        snprintf(err, errlen, "libcurl refused an option the outbound rule needs");
        goto cleanup;
    }
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
    if (curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != NULL)
        snprintf(res->addr, sizeof res->addr, "%s", ip);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && res->truncated)) {
        res->why = describe_failure(rc, &t, host, req->timeout_ms, errbuf, err, errlen);
        res->status = 0;
        goto cleanup;
    }
    res->why = OUTBOUND_OK;
    ret = 0;
cleanup:
    res->duration_ms = mono_ms() - start;
    curl_slist_free_all(pins);
    curl_slist_free_all(hdrs);
    curl_free(host);
    curl_easy_cleanup(c);
    curl_url_cleanup(u);
    return ret;
}
