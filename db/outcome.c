/* outcome: the words the per-table functions' idempotent writes answer with ('created',
 * 'updated', 'unchanged') and their names for output. Apart from result.c so that the handler
 * tests, which replace db/'s plumbing with a scripted seam, still link the per-table files. */
#include <string.h>

#include "db/db_internal.h"

/* Indexed by enum db_outcome. */
static const char *const OUTCOME_NAMES[] = {"created", "updated", "unchanged", "deleted",
                                            "no tenant"};

const char *db_outcome_name(enum db_outcome o)
{
    if ((unsigned)o >= sizeof OUTCOME_NAMES / sizeof OUTCOME_NAMES[0])
        return "?";
    return OUTCOME_NAMES[o];
}

enum db_outcome db_outcome_parse(const char *word)
{
    if (word != NULL && strcmp(word, "created") == 0)
        return DB_OUTCOME_CREATED;
    if (word != NULL && strcmp(word, "updated") == 0)
        return DB_OUTCOME_UPDATED;
    return DB_OUTCOME_UNCHANGED;
}
