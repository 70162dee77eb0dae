/* cursor: the opaque page cursors of the history routes. A cursor is base64url of an event id
 * and a truncated HMAC-SHA256 over that id, the kind of list, the tenant and (for a
 * connector's history) the connector, under a key derived from JWT_SECRET. So a cursor is
 * good only for the list, tenant and connector it came from: a forged, foreign or broken one
 * fails to decode, and a failure says nothing about why. */
#ifndef AAM_CURSOR_H
#define AAM_CURSOR_H

#include <stddef.h>

/* 8 bytes of id + 16 bytes of MAC = 24 bytes: 32 base64url characters, no padding. */
#define CURSOR_LEN 32

enum cursor_kind {
    CURSOR_HISTORY = 'h', /* GET /connectors/{id}/history: scope is the connector id */
    CURSOR_FEED = 'f',    /* GET /events: scope is "" */
};

/* Writes the cursor for id (>= 0) into out (CURSOR_LEN + 1 bytes, NUL-terminated). secret is
 * JWT_SECRET (secret_len bytes). Returns 0, or -1 when OpenSSL fails (out is then ""). */
int cursor_encode(const char *secret, size_t secret_len, enum cursor_kind kind, const char *ns,
                  const char *scope, long long id, char *out) __attribute__((warn_unused_result));

/* Reads text as a cursor of kind for ns and scope. Returns 0 with *id, or -1 for anything
 * else (wrong length, alphabet, MAC, or a negative id). */
int cursor_decode(const char *secret, size_t secret_len, enum cursor_kind kind, const char *ns,
                  const char *scope, const char *text, long long *id)
    __attribute__((warn_unused_result));

#endif
