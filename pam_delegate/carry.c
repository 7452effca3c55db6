/* Carry records: the verified result of auth, for a session phase that runs
 * in another process.  In sshd with keyboard-interactive, pam_authenticate
 * and pam_acct_mgmt run in a child forked by the monitor, and setcred and
 * session run in the monitor, which never sees the child's pam_set_data.
 * The child therefore leaves a record in a root-only directory, named by
 * the monitor's pid (its parent) and its own pid: "<target>-<writer>".
 * Only root can write there, so a client cannot forge a record; the record
 * also holds the target's start time, so a recycled pid does not match.
 * The PAM environment is no proof: it crosses processes but a client can
 * influence it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>
#include <security/pam_ext.h>

#include "pam_delegate.h"
#include "ticket/sshkey.h"
#include "util/util.h"

#define PD_CARRY_MAX   16384
#define PD_CARRY_VERSION 1

/* Field 22 of /proc/PID/stat: start time in clock ticks after boot.
 * Unique for a pid at any moment, so (pid, starttime) names a process. */
static int proc_starttime(pid_t pid, unsigned long long *out)
{
    char path[64], buf[1024], *p, *save = NULL, *tok;
    ssize_t n;
    int fd, field, rc = -1;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* comm may contain spaces and ')': the fields start after the last ')' */
    p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    field = 2;
    for (tok = strtok_r(p + 1, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
        if (++field == 22) {
            char *end = NULL;
            errno = 0;
            *out = strtoull(tok, &end, 10);
            if (errno == 0 && end != tok && (*end == '\0' || *end == '\n') && *out != 0)
                rc = 0;
            break;
        }
    }
    return rc;
}

/* True when every uid of pid (real, effective, saved, filesystem: the
 * "Uid:" line of /proc/PID/status) is 0.  Only such a process (sshd's
 * monitor) may be the target of a carry record: an actor's own shell that
 * runs sudo, or that could exec into another program with the same pid and
 * start time, never is. */
static bool proc_root_owned(pid_t pid)
{
    char path[64], buf[4096], *line;
    unsigned long ids[4];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    line = strstr(buf, "\nUid:");
    if (line == NULL ||
        sscanf(line + 5, "%lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) != 4)
        return false;
    return ids[0] == 0 && ids[1] == 0 && ids[2] == 0 && ids[3] == 0;
}

/* The carry directory, created root 0700 when missing, opened and checked:
 * a directory owned by root with no access for group or others. */
static int open_carry_dir(bool create)
{
    struct stat st;
    char err[256];
    int dfd;

    if (create && dlg_mkdir_private(PD_CARRY_DIR) != 0)
        return -1;
    if (dlg_check_trusted_dir(DLG_RUN_DIR, err, sizeof(err)) != 0)
        return -1;
    dfd = open(PD_CARRY_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    if (fstat(dfd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
        (st.st_mode & 077) != 0) {
        close(dfd);
        errno = EPERM;
        return -1;
    }
    return dfd;
}

/* "<target>-<writer>": two decimal pids without signs or leading zeros. */
static bool parse_pid(const char **p, pid_t *out)
{
    long long v = 0;
    const char *s = *p;

    if (*s < '1' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > 0x7fffffff)
            return false;
    }
    *out = (pid_t)v;
    *p = s;
    return true;
}

static bool valid_name(const char *name, pid_t *target)
{
    const char *p = name;
    pid_t writer;

    return strlen(name) < 24 && parse_pid(&p, target) && *p++ == '-' &&
           parse_pid(&p, &writer) && *p == '\0';
}

static json_t *read_record(int dfd, const char *name)
{
    struct stat st;
    json_t *root = NULL;
    json_error_t jerr;
    char *buf = NULL;
    size_t off = 0;
    int fd;

    fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
        (st.st_mode & 077) != 0 || st.st_size <= 0 || st.st_size > PD_CARRY_MAX)
        goto out;
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        goto out;
    while (off < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out;
        off += (size_t)n;
    }
    root = json_loadb(buf, off, JSON_REJECT_DUPLICATES, &jerr);
out:
    free(buf);
    close(fd);
    return root;
}

static char *dup_nonempty(const char *s)
{
    return (s != NULL && s[0] != '\0') ? strdup(s) : NULL;
}

/* Record -> state, checking every field's type and that it is meant for
 * the process with the given start time. */
static struct pd_state *record_to_state(json_t *root, unsigned long long my_start)
{
    struct pd_state *st = NULL;
    const char *user, *service, *rhost, *iss, *kid, *sub, *actor, *jti, *key = NULL;
    json_int_t version, iat, exp, created, target_start;
    json_t *runas, *item, *proved = NULL;
    json_error_t jerr;
    size_t i;

    /* "key": the bound ticket's cnf fingerprint, absent when unbound;
     * "proved": the ssh keys sshd verified (keybind.c), absent when none */
    if (json_unpack_ex(root, &jerr, JSON_STRICT,
                       "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:I, s:I, s?s, s?o}",
                       "v", &version, "user", &user, "service", &service, "rhost", &rhost,
                       "iss", &iss, "kid", &kid, "sub", &sub, "actor", &actor, "jti", &jti,
                       "iat", &iat, "exp", &exp, "runas", &runas, "created", &created,
                       "target_start", &target_start, "key", &key, "proved", &proved) != 0)
        return NULL;
    if ((key != NULL && !dlg_ssh_fp_valid(key)) || (proved != NULL && !json_is_array(proved)))
        return NULL;
    if (version != PD_CARRY_VERSION || !json_is_array(runas) ||
        (unsigned long long)target_start != my_start || target_start <= 0 ||
        user[0] == '\0' || service[0] == '\0' || iss[0] == '\0' || sub[0] == '\0' ||
        jti[0] == '\0' || strcmp(user, actor) != 0 || exp <= iat || created < 0)
        return NULL;

    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    st->v.reason = DLG_ADMIT;
    st->v.iat = iat;
    st->v.exp = exp;
    st->created = created;
    st->user = strdup(user);
    st->service = strdup(service);
    st->rhost = dup_nonempty(rhost);
    st->v.iss = strdup(iss);
    st->v.kid = dup_nonempty(kid);
    st->v.sub = strdup(sub);
    st->v.actor = strdup(actor);
    st->v.jti = strdup(jti);
    st->v.cnf_ssh = key != NULL ? strdup(key) : NULL;
    if ((key != NULL && st->v.cnf_ssh == NULL) || st->user == NULL || st->service == NULL || (rhost[0] != '\0' && st->rhost == NULL) ||
        st->v.iss == NULL || (kid[0] != '\0' && st->v.kid == NULL) || st->v.sub == NULL ||
        st->v.actor == NULL || st->v.jti == NULL)
        goto fail;
    json_array_foreach(runas, i, item) {
        if (!json_is_string(item) || dlg_strv_push(&st->v.runas, json_string_value(item)) != 0)
            goto fail;
    }
    if (proved != NULL) {
        json_array_foreach(proved, i, item) {
            if (!json_is_string(item) || !dlg_ssh_fp_valid(json_string_value(item)) ||
                i >= DLG_SSH_AUTH_KEYS_MAX || dlg_strv_push(&st->proved, json_string_value(item)) != 0)
                goto fail;
        }
    }
    return st;
fail:
    pd_state_free(st);
    return NULL;
}

/* Remove records whose target process is gone or recycled, or whose ticket
 * expired an hour ago (well past any clock skew): a record is normally
 * consumed within seconds of its writing. */
static void prune(int dfd, int64_t now)
{
    DIR *d;
    struct dirent *de;
    int dfd2 = dup(dfd);

    if (dfd2 < 0)
        return;
    d = fdopendir(dfd2);
    if (d == NULL) {
        close(dfd2);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        unsigned long long start = 0;
        pid_t target;
        json_int_t exp = 0, target_start = 0;
        bool stale = true;

        if (de->d_name[0] == '.')
            continue;
        if (valid_name(de->d_name, &target) &&
            (kill(target, 0) == 0 || errno != ESRCH) &&
            proc_starttime(target, &start) == 0) {
            json_t *root = read_record(dfd, de->d_name);
            if (root != NULL &&
                json_unpack(root, "{s:I, s:I}", "exp", &exp, "target_start", &target_start) == 0 &&
                (unsigned long long)target_start == start && exp + 3600 > now)
                stale = false;
            json_decref(root);
        }
        if (stale)
            (void)unlinkat(dfd, de->d_name, 0);
    }
    closedir(d);
}

int pd_carry_write(pam_handle_t *pamh, struct pd_state *st, pid_t target, int64_t now)
{
    unsigned long long target_start = 0;
    json_t *root = NULL, *runas = NULL, *proved = NULL;
    char name[64], *text = NULL;
    size_t len, off = 0;
    int dfd = -1, fd = -1, rc = -1;

    st->carry_name[0] = '\0';
    if (geteuid() != 0)
        return -1;              /* only root may vouch for a login */
    /* only for a root parent (sshd's monitor); sudo's parent is the
     * invoking user's shell and needs none: its session runs in-process */
    if (target <= 1 || !proc_root_owned(target))
        return -1;
    if (proc_starttime(target, &target_start) != 0)
        goto out;
    snprintf(name, sizeof(name), "%ld-%ld", (long)target, (long)getpid());

    runas = json_array();
    if (runas == NULL)
        goto out;
    for (size_t i = 0; i < st->v.runas.n; i++)
        if (json_array_append_new(runas, json_string(st->v.runas.v[i])) != 0)
            goto out;
    proved = json_array();
    if (proved == NULL)
        goto out;
    for (size_t i = 0; i < st->proved.n; i++)
        if (json_array_append_new(proved, json_string(st->proved.v[i])) != 0)
            goto out;
    root = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:O, s:I, s:I}",
                     "v", (json_int_t)PD_CARRY_VERSION, "user", st->user,
                     "service", st->service, "rhost", st->rhost ? st->rhost : "",
                     "iss", st->v.iss, "kid", st->v.kid ? st->v.kid : "",
                     "sub", st->v.sub, "actor", st->v.actor, "jti", st->v.jti,
                     "iat", (json_int_t)st->v.iat, "exp", (json_int_t)st->v.exp,
                     "runas", runas, "created", (json_int_t)now,
                     "target_start", (json_int_t)target_start);
    if (root == NULL ||
        (st->v.cnf_ssh != NULL &&
         json_object_set_new(root, "key", json_string(st->v.cnf_ssh)) != 0) ||
        (st->proved.n > 0 && json_object_set(root, "proved", proved) != 0))
        goto out;
    text = json_dumps(root, JSON_COMPACT);
    if (text == NULL)
        goto out;
    len = strlen(text);

    dfd = open_carry_dir(true);
    if (dfd < 0)
        goto out;
    prune(dfd, now);
    fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        /* a leftover of an earlier attempt of this very process pair */
        (void)unlinkat(dfd, name, 0);
        fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        goto out;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (off != len || close(fd) != 0) {
        fd = -1;
        (void)unlinkat(dfd, name, 0);
        goto out;
    }
    fd = -1;
    memcpy(st->carry_name, name, strlen(name) + 1);
    rc = 0;
out:
    if (rc != 0)
        pam_syslog(pamh, LOG_ERR, "cannot record the verified ticket under %s: %m", PD_CARRY_DIR);
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    free(text);
    json_decref(root);
    json_decref(runas);
    json_decref(proved);
    return rc;
}

void pd_carry_remove(const char *name)
{
    pid_t target;
    int dfd;

    if (name == NULL || !valid_name(name, &target))
        return;
    dfd = open_carry_dir(false);
    if (dfd < 0)
        return;
    (void)unlinkat(dfd, name, 0);
    close(dfd);
}

struct pd_state *pd_carry_find(pam_handle_t *pamh, const char *user, const char *ruser,
                               const char *service, int64_t now, bool consume)
{
    struct pd_state *best = NULL;
    char best_name[64] = "";
    unsigned long long my_start = 0;
    DIR *d = NULL;
    struct dirent *de;
    pid_t me = getpid();
    int dfd;

    (void)ruser;                /* kept in the signature; never matched */
    if (geteuid() != 0 || user == NULL || service == NULL)
        return NULL;
    if (proc_starttime(me, &my_start) != 0)
        return NULL;
    dfd = open_carry_dir(false);
    if (dfd < 0)
        return NULL;
    d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return NULL;
    }
    while ((de = readdir(d)) != NULL) {
        struct pd_state *st;
        json_t *root;
        pid_t target;

        if (!valid_name(de->d_name, &target) || target != me)
            continue;
        root = read_record(dirfd(d), de->d_name);
        st = root ? record_to_state(root, my_start) : NULL;
        json_decref(root);
        if (st == NULL)
            continue;
        /* PAM_USER only: never PAM_RUSER, or a process whose caller is an
         * actor could open a session as another user on its record */
        if (strcmp(st->service, service) != 0 || strcmp(st->user, user) != 0 ||
            st->created > now || st->created >= st->v.exp ||
            (best != NULL && best->created >= st->created)) {
            pd_state_free(st);
            continue;
        }
        pd_state_free(best);
        best = st;
        memcpy(best_name, de->d_name, strlen(de->d_name) + 1);  /* valid_name: < 24 */
    }
    if (best != NULL && consume) {
        if (unlinkat(dirfd(d), best_name, 0) != 0) {
            /* someone else took it: not ours to use */
            pam_syslog(pamh, LOG_ERR, "cannot consume %s/%s: %m", PD_CARRY_DIR, best_name);
            pd_state_free(best);
            best = NULL;
        }
    }
    closedir(d);
    return best;
}
