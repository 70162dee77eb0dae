/* email: the one rule for what the service accepts as an email address, used by register
 * (server/handlers/auth_parse.c) and by `aam seed` (server/cli/cmd_seed.c). It is a shape
 * check, not RFC 5322: enough to refuse what cannot be an address a person reads mail at. */
#ifndef AAM_EMAIL_H
#define AAM_EMAIL_H

#include <stddef.h>

/* RFC 5321's limit on a forward path, which bounds every usable address. */
#define EMAIL_MAX 254

/* 1 when email (len bytes) looks like local@domain.tld within EMAIL_MAX bytes: one '@', no
 * spaces, controls or the specials "(),:;<>[\], a dotted domain with no empty label. Bytes
 * above 0x7f pass (internationalised addresses); UTF-8 validity is the caller's check.
 * Case is not judged: PostgreSQL's lower() is the one normalisation. */
int email_valid(const char *email, size_t len);

#endif
