/* The audit trail (DESIGN.md §8): one JSON line per event in audit.file
 * (created 0600, one write(2) per event, O_APPEND) and key=value to syslog
 * LOG_AUTHPRIV.  Never the ticket text. */
#ifndef DLG_AUDIT_H
#define DLG_AUDIT_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"

struct dlg_audit_event {
    int64_t ts;
    const char *event;          /* "admit", "deny", "session_open", "session_close" */
    const char *service, *user, *actor, *principal, *runas, *jti, *iss, *kid;
    const char *rhost, *tty;
    pid_t pid;
    const char *reason;         /* deny only */
};

/* Returns 0, or -1 when the file could not be written (syslog still gets the
 * event, plus an error line).  The file is used only when it is a regular,
 * root-owned file with one link and no group/other permission bits (else
 * -1 and one log line saying which rule it breaks).  cfg may be NULL (config_error): then only
 * syslog is used. */
int dlg_audit(const struct dlg_config *cfg, const struct dlg_audit_event *ev);

/* The JSON line (without newline) for ev; heap string.  For tests. */
char *dlg_audit_json(const struct dlg_audit_event *ev);

#endif
