/* Small helpers shared by the modules and the CLI: libc only (the NSS module
 * links this), no OpenSSL, no jansson.  The umbrella header: string lists
 * and diagnostics here; file trust, times, CIDRs and names in util_*.h; the
 * installed paths in paths.h. */
#ifndef DLG_UTIL_H
#define DLG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/paths.h"

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

#include "util/util_cidr.h"
#include "util/util_jws.h"
#include "util/util_names.h"
#include "util/util_time.h"
#include "util/util_trust.h"

#endif
