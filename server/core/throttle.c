/* throttle: the policy over db/throttles.c's counters (see throttle.h): which address a client
 * is counted as, and the window of registrations. The statements, and why they lock, are in
 * db/throttles.c. */
#include "server/core/throttle.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/throttles.h"

/* The first 12 bytes of an IPv4-mapped IPv6 address (::ffff:0:0/96). */
static const unsigned char V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void throttle_addr_key(const char *addr, char *out, size_t size)
{
    unsigned char a[16];
    char text[INET6_ADDRSTRLEN];

    if (addr == NULL || addr[0] == '\0') {
        snprintf(out, size, "unknown");
    } else if (inet_pton(AF_INET6, addr, a) != 1) {
        snprintf(out, size, "%s", addr); /* IPv4 (the server's client address is already
                                          * canonical text: netaddr_client), or no address */
    } else if (memcmp(a, V4_MAPPED, sizeof V4_MAPPED) == 0) {
        inet_ntop(AF_INET, a + 12, text, sizeof text);
        snprintf(out, size, "%s", text);
    } else {
        memset(a + 8, 0, 8);
        inet_ntop(AF_INET6, a, text, sizeof text);
        snprintf(out, size, "%s/64", text);
    }
}

int throttle_reserve(struct db_pool *db, const char *kind, const char *subject, const char *addr,
                     const struct throttle_limits *limits, int *retry_after, struct db_error *err)
{
    char key[THROTTLE_ADDR_KEY_SIZE];
    throttle_addr_key(addr, key, sizeof key);
    const struct db_throttle_slot slot = {
        .kind = kind,
        .subject = subject,
        .addr = key,
        .max_subject = limits->max_subject,
        .max_addr = limits->max_addr,
        .window_s = limits->window_s,
    };
    return db_throttles_reserve(db, &slot, retry_after, err);
}

int throttle_release(struct db_pool *db, const char *kind, const char *subject, const char *addr,
                     int forget_subject, struct db_error *err)
{
    char key[THROTTLE_ADDR_KEY_SIZE];
    throttle_addr_key(addr, key, sizeof key);
    return db_throttles_release(db, kind, subject, key, forget_subject, err);
}

int throttle_register(struct db_pool *db, const char *addr, int max, int *retry_after,
                      struct db_error *err)
{
    char key[THROTTLE_ADDR_KEY_SIZE];
    throttle_addr_key(addr, key, sizeof key);
    return db_throttles_register(db, key, max, THROTTLE_REGISTER_WINDOW_S, retry_after, err);
}
