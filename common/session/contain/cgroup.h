/* The cgroup v2 tree as files (cgfs.c) and the walks over a group and its
 * descendants (cgtree.c), shared by both containment backends (contain.h):
 * group paths are relative to the cgroup2 root, exactly as in the "0::" line
 * of /proc/PID/cgroup.  Only the cgroup2 backend ever writes here; with
 * systemd as PID 1 the tree is read (and processes in it signalled), never
 * written (systemd's single-writer rule).
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

/* ---- cgfs.c: paths and small files ---- */

/* The cgroup2 mount point (/sys/fs/cgroup, /sys/fs/cgroup/unified, or the
 * first cgroup2 line of /proc/self/mountinfo).  0, or -1 (errno). */
int dlg_cg_mount(char *buf, size_t len);

/* True when systemd manages the cgroup tree (/run/systemd/system exists). */
bool dlg_cg_systemd(void);

/* The group of pid, from the "0::" line of /proc/PID/cgroup.  0 or -1. */
int dlg_cg_of_pid(pid_t pid, char *buf, size_t len);

/* Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat). */
int dlg_proc_start_ticks(pid_t pid, uint64_t *out);

/* The parent of pid (field 4 of /proc/PID/stat), -1 if unknown. */
pid_t dlg_proc_parent(pid_t pid);

/* A group path we may act on: absolute, not "/", no "." or ".." component,
 * no empty component, printable ASCII without spaces. */
bool dlg_cg_valid_path(const char *path);

/* path is group or below it. */
bool dlg_cg_is_within(const char *path, const char *group);

/* 1: a logind session scope ("session-N.scope"), 2: one of our transient
 * scopes ("delegate-....scope"), 0: anything else. */
int dlg_cg_scope_kind(const char *path);

/* buf = mount + group [+ "/" + file].  0 or -1. */
int dlg_cg_fs_path(char *buf, size_t len, const char *group, const char *file);

/* Small whole-file reads and writes (O_NOFOLLOW|O_CLOEXEC).  Bytes read or
 * -1; 0 or -1. */
ssize_t dlg_cg_read_small(const char *path, char *buf, size_t len);
int dlg_cg_write_text(const char *path, const char *text);

/* True when the group directory exists. */
bool dlg_cg_exists(const char *path);

/* 1: no process left in the group or below it (or the group is gone);
 * 0: populated; -1: cannot tell. */
int dlg_cg_empty(const char *path);

/* ---- cgtree.c: walks over a group and its descendants ---- */

/* Signal every process in the group and its descendants (each checked to be
 * inside the group when signalled).  Returns the number signalled, -1 when
 * the group cannot be read (a group that no longer exists gives 0). */
int dlg_cg_signal(const char *path, int sig);

/* SIGKILL to the whole subtree: cgroup.kill, or where the kernel has none,
 * the group frozen (cgroup.freeze, so nothing forks between the reading of
 * cgroup.procs and the signal) and swept with SIGKILL.  0 or -1.  Only for
 * groups this code made (the cgroup2 backend). */
int dlg_cg_kill(const char *path);

/* Test seam (delegatectl only, DELEGATE_TEST_NO_CGROUP_KILL=1): behave as on a
 * kernel without cgroup.kill, so that the freeze and sweep path runs. */
void dlg_cg_pretend_no_kill_file(bool on);

/* Remove the (empty) group and its child groups.  A systemd scope is left
 * to systemd (it collects an empty scope itself).  0 or -1. */
int dlg_cg_remove(const char *path);

/* How many processes other than self and self's own children run in the
 * group or below it; -1 when the group cannot be read.  (At PAM close the
 * sshd monitor's child is still exiting; what it leaves behind is either
 * its own child, counted, or reparented away from self, counted.) */
int dlg_cg_others(const char *path, pid_t self);

#endif
