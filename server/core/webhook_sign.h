/* webhook_sign: Standard Webhooks signatures (https://www.standardwebhooks.com, the scheme
 * the npm `standardwebhooks` package and Svix verify). A secret is "whsec_" + base64 of its
 * key bytes; a signature is "v1," + base64 of HMAC-SHA256(key, "<msg id>.<timestamp>.<body>"),
 * sent in the `webhook-signature` header next to `webhook-id` and `webhook-timestamp`. */
#ifndef AAM_WEBHOOK_SIGN_H
#define AAM_WEBHOOK_SIGN_H

#include <stddef.h>

#define WEBHOOK_SIGN_PREFIX "whsec_"
#define WEBHOOK_SIGN_KEY_BYTES 32 /* what a new secret holds (the contract's 32 random bytes) */
#define WEBHOOK_SIGN_KEY_MAX 64   /* the longest key a secret may decode to */
/* "whsec_" + base64 of 32 bytes: 50 characters; buffers take one more for the NUL. */
#define WEBHOOK_SIGN_SECRET_LEN (6 + 44)
/* "v1," + base64 of a SHA-256 HMAC: 47 characters; buffers take one more for the NUL. */
#define WEBHOOK_SIGN_SIG_LEN (3 + 44)

/* Writes a new secret ("whsec_" + base64 of 32 bytes from OpenSSL's RAND_bytes) into
 * secret_out, which must hold WEBHOOK_SIGN_SECRET_LEN + 1 bytes. The caller owns the text and
 * wipes it with OPENSSL_cleanse when done. Returns 0, or -1 when the random generator fails or
 * size is too small (secret_out then holds an empty string). */
int webhook_sign_new_secret(char *secret_out, size_t size) __attribute__((warn_unused_result));

/* Signs one delivery: writes "v1,<base64 signature>" into out, which must hold
 * WEBHOOK_SIGN_SIG_LEN + 1 bytes. secret is "whsec_<base64 key>" (1 to WEBHOOK_SIGN_KEY_MAX
 * key bytes); msg_id the webhook-id (the same on every retry), timestamp the webhook-timestamp
 * in Unix seconds, body[0..body_len) the exact bytes sent. The decoded key is wiped before
 * return. Returns 0, or -1 when the secret is malformed, msg_id is NULL or size is too small
 * (out then holds an empty string); the secret never appears in anything written. */
int webhook_sign(const char *secret, const char *msg_id, long long timestamp, const char *body,
                 size_t body_len, char *out, size_t size) __attribute__((warn_unused_result));

/* The whole webhook-signature header value for a delivery signed under each of n secrets (two
 * during a rotation window: the new one and the old), space-separated as the scheme defines:
 * "v1,<sig> v1,<sig>". out must hold n * (WEBHOOK_SIGN_SIG_LEN + 1) bytes. Returns 0, or -1 as
 * webhook_sign does for any one secret, or when n is 0 (out then holds an empty string). */
int webhook_sign_header(const char *const *secrets, size_t n, const char *msg_id,
                        long long timestamp, const char *body, size_t body_len, char *out,
                        size_t size) __attribute__((warn_unused_result));

#endif
