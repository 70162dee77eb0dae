/* handlers/files: a FilesSource connector's CSV files and their rows. The connector row is read
 * in the token's namespace; its folder is then opened through server/sources.c (inside
 * AAM_SOURCES_ROOT, no symlink below the root) and files are streamed by server/csvfile.c.
 * Status codes beyond the contract's table:
 *   404  no such connector (or another tenant's), or no such file in the folder: the name is
 *        not one path component, does not match the pattern, is missing, is a symlink or is
 *        not a regular file;
 *   403  the token's namespace has no tenant;
 *   409  the connector is not a filesource, its config lacks path/pattern, or its folder is
 *        gone, now resolves outside the root or is no longer the tenant's (a grant revoked,
 *        a symlink moved): one text for all of these, and nothing is read;
 *   422  bad limit/offset, or a file beyond the reader's bounds (csvfile.h).
 * The files list takes limit/offset too, with a default (and maximum) of 500 files, so an
 * ordinary folder is listed whole. A file the reader refuses is still listed, with empty
 * columns, row_count null and "error" saying why. Rows carry every header column: values are
 * strings exactly as in the file (CSV has no types), "" where a short row has no cell. */
#include "server/handlers/files.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/connectors.h"
#include "db/db.h"
#include "server/core/config.h"
#include "server/core/connector_json.h"
#include "server/core/csvfile.h"
#include "server/core/log.h"
#include "server/core/sources.h"
#include "server/handlers/tenant.h"

/* The one 409 text for a folder that can no longer be read (see the top of the file). */
#define FOLDER_GONE                                                                                \
    "the connector's folder is gone, outside the sources root or no longer this tenant's"

/* The opened folder of one connector. */
struct folder {
    int fd; /* -1 when not open */
    char pattern[SOURCES_NAME_MAX + 1];
    char real[PATH_MAX]; /* the folder's real path: the cache key's prefix, never sent */
};

static int params_ok(const struct http_req *req, struct http_res *res, const char **ns,
                     const char **id)
{
    if (req->who == NULL || req->who->ns[0] == '\0') {
        http_res_error(res, APP_ERR_UNAUTHORIZED, "a bearer token is required");
        return 0;
    }
    *ns = req->who->ns;
    *id = req->n_params > 0 ? req->params[0] : NULL;
    if (!connector_json_id_valid(*id)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
        return 0;
    }
    return 1;
}

/* 1 when ns owns folder (relative to the root): the second look, for a connector whose path
 * now resolves elsewhere than where it did when written (or was written before migration
 * 0003). Returns -1 after answering the database error. */
static int owned_now(const struct http_req *req, const char *ns, const char *folder,
                     struct http_res *res)
{
    struct db_error err = {0};
    int owned = 0;
    if (db_connectors_folder_owned(req->db, ns, folder, &owned, &err) != 0) {
        http_res_db_error(res, &err, "folder ownership");
        return -1;
    }
    return owned;
}

/* The ownership step of the walk: the folder the walk opened (f->real, relative to the root)
 * must be one the tenant owns. The row says whether it owns the folder stored at write time
 * (stored, owned_stored); when the walk ended elsewhere, that folder is judged instead.
 * Returns 0, or -1 with res set (409 or a database error). */
static int check_owned(const struct http_req *req, const char *ns, const struct folder *f,
                       const char *stored, const char *owned_stored, struct http_res *res)
{
    const char *rel = sources_relative(req->cfg->sources_root, f->real);
    int owned = 0;
    if (rel == NULL)
        owned = 0;
    else if (stored != NULL && strcmp(rel, stored) == 0)
        owned = owned_stored != NULL && strcmp(owned_stored, "t") == 0;
    else if ((owned = owned_now(req, ns, rel, res)) < 0)
        return -1;
    if (!owned) {
        http_res_error(res, APP_ERR_CONFLICT, FOLDER_GONE);
        return -1;
    }
    return 0;
}

/* Checks the connector row (type, path, pattern, stored folder, owned) and opens its folder.
 * Returns 0 with f->fd open, or -1 with res set (and f->fd closed). */
static int check_connector(const struct http_req *req, const char *ns, const struct db_result *r,
                           struct folder *f, struct http_res *res)
{
    const char *type = db_result_get(r, 0, DB_CONNECTORS_FOLDER_TYPE);
    const char *path = db_result_get(r, 0, DB_CONNECTORS_FOLDER_PATH);
    const char *pattern = db_result_get(r, 0, DB_CONNECTORS_FOLDER_PATTERN);
    if (strcmp(type, CONNECTOR_TYPE_FILESOURCE) != 0) {
        http_res_error(res, APP_ERR_CONFLICT,
                       "only filesource connectors have files; this one is of type \"%s\"", type);
        return -1;
    }
    if (pattern == NULL)
        pattern = CONNECTOR_DEFAULT_PATTERN;
    if (path == NULL || path[0] == '\0' || !sources_pattern_valid(pattern)) {
        http_res_error(res, APP_ERR_CONFLICT,
                       "the connector's config lacks a valid path or pattern");
        return -1;
    }
    snprintf(f->pattern, sizeof f->pattern, "%s", pattern);
    enum sources_status st = sources_open_folder(req->cfg->sources_root, path, &f->fd, f->real,
                                                 sizeof f->real);
    if (st != SOURCES_OK) {
        http_res_error(res, APP_ERR_CONFLICT, FOLDER_GONE);
        return -1;
    }
    if (check_owned(req, ns, f, db_result_get(r, 0, DB_CONNECTORS_FOLDER_STORED),
                    db_result_get(r, 0, DB_CONNECTORS_FOLDER_OWNED), res) != 0) {
        close(f->fd);
        f->fd = -1;
        return -1;
    }
    return 0;
}

/* Reads the connector and, in the same statement, whether the tenant owns the folder its path
 * resolved to when it was written (one indexed lookup); then opens the folder. */
static int open_folder(const struct http_req *req, const char *ns, const char *id, struct folder *f,
                       struct http_res *res)
{
    struct db_result *r = NULL;
    struct db_error err = {0};
    int ret = -1;
    f->fd = -1;
    if (db_connectors_folder(req->db, ns, id, &r, &err) != 0) {
        http_res_db_error(res, &err, "read connector for files");
        return -1;
    }
    if (db_result_rows(r) > 0)
        ret = check_connector(req, ns, r, f, res);
    else if (!tenant_answer_if_missing(req, res, ns))
        http_res_error(res, APP_ERR_NOT_FOUND, "no such connector");
    db_result_free(r);
    return ret;
}

static json_t *columns_json(const struct csvfile_page *page)
{
    json_t *cols = json_array();
    for (size_t i = 0; i < page->n_columns; i++)
        json_array_append_new(cols, json_string(page->columns[i]));
    return cols;
}

static void cache_key(const struct folder *f, const char *name, char *key, size_t size)
{
    snprintf(key, size, "%s/%s", f->real, name);
}

/* ------------------------------------------------------------------ list */

/* One entry of the files list (see the top of the file for unreadable files). */
static json_t *file_json(const struct folder *f, const struct sources_file *file)
{
    struct csvfile_page page;
    char key[PATH_MAX + SOURCES_NAME_MAX + 2];
    json_t *entry = json_pack("{s:s, s:I}", "name", file->name, "size_bytes",
                              (json_int_t)file->size);
    int fd = sources_open_file(f->fd, f->pattern, file->name);
    cache_key(f, file->name, key, sizeof key);
    if (fd < 0 || csvfile_read(fd, key, 0, 0, 1, &page) != 0) {
        json_object_set_new(entry, "columns", json_array());
        json_object_set_new(entry, "row_count", json_null());
        json_object_set_new(entry, "error", json_string(fd < 0 ? "the file is gone" : page.error));
    } else {
        json_object_set_new(entry, "columns", columns_json(&page));
        json_object_set_new(entry, "row_count", json_integer(page.total));
        csvfile_page_free(&page);
    }
    if (fd >= 0)
        close(fd);
    return entry;
}

#define FILES_LIMIT_DEFAULT 500

/* limit and offset from the query; -1 after answering 422. */
static int paging(const struct http_req *req, long limit_default, long *limit, long *offset,
                  struct http_res *res)
{
    struct field_errors fe = FIELD_ERRORS_INIT;
    int rc = connector_json_paging(http_req_query(req, "limit"), http_req_query(req, "offset"),
                                   limit_default, limit, offset, &fe);
    http_res_field_errors(res, &fe);
    field_errors_free(&fe);
    return rc;
}

void files_list(const struct http_req *req, struct http_res *res)
{
    const char *ns = NULL, *id = NULL;
    struct folder f = {.fd = -1};
    struct sources_file *files = NULL;
    size_t n = 0;
    long limit = 0, offset = 0;
    if (!params_ok(req, res, &ns, &id))
        return;
    if (paging(req, FILES_LIMIT_DEFAULT, &limit, &offset, res) != 0 ||
        open_folder(req, ns, id, &f, res) != 0)
        goto cleanup;
    if (sources_list(f.fd, f.pattern, &files, &n) != 0) {
        http_res_error(res, APP_ERR_CONFLICT, "the connector's folder cannot be listed");
        goto cleanup;
    }
    json_t *arr = json_array();
    for (size_t i = (size_t)offset; i < n && i < (size_t)offset + (size_t)limit; i++)
        json_array_append_new(arr, file_json(&f, &files[i]));
    http_res_json(res, 200, json_pack("{s:o, s:I}", "files", arr, "total", (json_int_t)n));
cleanup:
    sources_files_free(files, n);
    if (f.fd >= 0)
        close(f.fd);
}

/* ------------------------------------------------------------------ rows */

static json_t *page_json(const struct csvfile_page *page)
{
    json_t *rows = json_array();
    for (size_t r = 0; r < page->n_rows; r++) {
        json_t *row = json_object();
        for (size_t c = 0; c < page->n_columns; c++) {
            const char *cell = csvfile_cell(page, r, c);
            json_object_set_new(row, page->columns[c], json_string(cell ? cell : ""));
        }
        json_array_append_new(rows, row);
    }
    return json_pack("{s:o, s:o, s:I}", "columns", columns_json(page), "rows", rows, "total",
                     (json_int_t)page->total);
}

static void read_rows(const struct folder *f, const char *name, long offset, long limit,
                      struct http_res *res)
{
    struct csvfile_page page;
    char key[PATH_MAX + SOURCES_NAME_MAX + 2];
    int fd = sources_open_file(f->fd, f->pattern, name);
    if (fd < 0) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such file in the connector's folder");
        return;
    }
    cache_key(f, name, key, sizeof key);
    if (csvfile_read(fd, key, offset, limit, 1, &page) != 0) {
        if (page.fail == CSVFILE_FAIL_CONTENT)
            http_res_error(res, APP_ERR_VALIDATION, "the file cannot be shown: %s", page.error);
        else {
            log_error("files rows: %s: %s", name, page.error);
            http_res_error(res, APP_ERR_INTERNAL, "internal error");
        }
    } else {
        http_res_json(res, 200, page_json(&page));
        csvfile_page_free(&page);
    }
    close(fd);
}

void files_rows(const struct http_req *req, struct http_res *res)
{
    const char *ns = NULL, *id = NULL;
    struct folder f = {.fd = -1};
    long limit = 0, offset = 0;
    if (!params_ok(req, res, &ns, &id))
        return;
    const char *name = req->n_params > 1 ? req->params[1] : NULL;
    if (paging(req, CONNECTOR_LIMIT_DEFAULT, &limit, &offset, res) != 0 ||
        open_folder(req, ns, id, &f, res) != 0)
        goto cleanup;
    if (!sources_name_valid(name) || !sources_name_matches(f.pattern, name)) {
        http_res_error(res, APP_ERR_NOT_FOUND, "no such file in the connector's folder");
        goto cleanup;
    }
    read_rows(&f, name, offset, limit, res);
cleanup:
    if (f.fd >= 0)
        close(f.fd);
}
