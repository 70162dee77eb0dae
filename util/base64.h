/* base64: standard base64 (RFC 4648 section 4, alphabet A-Z a-z 0-9 + /, '=' padding), strict
 * on input: no blanks, no line breaks, no missing or misplaced padding. For values that travel
 * in headers and secrets (webhook secrets and signatures); JWTs and session tokens use
 * base64url and have their own checks. */
#ifndef AAM_BASE64_H
#define AAM_BASE64_H

#include <stddef.h>

/* Length of the encoding of n bytes, without the terminating NUL. */
#define BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)

/* Encodes in[0..n) into out, which must hold BASE64_ENCODED_LEN(n) + 1 bytes; NUL-terminates.
 * Returns the encoded length. */
size_t base64_encode(const unsigned char *in, size_t n, char *out);

/* Decodes s[0..len) into out (at most max bytes). Returns the decoded length, or -1 when s is
 * not strict padded base64 or decodes to more than max bytes (out is then unspecified: a
 * caller decoding a secret wipes it either way). Holds no copy of the bytes after return. */
int base64_decode(const char *s, size_t len, unsigned char *out, size_t max)
    __attribute__((warn_unused_result));

#endif
