/* base64: RFC 4648 section 4 (standard alphabet) both ways, for binary values that travel as
 * text: encryption keys in AAM_SECRET_KEYS and the stored form of encrypted secrets. */
#ifndef AAM_BASE64_H
#define AAM_BASE64_H

#include <stddef.h>

/* Characters base64_encode writes for len bytes, without the NUL. */
#define BASE64_ENCODED_LEN(len) ((((len) + 2) / 3) * 4)

/* Writes the padded encoding of data[0..len) and a NUL into out, which holds at least
 * BASE64_ENCODED_LEN(len) + 1 bytes. Returns the characters written. */
size_t base64_encode(const void *data, size_t len, char *out);

/* Decodes s[0..len), standard alphabet, padding optional (but correct when present), and
 * canonical only (the unused low bits of the last character are zero), so one value has
 * exactly one spelling (two padded, one without). Writes at most cap bytes to out.
 * Returns 0 with *out_len set, or -1 for any other byte (white space included), a length no
 * encoding has, or a result over cap; out may then hold a partial result, which a caller
 * decoding key material must wipe. */
int base64_decode(const char *s, size_t len, unsigned char *out, size_t cap, size_t *out_len)
    __attribute__((warn_unused_result));

#endif
