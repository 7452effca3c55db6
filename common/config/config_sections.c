/* The section loaders: version, host, tickets, accounts, issuers, groups,
 * audit and sessions.  Actors are in config_actor.c, revoke in config_revoke.c. */
#include "config/config_int.h"
#include "ticket/alg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void load_version(struct loader *L, const config_setting_t *root)
{
    int64_t v;
    int r = get_int(L, root, "version", true, "config", &v);
    if (r == 1 && v != 1)
        serr(L, member(root, "version"), "version must be 1 (this delegate understands version 1)");
    L->cfg->version = r == 1 ? (int)v : 0;
}

void load_host(struct loader *L, const config_setting_t *root)
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
        dup_str(L, &cfg->host_conf, name);
        dup_str(L, &cfg->host_name, name);
        return;
    }
    /* not frozen: every load (text or compiled) asks the system again */
    char buf[256];
    if (dlg_system_host_name(buf, sizeof(buf)) != 0) {
        lerr(L, L->path, 0, "host.name is not set and gethostname failed");
        return;
    }
    dup_str(L, &cfg->host_name, buf);
}

void load_tickets(struct loader *L, const config_setting_t *root)
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

void load_accounts(struct loader *L, const config_setting_t *root)
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

void load_issuers(struct loader *L, const config_setting_t *root)
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

void load_groups(struct loader *L, const config_setting_t *root)
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

void load_audit(struct loader *L, const config_setting_t *root)
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

/* sessions = { grace = 5; tasks_max = 1024; }: seconds between SIGHUP and
 * SIGKILL when a session's authority ends (issue 10), at most an hour; the
 * most tasks (processes and threads) one session may hold (issue 18 item
 * 15), 0 for no limit. */
void load_sessions(struct loader *L, const config_setting_t *root)
{
    static const char *const known[] = {"grace", "tasks_max", NULL};
    const config_setting_t *s = section(L, root, "sessions");
    int64_t grace = 5, tasks = DLG_DEFAULT_TASKS_MAX;

    L->cfg->session_grace = 5;
    L->cfg->session_tasks_max = DLG_DEFAULT_TASKS_MAX;
    if (s == NULL)
        return;
    check_known(L, s, known, "sessions");
    if (get_seconds(L, s, "grace", "sessions", false, &grace) == 1) {
        if (grace > 3600)
            serr(L, member(s, "grace"), "sessions: 'grace' must be at most 3600 seconds");
        else
            L->cfg->session_grace = grace;
    }
    if (get_int(L, s, "tasks_max", false, "sessions", &tasks) == 1) {
        if (tasks < 0 || tasks > DLG_TASKS_MAX_LIMIT)
            serr(L, member(s, "tasks_max"), "sessions: 'tasks_max' must be 0 (no limit) .. %d",
                 DLG_TASKS_MAX_LIMIT);
        else if (tasks > 0 && tasks < 8)
            serr(L, member(s, "tasks_max"), "sessions: 'tasks_max' must be at least 8 (or 0: no limit)");
        else
            L->cfg->session_tasks_max = tasks;
    }
}
