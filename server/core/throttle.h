/* throttle: brute-force and flood protection for the public auth routes, kept in the database
 * so every replica agrees.
 *
 * Login (table login_failures, migration 0002): failures are counted per subject (an email)
 * and per client address, in a fixed window of window_s seconds that starts at a key's first
 * failure. Before any hashing, throttle_reserve takes one failure slot for both keys in one
 * transaction (or refuses when either is used up), so N parallel guesses can never pass one
 * check together: each takes its own slot. A success gives the slots back
 * (throttle_release). The subject key is normalised by PostgreSQL's lower(), the very
 * function the users table's CHECK and the login lookup use, so no spelling of an address
 * (case, Kelvin sign, dotted capital I on a UTF-8 database) reaches the same user with a fresh
 * budget.
 *
 * Register (table register_attempts, migration 0004): registrations per client address in a
 * one-hour window, counted before hashing.
 *
 * A client address is counted by throttle_addr_key: an IPv6 client by its /64. One subscriber
 * or host is handed a whole /64 (RFC 6177, SLAAC), so per /128 a single client would have
 * 2^64 fresh budgets. The statements are db/throttles.c's. */
#ifndef AAM_THROTTLE_H
#define AAM_THROTTLE_H

#include <stddef.h>

struct db_pool;
struct db_error;

#define THROTTLE_REGISTER_WINDOW_S 3600

/* Enough for any key throttle_addr_key writes ("ffff:ffff:ffff:ffff::/64" and IPv4 are
 * shorter; a longer unreadable address is cut to fit). */
#define THROTTLE_ADDR_KEY_SIZE 64

/* Writes into out[size] the address a client at addr is counted as: an IPv6 address as its /64
 * ("2001:db8:1:2::/64", the canonical text of the prefix); an IPv4 address, also spelled as
 * IPv4-mapped IPv6 (::ffff:192.0.2.1), as the dotted IPv4; NULL or "" as "unknown"; anything
 * else (not an address) as given. Never fails. */
void throttle_addr_key(const char *addr, char *out, size_t size);

/* How many failures a subject and an address may have in one window. */
struct throttle_limits {
    int max_subject;
    int max_addr;
    int window_s;
};

/* Takes one failure slot for kind:lower(subject) (kind is a static word such as "email") and
 * for the address (NULL = "unknown"; counted by throttle_addr_key). When either key has its
 * limit of failures (limits) in its open window, nothing is taken and *retry_after is the
 * seconds until both may try again; otherwise *retry_after is 0 and the slots are taken. Also prunes a few expired rows.
 * Returns 0, or -1 with *err set (then nothing is taken). */
int throttle_reserve(struct db_pool *db, const char *kind, const char *subject, const char *addr,
                     const struct throttle_limits *limits, int *retry_after, struct db_error *err)
    __attribute__((warn_unused_result));

/* After a success: gives back the slots throttle_reserve took (the address keeps its real
 * failures: one good login must not buy fresh guesses at other accounts) and, with
 * forget_subject, forgets the subject's failures too (a login's email). Returns 0, or -1 with
 * *err set. */
int throttle_release(struct db_pool *db, const char *kind, const char *subject, const char *addr,
                     int forget_subject, struct db_error *err) __attribute__((warn_unused_result));

/* Counts one registration from addr (counted by throttle_addr_key); when the address already made max in its window,
 * counts nothing and sets *retry_after (> 0) to the seconds until its window ends.
 * Returns 0, or -1 with *err set. */
int throttle_register(struct db_pool *db, const char *addr, int max, int *retry_after,
                      struct db_error *err) __attribute__((warn_unused_result));

#endif
