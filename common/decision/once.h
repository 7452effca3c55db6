/* Single-use tickets (claim "once"): one marker file per used ticket in a
 * root-only directory, created atomically with O_CREAT|O_EXCL so that of
 * concurrent presentations exactly one wins.  The marker's name is the
 * SHA-256 (hex) of iss "\0" jti; it holds the ticket's exp so that stale
 * markers can be pruned once the ticket could no longer be valid anyway. */
#ifndef DLG_ONCE_H
#define DLG_ONCE_H

#include <stddef.h>
#include <stdint.h>

enum dlg_once_result {
    DLG_ONCE_FRESH = 0,     /* not used before (and, for consume, now marked used) */
    DLG_ONCE_USED = 1,      /* already used */
    DLG_ONCE_ERROR = -1     /* cannot tell / cannot record: caller must deny */
};

/* Markers are pruned this long after the ticket's exp: a fixed margin,
 * twice the largest clock_skew the config allows, never the current skew. */
#define DLG_ONCE_PRUNE_MARGIN (2 * 600)

/* Mark the ticket used.  Creates dir (0700, owner root; missing parents
 * 0755) when needed and refuses a dir that is not a directory owned by the
 * caller or is writable by group/others, or whose parents up to "/" are not
 * trusted like the config's (dlg_check_trusted_dir).  Removes markers whose
 * exp + DLG_ONCE_PRUNE_MARGIN lies before now (skew is not used). */
enum dlg_once_result dlg_once_consume(const char *dir, const char *iss, const char *jti,
                                      int64_t exp, int64_t now, int64_t skew,
                                      char *err, size_t errlen);

/* Only look: FRESH when no marker exists (a missing dir means none, when
 * its parents are trusted; else ERROR). */
enum dlg_once_result dlg_once_check(const char *dir, const char *iss, const char *jti,
                                    char *err, size_t errlen);

/* The marker file name (64 hex digits + NUL) for iss/jti.  0 or -1. */
int dlg_once_name(const char *iss, const char *jti, char name[65]);

#endif
