/* sources: the FilesSource folder rules. A connector's folder must resolve, symlinks followed,
 * inside AAM_SOURCES_ROOT; reads then go through a directory descriptor opened one component
 * at a time with O_NOFOLLOW below the root, so a symlink swapped in after the check cannot
 * lead a read outside. A file is named by one path component, opened with openat(O_NOFOLLOW)
 * relative to that descriptor and must be a regular file. */
#ifndef AAM_SOURCES_H
#define AAM_SOURCES_H

#include <stddef.h>
#include <sys/types.h>

/* Longest pattern and file name accepted (NAME_MAX on Linux). */
#define SOURCES_NAME_MAX 255

enum sources_status {
    SOURCES_OK = 0,
    SOURCES_MISSING, /* the folder (or the root) does not exist */
    SOURCES_NOT_DIR, /* it exists and is not a directory */
    SOURCES_OUTSIDE, /* it resolves outside the root */
    SOURCES_DENIED,  /* permission denied, or any other system error */
};

/* A short phrase for status, for problem details ("does not exist"). Static. */
const char *sources_status_text(enum sources_status status);

/* Opens the folder path (relative paths resolve against the working directory) as a
 * directory descriptor, after checking that its real path lies inside root (root itself
 * counts as inside). root must already be a real path (cfg->sources_root). On SOURCES_OK,
 * *dirfd is an O_DIRECTORY descriptor the caller closes, and real (when non-NULL) receives
 * the folder's real path, truncated to real_size. On any other status *dirfd is -1. */
enum sources_status sources_open_folder(const char *root, const char *path, int *dirfd, char *real,
                                        size_t real_size) __attribute__((warn_unused_result));

/* The part of real (a real path, as sources_open_folder returns it) below root: "" for root
 * itself, "a/b" for a folder below it, NULL when real is not inside root. Borrowed from real.
 * This is how a folder is named in the grants table (relative to the root, so moving the root
 * moves the grants with it). */
const char *sources_relative(const char *root, const char *real);

/* 1 when pattern is a usable file-name glob: 1..SOURCES_NAME_MAX bytes, no '/'. */
int sources_pattern_valid(const char *pattern);

/* 1 when name is one path component: 1..SOURCES_NAME_MAX bytes, no '/', not "." or "..",
 * valid UTF-8 without control bytes (so it can be listed as JSON and requested by path). */
int sources_name_valid(const char *name);

/* 1 when name matches pattern (fnmatch with FNM_PERIOD: a leading dot must be matched by a
 * literal dot, so "*.csv" does not list hidden files). */
int sources_name_matches(const char *pattern, const char *name);

struct sources_file {
    char *name; /* owned */
    off_t size;
};

/* Lists the regular files directly inside dirfd whose names match pattern, sorted by name
 * (byte order). Symbolic links, directories, other special files and files with more than
 * one hard link are skipped. On 0,
 * *files is a malloc'd array of *n entries (free with sources_files_free); on -1 nothing is
 * returned. dirfd stays open and unchanged. */
int sources_list(int dirfd, const char *pattern, struct sources_file **files, size_t *n)
    __attribute__((warn_unused_result));

void sources_files_free(struct sources_file *files, size_t n);

/* Opens name inside dirfd for reading: name must be valid, match pattern, and be a regular
 * file with one link that is not a symbolic link (O_NOFOLLOW; O_NONBLOCK so a FIFO cannot
 * hang the open). Returns a descriptor the caller closes, or -1 (errno ENOENT for every "no
 * such file here" case: invalid name, no match, missing, symlink, not a regular file, more
 * than one hard link). */
int sources_open_file(int dirfd, const char *pattern, const char *name)
    __attribute__((warn_unused_result));

#endif
