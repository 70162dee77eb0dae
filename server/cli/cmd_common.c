/* cmd_common: what several commands share: opening the database the way the configuration
 * says, with the one error line every command prints when DATABASE_URL cannot be used; the
 * rule for an operator-given name and how listed names are printed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cli/commands.h"
#include "util/utf8.h"

struct db_pool *cmd_open_db(const struct cfg *cfg, enum cfg_db_use use, const char *what)
{
    struct db_config dbc;
    cfg_db_config(cfg, use, &dbc);
    struct db_pool *db = db_pool_new(&dbc);
    if (db == NULL)
        fprintf(stderr, "aam %s: DATABASE_URL is not a usable connection string\n", what);
    return db;
}

int cmd_name_valid(const char *s, size_t max_chars)
{
    size_t len = strlen(s);
    if (!utf8_is_display_safe(s, len)) /* also checks the UTF-8 */
        return 0;
    int blank = s[strspn(s, " ")] == '\0';
    size_t chars = utf8_count(s, len);
    return chars > 0 && chars <= max_chars && !blank;
}

void cmd_print_row(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    for (const char *field = first, *sep = ""; field != NULL; field = va_arg(ap, const char *)) {
        char *shown = utf8_escape_display(field);
        printf("%s%s", sep, shown);
        free(shown);
        sep = "\t";
    }
    va_end(ap);
    putchar('\n');
}
