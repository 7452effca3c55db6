/* The OpenSSL side of the algorithm table (alg.h): key types, ECDSA
 * signature forms, verify and sign.  Not for the NSS module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "ticket/alg.h"

#define RSA_MIN_BITS 2048

int dlg_alg_key_type(EVP_PKEY *pkey, const char **why)
{
    char group[64];
    size_t glen = 0;

    if (EVP_PKEY_is_a(pkey, "ED25519"))
        return DLG_KEY_ED25519;
    if (EVP_PKEY_is_a(pkey, "EC")) {
        if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1 ||
            OBJ_sn2nid(group) != NID_X9_62_prime256v1) {
            *why = "EC key is not on curve P-256";
            return -1;
        }
        return DLG_KEY_EC_P256;
    }
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        if (EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS) {
            *why = "RSA key shorter than 2048 bits";
            return -1;
        }
        return DLG_KEY_RSA;
    }
    *why = "unsupported key type (Ed25519, EC P-256 or RSA >= 2048 bits)";
    return -1;
}

static const EVP_MD *alg_md(const struct dlg_alg *a)
{
    return a->digest_len == 32 ? EVP_sha256() : NULL;
}

int dlg_alg_raw_to_der(const struct dlg_alg *a, const unsigned char *raw, size_t len,
                       unsigned char **der, size_t *derlen)
{
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    size_t half = a->sig_len / 2;
    int n, rc = -1;

    *der = NULL;
    *derlen = 0;
    if (!a->ecdsa || len != a->sig_len)
        return -1;
    r = BN_bin2bn(raw, (int)half, NULL);
    s = BN_bin2bn(raw + half, (int)half, NULL);
    es = ECDSA_SIG_new();
    if (!r || !s || !es || BN_is_zero(r) || BN_is_zero(s))
        goto out;
    if (ECDSA_SIG_set0(es, r, s) != 1)
        goto out;
    r = s = NULL;
    n = i2d_ECDSA_SIG(es, der);
    if (n > 0) {
        *derlen = (size_t)n;
        rc = 0;
    }
out:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return rc;
}

int dlg_alg_der_to_raw(const struct dlg_alg *a, const unsigned char *der, size_t derlen,
                       unsigned char *raw)
{
    const unsigned char *p = der;
    ECDSA_SIG *es;
    const BIGNUM *r, *s;
    int half = (int)(a->sig_len / 2), ok;

    if (!a->ecdsa)
        return -1;
    es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (!es)
        return -1;
    ECDSA_SIG_get0(es, &r, &s);
    ok = p == der + derlen && BN_bn2binpad(r, raw, half) == half &&
         BN_bn2binpad(s, raw + half, half) == half;
    ECDSA_SIG_free(es);
    return ok ? 0 : -1;
}

/* Signature copies and signing buffers are wiped before they are freed. */
static void free_wiped(void *p, size_t n)
{
    if (p) {
        explicit_bzero(p, n);
        free(p);
    }
}

/* PSS as RFC 7518 §3.5 has it: MGF1 with the same hash, salt = hash size. */
static int pss_setup(const struct dlg_alg *a, EVP_PKEY_CTX *pctx)
{
    if (!a->pss)
        return 0;
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, (int)a->digest_len) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg_md(a)) != 1)
        return -1;
    return 0;
}

static bool key_fits(const struct dlg_alg *a, EVP_PKEY *pkey)
{
    const char *why = NULL;

    return pkey && dlg_alg_key_type(pkey, &why) == (int)a->key;
}

bool dlg_alg_verify(const struct dlg_alg *a, EVP_PKEY *pkey, const unsigned char *data,
                    size_t len, const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *der = NULL;
    size_t derlen = 0;
    bool ok = false;

    if (!a || !key_fits(a, pkey))
        return false;
    if (siglen != (a->sig_len ? a->sig_len : (size_t)EVP_PKEY_get_size(pkey)))
        return false;
    if (a->ecdsa) {
        if (dlg_alg_raw_to_der(a, sig, siglen, &der, &derlen) != 0)
            goto out;
        sig = der;
        siglen = derlen;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestVerifyInit(ctx, &pctx, alg_md(a), NULL, pkey) != 1 ||
        pss_setup(a, pctx) != 0)
        goto out;
    ok = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
out:
    ERR_clear_error();
    OPENSSL_clear_free(der, derlen);   /* a signature copy: wiped (issue 11) */
    EVP_MD_CTX_free(ctx);
    return ok;
}

int dlg_alg_sign(const struct dlg_alg *a, EVP_PKEY *priv, const unsigned char *data, size_t len,
                 unsigned char **sig, size_t *siglen, char *err, size_t errlen)
{
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *buf = NULL;
    size_t blen = 0;
    int rc = -1;

    *sig = NULL;
    *siglen = 0;
    if (!a || !priv) {
        snprintf(err, errlen, "no key or algorithm");
        return -1;
    }
    if (!key_fits(a, priv)) {
        snprintf(err, errlen, "algorithm %s does not fit the key type", a->name);
        return -1;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestSignInit(ctx, &pctx, alg_md(a), NULL, priv) != 1 ||
        pss_setup(a, pctx) != 0) {
        snprintf(err, errlen, "%s: sign setup failed", a->name);
        goto out;
    }
    if (EVP_DigestSign(ctx, NULL, &blen, data, len) != 1 || !(buf = malloc(blen ? blen : 1)) ||
        EVP_DigestSign(ctx, buf, &blen, data, len) != 1) {
        snprintf(err, errlen, "%s: signing failed", a->name);
        goto out;
    }
    if (a->ecdsa) {
        unsigned char *raw = malloc(a->sig_len);

        if (!raw || dlg_alg_der_to_raw(a, buf, blen, raw) != 0) {
            free_wiped(raw, a->sig_len);
            snprintf(err, errlen, "bad ECDSA signature encoding");
            goto out;
        }
        free_wiped(buf, blen);
        buf = raw;
        blen = a->sig_len;
    }
    *sig = buf;
    *siglen = blen;
    buf = NULL;
    rc = 0;
out:
    ERR_clear_error();
    free_wiped(buf, blen);
    EVP_MD_CTX_free(ctx);
    return rc;
}
