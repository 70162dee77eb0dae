/* cmd_seed: `aam seed`. Applies the declarative seed files (AAM_SEEDS_DIR, default ./seeds,
 * every *.json in name order) idempotently: a row that already matches is not written at all,
 * a differing seed-owned field is reconciled and reported, and a user's password is set only
 * when the user is created (AAM_DEMO_PASSWORD, else a generated one printed once). Each
 * tenant is one transaction scoped to its namespace; every insert is ON CONFLICT DO NOTHING,
 * so seeds running at the same time leave exactly one of each row.
 *
 * Seed file format:
 *   {"tenants": [{"namespace": "demo", "name": "Demo",
 *                 "users": [{"email": "demo@autonomos.local"}],
 *                 "grants": ["mock_sources/"],
 *                 "connectors": [{"id", "name", "type", "status", "config": {…}}]}]}
 * A tenant without users is a tenant for service callers. "grants" are folders the tenant may
 * use (as `aam sources grant`): each path must resolve, symlinks followed, to a folder inside
 * AAM_SOURCES_ROOT, and is stored relative to it; a seed only adds grants, never revokes one.
 * Seed-owned fields: a tenant's name; a connector's name, type, status and config (and the
 * folder its path resolves to, kept for the files routes' ownership check). A user's
 * password and everything not listed (ids, created_at) belong to the running system. */
#include <dirent.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "server/core/jwt.h"
#include "server/cli/commands.h"
#include "server/core/config.h"
#include "server/core/connector_json.h"
#include "server/core/email.h"
#include "server/core/log.h"
#include "server/core/password.h"
#include "server/core/sources.h"

#define MAX_SEED_FILES 64

struct seed_counts {
    int tenants[3], users[3], connectors[3], grants[3]; /* created, updated, unchanged */
};
enum { SEED_CREATED = 0, SEED_UPDATED = 1, SEED_UNCHANGED = 2 };

struct seed_ctx {
    struct db_pool *db;
    const struct cfg *cfg;
    struct seed_counts counts;
    char error[512]; /* the one reason printed on failure */
};

/* ------------------------------------------------------------------ loading and checking */

static int fail(struct seed_ctx *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the one reason printed on failure; returns -1 for the caller to pass on. */
static int fail(struct seed_ctx *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
    return -1;
}

static int check_connector(struct seed_ctx *s, const char *ns, const json_t *c)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *type = json_string_value(json_object_get(c, "type"));
    const char *status = json_string_value(json_object_get(c, "status"));
    const json_t *config = json_object_get(c, "config");
    if (!connector_json_id_valid(id))
        return fail(s, "tenant %s: a connector has a missing or invalid \"id\"", ns);
    if (!connector_json_name_valid(name) || !connector_json_type_valid(type) ||
        !connector_json_status_valid(status) || !json_is_object(config))
        return fail(s,
                    "connector %s/%s: name, type, status and config (an object) must all be "
                    "valid",
                    ns, id);
    /* The folder itself is not checked: a seed may run where the sources are not mounted. */
    const json_t *pattern = json_object_get(config, "pattern");
    if (strcmp(type, CONNECTOR_TYPE_FILESOURCE) == 0 &&
        (!json_is_string(json_object_get(config, "path")) ||
         (pattern != NULL && !sources_pattern_valid(json_string_value(pattern)))))
        return fail(s, "connector %s/%s: a filesource needs config.path (and a valid pattern)", ns,
                    id);
    return 0;
}

static int check_user(struct seed_ctx *s, const char *ns, const json_t *u)
{
    const char *email = json_string_value(json_object_get(u, "email"));
    if (email == NULL || !email_valid(email, strlen(email)))
        return fail(s, "tenant %s: a user has a missing or invalid \"email\"", ns);
    for (const char *p = email; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            return fail(s, "user %s: emails are stored in lower case", email);
    }
    return 0;
}

/* Checks one tenant entry completely before anything is written. */
static int check_tenant(struct seed_ctx *s, const json_t *t)
{
    const char *ns = json_string_value(json_object_get(t, "namespace"));
    const char *name = json_string_value(json_object_get(t, "name"));
    const json_t *users = json_object_get(t, "users"), *conns = json_object_get(t, "connectors");
    const json_t *grants = json_object_get(t, "grants");
    size_t i;
    json_t *v;
    if (!jwt_namespace_valid(ns))
        return fail(s, "a tenant has a missing or invalid \"namespace\"");
    if (name == NULL || name[0] == '\0')
        return fail(s, "tenant %s: \"name\" is required", ns);
    if ((users != NULL && !json_is_array(users)) || (conns != NULL && !json_is_array(conns)))
        return fail(s, "tenant %s: \"users\" and \"connectors\" must be arrays", ns);
    if (grants != NULL && !json_is_array(grants))
        return fail(s, "tenant %s: \"grants\" must be an array of folder paths", ns);
    json_array_foreach(grants, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= PATH_MAX)
            return fail(s, "tenant %s: every grant must be a folder path (a string)", ns);
    }
    json_array_foreach(users, i, v) {
        if (check_user(s, ns, v) != 0)
            return -1;
    }
    json_array_foreach(conns, i, v) {
        if (check_connector(s, ns, v) != 0)
            return -1;
    }
    return 0;
}

static int on_json_name(const struct dirent *de)
{
    size_t n = strlen(de->d_name);
    return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".json") == 0;
}

/* Loads every seed file into one array of tenants (a new reference), checked. */
static json_t *load_seeds(struct seed_ctx *s, const char *dir)
{
    struct dirent **names = NULL;
    json_t *all = json_array();
    int n = scandir(dir, &names, on_json_name, alphasort);
    if (n < 0) {
        fail(s, "cannot read the seeds directory %s (set AAM_SEEDS_DIR)", dir);
        json_decref(all);
        return NULL;
    }
    for (int i = 0; i < n && all != NULL; i++) {
        char path[4096];
        json_error_t jerr;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        const json_t *tenants = json_object_get(doc, "tenants");
        size_t k;
        json_t *t;
        if (!json_is_array(tenants)) {
            fail(s, "%s: not a seed file (expected {\"tenants\": [...]})%s", path,
                 doc ? "" : " (invalid JSON)");
            json_decref(all);
            all = NULL;
        }
        json_array_foreach(tenants, k, t) {
            if (all != NULL && check_tenant(s, t) != 0) {
                json_decref(all);
                all = NULL;
            }
            if (all != NULL)
                json_array_append(all, t);
        }
        json_decref(doc);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (all != NULL && n == 0) {
        fail(s, "no seed files (*.json) in %s", dir);
        json_decref(all);
        all = NULL;
    }
    return all;
}

/* ------------------------------------------------------------------ applying */

/* Runs a statement whose first cell is 'created', 'updated' or 'unchanged'; counts it.
 * *what receives the second cell (which fields changed) when there is one. */
static int exec_outcome(struct seed_ctx *s, struct db_tx *tx, const struct db_stmt *stmt,
                        int *counts, char *what, size_t what_size)
{
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (db_tx_exec(tx, stmt, &r, &err) != 0)
        return fail(s, "database: %s", err.message);
    const char *state = db_result_get(r, 0, 0);
    int k = state == NULL                   ? SEED_UNCHANGED
            : strcmp(state, "created") == 0 ? SEED_CREATED
            : strcmp(state, "updated") == 0 ? SEED_UPDATED
                                            : SEED_UNCHANGED;
    counts[k]++;
    if (what != NULL)
        snprintf(what, what_size, "%s",
                 k == SEED_UPDATED && db_result_get(r, 0, 1) ? db_result_get(r, 0, 1) : "");
    db_result_free(r);
    return k;
}

static int apply_tenant_row(struct seed_ctx *s, struct db_tx *tx, const char *ns, const char *name)
{
    const char *params[] = {ns, name};
    struct db_stmt stmt = {cmd_tenant_upsert_sql, 2, params};
    int k = exec_outcome(s, tx, &stmt, s->counts.tenants, NULL, 0);
    if (k == SEED_UPDATED)
        printf("tenant %s: updated (name)\n", ns);
    return k < 0 ? -1 : 0;
}

/* 24 characters of base64url from 18 random bytes (144 bits). */
static int generate_password(char *out, size_t size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[18];
    if (size < 25 || RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    for (size_t i = 0, o = 0; i < sizeof raw; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        for (int k = 3; k >= 0; k--)
            out[o++] = alphabet[(v >> (6 * k)) & 63];
    }
    out[24] = '\0';
    return 0;
}

/* Returns 1 when the user exists in ns, 0 when absent, -1 on error (another tenant's user
 * included: a seed cannot move a user between tenants). login_email lets this one lookup see
 * the row whatever its namespace, as login does. */
static int user_exists(struct seed_ctx *s, struct db_tx *tx, const char *ns, const char *email)
{
    static const char set_sql[] = "SELECT set_config('" DB_LOGIN_EMAIL_SETTING "', $1, true)";
    static const char get_sql[] = "SELECT namespace FROM users WHERE email = $1";
    const char *params[] = {email};
    struct db_stmt set = {set_sql, 1, params}, get = {get_sql, 1, params};
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (db_tx_exec(tx, &set, NULL, &err) != 0 || db_tx_exec(tx, &get, &r, &err) != 0)
        return fail(s, "database: %s", err.message);
    int ret = db_result_rows(r) > 0;
    if (ret && strcmp(db_result_get(r, 0, 0), ns) != 0)
        ret = fail(s, "user %s already belongs to another tenant, not %s", email, ns);
    db_result_free(r);
    return ret;
}

static int insert_user(struct seed_ctx *s, struct db_tx *tx, const char *ns, const char *email)
{
    static const char sql[] = "INSERT INTO users (email, namespace, password_hash) "
                              "VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING";
    char generated[32], hash[PASSWORD_HASH_SIZE];
    const char *pw = s->cfg->demo_password;
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (pw == NULL && generate_password(generated, sizeof generated) != 0)
        return fail(s, "cannot generate a password for %s", email);
    if (pw == NULL)
        pw = generated;
    if (password_hash(pw, strlen(pw), hash, sizeof hash) != 0)
        return fail(s, "cannot hash the password for %s", email);
    const char *params[] = {email, ns, hash};
    struct db_stmt stmt = {sql, 3, params};
    if (db_tx_exec(tx, &stmt, &r, &err) != 0)
        return fail(s, "database: %s", err.message);
    int created = db_result_affected(r) == 1;
    db_result_free(r);
    /* Another seed may have created the user first: then this password was never set. */
    s->counts.users[created ? SEED_CREATED : SEED_UNCHANGED]++;
    if (created && pw == generated)
        printf("user %s: created with the generated password %s (shown once; set "
               "AAM_DEMO_PASSWORD to choose it)\n",
               email, generated);
    else if (created)
        printf("user %s: created with AAM_DEMO_PASSWORD\n", email);
    return 0;
}

static int apply_user(struct seed_ctx *s, struct db_tx *tx, const char *ns, const json_t *u)
{
    const char *email = json_string_value(json_object_get(u, "email"));
    int exists = user_exists(s, tx, ns, email);
    if (exists < 0)
        return -1;
    if (exists) {
        s->counts.users[SEED_UNCHANGED]++;
        return 0;
    }
    return insert_user(s, tx, ns, email);
}

/* The folder a filesource config's path resolves to, relative to the root, into out; 0 when it
 * does, -1 when not (not a filesource, or the folder is not there: the files routes then judge
 * the folder when they open it). */
static int connector_folder(const struct seed_ctx *s, const json_t *c, char *out, size_t size)
{
    const char *type = json_string_value(json_object_get(c, "type"));
    const char *path = json_string_value(json_object_get(json_object_get(c, "config"), "path"));
    char real[PATH_MAX];
    int fd = -1;
    if (type == NULL || strcmp(type, CONNECTOR_TYPE_FILESOURCE) != 0 || path == NULL ||
        sources_open_folder(s->cfg->sources_root, path, &fd, real, sizeof real) != SOURCES_OK)
        return -1;
    close(fd);
    const char *rel = sources_relative(s->cfg->sources_root, real);
    if (rel == NULL || strlen(rel) >= size)
        return -1;
    memcpy(out, rel, strlen(rel) + 1);
    return 0;
}

static int apply_connector(struct seed_ctx *s, struct db_tx *tx, const char *ns, const json_t *c)
{
    static const char sql[] =
        "WITH old AS (SELECT * FROM connections WHERE namespace = $1::text AND id = $2::text), "
        "ins AS (INSERT INTO connections (namespace, id, name, source_type, status, connector_config, "
        "  source_folder) VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::text) "
        "  ON CONFLICT (namespace, id) DO NOTHING RETURNING 1), "
        "upd AS (UPDATE connections c SET name = $3::text, source_type = $4::text, "
        "  status = $5::text, connector_config = $6::jsonb, source_folder = $7::text, updated_at = now() "
        "  WHERE c.namespace = $1::text AND c.id = $2::text AND NOT EXISTS (SELECT 1 FROM ins) "
        "  AND (c.name, c.source_type, c.status, c.connector_config, c.source_folder) IS DISTINCT FROM "
        "  ($3::text, $4::text, $5::text, $6::jsonb, $7::text) RETURNING 1) "
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'created' "
        "  WHEN EXISTS (SELECT 1 FROM upd) THEN 'updated' ELSE 'unchanged' END, "
        "  (SELECT concat_ws(', ', CASE WHEN o.name IS DISTINCT FROM $3::text THEN 'name' END, "
        "    CASE WHEN o.source_type IS DISTINCT FROM $4::text THEN 'type' END, "
        "    CASE WHEN o.status IS DISTINCT FROM $5::text THEN 'status' END, "
        "    CASE WHEN o.connector_config IS DISTINCT FROM $6::jsonb THEN 'config' END, "
        "    CASE WHEN o.source_folder IS DISTINCT FROM $7::text THEN 'folder' END) FROM old o)";
    const char *id = json_string_value(json_object_get(c, "id"));
    char *config = json_dumps(json_object_get(c, "config"), JSON_COMPACT);
    char what[128], folder[PATH_MAX];
    if (config == NULL)
        return fail(s, "connector %s/%s: out of memory", ns, id);
    const char *params[] = {ns,
                            id,
                            json_string_value(json_object_get(c, "name")),
                            json_string_value(json_object_get(c, "type")),
                            json_string_value(json_object_get(c, "status")),
                            config,
                            connector_folder(s, c, folder, sizeof folder) == 0 ? folder : NULL};
    struct db_stmt stmt = {sql, 7, params};
    int k = exec_outcome(s, tx, &stmt, s->counts.connectors, what, sizeof what);
    free(config);
    if (k == SEED_UPDATED)
        printf("connector %s/%s: updated (%s)\n", ns, id, what);
    return k < 0 ? -1 : 0;
}

/* A grant of the folder path resolves to (inside AAM_SOURCES_ROOT, else the seed fails). */
static int apply_grant(struct seed_ctx *s, struct db_tx *tx, const char *ns, const char *path)
{
    static const char sql[] =
        "WITH ins AS (INSERT INTO source_grants (namespace, folder) VALUES ($1, $2) "
        "  ON CONFLICT DO NOTHING RETURNING 1) "
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'created' ELSE 'unchanged' END";
    char real[PATH_MAX];
    int fd = -1;
    enum sources_status st = sources_open_folder(s->cfg->sources_root, path, &fd, real, sizeof real);
    const char *rel = st == SOURCES_OK ? sources_relative(s->cfg->sources_root, real) : NULL;
    if (fd >= 0)
        close(fd);
    if (rel == NULL)
        return fail(s,
                    "tenant %s: grant \"%s\" %s; it must be a folder inside AAM_SOURCES_ROOT (%s)",
                    ns, path,
                    st == SOURCES_OK ? "is outside the sources root" : sources_status_text(st),
                    s->cfg->sources_root);
    const char *params[] = {ns, rel};
    struct db_stmt stmt = {sql, 2, params};
    return exec_outcome(s, tx, &stmt, s->counts.grants, NULL, 0) < 0 ? -1 : 0;
}

/* One tenant, its users, grants and connectors: one transaction scoped to its namespace. */
static int apply_tenant(struct seed_ctx *s, const json_t *t)
{
    const char *ns = json_string_value(json_object_get(t, "namespace"));
    struct db_error err = {0};
    size_t i;
    json_t *v;
    struct db_tx *tx = db_tx_begin(s->db, ns, &err);
    if (tx == NULL)
        return fail(s, "database: %s", err.message);
    if (apply_tenant_row(s, tx, ns, json_string_value(json_object_get(t, "name"))) != 0)
        goto rollback;
    json_array_foreach(json_object_get(t, "users"), i, v) {
        if (apply_user(s, tx, ns, v) != 0)
            goto rollback;
    }
    json_array_foreach(json_object_get(t, "grants"), i, v) {
        if (apply_grant(s, tx, ns, json_string_value(v)) != 0)
            goto rollback;
    }
    json_array_foreach(json_object_get(t, "connectors"), i, v) {
        if (apply_connector(s, tx, ns, v) != 0)
            goto rollback;
    }
    if (db_tx_commit(tx, &err) != 0)
        return fail(s, "database: commit failed: %s", err.message);
    return 0;
rollback:
    db_tx_rollback(tx);
    return -1;
}

/* "0 created, 1 unchanged", with "updated" shown where a row can be reconciled and was. */
static void print_counts(const char *what, const int *c, int always_updated)
{
    if (always_updated || c[SEED_UPDATED] > 0)
        printf("%s: %d created, %d updated, %d unchanged", what, c[SEED_CREATED], c[SEED_UPDATED],
               c[SEED_UNCHANGED]);
    else
        printf("%s: %d created, %d unchanged", what, c[SEED_CREATED], c[SEED_UNCHANGED]);
}

static int seed_all(struct seed_ctx *s, const json_t *tenants)
{
    size_t i;
    json_t *t;
    json_array_foreach(tenants, i, t) {
        if (apply_tenant(s, t) != 0)
            return -1;
    }
    print_counts("tenants", s->counts.tenants, 0);
    printf("; ");
    print_counts("users", s->counts.users, 0);
    printf("; ");
    print_counts("connectors", s->counts.connectors, 1);
    printf("; ");
    print_counts("grants", s->counts.grants, 0);
    printf("\n");
    return 0;
}

int cmd_seed(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct cfg cfg;
    char err[256];
    if (cfg_load(&cfg, CFG_NEED_DB, err, sizeof err) != 0) {
        fprintf(stderr, "aam seed: %s\n", err);
        return 2;
    }
    struct seed_ctx s = {.cfg = &cfg};
    struct db_config dbc;
    cfg_db_config(&cfg, CFG_DB_COMMAND, &dbc);
    int rc = 1;
    json_t *tenants = load_seeds(&s, cfg.seeds_dir);
    if (tenants != NULL) {
        s.db = db_pool_new(&dbc);
        if (s.db == NULL)
            snprintf(s.error, sizeof s.error, "DATABASE_URL is not a usable connection string");
        else if (seed_all(&s, tenants) == 0)
            rc = 0;
    }
    if (rc != 0)
        fprintf(stderr, "aam seed: failed: %s\n", s.error);
    fflush(stdout);
    json_decref(tenants);
    db_pool_free(s.db);
    cfg_free(&cfg);
    return rc;
}
