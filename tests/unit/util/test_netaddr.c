/* Unit tests for server/netaddr.c: which AAM_TRUSTED_PROXIES values parse (and which are
 * refused), membership, and a table of (trusted list, peer, X-Forwarded-For) -> client
 * address, including spoofing attempts from untrusted peers and from the left of the header. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/netaddr.h"

struct parse_case {
    const char *text;
    int ok;
    size_t n;
};

static const struct parse_case parse_cases[] = {
    {"", 1, 0},
    {" , ", 1, 0},
    {"10.0.0.0/8", 1, 1},
    {"10.0.0.0/8, 192.168.1.7 ,::1/128", 1, 3},
    {"2001:db8::/32", 1, 1},
    {"0.0.0.0/0", 1, 1},
    {"::ffff:10.0.0.0/104", 1, 1},
    {"10.0.0.1/8", 0, 0}, /* host bits set */
    {"10.0.0.0/33", 0, 0},
    {"10.0.0.0/", 0, 0},
    {"10.0.0.0/-1", 0, 0},
    {"10.0.0.0/8a", 0, 0},
    {"10.0.0", 0, 0},
    {"localhost", 0, 0},
    {"10.0.0.0/8,junk", 0, 0},
    {"fe80::1%eth0", 0, 0},
    {"1.2.3.4:80", 0, 0},
};

START_TEST(test_netaddr_parse_table)
{
    const struct parse_case *c = &parse_cases[_i];
    struct netaddr_cidr *list = NULL;
    size_t n = 99;
    char err[160] = "";
    int rc = netaddr_parse_list(c->text, &list, &n, err, sizeof err);
    ck_assert_msg((rc == 0) == c->ok, "\"%s\": rc %d", c->text, rc);
    if (c->ok)
        ck_assert_uint_eq(n, c->n);
    else
        ck_assert_msg(err[0] != '\0', "a refusal says why");
    free(list);
}
END_TEST

START_TEST(test_netaddr_membership)
{
    struct netaddr_cidr *list = NULL;
    size_t n = 0;
    char err[160];
    ck_assert_int_eq(netaddr_parse_list("10.0.0.0/8, 192.168.1.7, 2001:db8::/32, 172.16.0.0/12",
                                        &list, &n, err, sizeof err),
                     0);
    ck_assert(netaddr_in_list(list, n, "10.255.0.1"));
    ck_assert(netaddr_in_list(list, n, "::ffff:10.1.2.3")); /* dual-stack peer */
    ck_assert(netaddr_in_list(list, n, "192.168.1.7"));
    ck_assert(!netaddr_in_list(list, n, "192.168.1.8"));
    ck_assert(netaddr_in_list(list, n, "2001:db8:1::5"));
    ck_assert(!netaddr_in_list(list, n, "2001:db9::5"));
    ck_assert(netaddr_in_list(list, n, "172.31.255.255"));
    ck_assert(!netaddr_in_list(list, n, "172.32.0.0"));
    ck_assert(!netaddr_in_list(list, n, "11.0.0.1"));
    ck_assert(!netaddr_in_list(list, n, "junk"));
    ck_assert(!netaddr_in_list(list, n, NULL));
    free(list);
}
END_TEST

struct client_case {
    const char *trusted;
    const char *peer;
    const char *xff; /* NULL: no header */
    const char *want;
};

static const struct client_case client_cases[] = {
    /* no trusted proxies: the header is never believed */
    {"", "203.0.113.9", "1.1.1.1", "203.0.113.9"},
    /* an untrusted peer cannot pick its address */
    {"10.0.0.0/8", "203.0.113.9", "1.1.1.1", "203.0.113.9"},
    {"10.0.0.0/8", "::ffff:203.0.113.9", "10.0.0.1", "203.0.113.9"},
    /* a trusted peer: the hop it saw */
    {"10.0.0.0/8", "10.0.0.2", "198.51.100.7", "198.51.100.7"},
    {"10.0.0.0/8", "::ffff:10.0.0.2", " 198.51.100.7 ", "198.51.100.7"},
    /* the client prepends lies; only the rightmost untrusted hop counts */
    {"10.0.0.0/8", "10.0.0.2", "6.6.6.6, 198.51.100.7", "198.51.100.7"},
    /* two proxies: skip the trusted hops from the right */
    {"10.0.0.0/8", "10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3", "198.51.100.7"},
    /* every hop trusted: the leftmost */
    {"10.0.0.0/8", "10.0.0.2", "10.0.0.9, 10.0.0.3", "10.0.0.9"},
    /* no header from a trusted peer: the peer */
    {"10.0.0.0/8", "10.0.0.2", NULL, "10.0.0.2"},
    {"10.0.0.0/8", "10.0.0.2", "", "10.0.0.2"},
    /* unreadable hops stop at the last trusted address */
    {"10.0.0.0/8", "10.0.0.2", "198.51.100.7, garbage", "10.0.0.2"},
    {"10.0.0.0/8", "10.0.0.2", "garbage, 10.0.0.3", "10.0.0.3"},
    {"10.0.0.0/8", "10.0.0.2", "1.2.3.4:5678", "10.0.0.2"},
    /* empty items are skipped */
    {"10.0.0.0/8", "10.0.0.2", "198.51.100.7,,", "198.51.100.7"},
    /* IPv6 */
    {"::1/128", "::1", "2001:db8::1", "2001:db8::1"},
    {"::1/128", "::1", "::ffff:198.51.100.7", "198.51.100.7"},
    {"127.0.0.1", "::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7"},
};

START_TEST(test_netaddr_client_table)
{
    const struct client_case *c = &client_cases[_i];
    struct netaddr_cidr *list = NULL;
    size_t n = 0;
    char err[160], out[NETADDR_TEXT_MAX];
    ck_assert_int_eq(netaddr_parse_list(c->trusted, &list, &n, err, sizeof err), 0);
    netaddr_client(list, n, c->peer, c->xff, out, sizeof out);
    ck_assert_msg(strcmp(out, c->want) == 0, "trusted \"%s\" peer %s xff \"%s\": got %s, want %s",
                  c->trusted, c->peer, c->xff ? c->xff : "(none)", out, c->want);
    free(list);
}
END_TEST

static Suite *netaddr_suite(void)
{
    Suite *s = suite_create("netaddr");
    TCase *tc = tcase_create("netaddr");
    tcase_add_loop_test(tc, test_netaddr_parse_table, 0,
                        (int)(sizeof parse_cases / sizeof parse_cases[0]));
    tcase_add_test(tc, test_netaddr_membership);
    tcase_add_loop_test(tc, test_netaddr_client_table, 0,
                        (int)(sizeof client_cases / sizeof client_cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(netaddr_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
