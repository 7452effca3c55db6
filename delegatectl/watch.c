/* delegatectl watch: the root daemon that ends every contained session
 * whose ticket expired (at its exp) or whose authority the current config no
 * longer grants (at the config change), DESIGN.md §4 "Sessions end when
 * their authority ends".
 *
 * It sleeps in poll(2) on an inotify descriptor until the next exp, a
 * change of a config file, include or key file (their directories too:
 * `revoke` renames a new file into place), a new or removed session record,
 * or the slow safety re-check.  An unusable config ends nothing by itself
 * (expiry still does) and is logged once per change.  Only processes inside
 * the recorded groups are ever signalled (cgroup.h). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <curl/curl.h>

#include "session/contain/contain.h"
#include "config/compiled.h"
#include "ctl.h"
#include "feed_fetch.h"
#include "session/ending.h"
#include "session/session.h"

#define SAFETY_MS   60000       /* re-check even when nothing happened */
#define BUSY_MS     100         /* while sessions are ending */
#define COMPILE_RETRY_MS 250    /* a load too close to an edit to compile */
#define MAX_WATCHES 256

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

struct watch {
    const struct ctl_verb *v;
    const char *config, *dir;
    struct dlg_config *cfg;         /* NULL: unusable now (only expiry ends); else audit_cfg */
    struct dlg_config *audit_cfg;   /* the last usable one, for the audit trail (owns it) */
    int ifd;
    int wds[MAX_WATCHES];
    int nwds;
    int sessions_wd;
    char last_error[512];
    struct dlg_ending *ending;
    int nending, capending;
    bool compile_pending;           /* w->cfg not yet written as the compiled form */
    bool compile_racy;              /* ... because a source changed just before the load */
    struct ctl_feed_watch *feeds;   /* the revocation feeds' fetch threads (feed_watch.c) */
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logf_(const char *fmt, ...)
{
    va_list ap;
    char ts[40];

    dlg_format_time((int64_t)time(NULL), ts, sizeof(ts));
    flockfile(stderr);          /* one line at a time: feed threads log too */
    fprintf(stderr, "%s delegatectl watch: ", ts);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    funlockfile(stderr);
}

static void log_line(const char *line)
{
    logf_("%s", line);
}

static void add_watch(struct watch *w, const char *path, uint32_t mask)
{
    int wd;

    if (w->nwds >= MAX_WATCHES)
        return;
    wd = inotify_add_watch(w->ifd, path, mask);
    if (wd >= 0)
        w->wds[w->nwds++] = wd;
}

#define FILE_MASK (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
#define DIR_MASK  (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)

static void add_file_and_dir(struct watch *w, const char *path)
{
    char copy[PATH_MAX];

    add_watch(w, path, FILE_MASK);
    snprintf(copy, sizeof(copy), "%s", path);
    add_watch(w, dirname(copy), DIR_MASK);
}

/* Every watch anew: config files, includes, key files, their directories,
 * and the session records. */
static void rearm(struct watch *w)
{
    size_t i, k;
    int j;

    for (j = 0; j < w->nwds; j++)
        (void)inotify_rm_watch(w->ifd, w->wds[j]);
    w->nwds = 0;
    add_file_and_dir(w, w->config);
    if (w->cfg) {
        for (i = 0; i < w->cfg->nfiles; i++)
            add_file_and_dir(w, w->cfg->files[i].path);
        for (i = 0; i < w->cfg->nissuers; i++)
            for (k = 0; k < w->cfg->issuers[i].nkeys; k++)
                add_file_and_dir(w, w->cfg->issuers[i].keys[k].file);
    }
    (void)dlg_mkdir_private(w->dir);
    w->sessions_wd = inotify_add_watch(w->ifd, w->dir, IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM);
}

static void reload_as(struct watch *w, bool safety);

static void reload(struct watch *w)
{
    reload_as(w, false);
}

/* safety: a periodic retry of an unusable config, logged only when the
 * error is a new one */
static void reload_as(struct watch *w, bool safety)
{
    struct dlg_diag diag = { 0 };
    struct dlg_config *cfg = dlg_config_load_stamped(w->config, &diag);
    const char *why;

    /* w->cfg is NULL or the same object as w->audit_cfg, which keeps the
     * last usable config alive while the current one is unusable */
    w->cfg = cfg;
    w->compile_pending = cfg != NULL;
    w->compile_racy = false;
    if (cfg) {
        if (w->last_error[0])
            logf_("config %s usable again", w->config);
        w->last_error[0] = '\0';
        dlg_config_free(w->audit_cfg);
        w->audit_cfg = cfg;
        ctl_feed_watch_config(w->feeds, cfg);   /* before rearm: makes the feed dirs */
    } else {
        why = diag.errors.n > 0 ? diag.errors.v[0] : "cannot load";
        /* once per change (reload runs when a file changed; the safety
         * retry logs only a new error) */
        if (!safety || strcmp(why, w->last_error) != 0)
            logf_("config %s unusable (%s): no session is ended for a revocation until it "
                  "is fixed; expired sessions still end", w->config, why);
        snprintf(w->last_error, sizeof(w->last_error), "%s", why);
    }
    dlg_diag_free(&diag);
    rearm(w);
}

/* Keep the compiled form (compiled.h) equal to the config just loaded.  Never
 * waits: a load too close to an edit (racily clean) is retried with a fresh
 * load COMPILE_RETRY_MS later, so ending sessions is never delayed by it. */
static void compile_step(struct watch *w)
{
    const char *out = ctl_compiled_path(w->config);
    struct dlg_diag diag = { 0 };
    int rc;

    if (!w->compile_pending)
        return;
    if (w->cfg == NULL || out == NULL) {
        w->compile_pending = false;
        return;
    }
    rc = dlg_compiled_write_opt(w->cfg, out, DLG_CPL_WRITE_NOWAIT, &diag);
    if (rc == 1) {
        w->compile_racy = true;
    } else {
        if (rc != 0)
            logf_("%s not updated (%s): readers use the text", out,
                  diag.errors.n > 0 ? diag.errors.v[0] : "error");
        w->compile_pending = false;
    }
    dlg_diag_free(&diag);
}

static bool is_ending(const struct watch *w, const struct dlg_session *s)
{
    int i;

    for (i = 0; i < w->nending; i++)
        if (w->ending[i].s.pid == s->pid && w->ending[i].s.service && s->service &&
            strcmp(w->ending[i].s.service, s->service) == 0)
            return true;
    return false;
}

static int push_ending(struct watch *w, struct dlg_session *s, const char *reason)
{
    struct dlg_ending *grown;

    if (w->nending == w->capending) {
        int cap = w->capending ? w->capending * 2 : 16;
        grown = realloc(w->ending, (size_t)cap * sizeof(*grown));
        if (!grown)
            return -1;
        w->ending = grown;
        w->capending = cap;
    }
    logf_("ending session %s pid %ld actor %s jti %s (%s %s): %s", s->service, (long)s->pid,
          s->actor ? s->actor : "-", s->jti ? s->jti : "-", s->unit ? "unit" : "cgroup",
          s->unit ? s->unit : s->cgroup ? s->cgroup : "-", reason);
    dlg_end_begin(&w->ending[w->nending++], s, w->dir, reason, dlg_mono_ms());
    return 0;
}

/* Does the process a group is named after (SERVICE-PID-TICKS, as
 * pam_delegate names them) still run?  Between its mkdir and the move of
 * that process into it, a new session's group is empty and no record names
 * it yet: removing it then would refuse the login. */
static bool creator_runs(const char *name)
{
    const char *dash2 = strrchr(name, '-'), *dash1;
    char *end;
    unsigned long long pid, ticks;
    uint64_t now;

    if (dash2 == NULL || dash2 == name)
        return false;
    for (dash1 = dash2 - 1; dash1 > name && *dash1 != '-'; dash1--)
        ;
    if (*dash1 != '-' || dash1[1] < '0' || dash1[1] > '9' || dash2[1] < '0' || dash2[1] > '9')
        return false;
    errno = 0;
    pid = strtoull(dash1 + 1, &end, 10);
    if (errno != 0 || end != dash2 || pid == 0 || pid > INT_MAX)
        return false;
    ticks = strtoull(dash2 + 1, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    return dlg_proc_start_ticks((pid_t)pid, &now) == 0 && now == ticks;
}

/* Empty top-level groups that no record names (a session that ended by
 * itself: its leader cannot remove the group it runs in), once the process
 * they are named after is gone.  Never touches a process: only empty
 * directories are removed. */
static int sweep(const struct dlg_session *list, int n)
{
    char mnt[256], fs[512], path[DLG_CG_PATH_MAX];
    struct dirent *de;
    DIR *d;
    int i;
    bool named;

    int busy = 0, empty;

    if (dlg_cg_systemd() || dlg_cg_mount(mnt, sizeof(mnt)) != 0)
        return 0;
    snprintf(fs, sizeof(fs), "%s%s", mnt, DLG_CG_BASE);
    d = opendir(fs);
    if (!d)
        return 0;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", DLG_CG_BASE, de->d_name) >= sizeof(path))
            continue;
        named = false;
        for (i = 0; i < n && !named; i++)
            named = list[i].cgroup && (dlg_cg_is_within(list[i].cgroup, path) ||
                                       dlg_cg_is_within(path, list[i].cgroup));
        if (named)
            continue;
        if (creator_runs(de->d_name)) {
            busy++;         /* a session being set up: look again soon */
            continue;
        }
        empty = dlg_cg_empty(path);
        if (empty == 1)
            (void)dlg_cg_remove(path);
        else if (empty == 0)
            busy++;         /* a leader finishing its PAM close: look again soon */
    }
    closedir(d);
    return busy;
}

/* Issue 18 item 14: a record whose cell this module did not make (or was not
 * given) is never acted on, whatever it says. */
static bool cell_is_ours(const struct dlg_session *s)
{
    struct dlg_cell cell;

    if (dlg_session_cell(s, &cell) == 0 && dlg_cell_owned(&cell))
        return true;
    logf_("record %s-%ld names a cell this module did not make (%s): ignored", s->service,
          (long)s->pid, s->unit ? s->unit : s->cgroup ? s->cgroup : "-");
    return false;
}

static int64_t realtime_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One pass: start ending what must end; returns ms until the next exp. */
static int64_t scan(struct watch *w)
{
    struct dlg_session *list = NULL;
    int64_t now = (int64_t)time(NULL), next = SAFETY_MS, until;
    const char *reason;
    bool *take;
    int n, i, j;

    errno = 0;
    n = dlg_session_list(w->dir, &list);
    if (n < 0) {
        logf_("cannot read the session records in %s: %s", w->dir, strerror(errno));
        return 1000;
    }
    take = calloc((size_t)n + 1, sizeof(*take));
    const char **why = calloc((size_t)n + 1, sizeof(*why));
    if (!take || !why) {
        free(take);
        free(why);
        dlg_session_list_free(list, n);
        return 1000;
    }
    for (i = 0; i < n; i++) {
        if (!list[i].cell && !list[i].cgroup)
            continue;           /* written before containment existed */
        if (is_ending(w, &list[i]))
            continue;
        if (!cell_is_ours(&list[i]))
            continue;
        /* a logind cell: named in the record as soon as its leader is in it */
        if (dlg_session_resolve(w->dir, &list[i]) == 1)
            logf_("session %s pid %ld runs in logind session %s (%s)", list[i].service,
                  (long)list[i].pid, list[i].logind, list[i].unit);
        if (!dlg_end_live(&list[i])) {
            /* gone without its PAM close (a crash), or stopped by systemd at
             * exp while watch was busy or down: forget it */
            logf_("session %s pid %ld has no process left: record removed%s", list[i].service,
                  (long)list[i].pid, now >= list[i].expires ? " (expired)" : "");
            dlg_end_gone(&list[i], w->dir, w->audit_cfg, now);
            continue;
        }
        reason = dlg_end_reason(&list[i], w->cfg, now);
        if (reason) {
            take[i] = true;
            why[i] = reason;
            continue;
        }
        until = list[i].expires * 1000 - realtime_ms();
        if (until < next)
            next = until;
    }
    /* sessions nested in an ending one end with it */
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++)
            if (take[i] && !take[j] && !is_ending(w, &list[j]) && dlg_end_nested(&list[j], &list[i])) {
                take[j] = true;
                why[j] = why[i];
            }
    if (w->nending == 0 && sweep(list, n) > 0 && next > 1000)
        next = 1000;
    /* all marked before any is signalled: the end of an outer session stops
     * the scope of a sudo inside it (BindsTo=), whose PAM close must leave
     * the record (and session_end) to us */
    for (i = 0; i < n; i++)
        if (take[i] && list[i].service)
            (void)dlg_session_mark_ending(w->dir, list[i].service, list[i].pid);
    for (i = 0; i < n; i++)
        if (take[i] && push_ending(w, &list[i], why[i]) != 0)
            logf_("out of memory");
    free(take);
    free(why);
    dlg_session_list_free(list, n);
    return next < 0 ? 0 : next;
}

/* A feed with on_stale = "end" goes stale at its exp: wake then (at most
 * next ms from now). */
static int64_t feed_wake(const struct watch *w, int64_t next)
{
    int64_t exp = dlg_config_feed_next_end(w->cfg, (int64_t)time(NULL));

    if (exp != INT64_MAX && exp * 1000 - realtime_ms() < next)
        next = exp * 1000 - realtime_ms();
    return next < 0 ? 0 : next;
}

/* Advance the endings; finished ones are removed from the list. */
static void step_endings(struct watch *w)
{
    int64_t grace = (w->audit_cfg ? w->audit_cfg->session_grace : 5) * 1000;
    int i = 0;

    while (i < w->nending) {
        struct dlg_ending *e = &w->ending[i];
        if (!dlg_end_step(e, grace, dlg_mono_ms())) {
            i++;
            continue;
        }
        if (e->empty) {
            if (dlg_end_finish(e, w->dir, w->audit_cfg, (int64_t)time(NULL)) != 0)
                logf_("session %s pid %ld: cannot release its cell %s", e->s.service,
                      (long)e->s.pid, e->cell.cgroup);
            logf_("ended session %s pid %ld actor %s jti %s: %s%s", e->s.service, (long)e->s.pid,
                  e->s.actor ? e->s.actor : "-", e->s.jti ? e->s.jti : "-", e->reason,
                  e->killed ? " (SIGKILL after the grace period)" : "");
        } else {
            logf_("session %s pid %ld (%s) did not end; trying again", e->s.service,
                  (long)e->s.pid, e->cell.kind != DLG_CELL_NONE ? e->cell.cgroup : "no cell to act on");
        }
        dlg_end_free(e);
        w->ending[i] = w->ending[--w->nending];
    }
}

/* Drain inotify; sets *config_changed / *sessions_changed. */
static void drain(struct watch *w, bool *config_changed, bool *sessions_changed)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    const struct inotify_event *ev;
    ssize_t len;
    char *p;

    for (;;) {
        len = read(w->ifd, buf, sizeof(buf));
        if (len <= 0)
            return;
        for (p = buf; p < buf + len; p += sizeof(struct inotify_event) + ev->len) {
            ev = (const struct inotify_event *)p;
            /* rearm's own inotify_rm_watch queues IN_IGNORED for every
             * watch it drops: taken for a change, each reload caused the
             * next, forever (a deleted file is seen by IN_DELETE_SELF) */
            if (ev->mask & IN_IGNORED)
                continue;
            if (ev->wd == w->sessions_wd)
                *sessions_changed = true;
            else
                *config_changed = true;
        }
    }
}

static int run_watch(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct watch w;
    struct sigaction sa;
    struct pollfd pfd;
    int64_t next, last_full = 0, timeout;
    bool cchg, schg;
    int c, i;

    memset(&w, 0, sizeof(w));
    w.v = v;
    w.config = DLG_DEFAULT_CONFIG;
    w.sessions_wd = -1;
    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'c': w.config = optarg; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);
    if (w.config[0] != '/')
        return ctl_usage(v, "--config must be an absolute path");
    if (geteuid() != 0) {
        ctl_err(v, "must run as root (it signals session processes and removes cgroups)");
        return CTL_USAGE;
    }
    w.dir = ctl_sessions_dir();
    ctl_test_seams();
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    w.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w.ifd < 0) {
        ctl_err(v, "inotify: %s", strerror(errno));
        return CTL_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);      /* before any feed thread */
    w.feeds = ctl_feed_watch_new(log_line);
    reload(&w);
    logf_("watching %s and the sessions in %s", w.config, w.dir);
    /* a restart (after a crash) catches up at once */
    next = scan(&w);
    compile_step(&w);
    last_full = dlg_mono_ms();
    while (!stop_flag) {
        timeout = w.nending > 0 ? BUSY_MS : next;
        if (timeout > SAFETY_MS)
            timeout = SAFETY_MS;
        /* exp is a whole second: wake just after it */
        if (w.nending == 0)
            timeout += 20;
        if (w.compile_racy && timeout > COMPILE_RETRY_MS)
            timeout = COMPILE_RETRY_MS;
        pfd.fd = w.ifd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, (int)timeout) < 0 && errno != EINTR)
            break;
        cchg = schg = false;
        if (pfd.revents & POLLIN)
            drain(&w, &cchg, &schg);
        if (cchg) {
            /* let a writer finish its rename before reading (dlg_config_load
             * retries a load that raced with a rename anyway) */
            struct timespec settle = { 0, 20L * 1000 * 1000 };
            nanosleep(&settle, NULL);
            drain(&w, &cchg, &schg);
            reload(&w);
        }
        /* safety net for a change inotify could not see (a directory that
         * did not exist yet), at most once per SAFETY_MS */
        if (!cchg && !schg && dlg_mono_ms() - last_full >= SAFETY_MS - 100) {
            if (!w.cfg)
                reload_as(&w, true);
            else if (!dlg_config_unchanged(w.cfg))
                reload(&w);
            last_full = dlg_mono_ms();
        }
        step_endings(&w);
        next = scan(&w);
        next = feed_wake(&w, next);
        if (w.compile_racy && !cchg)
            reload(&w);         /* a fresh load, no longer racily close to the edit */
        compile_step(&w);
    }
    logf_("stopping");
    ctl_feed_watch_free(w.feeds);
    curl_global_cleanup();
    for (i = 0; i < w.nending; i++)
        dlg_end_free(&w.ending[i]);
    free(w.ending);
    dlg_config_free(w.audit_cfg);     /* w.cfg is NULL or the same object */
    close(w.ifd);
    return CTL_OK;
}

const struct ctl_verb ctl_verb_watch = {
    .name = "watch",
    .run = run_watch,
    .synopsis = "watch [--config FILE]",
    .help =
        "Run in the foreground (as root) and end every delegated session whose\n"
        "ticket expired, at most 2 s after its exp, and every session whose\n"
        "authority the config no longer grants (a revocation of its ticket, actor,\n"
        "principal, issuer or key, issued_before, the actor, issuer or key removed,\n"
        "the principal no longer allowed), at most 2 s after the config changes:\n"
        "SIGHUP to every process of the session's cgroup, SIGKILL after\n"
        "sessions.grace seconds (default 5), the group verified empty and removed,\n"
        "the record removed, and a session_end audit event with the reason.\n"
        "An unusable config ends nothing by itself (expired sessions still end).\n"
        "It also fetches every revocation feed of the config (feeds = ( ... ))\n"
        "every 'refresh' seconds and applies a new version at once (see\n"
        "'delegatectl feed --help'); a feed with on_stale = \"end\" ends the\n"
        "sessions of actors when it goes stale.\n"
        "Shipped as delegate-watch.service.\n"
        "\n"
        "Options:\n"
        "  --config FILE  the config (default " DLG_DEFAULT_CONFIG ")\n"
        "  -h, --help     show this help\n"
        "\n"
        "Exit status: 0 stopped by SIGTERM/SIGINT, 2 usage or system error.\n",
};
