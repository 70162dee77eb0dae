/* Unit tests for server/config.c: defaults, bounds, required settings, and that an error
 * line names the setting without echoing a secret. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/core/config.h"
#include "server/core/secrets.h"
#include "util/netaddr.h"

#define SECRET "0123456789abcdef0123456789abcdef"

static const char *const vars[] = {"DATABASE_URL",
                                   "AAM_DB_POOL_SIZE",
                                   "JWT_SECRET",
                                   "JWT_TTL_SECONDS",
                                   "PORT",
                                   "AAM_SOURCES_ROOT",
                                   "AAM_CORS_ORIGINS",
                                   "AAM_DEMO_PASSWORD",
                                   "AAM_THREADS",
                                   "AAM_WORKERS",
                                   "AAM_LOG_LEVEL",
                                   "AAM_ADMIN_ADDR",
                                   "AAM_OUTBOUND_NETS",
                                   "AAM_LISTEN_ADDR",
                                   "AAM_MIGRATE_DATABASE_URL",
                                   "AAM_APP_ROLE",
                                   "AAM_SECRET_KEYS"};

static void clean_env(void)
{
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("DATABASE_URL", "postgresql://u:pw@127.0.0.1:6432/aam", 1);
    setenv("JWT_SECRET", SECRET, 1);
}

START_TEST(test_config_defaults)
{
    struct cfg c;
    char err[256];
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_int_eq(c.db_pool_size, 16);
    ck_assert_int_eq(c.port, 8080);
    ck_assert_int_eq(c.jwt_ttl_s, 3600);
    /* as many transactions in flight as the database can run: 2 x cores + 2, within the pool */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int by_cores = (int)(cores < 1 ? 1 : cores) * 2 + 2;
    ck_assert_int_eq(c.workers, by_cores < 16 ? by_cores : 16);
    ck_assert_uint_eq(c.jwt_secret_len, strlen(SECRET));
    ck_assert_uint_eq(c.n_cors_origins, 0);
    ck_assert_str_eq(c.admin_addr, "127.0.0.1:9090");
    ck_assert_str_eq(c.admin_host, "127.0.0.1");
    ck_assert_int_eq(c.admin_port, 9090);
    cfg_free(&c);
    cfg_free(&c); /* twice is safe */
}
END_TEST

struct bad_case {
    const char *name, *value, *must_say;
};

static const struct bad_case bad[] = {
    {"JWT_SECRET", "short-secret", "JWT_SECRET must be at least 32 bytes"},
    {"AAM_DB_POOL_SIZE", "-1", "AAM_DB_POOL_SIZE must be an integer"},
    {"AAM_DB_POOL_SIZE", "lots", "AAM_DB_POOL_SIZE must be an integer"},
    {"PORT", "70000", "PORT must be an integer from 1 to 65535"},
    {"PORT", "80a", "PORT must be an integer"},
    {"PORT", "", "PORT must be an integer"},
    {"JWT_TTL_SECONDS", "0", "JWT_TTL_SECONDS must be an integer"},
    {"AAM_CORS_ORIGINS", "http://ok.example, ftp://nope", "AAM_CORS_ORIGINS"},
    {"AAM_CORS_ORIGINS", "http://ui.example/path", "AAM_CORS_ORIGINS"},
    {"AAM_SOURCES_ROOT", "/definitely/not/here", "AAM_SOURCES_ROOT"},
    {"AAM_DEMO_PASSWORD", "short", "AAM_DEMO_PASSWORD must be at least 8 bytes"},
    {"AAM_LOG_LEVEL", "loud", "AAM_LOG_LEVEL"},
    {"DATABASE_URL", "nonsense", "DATABASE_URL"},
    {"AAM_MIGRATE_DATABASE_URL", "nonsense", "AAM_MIGRATE_DATABASE_URL must be a postgresql://"},
    {"AAM_APP_ROLE", "Aam_App", "AAM_APP_ROLE must be a role name"},
    {"AAM_APP_ROLE", "aam app", "AAM_APP_ROLE"},
    {"AAM_APP_ROLE", "aam\"; DROP TABLE tenants; --", "AAM_APP_ROLE"},
    {"AAM_APP_ROLE", "9lives", "AAM_APP_ROLE"},
    {"AAM_APP_ROLE", "", "AAM_APP_ROLE"},
    {"AAM_ADMIN_ADDR", "9090", "AAM_ADMIN_ADDR must be off or IP:PORT"},
    {"AAM_ADMIN_ADDR", "127.0.0.1:0", "AAM_ADMIN_ADDR"},
    {"AAM_ADMIN_ADDR", "127.0.0.1:65536", "AAM_ADMIN_ADDR"},
    {"AAM_ADMIN_ADDR", "localhost:9090", "AAM_ADMIN_ADDR"},
    {"AAM_ADMIN_ADDR", "::1:9090", "AAM_ADMIN_ADDR"},
    {"AAM_ADMIN_ADDR", "[127.0.0.1]:9090", "AAM_ADMIN_ADDR"},
    {"AAM_ADMIN_ADDR", "[::1:9090", "AAM_ADMIN_ADDR"},
    {"AAM_ADMIN_ADDR", "", "AAM_ADMIN_ADDR"},
    {"AAM_ADMIN_ADDR", "OFF", "AAM_ADMIN_ADDR"},
    {"AAM_OUTBOUND_NETS", "10.0.0.1/8", "AAM_OUTBOUND_NETS: \"10.0.0.1/8\" is not"},
    {"AAM_OUTBOUND_NETS", "public, intranet", "AAM_OUTBOUND_NETS: \"intranet\" is not"},
    {"AAM_OUTBOUND_NETS", "", "AAM_OUTBOUND_NETS is set but empty"},
    {"AAM_OUTBOUND_NETS", " , ", "AAM_OUTBOUND_NETS is set but empty"},
    {"AAM_LISTEN_ADDR", "localhost", "AAM_LISTEN_ADDR must be an IP address"},
    {"AAM_LISTEN_ADDR", "127.0.0.1:8080", "AAM_LISTEN_ADDR"},
    {"AAM_LISTEN_ADDR", "[::1]:8080", "AAM_LISTEN_ADDR"},
    {"AAM_LISTEN_ADDR", "127.0.0.256", "AAM_LISTEN_ADDR"},
    {"AAM_LISTEN_ADDR", "[127.0.0.1", "AAM_LISTEN_ADDR"},
    {"AAM_LISTEN_ADDR", "", "AAM_LISTEN_ADDR"},
};

START_TEST(test_config_bad_values_named)
{
    const struct bad_case *b = &bad[_i];
    struct cfg c;
    char err[256] = "";
    setenv(b->name, b->value, 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), -1);
    ck_assert_msg(strstr(err, b->must_say) != NULL, "error \"%s\" should say \"%s\"", err,
                  b->must_say);
    if (strcmp(b->name, "JWT_SECRET") == 0 || strcmp(b->name, "AAM_DEMO_PASSWORD") == 0)
        ck_assert_msg(strstr(err, b->value) == NULL, "a secret was echoed: %s", err);
}
END_TEST

START_TEST(test_config_required_only_when_needed)
{
    struct cfg c;
    char err[256];
    unsetenv("JWT_SECRET");
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), -1);
    ck_assert_str_eq(err, "JWT_SECRET is required");
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB, err, sizeof err), 0); /* migrate needs no secret */
    cfg_free(&c);
    setenv("JWT_SECRET", "short", 1); /* …and does not fail on one it never reads */
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB, err, sizeof err), 0);
    ck_assert_ptr_null(c.jwt_secret);
    cfg_free(&c);
    setenv("DATABASE_URL", "nonsense", 1);                             /* token needs no database */
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_JWT, err, sizeof err), -1); /* the short secret */
    setenv("JWT_SECRET", SECRET, 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_ptr_null(c.database_url);
    cfg_free(&c);
    unsetenv("DATABASE_URL");
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB, err, sizeof err), -1);
    ck_assert_str_eq(err, "DATABASE_URL is required");
}
END_TEST

START_TEST(test_config_workers_within_pool)
{
    struct cfg c;
    char err[256];
    setenv("AAM_DB_POOL_SIZE", "2", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_int_eq(c.workers, 2); /* never more workers than pooled connections */
    cfg_free(&c);
    setenv("AAM_WORKERS", "40", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_int_eq(c.workers, 40); /* an explicit setting wins */
    cfg_free(&c);
}
END_TEST

START_TEST(test_config_pool_zero_and_cors)
{
    struct cfg c;
    char err[256];
    setenv("AAM_DB_POOL_SIZE", "0", 1);
    setenv("AAM_CORS_ORIGINS", " http://ui.example , https://app.example:8443 ", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_int_eq(c.db_pool_size, 0);
    ck_assert_int_eq(c.workers, 16);
    ck_assert_uint_eq(c.n_cors_origins, 2);
    ck_assert_int_eq(cfg_cors_allowed(&c, "http://ui.example"), 1);
    ck_assert_int_eq(cfg_cors_allowed(&c, "https://app.example:8443"), 1);
    ck_assert_int_eq(cfg_cors_allowed(&c, "http://evil.example"), 0);
    ck_assert_int_eq(cfg_cors_allowed(&c, NULL), 0);
    cfg_free(&c);
}
END_TEST

START_TEST(test_config_admin_addr)
{
    struct cfg c;
    char err[256];
    setenv("AAM_ADMIN_ADDR", "off", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_ptr_null(c.admin_addr);
    cfg_free(&c);
    setenv("AAM_ADMIN_ADDR", "[::1]:9191", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_str_eq(c.admin_host, "::1");
    ck_assert_int_eq(c.admin_port, 9191);
    cfg_free(&c);
    setenv("AAM_ADMIN_ADDR", "0.0.0.0:65535", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_str_eq(c.admin_host, "0.0.0.0");
    ck_assert_int_eq(c.admin_port, 65535);
    cfg_free(&c);
}
END_TEST

/* AAM_OUTBOUND_NETS: `public` by default (the world, not this host or its networks); naming
 * loopback lets the tests' local stubs be reached. */
START_TEST(test_config_outbound_nets)
{
    struct cfg c;
    char err[256];
    struct sockaddr_storage lo, world;
    ck_assert_int_eq(netaddr_parse_host("127.0.0.1", &lo), 0);
    ck_assert_int_eq(netaddr_parse_host("93.184.216.34", &world), 0);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_ptr_nonnull(c.outbound_nets);
    ck_assert_int_eq(netaddr_set_allows(c.outbound_nets, (struct sockaddr *)&world), 1);
    ck_assert_int_eq(netaddr_set_allows(c.outbound_nets, (struct sockaddr *)&lo), 0);
    cfg_free(&c);
    setenv("AAM_OUTBOUND_NETS", "127.0.0.0/8", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_int_eq(netaddr_set_allows(c.outbound_nets, (struct sockaddr *)&world), 0);
    ck_assert_int_eq(netaddr_set_allows(c.outbound_nets, (struct sockaddr *)&lo), 1);
    cfg_free(&c);
    cfg_free(&c);
}
END_TEST

/* AAM_LISTEN_ADDR: unset is every address (""); an IPv4 or IPv6 literal, the latter with or
 * without brackets, is kept as the bare address http_start binds. */
START_TEST(test_config_listen_addr)
{
    static const struct {
        const char *value, *host;
    } ok[] = {{"127.0.0.1", "127.0.0.1"},
              {"::1", "::1"},
              {"[::1]", "::1"},
              {"0.0.0.0", "0.0.0.0"},
              {"fd00::5", "fd00::5"}};
    struct cfg c;
    char err[256];
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_str_eq(c.listen_host, "");
    cfg_free(&c);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        setenv("AAM_LISTEN_ADDR", ok[i].value, 1);
        ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_JWT, err, sizeof err), 0);
        ck_assert_str_eq(c.listen_host, ok[i].host);
        cfg_free(&c);
    }
}
END_TEST

/* AAM_SECRET_KEYS: required (and read) only when a command asks for it; parsed into a keyring;
 * a bad value is one line naming the setting that never quotes the value. */
#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
START_TEST(test_config_secret_keys)
{
    struct cfg c;
    char err[256] = "";
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_SECRET_KEYS, err, sizeof err), -1);
    ck_assert_str_eq(err, "AAM_SECRET_KEYS is required");
    setenv("AAM_SECRET_KEYS", "new:" KEY_B ", old:" KEY_A, 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_SECRET_KEYS, err, sizeof err), 0);
    ck_assert_ptr_nonnull(c.secret_keys);
    ck_assert_uint_eq(secrets_keyring_count(c.secret_keys), 2);
    ck_assert_str_eq(secrets_keyring_id(c.secret_keys, 0), "new");
    cfg_free(&c);
    ck_assert_ptr_null(c.secret_keys);
    cfg_free(&c);
    /* a command that does not ask neither needs nor reads it, a broken one included */
    setenv("AAM_SECRET_KEYS", "garbage", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_JWT, err, sizeof err), 0);
    ck_assert_ptr_null(c.secret_keys);
    cfg_free(&c);
    static const char *const broken[] = {
        "garbage" KEY_A,               /* no id */
        "k1:" KEY_A ",k1:" KEY_B,      /* a repeated id */
        "k1:" KEY_A "QUFB",            /* 35 bytes */
        "k1:" KEY_A ", k2:" KEY_B "x", /* the second broken */
        "",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        setenv("AAM_SECRET_KEYS", broken[i], 1);
        err[0] = '\0';
        ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB | CFG_NEED_SECRET_KEYS, err, sizeof err), -1);
        ck_assert_msg(strncmp(err, "AAM_SECRET_KEYS", 15) == 0, "%s", err);
        ck_assert_msg(strstr(err, "AAECAwQF") == NULL && strstr(err, "ICEiIyQl") == NULL &&
                          strstr(err, "garbage") == NULL,
                      "the value was echoed: %s", err);
    }
}
END_TEST

/* The db_config every command uses comes from one builder: serve gets the configured pool and
 * statement timeout, seed one connection, migrate one connection and no statement timeout;
 * the defaults are db.h's, the numbers the table shows. */
START_TEST(test_config_db_config_per_command)
{
    struct cfg c;
    struct db_config d;
    char err[256];
    setenv("AAM_DB_POOL_SIZE", "7", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB, err, sizeof err), 0);
    cfg_db_config(&c, CFG_DB_SERVE, &d);
    ck_assert_str_eq(d.url, "postgresql://u:pw@127.0.0.1:6432/aam");
    ck_assert_int_eq(d.pool_size, 7);
    ck_assert_int_eq(d.statement_timeout_ms, DB_DEFAULT_STATEMENT_TIMEOUT_MS);
    ck_assert_int_eq(d.acquire_timeout_ms, DB_DEFAULT_ACQUIRE_TIMEOUT_MS);
    ck_assert_int_eq(d.connect_timeout_s, DB_DEFAULT_CONNECT_TIMEOUT_S);
    ck_assert_int_eq(d.max_lifetime_s, DB_DEFAULT_MAX_LIFETIME_S);
    cfg_db_config(&c, CFG_DB_COMMAND, &d);
    ck_assert_int_eq(d.pool_size, 1);
    ck_assert_int_eq(d.statement_timeout_ms, DB_DEFAULT_STATEMENT_TIMEOUT_MS);
    cfg_db_config(&c, CFG_DB_MIGRATE, &d);
    ck_assert_int_eq(d.pool_size, 1);
    ck_assert_int_eq(d.statement_timeout_ms, 0);
    cfg_free(&c);
    unsetenv("AAM_DB_POOL_SIZE");
}
END_TEST

/* The two roles: serve uses DATABASE_URL (the application role); migrate and the operator
 * commands use AAM_MIGRATE_DATABASE_URL (the tables' owner) when it is set, else DATABASE_URL. */
START_TEST(test_config_db_config_owner_url)
{
    struct cfg c;
    struct db_config d;
    char err[256];
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB, err, sizeof err), 0);
    ck_assert_ptr_null(c.migrate_database_url);
    ck_assert_str_eq(c.app_role, "aam_app");
    cfg_db_config(&c, CFG_DB_MIGRATE, &d);
    ck_assert_str_eq(d.url, "postgresql://u:pw@127.0.0.1:6432/aam");
    cfg_free(&c);
    setenv("AAM_MIGRATE_DATABASE_URL", "postgresql://owner:pw2@127.0.0.1:5432/aam", 1);
    setenv("AAM_APP_ROLE", "svc_aam$1", 1);
    ck_assert_int_eq(cfg_load(&c, CFG_NEED_DB, err, sizeof err), 0);
    ck_assert_str_eq(c.app_role, "svc_aam$1");
    cfg_db_config(&c, CFG_DB_SERVE, &d);
    ck_assert_str_eq(d.url, "postgresql://u:pw@127.0.0.1:6432/aam");
    cfg_db_config(&c, CFG_DB_COMMAND, &d);
    ck_assert_str_eq(d.url, "postgresql://owner:pw2@127.0.0.1:5432/aam");
    cfg_db_config(&c, CFG_DB_MIGRATE, &d);
    ck_assert_str_eq(d.url, "postgresql://owner:pw2@127.0.0.1:5432/aam");
    cfg_free(&c);
}
END_TEST

/* Every row of the configuration table has its line in README's configuration table, so a
 * setting added in one place (config.h) cannot stay undocumented. Run from the repository
 * root (tests/run.sh does). */
#define CFG_NAME(kind, field, name, def, min, max, need, hook, help) name,
START_TEST(test_config_every_setting_in_readme)
{
    static const char *const names[] = {CFG_SETTINGS(CFG_NAME)};
    FILE *f = fopen("README.md", "r");
    ck_assert_msg(f != NULL, "README.md not found from %s", getenv("PWD") ? getenv("PWD") : "?");
    static char text[256 * 1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char row[96];
        snprintf(row, sizeof row, "\n| `%s` |", names[i]);
        ck_assert_msg(strstr(text, row) != NULL, "%s has no row in README's configuration table",
                      names[i]);
    }
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("load");
    tcase_add_checked_fixture(tc, clean_env, NULL);
    tcase_add_test(tc, test_config_defaults);
    tcase_add_test(tc, test_config_workers_within_pool);
    tcase_add_loop_test(tc, test_config_bad_values_named, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, test_config_required_only_when_needed);
    tcase_add_test(tc, test_config_pool_zero_and_cors);
    tcase_add_test(tc, test_config_admin_addr);
    tcase_add_test(tc, test_config_outbound_nets);
    tcase_add_test(tc, test_config_listen_addr);
    tcase_add_test(tc, test_config_db_config_per_command);
    tcase_add_test(tc, test_config_db_config_owner_url);
    tcase_add_test(tc, test_config_secret_keys);
    tcase_add_test(tc, test_config_every_setting_in_readme);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
