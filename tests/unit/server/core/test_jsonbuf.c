/* Unit tests for server/jsonbuf.c: an escaping table (what each kind of byte must become), a
 * round trip of every byte through a real JSON parser (jansson), growth far past the initial
 * size, and the sticky overflow failure that keeps a truncated document from escaping. */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/jsonbuf.h"

struct esc_case {
    const char *in;
    size_t len; /* explicit, so a NUL byte can be part of the input */
    const char *want;
};

#define CASE(in, want)                                                                             \
    {                                                                                              \
        in, sizeof in - 1, want                                                                    \
    }

static const struct esc_case esc_cases[] = {
    CASE("", "\"\""),
    CASE("abc", "\"abc\""),
    CASE("a\"b", "\"a\\\"b\""),
    CASE("\"", "\"\\\"\""),
    CASE("a\\b", "\"a\\\\b\""),
    CASE("\\\\", "\"\\\\\\\\\""),
    CASE("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""),
    CASE("\x01", "\"\\u0001\""),
    CASE("\x0b", "\"\\u000b\""),
    CASE("\x1f", "\"\\u001f\""),
    CASE("\x1b[0m", "\"\\u001b[0m\""),
    CASE("a\0b", "\"a\\u0000b\""),
    CASE(" ", "\" \""),
    CASE("\x7f", "\"\x7f\""), /* DEL is not a JSON control character */
    CASE("a/b", "\"a/b\""),   /* '/' may stay as is */
    CASE("'single'", "\"'single'\""),
    CASE("caf\xc3\xa9", "\"caf\xc3\xa9\""),                           /* 2-byte UTF-8 */
    CASE("\xe6\x97\xa5\xe6\x9c\xac", "\"\xe6\x97\xa5\xe6\x9c\xac\""), /* 3-byte */
    CASE("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""),                 /* 4-byte */
    CASE("\xe2\x80\xa8", "\"\xe2\x80\xa8\""), /* U+2028 is valid inside a JSON string */
    CASE("x\"\\\n\xf0\x9f\x98\x80\x02z", "\"x\\\"\\\\\\n\xf0\x9f\x98\x80\\u0002z\""),
    CASE("end\\", "\"end\\\\\""),
    CASE("\"start", "\"\\\"start\""),
};

/* Renders s[0..len) as a JSON string; the caller frees the result. */
static char *render(const char *s, size_t len, size_t *out_len)
{
    struct jsonbuf b = JSONBUF_INIT;
    jsonbuf_append_json_string(&b, s, len);
    char *text = jsonbuf_finish(&b, out_len);
    ck_assert_ptr_nonnull(text);
    return text;
}

START_TEST(test_jsonbuf_escape_table)
{
    const struct esc_case *c = &esc_cases[_i];
    size_t len = 0;
    char *text = render(c->in, c->len, &len);
    ck_assert_msg(strcmp(text, c->want) == 0, "case %d: got [%s], want [%s]", _i, text, c->want);
    ck_assert_uint_eq(len, strlen(c->want));
    free(text);
}
END_TEST

/* Parses text as one JSON string with jansson and checks it decodes to want[0..want_len). */
static void assert_decodes_to(const char *text, size_t text_len, const char *want, size_t want_len)
{
    json_error_t jerr;
    json_t *v = json_loadb(text, text_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(v != NULL, "[%s] is not valid JSON: %s", text, jerr.text);
    ck_assert(json_is_string(v));
    ck_assert_uint_eq(json_string_length(v), want_len);
    ck_assert(memcmp(json_string_value(v), want, want_len) == 0);
    json_decref(v);
}

START_TEST(test_jsonbuf_every_ascii_byte_round_trips)
{
    for (int c = 0; c < 0x80; c++) {
        char in[3] = {'<', (char)c, '>'};
        size_t len = 0;
        char *text = render(in, sizeof in, &len);
        assert_decodes_to(text, len, in, sizeof in);
        free(text);
    }
}
END_TEST

START_TEST(test_jsonbuf_utf8_text_round_trips)
{
    static const char in[] = "Gr\xc3\xbc\xc3\x9f"
                             "e \"q\" \\ \t\xe2\x82\xac \xf0\x9f\x98\x80\x01";
    size_t len = 0;
    char *text = render(in, sizeof in - 1, &len);
    assert_decodes_to(text, len, in, sizeof in - 1);
    free(text);
}
END_TEST

START_TEST(test_jsonbuf_int64)
{
    static const struct {
        int64_t v;
        const char *want;
    } cases[] = {{0, "0"},
                 {-1, "-1"},
                 {42, "42"},
                 {INT64_MAX, "9223372036854775807"},
                 {INT64_MIN, "-9223372036854775808"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct jsonbuf b = JSONBUF_INIT;
        size_t len = 0;
        jsonbuf_append_int64(&b, cases[i].v);
        char *text = jsonbuf_finish(&b, &len);
        ck_assert_str_eq(text, cases[i].want);
        ck_assert_uint_eq(len, strlen(cases[i].want));
        free(text);
    }
}
END_TEST

/* Expected texts are what PostgreSQL's to_char(ts AT TIME ZONE 'UTC',
 * 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') gives for the same instants, the format the API had before
 * C wrote it. */
static const struct {
    int64_t us;
    const char *want;
} ts_cases[] = {
    {0, "1970-01-01T00:00:00.000000Z"},
    {1, "1970-01-01T00:00:00.000001Z"},
    {-1, "1969-12-31T23:59:59.999999Z"},
    {-500000, "1969-12-31T23:59:59.500000Z"},
    {1704067200000000, "2024-01-01T00:00:00.000000Z"},
    {1709208000123456, "2024-02-29T12:00:00.123456Z"},
    {951782400000001, "2000-02-29T00:00:00.000001Z"},
    {1718454645999999, "2024-06-15T12:30:45.999999Z"},
    {4102444800000000, "2100-01-01T00:00:00.000000Z"},
    {253402300799999999, "9999-12-31T23:59:59.999999Z"},
    {-62135596800000000, "0001-01-01T00:00:00.000000Z"},
    {253402300800000000, "10000-01-01T00:00:00.000000Z"},
};

START_TEST(test_jsonbuf_timestamp_table)
{
    struct jsonbuf b = JSONBUF_INIT;
    size_t len = 0;
    char want[48];
    snprintf(want, sizeof want, "\"%s\"", ts_cases[_i].want);
    jsonbuf_append_timestamp_us(&b, ts_cases[_i].us);
    char *text = jsonbuf_finish(&b, &len);
    ck_assert_str_eq(text, want);
    ck_assert_uint_eq(len, strlen(want));
    free(text);
}
END_TEST

START_TEST(test_jsonbuf_document_from_pieces)
{
    struct jsonbuf b;
    size_t len = 0;
    jsonbuf_init(&b, 16);
    jsonbuf_append_cstr(&b, "{\"name\":");
    jsonbuf_append_json_string(&b, "a \"b\"", 5);
    jsonbuf_append_cstr(&b, ",\"config\":");
    jsonbuf_append(&b, "{\"n\": 0.1}xyz", 10); /* only the first n bytes */
    jsonbuf_append_cstr(&b, ",\"total\":");
    jsonbuf_append_int64(&b, 7);
    jsonbuf_append_cstr(&b, "}");
    ck_assert_uint_eq(jsonbuf_len(&b),
                      strlen("{\"name\":\"a \\\"b\\\"\",\"config\":{\"n\": 0.1},\"total\":7}"));
    char *text = jsonbuf_finish(&b, &len);
    ck_assert_str_eq(text, "{\"name\":\"a \\\"b\\\"\",\"config\":{\"n\": 0.1},\"total\":7}");
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_uint_eq(jsonbuf_len(&b), 0); /* finish leaves the buffer empty */
    free(text);
}
END_TEST

/* Far past the initial size, in pieces of awkward lengths and escaped strings, so the buffer
 * grows many times in the middle of appends; every byte must come out in order. */
START_TEST(test_jsonbuf_growth_past_initial_size)
{
    struct jsonbuf b;
    size_t len = 0, want_len = 0;
    char *want = malloc(300000);
    jsonbuf_init(&b, 1);
    for (int i = 0; want_len < 200000; i++) {
        char piece[40];
        size_t n = (size_t)(i % 37) + 1;
        for (size_t k = 0; k < n; k++)
            piece[k] = (char)('a' + (i + (int)k) % 26);
        if (i % 5 == 0) {
            jsonbuf_append_json_string(&b, "\n", 1);
            memcpy(want + want_len, "\"\\n\"", 4);
            want_len += 4;
        }
        jsonbuf_append(&b, piece, n);
        memcpy(want + want_len, piece, n);
        want_len += n;
    }
    ck_assert_uint_eq(jsonbuf_len(&b), want_len);
    char *text = jsonbuf_finish(&b, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(len, want_len);
    ck_assert(memcmp(text, want, want_len) == 0);
    ck_assert(text[len] == '\0');
    free(text);
    free(want);
}
END_TEST

START_TEST(test_jsonbuf_untouched_finishes_empty)
{
    struct jsonbuf b = JSONBUF_INIT;
    size_t len = 99;
    char *text = jsonbuf_finish(&b, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "");
    ck_assert_uint_eq(len, 0);
    free(text);
    jsonbuf_init(&b, 0);
    text = jsonbuf_finish(&b, &len);
    ck_assert_str_eq(text, "");
    free(text);
}
END_TEST

/* A length that would overflow fails the buffer for good: later appends are ignored and
 * finish returns NULL rather than a document missing a piece. */
START_TEST(test_jsonbuf_failure_is_sticky)
{
    static const char small[] = "ok";
    struct jsonbuf b = JSONBUF_INIT;
    size_t len = 0;
    jsonbuf_append_cstr(&b, "{\"a\":");
    jsonbuf_append(&b, small, SIZE_MAX - 8); /* refused before any byte is read */
    jsonbuf_append_cstr(&b, "1}");
    jsonbuf_append_json_string(&b, small, 2);
    ck_assert_ptr_null(jsonbuf_finish(&b, &len));
    /* finish released it; the buffer works again */
    jsonbuf_append_cstr(&b, small);
    char *text = jsonbuf_finish(&b, &len);
    ck_assert_str_eq(text, "ok");
    free(text);
}
END_TEST

START_TEST(test_jsonbuf_free_twice)
{
    struct jsonbuf b = JSONBUF_INIT;
    jsonbuf_append_cstr(&b, "x");
    jsonbuf_free(&b);
    jsonbuf_free(&b);
    jsonbuf_free(NULL);
    ck_assert_uint_eq(jsonbuf_len(&b), 0);
}
END_TEST

static Suite *jsonbuf_suite(void)
{
    Suite *s = suite_create("jsonbuf");
    TCase *tc = tcase_create("escape");
    tcase_add_loop_test(tc, test_jsonbuf_escape_table, 0,
                        (int)(sizeof esc_cases / sizeof esc_cases[0]));
    tcase_add_test(tc, test_jsonbuf_every_ascii_byte_round_trips);
    tcase_add_test(tc, test_jsonbuf_utf8_text_round_trips);
    suite_add_tcase(s, tc);
    tc = tcase_create("buffer");
    tcase_add_test(tc, test_jsonbuf_int64);
    tcase_add_loop_test(tc, test_jsonbuf_timestamp_table, 0,
                        (int)(sizeof ts_cases / sizeof ts_cases[0]));
    tcase_add_test(tc, test_jsonbuf_document_from_pieces);
    tcase_add_test(tc, test_jsonbuf_growth_past_initial_size);
    tcase_add_test(tc, test_jsonbuf_untouched_finishes_empty);
    tcase_add_test(tc, test_jsonbuf_failure_is_sticky);
    tcase_add_test(tc, test_jsonbuf_free_twice);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(jsonbuf_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
