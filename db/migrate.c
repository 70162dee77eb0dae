/* migrate: applies migrations/NNNN_name.sql in name order, each in its own transaction with
 * its schema_migrations row (version, name, sha256 checksum, applied_at). Concurrent runs are
 * serialised by pg_advisory_xact_lock, which a transaction pooler honours (a session lock would
 * be released, or kept, on whichever server connection the pooler chose). schema_migrations is
 * created inside the locked transaction, so two first runs cannot race on CREATE TABLE. An
 * applied file whose checksum changed stops the run, naming the file. db_migrate_grant_app then
 * gives the application role its DML on the schema, as a separate step of every run. */
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "db/db_internal.h"
#include "util/hex.h"

/* "aam-migr" as a big-endian bigint: one lock shared by every aam process on the database. */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(7017009736296523634)"
#define CREATE_TABLE_SQL                                                                           \
    "CREATE TABLE IF NOT EXISTS schema_migrations ("                                               \
    " version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"                     \
    " applied_at timestamptz NOT NULL DEFAULT now())"

int db_migration_parse_name(const char *name, long *version)
{
    size_t digits = strspn(name, "0123456789");
    size_t len = strlen(name);
    /* 4-9 digits keep the number in a long and the names sortable as text. */
    if (digits < 4 || digits > 9 || name[digits] != '_' || len < digits + 1 + 1 + 4)
        return -1;
    if (strcmp(name + len - 4, ".sql") != 0)
        return -1;
    const char *word = name + digits + 1;
    size_t wlen = len - 4 - digits - 1;
    if (strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") < wlen)
        return -1;
    *version = strtol(name, NULL, 10);
    return 0;
}

void db_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    hex_encode(md, sizeof md, out);
}

static int by_file(const void *a, const void *b)
{
    return strcmp(((const struct db_migration *)a)->file, ((const struct db_migration *)b)->file);
}

void db_migration_list_free(struct db_migration *list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++) {
        free(list[i].file);
        free(list[i].path);
    }
    free(list);
}

static char *join_path(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", dir, file);
    return p;
}

/* Appends a regular file named like a migration; anything else is ignored. */
static void add_entry(const char *dir, const char *name, struct db_migration **list, size_t *n,
                      size_t *cap)
{
    long version;
    struct stat st;
    if (db_migration_parse_name(name, &version) != 0)
        return;
    char *path = join_path(dir, name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(path);
        return;
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *list = xrealloc(*list, sizeof **list * *cap);
    }
    (*list)[*n] = (struct db_migration){.version = version, .file = xstrdup(name), .path = path};
    (*n)++;
}

int db_migration_list(const char *dir, struct db_migration **out, size_t *n, struct db_error *err)
{
    struct db_migration *list = NULL;
    size_t count = 0, cap = 0;
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        db_error_set(err, DB_ERR_QUERY, "cannot open the migrations directory %s: %s", dir,
                     strerror(errno));
        return -1;
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        add_entry(dir, e->d_name, &list, &count, &cap);
    closedir(d);
    if (count > 1)
        qsort(list, count, sizeof *list, by_file);
    for (size_t i = 1; i < count; i++) {
        if (list[i].version == list[i - 1].version) {
            db_error_set(err, DB_ERR_QUERY, "two migrations share version %ld: %s and %s",
                         list[i].version, list[i - 1].file, list[i].file);
            db_migration_list_free(list, count);
            return -1;
        }
    }
    *out = list;
    *n = count;
    return 0;
}

/* Reads a whole file as a NUL-terminated string. */
static char *read_file(const char *path, size_t *len, struct db_error *err)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t cap = 0, used = 0;
    if (f == NULL) {
        db_error_set(err, DB_ERR_QUERY, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - used < 4096) {
            cap = cap ? cap * 2 : 16384;
            data = xrealloc(data, cap);
        }
        size_t got = fread(data + used, 1, cap - used - 1, f);
        used += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || memchr(data, '\0', used) != NULL) {
        db_error_set(err, DB_ERR_QUERY, "cannot read %s: %s", path,
                     bad ? "read error" : "it contains a NUL byte");
        free(data);
        return NULL;
    }
    data[used] = '\0';
    *len = used;
    return data;
}

/* One migration file, loaded. */
struct mfile {
    const struct db_migration *m;
    char *sql;
    char checksum[65];
    int applied; /* already recorded in schema_migrations */
};

static int load_files(const struct db_migration *list, size_t n, struct mfile *files,
                      struct db_error *err)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        files[i].m = &list[i];
        files[i].sql = read_file(list[i].path, &len, err);
        if (files[i].sql == NULL)
            return -1;
        db_sha256_hex(files[i].sql, len, files[i].checksum);
    }
    return 0;
}

static struct mfile *find_version(struct mfile *files, size_t n, long version)
{
    for (size_t i = 0; i < n; i++)
        if (files[i].m->version == version)
            return &files[i];
    return NULL;
}

/* Compares one recorded row with the file of the same version; -1 + err when it was edited. */
static int verify_row(struct mfile *f, const char *name, const char *checksum, struct db_error *err)
{
    if (strcmp(f->checksum, checksum) != 0) {
        db_error_set(err, DB_ERR_QUERY,
                     "migration %s was changed after it was applied (checksum %.12s…, recorded %.12s… "
                     "as %s): restore it and put the change in a new migration",
                     f->m->file, f->checksum, checksum, name);
        return -1;
    }
    if (strcmp(f->m->file, name) != 0)
        db_log_warn("migrate: %s was applied under the name %s (same content)", f->m->file, name);
    f->applied = 1;
    return 0;
}

/* Opens a migration transaction: no tenant, the lock, and the table. */
static struct db_tx *begin_locked(struct db_pool *pool, struct db_error *err)
{
    static const struct db_stmt lock = {MIGRATE_LOCK_SQL, 0, NULL};
    static const struct db_stmt create = {CREATE_TABLE_SQL, 0, NULL};
    struct db_tx *tx = db_tx_begin(pool, NULL, err);
    if (tx == NULL)
        return NULL;
    if (db_tx_exec(tx, &lock, NULL, err) != 0 || db_tx_exec(tx, &create, NULL, err) != 0) {
        db_tx_rollback(tx);
        return NULL;
    }
    return tx;
}

/* Checks every recorded migration against its file, marking which are applied. */
static int check_applied(struct db_pool *pool, struct mfile *files, size_t n, struct db_error *err)
{
    static const struct db_stmt rows = {
        "SELECT version, name, checksum FROM schema_migrations ORDER BY version", 0, NULL};
    struct db_result *r = NULL;
    int rc = -1;
    struct db_tx *tx = begin_locked(pool, err);
    if (tx == NULL || db_tx_exec(tx, &rows, &r, err) != 0)
        goto cleanup;
    for (int i = 0; i < db_result_rows(r); i++) {
        long version = strtol(db_result_get(r, i, 0), NULL, 10);
        struct mfile *f = find_version(files, n, version);
        if (f == NULL)
            db_log_warn("migrate: version %ld (%s) is applied but has no file here", version,
                        db_result_get(r, i, 1));
        else if (verify_row(f, db_result_get(r, i, 1), db_result_get(r, i, 2), err) != 0)
            goto cleanup;
    }
    rc = db_tx_commit(tx, err);
    tx = NULL;
cleanup:
    db_result_free(r);
    db_tx_rollback(tx);
    return rc;
}

/* Applies one file unless another process did meanwhile (checked again under the lock).
 * Returns 1 applied, 0 already there, -1 failed. */
static int apply_one(struct db_pool *pool, struct mfile *f, struct db_error *err)
{
    char version[24];
    snprintf(version, sizeof version, "%ld", f->m->version);
    const char *p1[] = {version};
    const char *p3[] = {version, f->m->file, f->checksum};
    const struct db_stmt row = {"SELECT name, checksum FROM schema_migrations WHERE version = $1",
                                1, p1};
    const struct db_stmt record = {
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3, p3};
    struct db_result *r = NULL;
    int rc = -1;
    struct db_tx *tx = begin_locked(pool, err);
    if (tx == NULL || db_tx_exec(tx, &row, &r, err) != 0)
        goto cleanup;
    if (db_result_rows(r) == 1) {
        rc = verify_row(f, db_result_get(r, 0, 0), db_result_get(r, 0, 1), err) == 0 ? 0 : -1;
        goto cleanup;
    }
    if (db_tx_exec_script(tx, f->sql, err) != 0) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        db_error_set(err, err->status, "migration %s failed: %s", f->m->file, why);
        goto cleanup;
    }
    if (db_tx_exec(tx, &record, NULL, err) != 0)
        goto cleanup;
    rc = db_tx_commit(tx, err) == 0 ? 1 : -1;
    tx = NULL;
cleanup:
    db_result_free(r);
    db_tx_rollback(tx);
    return rc;
}

int db_migrate_grant_app(struct db_pool *pool, const char *role, struct db_error *err)
{
    static const struct db_stmt exists = {
        "SELECT to_regprocedure('aam_grant_app(text)') IS NOT NULL", 0, NULL};
    const char *params[] = {role};
    const struct db_stmt grant = {"SELECT aam_grant_app($1)", 1, params};
    struct db_error scratch;
    struct db_result *r = NULL;
    int rc = -1;
    if (err == NULL)
        err = &scratch;
    struct db_tx *tx = begin_locked(pool, err);
    if (tx == NULL || db_tx_exec(tx, &exists, &r, err) != 0)
        goto cleanup;
    if (strcmp(db_result_get(r, 0, 0), "t") == 0 && db_tx_exec(tx, &grant, NULL, err) != 0)
        goto cleanup;
    rc = strcmp(db_result_get(r, 0, 0), "t") == 0 ? 1 : 0;
    if (db_tx_commit(tx, err) != 0)
        rc = -1;
    tx = NULL;
cleanup:
    db_result_free(r);
    db_tx_rollback(tx);
    return rc;
}

int db_migrate(struct db_pool *pool, const char *dir, int *applied, struct db_error *err)
{
    struct db_error scratch;
    struct db_migration *list = NULL;
    struct mfile *files = NULL;
    size_t n = 0;
    int ret = -1, count = 0;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if (applied != NULL)
        *applied = 0;
    if (db_migration_list(dir ? dir : "migrations", &list, &n, err) != 0)
        goto cleanup;
    files = xcalloc(n, sizeof *files);
    if (load_files(list, n, files, err) != 0 || check_applied(pool, files, n, err) != 0)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        if (files[i].applied)
            continue;
        int rc = apply_one(pool, &files[i], err);
        if (rc < 0)
            goto cleanup;
        if (rc == 1) {
            count++;
            db_log_info("migrate: applied %s", files[i].m->file);
        }
    }
    db_log_info("migrate: %d applied, %zu in %s, schema current", count, n,
                dir ? dir : "migrations");
    ret = 0;
cleanup:
    if (ret != 0)
        db_log_error("migrate: stopped: %s", err->message);
    for (size_t i = 0; files != NULL && i < n; i++)
        free(files[i].sql);
    free(files);
    db_migration_list_free(list, n);
    if (applied != NULL)
        *applied = count;
    return ret;
}
