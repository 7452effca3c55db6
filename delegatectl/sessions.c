/* delegatectl sessions, and ending the sessions of a revoked authority. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "session/contain/contain.h"
#include "ctl.h"
#include "session/ending.h"
#include "session/session.h"

static const char *dash(const char *s)
{
    return s && s[0] ? s : "-";
}

/* The records, or an empty list when the directory does not exist yet (no
 * session was ever opened).  -1 after printing an error. */
static int list_sessions(const struct ctl_verb *v, struct dlg_session **out)
{
    const char *dir = ctl_sessions_dir();
    struct stat st;
    int n;

    *out = NULL;
    if (stat(dir, &st) < 0 && errno == ENOENT)
        return 0;
    errno = 0;
    n = dlg_session_list(dir, out);
    if (n < 0) {
        ctl_err(v, "cannot read the session records in %s: %s", dir,
                errno ? strerror(errno) : "unreadable record");
        return -1;
    }
    return n;
}

/* ---- sessions ---------------------------------------------------------- */

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int print_json(const struct dlg_session *s, int n)
{
    json_t *arr = json_array(), *o;
    char *text = NULL;
    int i, rc = -1;

    if (!arr)
        return -1;
    for (i = 0; i < n; i++) {
        o = json_pack("{s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o,"
                      " s:o, s:o, s:o}",
                      "actor", jstr(s[i].actor), "principal", jstr(s[i].principal),
                      "service", jstr(s[i].service), "user", jstr(s[i].user),
                      "pid", (json_int_t)s[i].pid, "tty", jstr(s[i].tty),
                      "rhost", jstr(s[i].rhost), "start", (json_int_t)s[i].start,
                      "expires", (json_int_t)s[i].expires, "jti", jstr(s[i].jti),
                      "iss", jstr(s[i].iss), "kid", jstr(s[i].kid),
                      "key", jstr(s[i].key), "cgroup", jstr(s[i].cgroup),
                      "cell", jstr(s[i].cell), "unit", jstr(s[i].unit),
                      "logind", jstr(s[i].logind), "outer", jstr(s[i].outer));
        if (!o || json_array_append_new(arr, o) < 0)
            goto out;
    }
    text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text)
        goto out;
    printf("%s\n", text);
    rc = 0;
out:
    free(text);
    json_decref(arr);
    return rc;
}

enum { COL_ACTOR, COL_PRINCIPAL, COL_SERVICE, COL_USER, COL_PID, COL_TTY, COL_RHOST,
       COL_START, COL_EXPIRES, COL_JTI, COL_KEY, NCOLS };

static void row_cells(const struct dlg_session *s, char cells[NCOLS][80])
{
    snprintf(cells[COL_ACTOR], 80, "%s", dash(s->actor));
    snprintf(cells[COL_PRINCIPAL], 80, "%s", dash(s->principal));
    snprintf(cells[COL_SERVICE], 80, "%s", dash(s->service));
    snprintf(cells[COL_USER], 80, "%s", dash(s->user));
    snprintf(cells[COL_PID], 80, "%ld", (long)s->pid);
    snprintf(cells[COL_TTY], 80, "%s", dash(s->tty));
    snprintf(cells[COL_RHOST], 80, "%s", dash(s->rhost));
    dlg_format_time(s->start, cells[COL_START], 80);
    dlg_format_time(s->expires, cells[COL_EXPIRES], 80);
    snprintf(cells[COL_JTI], 80, "%s", dash(s->jti));
    snprintf(cells[COL_KEY], 80, "%s", dash(s->key));
}

static void print_table(const struct dlg_session *s, int n)
{
    static const char *const head[NCOLS] = {
        "ACTOR", "PRINCIPAL", "SERVICE", "USER", "PID", "TTY", "RHOST", "START", "EXPIRES", "JTI", "KEY",
    };
    char cells[NCOLS][80];
    int width[NCOLS], i, c;

    for (c = 0; c < NCOLS; c++)
        width[c] = (int)strlen(head[c]);
    for (i = 0; i < n; i++) {
        row_cells(&s[i], cells);
        for (c = 0; c < NCOLS; c++)
            if ((int)strlen(cells[c]) > width[c])
                width[c] = (int)strlen(cells[c]);
    }
    if (n > 0) {
        for (c = 0; c < NCOLS; c++)
            printf(c + 1 < NCOLS ? "%-*s  " : "%-*s\n", c + 1 < NCOLS ? width[c] : 0, head[c]);
        for (i = 0; i < n; i++) {
            row_cells(&s[i], cells);
            for (c = 0; c < NCOLS; c++)
                printf(c + 1 < NCOLS ? "%-*s  " : "%-*s\n", c + 1 < NCOLS ? width[c] : 0,
                       cells[c]);
        }
        printf("\n");
    }
    printf("%d session%s listed.\n", n, n == 1 ? "" : "s");
}

static int run_sessions(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct dlg_session *list = NULL;
    bool json = false;
    int c, n, rc = CTL_OK;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);
    n = list_sessions(v, &list);
    if (n < 0)
        return CTL_USAGE;
    if (json) {
        if (print_json(list, n) < 0) {
            ctl_err(v, "out of memory");
            rc = CTL_USAGE;
        }
    } else {
        print_table(list, n);
    }
    if (fflush(stdout) != 0)
        rc = CTL_USAGE;
    dlg_session_list_free(list, n);
    return rc;
}

/* ---- revoke --terminate ------------------------------------------------ */

void ctl_test_seams(void)
{
    const char *e = getenv("DELEGATE_TEST_NO_CGROUP_KILL");

    /* the freeze-and-sweep path of kernels without cgroup.kill (tests) */
    if (e != NULL && strcmp(e, "1") == 0)
        dlg_cg_pretend_no_kill_file(true);
}

static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool matches(const struct ctl_revocation *r, const struct dlg_session *s)
{
    switch (r->kind) {
    case CTL_REV_TICKET: return eq(s->jti, r->value);
    case CTL_REV_ACTOR: return eq(s->actor, r->value);
    case CTL_REV_PRINCIPAL: return eq(s->principal, r->value);
    case CTL_REV_ISSUER: return eq(s->iss, r->value);
    case CTL_REV_KEY: return eq(s->kid, r->value);
    /* the record has no iat, but the ticket was issued before the session
     * began: a session that began before the cutoff surely matches */
    case CTL_REV_ISSUED_BEFORE: return s->iat > 0 ? s->iat < r->time : s->start < r->time;
    }
    return false;
}

/* Process state and start time (seconds since the epoch) from /proc.
 * Returns 0, or -1 when there is no such process. */
static int proc_info(pid_t pid, char *state, int64_t *start)
{
    char path[64], buf[1024], *p, *save = NULL, *tok;
    unsigned long long ticks = 0, btime = 0;
    FILE *f;
    size_t n;
    int field;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "re");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) state ...": comm may hold spaces and parentheses */
    p = strrchr(buf, ')');
    if (!p)
        return -1;
    for (field = 3, tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
        if (field == 3)
            *state = tok[0];
        if (field == 22) {
            ticks = strtoull(tok, NULL, 10);
            break;
        }
    }
    if (field != 22)
        return -1;
    f = fopen("/proc/stat", "re");
    if (!f)
        return -1;
    while (fgets(buf, sizeof(buf), f))
        if (sscanf(buf, "btime %llu", &btime) == 1)
            break;
    fclose(f);
    *start = (int64_t)btime + (int64_t)(ticks / (unsigned long long)sysconf(_SC_CLK_TCK));
    return 0;
}

/* Still the same process (same start time), not gone and not a zombie. */
static bool alive(pid_t pid, int64_t pstart)
{
    char state = '?';
    int64_t start;

    if (kill(pid, 0) < 0 && errno == ESRCH)
        return false;
    if (proc_info(pid, &state, &start) < 0)
        return false;
    return state != 'Z' && state != 'X' && start == pstart;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until none of the signalled processes is alive, at most wait_ms. */
static void wait_for(const struct dlg_session *list, const int64_t *pstart, const bool *signalled,
                     int n, int64_t wait_ms)
{
    struct timespec tick = { 0, 50L * 1000 * 1000 };
    int64_t deadline = monotonic_ms() + wait_ms;
    int i, pending;

    for (;;) {
        pending = 0;
        for (i = 0; i < n; i++)
            if (signalled[i] && alive(list[i].pid, pstart[i]))
                pending++;
        if (pending == 0 || monotonic_ms() >= deadline)
            return;
        nanosleep(&tick, NULL);
    }
}

static int64_t grace_seconds(const struct ctl_verb *v, const struct dlg_config *cfg)
{
    const char *e = getenv("DELEGATE_TERMINATE_GRACE");
    int64_t g;

    if (!e || !e[0])
        return cfg ? cfg->session_grace : 5;
    if (dlg_parse_duration(e, &g) < 0 || g < 0 || g > 3600) {
        ctl_warn(v, "ignoring invalid DELEGATE_TERMINATE_GRACE '%s'", e);
        return 5;
    }
    return g;
}

/* Slack between a process's start and its session record's start. */
#define START_SLACK 5

/* The contained sessions (records naming a cgroup) that r revokes, and
 * every session nested inside their groups (a sudo run from a revoked ssh
 * session): ended with the shared code of `delegatectl watch`.  Each
 * handled record gets its cgroup freed in list (so the pid-based code
 * below skips it).  Returns the number verified ended, -1 on error. */
static int terminate_contained(const struct ctl_verb *v, const struct ctl_revocation *r,
                               struct dlg_session *list, int n, const char *dir,
                               const struct dlg_config *cfg, int64_t grace, int *found)
{
    struct dlg_ending *end;
    bool *take, *live;
    int i, j, m = 0, ended = 0;

    *found = 0;
    take = calloc((size_t)n + 1, sizeof(*take));
    live = calloc((size_t)n + 1, sizeof(*live));
    end = calloc((size_t)n + 1, sizeof(*end));
    if (!take || !live || !end) {
        free(take);
        free(live);
        free(end);
        ctl_err(v, "out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        struct dlg_cell cell;
        if (!(list[i].cell || list[i].cgroup) || !matches(r, &list[i]))
            continue;
        /* issue 18 item 14: only cells this module made or was given */
        if (dlg_session_cell(&list[i], &cell) != 0 || !dlg_cell_owned(&cell)) {
            ctl_warn(v, "session record %s-%ld names a cell this module did not make (%s); skipped",
                     dash(list[i].service), (long)list[i].pid,
                     list[i].unit ? list[i].unit : dash(list[i].cgroup));
            dlg_session_free(&list[i]);
            continue;
        }
        take[i] = true;
    }
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++)
            if (take[i] && !take[j] && (list[j].cell || list[j].cgroup) &&
                dlg_end_nested(&list[j], &list[i]))
                take[j] = true;
    /* which are still there, judged (and marked as ending) before any is
     * signalled: ending an outer session ends the sudo inside it, which must
     * still be ended and audited here, not found "already ended" or closed
     * by its own leader */
    for (i = 0; i < n; i++) {
        if (!take[i])
            continue;
        /* a logind cell: the scope its leader runs in now (contain.h) */
        (void)dlg_session_resolve(dir, &list[i]);
        live[i] = dlg_end_live(&list[i]);
        if (live[i] && list[i].service)
            (void)dlg_session_mark_ending(dir, list[i].service, list[i].pid);
    }
    for (i = 0; i < n; i++) {
        if (!take[i])
            continue;
        (*found)++;
        if (!live[i]) {
            struct dlg_cell cell;
            printf("session %s pid %ld actor %s jti %s has already ended\n", dash(list[i].service),
                   (long)list[i].pid, dash(list[i].actor), dash(list[i].jti));
            if (dlg_session_cell(&list[i], &cell) == 0 && cell.kind == DLG_CELL_CGROUP)
                (void)dlg_cell_release(&cell);
            (void)dlg_session_remove(dir, list[i].service, list[i].pid);
            dlg_session_free(&list[i]);
            continue;
        }
        dlg_end_begin(&end[m++], &list[i], dir, "revoked", dlg_mono_ms());
        /* the audit reason: the revocation's kind */
        snprintf(end[m - 1].reason, sizeof(end[m - 1].reason), "%s",
                 r->kind == CTL_REV_TICKET ? "revoked_ticket" : r->kind == CTL_REV_ACTOR ? "revoked_actor"
                 : r->kind == CTL_REV_PRINCIPAL ? "revoked_principal"
                 : r->kind == CTL_REV_ISSUER ? "revoked_issuer" : r->kind == CTL_REV_KEY ? "revoked_key"
                 : "revoked_before");
    }
    (void)dlg_end_all(end, m, dir, cfg, grace);
    for (i = 0; i < m; i++) {
        if (end[i].empty) {
            printf("terminated session %s pid %ld actor %s jti %s%s\n", dash(end[i].s.service),
                   (long)end[i].s.pid, dash(end[i].s.actor), dash(end[i].s.jti),
                   end[i].killed ? " (SIGKILL after the grace period)" : "");
            ended++;
        } else {
            ctl_warn(v, "session %s pid %ld (%s) did not end", dash(end[i].s.service),
                     (long)end[i].s.pid, end[i].cell.kind != DLG_CELL_NONE ? end[i].cell.cgroup
                                                                       : "no cell to act on");
        }
        dlg_end_free(&end[i]);
    }
    free(take);
    free(live);
    free(end);
    return ended;
}

int ctl_terminate_sessions(const struct ctl_verb *v, const struct ctl_revocation *r)
{
    const char *dir = ctl_sessions_dir();
    struct dlg_session *list = NULL;
    struct dlg_config *cfg = NULL;
    bool *signalled = NULL, *killed = NULL;
    int64_t grace, *pstart = NULL;
    int n, i, nsig = 0, ended = 0, contained = 0, found = 0;
    char state;

    if (r->config)
        cfg = dlg_config_load(r->config, NULL);
    ctl_test_seams();
    grace = grace_seconds(v, cfg);
    n = list_sessions(v, &list);
    if (n < 0) {
        dlg_config_free(cfg);
        return -1;
    }
    if (n > 0 && (!(signalled = calloc((size_t)n, sizeof(*signalled))) ||
                  !(killed = calloc((size_t)n, sizeof(*killed))) ||
                  !(pstart = calloc((size_t)n, sizeof(*pstart))))) {
        ctl_err(v, "out of memory");
        ended = -1;
        goto out;
    }
    if (n > 0) {
        contained = terminate_contained(v, r, list, n, dir, cfg, grace, &found);
        if (contained < 0) {
            ended = -1;
            goto out;
        }
        ended = contained;
    }
    for (i = 0; i < n; i++) {
        /* records without a cgroup (written before containment existed):
         * the leader alone, checked by its start time */
        if (list[i].cell || list[i].cgroup || !list[i].service || !matches(r, &list[i]))
            continue;
        if (list[i].pid <= 1) {
            ctl_warn(v, "session record %s-%ld has an invalid pid; skipped",
                     dash(list[i].service), (long)list[i].pid);
            continue;
        }
        if (proc_info(list[i].pid, &state, &pstart[i]) < 0 || state == 'Z' || state == 'X') {
            printf("session %s pid %ld actor %s jti %s has already ended\n",
                   dash(list[i].service), (long)list[i].pid, dash(list[i].actor),
                   dash(list[i].jti));
            continue;
        }
        /* the session leader existed before its record; a younger process
         * only reuses the pid */
        if (pstart[i] > list[i].start + START_SLACK) {
            ctl_warn(v, "pid %ld of session record %s-%ld now belongs to another process; skipped",
                     (long)list[i].pid, dash(list[i].service), (long)list[i].pid);
            continue;
        }
        if (kill(list[i].pid, SIGHUP) < 0) {
            ctl_warn(v, "cannot signal pid %ld: %s", (long)list[i].pid, strerror(errno));
            continue;
        }
        signalled[i] = true;
        nsig++;
    }
    if (nsig == 0) {
        if (found == 0)
            printf("no open session to terminate\n");
        goto out;
    }
    wait_for(list, pstart, signalled, n, grace * 1000);
    for (i = 0; i < n; i++) {
        if (signalled[i] && alive(list[i].pid, pstart[i]) && kill(list[i].pid, SIGKILL) == 0)
            killed[i] = true;
    }
    wait_for(list, pstart, killed, n, 2000);
    for (i = 0; i < n; i++) {
        if (!signalled[i])
            continue;
        if (alive(list[i].pid, pstart[i])) {
            ctl_warn(v, "session %s pid %ld did not end", dash(list[i].service), (long)list[i].pid);
            continue;
        }
        printf("terminated session %s pid %ld actor %s jti %s%s\n", dash(list[i].service),
               (long)list[i].pid, dash(list[i].actor), dash(list[i].jti),
               killed[i] ? " (SIGKILL after the grace period)" : "");
        /* a killed session never runs its PAM close: drop its record */
        if (list[i].service)
            dlg_session_remove(dir, list[i].service, list[i].pid);
        ended++;
    }
out:
    free(signalled);
    free(killed);
    free(pstart);
    dlg_session_list_free(list, n);
    dlg_config_free(cfg);
    return ended;
}

const struct ctl_verb ctl_verb_sessions = {
    .name = "sessions",
    .run = run_sessions,
    .synopsis = "sessions [--json]",
    .help =
        "List the open delegated sessions recorded by the PAM module under\n"
        DLG_SESSIONS_DIR ": actor, principal, service, user, pid, tty,\n"
        "remote host, start, expiry, ticket id and the ssh key the ticket is\n"
        "bound to (cnf).  Times are UTC.  --json adds the session's cell: its\n"
        "kind (cgroup, scope, logind), cgroup, systemd unit, logind session, and\n"
        "the session it runs in (outer).\n"
        "\n"
        "Options:\n"
        "  --json       print a JSON array instead of a table\n"
        "  -h, --help   show this help\n"
        "\n"
        "Exit status: 0 listed, 2 usage or system error.\n",
};
