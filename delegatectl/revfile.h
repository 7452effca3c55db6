/* delegatectl: the revocation file (revoked.conf) and its atomic rewrite. */
#ifndef DLG_CTL_REVFILE_H
#define DLG_CTL_REVFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"

struct ctl_revticket {
    char *id;
    int64_t until;              /* 0 = none */
};

/* The content of the revoke group, as a mutable copy. */
struct ctl_revset {
    struct ctl_revticket *tickets;
    size_t ntickets;
    struct dlg_strv actors, principals, issuers, keys;
    bool has_issued_before;
    int64_t issued_before;
};

int ctl_revset_from_config(const struct dlg_config *cfg, struct ctl_revset *rs);
int ctl_revset_add_ticket(struct ctl_revset *rs, const char *id, int64_t until);
void ctl_revset_free(struct ctl_revset *rs);

struct ctl_revfile {
    char *config;               /* main config, absolute */
    char *target;               /* the file holding the revoke group; NULL if none */
    char *dir, *base;           /* of target */
    int lockfd;                 /* the main config's directory, flock()ed */
    int dirfd;                  /* target's directory (flock()ed too when it is
                                   another one); -1 if none */
    struct dlg_config *cfg;     /* loaded while holding the lock */
};

/* Lock the config's directory (one writer at a time), load the config and
 * find the revocation file; when that lies in another directory, lock that
 * one too and reload the config under both locks.
 * need_target: a missing revocation file is an error.  Returns CTL_OK or
 * the exit code after having printed why. */
int ctl_revfile_open(const struct ctl_verb *v, const char *config, bool need_target,
                     struct ctl_revfile *rf);
/* Replace the target with rs: temp file in the same directory (same owner
 * and mode), written with libconfig, fsync, validated, renamed over, the
 * directory fsynced, then the whole config reloaded (the old file is put
 * back if that fails).  Returns CTL_OK or the exit code. */
int ctl_revfile_write(const struct ctl_verb *v, struct ctl_revfile *rf,
                      const struct ctl_revset *rs);
void ctl_revfile_close(struct ctl_revfile *rf);

#endif
