/* delegatectl check-config: validate the config, its includes and its keys,
 * and warn about actors and groups that clash with local accounts. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "feed_fetch.h"

/* Local account files are read directly (their findings name the file);
 * check_nss then asks NSS itself, where our own module answers as the
 * config says and any other answer comes from another source. */
static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);

    return v && v[0] ? v : dflt;
}

/* "FILE: warning: message": these findings have no line of their own. */
static void clash(struct dlg_diag *diag, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void clash(struct dlg_diag *diag, const char *file, const char *fmt, ...)
{
    char msg[512], line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "%s: warning: %s", file, msg);
    if (dlg_strv_push(&diag->warnings, line) < 0)
        fprintf(stderr, "%s\n", line);
}

static void check_passwd(const struct dlg_config *cfg, const char *path, struct dlg_diag *diag)
{
    const struct dlg_actor *a;
    struct passwd *pw;
    FILE *f = fopen(path, "re");

    if (!f) {
        clash(diag, path, "cannot read it (%s): actors not checked against local users",
                      strerror(errno));
        return;
    }
    while ((pw = fgetpwent(f)) != NULL) {
        a = dlg_config_actor(cfg, pw->pw_name);
        if (a)
            clash(diag, cfg->path, "actor '%s' also exists in %s (uid %u): with 'files' before 'delegate' "
                          "in nsswitch.conf the local account wins",
                          a->name, path, (unsigned)pw->pw_uid);
        a = dlg_config_actor_by_uid(cfg, pw->pw_uid);
        if (a && strcmp(a->name, pw->pw_name) != 0)
            clash(diag, cfg->path, "uid %u of actor '%s' is also used by local user '%s' in %s",
                          (unsigned)a->uid, a->name, pw->pw_name, path);
    }
    fclose(f);
}

static void check_group_entry(const struct dlg_config *cfg, const char *path, const struct group *gr,
                              const char *name, gid_t gid, struct dlg_diag *diag)
{
    if (strcmp(gr->gr_name, name) == 0)
        clash(diag, cfg->path, "group '%s' also exists in %s (gid %u): with 'files' before 'delegate' "
                      "in nsswitch.conf the local group wins",
                      name, path, (unsigned)gr->gr_gid);
    else if (gr->gr_gid == gid)
        clash(diag, cfg->path, "gid %u of group '%s' is also used by local group '%s' in %s",
                      (unsigned)gid, name, gr->gr_name, path);
}

static void check_group(const struct dlg_config *cfg, const char *path, struct dlg_diag *diag)
{
    struct group *gr;
    size_t i;
    FILE *f = fopen(path, "re");

    if (!f) {
        clash(diag, path, "cannot read it (%s): groups not checked against local groups",
                      strerror(errno));
        return;
    }
    while ((gr = fgetgrent(f)) != NULL) {
        check_group_entry(cfg, path, gr, cfg->acc_group, cfg->acc_gid, diag);
        for (i = 0; i < cfg->ngroups; i++)
            check_group_entry(cfg, path, gr, cfg->groups[i].name, cfg->groups[i].gid, diag);
    }
    fclose(f);
}

/* Any NSS source (files, sssd, ldap, ...), not only /etc/passwd: ask NSS
 * and compare the answer with what this config defines.  Our own module
 * (if nsswitch.conf lists it) answers exactly as the config says, so only
 * a different answer is reported: it comes from another source, and one
 * listed before 'delegate' wins. */
static void check_nss(const struct dlg_config *cfg, struct dlg_diag *diag)
{
    const struct passwd *pw;
    const struct group *gr;
    size_t i;

    for (i = 0; i < cfg->nactors; i++) {
        const struct dlg_actor *a = &cfg->actors[i];

        errno = 0;
        pw = getpwnam(a->name);
        if (pw && (pw->pw_uid != a->uid || pw->pw_gid != cfg->acc_gid))
            clash(diag, cfg->path, "actor '%s' also resolves through NSS as uid %u gid %u (another "
                  "source than this config): a source before 'delegate' in nsswitch.conf wins, "
                  "and its user would get the actor's name", a->name, (unsigned)pw->pw_uid,
                  (unsigned)pw->pw_gid);
        pw = getpwuid(a->uid);
        if (pw && strcmp(pw->pw_name, a->name) != 0)
            clash(diag, cfg->path, "uid %u of actor '%s' also resolves through NSS, to user '%s'",
                  (unsigned)a->uid, a->name, pw->pw_name);
    }
    for (i = 0; i <= cfg->ngroups; i++) {
        const char *name = i == 0 ? cfg->acc_group : cfg->groups[i - 1].name;
        gid_t gid = i == 0 ? cfg->acc_gid : cfg->groups[i - 1].gid;

        gr = getgrnam(name);
        if (gr && gr->gr_gid != gid)
            clash(diag, cfg->path, "group '%s' also resolves through NSS as gid %u (another source "
                  "than this config)", name, (unsigned)gr->gr_gid);
        gr = getgrgid(gid);
        if (gr && strcmp(gr->gr_name, name) != 0)
            clash(diag, cfg->path, "gid %u of group '%s' also resolves through NSS, to group '%s'",
                  (unsigned)gid, name, gr->gr_name);
    }
    endpwent();
    endgrent();
}

static int run_check_config(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = DLG_DEFAULT_CONFIG;
    struct dlg_diag diag = { 0 };
    struct dlg_keyring kr = { 0 };
    struct dlg_config *cfg;
    int c, rc = CTL_DENY;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);

    cfg = ctl_load_config(config, &kr, &diag);
    if (cfg) {
        check_passwd(cfg, env_or("DELEGATE_PASSWD_FILE", "/etc/passwd"), &diag);
        check_group(cfg, env_or("DELEGATE_GROUP_FILE", "/etc/group"), &diag);
        check_nss(cfg, &diag);
        ctl_feed_check(cfg, &diag);
    }
    ctl_print_diag(&diag);
    if (cfg && diag.errors.n == 0) {
        printf("config OK: %zu issuer%s, %zu actor%s, %zu revoked ticket%s",
               cfg->nissuers, cfg->nissuers == 1 ? "" : "s",
               cfg->nactors, cfg->nactors == 1 ? "" : "s",
               cfg->revoked_tickets.n, cfg->revoked_tickets.n == 1 ? "" : "s");
        if (cfg->nfeeds > 0)
            printf(" (with the feeds'), %zu feed%s", cfg->nfeeds, cfg->nfeeds == 1 ? "" : "s");
        printf("\n");
        rc = CTL_OK;
    } else if (diag.errors.n == 0) {
        fprintf(stderr, "%s: the config could not be loaded\n", config);
    }
    if (fflush(stdout) != 0)
        rc = CTL_USAGE;
    dlg_keyring_free(&kr);
    dlg_config_free(cfg);
    dlg_diag_free(&diag);
    return rc;
}

const struct ctl_verb ctl_verb_check_config = {
    .name = "check-config",
    .run = run_check_config,
    .synopsis = "check-config [--config F]",
    .help =
        "Load the config, its included files and every issuer key the way the\n"
        "modules do, including the ownership and mode checks.  Print each problem\n"
        "as FILE:LINE: message on stderr.  Also warn when an actor or group name\n"
        "or id already exists in /etc/passwd or /etc/group, or resolves through\n"
        "any NSS source (sssd, LDAP, ...) to something else than this config.\n"
        "Each revocation feed's key and CA bundle are checked too; a feed that is\n"
        "stale (never fetched, or expired) is a warning.\n"
        "\n"
        "Options:\n"
        "  --config F   the config file (default " DLG_DEFAULT_CONFIG ")\n"
        "  -h, --help   show this help\n"
        "\n"
        "Exit status: 0 valid (warnings allowed), 1 errors found, 2 usage error.\n",
};
