/* The algorithm table (alg.h).  Plain C: the NSS module links it. */
#include <string.h>

#include "ticket/alg.h"

const struct dlg_alg dlg_algs[] = {
    { "EdDSA", "Ed25519", DLG_KEY_ED25519, 0, false, false, 64 },
    { "ES256", NULL, DLG_KEY_EC_P256, 32, false, true, 64 },
    { "RS256", NULL, DLG_KEY_RSA, 32, false, false, 0 },
    { "PS256", NULL, DLG_KEY_RSA, 32, true, false, 0 },
};
const size_t dlg_nalgs = sizeof(dlg_algs) / sizeof(dlg_algs[0]);

const struct dlg_alg *dlg_alg_find(const char *name)
{
    size_t i;

    if (!name)
        return NULL;
    for (i = 0; i < dlg_nalgs; i++)
        if (strcmp(name, dlg_algs[i].name) == 0 ||
            (dlg_algs[i].alias && strcmp(name, dlg_algs[i].alias) == 0))
            return &dlg_algs[i];
    return NULL;
}

const struct dlg_alg *dlg_alg_for_key(enum dlg_keytype type)
{
    size_t i;

    for (i = 0; i < dlg_nalgs; i++)
        if (dlg_algs[i].key == type)
            return &dlg_algs[i];
    return NULL;
}
