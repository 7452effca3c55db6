/* Minting tickets (the issuer's side): key generation, private key files and
 * compact JWS signing with EdDSA, ES256, RS256 or PS256.  Used by
 * `delegatectl keygen` and `issue` and by the tests; never by the modules'
 * decision path.  Not for the NSS module. */
#ifndef DLG_SIGN_H
#define DLG_SIGN_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

/* Generate a key: "ed25519", "p256" (also "p384" and "rsa"/"rsaBITS", e.g.
 * "rsa2048", for tests).  NULL with err on failure. */
EVP_PKEY *dlg_keygen(const char *type, char *err, size_t errlen);

/* The natural alg for a key: "EdDSA", "ES256", "RS256"; NULL if none. */
const char *dlg_key_default_alg(EVP_PKEY *key);

/* Write PEM files, refusing to overwrite (O_CREAT|O_EXCL|O_NOFOLLOW): the
 * private key as unencrypted PKCS#8 with mode 0600, the public key as
 * SubjectPublicKeyInfo with mode 0644.  0 or -1 with err. */
int dlg_write_private_key(const char *path, EVP_PKEY *key, char *err, size_t errlen);
int dlg_write_public_key(const char *path, EVP_PKEY *key, char *err, size_t errlen);

/* Load an unencrypted PEM private key.  Like ssh, a file readable or
 * writable by group or others is refused.  NULL with err on failure. */
EVP_PKEY *dlg_load_private_key(const char *path, char *err, size_t errlen);

/* JWS signature over data (raw r||s for ES256).  alg must fit the key
 * ("Ed25519" is accepted as "EdDSA").  0 or -1 with err; *sig is heap. */
int dlg_sign_data(EVP_PKEY *priv, const char *alg, const unsigned char *data, size_t len,
                  unsigned char **sig, size_t *siglen, char *err, size_t errlen);

/* Compact JWS over the exact header and claims texts given. Heap string. */
char *dlg_sign_compact(EVP_PKEY *priv, const char *alg, const char *header_json,
                       const char *claims_json, char *err, size_t errlen);

/* A ticket: header {"alg","typ","kid"} (typ NULL = "dlg+jwt", "" = omitted;
 * kid NULL = omitted) and the claims object, both compact JSON.  Heap
 * string, or NULL with err. */
char *dlg_sign_ticket(EVP_PKEY *priv, const char *alg, const char *kid, const char *typ,
                      json_t *claims, char *err, size_t errlen);

#endif
