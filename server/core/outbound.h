/* outbound: the one way checks and webhooks leave the process. A host is resolved within the
 * caller's timeout, every address it resolves to must be in AAM_OUTBOUND_NETS (one outside
 * refuses the whole host: the next lookup could return that one), and the connection goes only
 * to an address that was checked, never to a second DNS answer. HTTP goes through libcurl
 * with no redirect followed, no proxy, http and https only and a bounded body; libpq targets
 * get the checked address to pass as `hostaddr` (db/ makes the connection).
 *
 * Threads: every function may be called from any thread at once. outbound_global_init must
 * have run before the first request (the serve command calls it at start, before its threads;
 * the request functions call it themselves too, once, so a forgotten call cannot race). */
#ifndef AAM_OUTBOUND_H
#define AAM_OUTBOUND_H

#include <stddef.h>
#include <sys/socket.h>

#include "util/netaddr.h"

struct netaddr_set;

/* The most response body kept; the transfer stops once more arrives (the rest is never read). */
#define OUTBOUND_BODY_MAX (64 * 1024)
/* The most addresses one host may resolve to; a host with more is refused (all are checked). */
#define OUTBOUND_ADDRS_MAX 32
/* Name lookups running at once; beyond, a lookup is refused at once (see outbound.c). */
#define OUTBOUND_LOOKUPS_MAX 64
/* The longest host name (RFC 1035: 253 characters) plus IPv6 brackets. */
#define OUTBOUND_HOST_MAX 255

/* Why a request or a resolution failed, for callers that answer differently (a webhook's
 * target outside AAM_OUTBOUND_NETS is 422 when saved, a network failure is not). */
enum outbound_fail {
    OUTBOUND_OK = 0,
    OUTBOUND_FAIL_INVALID,  /* the URL, host, method or a header is not acceptable */
    OUTBOUND_FAIL_REFUSED,  /* an address outside AAM_OUTBOUND_NETS */
    OUTBOUND_FAIL_RESOLVE,  /* the name does not resolve, or the resolver failed or is busy */
    OUTBOUND_FAIL_TIMEOUT,  /* the timeout passed (resolving, connecting or reading) */
    OUTBOUND_FAIL_CONNECT,  /* the connection was refused or could not be made */
    OUTBOUND_FAIL_TLS,      /* the TLS handshake or the certificate check failed */
    OUTBOUND_FAIL_TRANSFER, /* anything else after connecting (a broken answer, a reset) */
};

/* A name lookup, for tests (a name that resolves to two addresses, answers that change). Fills
 * out[0..max) with addresses (port ignored) and returns how many (at least 1), or -1 with one
 * line in err. Runs on a helper thread and may be abandoned when the timeout passes: ctx must
 * stay valid for as long as the process runs (a static). NULL in a policy: getaddrinfo. */
typedef int outbound_resolve_fn(void *ctx, const char *host, struct sockaddr_storage *out,
                                size_t max, char *err, size_t errlen);

struct outbound_policy {
    const struct netaddr_set *allow; /* borrowed (cfg.outbound_nets); NULL allows nothing */
    outbound_resolve_fn *resolve;    /* NULL: the system resolver */
    void *resolve_ctx;
};

/* Initialises libcurl (curl_global_init) once per process; later calls do nothing. Call it
 * from main/serve before starting threads. Returns 0, or -1 when libcurl cannot start. */
int outbound_global_init(void) __attribute__((warn_unused_result));

/* Releases libcurl's global state (curl_global_cleanup); for an orderly exit after every
 * thread that sends has stopped. NULL-safe in spirit: does nothing when init never ran. */
void outbound_global_cleanup(void);

/* Waits up to timeout_ms for name lookups abandoned at their deadline to finish (their threads
 * hold a little memory until then), so a test build exits with nothing allocated. Returns 0
 * when none is running, else -1. Not needed for correctness: an exit may leave them. */
int outbound_lookups_drain(int timeout_ms) __attribute__((warn_unused_result));

/* Resolves host (a name, or an IP literal in any spelling netaddr_parse_host reads, which is
 * taken as is without a lookup) within timeout_ms and checks every address against
 * policy->allow. Returns 0 with the addresses (port 0) in addrs[0..*n), at most max (itself at
 * most OUTBOUND_ADDRS_MAX: a host with more addresses is refused, not cut), or -1
 * with *why (when why is not NULL) and one line in err that names the host and, when refused,
 * the address: "host db.example resolves to 10.0.0.5, outside AAM_OUTBOUND_NETS". */
int outbound_resolve(const struct outbound_policy *policy, const char *host, int timeout_ms,
                     struct sockaddr_storage *addrs, size_t max, size_t *n, enum outbound_fail *why,
                     char *err, size_t errlen) __attribute__((warn_unused_result));

/* For a libpq target (a postgres connector's check): resolves and checks host as
 * outbound_resolve does and writes the first checked address as text into hostaddr[size]
 * (NETADDR_TEXT_MAX is enough), to pass to libpq as `hostaddr` next to `host` (which libpq
 * still uses for TLS verification and the password file). A Unix socket path (a host
 * starting with '/' or '@'), an empty host and a list of hosts are refused: they would bypass
 * or dodge the check. Returns 0, or -1 with *why and err as outbound_resolve. */
int outbound_pg_hostaddr(const struct outbound_policy *policy, const char *host, int timeout_ms,
                         char *hostaddr, size_t size, enum outbound_fail *why, char *err,
                         size_t errlen) __attribute__((warn_unused_result));

struct outbound_request {
    const char *method;         /* GET, HEAD, POST, PUT, PATCH or DELETE */
    const char *url;            /* http:// or https:// only */
    const char *const *headers; /* "Name: value" lines, NULL-terminated; NULL for none. Never
                                 * copied into an error message (they may carry tokens). */
    const char *body;           /* sent as is when not NULL (body_len bytes) */
    size_t body_len;
    int timeout_ms; /* the whole request: resolving, connecting, sending and the answer */
};

struct outbound_response {
    long status;                 /* the HTTP status, 0 when there was no answer */
    char *body;                  /* owned (outbound_response_free): at most OUTBOUND_BODY_MAX bytes,
                             * NUL-terminated; NULL when the answer had no body */
    size_t body_len;             /* bytes in body */
    int truncated;               /* 1 when the answer had more (not read, the transfer stopped) */
    long long duration_ms;       /* from the call to the end of the answer or the failure */
    enum outbound_fail why;      /* OUTBOUND_OK, or why -1 was returned */
    char addr[NETADDR_TEXT_MAX]; /* the checked address connected to, "" when none */
};

/* Sends one HTTP request under the outbound rule. Returns 0 when an answer came, whatever its
 * status (a 302 is returned as such, never followed), with *res filled; or -1 with res->why
 * and one line in err naming the host (never a header, the body, the URL's path or query, or
 * its user and password). *res is always initialised: free it with outbound_response_free
 * either way. */
int outbound_http_request(const struct outbound_policy *policy, const struct outbound_request *req,
                          struct outbound_response *res, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Frees res->body; NULL-safe and safe to call twice. */
void outbound_response_free(struct outbound_response *res);

#endif
