/* cmd_common: what several commands share: opening the database the way the configuration
 * says, with the one error line every command prints when DATABASE_URL cannot be used; the
 * rule for an operator-given name. */
#include <stdio.h>
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
    size_t len = strlen(s), chars = 0;
    int blank = 1;
    for (size_t i = 0; i < len; chars++) {
        size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);
        unsigned char c = (unsigned char)s[i];
        if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7f)))
            return 0;
        blank &= c == ' ';
        i += n;
    }
    return chars > 0 && chars <= max_chars && !blank;
}
