/* handler_test: what every handler test needs: a configuration, a request as the HTTP core
 * would hand it over (method, body, query, route captures, the token's identity), and the
 * response as a client would see it (http_render: status and bytes). Header-only; each test
 * binary includes it once. */
#ifndef AAM_TEST_HANDLER_TEST_H
#define AAM_TEST_HANDLER_TEST_H

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/config.h"
#include "server/http/http_model.h"
#include "tests/unit/server/handlers/db_script.h"

#define HT_SECRET "0123456789abcdef0123456789abcdef"

struct ht {
    struct cfg cfg;
    struct jwt_identity who;
    struct http_kv query[4];
    struct http_req req;
    struct http_res res;
    int status;     /* after ht_render */
    char *body;     /* after ht_render; freed by ht_done */
    json_t *doc;    /* body parsed, when JSON */
    char path[160]; /* a request path built by a test (req.path may point here) */
};

static inline void ht_init(struct ht *t, const char *method, const char *path)
{
    memset(t, 0, sizeof *t);
    dbs_reset();
    t->cfg.jwt_secret = (char *)(uintptr_t)HT_SECRET;
    t->cfg.jwt_secret_len = strlen(HT_SECRET);
    t->cfg.jwt_ttl_s = 3600;
    t->cfg.refresh_ttl_s = 86400;
    t->cfg.login_max_failures = 5;
    t->cfg.login_max_failures_per_address = 100;
    t->cfg.login_window_s = 300;
    t->cfg.register_max_per_address = 20;
    t->cfg.max_connectors_per_tenant = 1000;
    t->cfg.sources_root = (char *)(uintptr_t) "/nonexistent-sources-root";
    t->req.method = method;
    t->req.path = path;
    t->req.request_id = "test";
    t->req.client_ip = "192.0.2.1";
    t->req.body = "";
    t->req.cfg = &t->cfg;
    t->req.db = NULL; /* the scripted seam ignores the pool */
    t->res = (struct http_res)HTTP_RES_INIT;
}

/* The request carries a verified token for namespace ns. */
static inline void ht_as(struct ht *t, const char *ns)
{
    snprintf(t->who.ns, sizeof t->who.ns, "%s", ns);
    snprintf(t->who.sub, sizeof t->who.sub, "user-1");
    snprintf(t->who.email, sizeof t->who.email, "a@example.com");
    t->req.who = &t->who;
}

static inline void ht_body(struct ht *t, const char *json)
{
    t->req.body = json;
    t->req.body_len = strlen(json);
    t->req.content_type = "application/json";
}

static inline void ht_param(struct ht *t, const char *value)
{
    t->req.params[t->req.n_params++] = value;
}

static inline void ht_query(struct ht *t, const char *name, const char *value)
{
    t->query[t->req.n_query] = (struct http_kv){(char *)(uintptr_t)name, (char *)(uintptr_t)value};
    t->req.n_query++;
    t->req.query = t->query;
}

/* Renders the response as the client gets it; parses a JSON body into t->doc. */
static inline void ht_render(struct ht *t)
{
    size_t len = 0;
    t->body = http_render(&t->res, &t->req, &t->status, &len);
    t->doc = t->body && len ? json_loadb(t->body, len, 0, NULL) : NULL;
}

/* Runs handler, renders, and checks the status. */
#define ht_run(t, handler, want_status)                                                            \
    do {                                                                                           \
        handler(&(t)->req, &(t)->res);                                                             \
        ht_render(t);                                                                              \
        ck_assert_msg((t)->status == (want_status), "status %d, want %d: %s", (t)->status,         \
                      (want_status), (t)->body ? (t)->body : "(no body)");                         \
    } while (0)

/* The string member key of the rendered JSON body (NULL when absent). */
static inline const char *ht_str(const struct ht *t, const char *key)
{
    return json_string_value(json_object_get(t->doc, key));
}

/* 1 when the problem body lists a field error for field. */
static inline int ht_field_error(const struct ht *t, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(t->doc, "errors"), i, e) {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
            return 1;
    }
    return 0;
}

static inline void ht_done(struct ht *t)
{
    json_decref(t->doc);
    free(t->body);
    http_res_free(&t->res);
    dbs_reset();
}

static inline int ht_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

#endif
