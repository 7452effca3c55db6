/* Fuzz target: the decision behind a valid signature.  A ticket whose
 * signature is checked cannot be mutated into the policy code, so this
 * harness signs what the fuzzer writes with the fixture's private keys and
 * then decides.  Input: one flags byte, then either the claims JSON, or
 * header JSON NUL claims JSON.
 *   flags bits 0-1: 0 EdDSA/ed, 1 ES256/ec, 2 RS256/rsa, 3 PS256/rsa
 *   flags bits 2-3: header 0 {alg,typ dlg+jwt,kid}, 1 no kid,
 *                   2 {alg,typ JWT,kid a1}, 3 from the input when it has a NUL
 *   flags bits 4-5: request (see requests[])
 *   flags bit 6:    single-use state in a private dir (consumed, then reset) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_env.h"
#include "fuzz_oracle.h"
#include "decision/once.h"
#include "decision/policy.h"
#include "ticket/sign.h"
#include "ticket/ticket.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dlg_request requests[] = {
    { .user = "ci-deploy", .service = "sshd", .rhost = "10.1.2.3", .now = FUZZ_NOW,
      .ssh_key = ADV_KEY_A },
    { .user = "support-bot", .service = "sudo", .runas = "alice", .now = FUZZ_NOW },
    { .user = "support-bot", .service = "sshd", .rhost = "2001:db8::1", .now = FUZZ_NOW },
    { .user = "gone-bot", .service = "sshd", .rhost = "::ffff:10.9.9.9", .now = FUZZ_NOW },
};

static char *once_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env_get();
    once_dir = fuzz_env_path("once");
    return 0;
}

static void reset_once(const char *text, size_t len)
{
    struct dlg_ticket t;
    char name[65];
    char path[4200];

    if (dlg_ticket_parse(text, len, &t) != DLG_ADMIT)
        return;
    if (t.iss && t.jti && dlg_once_name(t.iss, t.jti, name) == 0) {
        snprintf(path, sizeof(path), "%s/%s", once_dir, name);
        unlink(path);
    }
    dlg_ticket_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const algs[] = {"EdDSA", "ES256", "RS256", "PS256"};
    static const char *const kids[] = {"ed", "ec", "rsa", "rsa"};
    struct fuzz_env *env = fuzz_env_get();
    EVP_PKEY *keys[4];
    struct dlg_request req;
    struct dlg_verdict v;
    char header[128], err[256];
    char *body, *claims, *nul, *ticket;
    const char *hdr = header;
    unsigned flags, which;
    enum dlg_reason r;

    if (size < 1 || size > DLG_TICKET_MAX)
        return 0;
    keys[0] = env->ed;
    keys[1] = env->ec;
    keys[2] = env->rsa;
    keys[3] = env->rsa;
    flags = data[0];
    which = flags & 3;
    body = malloc(size);
    if (!body)
        abort();
    memcpy(body, data + 1, size - 1);
    body[size - 1] = '\0';
    claims = body;
    nul = memchr(body, '\0', size - 1);
    switch ((flags >> 2) & 3) {
    case 0:
        snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"dlg+jwt\",\"kid\":\"%s\"}",
                 algs[which], kids[which]);
        break;
    case 1:
        snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"dlg+jwt\"}", algs[which]);
        break;
    case 2:
        snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"a1\"}", algs[which]);
        break;
    default:
        if (nul && nul < body + size - 1) {
            hdr = body;
            claims = nul + 1;
        } else {
            snprintf(header, sizeof(header), "{\"alg\":\"%s\"}", algs[which]);
        }
        break;
    }
    ticket = dlg_sign_compact(keys[which], algs[which], hdr, claims, err, sizeof(err));
    if (!ticket) {
        free(body);
        return 0;
    }
    req = requests[(flags >> 4) & 3];
    if (flags & 0x40) {
        req.once_dir = once_dir;
        req.consume_once = true;
    }
    r = dlg_decide_lazy(env->cfg, ticket, strlen(ticket), &req, &v, NULL);
    if (r == DLG_ADMIT)
        fuzz_check_admit(ticket, strlen(ticket), &req, &v);
    if (r != v.reason)
        abort();
    dlg_verdict_free(&v);
    if (r == DLG_ADMIT) {
        /* The account phase's re-check of what was just admitted. */
        r = dlg_decide_lazy(env->cfg, ticket, strlen(ticket), &req, &v, NULL);
        if (r == DLG_ADMIT && req.consume_once) {
            struct dlg_ticket t;
            if (dlg_ticket_parse(ticket, strlen(ticket), &t) == DLG_ADMIT) {
                if (t.once) {
                    fprintf(stderr, "ORACLE: a single-use ticket was admitted twice\n");
                    abort();
                }
                dlg_ticket_free(&t);
            }
        }
        if (r == DLG_ADMIT && dlg_recheck(env->cfg, &v, req.service, req.now) != DLG_ADMIT) {
            fprintf(stderr, "ORACLE: recheck refused a ticket just admitted\n");
            abort();
        }
        if (r == DLG_ADMIT && req.runas)
            (void)dlg_check_runas(env->cfg, &v, req.runas);
        dlg_verdict_free(&v);
    }
    if (req.once_dir)
        reset_once(ticket, strlen(ticket));
    free(ticket);
    free(body);
    return 0;
}
