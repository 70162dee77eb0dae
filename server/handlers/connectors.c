/* handlers/connectors: the tenant's connector registry. Each route is one call of
 * db/connectors.h scoped to the token's namespace; PostgreSQL returns plain columns and C
 * writes the JSON (cheaper for PostgreSQL, the benchmark's bottleneck: see db/connectors.c).
 * The jsonb config is embedded as the text PostgreSQL sends, unparsed (its numbers keep their
 * digits); it never holds a secret field. A config a client sends is split in C: its secret
 * fields are encrypted before any statement carries them (server/core/connector_secrets.h),
 * and reads show only their names ("secrets", the secret_fields column), never decrypting. */
#include "server/handlers/connectors.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/connectors.h"
#include "db/db.h"
#include "server/core/config.h"
#include "server/core/connector_json.h"
#include "server/core/connector_secrets.h"
#include "server/core/jsonbuf.h"
#include "server/core/log.h"
#include "server/core/types.h"
#include "server/handlers/tenant.h"
#include "util/hash.h"

/* The connector's columns (db/connectors.h), shorter. */
enum conn_col {
    COL_ID = DB_CONNECTOR_ID,
    COL_NAME = DB_CONNECTOR_NAME,
    COL_STATUS = DB_CONNECTOR_STATUS,
    COL_CONFIG = DB_CONNECTOR_CONFIG,
    COL_SECRETS = DB_CONNECTOR_SECRETS,
    COL_CREATED = DB_CONNECTOR_CREATED,
    COL_UPDATED = DB_CONNECTOR_UPDATED,
    COL_VERSION = DB_CONNECTOR_VERSION,
    COL_CHECK_OK = DB_CONNECTOR_CHECK_OK,
    COL_CHECK_AT = DB_CONNECTOR_CHECK_AT,
    COL_CHECK_MESSAGE = DB_CONNECTOR_CHECK_MESSAGE,
    CONN_NCOLS = DB_CONNECTOR_NCOLS
};

/* ------------------------------------------------------------------ shared */

/* The token's namespace, or NULL after answering 401 (protected routes always have one). */
static const char *tenant_of(const struct http_req *req, struct http_res *res)
{
    if (req->who == NULL || req->who->ns[0] == '\0') {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a bearer token is required");
        return NULL;
    }
    return req->who->ns;
}

/* The route's {id}, or NULL after answering 404: an id that breaks the id rule cannot exist,
 * so the database is not asked. */
static const char *route_id(const struct http_req *req, struct http_res *res)
{
    const char *id = req->n_params > 0 ? req->params[0] : NULL;
    if (!connector_json_id_valid(id)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
        return NULL;
    }
    return id;
}

/* Reads cell (row, col) as a decimal integer into *out. Returns 0, or -1 for NULL or junk. */
static int cell_int64(const struct db_result *r, int row, int col, int64_t *out)
{
    const char *text = db_result_get(r, row, col);
    char *end = NULL;
    if (text == NULL || text[0] == '\0')
        return -1;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* Appends ,"last_check":{"ok","checked_at","message"}, or null before the first check. */
static void append_last_check(struct jsonbuf *b, const struct db_result *r, int row, int col0)
{
    const char *ok = db_result_get(r, row, col0 + COL_CHECK_OK);
    const char *msg = db_result_get(r, row, col0 + COL_CHECK_MESSAGE);
    int64_t at;
    if (ok == NULL || cell_int64(r, row, col0 + COL_CHECK_AT, &at) != 0) {
        jsonbuf_append_cstr(b, ",\"last_check\":null");
        return;
    }
    jsonbuf_append_cstr(b, strcmp(ok, "t") == 0 ? ",\"last_check\":{\"ok\":true"
                                                : ",\"last_check\":{\"ok\":false");
    jsonbuf_append_cstr(b, ",\"checked_at\":");
    jsonbuf_append_timestamp_us(b, at);
    jsonbuf_append_cstr(b, ",\"message\":");
    if (msg != NULL)
        jsonbuf_append_json_string(b, msg, db_result_len(r, row, col0 + COL_CHECK_MESSAGE));
    else
        jsonbuf_append_cstr(b, "null");
    jsonbuf_append_cstr(b, "}");
}

/* Appends the connector in row row of r, its columns starting at column col0, as a JSON
 * object with the contract's keys in the contract's order. ns is the token's namespace (the
 * row's, by the WHERE). Returns -1 when a cell is missing, which the NOT NULL columns rule out. */
static int append_connector(struct jsonbuf *b, const struct db_result *r, int row, int col0,
                            const char *ns)
{
    static const char *const keys[] = {"{\"id\":", ",\"name\":", ",\"type\":", ",\"status\":"};
    int64_t created, updated;
    const char *config = db_result_get(r, row, col0 + COL_CONFIG);
    const char *secrets = db_result_get(r, row, col0 + COL_SECRETS);
    if (db_result_cols(r) < col0 + CONN_NCOLS || config == NULL || secrets == NULL ||
        cell_int64(r, row, col0 + COL_CREATED, &created) != 0 ||
        cell_int64(r, row, col0 + COL_UPDATED, &updated) != 0)
        return -1;
    for (int i = COL_ID; i <= COL_STATUS; i++) {
        const char *text = db_result_get(r, row, col0 + i);
        if (text == NULL)
            return -1;
        jsonbuf_append_cstr(b, keys[i]);
        jsonbuf_append_json_string(b, text, db_result_len(r, row, col0 + i));
    }
    jsonbuf_append_cstr(b, ",\"namespace\":");
    jsonbuf_append_json_string(b, ns, strlen(ns));
    jsonbuf_append_cstr(b, ",\"config\":");
    jsonbuf_append(b, config, db_result_len(r, row, col0 + COL_CONFIG)); /* jsonb text: JSON */
    jsonbuf_append_cstr(b, ",\"secrets\":");
    jsonbuf_append(b, secrets, db_result_len(r, row, col0 + COL_SECRETS)); /* a jsonb array */
    jsonbuf_append_cstr(b, ",\"created_at\":");
    jsonbuf_append_timestamp_us(b, created);
    jsonbuf_append_cstr(b, ",\"updated_at\":");
    jsonbuf_append_timestamp_us(b, updated);
    append_last_check(b, r, row, col0);
    jsonbuf_append_cstr(b, "}");
    return 0;
}

/* Sends the text built in b (emptied here) as the JSON body, or a 500 when building failed
 * (ok == 0) or a length overflowed. what names the route for the log. */
static void send_built(struct http_res *res, int status, struct jsonbuf *b, int ok, const char *what)
{
    size_t len = 0;
    char *text = jsonbuf_finish(b, &len);
    if (!ok || text == NULL) {
        free(text);
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        log_error("%s: could not render the connector JSON", what);
        return;
    }
    http_res_raw_json(res, status, text, len);
}

/* The connector's strong ETag, "v<version>" quoted (a version is never reused, migration 0010),
 * into out (CONNECTOR_ETAG_SIZE bytes). Returns -1 when the version cell is missing. */
#define CONNECTOR_ETAG_SIZE 32
static int connector_etag(const struct db_result *r, int row, int col0, char *out)
{
    int64_t version;
    if (cell_int64(r, row, col0 + COL_VERSION, &version) != 0)
        return -1;
    snprintf(out, CONNECTOR_ETAG_SIZE, "\"v%lld\"", (long long)version);
    return 0;
}

/* Sends the connector in row 0 of r (columns from col0) as the whole body, with its ETag. */
static void send_connector(struct http_res *res, int status, const struct db_result *r, int col0,
                           const char *ns, const char *what)
{
    char etag[CONNECTOR_ETAG_SIZE];
    if (connector_etag(r, 0, col0, etag) == 0)
        http_res_etag(res, etag);
    struct jsonbuf b;
    jsonbuf_init(&b, 512 + db_result_len(r, 0, col0 + COL_CONFIG));
    int ok = append_connector(&b, r, 0, col0, ns) == 0;
    send_built(res, status, &b, ok, what);
}

/* ------------------------------------------------------------------ list */

enum {
    LIST_TOTAL = DB_CONNECTORS_LIST_TOTAL,
    LIST_TENANT_EXISTS = DB_CONNECTORS_LIST_TENANT_EXISTS
};

/* Writes {"connectors":[…],"total":N} from r into b. An empty page is one row with a NULL id
 * (see db_connectors_list), which carries only the total. Returns -1 when r is not that shape. */
static int build_list(struct jsonbuf *b, const struct db_result *r, const char *ns)
{
    int rows = db_result_rows(r);
    int64_t total = 0;
    if (rows < 1 || db_result_cols(r) <= LIST_TENANT_EXISTS ||
        cell_int64(r, 0, LIST_TOTAL, &total) != 0)
        return -1;
    if (db_result_get(r, 0, COL_ID) == NULL)
        rows = 0;
    jsonbuf_append_cstr(b, "{\"connectors\":[");
    for (int i = 0; i < rows; i++) {
        if (i > 0)
            jsonbuf_append(b, ",", 1);
        if (append_connector(b, r, i, 0, ns) != 0)
            return -1;
    }
    jsonbuf_append_cstr(b, "],\"total\":");
    jsonbuf_append_int64(b, total);
    jsonbuf_append_cstr(b, "}");
    return 0;
}

/* 1 when r is the empty-page row of a namespace that has no tenant. */
static int list_tenant_missing(const struct db_result *r)
{
    const char *exists = db_result_get(r, 0, LIST_TENANT_EXISTS);
    return db_result_rows(r) == 1 && db_result_get(r, 0, COL_ID) == NULL && exists != NULL &&
           strcmp(exists, "f") == 0;
}

/* Reads limit, offset, status and type; returns -1 after answering 422 for any bad one. */
static int list_query(const struct http_req *req, struct http_res *res, long *limit, long *offset,
                      const char **status, const char **type)
{
    struct field_errors fe = FIELD_ERRORS_INIT;
    int bad = connector_json_paging(http_req_query(req, "limit"), http_req_query(req, "offset"),
                                    CONNECTOR_LIMIT_DEFAULT, limit, offset, &fe) != 0;
    *status = http_req_query(req, "status");
    *type = http_req_query(req, "type");
    if (*status != NULL && !connector_json_status_valid(*status))
        field_errors_add(&fe, "status", "must be one of ACTIVE, INACTIVE, PENDING, ERROR");
    /* Any other value is an exact match: a type no connector can have lists nothing. */
    if (*type != NULL && (*type)[0] == '\0')
        field_errors_add(&fe, "type", "must not be empty");
    bad |= fe.n > 0;
    http_res_field_errors(res, &fe);
    field_errors_free(&fe);
    return bad ? -1 : 0;
}

/* The list's ETag: the tenant's revision (bumped in the transaction of every change, migration
 * 0010) and a hash of the namespace and the query, so two filters or pages, or two tenants at
 * the same revision, never share one: "r<revision>-<16 hex>". */
#define LIST_ETAG_SIZE 48
static uint64_t list_etag_hash(const char *ns, const struct db_connector_filter *f)
{
    char num[48];
    uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, ns, strlen(ns) + 1);
    h = hash_fnv1a(h, f->status ? f->status : "", f->status ? strlen(f->status) + 1 : 0);
    h = hash_fnv1a(h, "|", 1);
    h = hash_fnv1a(h, f->type ? f->type : "", f->type ? strlen(f->type) + 1 : 0);
    int n = snprintf(num, sizeof num, "|%ld|%ld", f->limit, f->offset);
    return hash_fnv1a(h, num, (size_t)n);
}

static void list_etag(long long revision, uint64_t hash, char *out)
{
    snprintf(out, LIST_ETAG_SIZE, "\"r%lld-%016llx\"", revision, (unsigned long long)hash);
}

/* The revision an If-None-Match value names for this very query (the tag's hash must be ours),
 * or -1. Weak comparison (RFC 9110 13.1.2): a W/ prefix is ignored. */
static long long list_known_revision(const char *inm, uint64_t hash)
{
    char suffix[24];
    snprintf(suffix, sizeof suffix, "-%016llx\"", (unsigned long long)hash);
    for (const char *p = inm; p != NULL && *p != '\0';) {
        p += strspn(p, " \t,");
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        size_t len = strcspn(p, ", \t");
        if (len > 3 && p[0] == '"' && p[1] == 'r') {
            char *end = NULL;
            errno = 0;
            long long rev = strtoll(p + 2, &end, 10);
            size_t slen = strlen(suffix);
            if (errno == 0 && rev >= 0 && end > p + 2 && (size_t)(end - p) + slen == len &&
                memcmp(end, suffix, slen) == 0)
                return rev;
        }
        p += len;
    }
    return -1;
}

void connectors_list(const struct http_req *req, struct http_res *res)
{
    const char *ns = tenant_of(req, res);
    struct db_connector_filter f = {0};
    struct db_result *r = NULL;
    struct db_error err = {0};
    struct jsonbuf b = JSONBUF_INIT;
    char etag[LIST_ETAG_SIZE];
    int64_t revision = -1;
    if (ns == NULL || list_query(req, res, &f.limit, &f.offset, &f.status, &f.type) != 0)
        return;
    uint64_t hash = list_etag_hash(ns, &f);
    f.known_revision = list_known_revision(req->if_none_match, hash);
    if (db_connectors_list(req->db, ns, &f, &r, &err) != 0) {
        http_res_db_error(res, &err, "list connectors");
        return;
    }
    /* An empty page may mean the token's namespace has no tenant: then say so, not "[]". */
    if (list_tenant_missing(r)) {
        tenant_res_missing(res, ns);
        db_result_free(r);
        return;
    }
    if (cell_int64(r, 0, DB_CONNECTORS_LIST_REVISION, &revision) == 0) {
        list_etag(revision, hash, etag);
        http_res_etag(res, etag);
    }
    if (db_result_get(r, 0, COL_ID) == NULL && db_result_get(r, 0, LIST_TOTAL) == NULL) {
        res->status = 304; /* the revision the caller named is still current */
        db_result_free(r);
        return;
    }
    jsonbuf_init(&b, 64 + (size_t)db_result_rows(r) * 400);
    int ok = build_list(&b, r, ns) == 0;
    send_built(res, 200, &b, ok, "list connectors");
    db_result_free(r);
}

/* ------------------------------------------------------------------ get, delete */

/* The token's namespace and the route's {id}: 0, or -1 after answering 401 or 404. */
static int route_target(const struct http_req *req, struct http_res *res, const char **ns,
                        const char **id)
{
    *ns = tenant_of(req, res);
    *id = *ns ? route_id(req, res) : NULL;
    return *id != NULL ? 0 : -1;
}

void connectors_get(const struct http_req *req, struct http_res *res)
{
    const char *ns = NULL, *id = NULL;
    struct db_result *r = NULL;
    struct db_error err = {0};
    if (route_target(req, res, &ns, &id) != 0)
        return;
    if (db_connectors_get(req->db, ns, id, &r, &err) != 0) {
        http_res_db_error(res, &err, "get connector");
        return;
    }
    if (db_result_rows(r) == 0) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else {
        send_connector(res, 200, r, 0, ns, "get connector");
        if (http_etag_listed(req->if_none_match, res->etag_buf, 1)) {
            free(res->body);
            res->body = NULL;
            res->body_len = 0;
            res->status = 304;
        }
    }
    db_result_free(r);
}

const struct db_if_match *connectors_if_match(const struct http_req *req, struct db_if_match *m)
{
    const char *p = req->if_match;
    m->n = 0;
    if (p == NULL)
        return NULL;
    while (*p != '\0') {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, ",");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 1 && p[0] == '*')
            return NULL;
        char *end = NULL;
        errno = 0;
        long long v = len > 3 && p[0] == '"' && p[1] == 'v' ? strtoll(p + 2, &end, 10) : -1;
        if (errno == 0 && v >= 0 && end == p + len - 1 && *end == '"' && m->n < DB_IF_MATCH_MAX)
            m->versions[m->n++] = v;
        p += strcspn(p, ",");
    }
    return m;
}

void connectors_delete(const struct http_req *req, struct http_res *res)
{
    const char *ns = NULL, *id = NULL;
    struct db_error err = {0};
    struct db_actor actor;
    struct db_if_match m;
    enum db_connector_state state = DB_CONNECTOR_ABSENT;
    if (route_target(req, res, &ns, &id) != 0)
        return;
    tenant_actor(req, &actor);
    if (db_connectors_delete(req->db, ns, id, &actor, connectors_if_match(req, &m), &state, &err) !=
        0) {
        http_res_db_error(res, &err, "delete connector");
        return;
    }
    if (state == DB_CONNECTOR_ABSENT) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else if (state == DB_CONNECTOR_STALE) {
        http_res_error(res, APP_ERR_PRECONDITION, CONNECTORS_STALE_DETAIL);
    } else {
        res->status = 204;
    }
}

/* ------------------------------------------------------------------ create */

#define QUOTA_PROBLEM_TYPE "urn:aam:problem:connector-quota"

/* 1 when err is the database refusing a row for a namespace without a tenant (a tenant removed
 * between the statement's check and its insert). */
static int tenant_fk_refused(const struct db_error *err)
{
    return strcmp(err->sqlstate, "23503") == 0 &&
           strcmp(err->constraint, "connections_namespace_fkey") == 0;
}

/* A validated config as the statements take it: compact JSON text, each caller-freed. */
struct config_text {
    char *config; /* without secret fields, defaults applied */
    char *set;    /* {"<field>":"v1:..."}: the secret fields given, encrypted */
    char *clear;  /* ["<field>"]: the secret fields given as null */
};

static void config_text_free(struct config_text *t)
{
    free(t->config);
    free(t->set);
    free(t->clear);
    t->config = t->set = t->clear = NULL;
}

/* Splits config (valid for type) of connector id of ns into *out. Returns 0, or -1 after
 * answering 500 (encryption failed, or the process holds no keys). */
static int split_config(const struct http_req *req, struct http_res *res, const char *ns,
                        const char *id, const char *type, const json_t *config,
                        struct config_text *out)
{
    struct connector_secrets_split sp = {0};
    const struct types_type *t = types_find(type);
    if (t == NULL ||
        connector_secrets_split(req->cfg->secret_keys, types_schema(t), ns, id, config, &sp) != 0) {
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
        return -1;
    }
    out->config = json_dumps(sp.config, JSON_COMPACT);
    out->set = json_dumps(sp.set, JSON_COMPACT);
    out->clear = json_dumps(sp.clear, JSON_COMPACT);
    connector_secrets_split_free(&sp);
    return 0;
}

void connectors_create(const struct http_req *req, struct http_res *res)
{
    struct connector_create in;
    struct field_errors fe = FIELD_ERRORS_INIT;
    struct config_text text = {0};
    struct db_result *r = NULL;
    struct db_error err = {0};
    const char *ns = tenant_of(req, res);
    json_t *body = ns ? http_req_json_object(req, res) : NULL;
    if (body == NULL)
        return;
    if (connector_json_parse_create(body, req->cfg->sources_root, &in, &fe) != 0) {
        http_res_field_errors(res, &fe);
        goto cleanup;
    }
    if (split_config(req, res, ns, in.id, in.type, in.config, &text) != 0)
        goto cleanup;
    const struct db_connector_new c = {
        .id = in.id,
        .name = in.name,
        .type = in.type,
        .status = in.status,
        .config = text.config,
        .secrets = text.set,
        .folder = in.folder.set ? in.folder.rel : NULL,
        .quota = req->cfg->max_connectors_per_tenant,
    };
    struct db_actor actor;
    tenant_actor(req, &actor);
    if (db_connectors_create(req->db, ns, &actor, &c, &r, &err) != 0) {
        if (tenant_fk_refused(&err))
            tenant_res_missing(res, ns);
        else
            http_res_db_error(res, &err, "create connector");
        goto cleanup;
    }
    const char *tenant = db_result_get(r, 0, DB_CONNECTORS_CREATE_TENANT);
    const char *owned = db_result_get(r, 0, DB_CONNECTORS_CREATE_OWNED);
    const char *room = db_result_get(r, 0, DB_CONNECTORS_CREATE_ROOM);
    if (tenant == NULL || owned == NULL || room == NULL) {
        log_error("create connector: unexpected result shape");
        http_res_error(res, APP_ERR_INTERNAL, "internal error");
    } else if (strcmp(tenant, "t") != 0) {
        tenant_res_missing(res, ns);
    } else if (strcmp(owned, "t") != 0) {
        http_res_field_error(res, "config.path", CONNECTOR_PATH_REFUSED);
    } else if (strcmp(room, "t") != 0) {
        http_res_error(res, APP_ERR_CONFLICT,
                       "this tenant already holds %d connectors, the most it may hold "
                       "(AAM_MAX_CONNECTORS_PER_TENANT); delete one first",
                       req->cfg->max_connectors_per_tenant);
        res->type = QUOTA_PROBLEM_TYPE;
    } else if (db_result_get(r, 0, DB_CONNECTORS_CREATE_COLS + COL_ID) == NULL) {
        http_res_error(res, APP_ERR_CONFLICT, "a connector with id \"%s\" already exists", in.id);
    } else {
        send_connector(res, 201, r, DB_CONNECTORS_CREATE_COLS, ns, "create connector");
        snprintf(res->location, sizeof res->location, "/api/v1/aam/connectors/%s", in.id);
    }
cleanup:
    config_text_free(&text);
    field_errors_free(&fe);
    db_result_free(r);
    json_decref(body);
}

/* ------------------------------------------------------------------ patch */

/* Judges a PATCH's new config against the stored row's type (read first: a connector's type
 * cannot change, and the patch statement refuses a row replaced meanwhile by one of another
 * type) and splits it. Returns 0 with *text and *folder set, or -1 after answering (404, 403,
 * 422 for the type's rules or an unknown type, 503, 500). */
static int prepare_config(const struct http_req *req, struct http_res *res, const char *ns,
                          const char *id, const json_t *config, char *type, size_t type_size,
                          struct connector_folder *folder, struct config_text *text)
{
    struct db_result *r = NULL;
    struct db_error err = {0};
    struct field_errors fe = FIELD_ERRORS_INIT;
    int ret = -1;
    if (db_connectors_get(req->db, ns, id, &r, &err) != 0) {
        http_res_db_error(res, &err, "patch connector");
        return -1;
    }
    const char *stored = db_result_rows(r) > 0 ? db_result_get(r, 0, DB_CONNECTOR_TYPE) : NULL;
    if (stored == NULL) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else if (connector_json_check_config(stored, config, req->cfg->sources_root, folder, &fe) !=
               0) {
        http_res_field_errors(res, &fe);
    } else if (split_config(req, res, ns, id, stored, config, text) == 0) {
        snprintf(type, type_size, "%s", stored);
        ret = 0;
    }
    field_errors_free(&fe);
    db_result_free(r);
    return ret;
}

/* A config given in the body replaces the stored one's public fields; its secret fields are
 * set (a string), cleared (null) or kept (absent). The row's type decides the rules, so it is
 * read first (prepare_config); a body without config is one statement. */
void connectors_patch(const struct http_req *req, struct http_res *res)
{
    struct connector_patch in;
    struct field_errors fe = FIELD_ERRORS_INIT;
    struct config_text text = {0};
    struct connector_folder folder = {0};
    char type[CONNECTOR_TYPE_MAX + 1] = "";
    struct db_result *r = NULL;
    struct db_error err = {0};
    const char *ns = NULL, *id = NULL;
    json_t *body = route_target(req, res, &ns, &id) == 0 ? http_req_json_object(req, res) : NULL;
    if (body == NULL)
        return;
    if (connector_json_parse_patch(body, &in, &fe) != 0) {
        http_res_field_errors(res, &fe);
        goto cleanup;
    }
    if (in.config != NULL &&
        prepare_config(req, res, ns, id, in.config, type, sizeof type, &folder, &text) != 0)
        goto cleanup;
    const struct db_connector_change ch = {
        .name = in.name,
        .status = in.status,
        .config = text.config,
        .type = in.config ? type : NULL,
        .secrets_set = text.set,
        .secrets_clear = text.clear,
        .config_valid = in.config != NULL,
        .folder = folder.set ? folder.rel : NULL,
    };
    struct db_actor actor;
    struct db_if_match m;
    tenant_actor(req, &actor);
    if (db_connectors_patch(req->db, ns, id, &actor, connectors_if_match(req, &m), &ch, &r, &err) !=
        0) {
        http_res_db_error(res, &err, "patch connector");
        goto cleanup;
    }
    const char *state = db_result_rows(r) > 0 ? db_result_get(r, 0, 0) : NULL;
    if (state == NULL) {
        if (!tenant_answer_if_missing(req, res, ns))
            http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    } else if (strcmp(state, "stale") == 0) {
        http_res_error(res, APP_ERR_PRECONDITION, CONNECTORS_STALE_DETAIL);
    } else if (strcmp(state, "invalid") == 0) {
        http_res_field_error(res, "config.path", CONNECTOR_PATH_REFUSED); /* not the tenant's */
    } else if (strcmp(state, "replaced") == 0) {
        http_res_error(res, APP_ERR_CONFLICT,
                       "connector \"%s\" was replaced while this change was prepared; read it "
                       "again and retry",
                       id);
    } else {
        send_connector(res, 200, r, 1, ns, "patch connector");
    }
cleanup:
    config_text_free(&text);
    db_result_free(r);
    field_errors_free(&fe);
    json_decref(body);
}
