/* The per-session task limit (sessions.tasks_max): the cell's own where the
 * kernel offers the pids controller on cgroup2 (pids.max; TasksMax of a
 * scope, pam_systemd's systemd.tasks_max for a logind scope), else
 * RLIMIT_NPROC of the session's processes.  RLIMIT_NPROC counts every
 * process of the real uid, so it bounds the actor (its own uid) over all its
 * sessions, and a sudo target user over all of that user's processes. */
#include <string.h>
#include <sys/resource.h>

#include "session/contain/backend.h"

bool dlg_contain_tasks_enforced(void)
{
    char fs[DLG_CG_PATH_MAX + 256], data[512];

    if (dlg_cg_fs_path(fs, sizeof(fs), "/", "cgroup.controllers") != 0 ||
        dlg_cg_read_small(fs, data, sizeof(data)) < 0)
        return false;
    return strstr(data, "pids") != NULL;
}

int dlg_contain_limit_nproc(uint64_t max)
{
    struct rlimit rl;

    if (max == 0)
        return 0;
    if (getrlimit(RLIMIT_NPROC, &rl) != 0)
        return -1;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > max)
        rl.rlim_cur = (rlim_t)max;
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > max)
        rl.rlim_max = (rlim_t)max;
    return setrlimit(RLIMIT_NPROC, &rl);
}
