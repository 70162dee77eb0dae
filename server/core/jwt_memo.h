/* jwt_memo: each thread's memo of the bearer tokens it has verified, so that a client sending
 * the same token on every request pays for its HMAC and JSON parse once, not every time (on
 * the list route that was a tenth of the server's CPU per request). A hit still has its time
 * claims checked against the clock by the caller, so an expired token stays refused. Only
 * successes are kept: a bad token costs a full verification every time, as before. Tokens are
 * checked without the database anyway (the contract: revocation takes effect within one access
 * token's lifetime), so the memo changes no answer. Everything here is thread-local: no lock. */
#ifndef AAM_JWT_MEMO_H
#define AAM_JWT_MEMO_H

#include <stddef.h>
#include <stdint.h>

#include "server/core/jwt.h"

/* Tokens longer than this are verified every time (ours are a few hundred bytes). */
#define JWT_MEMO_MAX_TOKEN 768

/* 64 bits standing for the secret a token was verified with, so a memo entry never answers
 * for another secret (tests use several; a process uses one). Not a MAC: never sent anywhere. */
uint64_t jwt_memo_secret_id(const char *secret, size_t secret_len);

/* On a hit (the same token bytes, verified with the same secret id) copies the identity and
 * the time claims into *id and *times and returns 1; else 0. */
int jwt_memo_get(const char *tok, size_t len, uint64_t secret_id, struct jwt_identity *id,
                 struct jwt_times *times);

/* Remembers a token that passed every check. Replaces whatever held its slot. */
void jwt_memo_put(const char *tok, size_t len, uint64_t secret_id, const struct jwt_identity *id,
                  const struct jwt_times *times);

#endif
