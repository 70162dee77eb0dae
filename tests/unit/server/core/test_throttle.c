/* Unit tests for server/core/throttle.c's key function, throttle_addr_key: which address a
 * client is counted as by the register, login and token limits. IPv6 by its /64, IPv4 (also
 * spelled IPv4-mapped) as itself, as a table. The counting itself runs in PostgreSQL
 * (db/throttles.c): tests/integration/test_auth_throttle.sh. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/throttle.h"

struct key_case {
    const char *addr;
    const char *key;
};

static const struct key_case key_cases[] = {
    /* IPv4 stays itself, also when a dual-stack socket spells it IPv4-mapped */
    {"192.0.2.1", "192.0.2.1"},
    {"::ffff:192.0.2.1", "192.0.2.1"},
    {"::FFFF:c000:201", "192.0.2.1"},
    /* IPv6: the /64, whatever the interface identifier and the spelling */
    {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
    {"2001:db8:1:2::1", "2001:db8:1:2::/64"},
    {"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
    {"2001:DB8:0001:0002:0000:0000:0000:0009", "2001:db8:1:2::/64"},
    {"2001:db8:1:3::1", "2001:db8:1:3::/64"}, /* the next /64 is another client */
    {"2001:db8::1", "2001:db8::/64"},
    {"fe80::1", "fe80::/64"},
    {"::1", "::/64"},
    {"::", "::/64"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff::/64"},
    /* IPv4-compatible (deprecated, ::a.b.c.d) is not mapped: an IPv6 address like any other */
    {"::192.0.2.1", "::/64"},
    /* no address: kept as given, "unknown" for none */
    {"", "unknown"},
    {"unknown", "unknown"},
    {"admin", "admin"},
    {"2001:db8::1%eth0", "2001:db8::1%eth0"},
};

START_TEST(test_throttle_addr_key_table)
{
    const struct key_case *c = &key_cases[_i];
    char out[THROTTLE_ADDR_KEY_SIZE];
    memset(out, 'x', sizeof out);
    throttle_addr_key(c->addr, out, sizeof out);
    ck_assert_msg(strcmp(out, c->key) == 0, "\"%s\": want \"%s\", got \"%s\"", c->addr, c->key, out);
}
END_TEST

START_TEST(test_throttle_addr_key_null)
{
    char out[THROTTLE_ADDR_KEY_SIZE];
    throttle_addr_key(NULL, out, sizeof out);
    ck_assert_str_eq(out, "unknown");
}
END_TEST

/* Every address of one /64 shares one key; addresses of two /64s never do. */
START_TEST(test_throttle_addr_key_one_per_64)
{
    char a[THROTTLE_ADDR_KEY_SIZE], b[THROTTLE_ADDR_KEY_SIZE];
    throttle_addr_key("2001:db8:aaaa:bbbb:1234:5678:9abc:def0", a, sizeof a);
    throttle_addr_key("2001:db8:aaaa:bbbb::", b, sizeof b);
    ck_assert_str_eq(a, b);
    throttle_addr_key("2001:db8:aaaa:bbba:1234:5678:9abc:def0", b, sizeof b);
    ck_assert_str_ne(a, b);
}
END_TEST

/* The longest key fits THROTTLE_ADDR_KEY_SIZE; a smaller buffer is cut, never overrun. */
START_TEST(test_throttle_addr_key_bounds)
{
    char out[THROTTLE_ADDR_KEY_SIZE + 8];
    memset(out, 'x', sizeof out);
    throttle_addr_key("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", out, 8);
    ck_assert_str_eq(out, "ffff:ff");
    ck_assert_int_eq(out[8], 'x');
    throttle_addr_key("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", out, THROTTLE_ADDR_KEY_SIZE);
    ck_assert_str_eq(out, "ffff:ffff:ffff:ffff::/64");
}
END_TEST

static Suite *throttle_suite(void)
{
    Suite *s = suite_create("throttle");
    TCase *tc = tcase_create("addr_key");
    tcase_add_loop_test(tc, test_throttle_addr_key_table, 0,
                        (int)(sizeof key_cases / sizeof key_cases[0]));
    tcase_add_test(tc, test_throttle_addr_key_null);
    tcase_add_test(tc, test_throttle_addr_key_one_per_64);
    tcase_add_test(tc, test_throttle_addr_key_bounds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(throttle_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
