/* The actors list: each actor field by field, then the duplicate name and
 * uid checks over the whole list. */
#include "config/config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where each actor was defined, for the duplicate checks after the list. */
struct srcpos {
    const char *file;
    int line;
    const config_setting_t *ae;
    bool has_uid;
};

static const struct dlg_group *group_by_name_linear(const struct dlg_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ngroups; i++)
        if (cfg->groups[i].name != NULL && strcmp(cfg->groups[i].name, name) == 0)
            return &cfg->groups[i];
    return NULL;
}

/* The members of an actor entry, collected in one pass (collect_members). */
enum { NAME, UID, COMMENT, HOME, SHELL, GROUPS, PRINCIPALS, SERVICES, SOURCES, RUNAS,
       MAX_LIFETIME, APPROVALS, KEY_BINDING, NKNOWN };
static const char *const actor_known[NKNOWN + 1] = {
    [NAME] = "name", [UID] = "uid", [COMMENT] = "comment", [HOME] = "home",
    [SHELL] = "shell", [GROUPS] = "groups", [PRINCIPALS] = "principals",
    [SERVICES] = "services", [SOURCES] = "sources", [RUNAS] = "runas",
    [MAX_LIFETIME] = "max_lifetime", [APPROVALS] = "approvals",
    [KEY_BINDING] = "key_binding", [NKNOWN] = NULL,
};

/* One actor entry being read: its members, the actor it fills in, and the
 * name it goes by in messages ("actor #3", "actor 'alice'" once named). */
struct actor_in {
    struct loader *L;
    const config_setting_t *ae;
    const config_setting_t *m[NKNOWN];
    struct dlg_actor *a;
    char what[200];
};

/* name: a valid user name, by which the messages call the actor from here
 * on.  *name stays NULL when absent or invalid.  -1 when out of memory. */
static int actor_name(struct actor_in *in, const char **name)
{
    struct loader *L = in->L;
    const config_setting_t *const *m = in->m;
    struct dlg_actor *a = in->a;

    if (get_string_at(L, in->ae, m[NAME], "name", true, in->what, name) == 1) {
        if (!dlg_valid_username(*name)) {
            serr(L, m[NAME], "%s: invalid user name '%s'", in->what, *name);
            *name = NULL;
        } else {
            snprintf(in->what, sizeof(in->what), "actor '%s'", *name);
            if (dup_str(L, &a->name, *name) != 0)
                return -1;
        }
    }
    return 0;
}

/* uid: within accounts.uid_min..uid_max.  True when the actor has one (for
 * the duplicate check). */
static bool actor_uid(struct actor_in *in)
{
    struct loader *L = in->L;
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *const *m = in->m;
    const char *what = in->what;
    uint32_t uid;

    if (get_id_at(L, in->ae, m[UID], "uid", true, what, &uid) != 1)
        return false;
    if (uid < cfg->uid_min || uid > cfg->uid_max)
        serr(L, m[UID], "%s: uid %u is outside accounts.uid_min..uid_max (%u..%u)",
             what, uid, (unsigned)cfg->uid_min, (unsigned)cfg->uid_max);
    in->a->uid = uid;
    return true;
}

/* comment (the passwd GECOS field): no ':' and no control characters. */
static void actor_comment(struct actor_in *in)
{
    struct loader *L = in->L;
    const config_setting_t *const *m = in->m;
    const char *what = in->what, *comment = "";

    if (get_string_at(L, in->ae, m[COMMENT], "comment", false, what, &comment) == 1 &&
        (has_ctl(comment) || strchr(comment, ':') != NULL)) {
        serr(L, m[COMMENT], "%s: 'comment' must not contain ':' or control characters", what);
        comment = "";
    }
    dup_str(L, &in->a->comment, comment);
}

/* home: the actor's template, else accounts.home, else the default, with
 * %u expanded to the (valid) name; none when the name is not valid. */
static void actor_home(struct actor_in *in, const char *name)
{
    struct loader *L = in->L;
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *const *m = in->m;
    struct dlg_actor *a = in->a;
    const char *what = in->what, *home = NULL;

    if (get_string_at(L, in->ae, m[HOME], "home", false, what, &home) == 1 &&
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
}

/* shell: the actor's, else accounts.shell, else the default. */
static void actor_shell(struct actor_in *in)
{
    struct loader *L = in->L;
    struct dlg_config *cfg = L->cfg;
    const config_setting_t *const *m = in->m;
    const char *what = in->what, *shell = NULL;

    if (get_string_at(L, in->ae, m[SHELL], "shell", false, what, &shell) == 1 &&
        !valid_passwd_path(shell)) {
        serr(L, m[SHELL], "%s: 'shell' must be an absolute path", what);
        shell = NULL;
    }
    dup_str(L, &in->a->shell, shell != NULL ? shell : cfg->acc_shell != NULL ? cfg->acc_shell
                                                                            : DEFAULT_ACC_SHELL);
}

/* groups: each defined in 'groups'; the accounts group (which every actor
 * is in already) is dropped with a warning. */
static void actor_groups(struct actor_in *in)
{
    struct loader *L = in->L;
    struct dlg_config *cfg = L->cfg;
    struct dlg_actor *a = in->a;
    const char *what = in->what;

    const config_setting_t *gs = in->m[GROUPS];
    struct dlg_strv gnames = {0};
    if (get_strlist_at(L, in->ae, gs, "groups", false, false, what, dlg_valid_username,
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
}

/* sources: CIDRs with zero host bits; present (even empty) means the actor
 * is limited to them. */
static void actor_sources(struct actor_in *in)
{
    struct loader *L = in->L;
    struct dlg_actor *a = in->a;
    const char *what = in->what;

    const config_setting_t *ss = in->m[SOURCES];
    if (ss != NULL) {
        struct dlg_strv srcs = {0};
        if (get_strlist_at(L, in->ae, ss, "sources", false, false, what, NULL, NULL, &srcs) == 1) {
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
}

/* runas: user names; present (even empty) means the actor is limited to them. */
static void actor_runas(struct actor_in *in)
{
    const config_setting_t *const *m = in->m;
    struct dlg_actor *a = in->a;

    if (m[RUNAS] != NULL &&
        get_strlist_at(in->L, in->ae, m[RUNAS], "runas", false, false, in->what,
                       dlg_valid_username, "user name", &a->runas) == 1)
        a->has_runas = true;
}

/* max_lifetime: may lower tickets.max_lifetime for this actor, never raise it. */
static void actor_max_lifetime(struct actor_in *in)
{
    struct dlg_actor *a = in->a;
    int64_t v;

    a->max_lifetime = in->L->cfg->max_lifetime;
    if (get_seconds_at(in->L, in->m[MAX_LIFETIME], "max_lifetime", in->what, true, &v) == 1 &&
        v < a->max_lifetime)
        a->max_lifetime = v;
}

/* approvals: 0 .. APPROVALS_MAX. */
static void actor_approvals(struct actor_in *in)
{
    struct loader *L = in->L;
    const config_setting_t *const *m = in->m;
    const char *what = in->what;
    int64_t v;

    if (get_int_at(L, in->ae, m[APPROVALS], "approvals", false, what, &v) == 1) {
        if (v < 0)
            serr(L, m[APPROVALS], "%s: 'approvals' must not be negative", what);
        else if (v > APPROVALS_MAX)
            serr(L, m[APPROVALS], "%s: 'approvals' must be at most %d", what, APPROVALS_MAX);
        else
            in->a->approvals = (int)v;
    }
}

/* key_binding: "optional" (the default) or "required" (tickets need cnf,
 * issue 12). */
static void actor_key_binding(struct actor_in *in)
{
    struct loader *L = in->L;
    const config_setting_t *const *m = in->m;
    const char *what = in->what;

    const char *kb = NULL;
    if (get_string_at(L, in->ae, m[KEY_BINDING], "key_binding", false, what, &kb) == 1) {
        if (strcmp(kb, "required") == 0)
            in->a->key_required = true;
        else if (strcmp(kb, "optional") != 0)
            serr(L, m[KEY_BINDING], "%s: 'key_binding' must be \"optional\" or \"required\"", what);
    }
}

/* One entry of 'actors', field by field.  pos[i] records where it was
 * defined, for check_actor_duplicates. */
static void load_actor(struct loader *L, const config_setting_t *ae, int i,
                       struct srcpos *pos, struct dlg_actor *a)
{
    struct actor_in in = {.L = L, .ae = ae, .a = a};
    const char *name = NULL;

    snprintf(in.what, sizeof(in.what), "actor #%d", i + 1);
    if (config_setting_type(ae) != CONFIG_TYPE_GROUP) {
        serr(L, ae, "each entry of 'actors' must be a group { ... }");
        return;
    }
    /* up to 12 members for each of possibly thousands of actors: one pass */
    collect_members(L, ae, actor_known, in.m, "an actor");
    if (actor_name(&in, &name) != 0)
        return;
    pos[i].file = src_file(L, ae);
    pos[i].line = src_line(L, ae);
    pos[i].ae = ae;
    pos[i].has_uid = actor_uid(&in);
    actor_comment(&in);
    actor_home(&in, name);
    actor_shell(&in);
    actor_groups(&in);
    get_strlist_at(L, ae, in.m[PRINCIPALS], "principals", true, true, in.what, valid_principal,
                   "principal", &a->principals);
    get_strlist_at(L, ae, in.m[SERVICES], "services", true, true, in.what, dlg_valid_name_token,
                   "service", &a->services);
    actor_sources(&in);
    actor_runas(&in);
    actor_max_lifetime(&in);
    actor_approvals(&in);
    actor_key_binding(&in);
    if (a->name != NULL)
        a->revoked = dlg_strv_contains(&L->cfg->revoked_actors, a->name);
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

void load_actors(struct loader *L, const config_setting_t *root)
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
