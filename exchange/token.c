/* CI ID tokens (GitHub Actions, GitLab CI): compact JWS, RS256 or ES256,
 * signed by a key of the provider's JWKS; exact iss, exact aud, exp, nbf
 * and iat within X_SKEW; a jti.  The signature is checked before any claim
 * is believed (and before a claim reaches the audit trail). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket/alg.h"
#include "ticket/ticket.h"
#include "xchg.h"

static json_t *decode_part(const char *p, size_t n)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    json_t *j = NULL;

    if (dlg_b64url_decode(p, n, &raw, &len) != 0)
        return NULL;
    j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

const char *x_claim_str(const json_t *claims, const char *name)
{
    return json_string_value(json_object_get(claims, name));
}

void x_token_free(struct x_token *t)
{
    json_decref(t->claims);
    free(t->kid);
    free(t->alg);
    memset(t, 0, sizeof(*t));
}

static bool aud_has(const json_t *aud, const char *want)
{
    size_t i;
    json_t *e;

    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    json_array_foreach(aud, i, e)
        if (json_is_string(e) && strcmp(json_string_value(e), want) == 0)
            return true;
    return false;
}

/* An integer NumericDate member: 1 present, 0 absent, -1 wrong type. */
static int get_time(const json_t *claims, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(claims, name);

    if (!v)
        return 0;
    if (!json_is_integer(v))
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 1;
}

static enum x_reason check_header(const json_t *hdr, const struct dlg_alg **alg, char *why,
                                  size_t whylen)
{
    static const char *const refused[] = { "jku", "jwk", "x5u", "x5c", "crit", NULL };
    const char *a = json_string_value(json_object_get(hdr, "alg"));
    const char *kid = json_string_value(json_object_get(hdr, "kid"));

    if (!a || (strcmp(a, "RS256") != 0 && strcmp(a, "ES256") != 0)) {
        snprintf(why, whylen, "token alg %.16s%s is not RS256 or ES256", a ? a : "(none)",
                 a && strlen(a) > 16 ? "..." : "");
        return XR_UNSUPPORTED_ALG;
    }
    *alg = dlg_alg_find(a);
    for (const char *const *h = refused; *h; h++)
        if (json_object_get(hdr, *h)) {
            snprintf(why, whylen, "header \"%s\" refused: keys come only from the provider's JWKS", *h);
            return XR_BAD_TOKEN;
        }
    if (!kid || !kid[0]) {
        snprintf(why, whylen, "the token names no kid");
        return XR_UNKNOWN_KEY;
    }
    return XR_OK;
}

static enum x_reason check_times(const json_t *claims, int64_t now, int64_t *exp, char *why,
                                 size_t whylen)
{
    int64_t iat = 0, nbf = 0;
    int he = get_time(claims, "exp", exp), hi = get_time(claims, "iat", &iat);
    int hn = get_time(claims, "nbf", &nbf);

    if (he != 1 || hi != 1 || hn < 0) {
        snprintf(why, whylen, "exp and iat must be integers (nbf too, if present)");
        return XR_BAD_TOKEN;
    }
    if (dlg_time_sub(now, X_SKEW) >= *exp) {
        snprintf(why, whylen, "expired %llds ago", (long long)dlg_time_sub(now, *exp));
        return XR_EXPIRED;
    }
    if (hn && nbf > dlg_time_add(now, X_SKEW)) {
        snprintf(why, whylen, "not valid before nbf, %llds from now", (long long)dlg_time_sub(nbf, now));
        return XR_NOT_YET_VALID;
    }
    if (iat > dlg_time_add(now, X_SKEW)) {
        snprintf(why, whylen, "issued in the future (iat %llds from now)", (long long)dlg_time_sub(iat, now));
        return XR_NOT_YET_VALID;
    }
    return XR_OK;
}

/* The provider whose issuer is the token's iss, NULL if none. */
static struct x_provider *find_provider(struct x_config *cfg, const json_t *claims)
{
    const char *iss = x_claim_str(claims, "iss");

    for (size_t i = 0; iss && i < cfg->nproviders; i++)
        if (strcmp(cfg->providers[i].issuer, iss) == 0)
            return &cfg->providers[i];
    return NULL;
}

/* The key of the header's kid, of a type that fits alg, and the signature
 * over header.payload checked with it. */
static enum x_reason check_signature(struct x_provider *p, const json_t *hdr,
                                     const struct dlg_alg *alg, const struct dlg_jws_parts *jws,
                                     int64_t now, char *why, size_t whylen)
{
    EVP_PKEY *key = NULL;
    char *jwk_alg = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    enum x_reason r;

    r = x_jwks_key(p, json_string_value(json_object_get(hdr, "kid")), now, &key, &jwk_alg, why,
                   whylen);
    if (r != XR_OK)
        goto out;
    if ((jwk_alg && strcmp(jwk_alg, alg->name) != 0) ||
        (alg->key == DLG_KEY_RSA) != EVP_PKEY_is_a(key, "RSA")) {
        snprintf(why, whylen, "alg %s does not fit the key of that kid", alg->name);
        r = XR_UNSUPPORTED_ALG;
        goto out;
    }
    if (dlg_b64url_decode(jws->sig, jws->sig_len, &sig, &siglen) != 0 ||
        !dlg_alg_verify(alg, key, (const unsigned char *)jws->header,
                        jws->header_len + 1 + jws->payload_len, sig, siglen)) {
        snprintf(why, whylen, "bad signature");
        r = XR_BAD_TOKEN;
    }
out:
    free(sig);
    free(jwk_alg);
    EVP_PKEY_free(key);
    return r;
}

/* The claims of a token whose signature verified: this deployment's aud,
 * the times, a usable jti. */
static enum x_reason check_claims(const struct x_provider *p, const json_t *claims, int64_t now,
                                  int64_t *exp, char *why, size_t whylen)
{
    enum x_reason r;

    if (!aud_has(json_object_get(claims, "aud"), p->audience)) {
        snprintf(why, whylen, "aud is not this deployment's audience");
        return XR_WRONG_AUDIENCE;
    }
    r = check_times(claims, now, exp, why, whylen);
    if (r != XR_OK)
        return r;
    if (!dlg_valid_name_token(x_claim_str(claims, "jti"))) {
        snprintf(why, whylen, "no usable jti (1 to 128 printable characters)");
        return XR_BAD_TOKEN;
    }
    return XR_OK;
}

enum x_reason x_token_verify(struct x_config *cfg, const char *text, size_t len, int64_t now,
                             struct x_token *t, char *why, size_t whylen)
{
    struct dlg_jws_parts jws;
    json_t *hdr = NULL, *claims = NULL;
    const struct dlg_alg *alg = NULL;
    struct x_provider *p = NULL;
    enum x_reason r;
    bool verified = false;

    memset(t, 0, sizeof(*t));
    why[0] = '\0';
    if (len == 0 || len > X_TOKEN_MAX || memchr(text, '\0', len)) {
        snprintf(why, whylen, "token empty or longer than %d bytes", X_TOKEN_MAX);
        return XR_BAD_TOKEN;
    }
    if (dlg_jws_split(text, len, &jws) != 0 || jws.header_len == 0 || jws.payload_len == 0) {
        snprintf(why, whylen, "not a compact JWS (header.payload.signature)");
        return XR_BAD_TOKEN;
    }
    hdr = decode_part(jws.header, jws.header_len);
    claims = decode_part(jws.payload, jws.payload_len);
    if (!hdr || !claims) {
        snprintf(why, whylen, "header or payload is not base64url JSON (one object, no duplicate keys)");
        r = XR_BAD_TOKEN;
        goto out;
    }
    r = check_header(hdr, &alg, why, whylen);
    if (r != XR_OK)
        goto out;
    p = find_provider(cfg, claims);
    if (!p) {
        snprintf(why, whylen, "iss is not the issuer of any provider");
        r = XR_WRONG_ISSUER;
        goto out;
    }
    r = check_signature(p, hdr, alg, &jws, now, why, whylen);
    if (r != XR_OK)
        goto out;
    /* from here on the claims are the provider's */
    verified = true;
    r = check_claims(p, claims, now, &t->exp, why, whylen);
    if (r != XR_OK)
        goto out;
    t->jti = x_claim_str(claims, "jti");
    t->provider = p;
    t->claims = claims;
    claims = NULL;
    t->alg = strdup(alg->name);
    t->kid = strdup(json_string_value(json_object_get(hdr, "kid")));
    if (!t->alg || !t->kid) {
        x_token_free(t);
        snprintf(why, whylen, "out of memory");
        r = XR_INTERNAL;
    }
out:
    if (r != XR_OK && verified) {
        /* signed by the provider but refused (audience, times, jti): the
         * claims go to the audit trail; the caller frees *t either way */
        t->claims = claims;
        t->provider = p;
        claims = NULL;
    }
    json_decref(hdr);
    json_decref(claims);
    return r;
}
