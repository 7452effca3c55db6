/* Files and the @include pre-scan: every file read through a trust-checked
 * descriptor, @include lines expanded in place into the one text libconfig
 * parses, a map of segments (expanded line -> file, line), and the lexical
 * checks libconfig would not make (integers it would silently wrap). */
#include "config/config_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

struct dlg_file_id *find_file(const struct dlg_config *cfg, const char *path)
{
    for (size_t i = 0; i < cfg->nfiles; i++)
        if (strcmp(cfg->files[i].path, path) == 0)
            return &cfg->files[i];
    return NULL;
}

/* The file system type (statfs f_type) of path, 0 when unknown: recorded so
 * that the compiled form is trusted only where change times are real. */
static uint64_t fs_type_of(const char *path)
{
    struct statfs sf;

    return statfs(path, &sf) == 0 ? (uint64_t)sf.f_type : 0;
}

/* Records a file read; takes ownership of text (on failure too). */
int add_file(struct loader *L, const char *path, const struct stat *st, char *text)
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
    f->fs_type = fs_type_of(path);
    cfg->nfiles++;
    return 0;
}



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
int scan_text(struct loader *L, const char *file, const char *text, size_t len, int depth)
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

/* After parsing: libconfig must not have opened any file itself (every
 * @include was expanded from a trust-checked descriptor). */
void verify_includes(struct loader *L, const config_t *c)
{
    for (unsigned i = 0; i < c->num_filenames; i++) {
        const char *f = c->filenames[i];
        lerr(L, f != NULL ? f : L->path, 0, "included file was not trust-checked");
    }
}
