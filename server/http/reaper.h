/* reaper: the total-duration deadline of a request's arrival. libmicrohttpd's timeout counts
 * idle time only, so a client sending a byte every 29 s would hold a connection (and its
 * buffers) forever, and libmicrohttpd 0.9.75 takes no response while headers or a body are
 * still arriving. The reaper thread answers such a request itself once the deadline passes:
 * it writes a complete 408 problem+json response with Connection: close on the socket and
 * shuts the socket down; libmicrohttpd then sees the end of the stream and closes the
 * connection as usual. While a request is arriving libmicrohttpd never writes to its socket,
 * and a request claims its entry (reaper_claim) before anything else may answer it, so the two
 * writers never meet. MHD-free: it knows file descriptors and clocks only. */
#ifndef AAM_REAPER_H
#define AAM_REAPER_H

#include <stdatomic.h>
#include <time.h>

struct reaper;

/* One request being watched; embedded in the request's context. */
struct reaper_entry {
    int fd;
    struct timespec started;
    atomic_int phase;                 /* REAPER_ARRIVING, REAPER_CLAIMED, REAPER_REAPED */
    char request_id[40];              /* for the 408's X-Request-Id */
    struct reaper_entry *prev, *next; /* the reaper's list, under its lock */
    int listed;
};

enum { REAPER_ARRIVING = 0, REAPER_CLAIMED = 1, REAPER_REAPED = 2 };

/* Starts the thread that answers 408 to requests still arriving deadline_s after they
 * started. Returns NULL when the thread cannot start. */
struct reaper *reaper_start(int deadline_s) __attribute__((warn_unused_result));

/* Watches e (fd = the connection's socket; started and request_id already set). */
void reaper_add(struct reaper *r, struct reaper_entry *e);

/* Stops watching e; must be called before the socket can be closed (libmicrohttpd's
 * completion callback). NULL-safe and idempotent. */
void reaper_remove(struct reaper *r, struct reaper_entry *e);

/* Called before a request is answered or handed to a worker: returns 1 when the request is
 * its own (from now on the reaper leaves it alone), 0 when the reaper has already answered
 * it (the caller must drop the connection and write nothing). */
int reaper_claim(struct reaper_entry *e);

/* Stops and joins the thread, frees r. NULL-safe. */
void reaper_stop(struct reaper *r);

#endif
