/* Fuzz target: the reader of the compiled policy snapshot (compiled.h) on
 * arbitrary bytes.  Each input is parsed twice: as it is (the checksums
 * must turn away every corruption) and with every checksum recomputed, so
 * that mutations reach the offset, length, count, index and string checks
 * behind them.  A parsed config is then queried the way PAM and NSS query
 * it, and every string it hands out is read to its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/compiled.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

static size_t touch_strv(const struct dlg_strv *sv)
{
    size_t n = 0;
    for (size_t i = 0; i < sv->n; i++)
        n += touch(sv->v[i]);
    return n;
}

static void exercise(const struct dlg_config *cfg, bool tickets)
{
    volatile size_t n = 0;

    n += touch(cfg->path) + touch(cfg->host_name) + touch(cfg->prompt) + touch(cfg->acc_group) +
         touch(cfg->acc_home) + touch(cfg->acc_shell) + touch(cfg->audit_file) +
         touch(cfg->revoke_file);
    n += touch_strv(&cfg->host_aliases) + touch_strv(&cfg->revoked_actors) +
         touch_strv(&cfg->revoked_principals) + touch_strv(&cfg->revoked_issuers) +
         touch_strv(&cfg->revoked_keys);
    for (size_t i = 0; i < cfg->nfiles; i++)
        n += touch(cfg->files[i].path);
    for (size_t i = 0; i < cfg->nissuers; i++) {
        const struct dlg_issuer *is = &cfg->issuers[i];
        if (dlg_config_issuer(cfg, is->id) != is)
            abort();            /* sorted by id: every issuer is found */
        n += touch_strv(&is->algorithms) + touch_strv(&is->principals) + touch(is->typ);
        for (size_t k = 0; k < is->nkeys; k++)
            n += touch(is->keys[k].kid) + touch(is->keys[k].file) + touch(is->keys[k].src_file);
    }
    for (size_t i = 0; i < cfg->nactors; i++) {
        const struct dlg_actor *a = &cfg->actors[i];
        if (dlg_config_actor(cfg, a->name) != a || dlg_config_actor_by_uid(cfg, a->uid) == NULL)
            abort();            /* the reader checked both orders */
        n += touch(a->comment) + touch(a->home) + touch(a->shell) + touch_strv(&a->groups) +
             touch_strv(&a->principals) + touch_strv(&a->services) + touch_strv(&a->runas);
        for (size_t k = 0; k < a->nsources; k++)
            n += dlg_cidr_match(&a->sources[k], "10.1.2.3") + dlg_cidr_match(&a->sources[k], "::1");
    }
    for (size_t i = 0; i < cfg->ngroups; i++) {
        const struct dlg_group *g = &cfg->groups[i];
        if (dlg_config_group(cfg, g->name) != g || dlg_config_group_by_gid(cfg, g->gid) == NULL)
            abort();
        n += touch_strv(&g->members);
    }
    for (size_t i = 0; i < cfg->revoked_tickets.n; i++) {
        const char *id = dlg_revoked_id(&cfg->revoked_tickets, i);
        /* the reader checked the order: every id whose record holds its hash
         * is found (the hashes themselves are the checksum's to protect) */
        if (cfg->revoked_tickets.v[i].hash == dlg_revoked_hash(id) &&
            dlg_revoked_find(&cfg->revoked_tickets, id) != &cfg->revoked_tickets.v[i])
            abort();
        n += touch(id);
    }
    n += dlg_config_ticket_revoked(cfg, "t-1") + dlg_config_ticket_revoked(cfg, "zzz");
    if (!tickets && (cfg->revoked_tickets.n != 0 || dlg_config_ticket_revoked(cfg, "t-1")))
        abort();                /* NSS mode does not read the table */
    (void)n;
}

/* PAM's lazy form: every actor of the full form is found, the same. */
static void lazy(const uint8_t *data, size_t size, const struct dlg_config *full)
{
    char why[256];
    int64_t at;
    struct dlg_config *lz = dlg_compiled_parse(data, size, DLG_CPL_LAZY_ACTORS, &at, why, sizeof(why));

    if (lz == NULL) {
        if (full != NULL)
            abort();            /* the lazy checks are no stricter than a full load */
        return;
    }
    if (lz->nactors != 0 || !dlg_compiled_lazy(lz))
        abort();
    (void)dlg_config_actor(lz, "ci-deploy");
    (void)dlg_config_actor(lz, "");
    (void)dlg_config_actor_by_uid(lz, 62001);
    for (size_t i = 0; full != NULL && i < full->nactors; i++) {
        const struct dlg_actor *a = &full->actors[i], *l = dlg_config_actor(lz, a->name);
        if (l == NULL || strcmp(l->name, a->name) != 0 || l->uid != a->uid ||
            l->revoked != a->revoked || l->principals.n != a->principals.n ||
            l->nsources != a->nsources || dlg_config_actor_by_uid(lz, a->uid) == NULL)
            abort();
        (void)touch_strv(&l->groups);
        (void)touch_strv(&l->services);
        (void)touch_strv(&l->runas);
    }
    dlg_config_free(lz);
}

static void parse(const uint8_t *data, size_t size)
{
    char why[256];
    int64_t at;
    struct dlg_config *full = dlg_compiled_parse(data, size, 0, &at, why, sizeof(why));

    lazy(data, size, full);
    dlg_config_free(full);

    for (unsigned flags = 0; flags <= DLG_CPL_NO_TICKETS; flags++) {
        struct dlg_config *cfg = dlg_compiled_parse(data, size, flags, &at, why, sizeof(why));
        if (cfg == NULL) {
            if (why[0] == '\0')
                abort();        /* a refusal always says why */
            continue;
        }
        exercise(cfg, !(flags & DLG_CPL_NO_TICKETS));
        dlg_config_free(cfg);
    }
}

/* Recompute every checksum the way the writer does. */
static void fixup(uint8_t *p, size_t size)
{
    struct dlg_cpl_header h;
    size_t tab = sizeof(h), tlen = DLG_CPL_NSECTIONS * sizeof(struct dlg_cpl_section);

    if (size < tab + tlen)
        return;
    for (size_t i = 0; i < DLG_CPL_NSECTIONS; i++) {
        struct dlg_cpl_section s;
        memcpy(&s, p + tab + i * sizeof(s), sizeof(s));
        if (s.record_size == 0 || s.offset > size || s.count > (size - s.offset) / s.record_size)
            continue;
        s.hash = dlg_cpl_hash(p + s.offset, (size_t)s.count * s.record_size);
        memcpy(p + tab + i * sizeof(s), &s, sizeof(s));
    }
    memcpy(&h, p, sizeof(h));
    h.file_size = size;
    h.table_hash = dlg_cpl_hash(p + tab, tlen);
    h.header_hash = 0;
    h.header_hash = dlg_cpl_hash(&h, sizeof(h));
    memcpy(p, &h, sizeof(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;

    parse(data, size);
    copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    fixup(copy, size);
    parse(copy, size);
    free(copy);
    return 0;
}
