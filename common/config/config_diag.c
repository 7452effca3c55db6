/* Diagnostics of the config loader: where a setting came from (FILE:LINE
 * through the map of the expanded text, config_include.c) and the error
 * and warning reporters every section loader uses. */
#include "config/config_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void lerr(struct loader *L, const char *file, int line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    L->nerr++;
    dlg_diag_error(L->diag, file, line, "%s", msg);
}

/* The segment an expanded line belongs to (NULL before any). */
static const struct xseg *seg_of(const struct loader *L, int xline)
{
    const struct xseg *hit = NULL;

    for (size_t i = 0; i < L->nsegs && L->segs[i].xline <= xline; i++)
        hit = &L->segs[i];
    return hit;
}

const char *map_file(const struct loader *L, int xline)
{
    const struct xseg *g = seg_of(L, xline);
    return g != NULL ? g->file : L->path;
}

int map_line(const struct loader *L, int xline)
{
    const struct xseg *g = seg_of(L, xline);
    if (xline <= 0 || g == NULL)
        return xline;
    return g->line + (xline - g->xline);
}

const char *src_file(const struct loader *L, const config_setting_t *s)
{
    return s != NULL ? map_file(L, (int)config_setting_source_line(s)) : L->path;
}

int src_line(const struct loader *L, const config_setting_t *s)
{
    return s != NULL ? map_line(L, (int)config_setting_source_line(s)) : 0;
}

const char *file_text(const struct loader *L, const char *path)
{
    for (size_t i = 0; L->texts != NULL && i < L->cfg->nfiles; i++)
        if (strcmp(L->cfg->files[i].path, path) == 0)
            return L->texts[i];
    return NULL;
}

static bool line_has(const char *text, int line, const char *needle, bool quoted)
{
    const char *p = text;
    for (int l = 1; l < line && p != NULL; l++) {
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    if (p == NULL)
        return false;
    const char *eol = strchr(p, '\n');
    size_t n = strlen(needle), linelen = eol != NULL ? (size_t)(eol - p) : strlen(p);
    for (size_t i = 0; i + n + (quoted ? 2 : 0) <= linelen; i++) {
        if (quoted) {
            if (p[i] == '"' && memcmp(p + i + 1, needle, n) == 0 && p[i + n + 1] == '"')
                return true;
        } else if (memcmp(p + i, needle, n) == 0 && (i == 0 || !is_digit(p[i - 1])) &&
                   !is_digit(p[i + n])) {
            return true;
        }
    }
    return false;
}

/* libconfig records a list element's line after reading the token that
 * follows it, so an element at the end of a line is reported one line
 * late.  Look for the value on the preceding lines of the file. */
static int err_line(const struct loader *L, const config_setting_t *s)
{
    int line = src_line(L, s);
    char num[32];
    const char *needle;
    bool quoted;

    if (s == NULL || config_setting_name(s) != NULL || line <= 1)
        return line;
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        needle = config_setting_get_string(s);
        quoted = true;
    } else if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
        snprintf(num, sizeof(num), "%lld", (long long)(config_setting_type(s) == CONFIG_TYPE_INT
                                                          ? config_setting_get_int(s)
                                                          : config_setting_get_int64(s)));
        needle = num;
        quoted = false;
    } else {
        return line;
    }
    const char *text = file_text(L, src_file(L, s));
    if (text == NULL || *needle == '\0')
        return line;
    for (int l = line; l >= 1 && l > line - 8; l--)
        if (line_has(text, l, needle, quoted))
            return l;
    return line;
}

void serr(struct loader *L, const config_setting_t *s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    L->nerr++;
    dlg_diag_error(L->diag, src_file(L, s), err_line(L, s), "%s", msg);
}

void swarn(struct loader *L, const config_setting_t *s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dlg_diag_warn(L->diag, src_file(L, s), err_line(L, s), "%s", msg);
}

void oom(struct loader *L)
{
    lerr(L, L->path, 0, "out of memory");
}
