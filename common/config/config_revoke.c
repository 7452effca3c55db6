/* The revoke section (revoked tickets sorted for bsearch, actors,
 * principals, issuers, keys, issued_before) and the validation of a revoke
 * file on its own (dlg_revoke_file_check). */
#include "config/config_int.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void load_revoke(struct loader *L, const config_setting_t *root)
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
