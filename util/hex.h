/* hex: hexadecimal digits, both ways (percent-decoding, checksums, \u00XX escapes). */
#ifndef AAM_HEX_H
#define AAM_HEX_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1 when c is not one. */
int hex_value(int c);

/* Writes 2*len lowercase hex digits of data and a NUL into out (2*len + 1 bytes). */
void hex_encode(const void *data, size_t len, char *out);

/* The lowercase digit for v & 15. */
char hex_digit(unsigned v);

#endif
