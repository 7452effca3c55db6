/* Small helpers shared by the modules and the CLI: libc only (the NSS module
 * links this), no OpenSSL, no jansson. */
#ifndef DLG_UTIL_H
#define DLG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define DLG_DEFAULT_CONFIG "/etc/delegate/delegate.conf"
#define DLG_RUN_DIR        "/run/delegate"
#define DLG_SESSIONS_DIR   "/run/delegate/sessions"
#define DLG_ONCE_DIR       "/var/lib/delegate/.once"

/* A NULL-terminated-free list of owned strings. */
struct dlg_strv {
    char **v;
    size_t n;
};

void dlg_strv_free(struct dlg_strv *sv);
int dlg_strv_push(struct dlg_strv *sv, const char *s);        /* 0 or -1 (ENOMEM) */
bool dlg_strv_contains(const struct dlg_strv *sv, const char *s);
bool dlg_strv_contains_icase(const struct dlg_strv *sv, const char *s);

/* Diagnostics: an owned list of "FILE:LINE: message" lines. */
struct dlg_diag {
    struct dlg_strv errors;
    struct dlg_strv warnings;
};
void dlg_diag_free(struct dlg_diag *d);
void dlg_diag_error(struct dlg_diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void dlg_diag_warn(struct dlg_diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

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

/* Times. RFC 3339 ("2026-11-27T10:15:00Z", offsets allowed) or "@<secs>". */
int dlg_parse_time(const char *s, int64_t *out);               /* 0 ok, -1 bad */
/* "90s", "15m", "2h", "1d" (a bare number is seconds). */
int dlg_parse_duration(const char *s, int64_t *out);
/* RFC 3339 UTC, "YYYY-MM-DDTHH:MM:SSZ"; buf >= 32. */
void dlg_format_time(int64_t t, char *buf, size_t len);

/* CIDRs: "10.0.0.0/8", "::1/128", a bare address = host route. */
struct dlg_cidr {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;
};
int dlg_cidr_parse(const char *s, struct dlg_cidr *out);      /* 0 ok, -1 bad (host bits set is bad) */
/* rhost must be a literal IPv4/IPv6 address (v4-mapped v6 matches v4 CIDRs). */
bool dlg_cidr_match(const struct dlg_cidr *c, const char *rhost);

/* User/group names as useradd accepts them: [a-z_][a-z0-9_-]*[$]?, max 32. */
bool dlg_valid_username(const char *s);
/* Ticket ids: 1..64 of [A-Za-z0-9._-]. */
bool dlg_valid_jti(const char *s);
/* PAM service names (they name files under /etc/pam.d and session
 * records): the ticket-id rule and no leading dot. */
bool dlg_valid_service(const char *s);
/* Principals/approvers/issuer ids: 1..128 printable ASCII, no space, no '"'. */
bool dlg_valid_name_token(const char *s);
/* The one name grammar of DESIGN.md §2 "Names", for sub, act.sub, runas
 * and apv entries in tickets, principals and runas in the config, and the
 * CLI options that name them: 1..64 characters of [A-Za-z0-9._@+-], not
 * starting with '-'.  (Key ids follow dlg_valid_jti.) */
bool dlg_valid_name(const char *s);

/* Overflow-safe time arithmetic: the result saturates at INT64_MIN or
 * INT64_MAX instead of wrapping (a wrapped time must never turn a deny into
 * an admit). */
int64_t dlg_time_add(int64_t a, int64_t b);
int64_t dlg_time_sub(int64_t a, int64_t b);

#endif
