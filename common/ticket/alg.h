/* The JWS signature algorithms of DESIGN.md §2, in one table: name, the
 * key type each needs, the digest, PSS or not, the raw signature size, and
 * the raw <-> DER conversion of ECDSA signatures.  The signer (sign.c), the
 * ticket parser (ticket.c), config validation (config.c) and the verifier
 * read it; nothing else names an algorithm.
 *
 * alg.c (the table) is plain C, linked into the NSS module with config.c;
 * alg_crypto.c (the OpenSSL helpers) is not. */
#ifndef DLG_ALG_H
#define DLG_ALG_H

#include <stdbool.h>
#include <stddef.h>

enum dlg_keytype { DLG_KEY_ED25519, DLG_KEY_EC_P256, DLG_KEY_RSA };

struct dlg_alg {
    const char *name;           /* the JWS "alg" value */
    const char *alias;          /* another name for the same algorithm, or NULL
                                 * (RFC 9864 "Ed25519" for EdDSA over Ed25519) */
    enum dlg_keytype key;       /* the only key type it may be used with */
    size_t digest_len;          /* SHA-256: 32; 0 = no separate digest (Ed25519) */
    bool pss;                   /* RSASSA-PSS, MGF1 with the same digest, salt
                                 * length = digest length (RFC 7518 §3.5) */
    bool ecdsa;                 /* JWS carries r||s; OpenSSL wants DER */
    size_t sig_len;             /* raw JWS signature bytes; 0 = the RSA modulus size */
};

/* The supported algorithms; the first is the default (EdDSA). */
extern const struct dlg_alg dlg_algs[];
extern const size_t dlg_nalgs;
#define DLG_ALG_DEFAULT (dlg_algs[0].name)

/* By name or alias, case-sensitively (RFC 7515 §4.1.1); NULL for anything
 * else, "none" and every HS* included. */
const struct dlg_alg *dlg_alg_find(const char *name);

/* The algorithm a key of this type signs with unless told otherwise:
 * EdDSA, ES256, RS256. */
const struct dlg_alg *dlg_alg_for_key(enum dlg_keytype type);

/* ---- alg_crypto.c (OpenSSL) ------------------------------------------- */
struct evp_pkey_st;             /* EVP_PKEY */

/* The supported key type of pkey (Ed25519, EC P-256, RSA >= 2048 bits), or
 * -1 with *why set. */
int dlg_alg_key_type(struct evp_pkey_st *pkey, const char **why);

/* ECDSA: JWS r||s (sig_len bytes) -> DER ECDSA-Sig-Value; heap *der.
 * 0 or -1 (wrong length, r or s zero). */
int dlg_alg_raw_to_der(const struct dlg_alg *a, const unsigned char *raw, size_t len,
                       unsigned char **der, size_t *derlen);
/* ECDSA: DER ECDSA-Sig-Value -> r||s, each left-padded to sig_len / 2;
 * raw must hold sig_len bytes.  0 or -1. */
int dlg_alg_der_to_raw(const struct dlg_alg *a, const unsigned char *der, size_t derlen,
                       unsigned char *raw);

/* Verify a JWS signature (raw form) over data with a public key of the
 * algorithm's type.  false on any mismatch or error. */
bool dlg_alg_verify(const struct dlg_alg *a, struct evp_pkey_st *pkey, const unsigned char *data,
                    size_t len, const unsigned char *sig, size_t siglen);

/* Sign data, giving the raw JWS form; heap *sig.  0, or -1 with err. */
int dlg_alg_sign(const struct dlg_alg *a, struct evp_pkey_st *priv, const unsigned char *data,
                 size_t len, unsigned char **sig, size_t *siglen, char *err, size_t errlen);

#endif
