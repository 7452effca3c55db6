/* An independent check of every admission the fuzzers see: an input that
 * dlg_decide_lazy admits must, re-read by the parser, satisfy the fixture's
 * policy on its face.  A failure here is a wrong PAM_SUCCESS: abort so that
 * libFuzzer records the input. */
#ifndef DLG_FUZZ_ORACLE_H
#define DLG_FUZZ_ORACLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalogue.h"
#include "fuzz_env.h"
#include "decision/policy.h"
#include "ticket/ticket.h"

static void oracle_fail(const char *why)
{
    fprintf(stderr, "ORACLE: admitted a ticket that %s\n", why);
    abort();
}

static void fuzz_check_admit(const char *text, size_t len, const struct dlg_request *req,
                             const struct dlg_verdict *v)
{
    struct dlg_ticket t;

    if (dlg_ticket_parse(text, len, &t) != DLG_ADMIT)
        oracle_fail("does not parse");
    if (!t.actor || strcmp(t.actor, req->user) != 0)
        oracle_fail("names another actor");
    if (!v->actor || strcmp(v->actor, req->user) != 0)
        oracle_fail("gave a verdict for another actor");
    if (!dlg_strv_contains(&t.svc, req->service))
        oracle_fail("lacks the service");
    if (!dlg_strv_contains_icase(&t.aud, "web01") && !dlg_strv_contains_icase(&t.aud, "web01.example.com"))
        oracle_fail("is for another host");
    if (t.exp <= req->now - 60 || t.iat > req->now + 60 || (t.has_nbf && t.nbf > req->now + 60))
        oracle_fail("is outside its validity window");
    if (t.exp - t.iat > 3600)
        oracle_fail("lives too long");
    if (!t.jti || strcmp(t.jti, "revoked-1") == 0 || !dlg_valid_jti(t.jti))
        oracle_fail("has a revoked or invalid jti");
    if (!t.sub || strcmp(t.sub, "mallory") == 0)
        oracle_fail("has a revoked principal");
    if (t.kid && strcmp(t.kid, "k-old") == 0)
        oracle_fail("uses a revoked key");
    if (t.iat < ADV_ISSUED_BEFORE)
        oracle_fail("was issued before revoke.issued_before");
    if (strcmp(req->user, "gone-bot") == 0)
        oracle_fail("is for a revoked actor");
    if (!t.iss || (strcmp(t.iss, "corp") != 0 && strcmp(t.iss, "alice") != 0))
        oracle_fail("comes from an unusable issuer");
    if (strcmp(t.iss, "alice") == 0 && strcmp(t.sub, "alice") != 0)
        oracle_fail("exceeds its issuer's principals");
    if (strcmp(t.alg, "none") == 0 || strncasecmp(t.alg, "HS", 2) == 0)
        oracle_fail("has no real signature");
    if (req->rhost == NULL && strcmp(req->user, "ci-deploy") == 0)
        oracle_fail("has no source for an actor with sources");
    if (t.has_src && req->rhost == NULL)
        oracle_fail("has src but no rhost");
    if (t.cnf_ssh && (!req->ssh_key || strcmp(t.cnf_ssh, req->ssh_key) != 0))
        oracle_fail("is bound to an ssh key the actor did not use");
    if (!t.cnf_ssh && strcmp(req->user, "ci-strict") == 0)
        oracle_fail("is unbound for an actor with key_binding required");
    dlg_ticket_free(&t);
}

#endif
