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
#include "config/compiled.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static void free_feed(struct dlg_feed *f)
{
    free(f->id);
    free(f->key);
    free(f->url);
    free(f->file);
    free(f->ca);
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
    for (size_t i = 0; i < cfg->nfeeds; i++)
        free_feed(&cfg->feeds[i]);
    free(cfg->feeds);
    free(cfg);
}

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

/* After parsing: libconfig must not have opened any file itself (every
 * @include was expanded from a trust-checked descriptor). */
void verify_includes(struct loader *L, const config_t *c)
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

bool dlg_config_unchanged(const struct dlg_config *cfg)
{
    struct stat st;

    if (cfg == NULL)
        return false;
    for (size_t i = 0; i < cfg->nfiles; i++) {
        if (cfg->files[i].absent) {
            if (lstat(cfg->files[i].path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
                return false;
            continue;
        }
        if (lstat(cfg->files[i].path, &st) != 0 || !same_identity(&cfg->files[i], &st))
            return false;
    }
    return true;
}
