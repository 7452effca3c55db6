/* Session containment with cgroup v2 (DESIGN.md §4 "Sessions end when their
 * authority ends").  Every admitted session runs in a group of its own that
 * an unprivileged process cannot leave (the group's files are root's); the
 * group is named in the session record by its path relative to the cgroup2
 * root, exactly as in the "0::" line of /proc/PID/cgroup.
 *
 * Two ways to get the group:
 *  - no systemd (no /run/systemd/system): a directory "<root>/delegate/NAME"
 *    that this code creates and fills itself;
 *  - systemd owns the tree: a transient scope "delegate-NAME.scope" with
 *    Delegate=yes, asked of systemd over D-Bus (busctl); nothing is written
 *    in systemd's part of the tree.
 * A session opened from inside another contained session (sudo in a
 * delegated ssh session) gets a child group inside that session's group, so
 * ending the outer session ends the inner one too.
 *
 * Termination only ever signals processes that are, when signalled, inside
 * the named group (pidfd, checked against /proc/PID/cgroup). */
#ifndef DLG_CGROUP_H
#define DLG_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DLG_CG_BASE   "/delegate"        /* top-level groups, without systemd */
#define DLG_CG_PATH_MAX 512

/* The cgroup2 mount point (/sys/fs/cgroup, /sys/fs/cgroup/unified, or the
 * first cgroup2 line of /proc/self/mountinfo).  0, or -1 (errno). */
int dlg_cg_mount(char *buf, size_t len);

/* True when systemd manages the cgroup tree (/run/systemd/system exists). */
bool dlg_cg_systemd(void);

/* The group of pid, from the "0::" line of /proc/PID/cgroup.  0 or -1. */
int dlg_cg_of_pid(pid_t pid, char *buf, size_t len);

/* Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat). */
int dlg_proc_start_ticks(pid_t pid, uint64_t *out);

/* A group path we may act on: absolute, not "/", no "." or ".." component,
 * no empty component, printable ASCII without spaces. */
bool dlg_cg_valid_path(const char *path);

/* path is group or below it. */
bool dlg_cg_is_within(const char *path, const char *group);

/* 1: a logind session scope ("session-N.scope"), 2: one of our transient
 * scopes ("delegate-....scope"), 0: anything else. */
int dlg_cg_scope_kind(const char *path);

/* The group a recorded session occupies now.  Without systemd: the
 * recorded one.  Where systemd owns the tree, pam_systemd running after
 * pam_delegate moves the leader into a logind session scope: when the
 * leader (pid with the recorded start time, a root process the actor cannot
 * move) is alive in a session or delegate scope other than the recorded
 * group, that scope.  Fills buf; 0 or -1. */
int dlg_cg_effective(const char *recorded, pid_t leader, uint64_t start_ticks, char *buf,
                     size_t len);

/* Can a session be contained now?  0, or -1 with a reason in err. */
int dlg_cg_usable(char *err, size_t errlen);

/* Put pid (the session leader: the sshd monitor, sudo) into a new group for
 * a session named name ([A-Za-z0-9._-]).  When pid already runs inside a
 * contained session (parent != NULL: the group of that session, or pid's
 * group is below DLG_CG_BASE) the new group is created inside pid's current
 * group.  On success fills path (relative to the root) and returns 0; -1
 * with a reason in err otherwise. */
int dlg_cg_contain(pid_t pid, const char *name, const char *parent, char *path, size_t len,
                   char *err, size_t errlen);

/* Signal every process in the group and its descendants (each checked to be
 * inside the group when signalled).  Returns the number signalled, -1 when
 * the group cannot be read (a group that no longer exists gives 0). */
int dlg_cg_signal(const char *path, int sig);

/* SIGKILL to the whole subtree: cgroup.kill, or a signal sweep where the
 * kernel has no cgroup.kill.  0 or -1. */
int dlg_cg_kill(const char *path);

/* 1: no process left in the group or below it (or the group is gone);
 * 0: populated; -1: cannot tell. */
int dlg_cg_empty(const char *path);

/* Remove the (empty) group and its child groups.  A systemd scope is left
 * to systemd (it collects an empty scope itself).  0 or -1. */
int dlg_cg_remove(const char *path);

/* How many processes other than self and self's own children run in the
 * group or below it; -1 when the group cannot be read.  (At PAM close the
 * sshd monitor's child is still exiting; what it leaves behind is either
 * its own child, counted, or reparented away from self, counted.) */
int dlg_cg_others(const char *path, pid_t self);

/* True when the group directory exists. */
bool dlg_cg_exists(const char *path);

#endif
