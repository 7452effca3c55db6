/* Issuer public keys (OpenSSL 3).  Not for the NSS module. */
#ifndef DLG_KEYS_H
#define DLG_KEYS_H

#include <openssl/evp.h>
#include "ticket/alg.h"
#include "config/config.h"

struct dlg_loaded_key {
    const struct dlg_issuer *issuer;
    const struct dlg_key *key;
    EVP_PKEY *pkey;
    enum dlg_keytype type;
};

struct dlg_keyring {
    struct dlg_loaded_key *keys;
    size_t nkeys;
};

/* Load every issuer key file of cfg (trust-checked, PEM public keys only;
 * RSA keys must be >= 2048 bits).  0 on success; -1 with diag lines on any
 * failure (the keyring is then empty). */
int dlg_keyring_load(const struct dlg_config *cfg, struct dlg_keyring *kr, struct dlg_diag *diag);
void dlg_keyring_free(struct dlg_keyring *kr);

/* Load only the key that a ticket's iss and kid select, with the same
 * checks as dlg_keyring_load (kid NULL: only if the issuer has exactly one
 * key); no other key file is opened.  0: kr holds that one key; 1: no such
 * issuer or key in cfg (kr empty); -1: the selected key file is unusable
 * (diag lines; kr empty). */
int dlg_keyring_load_for(const struct dlg_config *cfg, const char *iss, const char *kid,
                         struct dlg_keyring *kr, struct dlg_diag *diag);

/* Trust-check every key file of cfg (owner, mode, path up to "/", a regular
 * file) without decoding any.  DESIGN.md §3: one unsafe key file makes the
 * whole config unusable, so the lazy decision calls this first.  0 ok, -1
 * with diag lines. */
int dlg_keyring_check_files(const struct dlg_config *cfg, struct dlg_diag *diag);

/* Find the key of issuer iss with kid (kid NULL: only if the issuer has
 * exactly one key). */
const struct dlg_loaded_key *dlg_keyring_find(const struct dlg_keyring *kr,
                                              const char *iss, const char *kid);

#endif
