/* throttle: the policy over db/throttles.c's counters (see throttle.h): which address a client
 * is counted as, and the window of registrations. The statements, and why they lock, are in
 * db/throttles.c. */
#include "server/core/throttle.h"

#include "db/db.h"
#include "db/throttles.h"

static const char *addr_or_unknown(const char *addr)
{
    return addr != NULL && addr[0] != '\0' ? addr : "unknown";
}

int throttle_reserve(struct db_pool *db, const char *kind, const char *subject, const char *addr,
                     int max_subject, int max_addr, int window_s, int *retry_after,
                     struct db_error *err)
{
    const struct db_throttle_slot slot = {
        .kind = kind,
        .subject = subject,
        .addr = addr_or_unknown(addr),
        .max_subject = max_subject,
        .max_addr = max_addr,
        .window_s = window_s,
    };
    return db_throttles_reserve(db, &slot, retry_after, err);
}

int throttle_release(struct db_pool *db, const char *kind, const char *subject, const char *addr,
                     int forget_subject, struct db_error *err)
{
    return db_throttles_release(db, kind, subject, addr_or_unknown(addr), forget_subject, err);
}

int throttle_register(struct db_pool *db, const char *addr, int max, int *retry_after,
                      struct db_error *err)
{
    return db_throttles_register(db, addr_or_unknown(addr), max, THROTTLE_REGISTER_WINDOW_S,
                                 retry_after, err);
}
