/* Same-uid sessions are not isolated (issue 18 item 11).
 *
 * Every delegated session of an actor runs with the actor's uid.  On a
 * kernel without Yama (kernel.yama.ptrace_scope), or with it at 0, a process
 * of one session can ptrace (gdb -p, /proc/PID/mem), or inject keystrokes
 * into the terminal of, a process of another session of the same actor, and
 * make it run a sudo there: inside the other session's cgroup, where a bound
 * sudo ticket finds that session's key.  Code injected that way outlives
 * the session that injected it.
 *
 * So a session vouches for a key only while no session of the same actor
 * that did not vouch for that key has been live at the same time:
 *
 * - when a session opens (its record written first), it and every live
 *   session of the same actor that runs as the actor are compared; each is
 *   marked ("tainted") for the keys it vouches for and the other does not.
 *   A mark is never lifted: it lives as long as the session's record.
 * - when a sudo or su asks (pd_keytrust_vouched), the session vouches for
 *   the keys it proved, minus its marks, minus every key that another such
 *   live session does not vouch for (a session that opened after the marks
 *   were computed, or whose marking failed, is caught here).
 *
 * Two sessions that proved the same key (two connections of one CI job)
 * keep it; an unbound session, one of another key, or a tainted one takes
 * it away from the others.  Sessions of other actors, and sudo sessions
 * that run as another user, do not count: their processes cannot ptrace the
 * actor's (only root can, and root is trusted anyway).
 *
 * Marks are files under DLG_KEYTRUST_DIR (root-only, 0700), one per
 * session, named SERVICE-PID-STARTTICKS like its record's leader, one
 * fingerprint per line, appended with O_APPEND (one write per line).  A
 * file whose record is gone and whose leader no longer runs is pruned at
 * the next session open.  What this does not cover (README "Key-bound
 * sudo and the actor's other sessions"): state the sessions share without
 * running at the same time, above all the actor's home directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "pam_delegate.h"
#include "session/contain/cgroup.h"
#include "session/session.h"
#include "ticket/sshkey.h"
#include "util/util.h"

#define KT_FILE_MAX 65536

/* The mark file's name of a session: SERVICE-PID-TICKS. */
static int mark_name(char *buf, size_t len, const char *service, pid_t pid, uint64_t ticks)
{
    int n;

    if (service == NULL || !dlg_valid_service(service) || pid <= 0)
        return -1;
    n = snprintf(buf, len, "%s-%ld-%" PRIu64, service, (long)pid, ticks);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* The mark directory, opened and checked (root-owned, 0700); created when
 * create is set.  -1 with errno ENOENT when it does not exist. */
static int open_mark_dir(bool create)
{
    struct stat st;
    char err[256];
    int dfd;

    if (create && dlg_mkdir_private(DLG_KEYTRUST_DIR) != 0)
        return -1;
    if (dlg_check_trusted_dir(DLG_RUN_DIR, err, sizeof(err)) != 0)
        return -1;
    dfd = open(DLG_KEYTRUST_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    if (fstat(dfd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077)) {
        close(dfd);
        errno = EPERM;
        return -1;
    }
    return dfd;
}

/* The marks of session s, appended to out.  0 (none is 0 too), or -1. */
static int marks_read(const struct dlg_session *s, struct dlg_strv *out)
{
    char name[192], *buf = NULL, *line, *save = NULL;
    struct stat st;
    ssize_t n;
    int dfd, fd, rc = -1;

    if (mark_name(name, sizeof(name), s->service, s->pid, s->start_ticks) != 0)
        return -1;
    dfd = open_mark_dir(false);
    if (dfd < 0)
        return errno == ENOENT ? 0 : -1;
    fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    close(dfd);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) ||
        st.st_size > KT_FILE_MAX)
        goto out;
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        goto out;
    n = read(fd, buf, (size_t)st.st_size);
    if (n < 0 || n != st.st_size)
        goto out;
    buf[n] = '\0';
    rc = 0;
    for (line = strtok_r(buf, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save))
        if (dlg_ssh_fp_valid(line) && !dlg_strv_contains(out, line) && dlg_strv_push(out, line) != 0)
            rc = -1;
out:
    free(buf);
    close(fd);
    return rc;
}

/* Mark session s for key.  0 or -1. */
static int mark_add(const struct dlg_session *s, const char *key)
{
    char name[192], line[DLG_SSH_FP_LEN + 1];
    int len, dfd, fd, rc = -1;

    len = snprintf(line, sizeof(line), "%s\n", key);
    if (len <= 0 || (size_t)len >= sizeof(line) ||
        mark_name(name, sizeof(name), s->service, s->pid, s->start_ticks) != 0)
        return -1;
    dfd = open_mark_dir(true);
    if (dfd < 0)
        return -1;
    fd = openat(dfd, name, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    close(dfd);
    if (fd < 0)
        return -1;
    if (write(fd, line, (size_t)len) == (ssize_t)len)
        rc = 0;
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

/* The keys s vouches for by itself: proved minus marked.  0 or -1. */
static int own_keys(const struct dlg_session *s, struct dlg_strv *out)
{
    struct dlg_strv marks = { 0 };
    size_t i;
    int rc = marks_read(s, &marks);

    for (i = 0; rc == 0 && i < s->proved.n; i++)
        if (dlg_ssh_fp_valid(s->proved.v[i]) && !dlg_strv_contains(&marks, s->proved.v[i]) &&
            !dlg_strv_contains(out, s->proved.v[i]) && dlg_strv_push(out, s->proved.v[i]) != 0)
            rc = -1;
    dlg_strv_free(&marks);
    if (rc != 0)
        dlg_strv_free(out);
    return rc;
}

/* Does o run as the actor of s (a session whose processes could trace
 * those of s), and is it another session than s? */
static bool peer(const struct dlg_session *s, const struct dlg_session *o)
{
    if (!s->actor || !o->actor || !o->user || !o->service || !s->service)
        return false;
    if (strcmp(o->actor, s->actor) != 0 || strcmp(o->user, o->actor) != 0)
        return false;
    return !(o->pid == s->pid && strcmp(o->service, s->service) == 0);
}

/* Remove every key of *keys that is not in *keep. */
static void keep_only(struct dlg_strv *keys, const struct dlg_strv *keep)
{
    size_t i = 0;

    while (i < keys->n) {
        if (dlg_strv_contains(keep, keys->v[i])) {
            i++;
            continue;
        }
        free(keys->v[i]);
        keys->v[i] = keys->v[--keys->n];
    }
}

int pd_keytrust_vouched(const struct dlg_session *s, struct dlg_strv *out)
{
    struct dlg_session *list = NULL;
    struct dlg_strv mine = { 0 };
    int n, i, rc;

    rc = own_keys(s, &mine);
    if (rc == 0 && mine.n > 0) {
        n = dlg_session_list(DLG_SESSIONS_DIR, &list);
        if (n < 0)
            rc = -1;
        for (i = 0; rc == 0 && i < n && mine.n > 0; i++) {
            struct dlg_strv theirs = { 0 };

            if (!peer(s, &list[i]))
                continue;
            rc = own_keys(&list[i], &theirs);
            keep_only(&mine, &theirs);
            dlg_strv_free(&theirs);
        }
        dlg_session_list_free(list, n < 0 ? 0 : n);
    }
    for (i = 0; rc == 0 && (size_t)i < mine.n; i++)
        if (dlg_strv_push(out, mine.v[i]) != 0)
            rc = -1;
    dlg_strv_free(&mine);
    if (rc != 0)
        dlg_strv_free(out);
    return rc;
}

/* Marks of sessions that are gone: no record, and its leader no longer
 * runs (a session whose leader left while other processes stay keeps its
 * record, and its marks). */
static void prune(void)
{
    struct dirent *de;
    DIR *d;
    int dfd = open_mark_dir(false);

    if (dfd < 0)
        return;
    d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        char *dash2, *dash1, *end, record[256];
        unsigned long long ticks, pid;
        uint64_t now_ticks;
        struct stat st;

        if (de->d_name[0] == '.' || strlen(de->d_name) >= 160)
            continue;
        dash2 = strrchr(de->d_name, '-');
        if (dash2 == NULL || dash2 == de->d_name)
            continue;
        *dash2 = '\0';
        dash1 = strrchr(de->d_name, '-');
        *dash2 = '-';
        if (dash1 == NULL || dash1 == de->d_name)
            continue;
        errno = 0;
        pid = strtoull(dash1 + 1, &end, 10);
        if (errno != 0 || end != dash2 || pid == 0 || pid > 0x7fffffffULL)
            continue;
        ticks = strtoull(dash2 + 1, &end, 10);
        if (errno != 0 || *end != '\0')
            continue;
        snprintf(record, sizeof(record), "%s/%.*s-%llu.json", DLG_SESSIONS_DIR,
                 (int)(dash1 - de->d_name), de->d_name, pid);
        if (lstat(record, &st) == 0 || errno != ENOENT)
            continue;
        if (dlg_proc_start_ticks((pid_t)pid, &now_ticks) == 0 && now_ticks == ticks)
            continue;
        (void)unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
}

int pd_keytrust_note(pam_handle_t *pamh, const struct dlg_session *me)
{
    struct dlg_session *list = NULL;
    struct dlg_strv mine = { 0 };
    int n, i, rc;

    /* a sudo to another user: its processes are not the actor's */
    if (!me->actor || !me->user || strcmp(me->user, me->actor) != 0)
        return 0;
    rc = own_keys(me, &mine);
    n = rc == 0 ? dlg_session_list(DLG_SESSIONS_DIR, &list) : -1;
    if (n < 0)
        rc = -1;
    for (i = 0; rc == 0 && i < n; i++) {
        struct dlg_strv theirs = { 0 };
        size_t k;

        if (!peer(me, &list[i]))
            continue;
        rc = own_keys(&list[i], &theirs);
        /* what it vouches for and I do not: it no longer does */
        for (k = 0; rc == 0 && k < theirs.n; k++)
            if (!dlg_strv_contains(&mine, theirs.v[k]))
                rc = mark_add(&list[i], theirs.v[k]);
        /* what I vouch for and it does not: neither do I */
        for (k = 0; rc == 0 && k < mine.n; k++)
            if (!dlg_strv_contains(&theirs, mine.v[k]))
                rc = mark_add(me, mine.v[k]);
        if (rc == 0)
            keep_only(&mine, &theirs);
        dlg_strv_free(&theirs);
    }
    dlg_session_list_free(list, n < 0 ? 0 : n);
    dlg_strv_free(&mine);
    if (rc != 0)
        pam_syslog(pamh, LOG_ERR, "cannot record which ssh keys the sessions of %s vouch for "
                   "under %s", me->actor, DLG_KEYTRUST_DIR);
    prune();
    return rc;
}

void pd_keytrust_forget(const char *service, pid_t pid, uint64_t start_ticks)
{
    char name[192];
    int dfd;

    if (mark_name(name, sizeof(name), service, pid, start_ticks) != 0)
        return;
    dfd = open_mark_dir(false);
    if (dfd < 0)
        return;
    (void)unlinkat(dfd, name, 0);
    close(dfd);
}
