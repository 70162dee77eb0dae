/* url: connection strings for humans. db_url_redacted keeps a URL's shape but replaces the
 * password with "***", in both libpq forms: URI (postgresql://user:secret@host/db?password=x)
 * and key=value (host=h password='s e c'). db_url_parts_get asks libpq (PQconninfoParse) for
 * host, port, dbname, user and whether a password is present, for db_describe. */
#include <ctype.h>
#include <string.h>

#include "db/db_internal.h"
#include "util/hex.h"

#define REDACTED "***"

/* A growable output string. */
struct sbuf {
    char *s;
    size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static int is_uri(const char *s)
{
    return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

/* Compares a percent-encoded URI query key [p, p+n) with a plain word. */
static int key_is(const char *p, size_t n, const char *word)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++, w++) {
        int ch = (unsigned char)p[i];
        if (ch == '%' && i + 2 < n && hex_value(p[i + 1]) >= 0 && hex_value(p[i + 2]) >= 0) {
            ch = hex_value(p[i + 1]) * 16 + hex_value(p[i + 2]);
            i += 2;
        }
        if (word[w] == '\0' || word[w] != ch)
            return 0;
    }
    return word[w] == '\0';
}

/* URI form: the userinfo's password (user:PASSWORD@) and any password= query parameter. */
static void redact_uri(struct sbuf *b, const char *url)
{
    const char *p = strstr(url, "://") + 3;
    const char *auth_end = p + strcspn(p, "/?");
    const char *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            at = q; /* the last '@': a password may not contain a raw '@', but be safe */
    sb_add(b, url, (size_t)(p - url));
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon != NULL) {
            sb_add(b, p, (size_t)(colon + 1 - p));
            sb_str(b, REDACTED);
            p = at;
        }
    }
    const char *qm = strchr(p, '?');
    if (qm == NULL) {
        sb_str(b, p);
        return;
    }
    sb_add(b, p, (size_t)(qm + 1 - p));
    for (const char *q = qm + 1; *q;) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        if (eq != NULL && key_is(q, (size_t)(eq - q), "password")) {
            sb_add(b, q, (size_t)(eq + 1 - q));
            sb_str(b, REDACTED);
        } else {
            sb_add(b, q, len);
        }
        q += len;
        if (*q == '&')
            sb_add(b, q++, 1);
    }
}

/* key=value form, tokenised as libpq does: key, optional spaces, '=', optional spaces, then a
 * value that is either single-quoted (backslash escapes) or runs to the next space (backslash
 * escapes too). Returns -1 on a malformed string (no '=' or an unterminated quote). */
static int redact_kv(struct sbuf *b, const char *s)
{
    const char *p = s;
    while (*p) {
        const char *start = p;
        while (isspace((unsigned char)*p))
            p++;
        const char *key = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            p++;
        size_t klen = (size_t)(p - key);
        if (klen == 0 && *p == '\0') {
            sb_str(b, start);
            break;
        }
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '=' || klen == 0)
            return -1;
        p++;
        while (isspace((unsigned char)*p))
            p++;
        const char *val = p;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p != '\'')
                return -1;
            p++;
        } else {
            for (; *p && !isspace((unsigned char)*p); p++)
                if (*p == '\\' && p[1])
                    p++;
        }
        sb_add(b, start, (size_t)(val - start));
        if (klen == 8 && strncmp(key, "password", 8) == 0) {
            sb_str(b, REDACTED);
        } else if (is_uri(val)) { /* dbname may itself be a URI with a password */
            char *v = xstrdup(val);
            v[p - val] = '\0';
            redact_uri(b, v);
            free(v);
        } else {
            sb_add(b, val, (size_t)(p - val));
        }
    }
    return 0;
}

char *db_url_redacted(const char *url)
{
    struct sbuf b = {0};
    if (url == NULL)
        return NULL;
    sb_add(&b, "", 0);
    if (is_uri(url)) {
        redact_uri(&b, url);
    } else if (redact_kv(&b, url) != 0) {
        /* Cannot tell where a password would be: show nothing of it. */
        free(b.s);
        return xstrdup("(unparseable connection string)");
    }
    return b.s;
}

static char *dup_or_null(const char *s)
{
    return s && s[0] ? xstrdup(s) : NULL;
}

int db_url_parts_get(const char *url, struct db_url_parts *out)
{
    memset(out, 0, sizeof *out);
    char *errmsg = NULL;
    PQconninfoOption *opts = url ? PQconninfoParse(url, &errmsg) : NULL;
    if (opts == NULL) {
        PQfreemem(errmsg);
        return -1;
    }
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        if (strcmp(o->keyword, "host") == 0 || (strcmp(o->keyword, "hostaddr") == 0 && !out->host)) {
            free(out->host); /* host wins over hostaddr: it is what the operator wrote */
            out->host = dup_or_null(o->val);
        } else if (strcmp(o->keyword, "port") == 0)
            out->port = dup_or_null(o->val);
        else if (strcmp(o->keyword, "dbname") == 0)
            out->dbname = dup_or_null(o->val);
        else if (strcmp(o->keyword, "user") == 0)
            out->user = dup_or_null(o->val);
        else if (strcmp(o->keyword, "password") == 0)
            out->has_password = 1;
    }
    PQconninfoFree(opts);
    return 0;
}

void db_url_parts_free(struct db_url_parts *parts)
{
    if (parts == NULL)
        return;
    free(parts->host);
    free(parts->port);
    free(parts->dbname);
    free(parts->user);
    memset(parts, 0, sizeof *parts);
}
