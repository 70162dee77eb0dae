/* field_errors: a growable list of {field, message} (see field_errors.h). */
#include "util/field_errors.h"

#include <stdlib.h>

#include "util/xalloc.h"

void field_errors_add(struct field_errors *fe, const char *field, const char *message)
{
    if (fe->n == fe->_cap) {
        fe->_cap = fe->_cap ? fe->_cap * 2 : 4;
        fe->items = xrealloc(fe->items, fe->_cap * sizeof *fe->items);
    }
    fe->items[fe->n].field = xstrdup(field);
    fe->items[fe->n].message = xstrdup(message);
    fe->n++;
}

void field_errors_free(struct field_errors *fe)
{
    for (size_t i = 0; i < fe->n; i++) {
        free(fe->items[i].field);
        free(fe->items[i].message);
    }
    free(fe->items);
    *fe = (struct field_errors)FIELD_ERRORS_INIT;
}
