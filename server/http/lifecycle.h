/* lifecycle: the one place that knows whether the server is accepting, draining or stopping,
 * and how many requests and connections are still open. The HTTP glue reports every request
 * begun and completed, every suspension (a request handed to a worker lane) and every
 * connection opened and closed; the shutdown path waits on a condition variable for those
 * counts instead of polling them. No MHD here, so it is unit-tested with plain threads. */
#ifndef AAM_LIFECYCLE_H
#define AAM_LIFECYCLE_H

enum lifecycle_state {
    LIFECYCLE_ACCEPTING = 0, /* normal service */
    LIFECYCLE_DRAINING, /* listener closed; requests begun finish, answered Connection: close */
    LIFECYCLE_STOPPING, /* the daemon is about to stop: no request may be suspended any more */
};

struct lifecycle_counts {
    int active;      /* requests begun (request line read) and not completed */
    int suspended;   /* requests handed to a worker lane and not yet resumed */
    int connections; /* open client connections, idle keep-alive ones included */
};

struct lifecycle;

/* A new lifecycle in LIFECYCLE_ACCEPTING with zero counts. Aborts on OOM (never NULL). */
struct lifecycle *lifecycle_new(void);

/* NULL-safe. The caller guarantees no thread uses lc any more. */
void lifecycle_free(struct lifecycle *lc);

enum lifecycle_state lifecycle_state(struct lifecycle *lc);
void lifecycle_counts(struct lifecycle *lc, struct lifecycle_counts *out);

/* Request hooks: begin when the request line is read, end in the completion callback. */
void lifecycle_request_begin(struct lifecycle *lc);
void lifecycle_request_end(struct lifecycle *lc);

/* Called before suspending a request for a worker lane. Returns 0 (counted: the caller must
 * call lifecycle_suspend_end once the request is resumed) or -1 when the server is stopping:
 * then the caller must not suspend and answers at once instead. */
int lifecycle_suspend_begin(struct lifecycle *lc) __attribute__((warn_unused_result));
void lifecycle_suspend_end(struct lifecycle *lc);

void lifecycle_connection_open(struct lifecycle *lc);
/* A connection the drain accepted from the listen backlog and gave to the daemon, which
 * announces it (lifecycle_connection_open) only when an I/O thread picks it up: counted now,
 * so the drain cannot end (and close it unread) in between. taken: 1 before handing it over,
 * 0 to undo that when the daemon refused it. */
void lifecycle_connection_handed_over(struct lifecycle *lc, int taken);
void lifecycle_connection_close(struct lifecycle *lc);

/* ACCEPTING -> DRAINING (idempotent). */
void lifecycle_begin_drain(struct lifecycle *lc);

/* Waits until no request is active and then either no connection is open or linger_ms have
 * passed with none active (an idle keep-alive connection's client had its chance to send its
 * next request and be told Connection: close). deadline_ms is in mono_ms() time.
 * Returns 0 when that happened, -1 at the deadline. */
int lifecycle_wait_idle(struct lifecycle *lc, int linger_ms, long long deadline_ms);

/* -> STOPPING, then waits until no request is suspended or deadline_ms. After this returns 0
 * no request is or will be suspended, so the daemon may be stopped. Returns -1 at the
 * deadline (requests still on a worker lane: the daemon must not be stopped). */
int lifecycle_stop(struct lifecycle *lc, long long deadline_ms);

#endif
