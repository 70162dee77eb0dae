/* password: PBKDF2-HMAC-SHA256 password hashes (OpenSSL), stored self-describing as
 *   pbkdf2-sha256$<iterations>$<salt>$<key>
 * where salt (16 random bytes) and key (32 bytes) are standard base64 with padding, e.g.
 *   pbkdf2-sha256$600000$q1c0...Q==$3xY...o=
 * Verification is constant-time in the key comparison and reports when a stored hash uses
 * weaker parameters than today's, so login can re-hash it. Hashing is slow on purpose: call it
 * only from the hashing lane. */
#ifndef AAM_PASSWORD_H
#define AAM_PASSWORD_H

#include <stddef.h>

/* OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
#define PASSWORD_ITERATIONS 600000
#define PASSWORD_SALT_LEN 16
#define PASSWORD_KEY_LEN 32
/* Bounds on what a stored string may claim, so a corrupted row cannot make one login spin
 * for minutes or overflow a buffer. */
#define PASSWORD_MAX_ITERATIONS 10000000
/* Room for the longest encoded string we accept, with its NUL. */
#define PASSWORD_HASH_SIZE 192

/* Accepted plaintext lengths in bytes. 8 is NIST SP 800-63B's floor; 1024 bounds the work
 * and the request size while leaving room for any passphrase or password manager output. */
#define PASSWORD_MIN_LEN 8
#define PASSWORD_MAX_LEN 1024

enum password_check {
    PASSWORD_MATCH = 0,     /* the password is right */
    PASSWORD_MISMATCH = 1,  /* well-formed hash, wrong password */
    PASSWORD_MALFORMED = 2, /* the stored string is not one of ours (nothing was hashed) */
};

/* Hashes pw (pw_len bytes, may contain any byte) with a fresh random salt and the current
 * parameters into out (NUL-terminated). Returns 0, or -1 when out is too small or OpenSSL
 * fails (RAND_bytes, PBKDF2). */
int password_hash(const char *pw, size_t pw_len, char *out, size_t out_size)
    __attribute__((warn_unused_result));

/* password_hash with an explicit iteration count (1..PASSWORD_MAX_ITERATIONS). For tests of
 * the parameter upgrade and for nothing else. */
int password_hash_iter(const char *pw, size_t pw_len, unsigned iterations, char *out,
                       size_t out_size) __attribute__((warn_unused_result));

/* Checks pw against stored. On PASSWORD_MATCH, *needs_rehash (if non-NULL) is 1 when stored
 * uses fewer iterations, or a shorter salt or key, than password_hash would now. */
enum password_check password_verify(const char *pw, size_t pw_len, const char *stored,
                                    int *needs_rehash) __attribute__((warn_unused_result));

/* Costs what a password_verify against a current-parameter hash costs, and checks nothing:
 * login calls it for an unknown email so that case takes as long as a wrong password. */
void password_burn(const char *pw, size_t pw_len);

#endif
