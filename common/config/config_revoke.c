/* The revoke section (revoked tickets sorted for bsearch, actors,
 * principals, issuers, keys, issued_before). */
#include "config/config_int.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void load_revoked_tickets(struct loader *L, const config_setting_t *rv)
{
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *s = member(rv, "tickets");
    const char **ids = NULL;
    int64_t *untils = NULL;
    size_t nids = 0;
    void *mem = NULL;

    if (s == NULL)
        return;
    if (!is_list(s)) {
        serr(L, s, "revoke: 'tickets' must be a list ( { id = ...; until = ...; }, ... )");
        return;
    }
    int n = config_setting_length(s);
    if (n == 0)
        return;
    /* the ids stay libconfig's until the set is built below */
    ids = calloc((size_t)n, sizeof(*ids));
    untils = calloc((size_t)n, sizeof(*untils));
    if (ids == NULL || untils == NULL) {
        oom(L);
        goto out;
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
        ids[nids] = id;
        untils[nids] = until;
        nids++;
    }
    /* sorted, duplicates merged (the later until wins), one allocation */
    if (L->nerr == 0 && dlg_revoked_set_build(&cfg->revoked_tickets, &mem, ids, untils, nids) != 0)
        oom(L);
out:
    free(ids);
    free(untils);
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
