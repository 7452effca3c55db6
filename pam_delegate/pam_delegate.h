/* Internals of pam_delegate.so: the PAM entry points are thin shims over the
 * shared decision code in common/.  Everything here has hidden visibility;
 * the version script exports only pam_sm_*. */
#ifndef PD_PAM_DELEGATE_H
#define PD_PAM_DELEGATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <security/pam_modules.h>

#include "util/paths.h"
#include "decision/policy.h"
#include "session/session.h"
#include "session/contain/contain.h"

/* Where auth leaves its verified result for a session phase that runs in
 * another process (sshd keyboard-interactive: auth in a child, session in
 * its parent).  Root-only, so no client can forge a record. */
#define PD_CARRY_DIR DLG_CARRY_DIR   /* paths.h */

/* Module arguments. */
struct pd_args {
    const char *config;         /* absolute path, default DLG_DEFAULT_CONFIG */
    bool config_invalid;        /* config= given but unusable (not absolute) */
    bool debug;
    bool use_first_pass;
    bool try_first_pass;
    /* issue 13: the compiled form to use while fresh (compiled=PATH; default
     * DLG_COMPILED_PATH for the default config, none for another); NULL: none */
    const char *compiled;
    bool compiled_invalid;      /* compiled= given but not absolute: ignored */
};

void pd_parse_args(pam_handle_t *pamh, int argc, const char **argv, struct pd_args *args);

/* The entry points: the only symbols the module exports (with the version
 * script; everything else is built with hidden visibility). */
#define PD_EXPORT __attribute__((visibility("default")))

/* Everything one call of an entry point needs; no static mutable state
 * (pam_delegate.c; the phases: auth.c, account.c, session.c). */
struct pd_ctx {
    pam_handle_t *pamh;
    struct pd_args args;
    const char *user, *ruser, *service, *rhost, *tty;
    struct dlg_config *cfg;     /* NULL: unusable config */
    bool cfg_owned;             /* else kept with the handle (pd_config_get) */
    struct dlg_diag diag;
    int64_t now;
};

/* A PAM string item, NULL when unset or empty. */
const char *pd_item_str(pam_handle_t *pamh, int type);
/* The call's items, arguments, time and config (kept with the handle). */
void pd_ctx_init(struct pd_ctx *c, pam_handle_t *pamh, int argc, const char **argv);
void pd_ctx_free(struct pd_ctx *c);
/* A user name for a log line: PAM_USER can be anything a client sent, so
 * every byte outside printable ASCII becomes '?' (DESIGN §8: nothing raw). */
const char *pd_loggable(const char *s, char *buf, size_t len);
/* The one clear log line of an unusable config. */
void pd_log_config_error(struct pd_ctx *c);
/* An audit event of this call.  Returns -1 when the audit file could not be
 * written: an admission that leaves no trace is refused by the callers
 * (fail closed for actors). */
int pd_audit(struct pd_ctx *c, const char *event, const struct dlg_verdict *v, const char *runas,
             enum dlg_reason reason);
/* A deny before any ticket was looked at. */
void pd_audit_deny(struct pd_ctx *c, enum dlg_reason reason);
/* The config is unusable, so nobody can tell who is an actor: root,
 * /etc/passwd users and users of other NSS sources are never blocked
 * (PAM_IGNORE, see pd_is_local_user); anyone else is refused with
 * deny_code, one log line and a config_error audit event. */
int pd_unusable_config(struct pd_ctx *c, const struct dlg_verdict *v, int deny_code);
/* Whether name is an actor: 1 yes, 0 no, -1 the config could not say (an
 * internal error, never read as "not an actor"). */
int pd_actor_state(struct pd_ctx *c, const char *name);
/* Someone who proved who they are some other way switches into an actor
 * account (root's "sudo -u ACTOR", a sudoers grant): not ours to block. */
bool pd_switched_in_by_other(struct pd_ctx *c);

/* The verified result of auth, kept with pam_set_data for the later phases
 * of the same process, and in a carry record for the session phase of the
 * parent process. */
struct pd_state {
    struct dlg_verdict v;       /* reason == DLG_ADMIT */
    char *user;                 /* PAM_USER at auth (the actor) */
    char *service;
    char *rhost;                /* NULL if none */
    int64_t created;
    char carry_name[64];        /* record this process wrote, "" if none */
    bool session_open;          /* session record written by this process */
    pid_t session_pid;
    uint64_t session_ticks;     /* its start time (keytrust.c names its marks so) */
    struct dlg_strv proved;     /* the ssh keys proven in this transaction (keybind.c) */
};

void pd_state_free(struct pd_state *st);
/* The state of this transaction, NULL if none. */
struct pd_state *pd_state_get(pam_handle_t *pamh);
/* Hand st to PAM (pam_set_data with cleanup).  On failure st is freed. */
int pd_state_set(pam_handle_t *pamh, struct pd_state *st);
/* Forget any state of this transaction, removing the carry record it wrote. */
void pd_state_drop(pam_handle_t *pamh);

/* Carry records (carry.c).  Written by auth, named "<target>-<writer>"
 * where target is the pid of the process expected to run the session. */
int pd_carry_write(pam_handle_t *pamh, struct pd_state *st, pid_t target, int64_t now);
void pd_carry_remove(const char *name);
/* Find a record for this process (getpid()) whose user is user (PAM_USER;
 * ruser is ignored, records are never matched through PAM_RUSER) and whose
 * service matches.  Records are written only for a parent whose uids are
 * all 0 (sshd's monitor).  consume: unlink it.  Returns a new state or
 * NULL. */
struct pd_state *pd_carry_find(pam_handle_t *pamh, const char *user, const char *ruser,
                               const char *service, int64_t now, bool consume);

/* The config at path for this phase (cfgcache.c): the one an earlier phase
 * of this PAM handle loaded, if none of its files changed since, else a
 * fresh load (then kept for the later phases).  NULL: unusable (diag).
 * *owned: the caller must dlg_config_free the result (it could not be
 * kept with the handle); otherwise PAM owns it until pam_end or a reload. */
struct dlg_config *pd_config_get(pam_handle_t *pamh, const char *path, struct dlg_diag *diag,
                                 bool *owned);
/* The same, first trying the compiled form cpath (may be NULL) while it
 * provably matches path; after a text load as root, cpath is rewritten. */
struct dlg_config *pd_config_get_compiled(pam_handle_t *pamh, const char *path, const char *cpath,
                                          struct dlg_diag *diag, bool *owned);

/* With an unusable config: is user "not ours" (never blocked)?  True for
 * root, for every user listed in /etc/passwd (read directly), and for a
 * user that another NSS source (LDAP, SSSD, extrausers) resolves while
 * nss_delegate, asked directly, has no entry for it (localuser.c). */
bool pd_is_local_user(const char *user);

/* Containment (contain.c).  Everything the session phase will need for an
 * actor: the audit file writable, the session record directory usable, a
 * session containable.  PAM_SUCCESS or PAM_PERM_DENIED (logged). */
int pd_session_preflight(pam_handle_t *pamh, const struct dlg_config *cfg, const char *user);
/* Move this process (the session leader) into a cell of its own
 * (session/contain/contain.h), inside or bound to the cell of the delegated
 * session it runs in, if any.  0, or -1 (logged: refuse the session). */
struct pd_contain_in {
    const char *service;
    int64_t now, exp;           /* the ticket's exp bounds the cell */
    int64_t tasks_max, grace;   /* sessions.tasks_max, sessions.grace */
};
struct pd_contain_out {
    struct dlg_cell cell;       /* logind cells are pending here */
    uint64_t ticks;             /* the leader's start time */
    char outer[128];            /* "SERVICE-PID" of the outer session, "" if none */
};
int pd_contain(pam_handle_t *pamh, const struct pd_contain_in *in, struct pd_contain_out *out);
/* At close: do processes other than this one (and its children) still run
 * in the cell of the session this process leads (leader = pid recorded at
 * open)?  A logind cell is resolved and its record rewritten first. */
bool pd_session_lingers(pam_handle_t *pamh, const char *service, pid_t leader);
/* pam_systemd is in the session stack of service (pamstack.c). */
bool pd_stack_runs_pam_systemd(const char *service);
/* The actor's home directory, made at its first login (home.c). */
struct dlg_config;
void pd_actor_home(pam_handle_t *pamh, const struct dlg_config *cfg, const char *actor);
/* The ssh keys the actor proved for this transaction (keybind.c; DESIGN.md
 * §3 rule 10), appended to out as "SHA256:..." fingerprints: for sshd's
 * services the publickey lines of SSH_AUTH_INFO_0, for sudo and su the keys
 * the delegated session they run in vouches for (keytrust.c), for any other
 * service none.  Returns how many, or -1 (out of memory, unreadable state:
 * out is then empty, so a bound ticket is refused). */
int pd_ssh_keys(pam_handle_t *pamh, const struct dlg_config *cfg, const char *service,
                const char *user, struct dlg_strv *out);

/* Same-uid sessions are not isolated (keytrust.c, issue 18 item 11).
 * pd_keytrust_vouched: the keys session s vouches for now (its proved keys,
 * minus every key that a session of the same actor, running as the actor,
 * did not vouch for while both were live).  0, or -1 with out empty.
 * pd_keytrust_note: after the record of a new session is written, mark it
 * and every live session of the same actor for the keys the other one does
 * not vouch for.  0, or -1 (logged: the session must be refused).
 * pd_keytrust_forget: its record is gone, so is its mark. */
int pd_keytrust_vouched(const struct dlg_session *s, struct dlg_strv *out);
int pd_keytrust_note(pam_handle_t *pamh, const struct dlg_session *me);
void pd_keytrust_forget(const char *service, pid_t pid, uint64_t start_ticks);

#endif
