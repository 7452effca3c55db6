/* An actor's home directory from its first login (issue 17): made by the
 * module's session phase, as root, for the actor's own session (never for a
 * sudo target), when it does not exist yet: mode 0700, owned by the actor
 * and the accounts group.  Only below a parent directory that is root's and
 * not writable by others (default /var/lib/delegate, 0755 root), made without
 * following a symlink.  An existing path is left as it is.  Nothing the
 * module reads or trusts lives in it. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "pam_delegate.h"
#include "config/config.h"

void pd_actor_home(pam_handle_t *pamh, const struct dlg_config *cfg, const char *actor)
{
    const struct dlg_actor *a = cfg ? dlg_config_actor(cfg, actor) : NULL;
    char dir[PATH_MAX], base[PATH_MAX];
    struct stat st;
    int dfd, fd;

    if (!a || !a->home || a->home[0] != '/' || strlen(a->home) >= sizeof(dir) ||
        lstat(a->home, &st) == 0 || errno != ENOENT)
        return;
    snprintf(dir, sizeof(dir), "%s", a->home);
    snprintf(base, sizeof(base), "%s", a->home);
    dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return;
    if (fstat(dfd, &st) != 0 || st.st_uid != 0 || (st.st_mode & 022)) {
        pam_syslog(pamh, LOG_WARNING, "not making the home of %s: %s is not root's alone", actor, dir);
        close(dfd);
        return;
    }
    if (mkdirat(dfd, basename(base), 0700) != 0) {
        close(dfd);
        return;
    }
    fd = openat(dfd, basename(base), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fchown(fd, a->uid, cfg->acc_gid) != 0 || fchmod(fd, 0700) != 0)
        pam_syslog(pamh, LOG_ERR, "cannot give the new home %s to %s", a->home, actor);
    else
        pam_syslog(pamh, LOG_INFO, "made the home directory %s of %s (0700)", a->home, actor);
    if (fd >= 0)
        close(fd);
    close(dfd);
}
