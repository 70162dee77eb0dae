/* email: the address shape rule (see email.h). */
#include "server/core/email.h"

#include <string.h>

int email_valid(const char *email, size_t len)
{
    const char *at = memchr(email, '@', len);
    if (len == 0 || len > EMAIL_MAX || at == NULL || at == email)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)email[i];
        if (c <= 0x20 || c == 0x7f || strchr("\"(),:;<>[\\]", c) != NULL)
            return 0;
        if (c == '@' && email + i != at)
            return 0; /* a second '@' */
    }
    /* The domain: dot-separated labels, none empty, at least two. */
    const char *d = at + 1, *end = email + len;
    int labels = 0;
    while (d <= end) {
        const char *dot = memchr(d, '.', (size_t)(end - d));
        const char *label_end = dot != NULL ? dot : end;
        if (label_end == d)
            return 0;
        labels++;
        d = label_end + 1;
    }
    return labels >= 2;
}
