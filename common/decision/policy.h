/* The decision (DESIGN.md §3): one function, time passed in. */
#ifndef DLG_POLICY_H
#define DLG_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "decision/keys.h"
#include "ticket/reason.h"
#include "ticket/ticket.h"

struct dlg_request {
    const char *user;           /* PAM_USER at auth (the actor) */
    const char *service;        /* PAM_SERVICE */
    const char *rhost;          /* PAM_RHOST, NULL if unset */
    const char *runas;          /* target user when it differs from user, else NULL */
    int64_t now;
    /* single-use handling: if once_dir is NULL, single-use tickets are
     * checked but never consumed (delegatectl verify). */
    const char *once_dir;
    bool consume_once;
    /* The ssh keys the actor proved (DESIGN.md §3 rule 10), "SHA256:..."
     * fingerprints: ssh_key one key (delegatectl verify --ssh-key), ssh_keys
     * every key (PAM: sshd's SSH_AUTH_INFO_0, or for sudo and su the keys
     * the delegated session they run in vouches for).  A bound ticket is
     * admitted when its cnf equals any of them; NULL or empty: none. */
    const char *ssh_key;
    const struct dlg_strv *ssh_keys;
};

/* Verified facts for audit and the session phase.  Strings are owned copies
 * (free with dlg_verdict_free); fields may be NULL when the ticket did not get
 * far enough to know them. */
struct dlg_verdict {
    enum dlg_reason reason;
    char *iss, *kid, *sub, *actor, *jti;
    int64_t iat, exp;
    struct dlg_strv runas;      /* effective ticket runas (default [sub]) */
    char detail[160];           /* one line for logs: never ticket text */
    char *cnf_ssh;              /* the ticket's cnf.ssh (verified), or NULL */
};

/* Decide (the one entry point: PAM, delegatectl verify, the tests).  cfg
 * NULL (unusable config) gives DLG_CONFIG_ERROR.  Every key file is
 * trust-checked first (one unsafe key file makes the config unusable);
 * only the key file that the ticket's iss/kid select is read
 * (dlg_keyring_load_for), after the issuer, alg and typ checks; no other
 * issuer's key file is opened.  The selected key file unusable gives
 * DLG_CONFIG_ERROR with its diagnostic in diag (may be NULL). */
enum dlg_reason dlg_decide_lazy(const struct dlg_config *cfg, const char *ticket,
                                size_t ticket_len, const struct dlg_request *req,
                                struct dlg_verdict *out, struct dlg_diag *diag);
void dlg_verdict_free(struct dlg_verdict *v);

/* Re-check a previously admitted verdict against the config as it is now
 * (account, session open, watch): the issuer and its key still configured,
 * expiry (with skew), the actor still configured and not revoked, the
 * service and the principal still allowed by actor and issuer, a bound
 * ticket (v->cnf_ssh) where the actor now has key_binding = "required",
 * revocations, and last whether a revocation feed is stale (DLG_FEED_STALE
 * only when nothing else applies: watch ends a session for it only under
 * on_stale = "end").  Returns DLG_ADMIT or a reason. */
enum dlg_reason dlg_recheck(const struct dlg_config *cfg, const struct dlg_verdict *v,
                            const char *service, int64_t now);

/* runas check (DESIGN.md §3 rule 7), for the session phase and for
 * dlg_decide/dlg_decide_lazy when req->runas is set: the target must be in
 * the ticket's runas (default [sub]), in the actor's runas (default: only
 * the ticket's sub) and allowed by the issuer's principals; exact names,
 * no wildcard. */
enum dlg_reason dlg_check_runas(const struct dlg_config *cfg, const struct dlg_verdict *v,
                                const char *target);

#endif
