/* Containment of delegated sessions (DESIGN.md §4 "Sessions end when their
 * authority ends"): every admitted session runs in a cell, a kernel-tracked
 * group (cgroup v2) that no unprivileged process of it can leave, named in
 * its session record.  Two backends behind this one interface:
 *
 *  - cgroup2 (no systemd as PID 1): a group "/delegate/NAME" that this code
 *    makes and fills itself (cgroup2.c), nested in the group of the session a
 *    sudo runs in, with pids.max as the task limit;
 *  - systemd (systemd as PID 1; the tree is systemd's, never written here):
 *    logind's own session scope for a session that pam_systemd registers
 *    right after the module's session phase (the cell is then "pending" until
 *    the leader is seen in it; a leader that runs in another logind session,
 *    sudo -i from an ssh login, is first moved into a scope of its own so that
 *    pam_systemd registers a session for it instead of leaving it in the
 *    caller's), or, where pam_systemd does not run (sudo, su), a transient
 *    scope "delegate-NAME.scope" of its own, asked of systemd over D-Bus
 *    (sd-bus, bounded timeouts), with RuntimeMaxUSec, TasksMax and BindsTo=
 *    the session it runs in (systemd.c).
 *
 * Ending a cell: SIGHUP, SIGKILL after the grace (cgroup.kill, or freeze and
 * sweep; KillUnit on systemd), verified empty, released.  Only cells that
 * this module made, or logind scopes it was given, are acted on
 * (dlg_cell_owned). */
#ifndef DLG_CONTAIN_H
#define DLG_CONTAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "session/contain/cgroup.h"

enum dlg_cell_kind {
    DLG_CELL_NONE = 0,
    DLG_CELL_CGROUP,            /* our own group under /delegate (cgroup2 backend) */
    DLG_CELL_SCOPE,             /* our own transient scope delegate-*.scope */
    DLG_CELL_LOGIND,            /* logind's session-N.scope (pam_systemd) */
};

#define DLG_UNIT_MAX 160
#define DLG_LOGIND_ID_MAX 32

struct dlg_cell {
    enum dlg_cell_kind kind;
    char cgroup[DLG_CG_PATH_MAX];   /* "" while a logind cell is pending */
    char unit[DLG_UNIT_MAX];        /* systemd unit; "" for cgroup2 and pending */
    char logind[DLG_LOGIND_ID_MAX]; /* logind session id; "" unless resolved */
};

/* What a session asks of its cell. */
struct dlg_contain_req {
    pid_t pid;                      /* the leader: the sshd monitor, sudo */
    const char *name;               /* "SERVICE-PID-TICKS", [A-Za-z0-9._-] */
    const struct dlg_cell *outer;   /* the delegated session it runs in, or NULL */
    bool logind;                    /* pam_systemd registers this session next */
    uint64_t runtime_usec;          /* until the ticket's exp (>= 1 s) */
    uint64_t tasks_max;             /* 0: no limit */
    uint64_t grace_usec;            /* SIGHUP..SIGKILL on systemd's own stop */
};

const char *dlg_cell_kind_str(enum dlg_cell_kind k);        /* "cgroup", "scope", "logind" */
enum dlg_cell_kind dlg_cell_kind_parse(const char *s);       /* NONE when unknown */

/* Which backend serves this host. */
bool dlg_contain_systemd(void);

/* Can a session be contained now (preflight for account and setcred)?
 * cgroup2: /delegate can be made and written; systemd: systemd answers on
 * the system bus in time.  0, or -1 with the reason in err. */
int dlg_contain_usable(char *err, size_t errlen);

/* logind is running: pam_systemd, when it comes after the module in a
 * service's session stack, registers the session and its scope is the cell
 * (contain.h: the leader is first moved out of any session it runs in). */
bool dlg_contain_logind_running(void);

/* Put the leader into a cell.  0 with *cell filled, -1 with the reason in
 * err (the session must then be refused). */
int dlg_contain_open(const struct dlg_contain_req *req, struct dlg_cell *cell, char *err,
                     size_t errlen);

/* A pending logind cell: the session scope its leader (alive, same start
 * time) now runs in.  1 when resolved (cell filled in), 0 still pending,
 * -1 when the leader is gone. */
int dlg_cell_resolve(struct dlg_cell *cell, pid_t leader, uint64_t start_ticks);

/* Is the cell one that this module made (cgroup: below /delegate, named
 * SERVICE-PID-TICKS; scope: delegate-*.scope) or a logind scope it was given
 * (session-N.scope with N the recorded session)?  Consistent fields, valid
 * paths.  Records that fail this are never acted on. */
bool dlg_cell_owned(const struct dlg_cell *cell);

/* The task limit is enforced by the cell (pids controller available); else
 * the caller falls back to RLIMIT_NPROC (tasks.c). */
bool dlg_contain_tasks_enforced(void);
/* RLIMIT_NPROC = max for this process and what it starts.  0 or -1. */
int dlg_contain_limit_nproc(uint64_t max);

/* Ending (SIGHUP, SIGKILL, empty, release) and the close check.  A pending
 * logind cell must be resolved first (these fail on it). */
int dlg_cell_signal(const struct dlg_cell *cell, int sig);      /* processes signalled or -1 */
int dlg_cell_kill(const struct dlg_cell *cell);                 /* 0 or -1 */
int dlg_cell_empty(const struct dlg_cell *cell);                /* 1 empty/gone, 0, -1 */
int dlg_cell_release(const struct dlg_cell *cell);              /* 0 or -1 */
int dlg_cell_others(const struct dlg_cell *cell, pid_t self);   /* count or -1 */

#endif
