/* delegatectl: finding, locking and atomically rewriting revoked.conf.
 *
 * The file is rebuilt with libconfig from the revocations the config loader
 * read, written to a temp file in the same directory, validated, renamed
 * over the old one and the directory fsynced, so a reader (the PAM or NSS
 * module, at any moment, even if we are killed) sees the old file or the new
 * one, never a mix.  Writers are serialised with flock() on the config's
 * directory (and the file's, when that is another one). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libconfig.h>

#include "revfile.h"

/* ---- the revocation set ------------------------------------------------ */

static int strv_copy(struct dlg_strv *dst, const struct dlg_strv *src)
{
    size_t i;

    for (i = 0; i < src->n; i++)
        if (dlg_strv_push(dst, src->v[i]) < 0)
            return -1;
    return 0;
}

int ctl_revset_add_ticket(struct ctl_revset *rs, const char *id, int64_t until)
{
    struct ctl_revticket *t;
    char *copy = strdup(id);

    if (!copy)
        return -1;
    t = realloc(rs->tickets, (rs->ntickets + 1) * sizeof(*t));
    if (!t) {
        free(copy);
        return -1;
    }
    rs->tickets = t;
    rs->tickets[rs->ntickets].id = copy;
    rs->tickets[rs->ntickets].until = until;
    rs->ntickets++;
    return 0;
}

int ctl_revset_from_config(const struct dlg_config *cfg, struct ctl_revset *rs)
{
    size_t i;

    memset(rs, 0, sizeof(*rs));
    for (i = 0; i < cfg->revoked_tickets.n; i++)
        if (ctl_revset_add_ticket(rs, dlg_revoked_id(&cfg->revoked_tickets, i),
                                  cfg->revoked_tickets.v[i].until) < 0)
            goto fail;
    if (strv_copy(&rs->actors, &cfg->revoked_actors) < 0 ||
        strv_copy(&rs->principals, &cfg->revoked_principals) < 0 ||
        strv_copy(&rs->issuers, &cfg->revoked_issuers) < 0 ||
        strv_copy(&rs->keys, &cfg->revoked_keys) < 0)
        goto fail;
    rs->has_issued_before = cfg->has_issued_before;
    rs->issued_before = cfg->issued_before;
    return 0;
fail:
    ctl_revset_free(rs);
    return -1;
}

void ctl_revset_free(struct ctl_revset *rs)
{
    size_t i;

    for (i = 0; i < rs->ntickets; i++)
        free(rs->tickets[i].id);
    free(rs->tickets);
    dlg_strv_free(&rs->actors);
    dlg_strv_free(&rs->principals);
    dlg_strv_free(&rs->issuers);
    dlg_strv_free(&rs->keys);
    memset(rs, 0, sizeof(*rs));
}

/* ---- finding and locking the file -------------------------------------- */

static char *absolute_path(const char *path)
{
    char cwd[4096], *out;

    if (path[0] == '/')
        return strdup(path);
    if (!getcwd(cwd, sizeof(cwd)))
        return NULL;
    if (asprintf(&out, "%s/%s", cwd, path) < 0)
        return NULL;
    return out;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    if (strcmp(a, b) == 0)
        return true;
    if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool config_reads(const struct dlg_config *cfg, const char *path)
{
    struct stat st;
    size_t i;

    if (stat(path, &st) < 0)
        return false;
    for (i = 0; i < cfg->nfiles; i++)
        if (cfg->files[i].dev == st.st_dev && cfg->files[i].ino == st.st_ino)
            return true;
    return false;
}

/* The rewrite keeps only the revoke group: refuse (exit 1) a file that holds
 * any other setting, rather than silently drop it (a dropped max_lifetime
 * or audit.file would widen the policy or switch auditing off). */
static int only_revoke(const struct ctl_verb *v, const struct ctl_revfile *rf, char **target)
{
    struct dlg_diag diag = { 0 };

    if (dlg_revoke_file_check(*target, &diag) == 0) {
        dlg_diag_free(&diag);
        return CTL_OK;
    }
    ctl_print_diag(&diag);
    dlg_diag_free(&diag);
    ctl_err(v, "%s holds settings other than 'revoke': delegatectl rewrites only a file that "
               "holds nothing but the revoke group, and would drop them; move them into %s "
               "(nothing was changed)", *target, rf->config);
    free(*target);
    *target = NULL;
    return CTL_DENY;
}

/* The file to rewrite: where the revoke group is, or else revoked.conf next
 * to the main config if the main config includes it.  Returns CTL_OK with
 * *target (NULL when there is none and !need_target) or an exit code. */
static int find_target(const struct ctl_verb *v, const struct ctl_revfile *rf,
                       bool need_target, char **target)
{
    char *dircopy = NULL, *cand = NULL;
    int rc = CTL_USAGE;

    *target = NULL;
    if (rf->cfg->revoke_file) {
        if (same_file(rf->cfg->revoke_file, rf->config)) {
            ctl_err(v, "the revoke group is in the main config %s: delegatectl rewrites only "
                       "a file that holds nothing but the revoke group; move it into "
                       "revoked.conf next to it and @include that file", rf->config);
            return CTL_USAGE;
        }
        *target = absolute_path(rf->cfg->revoke_file);
        if (!*target) {
            ctl_err(v, "out of memory");
            return CTL_USAGE;
        }
        return only_revoke(v, rf, target);
    }
    dircopy = strdup(rf->config);
    if (!dircopy || asprintf(&cand, "%s/revoked.conf", dirname(dircopy)) < 0) {
        cand = NULL;
        ctl_err(v, "out of memory");
        goto out;
    }
    if (config_reads(rf->cfg, cand)) {
        *target = cand;
        cand = NULL;
        rc = only_revoke(v, rf, target);
        goto out;
    }
    if (!need_target) {
        rc = CTL_OK;
        goto out;
    }
    ctl_err(v, "%s has no revoke group and does not include %s; create that file "
               "(empty, owned by root, mode 0644) and add the line\n"
               "    @include \"%s\"\n"
               "at the start of a line in %s, then run this again",
            rf->config, cand, cand, rf->config);
out:
    free(dircopy);
    free(cand);
    return rc;
}

static int load(const struct ctl_verb *v, struct ctl_revfile *rf)
{
    struct dlg_diag diag = { 0 };

    dlg_config_free(rf->cfg);
    rf->cfg = dlg_config_load(rf->config, &diag);
    ctl_print_diag(&diag);
    dlg_diag_free(&diag);
    if (!rf->cfg) {
        ctl_err(v, "the config %s has errors: fix them first (see delegatectl check-config)",
                rf->config);
        return CTL_DENY;
    }
    return CTL_OK;
}

/* Remove temp and backup files left by a writer that was killed.  Only
 * called while holding the lock, so none of them is in use. */
static void remove_leftovers(const struct ctl_revfile *rf)
{
    char tmp_prefix[512], bak_name[512];
    struct dirent *de;
    DIR *d;
    int fd;

    snprintf(tmp_prefix, sizeof(tmp_prefix), ".%s.tmp-", rf->base);
    snprintf(bak_name, sizeof(bak_name), ".%s.bak", rf->base);
    fd = openat(rf->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, tmp_prefix, strlen(tmp_prefix)) == 0 ||
            strcmp(de->d_name, bak_name) == 0)
            unlinkat(rf->dirfd, de->d_name, 0);
    }
    closedir(d);
}

static int lock_dir(const struct ctl_verb *v, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
        ctl_err(v, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX) < 0) {
        ctl_err(v, "cannot lock %s: %s", dir, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static bool same_dir(int a, int b)
{
    struct stat sa, sb;

    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int split_target(const struct ctl_verb *v, struct ctl_revfile *rf)
{
    char *copy;

    copy = strdup(rf->target);
    rf->dir = copy ? strdup(dirname(copy)) : NULL;
    free(copy);
    copy = strdup(rf->target);
    rf->base = copy ? strdup(basename(copy)) : NULL;
    free(copy);
    if (!rf->dir || !rf->base) {
        ctl_err(v, "out of memory");
        return -1;
    }
    return 0;
}

int ctl_revfile_open(const struct ctl_verb *v, const char *config, bool need_target,
                     struct ctl_revfile *rf)
{
    char *again = NULL, *copy;
    char err[256];
    int rc;

    memset(rf, 0, sizeof(*rf));
    rf->lockfd = rf->dirfd = -1;
    rf->config = absolute_path(config);
    if (!rf->config) {
        ctl_err(v, "cannot make %s absolute: %s", config, strerror(errno));
        return CTL_USAGE;
    }
    /* writers of this config take turns from before the first read, so
     * none reads a version another is about to replace */
    copy = strdup(rf->config);
    if (!copy) {
        ctl_err(v, "out of memory");
        return CTL_USAGE;
    }
    rf->lockfd = lock_dir(v, dirname(copy));
    free(copy);
    if (rf->lockfd < 0)
        return CTL_USAGE;
    rc = load(v, rf);
    if (rc != CTL_OK)
        return rc;
    rc = find_target(v, rf, need_target, &rf->target);
    if (rc != CTL_OK || !rf->target)
        return rc;
    if (split_target(v, rf) < 0)
        return CTL_USAGE;
    if (dlg_check_trusted_dir(rf->dir, err, sizeof(err)) < 0) {
        ctl_err(v, "%s: %s", rf->dir, err);
        return CTL_USAGE;
    }
    rf->dirfd = open(rf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rf->dirfd < 0) {
        ctl_err(v, "cannot open %s: %s", rf->dir, strerror(errno));
        return CTL_USAGE;
    }
    if (!same_dir(rf->lockfd, rf->dirfd)) {
        /* the file may be shared with other configs: lock its directory too
         * (always after the config's, so two writers cannot deadlock) and
         * read again what another writer may have changed meanwhile */
        if (flock(rf->dirfd, LOCK_EX) < 0) {
            ctl_err(v, "cannot lock %s: %s", rf->dir, strerror(errno));
            return CTL_USAGE;
        }
        rc = load(v, rf);
        if (rc != CTL_OK)
            return rc;
        rc = find_target(v, rf, need_target, &again);
        if (rc != CTL_OK)
            return rc;
        if (!again || strcmp(again, rf->target) != 0) {
            free(again);
            ctl_err(v, "the config changed while waiting for the lock; run this again");
            return CTL_USAGE;
        }
        free(again);
    }
    remove_leftovers(rf);
    return CTL_OK;
}

void ctl_revfile_close(struct ctl_revfile *rf)
{
    if (rf->dirfd >= 0)
        close(rf->dirfd);       /* drops the locks */
    if (rf->lockfd >= 0)
        close(rf->lockfd);
    dlg_config_free(rf->cfg);
    free(rf->config);
    free(rf->target);
    free(rf->dir);
    free(rf->base);
    memset(rf, 0, sizeof(*rf));
    rf->lockfd = rf->dirfd = -1;
}

/* ---- writing ----------------------------------------------------------- */

static int cmp_ticket(const void *a, const void *b)
{
    return strcmp(((const struct ctl_revticket *)a)->id, ((const struct ctl_revticket *)b)->id);
}

static int add_string(config_setting_t *parent, const char *name, const char *value)
{
    config_setting_t *s = config_setting_add(parent, name, CONFIG_TYPE_STRING);

    return s && config_setting_set_string(s, value) == CONFIG_TRUE ? 0 : -1;
}

static int add_time(config_setting_t *parent, const char *name, int64_t t)
{
    char buf[40];

    dlg_format_time(t, buf, sizeof(buf));
    return add_string(parent, name, buf);
}

static int add_array(config_setting_t *parent, const char *name, const struct dlg_strv *sv)
{
    config_setting_t *a = config_setting_add(parent, name, CONFIG_TYPE_ARRAY);
    size_t i;

    if (!a)
        return -1;
    for (i = 0; i < sv->n; i++)
        if (add_string(a, NULL, sv->v[i]) < 0)
            return -1;
    return 0;
}

static int build(config_t *out, struct ctl_revset *rs)
{
    config_setting_t *rv, *list, *g;
    size_t i;

    rv = config_setting_add(config_root_setting(out), "revoke", CONFIG_TYPE_GROUP);
    list = rv ? config_setting_add(rv, "tickets", CONFIG_TYPE_LIST) : NULL;
    if (!list)
        return -1;
    if (rs->ntickets > 1)
        qsort(rs->tickets, rs->ntickets, sizeof(rs->tickets[0]), cmp_ticket);
    for (i = 0; i < rs->ntickets; i++) {
        g = config_setting_add(list, NULL, CONFIG_TYPE_GROUP);
        if (!g || add_string(g, "id", rs->tickets[i].id) < 0)
            return -1;
        if (rs->tickets[i].until && add_time(g, "until", rs->tickets[i].until) < 0)
            return -1;
    }
    if (add_array(rv, "actors", &rs->actors) < 0 ||
        add_array(rv, "principals", &rs->principals) < 0 ||
        add_array(rv, "issuers", &rs->issuers) < 0 ||
        add_array(rv, "keys", &rs->keys) < 0)
        return -1;
    if (rs->has_issued_before && add_time(rv, "issued_before", rs->issued_before) < 0)
        return -1;
    return 0;
}

/* Write the temp file; returns its fd-less path in tmp (caller unlinks on
 * failure). */
static int write_temp(const struct ctl_verb *v, const struct ctl_revfile *rf,
                      struct ctl_revset *rs, char *tmp, size_t tmplen)
{
    struct stat st;
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0644;
    config_t out;
    FILE *f = NULL;
    char now[40];
    int fd, rc = -1;

    snprintf(tmp, tmplen, "%s/.%s.tmp-XXXXXX", rf->dir, rf->base);
    fd = mkostemp(tmp, O_CLOEXEC);        /* O_CREAT|O_EXCL, mode 0600 */
    if (fd < 0) {
        ctl_err(v, "cannot create a temp file in %s: %s", rf->dir, strerror(errno));
        tmp[0] = '\0';
        return -1;
    }
    if (fstatat(rf->dirfd, rf->base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
        uid = st.st_uid;
        gid = st.st_gid;
        mode = st.st_mode & 07777;
    }
    if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0) {
        ctl_err(v, "cannot set owner and mode of %s: %s", tmp, strerror(errno));
        close(fd);
        return -1;
    }
    f = fdopen(fd, "w");
    if (!f) {
        ctl_err(v, "%s: %s", tmp, strerror(errno));
        close(fd);
        return -1;
    }
    config_init(&out);
    /* "revoke = {" like the documented examples, not "revoke :" */
    config_set_options(&out, CONFIG_OPTION_SEMICOLON_SEPARATORS);
    if (build(&out, rs) < 0) {
        ctl_err(v, "out of memory");
        goto out;
    }
    dlg_format_time((int64_t)time(NULL), now, sizeof(now));
    fprintf(f, "# Revocations for delegate, rewritten by delegatectl at %s.\n"
               "# Hand edits are kept but comments are not.\n", now);
    config_write(&out, f);
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
        ctl_err(v, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    config_destroy(&out);
    if (fclose(f) != 0 && rc == 0) {
        ctl_err(v, "cannot write %s: %s", tmp, strerror(errno));
        rc = -1;
    }
    return rc;
}

int ctl_revfile_write(const struct ctl_verb *v, struct ctl_revfile *rf,
                      const struct ctl_revset *rs_in)
{
    struct ctl_revset rs = *rs_in;      /* shallow: build() only sorts it */
    struct dlg_diag diag = { 0 };
    struct dlg_config *after;
    char tmp[4096], bak[512];
    const char *tmpbase;
    bool have_bak = false;
    int rc = CTL_USAGE;

    if (write_temp(v, rf, &rs, tmp, sizeof(tmp)) < 0)
        goto out;
    if (dlg_revoke_file_validate(tmp, &diag) < 0) {
        ctl_print_diag(&diag);
        ctl_err(v, "the new revocation file does not validate; %s left unchanged", rf->target);
        goto out;
    }
    tmpbase = strrchr(tmp, '/') + 1;
    snprintf(bak, sizeof(bak), ".%s.bak", rf->base);
    /* keep the old version until the whole config has loaded with the new one */
    if (linkat(rf->dirfd, rf->base, rf->dirfd, bak, 0) == 0)
        have_bak = true;
    else if (errno != ENOENT) {
        ctl_err(v, "cannot keep a backup of %s: %s", rf->target, strerror(errno));
        goto out;
    }
    if (renameat(rf->dirfd, tmpbase, rf->dirfd, rf->base) < 0) {
        ctl_err(v, "cannot rename %s to %s: %s", tmp, rf->target, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    if (fsync(rf->dirfd) < 0) {
        ctl_err(v, "cannot fsync %s: %s", rf->dir, strerror(errno));
        goto out;
    }
    after = dlg_config_load(rf->config, &diag);
    if (!after) {
        ctl_print_diag(&diag);
        if (have_bak && renameat(rf->dirfd, bak, rf->dirfd, rf->base) == 0) {
            have_bak = false;
            fsync(rf->dirfd);
            ctl_err(v, "the config does not load with the new %s; the previous version was put back",
                    rf->target);
        } else {
            ctl_err(v, "the config does not load with the new %s", rf->target);
        }
        rc = CTL_DENY;
        goto out;
    }
    dlg_config_free(after);
    ctl_compile_after_write(v, rf->config);
    rc = CTL_OK;
out:
    if (tmp[0])
        unlink(tmp);
    if (have_bak)
        unlinkat(rf->dirfd, bak, 0);
    dlg_diag_free(&diag);
    return rc;
}
