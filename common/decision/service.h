/* PAM service names as the decision sees them (DESIGN.md §3 "Service
 * names"): Debian's sudo runs "sudo -i" under the PAM service "sudo-i" and
 * util-linux's su runs "su -l" under "su-l"; both count as their plain
 * service for the ticket's svc and the actor's services. */
#ifndef DLG_SERVICE_H
#define DLG_SERVICE_H

#include <stdbool.h>

#include "util/util.h"

/* "sudo-i" -> "sudo", "su-l" -> "su", anything else (NULL too) unchanged.
 * The result is service itself or a static string: never freed. */
const char *dlg_service_canonical(const char *service);

/* True when service names the same canonical service as an entry of list
 * (so a list with "sudo" covers "sudo-i", and one with "sudo-i" covers
 * "sudo").  False for a NULL service. */
bool dlg_service_listed(const struct dlg_strv *list, const char *service);

/* sshd's PAM services: "sshd", and "sshd-NAME" for a renamed copy (sshd
 * uses its binary's name as the service).  Only these may read the keys
 * sshd proved from SSH_AUTH_INFO_0 (DESIGN.md §3 rule 10): any other
 * service's PAM environment proves nothing (pam_env, an application's
 * own pam_putenv, a user's ~/.pam_environment). */
bool dlg_service_is_sshd(const char *service);

/* sudo, sudo-i, su, su-l: run by a local caller inside (or outside) a
 * delegated session, whose keys are the ones that session proved. */
bool dlg_service_is_local(const char *service);

#endif
