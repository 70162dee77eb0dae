/* Unit tests for server/core/access.c: the rights table (every role and every scope against
 * every right, written out here independently of access.c), the claims' words (role names,
 * scope lists parsed and formatted), and tokens without role or scope. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/access.h"

/* Who holds what, as the contract's "Members, roles and scopes" says it. */
struct grant_case {
    enum access_right right;
    int viewer, editor, admin;
    unsigned scopes_granting; /* a client holds the right iff it has one of these scopes */
};

static const struct grant_case grants[] = {
    {ACCESS_ANY, 1, 1, 1, ACCESS_SCOPES_ALL},
    {ACCESS_CONNECTORS_READ, 1, 1, 1, ACCESS_SCOPE_CONNECTORS_READ | ACCESS_SCOPE_CONNECTORS_WRITE},
    {ACCESS_CONNECTORS_WRITE, 0, 1, 1, ACCESS_SCOPE_CONNECTORS_WRITE},
    {ACCESS_CONNECTORS_CHECK, 0, 1, 1, ACCESS_SCOPE_CONNECTORS_CHECK},
    {ACCESS_EVENTS_READ, 1, 1, 1, ACCESS_SCOPE_EVENTS_READ},
    {ACCESS_WEBHOOKS, 0, 0, 1, ACCESS_SCOPE_WEBHOOKS_WRITE},
    {ACCESS_MEMBERS_READ, 1, 1, 1, 0},
    {ACCESS_MEMBERS_ADMIN, 0, 0, 1, 0},
    {ACCESS_CLIENTS_ADMIN, 0, 0, 1, 0},
};
#define N_GRANTS (sizeof grants / sizeof grants[0])

static struct jwt_identity user(const char *role)
{
    struct jwt_identity id;
    memset(&id, 0, sizeof id);
    strcpy(id.sub, "u");
    strcpy(id.ns, "t");
    strcpy(id.role, role);
    return id;
}

static struct jwt_identity client(unsigned scopes)
{
    struct jwt_identity id = user("");
    id.is_client = 1;
    id.scopes = scopes;
    return id;
}

START_TEST(test_access_every_right_is_in_the_table)
{
    ck_assert_int_eq(N_GRANTS, ACCESS_N_RIGHTS - 1); /* all but ACCESS_UNDECLARED */
}
END_TEST

START_TEST(test_access_roles)
{
    const struct grant_case *g = &grants[_i];
    struct jwt_identity v = user("viewer"), e = user("editor"), a = user("admin");
    ck_assert_msg(access_allows(&v, g->right) == g->viewer, "viewer, right %d", g->right);
    ck_assert_msg(access_allows(&e, g->right) == g->editor, "editor, right %d", g->right);
    ck_assert_msg(access_allows(&a, g->right) == g->admin, "admin, right %d", g->right);
}
END_TEST

/* Every one of the 32 scope sets against every right. */
START_TEST(test_access_scopes)
{
    const struct grant_case *g = &grants[_i];
    for (unsigned set = 0; set <= ACCESS_SCOPES_ALL; set++) {
        struct jwt_identity c = client(set);
        int want = g->right == ACCESS_ANY || (set & g->scopes_granting) != 0;
        ck_assert_msg(access_allows(&c, g->right) == want, "scopes 0x%x, right %d", set, g->right);
    }
}
END_TEST

START_TEST(test_access_nobody_holds_undeclared)
{
    struct jwt_identity a = user("admin"), c = client(ACCESS_SCOPES_ALL), old = user("");
    ck_assert_int_eq(access_allows(&a, ACCESS_UNDECLARED), 0);
    ck_assert_int_eq(access_allows(&c, ACCESS_UNDECLARED), 0);
    ck_assert_int_eq(access_allows(&old, ACCESS_UNDECLARED), 0);
    ck_assert_int_eq(access_allows(&a, ACCESS_N_RIGHTS), 0);
    ck_assert_int_eq(access_allows(NULL, ACCESS_ANY), 0);
    ck_assert_int_eq(access_allows(NULL, ACCESS_CONNECTORS_READ), 0);
}
END_TEST

/* A token with neither claim keeps the connector routes it had, gains nothing of roles. */
START_TEST(test_access_token_without_role_or_scope)
{
    struct jwt_identity old = user("");
    ck_assert_int_eq(access_allows(&old, ACCESS_CONNECTORS_READ), 1);
    ck_assert_int_eq(access_allows(&old, ACCESS_CONNECTORS_WRITE), 1);
    ck_assert_int_eq(access_allows(&old, ACCESS_MEMBERS_READ), 0);
    ck_assert_int_eq(access_allows(&old, ACCESS_MEMBERS_ADMIN), 0);
    ck_assert_int_eq(access_allows(&old, ACCESS_CLIENTS_ADMIN), 0);
    struct jwt_identity odd = user("root"); /* jwt.c refuses it; here it must grant no more */
    ck_assert_int_eq(access_allows(&odd, ACCESS_MEMBERS_ADMIN), 0);
}
END_TEST

START_TEST(test_access_role_names)
{
    ck_assert_int_eq(access_role_parse("admin"), ACCESS_ROLE_ADMIN);
    ck_assert_int_eq(access_role_parse("editor"), ACCESS_ROLE_EDITOR);
    ck_assert_int_eq(access_role_parse("viewer"), ACCESS_ROLE_VIEWER);
    ck_assert_int_eq(access_role_parse("Admin"), ACCESS_ROLE_NONE);
    ck_assert_int_eq(access_role_parse("admin "), ACCESS_ROLE_NONE);
    ck_assert_int_eq(access_role_parse(""), ACCESS_ROLE_NONE);
    ck_assert_int_eq(access_role_parse(NULL), ACCESS_ROLE_NONE);
    ck_assert_str_eq(access_role_name(ACCESS_ROLE_EDITOR), "editor");
    ck_assert_str_eq(access_role_name(ACCESS_ROLE_NONE), "");
}
END_TEST

START_TEST(test_access_scope_lists)
{
    char bad[80], text[ACCESS_SCOPES_TEXT_MAX];
    ck_assert_uint_eq(access_scopes_parse("connectors:read,events:read", ",", bad, sizeof bad),
                      ACCESS_SCOPE_CONNECTORS_READ | ACCESS_SCOPE_EVENTS_READ);
    ck_assert_uint_eq(access_scopes_parse(" webhooks:write  connectors:check ", " ", NULL, 0),
                      ACCESS_SCOPE_WEBHOOKS_WRITE | ACCESS_SCOPE_CONNECTORS_CHECK);
    ck_assert_uint_eq(access_scopes_parse("connectors:read,nope", ",", bad, sizeof bad), 0);
    ck_assert_str_eq(bad, "nope");
    ck_assert_uint_eq(access_scopes_parse("connectors:read connectors:write", ",", bad, sizeof bad),
                      0); /* a space is not the CLI's separator */
    ck_assert_uint_eq(access_scopes_parse(",,", ",", bad, sizeof bad), 0);
    ck_assert_uint_eq(access_scopes_parse(NULL, ",", bad, sizeof bad), 0);
    ck_assert_uint_eq(access_scope_bit("connectors:rea", 14), 0);
    access_scopes_format(ACCESS_SCOPES_ALL, text, sizeof text);
    ck_assert_str_eq(text,
                     "connectors:read connectors:write connectors:check events:read webhooks:write");
    ck_assert_uint_eq(access_scopes_parse(text, " ", NULL, 0), ACCESS_SCOPES_ALL);
    access_scopes_format(ACCESS_SCOPE_EVENTS_READ | ACCESS_SCOPE_CONNECTORS_READ, text, sizeof text);
    ck_assert_str_eq(text, "connectors:read events:read");
    access_scopes_format(0, text, sizeof text);
    ck_assert_str_eq(text, "");
}
END_TEST

static Suite *access_suite(void)
{
    Suite *s = suite_create("access");
    TCase *tc = tcase_create("rights");
    tcase_add_test(tc, test_access_every_right_is_in_the_table);
    tcase_add_loop_test(tc, test_access_roles, 0, (int)N_GRANTS);
    tcase_add_loop_test(tc, test_access_scopes, 0, (int)N_GRANTS);
    tcase_add_test(tc, test_access_nobody_holds_undeclared);
    tcase_add_test(tc, test_access_token_without_role_or_scope);
    suite_add_tcase(s, tc);
    tc = tcase_create("words");
    tcase_add_test(tc, test_access_role_names);
    tcase_add_test(tc, test_access_scope_lists);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(access_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
