/* Unit tests for util/utf8.c (the validity and cutting half): a validity table (RFC 3629's edge cases), cuts at every
 * position of a mixed-width text (never half a character, never more than needed), the
 * sanitising copy that problem details go through, and the display rule for names (controls
 * and bidirectional formatting refused, escaped on output). */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

struct valid_case {
    const char *in;
    size_t len;
    int want;
};

#define CASE(in, want)                                                                             \
    {                                                                                              \
        in, sizeof in - 1, want                                                                    \
    }

static const struct valid_case valid_cases[] = {
    CASE("", 1),
    CASE("plain ascii", 1),
    CASE("caf\xC3\xA9", 1),
    CASE("\xE2\x82\xAC", 1),     /* euro sign */
    CASE("\xF0\x9F\x98\x80", 1), /* emoji */
    CASE("\xE2\x84\xAA", 1),     /* Kelvin sign */
    CASE("\xC4\xB0", 1),         /* capital I with dot above */
    CASE("\xF4\x8F\xBF\xBF", 1), /* U+10FFFF */
    CASE("\xFF", 0),
    CASE("\xC0\xAF", 0),         /* overlong '/' */
    CASE("\xE0\x80\xAF", 0),     /* overlong */
    CASE("\xED\xA0\x80", 0),     /* surrogate */
    CASE("\xF4\x90\x80\x80", 0), /* above U+10FFFF */
    CASE("\xC3", 0),             /* truncated */
    CASE("\xE2\x82", 0),
    CASE("a\x80z", 0), /* stray continuation */
    CASE("a\0b", 0),   /* NUL */
};

START_TEST(test_utf8_valid_table)
{
    const struct valid_case *c = &valid_cases[_i];
    ck_assert_int_eq(utf8_valid(c->in, c->len), c->want);
}
END_TEST

/* For every prefix length of a text mixing 1- to 4-byte characters, the cut is the longest
 * prefix that is still valid UTF-8. */
START_TEST(test_utf8_cut_every_position)
{
    static const char text[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z\xE2\x84\xAA";
    size_t n = sizeof text - 1;
    for (size_t len = 0; len <= n; len++) {
        size_t cut = utf8_cut(text, len);
        ck_assert_msg(cut <= len, "cut %zu past len %zu", cut, len);
        ck_assert_msg(utf8_valid(text, cut), "cut at %zu of %zu is not valid", cut, len);
        size_t best = len;
        while (best > 0 && !utf8_valid(text, best))
            best--;
        ck_assert_msg(cut == best, "len %zu: cut %zu, longest valid prefix %zu", len, cut, best);
    }
}
END_TEST

/* The 409 case from the issue: a long detail built from a user's path, cut by the buffer. The
 * sanitised copy must still be serialisable by jansson. */
START_TEST(test_utf8_copy_sanitized_serialises)
{
    char src[600], dst[512];
    size_t o = 0;
    while (o + 3 < sizeof src - 1) {
        memcpy(src + o, "\xE2\x82\xAC", 3);
        o += 3;
    }
    src[o] = '\0';
    for (size_t size = 1; size <= sizeof dst; size++) {
        utf8_copy_sanitized(dst, size, src);
        ck_assert(strlen(dst) < size);
        ck_assert(utf8_valid(dst, strlen(dst)));
        json_t *s = json_string(dst);
        ck_assert_ptr_nonnull(s);
        json_decref(s);
    }
    utf8_copy_sanitized(dst, sizeof dst, "bad \xFF byte \xC3");
    ck_assert_str_eq(dst, "bad ? byte ?");
}
END_TEST

/* What a person reads as a name: every control or reordering character is refused, while
 * letters of any script, emoji and the joiners that build them stay. */
static const struct valid_case display_cases[] = {
    CASE("Acme Corp", 1),
    CASE("Z\xC3\xBCrich \xF0\x9F\x9A\x80", 1),               /* Zürich and a rocket */
    CASE("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", 1),             /* Hebrew: right-to-left by itself */
    CASE("\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB", 1), /* emoji with a zero-width joiner */
    CASE("\xC2\xA0no-break", 1),                             /* U+00A0: just past the C1 block */
    CASE("", 1),
    CASE("tab\there", 0),
    CASE("line\nbreak", 0),
    CASE("esc\x1b[31m", 0),
    CASE("del\x7f", 0),
    CASE("nul\0", 0),
    CASE("\xC2\x80", 0), /* U+0080, first C1 */
    CASE("csi\xC2\x9B"
         "31m",
         0),                 /* U+009B CSI */
    CASE("\xC2\x9F", 0),     /* U+009F, last C1 */
    CASE("\xD8\x9C", 0),     /* U+061C arabic letter mark */
    CASE("\xE2\x80\x8E", 0), /* U+200E LRM */
    CASE("\xE2\x80\x8F", 0), /* U+200F RLM */
    CASE("\xE2\x80\xA8", 0), /* U+2028 line separator */
    CASE("\xE2\x80\xA9", 0), /* U+2029 paragraph separator */
    CASE("\xE2\x80\xAA", 0), /* U+202A LRE */
    CASE("txt.exe\xE2\x80\xAE"
         "gpj",
         0),                                         /* U+202E RLO */
    CASE("\xE2\x81\xA6", 0),                         /* U+2066 LRI */
    CASE("\xE2\x81\xA9", 0),                         /* U+2069 PDI */
    CASE("\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD", 0), /* U+202B-U+202D */
    CASE("\xE2\x81\xA7\xE2\x81\xA8", 0),             /* U+2067, U+2068 */
    CASE("bad \xFF byte", 0),
    CASE("\xC0\x9B", 0), /* an overlong spelling is no way around it */
};

START_TEST(test_utf8_display_safe_table)
{
    const struct valid_case *c = &display_cases[_i];
    ck_assert_msg(utf8_is_display_safe(c->in, c->len) == c->want, "case %d", _i);
    /* neighbours of the refused ranges stay allowed */
    ck_assert(utf8_is_display_safe("\xE2\x80\x8D\xE2\x80\xAF\xE2\x81\xA5\xE2\x81\xAA", 12));
}
END_TEST

/* Output escapes what the table refuses and leaves the rest as it is: a name stored before
 * the rule (or a folder named by anyone) reaches a terminal as text, never as controls. */
START_TEST(test_utf8_escape_display)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"Acme Z\xC3\xBCrich", "Acme Z\xC3\xBCrich"},
        {"a\tb\nc", "a\\u0009b\\u000Ac"},
        {"x\xC2\x9B"
         "31my",
         "x\\u009B31my"},
        {"txt\xE2\x80\xAE"
         "gpj.exe",
         "txt\\u202Egpj.exe"},
        {"\xE2\x81\xA6\xE2\x80\x8F", "\\u2066\\u200F"},
        {"bad \xFF\xC3", "bad \\xFF\\xC3"},
        {"\x1b\x1b\x1b", "\\u001B\\u001B\\u001B"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = utf8_escape_display(cases[i].in);
        ck_assert_str_eq(got, cases[i].want);
        ck_assert(utf8_is_display_safe(got, strlen(got)));
        free(got);
    }
    char *got = utf8_escape_display(NULL);
    ck_assert_str_eq(got, "");
    free(got);
}
END_TEST

START_TEST(test_utf8_dup_repair)
{
    struct {
        const char *in;
        size_t len;
        const char *want;
    } t[] = {
        {"plain", 5, "plain"},
        {"\xF0\x9F\x98\x80", 4, "\xF0\x9F\x98\x80"},                 /* U+1F600 kept */
        {"\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},                 /* overlong '/' */
        {"\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* surrogate */
        {"\xF4\x90\x80\x80", 4, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"a\0b", 3,
         "a\xEF\xBF\xBD"
         "b"},                                       /* NUL */
        {"\xE2\x82", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"}, /* truncated */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *s = utf8_dup_repair(t[i].in, t[i].len);
        ck_assert_msg(strcmp(s, t[i].want) == 0, "case %zu", i);
        free(s);
    }
}
END_TEST

START_TEST(test_utf8_count)
{
    ck_assert_uint_eq(utf8_count("", 0), 0);
    ck_assert_uint_eq(utf8_count("abc", 3), 3);
    ck_assert_uint_eq(utf8_count("\xC3\xA9t\xC3\xA9", 5), 3); /* "été" */
    ck_assert_uint_eq(utf8_count("\xF0\x9F\x98\x80!", 5), 2); /* emoji + '!' */
}
END_TEST

static Suite *utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("utf8");
    tcase_add_loop_test(tc, test_utf8_valid_table, 0,
                        (int)(sizeof valid_cases / sizeof valid_cases[0]));
    tcase_add_test(tc, test_utf8_cut_every_position);
    tcase_add_test(tc, test_utf8_dup_repair);
    tcase_add_test(tc, test_utf8_count);
    tcase_add_test(tc, test_utf8_copy_sanitized_serialises);
    tcase_add_loop_test(tc, test_utf8_display_safe_table, 0,
                        (int)(sizeof display_cases / sizeof display_cases[0]));
    tcase_add_test(tc, test_utf8_escape_display);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(utf8_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
