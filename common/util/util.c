/* Small helpers shared by the modules and the CLI.  libc only: the NSS module
 * links this file, so no stdio output, no NSS calls, no static mutable state.
 * Here: string lists and diagnostics; file trust, times, CIDRs and names
 * are in util_trust.c, util_time.c, util_cidr.c and util_names.c. */
#include "util/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- string lists ------------------------------------------------------ */

void dlg_strv_free(struct dlg_strv *sv)
{
    if (sv == NULL)
        return;
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

int dlg_strv_push(struct dlg_strv *sv, const char *s)
{
    char *copy = strdup(s);
    if (copy == NULL)
        return -1;
    char **nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv));
    if (nv == NULL) {
        free(copy);
        return -1;
    }
    nv[sv->n++] = copy;
    sv->v = nv;
    return 0;
}

bool dlg_strv_contains(const struct dlg_strv *sv, const char *s)
{
    if (sv == NULL || s == NULL)
        return false;
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

/* ASCII only: host and user names, independent of the locale. */
static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z')
            ca = (unsigned char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (unsigned char)(cb - 'A' + 'a');
        if (ca != cb || ca == '\0')
            return (int)ca - (int)cb;
    }
}

bool dlg_strv_contains_icase(const struct dlg_strv *sv, const char *s)
{
    if (sv == NULL || s == NULL)
        return false;
    for (size_t i = 0; i < sv->n; i++)
        if (ascii_casecmp(sv->v[i], s) == 0)
            return true;
    return false;
}

/* ---- diagnostics ------------------------------------------------------- */

void dlg_diag_free(struct dlg_diag *d)
{
    if (d == NULL)
        return;
    dlg_strv_free(&d->errors);
    dlg_strv_free(&d->warnings);
}

static void diag_add(struct dlg_strv *sv, const char *file, int line,
                     const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void diag_add(struct dlg_strv *sv, const char *file, int line,
                     const char *fmt, va_list ap)
{
    char msg[1024];
    char *full = NULL;
    int r;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (file == NULL)
        r = asprintf(&full, "%s", msg);
    else if (line <= 0)
        r = asprintf(&full, "%s: %s", file, msg);
    else
        r = asprintf(&full, "%s:%d: %s", file, line, msg);
    if (r < 0)
        return;
    char **nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv));
    if (nv == NULL) {
        free(full);
        return;
    }
    nv[sv->n++] = full;
    sv->v = nv;
}

void dlg_diag_error(struct dlg_diag *d, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (d == NULL)
        return;
    va_start(ap, fmt);
    diag_add(&d->errors, file, line, fmt, ap);
    va_end(ap);
}

void dlg_diag_warn(struct dlg_diag *d, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (d == NULL)
        return;
    va_start(ap, fmt);
    diag_add(&d->warnings, file, line, fmt, ap);
    va_end(ap);
}
