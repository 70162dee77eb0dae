/* handlers/ui: serves web/ from the binary. The files are pulled in with .incbin (as docs.c
 * does with the OpenAPI document; the Makefile makes this object depend on every file in web/), so the UI
 * and the API it calls cannot drift apart on disk, and a deploy is still one file. */
#include "server/handlers/ui.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

/* One embedded file: a start and an end symbol around its bytes. */
#define UI_EMBED(sym, path)                                                                        \
    ".global " #sym "_start\n" #sym "_start:\n"                                                    \
    ".incbin \"" path "\"\n"                                                                       \
    ".global " #sym "_end\n" #sym "_end:\n"

/* One file per line reads better than the formatter's packing. */
// clang-format off
__asm__(".section .rodata\n"
        UI_EMBED(ui_index_html, "web/index.html")
        UI_EMBED(ui_app_js, "web/app.js")
        UI_EMBED(ui_api_js, "web/api.js")
        UI_EMBED(ui_connections_js, "web/connections.js")
        UI_EMBED(ui_dom_js, "web/dom.js")
        UI_EMBED(ui_files_js, "web/files.js")
        UI_EMBED(ui_ui_js, "web/ui.js")
        UI_EMBED(ui_form_js, "web/form.js")
        UI_EMBED(ui_history_js, "web/history.js")
        UI_EMBED(ui_members_js, "web/members.js")
        UI_EMBED(ui_webhooks_js, "web/webhooks.js")
        UI_EMBED(ui_style_css, "web/style.css")
        UI_EMBED(ui_favicon_svg, "web/favicon.svg")
        ".previous\n");
// clang-format on

#define UI_EXTERN(sym) extern const unsigned char sym##_start[], sym##_end[]
UI_EXTERN(ui_index_html);
UI_EXTERN(ui_app_js);
UI_EXTERN(ui_api_js);
UI_EXTERN(ui_connections_js);
UI_EXTERN(ui_dom_js);
UI_EXTERN(ui_files_js);
UI_EXTERN(ui_ui_js);
UI_EXTERN(ui_form_js);
UI_EXTERN(ui_history_js);
UI_EXTERN(ui_members_js);
UI_EXTERN(ui_webhooks_js);
UI_EXTERN(ui_style_css);
UI_EXTERN(ui_favicon_svg);

#define UI_HTML "text/html; charset=utf-8"
#define UI_JS "text/javascript; charset=utf-8"
#define UI_CSS "text/css; charset=utf-8"
#define UI_SVG "image/svg+xml"
/* Unversioned names: the browser must revalidate each time, and the ETag makes that a 304. */
#define UI_CACHE_CONTROL "no-cache"

struct ui_entry {
    const char *name;
    const char *content_type;
    const unsigned char *start, *end;
};

static const struct ui_entry entries[] = {
    {"index.html", UI_HTML, ui_index_html_start, ui_index_html_end},
    {"app.js", UI_JS, ui_app_js_start, ui_app_js_end},
    {"api.js", UI_JS, ui_api_js_start, ui_api_js_end},
    {"connections.js", UI_JS, ui_connections_js_start, ui_connections_js_end},
    {"dom.js", UI_JS, ui_dom_js_start, ui_dom_js_end},
    {"files.js", UI_JS, ui_files_js_start, ui_files_js_end},
    {"ui.js", UI_JS, ui_ui_js_start, ui_ui_js_end},
    {"form.js", UI_JS, ui_form_js_start, ui_form_js_end},
    {"history.js", UI_JS, ui_history_js_start, ui_history_js_end},
    {"members.js", UI_JS, ui_members_js_start, ui_members_js_end},
    {"webhooks.js", UI_JS, ui_webhooks_js_start, ui_webhooks_js_end},
    {"style.css", UI_CSS, ui_style_css_start, ui_style_css_end},
    {"favicon.svg", UI_SVG, ui_favicon_svg_start, ui_favicon_svg_end},
};

#define N_FILES (sizeof entries / sizeof entries[0])

static struct ui_file files[N_FILES];
static char etags[N_FILES][24];
static pthread_once_t files_once = PTHREAD_ONCE_INIT;

static void on_files_init(void)
{
    for (size_t i = 0; i < N_FILES; i++) {
        size_t len = (size_t)(entries[i].end - entries[i].start);
        snprintf(etags[i], sizeof etags[i], "\"%016llx\"",
                 (unsigned long long)hash_fnv1a(HASH_FNV1A_INIT, entries[i].start, len));
        files[i] = (struct ui_file){entries[i].name, entries[i].content_type, entries[i].start, len,
                                    etags[i]};
    }
}

const struct ui_file *ui_files(size_t *n)
{
    pthread_once(&files_once, on_files_init);
    *n = N_FILES;
    return files;
}

const struct ui_file *ui_find(const char *name)
{
    size_t n = 0;
    const struct ui_file *all = ui_files(&n);
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(all[i].name, name) == 0)
            return &all[i];
    }
    return NULL;
}

int ui_etag_matches(const char *if_none_match, const char *etag)
{
    if (if_none_match == NULL)
        return 0;
    size_t elen = strlen(etag);
    const char *p = if_none_match;
    for (;;) {
        p += strspn(p, " \t,");
        if (*p == '\0')
            return 0;
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        size_t len = strcspn(p, ",");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == elen && memcmp(p, etag, elen) == 0)
            return 1;
        p += strcspn(p, ",");
    }
}

static void serve(const struct http_req *req, const struct ui_file *f, struct http_res *res)
{
    res->etag = f->etag;
    res->cache_control = UI_CACHE_CONTROL;
    if (ui_etag_matches(req->if_none_match, f->etag)) {
        res->status = 304;
        return;
    }
    char *copy = xmalloc(f->len); /* the one allocation policy: aborts on out-of-memory */
    memcpy(copy, f->data, f->len);
    http_res_raw_json(res, 200, copy, f->len);
    res->content_type = f->content_type;
}

void ui_index(const struct http_req *req, struct http_res *res)
{
    serve(req, ui_find("index.html"), res);
}

void ui_asset(const struct http_req *req, struct http_res *res)
{
    const struct ui_file *f = ui_find(req->n_params > 0 ? req->params[0] : NULL);
    if (f == NULL) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such file");
        return;
    }
    serve(req, f, res);
}
