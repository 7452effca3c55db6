/* Loading, trust-checking and validating delegate.conf (DESIGN.md §6).
 *
 * libconfig + libc only: the NSS module links this file.  So: no output to
 * stdout/stderr, no NSS calls, no static mutable state, one config_t per
 * call, and the calling thread's locale is restored after config_read
 * (libconfig 1.5 resets it).
 *
 * Trust: libconfig 1.5 opens @include files itself (with fopen by name, no
 * O_CLOEXEC, no hook), so it never sees an @include: before parsing we scan
 * the text of every file for @include lines, refuse relative paths, read
 * each included file through the descriptor that was trust-checked
 * (dlg_read_trusted) and splice its text in place of the @include line.
 * libconfig parses that one expanded text with config_read_string; a map of
 * segments (expanded line -> file, line) keeps every FILE:LINE right. */
#include "config.h"
#include "compiled.h"
#include "alg.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES   ((size_t)8 * 1024 * 1024)
#define INCLUDE_MAX_DEPTH  10
#define ID_MAX             UINT32_C(4294967294)  /* (uid_t)-1 is "no id" */
#define ID_MIN             1000
#define APPROVALS_MAX      64
#define PROMPT_MAX         256

#define DEFAULT_CLOCK_SKEW   60
#define DEFAULT_MAX_LIFETIME 3600
#define DEFAULT_PROMPT       "Delegation ticket: "
#define DEFAULT_ACC_GROUP    "delegated"
#define DEFAULT_ACC_GID      62000
#define DEFAULT_UID_MIN      62001
#define DEFAULT_UID_MAX      62999
#define DEFAULT_ACC_HOME     "/var/lib/delegate/%u"
#define DEFAULT_ACC_SHELL    "/usr/sbin/nologin"
#define DEFAULT_TYP          "dlg+jwt"

/* Where each actor was defined, for the duplicate checks after the list. */
struct srcpos {
    const char *file;
    int line;
    const config_setting_t *ae;
    bool has_uid;
};

struct loader {
    const char *path;           /* main file, as given */
    struct dlg_diag *diag;
    int nerr;
    bool revoke_only;           /* dlg_revoke_file_validate */
    bool revoke_optional;       /* dlg_revoke_file_check: no group is fine */
    struct dlg_config *cfg;
    char **texts;               /* text of cfg->files[i], for error lines */
    bool raced;                 /* a file was replaced while being read */
    /* the expanded text libconfig parses, and where each part came from */
    char *xbuf;
    size_t xlen, xcap;
    int xline;                  /* line number at the end of xbuf */
    struct xseg {
        int xline;              /* first expanded line of the segment */
        const char *file;       /* points to a cfg->files[i].path */
        int line;               /* its line in file */
    } *segs;
    size_t nsegs, segcap;
};

/* ---- diagnostics ------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void lerr(struct loader *L, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void lerr(struct loader *L, const char *file, int line, const char *fmt, ...)
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

static const char *map_file(const struct loader *L, int xline)
{
    const struct xseg *g = seg_of(L, xline);
    return g != NULL ? g->file : L->path;
}

static int map_line(const struct loader *L, int xline)
{
    const struct xseg *g = seg_of(L, xline);
    if (xline <= 0 || g == NULL)
        return xline;
    return g->line + (xline - g->xline);
}

static const char *src_file(const struct loader *L, const config_setting_t *s)
{
    return s != NULL ? map_file(L, (int)config_setting_source_line(s)) : L->path;
}

static int src_line(const struct loader *L, const config_setting_t *s)
{
    return s != NULL ? map_line(L, (int)config_setting_source_line(s)) : 0;
}

static const char *file_text(const struct loader *L, const char *path)
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

static void serr(struct loader *L, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void serr(struct loader *L, const config_setting_t *s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    L->nerr++;
    dlg_diag_error(L->diag, src_file(L, s), err_line(L, s), "%s", msg);
}

static void swarn(struct loader *L, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void swarn(struct loader *L, const config_setting_t *s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dlg_diag_warn(L->diag, src_file(L, s), err_line(L, s), "%s", msg);
}

static void oom(struct loader *L)
{
    lerr(L, L->path, 0, "out of memory");
}

/* ---- freeing ----------------------------------------------------------- */

static void free_actor(struct dlg_actor *a)
{
    free(a->name);
    free(a->comment);
    free(a->home);
    free(a->shell);
    dlg_strv_free(&a->groups);
    dlg_strv_free(&a->principals);
    dlg_strv_free(&a->services);
    free(a->sources);
    dlg_strv_free(&a->runas);
}

static void free_issuer(struct dlg_issuer *is)
{
    free(is->id);
    dlg_strv_free(&is->algorithms);
    dlg_strv_free(&is->principals);
    free(is->typ);
    for (size_t k = 0; k < is->nkeys; k++) {
        free(is->keys[k].kid);
        free(is->keys[k].file);
    }
    free(is->keys);
}

void dlg_config_free(struct dlg_config *cfg)
{
    if (cfg == NULL)
        return;
    if (cfg->compiled != NULL) {
        dlg_compiled_release(cfg);     /* made by compiled_read.c */
        return;
    }
    free(cfg->path);
    free(cfg->host_name);
    dlg_strv_free(&cfg->host_aliases);
    free(cfg->prompt);
    for (size_t i = 0; i < cfg->nissuers; i++)
        free_issuer(&cfg->issuers[i]);
    free(cfg->issuers);
    free(cfg->acc_group);
    free(cfg->acc_home);
    free(cfg->acc_shell);
    for (size_t i = 0; i < cfg->nactors; i++)
        free_actor(&cfg->actors[i]);
    free(cfg->actors);
    free(cfg->actors_by_uid);
    for (size_t i = 0; i < cfg->ngroups; i++) {
        free(cfg->groups[i].name);
        dlg_strv_free(&cfg->groups[i].members);
    }
    free(cfg->groups);
    free(cfg->groups_by_gid);
    free(cfg->audit_file);
    free(cfg->revoke_file);
    for (size_t i = 0; i < cfg->nrevoked_tickets; i++)
        free(cfg->revoked_tickets[i].id);
    free(cfg->revoked_tickets);
    dlg_strv_free(&cfg->revoked_actors);
    dlg_strv_free(&cfg->revoked_principals);
    dlg_strv_free(&cfg->revoked_issuers);
    dlg_strv_free(&cfg->revoked_keys);
    for (size_t i = 0; i < cfg->nfiles; i++)
        free(cfg->files[i].path);
    free(cfg->files);
    free(cfg);
}

/* ---- files and the @include pre-scan ----------------------------------- */

static struct dlg_file_id *find_file(const struct dlg_config *cfg, const char *path)
{
    for (size_t i = 0; i < cfg->nfiles; i++)
        if (strcmp(cfg->files[i].path, path) == 0)
            return &cfg->files[i];
    return NULL;
}

/* Records a file read; takes ownership of text (on failure too). */
static int add_file(struct loader *L, const char *path, const struct stat *st, char *text)
{
    struct dlg_config *cfg = L->cfg;
    char **nt = realloc(L->texts, (cfg->nfiles + 1) * sizeof(*nt));
    if (nt == NULL) {
        free(text);
        oom(L);
        return -1;
    }
    L->texts = nt;
    nt[cfg->nfiles] = NULL;
    struct dlg_file_id *nf = realloc(cfg->files, (cfg->nfiles + 1) * sizeof(*nf));
    if (nf == NULL) {
        free(text);
        oom(L);
        return -1;
    }
    cfg->files = nf;
    struct dlg_file_id *f = &nf[cfg->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    if (f->path == NULL) {
        free(text);
        oom(L);
        return -1;
    }
    nt[cfg->nfiles] = text;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->size = st->st_size;
    f->mtime = st->st_mtim;
    f->ctime = st->st_ctim;
    cfg->nfiles++;
    return 0;
}

static bool same_identity(const struct dlg_file_id *f, const struct stat *st)
{
    return f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
           f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           f->ctime.tv_sec == st->st_ctim.tv_sec && f->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static int scan_text(struct loader *L, const char *file, const char *text, size_t len, int depth);

/* Append n bytes to the expanded text. */
static int emit(struct loader *L, const char *p, size_t n)
{
    /* an include repeated at every level must not blow up the copy */
    if (n > 2 * CONFIG_MAX_BYTES || L->xlen + n > 2 * CONFIG_MAX_BYTES) {
        lerr(L, L->path, 0, "too large once its @include files are expanded (limit %zu bytes)",
             2 * CONFIG_MAX_BYTES);
        return -1;
    }
    if (L->xlen + n + 2 > L->xcap) {
        size_t cap = L->xcap ? L->xcap : 4096;
        while (cap < L->xlen + n + 2)
            cap *= 2;
        char *nb = realloc(L->xbuf, cap);
        if (nb == NULL) {
            oom(L);
            return -1;
        }
        L->xbuf = nb;
        L->xcap = cap;
    }
    memcpy(L->xbuf + L->xlen, p, n);
    L->xlen += n;
    L->xbuf[L->xlen] = '\0';
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n')
            L->xline++;
    return 0;
}

/* From here on the expanded text continues with file at line. */
static int add_seg(struct loader *L, const char *file, int line)
{
    if (L->nsegs == L->segcap) {
        size_t cap = L->segcap ? L->segcap * 2 : 8;
        struct xseg *ns = realloc(L->segs, cap * sizeof(*ns));
        if (ns == NULL) {
            oom(L);
            return -1;
        }
        L->segs = ns;
        L->segcap = cap;
    }
    L->segs[L->nsegs++] = (struct xseg){ L->xline, file, line };
    return 0;
}

/* A file named by @include in file:line.  Returns -1 when parsing must not
 * go ahead (the file is not trusted). */
static int include_file(struct loader *L, const char *file, int line, const char *path, int depth)
{
    char err[512];
    char *text = NULL;
    size_t len;
    struct stat st;
    const struct dlg_file_id *seen;

    if (path[0] != '/') {
        lerr(L, file, line, "@include \"%s\": the path must be absolute", path);
        return -1;
    }
    if (depth >= INCLUDE_MAX_DEPTH) {
        lerr(L, file, line, "@include \"%s\": includes nested too deeply", path);
        return -1;
    }
    seen = find_file(L->cfg, path);
    if (seen != NULL) {                 /* already read and checked: again */
        const char *t = file_text(L, path);
        if (t == NULL)
            return -1;
        return scan_text(L, seen->path, t, strlen(t), depth + 1);
    }
    if (dlg_read_trusted(path, CONFIG_MAX_BYTES, &text, &len, &st, err, sizeof(err)) != 0) {
        if (errno == EAGAIN)
            L->raced = true;
        lerr(L, file, line, "@include: %s", err);
        return -1;
    }
    if (strlen(text) != len) {
        lerr(L, path, 0, "contains a NUL byte");
        free(text);
        return -1;
    }
    if (add_file(L, path, &st, text) != 0)
        return -1;
    return scan_text(L, L->cfg->files[L->cfg->nfiles - 1].path, text, len, depth + 1);
}

/* `@include "PATH"` at the start of a line (after blanks), as libconfig's
 * scanner sees it.  p points at '@'.  Returns -1 when not trusted. */
static int scan_include(struct loader *L, const char *file, int line, const char *p,
                        const char *end, int depth)
{
    const char *q = p + strlen("@include");
    char path[PATH_MAX];
    size_t n = 0;

    if (q >= end || (*q != ' ' && *q != '\t')) {
        lerr(L, file, line, "malformed @include line");
        return -1;
    }
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    if (q >= end || *q != '"') {
        lerr(L, file, line, "malformed @include line");
        return -1;
    }
    for (q++; q < end && *q != '"'; q++) {
        if (*q == '\\' || *q == '\n' || n + 1 >= sizeof(path)) {
            lerr(L, file, line, "malformed @include path");
            return -1;
        }
        path[n++] = *q;
    }
    if (q >= end) {
        lerr(L, file, line, "malformed @include line");
        return -1;
    }
    path[n] = '\0';
    /* the line is replaced by the file: only blanks or a comment may follow */
    for (q++; q < end && *q != '\n'; q++) {
        if (*q == '#' || (*q == '/' && q + 1 < end && q[1] == '/'))
            break;
        if (*q != ' ' && *q != '\t' && *q != '\r') {
            lerr(L, file, line, "@include \"%s\": nothing but a comment may follow on its line",
                 path);
            return -1;
        }
    }
    return include_file(L, file, line, path, depth);
}

static bool is_xdigit(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '*' || c == '-';
}

/* An integer literal at text[i] (optionally signed).  libconfig 1.5 silently
 * wraps one above 32 bits unless it carries the L suffix: flag it.
 * Returns the index after the token. */
static size_t scan_number(struct loader *L, const char *file, int line,
                          const char *text, size_t len, size_t i)
{
    size_t start = i, j = i;
    bool neg = false, big = false;
    uint64_t v = 0;

    if (text[j] == '-' || text[j] == '+') {
        neg = text[j] == '-';
        j++;
    }
    if (j + 1 < len && text[j] == '0' && (text[j + 1] == 'x' || text[j + 1] == 'X')) {
        j += 2;
        for (; j < len && is_xdigit(text[j]); j++) {
            unsigned d = is_digit(text[j]) ? (unsigned)(text[j] - '0')
                                           : (unsigned)((text[j] | 0x20) - 'a' + 10);
            if (v > (UINT64_MAX >> 4))
                big = true;
            else
                v = (v << 4) | d;
        }
    } else {
        for (; j < len && is_digit(text[j]); j++) {
            unsigned d = (unsigned)(text[j] - '0');
            if (v > (UINT64_MAX - d) / 10)
                big = true;
            else
                v = v * 10 + d;
        }
        if (j < len && (text[j] == '.' || text[j] == 'e' || text[j] == 'E')) {
            /* a float: skip it */
            for (; j < len && (is_digit(text[j]) || text[j] == '.' || text[j] == 'e' ||
                               text[j] == 'E' || text[j] == '+' || text[j] == '-'); j++)
                ;
            return j;
        }
    }
    bool suffix = j < len && text[j] == 'L';
    if (!suffix && (big || v > (neg ? UINT64_C(2147483648) : UINT64_C(2147483647)))) {
        lerr(L, file, line, "integer %.*s does not fit in 32 bits and libconfig would wrap it; "
             "write it with the L suffix", (int)(j - start), text + start);
    }
    while (j < len && text[j] == 'L')
        j++;
    return j;
}

/* Lexical pass over one file: follow @include lines and flag integers that
 * libconfig would wrap.  Returns -1 when an include is not trusted. */
static int scan_text(struct loader *L, const char *file, const char *text, size_t len, int depth)
{
    size_t i = 0, copied = 0;
    int line = 1, rc = 0;
    bool line_start = true;

    if (add_seg(L, file, 1) != 0)
        return -1;
    while (i < len) {
        char c = text[i];
        if (c == '\n') {
            line++;
            i++;
            line_start = true;
            continue;
        }
        if (line_start) {
            line_start = false;
            size_t j = i;
            while (j < len && (text[j] == ' ' || text[j] == '\t'))
                j++;
            if (len - j >= 8 && memcmp(text + j, "@include", 8) == 0) {
                /* the text so far, then the included file in place of this
                 * line, then this file again from the next line */
                if (emit(L, text + copied, i - copied) != 0)
                    return -1;
                if (scan_include(L, file, line, text + j, text + len, depth) != 0)
                    return -1;
                while (i < len && text[i] != '\n')
                    i++;
                copied = i < len ? i + 1 : len;
                if (add_seg(L, file, line + 1) != 0)
                    return -1;
                continue;
            }
        }
        if (c == ' ' || c == '\t' || c == ';' || c == ',' || c == '=' || c == '{' ||
            c == '}' || c == '(' || c == ')' || c == '[' || c == ']') {
            i++;                /* the common case: nothing to look at */
            continue;
        }
        if (c == '#' || (c == '/' && i + 1 < len && text[i + 1] == '/')) {
            while (i < len && text[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
            i += 2;
            while (i < len && !(text[i] == '*' && i + 1 < len && text[i + 1] == '/')) {
                if (text[i] == '\n')
                    line++;
                i++;
            }
            i = i + 2 < len ? i + 2 : len;
        } else if (c == '"') {
            /* text is NUL-terminated (checked by the caller): skip the
             * ordinary bytes of the string in one strcspn */
            for (i++; i < len; i++) {
                i += strcspn(text + i, "\"\\\n");
                if (i >= len || text[i] == '"')
                    break;
                if (text[i] == '\\' && i + 1 < len)
                    i++;
                if (text[i] == '\n')
                    line++;
            }
            i++;
        } else if (is_ident(c) && !is_digit(c) && c != '-') {
            while (i < len && is_ident(text[i]))
                i++;
        } else if (c == '.') {
            for (i++; i < len && (is_digit(text[i]) || text[i] == 'e' || text[i] == 'E' ||
                                  text[i] == '+' || text[i] == '-'); i++)
                ;
        } else if (is_digit(c) || ((c == '-' || c == '+') && i + 1 < len && is_digit(text[i + 1]))) {
            i = scan_number(L, file, line, text, len, i);
        } else {
            i++;
        }
    }
    if (emit(L, text + copied, len - copied) != 0)
        return -1;
    if (len > 0 && text[len - 1] != '\n' && emit(L, "\n", 1) != 0)
        return -1;
    return rc;
}

/* ---- typed getters ----------------------------------------------------- */

static config_setting_t *member(const config_setting_t *g, const char *name)
{
    if (g == NULL || config_setting_type(g) != CONFIG_TYPE_GROUP)
        return NULL;
    return config_setting_get_member(g, name);
}

/* One pass over the members of g: found[k] = the member named known[k]
 * (NULL if absent); every other member is reported as unknown.  Cheaper
 * than a config_setting_get_member (a linear scan) per known name. */
static void collect_members(struct loader *L, const config_setting_t *g,
                            const char *const *known, const config_setting_t **found,
                            const char *where)
{
    int n = config_setting_length(g);
    size_t k;

    for (k = 0; known[k] != NULL; k++)
        found[k] = NULL;
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(m);
        for (k = 0; name != NULL && known[k] != NULL; k++)
            if (strcmp(name, known[k]) == 0)
                break;
        if (name != NULL && known[k] != NULL)
            found[k] = m;
        else
            serr(L, m, "unknown setting '%s' in %s", name != NULL ? name : "?", where);
    }
}

static void check_known(struct loader *L, const config_setting_t *g,
                        const char *const *known, const char *where)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(m);
        bool ok = false;
        for (const char *const *k = known; *k != NULL; k++)
            if (name != NULL && strcmp(name, *k) == 0)
                ok = true;
        if (!ok)
            serr(L, m, "unknown setting '%s' in %s", name != NULL ? name : "?", where);
    }
}

static bool has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* The getters: the *_at forms take the member s of g already looked up
 * (NULL if absent); the plain forms look it up by name.
 * 1 found, 0 absent (not required), -1 error (reported). */
static int get_string_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
                         const char *name, bool required, const char *what, const char **out)
{
    if (s == NULL) {
        if (required) {
            serr(L, g, "%s: missing required setting '%s'", what, name);
            return -1;
        }
        return 0;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        serr(L, s, "%s: '%s' must be a string", what, name);
        return -1;
    }
    *out = config_setting_get_string(s);
    return 1;
}

static int get_string(struct loader *L, const config_setting_t *g, const char *name,
                      bool required, const char *what, const char **out)
{
    return get_string_at(L, g, member(g, name), name, required, what, out);
}

static int get_bool(struct loader *L, const config_setting_t *g, const char *name,
                    const char *what, bool *out)
{
    const config_setting_t *s = member(g, name);
    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        serr(L, s, "%s: '%s' must be true or false", what, name);
        return -1;
    }
    *out = config_setting_get_bool(s) != 0;
    return 1;
}

static bool is_int(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

static int64_t int_value(const config_setting_t *s)
{
    if (config_setting_type(s) == CONFIG_TYPE_INT)
        return config_setting_get_int(s);
    return config_setting_get_int64(s);
}

static int get_int_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
                      const char *name, bool required, const char *what, int64_t *out)
{
    if (s == NULL) {
        if (required) {
            serr(L, g, "%s: missing required setting '%s'", what, name);
            return -1;
        }
        return 0;
    }
    if (!is_int(s)) {
        serr(L, s, "%s: '%s' must be an integer", what, name);
        return -1;
    }
    *out = int_value(s);
    return 1;
}

static int get_int(struct loader *L, const config_setting_t *g, const char *name,
                   bool required, const char *what, int64_t *out)
{
    return get_int_at(L, g, member(g, name), name, required, what, out);
}

static const char wrap_hint[] = " (an integer above 2147483647 needs the L suffix)";

/* A uid or gid: 1000 .. 2^32-2. */
static int get_id_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
                     const char *name, bool required, const char *what, uint32_t *out)
{
    int64_t v;
    int r = get_int_at(L, g, s, name, required, what, &v);
    if (r <= 0)
        return r;
    if (v < 0) {
        serr(L, s, "%s: '%s' %lld is negative%s", what, name, (long long)v, wrap_hint);
        return -1;
    }
    if (v < ID_MIN) {
        serr(L, s, "%s: '%s' %lld is below %d (reserved for system accounts)", what, name,
             (long long)v, ID_MIN);
        return -1;
    }
    if (v > (int64_t)ID_MAX) {
        serr(L, s, "%s: '%s' %lld is out of range", what, name, (long long)v);
        return -1;
    }
    *out = (uint32_t)v;
    return 1;
}

static int get_id(struct loader *L, const config_setting_t *g, const char *name,
                  bool required, const char *what, uint32_t *out)
{
    return get_id_at(L, g, member(g, name), name, required, what, out);
}

/* Seconds: an integer or a duration string ("15m"); never negative. */
static int get_seconds_at(struct loader *L, const config_setting_t *s, const char *name,
                          const char *what, bool positive, int64_t *out)
{
    int64_t v;

    if (s == NULL)
        return 0;
    if (is_int(s)) {
        v = int_value(s);
        if (v < 0) {
            serr(L, s, "%s: '%s' must not be negative%s", what, name, wrap_hint);
            return -1;
        }
    } else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        if (dlg_parse_duration(config_setting_get_string(s), &v) != 0) {
            serr(L, s, "%s: '%s' is not a duration (seconds, or 90s, 15m, 2h, 1d)", what, name);
            return -1;
        }
    } else {
        serr(L, s, "%s: '%s' must be an integer number of seconds", what, name);
        return -1;
    }
    if (positive && v == 0) {
        serr(L, s, "%s: '%s' must be greater than 0", what, name);
        return -1;
    }
    *out = v;
    return 1;
}

static int get_seconds(struct loader *L, const config_setting_t *g, const char *name,
                       const char *what, bool positive, int64_t *out)
{
    return get_seconds_at(L, member(g, name), name, what, positive, out);
}

/* A point in time: RFC 3339 string, "@secs", or integer seconds. */
static int time_value(struct loader *L, const config_setting_t *s, const char *what,
                      const char *name, int64_t *out)
{
    if (is_int(s)) {
        int64_t v = int_value(s);
        if (v < 0) {
            serr(L, s, "%s: '%s' must not be negative%s", what, name, wrap_hint);
            return -1;
        }
        *out = v;
        return 1;
    }
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        if (dlg_parse_time(config_setting_get_string(s), out) != 0) {
            serr(L, s, "%s: '%s' is not an RFC 3339 time (\"2026-11-27T10:15:00Z\") or "
                 "integer seconds", what, name);
            return -1;
        }
        return 1;
    }
    serr(L, s, "%s: '%s' must be an RFC 3339 time string or integer seconds", what, name);
    return -1;
}

typedef bool (*validator_fn)(const char *);

/* Principals (DESIGN.md §2 "Names"), or "*" = any. */
static bool valid_principal(const char *s)
{
    return strcmp(s, "*") == 0 || dlg_valid_name(s);
}

static bool valid_hostname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
              c == '.' || c == '_'))
            return false;
    }
    return true;
}

static bool is_list(const config_setting_t *s)
{
    return config_setting_type(s) == CONFIG_TYPE_LIST || config_setting_type(s) == CONFIG_TYPE_ARRAY;
}

/* A list or array of strings, each passing valid; duplicates dropped.
 * Returns 1 found, 0 absent, -1 error. */
static int get_strlist_at(struct loader *L, const config_setting_t *g, const config_setting_t *s,
                          const char *name, bool required, bool nonempty, const char *what,
                          validator_fn valid, const char *kind, struct dlg_strv *out)
{
    int rc = 1;

    if (s == NULL) {
        if (required) {
            serr(L, g, "%s: missing required setting '%s'", what, name);
            return -1;
        }
        return 0;
    }
    if (!is_list(s)) {
        serr(L, s, "%s: '%s' must be a list of strings [\"...\", ...]", what, name);
        return -1;
    }
    int n = config_setting_length(s);
    if (n == 0 && nonempty) {
        serr(L, s, "%s: '%s' must not be empty", what, name);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            serr(L, e, "%s: '%s' must be a list of strings", what, name);
            rc = -1;
            continue;
        }
        const char *v = config_setting_get_string(e);
        if (valid != NULL && !valid(v)) {
            serr(L, e, "%s: invalid %s '%s' in '%s'", what, kind, v, name);
            rc = -1;
            continue;
        }
        if (dlg_strv_contains(out, v))
            continue;
        if (dlg_strv_push(out, v) != 0) {
            oom(L);
            return -1;
        }
    }
    return rc;
}

static int get_strlist(struct loader *L, const config_setting_t *g, const char *name,
                       bool required, bool nonempty, const char *what,
                       validator_fn valid, const char *kind, struct dlg_strv *out)
{
    return get_strlist_at(L, g, member(g, name), name, required, nonempty, what, valid, kind,
                          out);
}

/* A list of groups: ( { ... }, { ... } ); an empty [] is fine too.
 * Returns the number of entries, 0 when absent, -1 on a type error. */
static int group_list(struct loader *L, const config_setting_t *g, const char *name,
                      const config_setting_t **out)
{
    const config_setting_t *s = member(g, name);
    *out = NULL;
    if (s == NULL)
        return 0;
    if (!is_list(s) || (config_setting_type(s) == CONFIG_TYPE_ARRAY && config_setting_length(s) > 0)) {
        serr(L, s, "'%s' must be a list of groups ( { ... }, ... )", name);
        return -1;
    }
    *out = s;
    return config_setting_length(s);
}

static const config_setting_t *section(struct loader *L, const config_setting_t *root,
                                       const char *name)
{
    const config_setting_t *s = member(root, name);
    if (s != NULL && config_setting_type(s) != CONFIG_TYPE_GROUP) {
        serr(L, s, "'%s' must be a group { ... }", name);
        return NULL;
    }
    return s;
}

static int dup_str(struct loader *L, char **dst, const char *src)
{
    *dst = strdup(src);
    if (*dst == NULL) {
        oom(L);
        return -1;
    }
    return 0;
}

static bool valid_path(const char *s)
{
    return s[0] == '/' && !has_ctl(s);
}

/* Paths that end up in passwd(5) fields: no ':' either. */
static bool valid_passwd_path(const char *s)
{
    return valid_path(s) && strchr(s, ':') == NULL;
}

/* %u = the actor name, %% = '%'; nothing else after '%'. */
static bool valid_home_template(const char *s)
{
    if (!valid_passwd_path(s))
        return false;
    for (const char *p = s; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] != 'u' && p[1] != '%')
            return false;
        p++;
    }
    return true;
}

static char *expand_home(const char *tmpl, const char *name)
{
    size_t nlen = strlen(name), len = 0;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 'u') {
            len += nlen;
            p++;
        } else {
            if (p[0] == '%' && p[1] == '%')
                p++;
            len++;
        }
    }
    char *out = malloc(len + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 'u') {
            memcpy(o, name, nlen);
            o += nlen;
            p++;
        } else {
            if (p[0] == '%' && p[1] == '%')
                p++;
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* ---- sections ---------------------------------------------------------- */

static void load_version(struct loader *L, const config_setting_t *root)
{
    int64_t v;
    int r = get_int(L, root, "version", true, "config", &v);
    if (r == 1 && v != 1)
        serr(L, member(root, "version"), "version must be 1 (this delegate understands version 1)");
    L->cfg->version = r == 1 ? (int)v : 0;
}

static void load_host(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"name", "aliases", NULL};
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *h = section(L, root, "host");
    const char *name = NULL;

    if (h != NULL) {
        check_known(L, h, known, "host");
        if (get_string(L, h, "name", false, "host", &name) == 1 && !valid_hostname(name)) {
            serr(L, member(h, "name"), "host: invalid host name '%s'", name);
            name = NULL;
        }
        get_strlist(L, h, "aliases", false, false, "host", valid_hostname, "host name",
                    &cfg->host_aliases);
    }
    if (name != NULL) {
        dup_str(L, &cfg->host_name, name);
        return;
    }
    char buf[256];
    if (gethostname(buf, sizeof(buf)) != 0) {
        lerr(L, L->path, 0, "host.name is not set and gethostname failed");
        return;
    }
    buf[sizeof(buf) - 1] = '\0';
    dup_str(L, &cfg->host_name, buf);
}

static void load_tickets(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"clock_skew", "max_lifetime", "prompt", NULL};
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *t = section(L, root, "tickets");
    const char *prompt = DEFAULT_PROMPT;

    cfg->clock_skew = DEFAULT_CLOCK_SKEW;
    cfg->max_lifetime = DEFAULT_MAX_LIFETIME;
    if (t != NULL) {
        check_known(L, t, known, "tickets");
        if (get_seconds(L, t, "clock_skew", "tickets", false, &cfg->clock_skew) == 1 &&
            cfg->clock_skew > DLG_CLOCK_SKEW_MAX) {
            serr(L, member(t, "clock_skew"), "tickets: 'clock_skew' must be at most %d seconds",
                 DLG_CLOCK_SKEW_MAX);
            cfg->clock_skew = DEFAULT_CLOCK_SKEW;
        }
        get_seconds(L, t, "max_lifetime", "tickets", true, &cfg->max_lifetime);
        if (get_string(L, t, "prompt", false, "tickets", &prompt) == 1 &&
            (has_ctl(prompt) || strlen(prompt) > PROMPT_MAX)) {
            serr(L, member(t, "prompt"), "tickets: 'prompt' must be printable and at most %d bytes",
                 PROMPT_MAX);
            prompt = DEFAULT_PROMPT;
        }
    }
    dup_str(L, &cfg->prompt, prompt);
}

static void load_accounts(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"group", "gid", "uid_min", "uid_max", "home", "shell", NULL};
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *a = section(L, root, "accounts");
    const char *group = DEFAULT_ACC_GROUP, *home = DEFAULT_ACC_HOME, *shell = DEFAULT_ACC_SHELL;
    uint32_t gid = DEFAULT_ACC_GID, umin = DEFAULT_UID_MIN, umax = DEFAULT_UID_MAX;

    if (a != NULL) {
        check_known(L, a, known, "accounts");
        if (get_string(L, a, "group", false, "accounts", &group) == 1 && !dlg_valid_username(group)) {
            serr(L, member(a, "group"), "accounts: invalid group name '%s'", group);
            group = DEFAULT_ACC_GROUP;
        }
        get_id(L, a, "gid", false, "accounts", &gid);
        get_id(L, a, "uid_min", false, "accounts", &umin);
        get_id(L, a, "uid_max", false, "accounts", &umax);
        if (umin > umax)
            serr(L, member(a, "uid_min") != NULL ? member(a, "uid_min") : a,
                 "accounts: uid_min %u is greater than uid_max %u", umin, umax);
        if (get_string(L, a, "home", false, "accounts", &home) == 1 && !valid_home_template(home)) {
            serr(L, member(a, "home"), "accounts: 'home' must be an absolute path "
                 "(%%u = actor name, no ':')");
            home = DEFAULT_ACC_HOME;
        }
        if (get_string(L, a, "shell", false, "accounts", &shell) == 1 && !valid_passwd_path(shell)) {
            serr(L, member(a, "shell"), "accounts: 'shell' must be an absolute path");
            shell = DEFAULT_ACC_SHELL;
        }
    }
    cfg->acc_gid = gid;
    cfg->uid_min = umin;
    cfg->uid_max = umax;
    dup_str(L, &cfg->acc_group, group);
    dup_str(L, &cfg->acc_home, home);
    dup_str(L, &cfg->acc_shell, shell);
}

static bool known_alg(const char *s, const char **norm)
{
    const struct dlg_alg *a = dlg_alg_find(s);

    if (a != NULL)
        *norm = a->name;
    return a != NULL;
}

static void load_issuer_keys(struct loader *L, const config_setting_t *ie, const char *what,
                             struct dlg_issuer *is)
{
    static const char *const known[] = {"kid", "file", NULL};
    const config_setting_t *list;
    int n = group_list(L, ie, "keys", &list);

    if (n < 0)
        return;
    if (n == 0) {
        serr(L, list != NULL ? list : ie, "%s has no keys", what);
        return;
    }
    is->keys = calloc((size_t)n, sizeof(*is->keys));
    if (is->keys == NULL) {
        oom(L);
        return;
    }
    is->nkeys = (size_t)n;
    for (int k = 0; k < n; k++) {
        const config_setting_t *ke = config_setting_get_elem(list, (unsigned)k);
        struct dlg_key *key = &is->keys[k];
        const char *kid, *file;
        if (config_setting_type(ke) != CONFIG_TYPE_GROUP) {
            serr(L, ke, "%s: each entry of 'keys' must be a group { kid = ...; file = ...; }", what);
            continue;
        }
        check_known(L, ke, known, "an issuer key");
        const struct dlg_file_id *fid = find_file(L->cfg, src_file(L, ke));
        key->src_file = fid != NULL ? fid->path : NULL;
        key->line = src_line(L, ke);
        if (get_string(L, ke, "kid", true, what, &kid) == 1) {
            if (!dlg_valid_jti(kid)) {
                serr(L, member(ke, "kid"), "%s: invalid key id '%s' (1..64 of A-Z a-z 0-9 . _ -, "
                     "like a ticket's kid)", what, kid);
            } else {
                bool dup = false;
                for (int j = 0; j < k; j++)
                    if (is->keys[j].kid != NULL && strcmp(is->keys[j].kid, kid) == 0)
                        dup = true;
                if (dup)
                    serr(L, member(ke, "kid"), "%s: duplicate key id '%s'", what, kid);
                dup_str(L, &key->kid, kid);
            }
        }
        if (get_string(L, ke, "file", true, what, &file) == 1) {
            if (!valid_path(file))
                serr(L, member(ke, "file"), "%s: key file '%s' must be an absolute path", what, file);
            else
                dup_str(L, &key->file, file);
        }
    }
}

static void load_issuers(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"id", "algorithms", "principals", "typ", "keys", NULL};
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *list;
    int n = group_list(L, root, "issuers", &list);

    if (n <= 0)
        return;
    cfg->issuers = calloc((size_t)n, sizeof(*cfg->issuers));
    if (cfg->issuers == NULL) {
        oom(L);
        return;
    }
    cfg->nissuers = (size_t)n;
    for (int i = 0; i < n; i++) {
        const config_setting_t *ie = config_setting_get_elem(list, (unsigned)i);
        struct dlg_issuer *is = &cfg->issuers[i];
        char what[200];
        const char *id = NULL, *typ = DEFAULT_TYP;

        snprintf(what, sizeof(what), "issuer #%d", i + 1);
        if (config_setting_type(ie) != CONFIG_TYPE_GROUP) {
            serr(L, ie, "each entry of 'issuers' must be a group { ... }");
            continue;
        }
        check_known(L, ie, known, "an issuer");
        if (get_string(L, ie, "id", true, what, &id) == 1) {
            if (!dlg_valid_name_token(id)) {
                serr(L, member(ie, "id"), "%s: invalid issuer id '%s'", what, id);
            } else {
                snprintf(what, sizeof(what), "issuer '%s'", id);
                for (int j = 0; j < i; j++)
                    if (cfg->issuers[j].id != NULL && strcmp(cfg->issuers[j].id, id) == 0)
                        serr(L, member(ie, "id"), "duplicate issuer id '%s'", id);
                dup_str(L, &is->id, id);
            }
        }
        /* algorithms: default ["EdDSA"]; Ed25519 is EdDSA's RFC 9864 name. */
        const config_setting_t *as = member(ie, "algorithms");
        if (as == NULL) {
            if (dlg_strv_push(&is->algorithms, DLG_ALG_DEFAULT) != 0)
                oom(L);
        } else if (!is_list(as) || config_setting_length(as) == 0) {
            serr(L, as, "%s: 'algorithms' must be a non-empty list of strings", what);
        } else {
            for (int k = 0; k < config_setting_length(as); k++) {
                const config_setting_t *e = config_setting_get_elem(as, (unsigned)k);
                const char *norm;
                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                    serr(L, e, "%s: 'algorithms' must be a list of strings", what);
                    continue;
                }
                const char *alg = config_setting_get_string(e);
                if (!known_alg(alg, &norm)) {
                    serr(L, e, "%s: unknown algorithm '%s' (allowed: EdDSA, Ed25519, ES256, "
                         "RS256, PS256)", what, alg);
                    continue;
                }
                if (!dlg_strv_contains(&is->algorithms, norm) &&
                    dlg_strv_push(&is->algorithms, norm) != 0)
                    oom(L);
            }
        }
        get_strlist(L, ie, "principals", true, true, what, valid_principal, "principal",
                    &is->principals);
        if (get_string(L, ie, "typ", false, what, &typ) == 1 &&
            strcmp(typ, "dlg+jwt") != 0 && strcmp(typ, "JWT") != 0) {
            serr(L, member(ie, "typ"), "%s: 'typ' must be \"dlg+jwt\" or \"JWT\"", what);
            typ = DEFAULT_TYP;
        }
        dup_str(L, &is->typ, typ);
        load_issuer_keys(L, ie, what, is);
    }
}

static void load_groups(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"name", "gid", NULL};
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *list;
    int n = group_list(L, root, "groups", &list);

    if (n <= 0)
        return;
    cfg->groups = calloc((size_t)n, sizeof(*cfg->groups));
    if (cfg->groups == NULL) {
        oom(L);
        return;
    }
    cfg->ngroups = (size_t)n;
    for (int i = 0; i < n; i++) {
        const config_setting_t *ge = config_setting_get_elem(list, (unsigned)i);
        struct dlg_group *gr = &cfg->groups[i];
        char what[200];
        const char *name;
        uint32_t gid;

        snprintf(what, sizeof(what), "group #%d", i + 1);
        if (config_setting_type(ge) != CONFIG_TYPE_GROUP) {
            serr(L, ge, "each entry of 'groups' must be a group { name = ...; gid = ...; }");
            continue;
        }
        check_known(L, ge, known, "a group");
        if (get_string(L, ge, "name", true, what, &name) == 1) {
            if (!dlg_valid_username(name)) {
                serr(L, member(ge, "name"), "%s: invalid group name '%s'", what, name);
            } else {
                snprintf(what, sizeof(what), "group '%s'", name);
                bool dup = cfg->acc_group != NULL && strcmp(cfg->acc_group, name) == 0;
                for (int j = 0; j < i; j++)
                    if (cfg->groups[j].name != NULL && strcmp(cfg->groups[j].name, name) == 0)
                        dup = true;
                if (dup)
                    serr(L, member(ge, "name"), "duplicate group name '%s'", name);
                dup_str(L, &gr->name, name);
            }
        }
        if (get_id(L, ge, "gid", true, what, &gid) == 1) {
            bool dup = gid == cfg->acc_gid;
            for (int j = 0; j < i; j++)
                if (cfg->groups[j].name != NULL && cfg->groups[j].gid == gid)
                    dup = true;
            if (dup)
                serr(L, member(ge, "gid"), "%s: duplicate gid %u", what, gid);
            gr->gid = gid;
        }
    }
}

static int cmp_revoked(const void *a, const void *b)
{
    const struct dlg_revoked_ticket *x = a, *y = b;
    return strcmp(x->id, y->id);
}

static void load_revoked_tickets(struct loader *L, const config_setting_t *rv)
{
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *s = member(rv, "tickets");

    if (s == NULL)
        return;
    if (!is_list(s)) {
        serr(L, s, "revoke: 'tickets' must be a list ( { id = ...; until = ...; }, ... )");
        return;
    }
    int n = config_setting_length(s);
    if (n == 0)
        return;
    cfg->revoked_tickets = calloc((size_t)n, sizeof(*cfg->revoked_tickets));
    if (cfg->revoked_tickets == NULL) {
        oom(L);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const config_setting_t *idset = e;
        const char *id = NULL;
        int64_t until = 0;

        if (config_setting_type(e) == CONFIG_TYPE_STRING) {
            id = config_setting_get_string(e);
        } else if (config_setting_type(e) == CONFIG_TYPE_GROUP) {
            /* This list can hold thousands of entries: one pass over the
             * members does what check_known + get_string + member would. */
            const config_setting_t *u = NULL;
            int nm = config_setting_length(e);
            idset = NULL;
            for (int k = 0; k < nm; k++) {
                const config_setting_t *m = config_setting_get_elem(e, (unsigned)k);
                const char *mn = config_setting_name(m);
                if (mn != NULL && strcmp(mn, "id") == 0)
                    idset = m;
                else if (mn != NULL && strcmp(mn, "until") == 0)
                    u = m;
                else
                    serr(L, m, "unknown setting '%s' in a revoked ticket", mn != NULL ? mn : "?");
            }
            if (idset == NULL) {
                serr(L, e, "revoke.tickets: missing required setting 'id'");
                continue;
            }
            if (config_setting_type(idset) != CONFIG_TYPE_STRING) {
                serr(L, idset, "revoke.tickets: 'id' must be a string");
                continue;
            }
            id = config_setting_get_string(idset);
            if (u != NULL && time_value(L, u, "revoke.tickets", "until", &until) != 1)
                continue;
        } else {
            serr(L, e, "revoke: each entry of 'tickets' must be { id = \"...\"; until = ...; }");
            continue;
        }
        if (!dlg_valid_jti(id)) {
            serr(L, idset,
                 "revoke: invalid ticket id '%s' (1..64 of A-Z a-z 0-9 . _ -)", id);
            continue;
        }
        struct dlg_revoked_ticket *rt = &cfg->revoked_tickets[cfg->nrevoked_tickets];
        if (dup_str(L, &rt->id, id) != 0)
            return;
        rt->until = until;
        cfg->nrevoked_tickets++;
    }
    /* `delegatectl revoke` writes the list sorted: then one pass suffices. */
    bool sorted = true;
    for (size_t r = 1; r < cfg->nrevoked_tickets && sorted; r++)
        sorted = strcmp(cfg->revoked_tickets[r - 1].id, cfg->revoked_tickets[r].id) <= 0;
    if (!sorted)
        qsort(cfg->revoked_tickets, cfg->nrevoked_tickets, sizeof(*cfg->revoked_tickets),
              cmp_revoked);
    /* The same id twice is harmless: keep one, with the later until. */
    size_t w = 0;
    for (size_t r = 0; r < cfg->nrevoked_tickets; r++) {
        struct dlg_revoked_ticket *cur = &cfg->revoked_tickets[r];
        if (w > 0 && strcmp(cfg->revoked_tickets[w - 1].id, cur->id) == 0) {
            struct dlg_revoked_ticket *prev = &cfg->revoked_tickets[w - 1];
            if (prev->until != 0 && (cur->until == 0 || cur->until > prev->until))
                prev->until = cur->until;
            free(cur->id);
            cur->id = NULL;
            continue;
        }
        cfg->revoked_tickets[w++] = *cur;
    }
    cfg->nrevoked_tickets = w;
}

static void load_revoke(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"tickets", "actors", "principals", "issuers", "keys",
                                        "issued_before", NULL};
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *rv = section(L, root, "revoke");

    if (rv == NULL)
        return;
    dup_str(L, &cfg->revoke_file, src_file(L, rv));
    check_known(L, rv, known, "revoke");
    load_revoked_tickets(L, rv);
    get_strlist(L, rv, "actors", false, false, "revoke", dlg_valid_username, "user name",
                &cfg->revoked_actors);
    get_strlist(L, rv, "principals", false, false, "revoke", dlg_valid_name, "principal",
                &cfg->revoked_principals);
    get_strlist(L, rv, "issuers", false, false, "revoke", dlg_valid_name_token, "issuer id",
                &cfg->revoked_issuers);
    get_strlist(L, rv, "keys", false, false, "revoke", dlg_valid_jti, "key id",
                &cfg->revoked_keys);
    const config_setting_t *ib = member(rv, "issued_before");
    if (ib != NULL && time_value(L, ib, "revoke", "issued_before", &cfg->issued_before) == 1)
        cfg->has_issued_before = true;
}

static const struct dlg_group *group_by_name_linear(const struct dlg_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ngroups; i++)
        if (cfg->groups[i].name != NULL && strcmp(cfg->groups[i].name, name) == 0)
            return &cfg->groups[i];
    return NULL;
}

static void load_actor(struct loader *L, const config_setting_t *ae, int i,
                       struct srcpos *pos, struct dlg_actor *a)
{
    enum { NAME, UID, COMMENT, HOME, SHELL, GROUPS, PRINCIPALS, SERVICES, SOURCES, RUNAS,
           MAX_LIFETIME, APPROVALS, KEY_BINDING, NKNOWN };
    static const char *const known[NKNOWN + 1] = {
        [NAME] = "name", [UID] = "uid", [COMMENT] = "comment", [HOME] = "home",
        [SHELL] = "shell", [GROUPS] = "groups", [PRINCIPALS] = "principals",
        [SERVICES] = "services", [SOURCES] = "sources", [RUNAS] = "runas",
        [MAX_LIFETIME] = "max_lifetime", [APPROVALS] = "approvals",
        [KEY_BINDING] = "key_binding", [NKNOWN] = NULL,
    };
    const config_setting_t *m[NKNOWN];
    struct dlg_config *cfg = L->cfg;
    char what[200];
    const char *name = NULL, *comment = "", *home = NULL, *shell = NULL;
    uint32_t uid;
    int64_t v;

    snprintf(what, sizeof(what), "actor #%d", i + 1);
    if (config_setting_type(ae) != CONFIG_TYPE_GROUP) {
        serr(L, ae, "each entry of 'actors' must be a group { ... }");
        return;
    }
    /* up to 12 members for each of possibly thousands of actors: one pass */
    collect_members(L, ae, known, m, "an actor");
    if (get_string_at(L, ae, m[NAME], "name", true, what, &name) == 1) {
        if (!dlg_valid_username(name)) {
            serr(L, m[NAME], "%s: invalid user name '%s'", what, name);
            name = NULL;
        } else {
            snprintf(what, sizeof(what), "actor '%s'", name);
            if (dup_str(L, &a->name, name) != 0)
                return;
        }
    }
    pos[i].file = src_file(L, ae);
    pos[i].line = src_line(L, ae);
    pos[i].ae = ae;
    if (get_id_at(L, ae, m[UID], "uid", true, what, &uid) == 1) {
        if (uid < cfg->uid_min || uid > cfg->uid_max)
            serr(L, m[UID], "%s: uid %u is outside accounts.uid_min..uid_max (%u..%u)",
                 what, uid, (unsigned)cfg->uid_min, (unsigned)cfg->uid_max);
        a->uid = uid;
        pos[i].has_uid = true;
    }
    if (get_string_at(L, ae, m[COMMENT], "comment", false, what, &comment) == 1 &&
        (has_ctl(comment) || strchr(comment, ':') != NULL)) {
        serr(L, m[COMMENT], "%s: 'comment' must not contain ':' or control characters", what);
        comment = "";
    }
    dup_str(L, &a->comment, comment);
    if (get_string_at(L, ae, m[HOME], "home", false, what, &home) == 1 &&
        !valid_home_template(home)) {
        serr(L, m[HOME], "%s: 'home' must be an absolute path (no ':')", what);
        home = NULL;
    }
    if (name != NULL) {
        a->home = expand_home(home != NULL ? home : cfg->acc_home != NULL ? cfg->acc_home
                                                                          : DEFAULT_ACC_HOME,
                              name);
        if (a->home == NULL)
            oom(L);
    }
    if (get_string_at(L, ae, m[SHELL], "shell", false, what, &shell) == 1 &&
        !valid_passwd_path(shell)) {
        serr(L, m[SHELL], "%s: 'shell' must be an absolute path", what);
        shell = NULL;
    }
    dup_str(L, &a->shell, shell != NULL ? shell : cfg->acc_shell != NULL ? cfg->acc_shell
                                                                        : DEFAULT_ACC_SHELL);

    const config_setting_t *gs = m[GROUPS];
    struct dlg_strv gnames = {0};
    if (get_strlist_at(L, ae, gs, "groups", false, false, what, dlg_valid_username,
                       "group name", &gnames) == 1) {
        for (size_t k = 0; k < gnames.n; k++) {
            const char *g = gnames.v[k];
            if (cfg->acc_group != NULL && strcmp(g, cfg->acc_group) == 0) {
                swarn(L, gs, "%s: '%s' is the accounts group; every actor is in it already",
                      what, g);
                continue;
            }
            if (group_by_name_linear(cfg, g) == NULL) {
                serr(L, gs, "%s: group '%s' is not defined in 'groups'", what, g);
                continue;
            }
            if (dlg_strv_push(&a->groups, g) != 0)
                oom(L);
        }
    }
    dlg_strv_free(&gnames);

    get_strlist_at(L, ae, m[PRINCIPALS], "principals", true, true, what, valid_principal,
                   "principal", &a->principals);
    get_strlist_at(L, ae, m[SERVICES], "services", true, true, what, dlg_valid_name_token,
                   "service", &a->services);

    const config_setting_t *ss = m[SOURCES];
    if (ss != NULL) {
        struct dlg_strv srcs = {0};
        if (get_strlist_at(L, ae, ss, "sources", false, false, what, NULL, NULL, &srcs) == 1) {
            a->has_sources = true;
            if (srcs.n > 0) {
                a->sources = calloc(srcs.n, sizeof(*a->sources));
                if (a->sources == NULL)
                    oom(L);
            }
            for (size_t k = 0; a->sources != NULL && k < srcs.n; k++) {
                if (dlg_cidr_parse(srcs.v[k], &a->sources[a->nsources]) != 0) {
                    /* point at the element when we can find it */
                    const config_setting_t *el = ss;
                    for (int e = 0; e < config_setting_length(ss); e++) {
                        const config_setting_t *x = config_setting_get_elem(ss, (unsigned)e);
                        if (config_setting_type(x) == CONFIG_TYPE_STRING &&
                            strcmp(config_setting_get_string(x), srcs.v[k]) == 0) {
                            el = x;
                            break;
                        }
                    }
                    serr(L, el, "%s: invalid CIDR '%s' in 'sources' (host bits must be zero)",
                         what, srcs.v[k]);
                    continue;
                }
                a->nsources++;
            }
        }
        dlg_strv_free(&srcs);
    }
    if (m[RUNAS] != NULL &&
        get_strlist_at(L, ae, m[RUNAS], "runas", false, false, what, dlg_valid_username,
                       "user name", &a->runas) == 1)
        a->has_runas = true;

    a->max_lifetime = cfg->max_lifetime;
    if (get_seconds_at(L, m[MAX_LIFETIME], "max_lifetime", what, true, &v) == 1 &&
        v < a->max_lifetime)
        a->max_lifetime = v;

    if (get_int_at(L, ae, m[APPROVALS], "approvals", false, what, &v) == 1) {
        if (v < 0)
            serr(L, m[APPROVALS], "%s: 'approvals' must not be negative", what);
        else if (v > APPROVALS_MAX)
            serr(L, m[APPROVALS], "%s: 'approvals' must be at most %d", what, APPROVALS_MAX);
        else
            a->approvals = (int)v;
    }
    const char *kb = NULL;
    if (get_string_at(L, ae, m[KEY_BINDING], "key_binding", false, what, &kb) == 1) {
        if (strcmp(kb, "required") == 0)
            a->key_required = true;
        else if (strcmp(kb, "optional") != 0)
            serr(L, m[KEY_BINDING], "%s: 'key_binding' must be \"optional\" or \"required\"", what);
    }
    if (a->name != NULL)
        a->revoked = dlg_strv_contains(&cfg->revoked_actors, a->name);
}

/* Duplicate names and uids, found by sorting (a config may list thousands
 * of actors).  Each later duplicate is reported against the first one. */
struct actor_ref {
    const struct dlg_actor *a;
    size_t i;                   /* position in the file */
};

static int cmp_ref_name(const void *x, const void *y)
{
    const struct actor_ref *p = x, *q = y;
    int c = strcmp(p->a->name, q->a->name);
    return c != 0 ? c : (p->i > q->i) - (p->i < q->i);
}

static int cmp_ref_uid(const void *x, const void *y)
{
    const struct actor_ref *p = x, *q = y;
    if (p->a->uid != q->a->uid)
        return p->a->uid < q->a->uid ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

static void check_actor_duplicates(struct loader *L, const struct srcpos *pos)
{
    const struct dlg_config *cfg = L->cfg;
    struct actor_ref *refs = calloc(cfg->nactors + 1, sizeof(*refs));
    size_t n = 0;

    if (refs == NULL) {
        oom(L);
        return;
    }
    for (size_t i = 0; i < cfg->nactors; i++)
        if (cfg->actors[i].name != NULL)
            refs[n++] = (struct actor_ref){ &cfg->actors[i], i };
    qsort(refs, n, sizeof(*refs), cmp_ref_name);
    for (size_t k = 1, first = 0; k < n; k++) {
        if (strcmp(refs[k].a->name, refs[first].a->name) != 0) {
            first = k;
            continue;
        }
        serr(L, member(pos[refs[k].i].ae, "name"), "duplicate actor name '%s' (first at %s:%d)",
             refs[k].a->name, pos[refs[first].i].file, pos[refs[first].i].line);
    }

    n = 0;
    for (size_t i = 0; i < cfg->nactors; i++)
        if (pos[i].has_uid)
            refs[n++] = (struct actor_ref){ &cfg->actors[i], i };
    qsort(refs, n, sizeof(*refs), cmp_ref_uid);
    for (size_t k = 1, first = 0; k < n; k++) {
        if (refs[k].a->uid != refs[first].a->uid) {
            first = k;
            continue;
        }
        char what[200];
        if (refs[k].a->name != NULL)
            snprintf(what, sizeof(what), "actor '%s'", refs[k].a->name);
        else
            snprintf(what, sizeof(what), "actor #%zu", refs[k].i + 1);
        serr(L, member(pos[refs[k].i].ae, "uid"), "%s: duplicate uid %u (first at %s:%d)", what,
             (unsigned)refs[k].a->uid, pos[refs[first].i].file, pos[refs[first].i].line);
    }
    free(refs);
}

static void load_actors(struct loader *L, const config_setting_t *root)
{
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *list;
    int n = group_list(L, root, "actors", &list);

    if (n <= 0)
        return;
    struct srcpos *pos = calloc((size_t)n, sizeof(*pos));
    cfg->actors = calloc((size_t)n, sizeof(*cfg->actors));
    if (pos == NULL || cfg->actors == NULL) {
        free(pos);
        oom(L);
        return;
    }
    cfg->nactors = (size_t)n;
    for (int i = 0; i < n; i++)
        load_actor(L, config_setting_get_elem(list, (unsigned)i), i, pos, &cfg->actors[i]);
    check_actor_duplicates(L, pos);
    free(pos);
}

static void load_audit(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"syslog", "file", NULL};
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *a = section(L, root, "audit");
    const char *file;

    cfg->audit_syslog = true;
    if (a == NULL)
        return;
    check_known(L, a, known, "audit");
    get_bool(L, a, "syslog", "audit", &cfg->audit_syslog);
    if (get_string(L, a, "file", false, "audit", &file) == 1) {
        if (!valid_path(file))
            serr(L, member(a, "file"), "audit: 'file' must be an absolute path");
        else
            dup_str(L, &cfg->audit_file, file);
    }
}

/* sessions = { grace = 5; }: seconds between SIGHUP and SIGKILL when a
 * session's authority ends (issue 10).  At most an hour. */
static void load_sessions(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"grace", NULL};
    const config_setting_t *s = section(L, root, "sessions");
    int64_t grace = 5;

    L->cfg->session_grace = 5;
    if (s == NULL)
        return;
    check_known(L, s, known, "sessions");
    if (get_seconds(L, s, "grace", "sessions", false, &grace) == 1) {
        if (grace > 3600)
            serr(L, member(s, "grace"), "sessions: 'grace' must be at most 3600 seconds");
        else
            L->cfg->session_grace = grace;
    }
}

/* ---- indexes ----------------------------------------------------------- */

static int cmp_actor_name(const void *a, const void *b)
{
    const struct dlg_actor *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int cmp_actor_uid(const void *a, const void *b)
{
    const struct dlg_actor *const *x = a, *const *y = b;
    return (*x)->uid < (*y)->uid ? -1 : (*x)->uid > (*y)->uid;
}

static int cmp_group_name(const void *a, const void *b)
{
    const struct dlg_group *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int cmp_group_gid(const void *a, const void *b)
{
    const struct dlg_group *const *x = a, *const *y = b;
    return (*x)->gid < (*y)->gid ? -1 : (*x)->gid > (*y)->gid;
}

static int cmp_issuer_id(const void *a, const void *b)
{
    const struct dlg_issuer *x = a, *y = b;
    return strcmp(x->id, y->id);
}

/* Only called on a config without errors: every name is set. */
static int build_indexes(struct loader *L)
{
    struct dlg_config *cfg = L->cfg;

    if (cfg->nactors > 0)
        qsort(cfg->actors, cfg->nactors, sizeof(*cfg->actors), cmp_actor_name);
    if (cfg->ngroups > 0)
        qsort(cfg->groups, cfg->ngroups, sizeof(*cfg->groups), cmp_group_name);
    if (cfg->nissuers > 0)
        qsort(cfg->issuers, cfg->nissuers, sizeof(*cfg->issuers), cmp_issuer_id);
    if (cfg->nactors > 0) {
        cfg->actors_by_uid = calloc(cfg->nactors, sizeof(*cfg->actors_by_uid));
        if (cfg->actors_by_uid == NULL)
            goto nomem;
        for (size_t i = 0; i < cfg->nactors; i++)
            cfg->actors_by_uid[i] = &cfg->actors[i];
        qsort(cfg->actors_by_uid, cfg->nactors, sizeof(*cfg->actors_by_uid), cmp_actor_uid);
    }
    if (cfg->ngroups > 0) {
        cfg->groups_by_gid = calloc(cfg->ngroups, sizeof(*cfg->groups_by_gid));
        if (cfg->groups_by_gid == NULL)
            goto nomem;
        for (size_t i = 0; i < cfg->ngroups; i++)
            cfg->groups_by_gid[i] = &cfg->groups[i];
        qsort(cfg->groups_by_gid, cfg->ngroups, sizeof(*cfg->groups_by_gid), cmp_group_gid);
    }
    /* Members, in actor name order; revoked actors do not resolve. */
    for (size_t i = 0; i < cfg->nactors; i++) {
        const struct dlg_actor *a = &cfg->actors[i];
        if (a->revoked)
            continue;
        for (size_t k = 0; k < a->groups.n; k++) {
            struct dlg_group *g = (struct dlg_group *)dlg_config_group(cfg, a->groups.v[k]);
            if (g != NULL && dlg_strv_push(&g->members, a->name) != 0)
                goto nomem;
        }
    }
    return 0;
nomem:
    oom(L);
    return -1;
}

/* ---- the loader -------------------------------------------------------- */

static void validate(struct loader *L, const config_setting_t *root)
{
    if (L->revoke_only) {
        static const char *const known[] = {"revoke", NULL};
        check_known(L, root, known, "a revoke file (only 'revoke = { ... };' belongs here)");
        if (member(root, "revoke") == NULL && !L->revoke_optional)
            lerr(L, L->path, 0, "no 'revoke' group");
        load_revoke(L, root);
        return;
    }
    static const char *const known[] = {"version", "host", "tickets", "issuers", "accounts",
                                        "actors", "groups", "audit", "revoke", "sessions",
                                        NULL};
    check_known(L, root, known, "the top level");
    load_version(L, root);
    load_host(L, root);
    load_tickets(L, root);
    load_accounts(L, root);
    load_issuers(L, root);
    load_groups(L, root);
    load_revoke(L, root);
    load_actors(L, root);
    load_audit(L, root);
    load_sessions(L, root);
}

/* After parsing: libconfig must not have opened any file itself (every
 * @include was expanded from a trust-checked descriptor). */
static void verify_includes(struct loader *L, const config_t *c)
{
    for (unsigned i = 0; i < c->num_filenames; i++) {
        const char *f = c->filenames[i];
        lerr(L, f != NULL ? f : L->path, 0, "included file was not trust-checked");
    }
}

static struct dlg_config *load(const char *path, struct dlg_diag *diag, bool revoke_only,
                               bool *raced)
{
    struct loader L = {.path = path, .diag = diag, .revoke_only = revoke_only, .xline = 1};
    char err[512];
    char *text = NULL, *main_text;
    size_t len;
    struct stat st;
    config_t c;
    bool have_c = false;

    if (path == NULL || *path == '\0') {
        dlg_diag_error(diag, NULL, 0, "no configuration file given");
        return NULL;
    }
    L.cfg = calloc(1, sizeof(*L.cfg));
    if (L.cfg == NULL) {
        dlg_diag_error(diag, path, 0, "out of memory");
        return NULL;
    }
    if (dup_str(&L, &L.cfg->path, path) != 0)
        goto out;
    if (dlg_read_trusted(path, CONFIG_MAX_BYTES, &text, &len, &st, err, sizeof(err)) != 0) {
        if (errno == EAGAIN)
            L.raced = true;
        lerr(&L, NULL, 0, "%s", err);
        goto out;
    }
    if (strlen(text) != len) {
        lerr(&L, path, 0, "contains a NUL byte");
        goto out;
    }
    if (add_file(&L, path, &st, text) != 0) {
        text = NULL;
        goto out;
    }
    main_text = text;
    text = NULL;
    if (scan_text(&L, L.cfg->files[0].path, main_text, len, 0) != 0 || L.xbuf == NULL)
        goto out;                       /* never let libconfig open an untrusted file */

    /* Parse the very bytes we checked, includes spliced in. */
    config_init(&c);
    have_c = true;
    /* libconfig 1.5 resolves a relative @include against this: none is left */
    config_set_include_dir(&c, "/nonexistent/delegate-includes-are-expanded");
    locale_t saved = uselocale((locale_t)0);
    int ok = config_read_string(&c, L.xbuf);
    uselocale(saved);
    if (!ok) {
        const char *ef = config_error_file(&c);
        int el = config_error_line(&c);
        lerr(&L, ef != NULL ? ef : map_file(&L, el), ef != NULL ? el : map_line(&L, el), "%s",
             config_error_text(&c));
        goto out;
    }
    verify_includes(&L, &c);
    validate(&L, config_root_setting(&c));
    if (L.nerr == 0)
        build_indexes(&L);
out:
    if (have_c)
        config_destroy(&c);
    free(text);
    for (size_t i = 0; L.texts != NULL && i < L.cfg->nfiles; i++)
        free(L.texts[i]);
    free(L.texts);
    free(L.xbuf);
    free(L.segs);
    *raced = L.raced;
    if (L.nerr > 0) {
        dlg_config_free(L.cfg);
        return NULL;
    }
    return L.cfg;
}

static void diag_move(struct dlg_diag *to, struct dlg_diag *from)
{
    for (size_t i = 0; to != NULL && i < from->errors.n; i++)
        (void)dlg_strv_push(&to->errors, from->errors.v[i]);
    for (size_t i = 0; to != NULL && i < from->warnings.n; i++)
        (void)dlg_strv_push(&to->warnings, from->warnings.v[i]);
    dlg_diag_free(from);
}

/* `delegatectl revoke` renames a new revoked.conf into place: a load that
 * raced with such a rename is tried again (a few times) rather than
 * denying an actor with config_error for an edit that was atomic. */
#define LOAD_RACE_RETRIES 4

struct dlg_config *dlg_config_load(const char *path, struct dlg_diag *diag)
{
    struct dlg_config *cfg = NULL;

    for (int attempt = 0; attempt < LOAD_RACE_RETRIES; attempt++) {
        struct dlg_diag tmp;
        bool raced = false;

        memset(&tmp, 0, sizeof(tmp));
        cfg = load(path, &tmp, false, &raced);
        if (cfg != NULL || !raced || attempt + 1 == LOAD_RACE_RETRIES) {
            diag_move(diag, &tmp);
            break;
        }
        dlg_diag_free(&tmp);
    }
    return cfg;
}

int dlg_revoke_file_validate(const char *path, struct dlg_diag *diag)
{
    bool raced = false;
    struct dlg_config *cfg = load(path, diag, true, &raced);
    if (cfg == NULL)
        return -1;
    dlg_config_free(cfg);
    return 0;
}

int dlg_revoke_file_check(const char *path, struct dlg_diag *diag)
{
    struct loader L = {.path = path, .diag = diag, .revoke_only = true,
                       .revoke_optional = true, .xline = 1};
    char err[512];
    char *text = NULL;
    size_t len;
    struct stat st;
    config_t c;
    bool have_c = false;

    L.cfg = calloc(1, sizeof(*L.cfg));
    if (L.cfg == NULL || dup_str(&L, &L.cfg->path, path) != 0) {
        dlg_diag_error(diag, path, 0, "out of memory");
        goto out;
    }
    if (dlg_read_trusted(path, CONFIG_MAX_BYTES, &text, &len, &st, err, sizeof(err)) != 0) {
        lerr(&L, NULL, 0, "%s", err);
        goto out;
    }
    if (strlen(text) != len) {
        lerr(&L, path, 0, "contains a NUL byte");
        goto out;
    }
    if (add_file(&L, path, &st, text) != 0) {
        text = NULL;
        goto out;
    }
    if (scan_text(&L, L.cfg->files[0].path, L.texts[0], len, 0) != 0 || L.xbuf == NULL)
        goto out;
    text = NULL;
    config_init(&c);
    have_c = true;
    config_set_include_dir(&c, "/nonexistent/delegate-includes-are-expanded");
    locale_t saved = uselocale((locale_t)0);
    int ok = config_read_string(&c, L.xbuf);
    uselocale(saved);
    if (!ok) {
        int el = config_error_line(&c);
        lerr(&L, map_file(&L, el), map_line(&L, el), "%s", config_error_text(&c));
        goto out;
    }
    verify_includes(&L, &c);
    validate(&L, config_root_setting(&c));
out:
    if (have_c)
        config_destroy(&c);
    free(text);
    for (size_t i = 0; L.cfg != NULL && L.texts != NULL && i < L.cfg->nfiles; i++)
        free(L.texts[i]);
    free(L.texts);
    free(L.xbuf);
    free(L.segs);
    int rc = L.nerr > 0 || L.cfg == NULL ? -1 : 0;
    dlg_config_free(L.cfg);
    return rc;
}

bool dlg_config_unchanged(const struct dlg_config *cfg)
{
    struct stat st;

    if (cfg == NULL)
        return false;
    for (size_t i = 0; i < cfg->nfiles; i++) {
        if (lstat(cfg->files[i].path, &st) != 0 || !same_identity(&cfg->files[i], &st))
            return false;
    }
    return true;
}

/* ---- lookups ----------------------------------------------------------- */

static int key_actor_name(const void *k, const void *e)
{
    return strcmp(k, ((const struct dlg_actor *)e)->name);
}

static int key_actor_uid(const void *k, const void *e)
{
    uid_t u = *(const uid_t *)k, v = (*(const struct dlg_actor *const *)e)->uid;
    return u < v ? -1 : u > v;
}

static int key_group_name(const void *k, const void *e)
{
    return strcmp(k, ((const struct dlg_group *)e)->name);
}

static int key_group_gid(const void *k, const void *e)
{
    gid_t u = *(const gid_t *)k, v = (*(const struct dlg_group *const *)e)->gid;
    return u < v ? -1 : u > v;
}

static int key_issuer_id(const void *k, const void *e)
{
    return strcmp(k, ((const struct dlg_issuer *)e)->id);
}

static int key_revoked(const void *k, const void *e)
{
    return strcmp(k, ((const struct dlg_revoked_ticket *)e)->id);
}

const struct dlg_actor *dlg_config_actor(const struct dlg_config *cfg, const char *name)
{
    if (dlg_compiled_lazy(cfg))
        return dlg_compiled_actor(cfg, name);      /* compiled.h */
    if (cfg == NULL || name == NULL || cfg->nactors == 0)
        return NULL;
    return bsearch(name, cfg->actors, cfg->nactors, sizeof(*cfg->actors), key_actor_name);
}

const struct dlg_actor *dlg_config_actor_by_uid(const struct dlg_config *cfg, uid_t uid)
{
    if (dlg_compiled_lazy(cfg))
        return dlg_compiled_actor_by_uid(cfg, uid); /* compiled.h */
    if (cfg == NULL || cfg->actors_by_uid == NULL)
        return NULL;
    struct dlg_actor *const *p = bsearch(&uid, cfg->actors_by_uid, cfg->nactors,
                                         sizeof(*cfg->actors_by_uid), key_actor_uid);
    return p != NULL ? *p : NULL;
}

const struct dlg_group *dlg_config_group(const struct dlg_config *cfg, const char *name)
{
    if (cfg == NULL || name == NULL || cfg->ngroups == 0)
        return NULL;
    return bsearch(name, cfg->groups, cfg->ngroups, sizeof(*cfg->groups), key_group_name);
}

const struct dlg_group *dlg_config_group_by_gid(const struct dlg_config *cfg, gid_t gid)
{
    if (cfg == NULL || cfg->groups_by_gid == NULL)
        return NULL;
    struct dlg_group *const *p = bsearch(&gid, cfg->groups_by_gid, cfg->ngroups,
                                         sizeof(*cfg->groups_by_gid), key_group_gid);
    return p != NULL ? *p : NULL;
}

const struct dlg_issuer *dlg_config_issuer(const struct dlg_config *cfg, const char *id)
{
    if (cfg == NULL || id == NULL || cfg->nissuers == 0)
        return NULL;
    return bsearch(id, cfg->issuers, cfg->nissuers, sizeof(*cfg->issuers), key_issuer_id);
}

bool dlg_config_ticket_revoked(const struct dlg_config *cfg, const char *jti)
{
    if (cfg != NULL && cfg->compiled != NULL)
        return dlg_compiled_ticket_revoked(cfg, jti);  /* compiled.h */
    if (cfg == NULL || jti == NULL || cfg->nrevoked_tickets == 0)
        return false;
    return bsearch(jti, cfg->revoked_tickets, cfg->nrevoked_tickets,
                   sizeof(*cfg->revoked_tickets), key_revoked) != NULL;
}
