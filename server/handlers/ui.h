/* handlers/ui: the Connections tab (GET / and GET /assets/{file}), static files from web/
 * embedded into the binary at build time. Every answer carries an ETag and Cache-Control:
 * no-cache, so a browser revalidates (304) instead of keeping a stale UI after an upgrade. */
#ifndef AAM_HANDLERS_UI_H
#define AAM_HANDLERS_UI_H

#include <stddef.h>

#include "server/http/http_model.h"

struct ui_file {
    const char *name;         /* "app.js": the file's name under web/ and under /assets/ */
    const char *content_type; /* static */
    const unsigned char *data;
    size_t len;
    const char *etag; /* quoted strong validator, e.g. "\"9c1f…\"" */
};

/* The embedded file called name (no directory part), or NULL. Lives as long as the process. */
const struct ui_file *ui_find(const char *name);

/* Every embedded file, for tests; *n is set to their number. */
const struct ui_file *ui_files(size_t *n);

/* 1 when an If-None-Match header value (NULL: absent) matches etag, by the weak comparison
 * RFC 9110 §13.1.2 prescribes for it: a W/ prefix is ignored, "*" matches anything. */
int ui_etag_matches(const char *if_none_match, const char *etag);

/* GET / : index.html. */
void ui_index(const struct http_req *req, struct http_res *res);

/* GET /assets/{file}: one embedded file; 404 problem+json for any other name. */
void ui_asset(const struct http_req *req, struct http_res *res);

#endif
