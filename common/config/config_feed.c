/* Revocation feeds in the config (DESIGN.md §6a): the `feeds` list, and the
 * revocations of each feed's last verified version, which are merged into
 * the config's own revoke lists so that they count exactly like
 * revoked.conf's everywhere a config is used (the decision, the account
 * recheck, watch, NSS, the compiled form).
 *
 * The signed feed itself (DLG_FEEDS_DIR, root 0700) is verified only by
 * delegatectl (common/feed/); what it revokes is handed to every reader as
 * DLG_FEED_REVOKED_DIR/ID.conf, a root-owned, world-readable file in
 * revoked.conf's syntax plus a `feed` group (id, ver, iat, exp).  This file
 * reads it like an included revoke file: trust-checked (root, not writable
 * by others, every directory up to /), recorded in cfg->files so that a
 * change (or its first appearance: an absent file is recorded as absent)
 * makes every cache and the compiled form stale.
 *
 * libconfig + libc only, like the rest of the loader (the NSS module links
 * this file; it runs in unprivileged processes, which is why the feed's
 * revocations come from a world-readable file). */
#include "config/config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FEED_REFRESH_DEFAULT 30
#define FEED_REFRESH_MAX     86400
#define FEED_URL_MAX         2048

/* ---- the feeds list ---------------------------------------------------- */

static bool valid_feed_id(const char *s)
{
    return dlg_valid_jti(s) && s[0] != '.';
}

static bool valid_url(const char *s)
{
    size_t n = strlen(s);

    if (n <= 8 || n > FEED_URL_MAX || strncmp(s, "https://", 8) != 0)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

static void load_feed_source(struct loader *L, const config_setting_t *fe, const char *what,
                             struct dlg_feed *f)
{
    const char *url = NULL, *file = NULL, *ca = NULL;
    int hu = get_string(L, fe, "url", false, what, &url);
    int hf = get_string(L, fe, "file", false, what, &file);

    if (hu == 1 && hf == 1)
        serr(L, member(fe, "file"), "%s: give either 'url' or 'file', not both", what);
    else if (hu == 0 && hf == 0)
        serr(L, fe, "%s: missing required setting 'url' (https://...) or 'file'", what);
    if (hu == 1) {
        if (!valid_url(url))
            serr(L, member(fe, "url"), "%s: 'url' must be an https:// URL without blanks or "
                 "control characters (at most %d bytes)", what, FEED_URL_MAX);
        else
            dup_str(L, &f->url, url);
    }
    if (hf == 1) {
        if (!valid_path(file))
            serr(L, member(fe, "file"), "%s: 'file' must be an absolute path", what);
        else
            dup_str(L, &f->file, file);
    }
    if (get_string(L, fe, "ca", false, what, &ca) == 1) {
        if (hu != 1)
            serr(L, member(fe, "ca"), "%s: 'ca' applies only to a feed fetched from a 'url'",
                 what);
        else if (!valid_path(ca))
            serr(L, member(fe, "ca"), "%s: 'ca' must be an absolute path", what);
        else
            dup_str(L, &f->ca, ca);
    }
}

static void load_feed_policy(struct loader *L, const config_setting_t *fe, const char *what,
                             struct dlg_feed *f)
{
    const char *key = NULL, *on_stale = NULL;
    int64_t refresh = FEED_REFRESH_DEFAULT;

    if (get_string(L, fe, "key", true, what, &key) == 1) {
        if (!valid_path(key))
            serr(L, member(fe, "key"), "%s: 'key' must be an absolute path", what);
        else
            dup_str(L, &f->key, key);
    }
    if (get_int(L, fe, "refresh", false, what, &refresh) == 1 &&
        (refresh < 1 || refresh > FEED_REFRESH_MAX)) {
        serr(L, member(fe, "refresh"), "%s: 'refresh' must be 1..%d seconds", what,
             FEED_REFRESH_MAX);
        refresh = FEED_REFRESH_DEFAULT;
    }
    f->refresh = refresh;
    if (get_string(L, fe, "on_stale", false, what, &on_stale) == 1) {
        if (strcmp(on_stale, "end") == 0)
            f->on_stale_end = true;
        else if (strcmp(on_stale, "refuse") != 0)
            serr(L, member(fe, "on_stale"), "%s: 'on_stale' must be \"refuse\" or \"end\"",
                 what);
    }
}

static void read_feed_revocations(struct loader *L, struct dlg_feed *f);

void load_feeds(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"id", "key", "url", "file", "ca", "refresh",
                                        "on_stale", NULL};
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *list;
    int n = group_list(L, root, "feeds", &list);

    if (n <= 0)
        return;
    cfg->feeds = calloc((size_t)n, sizeof(*cfg->feeds));
    if (cfg->feeds == NULL) {
        oom(L);
        return;
    }
    cfg->nfeeds = (size_t)n;
    for (int i = 0; i < n; i++) {
        const config_setting_t *fe = config_setting_get_elem(list, (unsigned)i);
        struct dlg_feed *f = &cfg->feeds[i];
        const char *id = NULL;
        char what[160];

        snprintf(what, sizeof(what), "feed #%d", i + 1);
        if (config_setting_type(fe) != CONFIG_TYPE_GROUP) {
            serr(L, fe, "each entry of 'feeds' must be a group { ... }");
            continue;
        }
        check_known(L, fe, known, "a feed");
        if (get_string(L, fe, "id", true, what, &id) == 1) {
            if (!valid_feed_id(id)) {
                serr(L, member(fe, "id"), "%s: invalid feed id '%s' (1..64 of A-Z a-z 0-9 . _ -, "
                     "not starting with '.')", what, id);
            } else {
                snprintf(what, sizeof(what), "feed '%s'", id);
                for (int j = 0; j < i; j++)
                    if (cfg->feeds[j].id != NULL && strcmp(cfg->feeds[j].id, id) == 0)
                        serr(L, member(fe, "id"), "duplicate feed id '%s'", id);
                dup_str(L, &f->id, id);
            }
        }
        load_feed_policy(L, fe, what, f);
        load_feed_source(L, fe, what, f);
        if (f->id != NULL && L->nerr == 0)
            read_feed_revocations(L, f);
    }
}

/* ---- merging revocations ----------------------------------------------- */

static int merge_strv(struct dlg_strv *into, const struct dlg_strv *from)
{
    for (size_t i = 0; i < from->n; i++)
        if (!dlg_strv_contains(into, from->v[i]) && dlg_strv_push(into, from->v[i]) != 0)
            return -1;
    return 0;
}

/* The union of both sets of revoked ticket ids (the later until of an id in
 * both: dlg_revoked_set_build's rule), as one new set for into. */
static int merge_tickets(struct dlg_config *into, const struct dlg_config *from)
{
    const struct dlg_revoked_set *a = &into->revoked_tickets, *b = &from->revoked_tickets;
    size_t n = a->n + b->n, k = 0;
    const char **ids;
    int64_t *untils;
    struct dlg_revoked_set merged;
    void *mem = NULL;
    int rc = -1;

    if (b->n == 0)
        return 0;
    ids = calloc(n, sizeof(*ids));
    untils = calloc(n, sizeof(*untils));
    if (ids != NULL && untils != NULL) {
        for (size_t i = 0; i < a->n; i++, k++) {
            ids[k] = dlg_revoked_id(a, i);
            untils[k] = a->v[i].until;
        }
        for (size_t i = 0; i < b->n; i++, k++) {
            ids[k] = dlg_revoked_id(b, i);
            untils[k] = b->v[i].until;
        }
        if (dlg_revoked_set_build(&merged, &mem, ids, untils, n) == 0) {
            free((void *)(uintptr_t)a->v);  /* one allocation: records and pool */
            into->revoked_tickets = merged;
            rc = 0;
        }
    }
    free(ids);
    free(untils);
    return rc;
}

static int merge_revocations(struct dlg_config *into, struct dlg_config *from)
{
    if (merge_tickets(into, from) != 0 ||
        merge_strv(&into->revoked_actors, &from->revoked_actors) != 0 ||
        merge_strv(&into->revoked_principals, &from->revoked_principals) != 0 ||
        merge_strv(&into->revoked_issuers, &from->revoked_issuers) != 0 ||
        merge_strv(&into->revoked_keys, &from->revoked_keys) != 0)
        return -1;
    if (from->has_issued_before &&
        (!into->has_issued_before || from->issued_before > into->issued_before)) {
        into->has_issued_before = true;
        into->issued_before = from->issued_before;
    }
    return 0;
}

/* ---- one revoke file on its own ---------------------------------------- */

/* Parse text (owned) as a file holding only the groups in known: the
 * expanded text, libconfig, the revoke group into S->cfg.  *root_out gets
 * the parsed root for the caller's other groups while c is alive. */
static int parse_revoke_text(struct loader *S, const char *path, const struct stat *st, char *text,
                             size_t len, config_t *c, const char *const *known, const char *where)
{
    if (strlen(text) != len) {
        free(text);
        lerr(S, path, 0, "contains a NUL byte");
        return -1;
    }
    if (add_file(S, path, st, text) != 0)
        return -1;
    if (scan_text(S, S->cfg->files[0].path, text, len, 0) != 0 || S->xbuf == NULL)
        return -1;
    if (S->cfg->nfiles != 1) {
        lerr(S, path, 0, "a %s must not @include other files", where);
        return -1;
    }
    config_set_include_dir(c, "/nonexistent/delegate-includes-are-expanded");
    locale_t saved = uselocale((locale_t)0);
    int ok = config_read_string(c, S->xbuf);
    uselocale(saved);
    if (!ok) {
        int el = config_error_line(c);
        lerr(S, map_file(S, el), map_line(S, el), "%s", config_error_text(c));
        return -1;
    }
    verify_includes(S, c);
    check_known(S, config_root_setting(c), known, where);
    load_revoke(S, config_root_setting(c));
    return S->nerr == 0 ? 0 : -1;
}

static void loader_done(struct loader *S)
{
    for (size_t i = 0; S->texts != NULL && S->cfg != NULL && i < S->cfg->nfiles; i++)
        free(S->texts[i]);
    free(S->texts);
    free(S->xbuf);
    free(S->segs);
    S->texts = NULL;
    S->xbuf = NULL;
    S->segs = NULL;
}

/* The `feed` group of a feed's revocation file: it must name the feed it is
 * read for, with the version, issue and expiry times of what it holds. */
static void load_feed_meta(struct loader *S, const config_setting_t *root, struct dlg_feed *f)
{
    static const char *const known[] = {"id", "ver", "iat", "exp", NULL};
    const config_setting_t *g = section(S, root, "feed");
    const char *id = NULL;
    const char *what = "feed";

    if (g == NULL) {
        if (member(root, "feed") == NULL)
            lerr(S, S->path, 0, "no 'feed' group: not a feed revocation file");
        return;
    }
    check_known(S, g, known, "feed");
    if (get_string(S, g, "id", true, what, &id) == 1 && strcmp(id, f->id) != 0)
        serr(S, member(g, "id"), "feed: holds the revocations of feed '%s', not '%s'", id,
             f->id);
    if (get_int(S, g, "ver", true, what, &f->ver) == 1 && f->ver < 1)
        serr(S, member(g, "ver"), "feed: 'ver' must be at least 1");
    if (get_int(S, g, "iat", true, what, &f->iat) == 1 && f->iat < 0)
        serr(S, member(g, "iat"), "feed: 'iat' must not be negative");
    if (get_int(S, g, "exp", true, what, &f->exp) == 1 && f->exp <= f->iat)
        serr(S, member(g, "exp"), "feed: 'exp' must be after 'iat'");
}

/* Record path as read-and-absent in L's files: the config stays valid only
 * while it does not exist (a first verified feed makes every reader load
 * again). */
static void add_absent(struct loader *L, const char *path)
{
    struct stat none;

    memset(&none, 0, sizeof(none));
    if (add_file(L, path, &none, NULL) == 0)
        L->cfg->files[L->cfg->nfiles - 1].absent = true;
}

static void read_feed_revocations(struct loader *L, struct dlg_feed *f)
{
    static const char *const known[] = {"feed", "revoke", NULL};
    struct loader S = {.path = NULL, .diag = L->diag, .revoke_only = true, .xline = 1};
    char path[PATH_MAX], err[512];
    char *text = NULL;
    size_t len = 0;
    struct stat st;
    config_t c;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s.conf", DLG_FEED_REVOKED_DIR, f->id) >=
        sizeof(path)) {
        lerr(L, L->path, 0, "feed '%s': path too long", f->id);
        return;
    }
    if (lstat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
        add_absent(L, path);            /* never fetched: stale */
        return;
    }
    S.path = path;
    S.cfg = new_text_config();
    if (S.cfg == NULL) {
        oom(L);
        return;
    }
    config_init(&c);
    if (dlg_read_trusted(path, CONFIG_MAX_BYTES, &text, &len, &st, err, sizeof(err)) != 0) {
        if (errno == EAGAIN || errno == ENOENT)
            L->raced = true;            /* replaced while being read: try again */
        lerr(&S, NULL, 0, "feed '%s': %s", f->id, err);
    } else if (parse_revoke_text(&S, path, &st, text, len, &c, known,
                                 "feed revocation file") == 0) {
        load_feed_meta(&S, config_root_setting(&c), f);
    }
    if (S.nerr == 0 && merge_revocations(L->cfg, S.cfg) != 0)
        oom(L);
    if (S.nerr == 0 && add_file(L, path, &st, NULL) == 0)
        f->fetched = true;
    L->nerr += S.nerr;
    if (!f->fetched)
        f->ver = f->iat = f->exp = 0;
    config_destroy(&c);
    loader_done(&S);
    dlg_config_free(S.cfg);
}

/* ---- a revoke file for `feed sign` -------------------------------------- */

/* owner_ok: the caller's own file (not writable by group or others) is as
 * good as root's; else the loader's trust walk. */
static int read_revoke_file(const char *path, bool owner_ok, char **text, size_t *len,
                            struct stat *st, char *err, size_t errlen)
{
    int fd;
    size_t cap, n = 0;
    char *buf;

    if (!owner_ok)
        return dlg_read_trusted(path, CONFIG_MAX_BYTES, text, len, st, err, errlen);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) ||
        (st->st_uid != 0 && st->st_uid != geteuid()) || (st->st_mode & 022) != 0 ||
        st->st_size < 0 || (size_t)st->st_size > CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "%s: must be a regular file owned by root or by you, not "
                 "writable by group or others, at most %zu bytes", path, CONFIG_MAX_BYTES);
        close(fd);
        return -1;
    }
    cap = (size_t)st->st_size;
    buf = malloc(cap + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return -1;
    }
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

struct dlg_config *dlg_revoke_file_load(const char *path, bool owner_ok, struct dlg_diag *diag)
{
    static const char *const known[] = {"revoke", NULL};
    struct loader S = {.path = path, .diag = diag, .revoke_only = true, .xline = 1};
    char err[512];
    char *text = NULL;
    size_t len = 0;
    struct stat st;
    config_t c;

    if (path == NULL || path[0] == '\0') {
        dlg_diag_error(diag, NULL, 0, "no revocation file given");
        return NULL;
    }
    S.cfg = new_text_config();
    if (S.cfg == NULL || dup_str(&S, &S.cfg->path, path) != 0) {
        dlg_diag_error(diag, path, 0, "out of memory");
        dlg_config_free(S.cfg);
        return NULL;
    }
    config_init(&c);
    if (read_revoke_file(path, owner_ok, &text, &len, &st, err, sizeof(err)) != 0)
        lerr(&S, NULL, 0, "%s", err);
    else
        (void)parse_revoke_text(&S, path, &st, text, len, &c,
                                known, "revocation file (only 'revoke = { ... };' belongs here)");
    config_destroy(&c);
    loader_done(&S);
    if (S.nerr > 0) {
        dlg_config_free(S.cfg);
        return NULL;
    }
    return S.cfg;
}

/* ---- lookups ----------------------------------------------------------- */

const struct dlg_feed *dlg_config_feed(const struct dlg_config *cfg, const char *id)
{
    for (size_t i = 0; cfg != NULL && id != NULL && i < cfg->nfeeds; i++)
        if (cfg->feeds[i].id != NULL && strcmp(cfg->feeds[i].id, id) == 0)
            return &cfg->feeds[i];
    return NULL;
}

bool dlg_feed_is_stale(const struct dlg_feed *f, int64_t now)
{
    return f == NULL || !f->fetched || now >= f->exp;
}

const struct dlg_feed *dlg_config_feed_stale(const struct dlg_config *cfg, int64_t now,
                                             bool ending_only)
{
    for (size_t i = 0; cfg != NULL && i < cfg->nfeeds; i++) {
        const struct dlg_feed *f = &cfg->feeds[i];
        if ((!ending_only || f->on_stale_end) && dlg_feed_is_stale(f, now))
            return f;
    }
    return NULL;
}

int64_t dlg_config_feed_next_end(const struct dlg_config *cfg, int64_t now)
{
    int64_t next = INT64_MAX;

    for (size_t i = 0; cfg != NULL && i < cfg->nfeeds; i++) {
        const struct dlg_feed *f = &cfg->feeds[i];
        if (f->on_stale_end && !dlg_feed_is_stale(f, now) && f->exp < next)
            next = f->exp;
    }
    return next;
}
