/* throttle: brute-force protection for login. Failed logins are counted per email and per
 * client address in the login_failures table (migration 0002), in a fixed window of
 * window_s seconds that starts at a key's first failure. Once the email reaches max_email,
 * or the address max_addr (higher: many users may share one NAT address), within its window,
 * logins for it are refused until the window ends.
 * Counters live in the database, updated with upserts, so every replica agrees. */
#ifndef AAM_THROTTLE_H
#define AAM_THROTTLE_H

struct db_pool;
struct db_error;

/* Sets *retry_after to the seconds until the email and the address may both try again
 * (0 = allowed now). email is the normalised (lower-cased) address; addr may be NULL.
 * Cheap: call it before hashing. Returns 0, or -1 with *err set. */
int throttle_check(struct db_pool *db, const char *email, const char *addr, int max_email,
                   int max_addr, int window_s, int *retry_after, struct db_error *err)
    __attribute__((warn_unused_result));

/* Counts one failed login against both the email and the address (a new window starts for
 * a key whose previous window has passed), and prunes a few expired rows.
 * Returns 0, or -1 with *err set. */
int throttle_record_failure(struct db_pool *db, const char *email, const char *addr,
                            int window_s, struct db_error *err)
    __attribute__((warn_unused_result));

/* Forgets the email's failures after a successful login. The address counter is kept: one
 * good login must not buy an address a fresh set of guesses at other accounts.
 * Returns 0, or -1 with *err set. */
int throttle_clear(struct db_pool *db, const char *email, int window_s, struct db_error *err)
    __attribute__((warn_unused_result));

#endif
