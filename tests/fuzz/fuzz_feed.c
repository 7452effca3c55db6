/* Fuzz target: a revocation feed (DESIGN.md §6a, common/feed/feed_jws.c).
 * The input is used twice: as a whole feed text as it comes from a web
 * server (the envelope, the header, the signature check), and as the
 * payload of a feed signed with the fixture's Ed25519 key, so that the
 * strict payload parser is reached past the signature.  Oracle: a payload
 * that verifies signs again (dlg_feed_sign) into a feed that verifies to the
 * very same revocations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed/feed.h"
#include "fuzz_env.h"
#include "ticket/sign.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *pub;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char *path, err[256];

    (void)argc;
    (void)argv;
    fuzz_env_get();
    path = fuzz_env_path("ed.pub");
    pub = dlg_feed_key_load(path, NULL, 0, err, sizeof(err));
    free(path);
    if (pub == NULL) {
        fprintf(stderr, "fuzz_feed: %s\n", err);
        abort();
    }
    return 0;
}

static void same_revs(const struct dlg_feed_revs *a, const struct dlg_feed_revs *b)
{
    if (a->ntickets != b->ntickets || a->actors.n != b->actors.n ||
        a->principals.n != b->principals.n || a->issuers.n != b->issuers.n ||
        a->keys.n != b->keys.n || a->has_issued_before != b->has_issued_before ||
        a->issued_before != b->issued_before)
        abort();
    for (size_t i = 0; i < a->ntickets; i++)
        if (strcmp(a->tickets[i].id, b->tickets[i].id) != 0 ||
            a->tickets[i].until != b->tickets[i].until)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_env *env = fuzz_env_get();
    struct dlg_feed_doc d, d2;
    char err[256], *payload, *text, *again;
    int64_t ver;

    if (dlg_feed_verify((const char *)data, size, "corp", pub, FUZZ_NOW, &d, err, sizeof(err)) == 0)
        dlg_feed_doc_free(&d);
    (void)dlg_feed_peek_ver((const char *)data, size, &ver, err, sizeof(err));

    payload = malloc(size + 1);
    if (payload == NULL)
        return 0;
    memcpy(payload, data, size);
    payload[size] = '\0';
    text = dlg_sign_compact(env->ed, "EdDSA", "{\"alg\":\"EdDSA\",\"typ\":\"dlg-feed+jwt\"}",
                            payload, err, sizeof(err));
    free(payload);
    if (text == NULL)
        return 0;
    if (dlg_feed_verify(text, strlen(text), "corp", pub, FUZZ_NOW, &d, err, sizeof(err)) == 0) {
        again = dlg_feed_sign(env->ed, d.iss, d.ver, d.iat, d.exp, &d.revs, err, sizeof(err));
        if (again == NULL ||
            dlg_feed_verify(again, strlen(again), "corp", pub, FUZZ_NOW, &d2, err, sizeof(err)) != 0)
            abort();
        if (d2.ver != d.ver || d2.iat != d.iat || d2.exp != d.exp)
            abort();
        same_revs(&d.revs, &d2.revs);
        dlg_feed_doc_free(&d2);
        dlg_feed_doc_free(&d);
        free(again);
    }
    free(text);
    return 0;
}
