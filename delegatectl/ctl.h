/* delegatectl: shared declarations of the verbs and their small helpers. */
#ifndef DLG_CTL_H
#define DLG_CTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "decision/keys.h"
#include "ticket/ticket.h"

/* Size of the buffers ctl_read_ticket returns (wipe all of it). */
#define CTL_TICKET_BUF (DLG_TICKET_MAX + 4)

/* Exit codes of every verb (DESIGN.md §7). */
#define CTL_OK      0           /* success, admit */
#define CTL_DENY    1           /* deny, invalid config, ticket refused */
#define CTL_USAGE   2           /* usage or system error */

struct ctl_verb {
    const char *name;
    int (*run)(const struct ctl_verb *v, int argc, char **argv);
    const char *synopsis;       /* "Usage:" lines, without the program name prefix */
    const char *help;           /* the text after the synopsis for --help */
};

extern const struct ctl_verb ctl_verb_keygen, ctl_verb_issue, ctl_verb_inspect,
    ctl_verb_verify, ctl_verb_check_config, ctl_verb_revoke, ctl_verb_prune,
    ctl_verb_sessions, ctl_verb_askpass, ctl_verb_watch;
extern const struct ctl_verb ctl_verb_authkeys;
extern const struct ctl_verb ctl_verb_compile;   /* issue 13 */
extern const struct ctl_verb ctl_verb_feed;      /* issue 19: feed sign|fetch|status */
/* compile.c: where the compiled form of config goes (NULL: nowhere), and
 * the recompile that revoke and prune run after they wrote (warns only). */
const char *ctl_compiled_path(const char *config);
void ctl_compile_after_write(const struct ctl_verb *v, const char *config);

/* Messages: "delegatectl VERB: message" on stderr. */
void ctl_err(const struct ctl_verb *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctl_warn(const struct ctl_verb *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A usage error: the message, the verb's synopsis and a hint on stderr;
 * returns CTL_USAGE. */
int ctl_usage(const struct ctl_verb *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* --help: synopsis and help on stdout; returns CTL_OK. */
int ctl_help(const struct ctl_verb *v);

/* getopt_long() with our own messages.  Returns the option, -1 at the end,
 * or '?' after having printed a usage error (caller returns CTL_USAGE). */
int ctl_getopt(const struct ctl_verb *v, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* Split "a,b,c" into sv (empty items refused).  0 or -1. */
int ctl_split_list(const char *s, struct dlg_strv *sv);

/* The ticket from argument `arg` (NULL or "-" = stdin, one trailing newline
 * stripped).  The argument's bytes are wiped in place after the copy so the
 * ticket lingers less in /proc/PID/cmdline.  Heap buffer (wipe with
 * ctl_wipe_free).  Returns 0, or -1 after printing an error. */
int ctl_read_ticket(const struct ctl_verb *v, char *arg, char **out, size_t *len);
void ctl_wipe_free(char *buf, size_t len);

/* Load config and keyring.  Returns the config (NULL on errors, with the
 * diag lines filled).  kr may be NULL when no keys are needed. */
struct dlg_config *ctl_load_config(const char *path, struct dlg_keyring *kr,
                                   struct dlg_diag *diag);
/* Print every diag line on stderr: errors as they are, warnings marked. */
void ctl_print_diag(const struct dlg_diag *diag);

/* "in 14m", "3h ago": relative time for humans. */
void ctl_format_relative(int64_t t, int64_t now, char *buf, size_t len);

/* The sessions directory: $DELEGATE_SESSIONS_DIR or DLG_SESSIONS_DIR. */
const char *ctl_sessions_dir(void);

/* revoke --terminate: end the open sessions admitted with the revoked
 * authority.  Returns the number ended, -1 on a system error (printed). */
struct ctl_revocation;
int ctl_terminate_sessions(const struct ctl_verb *v, const struct ctl_revocation *r);

/* What `revoke` revokes (one kind per call). */
enum ctl_revoke_kind {
    CTL_REV_TICKET, CTL_REV_ACTOR, CTL_REV_PRINCIPAL, CTL_REV_ISSUER, CTL_REV_KEY,
    CTL_REV_ISSUED_BEFORE
};

struct ctl_revocation {
    enum ctl_revoke_kind kind;
    const char *value;          /* id / name; NULL for issued_before */
    int64_t time;               /* ticket: until; issued_before: the cutoff */
    const char *config;         /* the config (sessions.grace, audit), NULL: default */
};

/* Test seams of the session ending code (DELEGATE_TEST_NO_CGROUP_KILL=1:
 * behave as on a kernel without cgroup.kill); watch and revoke --terminate. */
void ctl_test_seams(void);

#endif
