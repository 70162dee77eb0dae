/* Unit tests for server/auth.c: the token verification matrix (tokens forged with libjwt
 * directly: alg none, HS384/HS512 with the same secret, wrong key, tampering, every time and
 * identity claim), the Authorization header forms, minting round trips, and the namespace
 * rule, and the memo of verified tokens (a remembered token is still refused once expired, and
 * never answers for another secret or other bytes). Time is passed in, so expiry cases need no
 * sleeping. */
#include <check.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/access.h"
#include "server/core/jwt.h"
#include "server/core/jwt_memo.h"

#define SECRET "test-secret-0123456789abcdef0123456789abcdef"
#define NOW 1700000000L

/* Signs claims (a JSON object text) with alg and key using libjwt; returns "Bearer <jwt>"
 * in a static buffer. */
static const char *forge(jwt_alg_t alg, const char *key, const char *claims)
{
    static char header[8192];
    jwt_t *jwt = NULL;
    ck_assert_int_eq(jwt_new(&jwt), 0);
    ck_assert_int_eq(jwt_add_grants_json(jwt, claims), 0);
    if (alg == JWT_ALG_NONE)
        ck_assert_int_eq(jwt_set_alg(jwt, alg, NULL, 0), 0);
    else
        ck_assert_int_eq(jwt_set_alg(jwt, alg, (const unsigned char *)key, (int)strlen(key)), 0);
    char *tok = jwt_encode_str(jwt);
    ck_assert_ptr_nonnull(tok);
    snprintf(header, sizeof header, "Bearer %s", tok);
    free(tok);
    jwt_free(jwt);
    return header;
}

static int verify(const char *header, long now, struct jwt_identity *id, const char **why)
{
    return jwt_verify_bearer(header, SECRET, strlen(SECRET), (time_t)now, id, why);
}

/* ------------------------------------------------------------------ claim matrix */

struct claim_case {
    const char *name;
    jwt_alg_t alg;
    const char *key;
    const char *claims;
    int ok;   /* 1: must verify */
    long now; /* the verifier's clock; 0 = NOW */
};

/* iat 1699999000, exp 1700003600 unless the case is about them; NOW = 1700000000. */
#define GOOD_TIMES "\"iat\":1699999000,\"exp\":1700003600"
#define ID "\"iss\":\"aam\",\"sub\":\"u1\",\"namespace\":\"acme\""

static const struct claim_case claim_cases[] = {
    {"minimal PyJWT-style claims", JWT_ALG_HS256, SECRET, "{" ID "," GOOD_TIMES "}", 1, 0},
    {"every claim", JWT_ALG_HS256, SECRET,
     "{" ID
     ",\"tenant_id\":\"t-1\",\"email\":\"a@b.co\",\"jti\":\"x\",\"nbf\":1699999000," GOOD_TIMES "}",
     1, 0},
    {"alg none", JWT_ALG_NONE, NULL, "{" ID "," GOOD_TIMES "}", 0, 0},
    {"HS384 with the same secret", JWT_ALG_HS384, SECRET, "{" ID "," GOOD_TIMES "}", 0, 0},
    {"HS512 with the same secret", JWT_ALG_HS512, SECRET, "{" ID "," GOOD_TIMES "}", 0, 0},
    {"HS256 with another secret", JWT_ALG_HS256, "another-secret-0123456789abcdef0123456789",
     "{" ID "," GOOD_TIMES "}", 0, 0},
    {"expired beyond the leeway", JWT_ALG_HS256, SECRET,
     "{" ID ",\"iat\":1699990000,\"exp\":1699999970}", 0, 0},
    {"expired exactly at the leeway", JWT_ALG_HS256, SECRET,
     "{" ID ",\"iat\":1699990000,\"exp\":1700000000}", 0, 1700000000L + JWT_LEEWAY_S},
    {"expired within the leeway", JWT_ALG_HS256, SECRET,
     "{" ID ",\"iat\":1699990000,\"exp\":1699999990}", 1, 0},
    {"exp missing", JWT_ALG_HS256, SECRET, "{" ID ",\"iat\":1699999000}", 0, 0},
    {"exp a string", JWT_ALG_HS256, SECRET, "{" ID ",\"exp\":\"1700003600\"}", 0, 0},
    {"exp a float", JWT_ALG_HS256, SECRET, "{" ID ",\"exp\":1700003600.5}", 0, 0},
    {"exp a boolean", JWT_ALG_HS256, SECRET, "{" ID ",\"exp\":true}", 0, 0},
    {"exp an object", JWT_ALG_HS256, SECRET, "{" ID ",\"exp\":{\"t\":1700003600}}", 0, 0},
    {"nbf in the future", JWT_ALG_HS256, SECRET, "{" ID ",\"nbf\":1700000031," GOOD_TIMES "}", 0, 0},
    {"nbf within the leeway", JWT_ALG_HS256, SECRET, "{" ID ",\"nbf\":1700000020," GOOD_TIMES "}",
     1, 0},
    {"nbf a string", JWT_ALG_HS256, SECRET, "{" ID ",\"nbf\":\"0\"," GOOD_TIMES "}", 0, 0},
    {"nbf a float", JWT_ALG_HS256, SECRET, "{" ID ",\"nbf\":0.0," GOOD_TIMES "}", 0, 0},
    {"nbf null", JWT_ALG_HS256, SECRET, "{" ID ",\"nbf\":null," GOOD_TIMES "}", 0, 0},
    {"nbf the integer 0", JWT_ALG_HS256, SECRET, "{" ID ",\"nbf\":0," GOOD_TIMES "}", 1, 0},
    {"iat in the future", JWT_ALG_HS256, SECRET, "{" ID ",\"iat\":1700000100,\"exp\":1700003600}",
     0, 0},
    {"iat a string", JWT_ALG_HS256, SECRET, "{" ID ",\"iat\":\"x\",\"exp\":1700003600}", 0, 0},
    {"iat a float", JWT_ALG_HS256, SECRET, "{" ID ",\"iat\":1.0,\"exp\":1700003600}", 0, 0},
    {"iat absent", JWT_ALG_HS256, SECRET, "{" ID ",\"exp\":1700003600}", 1, 0},
    {"iss wrong", JWT_ALG_HS256, SECRET,
     "{\"iss\":\"evil\",\"sub\":\"u1\",\"namespace\":\"acme\"," GOOD_TIMES "}", 0, 0},
    {"iss missing", JWT_ALG_HS256, SECRET, "{\"sub\":\"u1\",\"namespace\":\"acme\"," GOOD_TIMES "}",
     0, 0},
    {"iss not a string", JWT_ALG_HS256, SECRET,
     "{\"iss\":1,\"sub\":\"u1\",\"namespace\":\"acme\"," GOOD_TIMES "}", 0, 0},
    {"namespace missing", JWT_ALG_HS256, SECRET, "{\"iss\":\"aam\",\"sub\":\"u1\"," GOOD_TIMES "}",
     0, 0},
    {"namespace upper case", JWT_ALG_HS256, SECRET,
     "{\"iss\":\"aam\",\"sub\":\"u1\",\"namespace\":\"Acme\"," GOOD_TIMES "}", 0, 0},
    {"namespace with a slash", JWT_ALG_HS256, SECRET,
     "{\"iss\":\"aam\",\"sub\":\"u1\",\"namespace\":\"a/b\"," GOOD_TIMES "}", 0, 0},
    {"namespace empty", JWT_ALG_HS256, SECRET,
     "{\"iss\":\"aam\",\"sub\":\"u1\",\"namespace\":\"\"," GOOD_TIMES "}", 0, 0},
    {"namespace a number", JWT_ALG_HS256, SECRET,
     "{\"iss\":\"aam\",\"sub\":\"u1\",\"namespace\":7," GOOD_TIMES "}", 0, 0},
    {"namespace 64 characters", JWT_ALG_HS256, SECRET,
     "{\"iss\":\"aam\",\"sub\":\"u1\",\"namespace\":"
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"," GOOD_TIMES "}",
     0, 0},
    {"sub missing", JWT_ALG_HS256, SECRET,
     "{\"iss\":\"aam\",\"namespace\":\"acme\"," GOOD_TIMES "}", 0, 0},
    {"sub empty", JWT_ALG_HS256, SECRET,
     "{\"iss\":\"aam\",\"sub\":\"\",\"namespace\":\"acme\"," GOOD_TIMES "}", 0, 0},
    {"sub a number", JWT_ALG_HS256, SECRET,
     "{\"iss\":\"aam\",\"sub\":42,\"namespace\":\"acme\"," GOOD_TIMES "}", 0, 0},
    {"role viewer", JWT_ALG_HS256, SECRET, "{" ID ",\"role\":\"viewer\"," GOOD_TIMES "}", 1, 0},
    {"role unknown", JWT_ALG_HS256, SECRET, "{" ID ",\"role\":\"root\"," GOOD_TIMES "}", 0, 0},
    {"role in capitals", JWT_ALG_HS256, SECRET, "{" ID ",\"role\":\"ADMIN\"," GOOD_TIMES "}", 0, 0},
    {"a client's scope", JWT_ALG_HS256, SECRET,
     "{" ID ",\"scope\":\"connectors:read events:read\"," GOOD_TIMES "}", 1, 0},
    {"a scope word no replica knows yet", JWT_ALG_HS256, SECRET,
     "{" ID ",\"scope\":\"connectors:read billing:read\"," GOOD_TIMES "}", 1, 0},
    {"role and scope together", JWT_ALG_HS256, SECRET,
     "{" ID ",\"role\":\"admin\",\"scope\":\"connectors:read\"," GOOD_TIMES "}", 0, 0},
    {"email longer than any address", JWT_ALG_HS256, SECRET,
     "{" ID ",\"email\":\"" /* 300 bytes */
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "\"," GOOD_TIMES "}",
     0, 0},
};

START_TEST(test_auth_claim_matrix)
{
    const struct claim_case *c = &claim_cases[_i];
    struct jwt_identity id;
    const char *why = NULL;
    int rc = verify(forge(c->alg, c->key, c->claims), c->now ? c->now : NOW, &id, &why);
    if (c->ok) {
        ck_assert_msg(rc == 0, "%s: refused (%s)", c->name, why ? why : "?");
        ck_assert_str_eq(id.ns, "acme");
        ck_assert_str_eq(id.sub, "u1");
        ck_assert_ptr_null(why);
    } else {
        ck_assert_msg(rc == -1, "%s: accepted", c->name);
        ck_assert_ptr_nonnull(why);
        ck_assert_str_eq(id.ns, ""); /* nothing half-filled leaks out */
        ck_assert_str_eq(id.sub, "");
    }
}
END_TEST

/* A token made by an independent HS256 implementation exactly as PyJWT lays it out
 * ({"alg","typ"} header, compact JSON): what the benchmark and third-party callers send. */
static const char PYJWT_TOKEN[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJuYW1lc3BhY2UiOiJiZW5jaCIsInN1YiI6ImJlbmNoLXVzZXIiLCJpc3MiOiJhYW0iLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMH0."
    "kxfQuoQFT3rhZedI0MAfK3q7Ese1j7FmXAXTcdluMdc";

START_TEST(test_auth_accepts_pyjwt_token)
{
    char header[512];
    struct jwt_identity id;
    const char *why = NULL;
    snprintf(header, sizeof header, "Bearer %s", PYJWT_TOKEN);
    ck_assert_int_eq(verify(header, NOW + 60, &id, &why), 0);
    ck_assert_str_eq(id.ns, "bench");
    ck_assert_str_eq(id.sub, "bench-user");
    ck_assert_str_eq(id.tenant_id, "");
    ck_assert_str_eq(id.email, "");
    /* Past exp + leeway the same token is refused. */
    ck_assert_int_eq(verify(header, 1700003600L + JWT_LEEWAY_S, &id, &why), -1);
}
END_TEST

START_TEST(test_auth_refuses_tampering)
{
    char header[8192];
    struct jwt_identity id;
    const char *why = NULL;
    snprintf(header, sizeof header, "%s", forge(JWT_ALG_HS256, SECRET, "{" ID "," GOOD_TIMES "}"));
    ck_assert_int_eq(verify(header, NOW, &id, &why), 0);

    /* Swap the payload for one claiming another namespace, keeping the signature. */
    char *dot1 = strchr(header, '.'), *dot2 = strchr(dot1 + 1, '.');
    char forged[8192];
    const char *other = forge(JWT_ALG_HS256, "some-other-key-0123456789abcdef0123",
                              "{\"iss\":\"aam\",\"sub\":\"u1\",\"namespace\":\"victim\"," GOOD_TIMES
                              "}");
    const char *o1 = strchr(other, '.'), *o2 = strchr(o1 + 1, '.');
    snprintf(forged, sizeof forged, "%.*s%.*s%s", (int)(dot1 - header), header, (int)(o2 - o1), o1,
             dot2);
    ck_assert_int_eq(verify(forged, NOW, &id, &why), -1);

    /* Flip one character of the signature. */
    size_t n = strlen(header);
    header[n - 2] = header[n - 2] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(verify(header, NOW, &id, &why), -1);
    /* Drop the signature entirely. */
    *(strrchr(header, '.') + 1) = '\0';
    ck_assert_int_eq(verify(header, NOW, &id, &why), -1);
}
END_TEST

/* ------------------------------------------------------------------ memo */

/* A token that passed is remembered; the memo answers only for the same bytes and secret, and
 * every answer still checks the time claims against the caller's clock. */
START_TEST(test_auth_memo_keeps_every_rule)
{
    char header[8192];
    struct jwt_identity id;
    const char *why = NULL;
    /* A jti no other test uses: under CK_FORK=no the memo outlives a test. */
    snprintf(header, sizeof header, "%s",
             forge(JWT_ALG_HS256, SECRET,
                   "{" ID
                   ",\"jti\":\"memo-test\",\"email\":\"a@b.co\",\"nbf\":1699999000," GOOD_TIMES
                   "}"));
    const char *tok = header + strlen("Bearer ");
    uint64_t sid = jwt_memo_secret_id(SECRET, strlen(SECRET));
    struct jwt_identity got;
    struct jwt_times times;
    ck_assert_int_eq(jwt_memo_get(tok, strlen(tok), sid, &got, &times), 0);
    ck_assert_int_eq(verify(header, NOW, &id, &why), 0);
    ck_assert_int_eq(jwt_memo_get(tok, strlen(tok), sid, &got, &times), 1); /* remembered */
    ck_assert_str_eq(got.ns, "acme");
    ck_assert_str_eq(got.email, "a@b.co");
    ck_assert_int_eq(times.exp, 1700003600LL);

    /* The second verification answers from the memo, with the same identity. */
    memset(&id, 0, sizeof id);
    ck_assert_int_eq(verify(header, NOW, &id, &why), 0);
    ck_assert_str_eq(id.ns, "acme");
    ck_assert_str_eq(id.sub, "u1");
    /* Expired, or before nbf: refused although remembered. */
    ck_assert_int_eq(verify(header, 1700003600L + JWT_LEEWAY_S, &id, &why), -1);
    ck_assert_str_eq(why, "token expired");
    ck_assert_str_eq(id.ns, ""); /* nothing of the identity is left behind */
    ck_assert_int_eq(verify(header, 1699999000L - JWT_LEEWAY_S - 1, &id, &why), -1);
    ck_assert_str_eq(why, "token not yet valid (nbf)");
    /* Another secret: the memo does not answer, the signature check refuses. */
    const char *other = "another-secret-0123456789abcdef0123456789";
    ck_assert_int_eq(jwt_verify_bearer(header, other, strlen(other), NOW, &id, &why), -1);
    /* One payload byte changed: same length, same signature, so the same memo slot; the whole
     * token is compared, the memo misses and the signature check refuses. */
    char *payload = strchr(header, '.') + 1, kept = payload[4];
    payload[4] = kept == 'A' ? 'B' : 'A';
    ck_assert_int_eq(verify(header, NOW, &id, &why), -1);
    payload[4] = kept;
    ck_assert_int_eq(verify(header, NOW, &id, &why), 0); /* restored: remembered again */
    /* One signature character changed: refused. */
    size_t n = strlen(header);
    header[n - 3] = header[n - 3] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(verify(header, NOW, &id, &why), -1);
}
END_TEST

/* A token longer than the memo holds (here with a claim we ignore) is verified every time. */
START_TEST(test_auth_memo_skips_long_tokens)
{
    char claims[1024], header[8192];
    struct jwt_identity id;
    const char *why = NULL;
    snprintf(claims, sizeof claims, "{" ID ",\"pad\":\"%0600d\"," GOOD_TIMES "}", 0);
    snprintf(header, sizeof header, "%s", forge(JWT_ALG_HS256, SECRET, claims));
    const char *tok = header + strlen("Bearer ");
    ck_assert_uint_gt(strlen(tok), JWT_MEMO_MAX_TOKEN);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(verify(header, NOW, &id, &why), 0);
        ck_assert_str_eq(id.ns, "acme");
    }
    struct jwt_times times;
    ck_assert_int_eq(jwt_memo_get(tok, strlen(tok), jwt_memo_secret_id(SECRET, strlen(SECRET)), &id,
                                  &times),
                     0);
    ck_assert_int_eq(verify(header, 1700003600L + JWT_LEEWAY_S, &id, &why), -1);
}
END_TEST

/* ------------------------------------------------------------------ header forms */

START_TEST(test_auth_header_forms)
{
    struct jwt_identity id;
    const char *why = NULL;
    char tok[8192], h[8300];
    snprintf(tok, sizeof tok, "%s", forge(JWT_ALG_HS256, SECRET, "{" ID "," GOOD_TIMES "}") + 7);

    /* {text before the token, text after it} */
    const char *ok_forms[][2] = {{"Bearer ", ""},
                                 {"bearer ", ""},
                                 {"BEARER ", ""},
                                 {"Bearer   ", ""},
                                 {"bEaReR\t", ""}};
    for (size_t i = 0; i < sizeof ok_forms / sizeof ok_forms[0]; i++) {
        snprintf(h, sizeof h, "%s%s%s", ok_forms[i][0], tok, ok_forms[i][1]);
        ck_assert_msg(verify(h, NOW, &id, &why) == 0, "form %zu refused: %s", i, why);
    }
    const char *bad_forms[][2] = {{"Basic ", ""},   {"Bearer", ""},        {"Token ", ""},
                                  {"", ""},         {"Bearer ", " extra"}, {"Bearer ", "."},
                                  {"Bearerx ", ""}, {"Bearer ", "x"}};
    for (size_t i = 0; i < sizeof bad_forms / sizeof bad_forms[0]; i++) {
        snprintf(h, sizeof h, "%s%s%s", bad_forms[i][0], tok, bad_forms[i][1]);
        ck_assert_msg(verify(h, NOW, &id, &why) == -1, "bad form %zu accepted", i);
    }
    ck_assert_int_eq(verify(NULL, NOW, &id, &why), -1);
    ck_assert_str_eq(why, "missing credentials");
    ck_assert_int_eq(verify("", NOW, &id, &why), -1);
    ck_assert_int_eq(verify("Bearer", NOW, &id, &why), -1);
    ck_assert_int_eq(verify("Bearer ", NOW, &id, &why), -1);
    ck_assert_int_eq(verify("Basic dXNlcjpwYXNz", NOW, &id, &why), -1);
    ck_assert_int_eq(verify("Bearer not.a.jwt", NOW, &id, &why), -1);
    ck_assert_int_eq(verify("Bearer ...", NOW, &id, &why), -1);
    ck_assert_int_eq(verify("Bearer e30.e30.", NOW, &id, &why), -1); /* {} {} unsigned */

    /* Malformed shapes never reach libjwt (its base64 decoder overruns on empty segments). */
    char sig43[44];
    memset(sig43, 'A', 43);
    sig43[43] = '\0';
    /* {token text, append a 43-char signature} */
    const struct {
        const char *tok;
        int sig;
    } shapes[] = {
        {"...", 0},          {"...", 1},       {"a..", 1},          {".a.", 1},
        {"a.b.", 1},         {"e30.e30.", 0},  {"e30..", 1},        {".e30.", 1},
        {"e30.e30.e30.", 1}, {"e30=.e30.", 1}, {"e30.e3+.", 1},     {"e30.e30", 0},
        {"e30", 0},          {"e30 .e30.", 1}, {"e30.e30.AAAA", 0}, {"e30.e30.", 2},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        /* sig 2: 86 characters, an HS512 MAC's length */
        snprintf(h, sizeof h, "Bearer %s%s%s", shapes[i].tok, shapes[i].sig ? sig43 : "",
                 shapes[i].sig == 2 ? sig43 : "");
        ck_assert_msg(verify(h, NOW, &id, &why) == -1, "shape %zu accepted", i);
        ck_assert_msg(strcmp(why, "not a compact HS256 JWS") == 0, "shape %zu: %s", i, why);
    }
    snprintf(h, sizeof h, "Bearer e30.e30.%s", sig43);
    ck_assert_int_eq(verify(h, NOW, &id, &why), -1); /* well-shaped: libjwt refuses it */
    ck_assert_str_eq(why, "malformed token or bad signature");

    /* A huge token is refused without being parsed. */
    char *big = malloc(20000);
    memcpy(big, "Bearer ", 7);
    memset(big + 7, 'a', 19990);
    big[19997] = '\0';
    ck_assert_int_eq(verify(big, NOW, &id, &why), -1);
    free(big);

    /* No secret configured: nothing verifies. */
    snprintf(h, sizeof h, "Bearer %s", tok);
    ck_assert_int_eq(jwt_verify_bearer(h, NULL, 0, NOW, &id, &why), -1);
    ck_assert_int_eq(jwt_verify_bearer(h, "", 0, NOW, &id, &why), -1);
}
END_TEST

/* ------------------------------------------------------------------ minting */

static struct jwt_identity make_id(const char *ns, const char *sub, const char *tenant,
                                   const char *email)
{
    struct jwt_identity id;
    memset(&id, 0, sizeof id);
    snprintf(id.ns, sizeof id.ns, "%s", ns);
    snprintf(id.sub, sizeof id.sub, "%s", sub);
    snprintf(id.tenant_id, sizeof id.tenant_id, "%s", tenant);
    snprintf(id.email, sizeof id.email, "%s", email);
    return id;
}

START_TEST(test_auth_mint_round_trip)
{
    struct jwt_identity in = make_id("demo", "9a1c0c1e-1111-4222-8333-944455556666",
                                     "5b8d7f2a-0000-4000-8000-000000000001",
                                     "demo@autonomos.local");
    char *tok = jwt_mint(&in, SECRET, strlen(SECRET), 3600, NOW);
    ck_assert_ptr_nonnull(tok);
    char h[4096];
    snprintf(h, sizeof h, "bearer %s", tok);
    struct jwt_identity out;
    const char *why = NULL;
    ck_assert_int_eq(verify(h, NOW, &out, &why), 0);
    ck_assert_str_eq(out.ns, in.ns);
    ck_assert_str_eq(out.sub, in.sub);
    ck_assert_str_eq(out.tenant_id, in.tenant_id);
    ck_assert_str_eq(out.email, in.email);
    /* Valid until exp + leeway, not a second longer. */
    ck_assert_int_eq(verify(h, NOW + 3600 + JWT_LEEWAY_S - 1, &out, &why), 0);
    ck_assert_int_eq(verify(h, NOW + 3600 + JWT_LEEWAY_S, &out, &why), -1);
    /* Not before it was issued (beyond the leeway). */
    ck_assert_int_eq(verify(h, NOW - JWT_LEEWAY_S - 1, &out, &why), -1);
    /* Another secret does not verify it. */
    ck_assert_int_eq(jwt_verify_bearer(h, "x-other-secret-0123456789abcdef012345", 37, NOW, &out,
                                       &why),
                     -1);

    /* The claims, as any JWT library would read them. */
    jwt_t *jwt = NULL;
    ck_assert_int_eq(jwt_decode(&jwt, tok, (const unsigned char *)SECRET, (int)strlen(SECRET)), 0);
    ck_assert_int_eq(jwt_get_alg(jwt), JWT_ALG_HS256);
    ck_assert_str_eq(jwt_get_grant(jwt, "iss"), "aam");
    ck_assert_str_eq(jwt_get_grant(jwt, "namespace"), "demo");
    ck_assert_int_eq(jwt_get_grant_int(jwt, "iat"), NOW);
    ck_assert_int_eq(jwt_get_grant_int(jwt, "nbf"), NOW);
    ck_assert_int_eq(jwt_get_grant_int(jwt, "exp"), NOW + 3600);
    const char *jti = jwt_get_grant(jwt, "jti");
    ck_assert_ptr_nonnull(jti);
    ck_assert_uint_eq(strlen(jti), 32);
    ck_assert_uint_eq(strspn(jti, "0123456789abcdef"), 32);
    jwt_free(jwt);

    /* Two tokens for the same identity and second differ (jti). */
    char *tok2 = jwt_mint(&in, SECRET, strlen(SECRET), 3600, NOW);
    ck_assert_ptr_nonnull(tok2);
    ck_assert_str_ne(tok, tok2);
    free(tok2);
    free(tok);
}
END_TEST

/* role and scope survive minting and verification; a client's words it does not know grant
 * nothing; the claims decide what access_allows answers. */
START_TEST(test_auth_mint_role_and_scope)
{
    struct jwt_identity in, out;
    const char *why = NULL;
    char header[4096];
    memset(&in, 0, sizeof in);
    snprintf(in.sub, sizeof in.sub, "u1");
    snprintf(in.ns, sizeof in.ns, "acme");
    snprintf(in.role, sizeof in.role, "editor");
    char *tok = jwt_mint(&in, SECRET, strlen(SECRET), 3600, NOW);
    ck_assert_ptr_nonnull(tok);
    snprintf(header, sizeof header, "Bearer %s", tok);
    free(tok);
    ck_assert_int_eq(verify(header, NOW, &out, &why), 0);
    ck_assert_str_eq(out.role, "editor");
    ck_assert_int_eq(out.is_client, 0);
    ck_assert_int_eq(access_allows(&out, ACCESS_CONNECTORS_WRITE), 1);
    ck_assert_int_eq(access_allows(&out, ACCESS_MEMBERS_ADMIN), 0);

    memset(&in.role, 0, sizeof in.role);
    in.is_client = 1;
    in.scopes = ACCESS_SCOPE_CONNECTORS_READ | ACCESS_SCOPE_WEBHOOKS_WRITE;
    tok = jwt_mint(&in, SECRET, strlen(SECRET), 3600, NOW + 1);
    ck_assert_ptr_nonnull(tok);
    snprintf(header, sizeof header, "Bearer %s", tok);
    free(tok);
    ck_assert_int_eq(verify(header, NOW, &out, &why), 0);
    ck_assert_str_eq(out.role, "");
    ck_assert_int_eq(out.is_client, 1);
    ck_assert_uint_eq(out.scopes, ACCESS_SCOPE_CONNECTORS_READ | ACCESS_SCOPE_WEBHOOKS_WRITE);
    ck_assert_int_eq(access_allows(&out, ACCESS_CONNECTORS_WRITE), 0);

    ck_assert_int_eq(verify(forge(JWT_ALG_HS256, SECRET,
                                  "{" ID ",\"scope\":\"billing:read\"," GOOD_TIMES "}"),
                            NOW, &out, &why),
                     0);
    ck_assert_int_eq(out.is_client, 1);
    ck_assert_uint_eq(out.scopes, 0);
    ck_assert_int_eq(access_allows(&out, ACCESS_CONNECTORS_READ), 0);
}
END_TEST

START_TEST(test_auth_mint_omits_unknown_claims)
{
    struct jwt_identity in = make_id("svc", "deploy-bot", "", "");
    char *tok = jwt_mint(&in, SECRET, strlen(SECRET), 60, NOW);
    ck_assert_ptr_nonnull(tok);
    jwt_t *jwt = NULL;
    ck_assert_int_eq(jwt_decode(&jwt, tok, (const unsigned char *)SECRET, (int)strlen(SECRET)), 0);
    ck_assert_ptr_null(jwt_get_grant(jwt, "tenant_id"));
    ck_assert_ptr_null(jwt_get_grant(jwt, "email"));
    jwt_free(jwt);
    free(tok);
}
END_TEST

START_TEST(test_auth_mint_refuses_bad_input)
{
    struct jwt_identity bad_ns = make_id("Bad NS", "u", "", "");
    struct jwt_identity no_sub = make_id("ok", "", "", "");
    struct jwt_identity good = make_id("ok", "u", "", "");
    ck_assert_ptr_null(jwt_mint(&bad_ns, SECRET, strlen(SECRET), 60, NOW));
    ck_assert_ptr_null(jwt_mint(&no_sub, SECRET, strlen(SECRET), 60, NOW));
    ck_assert_ptr_null(jwt_mint(&good, SECRET, strlen(SECRET), 0, NOW));
    ck_assert_ptr_null(jwt_mint(&good, SECRET, strlen(SECRET), -5, NOW));
    ck_assert_ptr_null(jwt_mint(&good, NULL, 0, 60, NOW));
    ck_assert_ptr_null(jwt_mint(NULL, SECRET, strlen(SECRET), 60, NOW));
}
END_TEST

/* ------------------------------------------------------------------ namespace rule */

struct ns_case {
    const char *ns;
    int valid;
};

static const struct ns_case ns_cases[] = {
    {"a", 1},
    {"0", 1},
    {"demo", 1},
    {"a-b_c9", 1},
    {"9lives", 1},
    {"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0", 1},  /* 63 */
    {"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01", 0}, /* 64 */
    {"", 0},
    {NULL, 0},
    {"-a", 0},
    {"_a", 0},
    {"A", 0},
    {"demO", 0},
    {"a.b", 0},
    {"a b", 0},
    {"a/b", 0},
    {"\xc3\xa9", 0},
    {"a\n", 0},
};

START_TEST(test_auth_namespace_valid)
{
    const struct ns_case *c = &ns_cases[_i];
    ck_assert_msg(jwt_namespace_valid(c->ns) == c->valid, "namespace \"%s\"",
                  c->ns ? c->ns : "(null)");
}
END_TEST

static Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("verify");
    tcase_add_loop_test(tc, test_auth_claim_matrix, 0,
                        (int)(sizeof claim_cases / sizeof claim_cases[0]));
    tcase_add_test(tc, test_auth_accepts_pyjwt_token);
    tcase_add_test(tc, test_auth_refuses_tampering);
    tcase_add_test(tc, test_auth_header_forms);
    suite_add_tcase(s, tc);
    tc = tcase_create("memo");
    tcase_add_test(tc, test_auth_memo_keeps_every_rule);
    tcase_add_test(tc, test_auth_memo_skips_long_tokens);
    suite_add_tcase(s, tc);
    tc = tcase_create("mint");
    tcase_add_test(tc, test_auth_mint_round_trip);
    tcase_add_test(tc, test_auth_mint_role_and_scope);
    tcase_add_test(tc, test_auth_mint_omits_unknown_claims);
    tcase_add_test(tc, test_auth_mint_refuses_bad_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("namespace");
    tcase_add_loop_test(tc, test_auth_namespace_valid, 0,
                        (int)(sizeof ns_cases / sizeof ns_cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(auth_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
