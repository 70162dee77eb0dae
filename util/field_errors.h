/* field_errors: the list validation code returns: one {field, message} per offending input
 * field, in the order found. It knows nothing of HTTP; the request/response model turns a
 * list into a 422 (http_res_field_errors), other callers may print it. */
#ifndef AAM_FIELD_ERRORS_H
#define AAM_FIELD_ERRORS_H

#include <stddef.h>

struct field_error {
    char *field;   /* owned */
    char *message; /* owned */
};

struct field_errors {
    struct field_error *items;
    size_t n;
    size_t _cap;
};

#define FIELD_ERRORS_INIT                                                                          \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Appends a copy of field and message (xalloc: cannot fail). */
void field_errors_add(struct field_errors *fe, const char *field, const char *message);

/* Frees every entry and leaves fe empty and usable; safe to call twice. */
void field_errors_free(struct field_errors *fe);

#endif
