/* libFuzzer target: the login form body (application/x-www-form-urlencoded, the OAuth2
 * password flow) through auth_parse_login, with path_decode_component behind it. The input is
 * the body. A small reference decoder, written apart from the code under test, says what the
 * body holds; the parser must agree: accepted exactly when there is one user field (username
 * or email) and one password, every escape is well-formed, both are UTF-8 and the lengths are
 * within bounds, with the same decoded values. Never a crash or a leak. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/handlers/auth_parse.h"
#include "server/http/http.h"
#include "server/core/password.h"
#include "tests/fuzz/fuzz_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref {
    int bad_escape, dup_user, dup_pw;
    char *user, *pw; /* decoded, NUL-terminated; NULL when absent */
    size_t user_len, pw_len;
};

static void ref_parse(const char *body, size_t len, struct ref *r, char *scratch)
{
    const char *p = body, *end = body + len;
    memset(r, 0, sizeof *r);
    while (p < end && !r->bad_escape) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t n = amp ? (size_t)(amp - p) : (size_t)(end - p);
        if (amp == p) { /* an empty pair ("&&") */
            p++;
            continue;
        }
        const char *eq = memchr(p, '=', n);
        size_t nlen = eq ? (size_t)(eq - p) : n;
        char *name = scratch, *value = scratch + nlen + 1;
        long a = ref_decode(p, nlen, name), b = eq ? ref_decode(eq + 1, n - nlen - 1, value) : 0;
        if (a < 0 || b < 0) {
            r->bad_escape = 1;
            break;
        }
        name[a] = '\0';
        int is_user = strcmp(name, "username") == 0 || strcmp(name, "email") == 0;
        int is_pw = strcmp(name, "password") == 0;
        if (is_user && r->user) {
            r->dup_user = 1;
        } else if (is_user) {
            r->user = strndup(value, (size_t)b);
            r->user_len = (size_t)b;
        } else if (is_pw && r->pw) {
            r->dup_pw = 1;
        } else if (is_pw) {
            r->pw = strndup(value, (size_t)b);
            r->pw_len = (size_t)b;
        }
        p += n + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size + 1), *scratch = malloc(size + 2);
    memcpy(body, data, size);
    body[size] = '\0';
    struct http_req req = {.method = "POST",
                           .path = "/api/v1/auth/login",
                           .content_type = "application/x-www-form-urlencoded; charset=utf-8",
                           .body = body,
                           .body_len = size};
    struct http_res res = HTTP_RES_INIT;
    struct auth_input in;
    struct ref r;
    int rc = auth_parse_login(&req, &in, &res);
    ref_parse(body, size, &r, scratch);

    int expect_ok = !r.bad_escape && !r.dup_user && !r.dup_pw && r.user && r.pw &&
                    r.user_len >= 1 && r.user_len <= AUTH_EMAIL_MAX && r.pw_len >= 1 &&
                    r.pw_len <= PASSWORD_MAX_LEN && utf8_ok(r.user) && utf8_ok(r.pw);
    assert((rc == 0) == expect_ok);
    if (rc == 0) {
        assert(res.err == APP_OK && res.errors == NULL);
        /* kept as sent: PostgreSQL's lower() is the one normalisation (handlers/auth.c) */
        assert(strcmp(in.email, r.user) == 0);
        assert(in.password_len == r.pw_len && memcmp(in.password, r.pw, r.pw_len) == 0);
    } else if (r.bad_escape) {
        assert(res.err == APP_ERR_BAD_REQUEST && res.errors == NULL);
    } else {
        assert(res.err == APP_ERR_VALIDATION && json_array_size(res.errors) >= 1);
    }
    auth_input_free(&in);
    auth_input_free(&in);
    http_res_free(&res);
    free(r.user);
    free(r.pw);
    free(scratch);
    free(body);
    return 0;
}
