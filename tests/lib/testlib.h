/* Helpers for the unit and PAM tests: trusted temp dirs, keys of every
 * type, config files, and tickets minted from raw JSON, including
 * deliberately broken ones.  Every helper aborts the test program on a
 * setup failure (it is never the thing under test). */
#ifndef DLG_TESTLIB_H
#define DLG_TESTLIB_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "config/config.h"

/* mkdtemp("/tmp/dlgtest.XXXXXX"), chmod 0755 (root-owned, so trusted). */
char *tl_mkdtemp(void);
/* rm -rf of a directory made by tl_mkdtemp (refuses paths outside /tmp/). */
void tl_rmtree(const char *path);
/* "dir/name" on the heap. */
char *tl_path(const char *dir, const char *name);
/* Write text to dir/name with mode; returns the heap path. */
char *tl_write_file(const char *dir, const char *name, const char *text, mode_t mode);
/* Read a whole file (NUL-terminated heap string), NULL if unreadable. */
char *tl_read_file(const char *path, size_t *len);

/* Keys: "ed25519", "p256", "rsa2048" (also "p384", "rsa1024" for refusals).
 * Generated once per type and process, then shared: do not free. */
EVP_PKEY *tl_key(const char *type);
/* A fresh key of that type (caller frees). */
EVP_PKEY *tl_new_key(const char *type);
/* dir/name.pub (PEM public, 0644) and dir/name.key (PEM private, 0600). */
char *tl_write_pub(const char *dir, const char *name, EVP_PKEY *k);
char *tl_write_priv(const char *dir, const char *name, EVP_PKEY *k);
/* PEM text of the public key (heap). */
char *tl_pub_pem(EVP_PKEY *k, size_t *len);

/* Load a config; on failure prints its diagnostics to stderr, returns NULL. */
struct dlg_config *tl_load_config(const char *path);

/* Compact JSON of j (heap). */
char *tl_json(json_t *j);

/* The default good claim set: iss "corp", sub "alice",
 * act {"sub":"ci-deploy"}, aud "web01", svc ["sshd"], iat now,
 * exp now + 300, jti "tl-<n>" (unique per call).  Caller decrefs. */
json_t *tl_claims(int64_t now);

/* A ticket from header {"alg":alg,"typ":"dlg+jwt","kid":kid} (kid NULL:
 * omitted) and claims, signed for real with k. Heap string. */
char *tl_mint(EVP_PKEY *k, const char *alg, const char *kid, json_t *claims);

/* A ticket from raw header and claims texts.  sign_as:
 *   "EdDSA", "Ed25519", "ES256", "RS256", "PS256": a real signature with k;
 *   "HS256-pub": HMAC-SHA256 keyed with k's public key PEM (the classic
 *                alg confusion attack);
 *   "zero64":    64 zero bytes (ECDSA r = s = 0);
 *   "junk":      64 bytes that are no signature;
 *   "strip":     an empty signature part ("h.p.").
 * Heap string. */
char *tl_mint_raw(EVP_PKEY *k, const char *sign_as, const char *header_json,
                  const char *claims_json);

/* base64url of a text (heap). */
char *tl_b64(const char *text);

#endif
