/* sources: resolving a FilesSource folder inside the sources root, listing its files and
 * opening one safely. realpath() answers "where does this point now"; the descriptor walk
 * below the root (O_NOFOLLOW per component) makes the answer hold for the read that follows. */
#include "server/core/sources.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "util/xalloc.h"

const char *sources_status_text(enum sources_status status)
{
    switch (status) {
    case SOURCES_OK:
        return "is available";
    case SOURCES_MISSING:
        return "does not exist";
    case SOURCES_NOT_DIR:
        return "is not a directory";
    case SOURCES_OUTSIDE:
        return "is outside the sources root";
    case SOURCES_DENIED:
        break;
    }
    return "cannot be opened";
}

static enum sources_status status_from_errno(int e)
{
    if (e == ENOENT)
        return SOURCES_MISSING;
    if (e == ENOTDIR)
        return SOURCES_NOT_DIR;
    if (e == ELOOP)
        return SOURCES_OUTSIDE; /* a component became a symlink after realpath() */
    return SOURCES_DENIED;
}

/* The part of real below root ("" for root itself), or NULL when real is not inside root. */
static const char *path_below(const char *root, const char *real)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return real + 1;
    if (strncmp(real, root, n) != 0)
        return NULL;
    if (real[n] == '\0')
        return real + n;
    return real[n] == '/' ? real + n + 1 : NULL;
}

/* Opens rel (components separated by '/', no "." or "..", as realpath() produces) below
 * rootfd, refusing to follow a symlink at any step. Takes ownership of rootfd. */
static int walk_below(int rootfd, const char *rel, enum sources_status *st)
{
    int fd = rootfd;
    char comp[NAME_MAX + 1];
    while (*rel != '\0') {
        size_t len = strcspn(rel, "/");
        if (len == 0 || len > NAME_MAX) {
            close(fd);
            *st = SOURCES_DENIED;
            return -1;
        }
        memcpy(comp, rel, len);
        comp[len] = '\0';
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        close(fd);
        if (next < 0) {
            *st = status_from_errno(saved);
            return -1;
        }
        fd = next;
        rel += len;
        rel += (*rel == '/');
    }
    *st = SOURCES_OK;
    return fd;
}

const char *sources_relative(const char *root, const char *real)
{
    return root != NULL && real != NULL ? path_below(root, real) : NULL;
}

enum sources_status sources_open_folder(const char *root, const char *path, int *dirfd, char *real,
                                        size_t real_size)
{
    char resolved[PATH_MAX];
    struct stat st;
    enum sources_status status = SOURCES_OK;
    *dirfd = -1;
    if (root == NULL || root[0] != '/' || path == NULL || path[0] == '\0')
        return SOURCES_MISSING;
    if (realpath(path, resolved) == NULL)
        return status_from_errno(errno);
    if (stat(resolved, &st) != 0)
        return status_from_errno(errno);
    if (!S_ISDIR(st.st_mode))
        return SOURCES_NOT_DIR;
    const char *rel = path_below(root, resolved);
    if (rel == NULL)
        return SOURCES_OUTSIDE;
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return status_from_errno(errno);
    int fd = walk_below(rootfd, rel, &status);
    if (fd < 0)
        return status;
    *dirfd = fd;
    if (real != NULL && real_size > 0)
        snprintf(real, real_size, "%s", resolved);
    return SOURCES_OK;
}

int sources_pattern_valid(const char *pattern)
{
    size_t n = pattern ? strlen(pattern) : 0;
    return n > 0 && n <= SOURCES_NAME_MAX && strchr(pattern, '/') == NULL;
}

/* A name the API can show and be asked for: valid UTF-8 (a JSON string must be; jansson
 * checks it) and no control byte (the HTTP core refuses those in a path). Other files are
 * left out of the listing rather than listed under a name that cannot be requested. */
static int name_presentable(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    }
    json_t *s = json_string(name);
    int ok = s != NULL;
    json_decref(s);
    return ok;
}

int sources_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n <= SOURCES_NAME_MAX && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0 && name_presentable(name);
}

int sources_name_matches(const char *pattern, const char *name)
{
    return fnmatch(pattern, name, FNM_PERIOD) == 0;
}

/* A regular file with one name. O_NOFOLLOW stops a symbolic link, but a hard link is the
 * file itself under a second name: one made in a tenant's folder to a file of another folder
 * (a link needs no right on the target's folder) would serve that file as this folder's. So a
 * file with more than one link is not served, under either of its names. */
static int file_servable(const struct stat *st)
{
    return S_ISREG(st->st_mode) && st->st_nlink == 1;
}

static int cmp_files(const void *a, const void *b)
{
    const struct sources_file *fa = a, *fb = b;
    return strcmp(fa->name, fb->name);
}

void sources_files_free(struct sources_file *files, size_t n)
{
    for (size_t i = 0; files != NULL && i < n; i++)
        free(files[i].name);
    free(files);
}

/* Appends name with its size to the growing array. */
static void files_push(struct sources_file **files, size_t *n, size_t *cap, const char *name,
                       off_t size)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        *files = xrealloc(*files, grown_cap * sizeof **files);
        *cap = grown_cap;
    }
    (*files)[*n].name = xstrdup(name);
    (*files)[*n].size = size;
    (*n)++;
}

int sources_list(int dirfd, const char *pattern, struct sources_file **files, size_t *n)
{
    struct sources_file *list = NULL;
    size_t count = 0, cap = 0;
    int ret = -1;
    /* fdopendir takes over its descriptor; a duplicate leaves the caller's one untouched. */
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (dir == NULL) {
        if (fd >= 0)
            close(fd);
        goto cleanup;
    }
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        struct stat st;
        if (!sources_name_valid(de->d_name) || !sources_name_matches(pattern, de->d_name))
            continue;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !file_servable(&st))
            continue; /* vanished, a symlink, a directory, a special file or a hard link */
        files_push(&list, &count, &cap, de->d_name, st.st_size);
    }
    if (count > 1)
        qsort(list, count, sizeof *list, cmp_files);
    *files = list;
    *n = count;
    list = NULL;
    ret = 0;
cleanup:
    if (dir != NULL)
        closedir(dir);
    sources_files_free(list, count);
    return ret;
}

int sources_open_file(int dirfd, const char *pattern, const char *name)
{
    struct stat st;
    if (!sources_name_valid(name) || !sources_pattern_valid(pattern) ||
        !sources_name_matches(pattern, name)) {
        errno = ENOENT;
        return -1;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        errno = ENOENT; /* ELOOP (a symlink) included: to the client it is not here */
        return -1;
    }
    if (fstat(fd, &st) != 0 || !file_servable(&st)) {
        close(fd);
        errno = ENOENT;
        return -1;
    }
    /* Regular files ignore O_NONBLOCK; clear it anyway so reads behave as documented. */
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}
