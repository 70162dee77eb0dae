/* Unit tests for util/netaddr.c: which AAM_TRUSTED_PROXIES values parse (and which are
 * refused), membership, a table of (trusted list, peer, X-Forwarded-For) -> client address,
 * including spoofing attempts from untrusted peers and from the left of the header; and the
 * outbound rule (AAM_OUTBOUND_NETS): which hosts are literals and what they denote, which
 * addresses are `public`, and which a set of CIDRs and `public` allows. Judging only: nothing
 * here opens a socket or resolves a name. */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

/* ------------------------------------------------------------ outbound */

struct public_case {
    const char *host;  /* an IP literal in any spelling netaddr_parse_host reads */
    const char *canon; /* what it denotes (netaddr_format) */
    int is_public;
};

static const struct public_case public_cases[] = {
    /* loopback, every spelling */
    {"127.0.0.1", "127.0.0.1", 0},
    {"127.255.255.254", "127.255.255.254", 0},
    {"127.1", "127.0.0.1", 0},
    {"2130706433", "127.0.0.1", 0},
    {"0x7f.1", "127.0.0.1", 0},
    {"0x7f000001", "127.0.0.1", 0},
    {"017700000001", "127.0.0.1", 0},
    {"0177.0.0.01", "127.0.0.1", 0},
    {"::1", "::1", 0},
    {"[::1]", "::1", 0},
    {"::ffff:127.0.0.1", "127.0.0.1", 0},
    {"[::ffff:7f00:1]", "127.0.0.1", 0},
    {"0:0:0:0:0:ffff:127.0.0.1", "127.0.0.1", 0},
    /* unspecified and "this network" (0.0.0.0 reaches the local host on Linux) */
    {"0.0.0.0", "0.0.0.0", 0},
    {"0", "0.0.0.0", 0},
    {"0.1.2.3", "0.1.2.3", 0},
    {"::", "::", 0},
    /* private */
    {"10.0.0.5", "10.0.0.5", 0},
    {"10.255.255.255", "10.255.255.255", 0},
    {"012.0.0.5", "10.0.0.5", 0},
    {"167772165", "10.0.0.5", 0},
    {"172.16.0.1", "172.16.0.1", 0},
    {"172.31.255.255", "172.31.255.255", 0},
    {"192.168.0.1", "192.168.0.1", 0},
    {"192.168.255.255", "192.168.255.255", 0},
    {"::ffff:10.0.0.5", "10.0.0.5", 0},
    /* link-local and the cloud metadata service */
    {"169.254.169.254", "169.254.169.254", 0},
    {"2852039166", "169.254.169.254", 0},
    {"0xa9fea9fe", "169.254.169.254", 0},
    {"0251.0376.0251.0376", "169.254.169.254", 0},
    {"::ffff:169.254.169.254", "169.254.169.254", 0},
    {"169.254.0.1", "169.254.0.1", 0},
    {"fe80::1", "fe80::1", 0},
    {"febf::1", "febf::1", 0},
    /* CGNAT */
    {"100.64.0.1", "100.64.0.1", 0},
    {"100.127.255.255", "100.127.255.255", 0},
    /* ULA and site-local */
    {"fc00::1", "fc00::1", 0},
    {"fd12:3456:789a::1", "fd12:3456:789a::1", 0},
    {"fec0::1", "fec0::1", 0},
    /* multicast */
    {"224.0.0.1", "224.0.0.1", 0},
    {"239.255.255.250", "239.255.255.250", 0},
    {"ff02::1", "ff02::1", 0},
    {"ff0e::1", "ff0e::1", 0},
    /* reserved, documentation, benchmarking */
    {"192.0.0.1", "192.0.0.1", 0},
    {"192.0.2.1", "192.0.2.1", 0},
    {"192.88.99.1", "192.88.99.1", 0},
    {"198.18.0.1", "198.18.0.1", 0},
    {"198.19.255.255", "198.19.255.255", 0},
    {"198.51.100.7", "198.51.100.7", 0},
    {"203.0.113.9", "203.0.113.9", 0},
    {"240.0.0.1", "240.0.0.1", 0},
    {"255.255.255.255", "255.255.255.255", 0},
    {"4294967295", "255.255.255.255", 0},
    {"2001:db8::1", "2001:db8::1", 0},
    {"2001::1", "2001::1", 0},     /* Teredo */
    {"2001:2::1", "2001:2::1", 0}, /* benchmarking */
    {"3fff::1", "3fff::1", 0},
    {"5f00::1", "5f00::1", 0},
    {"100::1", "100::1", 0}, /* discard-only */
    /* IPv4-compatible (deprecated): never public, whatever it carries */
    {"::127.0.0.1", "::127.0.0.1", 0},
    {"::93.184.216.34", "::93.184.216.34", 0},
    /* NAT64 and 6to4: judged by the IPv4 address they carry */
    {"64:ff9b::7f00:1", "64:ff9b::7f00:1", 0},
    {"64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe", 0},
    {"64:ff9b::5db8:d822", "64:ff9b::5db8:d822", 1},
    {"64:ff9b:1::5db8:d822", "64:ff9b:1::5db8:d822", 0}, /* local-use NAT64 */
    {"2002:7f00:1::1", "2002:7f00:1::1", 0},
    {"2002:a00:5::1", "2002:a00:5::1", 0},
    {"2002:5db8:d822::1", "2002:5db8:d822::1", 1},
    /* public, and the neighbours of the ranges above */
    {"93.184.216.34", "93.184.216.34", 1},
    {"1572395042", "93.184.216.34", 1},
    {"::ffff:93.184.216.34", "93.184.216.34", 1},
    {"1.1.1.1", "1.1.1.1", 1},
    {"8.8.8.8", "8.8.8.8", 1},
    {"1.0.0.0", "1.0.0.0", 1},
    {"9.255.255.255", "9.255.255.255", 1},
    {"11.0.0.0", "11.0.0.0", 1},
    {"100.63.255.255", "100.63.255.255", 1},
    {"100.128.0.0", "100.128.0.0", 1},
    {"126.255.255.255", "126.255.255.255", 1},
    {"128.0.0.0", "128.0.0.0", 1},
    {"169.253.255.255", "169.253.255.255", 1},
    {"169.255.0.0", "169.255.0.0", 1},
    {"172.15.255.255", "172.15.255.255", 1},
    {"172.32.0.0", "172.32.0.0", 1},
    {"192.167.255.255", "192.167.255.255", 1},
    {"192.169.0.0", "192.169.0.0", 1},
    {"198.17.255.255", "198.17.255.255", 1},
    {"198.20.0.0", "198.20.0.0", 1},
    {"223.255.255.255", "223.255.255.255", 1},
    {"2001:4860:4860::8888", "2001:4860:4860::8888", 1},
    {"[2606:2800:220:1:248:1893:25c8:1946]", "2606:2800:220:1:248:1893:25c8:1946", 1},
    {"2001:200::1", "2001:200::1", 1}, /* just past 2001::/23 */
    {"3ffe::1", "3ffe::1", 1},
};

START_TEST(test_netaddr_public_table)
{
    const struct public_case *c = &public_cases[_i];
    struct sockaddr_storage ss;
    char text[NETADDR_TEXT_MAX];
    ck_assert_msg(netaddr_parse_host(c->host, &ss) == 0, "%s is a literal", c->host);
    netaddr_format((const struct sockaddr *)&ss, text, sizeof text);
    ck_assert_msg(strcmp(text, c->canon) == 0, "%s denotes %s, got %s", c->host, c->canon, text);
    ck_assert_msg(netaddr_is_public((const struct sockaddr *)&ss) == c->is_public,
                  "%s (%s) public: want %d", c->host, text, c->is_public);
}
END_TEST

/* Not literals: names to resolve, and junk the resolver would cut short. */
static const char *const not_literal[] = {
    "",          "localhost", "example.com", "127.0.0.1 x", "127.0.0.1\t",    " 127.0.0.1",
    "1.2.3.4.5", "256.0.0.1", "0x",          "127.0.0.1.",  "fe80::1%eth0",   "[127.0.0.1]",
    "[::1",      "::1]",      "1.2.3.4:80",  "[]",          "0x7f.1.example",
};

START_TEST(test_netaddr_not_literal)
{
    struct sockaddr_storage ss;
    ck_assert_msg(netaddr_parse_host(not_literal[_i], &ss) == -1, "\"%s\" is not a literal",
                  not_literal[_i]);
    ck_assert_int_eq(netaddr_parse_host(NULL, &ss), -1);
}
END_TEST

struct allow_case {
    const char *setting;
    const char *host;
    int allowed;
};

static const struct allow_case allow_cases[] = {
    /* the default */
    {"public", "93.184.216.34", 1},
    {"public", "127.0.0.1", 0},
    {"public", "::1", 0},
    {"public", "::ffff:127.0.0.1", 0},
    {"public", "2130706433", 0},
    {"public", "10.0.0.5", 0},
    {"public", "169.254.169.254", 0},
    {"public", "100.64.0.1", 0},
    {"public", "fd00::1", 0},
    {"PUBLIC", "8.8.8.8", 1},
    /* loopback named: loopback reached, in every spelling, and nothing else */
    {"127.0.0.0/8", "127.0.0.1", 1},
    {"127.0.0.0/8", "127.0.0.53", 1},
    {"127.0.0.0/8", "::ffff:127.0.0.1", 1},
    {"127.0.0.0/8", "2130706433", 1},
    {"127.0.0.0/8", "0x7f.1", 1},
    {"127.0.0.0/8", "::1", 0},
    {"127.0.0.0/8", "10.0.0.5", 0},
    {"127.0.0.0/8", "93.184.216.34", 0},
    {"127.0.0.0/8, ::1", "::1", 1},
    /* both */
    {"public, 10.0.0.0/8", "10.1.2.3", 1},
    {"public, 10.0.0.0/8", "93.184.216.34", 1},
    {"public, 10.0.0.0/8", "192.168.0.1", 0},
    {" 192.168.7.0/24 ,public ", "192.168.7.9", 1},
    {"::ffff:10.0.0.0/104", "10.9.9.9", 1},
    {"fd00::/8", "fd00::1234", 1},
    {"fd00::/8", "fc00::1", 0},
    /* an empty set allows nothing */
    {"", "93.184.216.34", 0},
    {"", "127.0.0.1", 0},
};

START_TEST(test_netaddr_set_table)
{
    const struct allow_case *c = &allow_cases[_i];
    char err[160] = "";
    struct sockaddr_storage ss;
    struct netaddr_set *set = netaddr_set_parse(c->setting, err, sizeof err);
    ck_assert_msg(set != NULL, "\"%s\": %s", c->setting, err);
    ck_assert_int_eq(netaddr_parse_host(c->host, &ss), 0);
    ck_assert_msg(netaddr_set_allows(set, (const struct sockaddr *)&ss) == c->allowed,
                  "\"%s\" allows %s: want %d", c->setting, c->host, c->allowed);
    netaddr_set_free(set);
}
END_TEST

static const char *const bad_sets[] = {
    "publik", "public,junk", "10.0.0.1/8", "public 10.0.0.0/8", "localhost", "10.0.0.0/33",
};

START_TEST(test_netaddr_set_refused)
{
    char err[160] = "";
    ck_assert_ptr_null(netaddr_set_parse(bad_sets[_i], err, sizeof err));
    ck_assert_msg(strstr(err, "public") != NULL, "\"%s\": the refusal offers public: %s",
                  bad_sets[_i], err);
}
END_TEST

START_TEST(test_netaddr_outbound_edges)
{
    struct sockaddr_storage ss;
    char err[160];
    char text[NETADDR_TEXT_MAX];
    struct netaddr_set *set = netaddr_set_parse("public", err, sizeof err);
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    ck_assert_int_eq(netaddr_is_public((const struct sockaddr *)&ss), 0);
    ck_assert_int_eq(netaddr_set_allows(set, (const struct sockaddr *)&ss), 0);
    ck_assert_int_eq(netaddr_is_public(NULL), 0);
    netaddr_format((const struct sockaddr *)&ss, text, sizeof text);
    ck_assert_str_eq(text, "?");
    ck_assert_int_eq(netaddr_parse_host("8.8.8.8", &ss), 0);
    ck_assert_int_eq(netaddr_set_allows(NULL, (const struct sockaddr *)&ss), 0);
    ck_assert_int_eq(netaddr_set_allows(set, (const struct sockaddr *)&ss), 1);
    netaddr_set_free(set);
    netaddr_set_free(NULL);
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
    TCase *out = tcase_create("outbound");
    tcase_add_loop_test(out, test_netaddr_public_table, 0,
                        (int)(sizeof public_cases / sizeof public_cases[0]));
    tcase_add_loop_test(out, test_netaddr_not_literal, 0,
                        (int)(sizeof not_literal / sizeof not_literal[0]));
    tcase_add_loop_test(out, test_netaddr_set_table, 0,
                        (int)(sizeof allow_cases / sizeof allow_cases[0]));
    tcase_add_loop_test(out, test_netaddr_set_refused, 0,
                        (int)(sizeof bad_sets / sizeof bad_sets[0]));
    tcase_add_test(out, test_netaddr_outbound_edges);
    suite_add_tcase(s, out);
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
