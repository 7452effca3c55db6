/* The audit trail (DESIGN.md §8): one JSON line per event in audit.file
 * (created 0600, one write(2) per event, O_APPEND) and key=value to syslog
 * LOG_AUTHPRIV.  Never the ticket text. */
#ifndef DLG_AUDIT_H
#define DLG_AUDIT_H

#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"

struct dlg_audit_event {
    int64_t ts;
    const char *event;          /* "admit", "deny", "session_open", "session_close" */
    const char *service, *user, *actor, *principal, *runas, *jti, *iss, *kid;
    const char *rhost, *tty;
    pid_t pid;
    const char *reason;         /* deny and session_end only */
    const char *key;            /* the ticket's cnf fingerprint, NULL if unbound */
};

/* Returns 0, or -1 when the file could not be written (syslog still gets the
 * event, plus an error line).  The file is used only when it is a regular,
 * root-owned file with one link and no group/other permission bits (else
 * -1 and one log line saying which rule it breaks).  cfg may be NULL (config_error): then only
 * syslog is used. */
int dlg_audit(const struct dlg_config *cfg, const struct dlg_audit_event *ev);

/* Could an event be appended to audit.file now (opened as dlg_audit does,
 * nothing written)?  0 (also with no file configured) or -1. */
int dlg_audit_writable(const struct dlg_config *cfg);

/* The JSON line (without newline) for ev; heap string.  For tests. */
char *dlg_audit_json(const struct dlg_audit_event *ev);

#endif
