/* File trust (util_trust.c); included by util.h. */
#ifndef DLG_UTIL_TRUST_H
#define DLG_UTIL_TRUST_H

#include <stddef.h>
#include <sys/stat.h>

/* File trust (DESIGN.md §3): the file must be a regular file owned by root and
 * not writable by group or others, and every directory from it up to "/"
 * likewise, except root-owned sticky directories (/tmp).  The final component
 * must not be a symlink.  On success returns an fd opened with
 * O_RDONLY|O_NOFOLLOW|O_CLOEXEC (checked again with fstat) and fills *st.
 * On failure returns -1, writes a human reason into err and sets errno to
 * EAGAIN when the file was replaced while being opened or read (a rename by
 * `delegatectl revoke`: worth retrying), else EACCES. */
int dlg_open_trusted(const char *path, struct stat *st, char *err, size_t errlen);
/* Check only the directories of path (used before writing next to a file). */
int dlg_check_trusted_dir(const char *dir, char *err, size_t errlen);

/* The same trust walk as dlg_open_trusted, without opening the file (its
 * identity by lstat of the final component): 0 with *st, or -1 (err). */
int dlg_stat_trusted(const char *path, struct stat *st, char *err, size_t errlen);

/* Read a whole trusted file (max bytes) into a NUL-terminated heap buffer. */
int dlg_read_trusted(const char *path, size_t max, char **out, size_t *outlen,
                     struct stat *st, char *err, size_t errlen);

/* mkdir -p for a root-only state directory: missing parents 0755, the last
 * component 0700; an existing directory is left as it is (callers check
 * its trust).  0 or -1 (errno). */
int dlg_mkdir_private(const char *dir);

#endif
