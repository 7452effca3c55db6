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
#include "config/config_int.h"
#include "config/config_record.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- the loader -------------------------------------------------------- */

void validate(struct loader *L, const config_setting_t *root)
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
                                        "feeds", NULL};
    check_known(L, root, known, "the top level");
    load_version(L, root);
    load_host(L, root);
    load_tickets(L, root);
    load_accounts(L, root);
    load_issuers(L, root);
    load_groups(L, root);
    load_revoke(L, root);
    load_feeds(L, root);        /* merges each feed's revocations: before the actors */
    load_actors(L, root);
    load_audit(L, root);
    load_sessions(L, root);
}

/* Read the main file through its trust-checked descriptor, expand its
 * @includes and parse the result: 0 with *c initialized, -1 (errors in L). */
static int read_and_parse(struct loader *L, config_t *c, bool *have_c)
{
    char err[512];
    char *text = NULL;
    size_t len;
    struct stat st;

    if (dlg_read_trusted(L->path, CONFIG_MAX_BYTES, &text, &len, &st, err, sizeof(err)) != 0) {
        if (errno == EAGAIN)
            L->raced = true;
        lerr(L, NULL, 0, "%s", err);
        return -1;
    }
    if (strlen(text) != len) {
        lerr(L, L->path, 0, "contains a NUL byte");
        free(text);
        return -1;
    }
    if (add_file(L, L->path, &st, text) != 0)       /* takes text */
        return -1;
    if (scan_text(L, L->cfg->files[0].path, L->texts[0], len, 0) != 0 || L->xbuf == NULL)
        return -1;                      /* never let libconfig open an untrusted file */

    /* Parse the very bytes we checked, includes spliced in. */
    config_init(c);
    *have_c = true;
    /* libconfig 1.5 resolves a relative @include against this: none is left */
    config_set_include_dir(c, "/nonexistent/delegate-includes-are-expanded");
    locale_t saved = uselocale((locale_t)0);
    int ok = config_read_string(c, L->xbuf);
    uselocale(saved);
    if (!ok) {
        const char *ef = config_error_file(c);
        int el = config_error_line(c);
        lerr(L, ef != NULL ? ef : map_file(L, el), ef != NULL ? el : map_line(L, el), "%s",
             config_error_text(c));
        return -1;
    }
    verify_includes(L, c);
    return 0;                           /* validate even after a lexical error: all errors at once */
}

/* The loader's scratch, freed; L->cfg is kept. */
static void loader_done(struct loader *L, config_t *c, bool have_c)
{
    if (have_c)
        config_destroy(c);
    for (size_t i = 0; L->texts != NULL && i < L->cfg->nfiles; i++)
        free(L->texts[i]);
    free(L->texts);
    free(L->xbuf);
    free(L->segs);
}

/* One load: trust-checked read, @include expansion, parse, validation,
 * indexes.  revoke_only: a file of nothing but a revoke group (optional:
 * not even that). */
static struct dlg_config *load(const char *path, struct dlg_diag *diag, bool revoke_only,
                               bool revoke_optional, bool *raced)
{
    struct loader L = {.path = path, .diag = diag, .revoke_only = revoke_only,
                       .revoke_optional = revoke_optional, .xline = 1};
    config_t c;
    bool have_c = false;

    if (path == NULL || *path == '\0') {
        dlg_diag_error(diag, NULL, 0, "no configuration file given");
        return NULL;
    }
    L.cfg = new_text_config();
    if (L.cfg == NULL || dup_str(&L, &L.cfg->path, path) != 0) {
        dlg_diag_error(diag, path, 0, "out of memory");
        dlg_config_free(L.cfg);
        return NULL;
    }
    if (read_and_parse(&L, &c, &have_c) == 0) {
        validate(&L, config_root_setting(&c));
        if (L.nerr == 0 && !revoke_only)
            build_indexes(&L);
    }
    loader_done(&L, &c, have_c);
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
        cfg = load(path, &tmp, false, false, &raced);
        if (cfg != NULL || !raced || attempt + 1 == LOAD_RACE_RETRIES) {
            diag_move(diag, &tmp);
            break;
        }
        dlg_diag_free(&tmp);
    }
    return cfg;
}

struct dlg_config *dlg_config_load_stamped(const char *path, struct dlg_diag *diag)
{
    struct timespec ts;
    int64_t at = clock_gettime(CLOCK_REALTIME, &ts) == 0
                     ? (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec : 0;
    struct dlg_config *cfg = dlg_config_load(path, diag);

    if (cfg != NULL)
        cfg->load_started_ns = at;
    return cfg;
}

int dlg_revoke_file_validate(const char *path, struct dlg_diag *diag)
{
    bool raced = false;
    struct dlg_config *cfg = load(path, diag, true, false, &raced);
    if (cfg == NULL)
        return -1;
    dlg_config_free(cfg);
    return 0;
}

int dlg_revoke_file_check(const char *path, struct dlg_diag *diag)
{
    bool raced = false;
    struct dlg_config *cfg = load(path, diag, true, true, &raced);
    if (cfg == NULL)
        return -1;
    dlg_config_free(cfg);
    return 0;
}
