/* Fuzz target: a ticket as it arrives from the PAM conversation.  Parses,
 * decodes for inspect, and decides against the fixed config and keys for
 * three kinds of request (sshd with a source, sudo with runas, sshd over
 * IPv6). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_env.h"
#include "fuzz_oracle.h"
#include "decision/policy.h"
#include "ticket/ticket.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dlg_request requests[] = {
    { .user = "ci-deploy", .service = "sshd", .rhost = "10.1.2.3", .now = FUZZ_NOW },
    { .user = "support-bot", .service = "sudo", .runas = "alice", .now = FUZZ_NOW },
    { .user = "support-bot", .service = "sshd", .rhost = "2001:db8::1", .now = FUZZ_NOW },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env_get();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_env *env = fuzz_env_get();
    const char *text = (const char *)data;
    struct dlg_ticket t;
    char *h = NULL, *c = NULL;
    size_t i;

    if (dlg_ticket_parse(text, size, &t) == DLG_ADMIT)
        dlg_ticket_free(&t);
    if (dlg_ticket_decode_json(text, size, &h, &c) == 0) {
        free(h);
        free(c);
    }
    for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        struct dlg_verdict v;
        enum dlg_reason r = dlg_decide_lazy(env->cfg, text, size, &requests[i], &v, NULL);

        if (r == DLG_ADMIT)
            fuzz_check_admit(text, size, &requests[i], &v);
        if (r != v.reason)
            abort();
        if (dlg_reason_str(r) == NULL)
            abort();
        dlg_verdict_free(&v);
    }
    return 0;
}
