/* The providers' signing keys (JWKS, RFC 7517): fetched over HTTPS with
 * libcurl (or read from jwks_file), cached for max_age, refetched at most
 * once a minute when a token names a kid the cache lacks (a rotation), and
 * never trusted from a token (no jku, jwk, x5u, x5c: token.c refuses them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "ticket/alg.h"
#include "ticket/ticket.h"
#include "xchg.h"

#define NEVER INT64_MIN

struct x_jwks {
    pthread_mutex_t mu;
    struct x_jwk *keys;
    size_t n;
    bool have;                  /* a usable key set is cached */
    int64_t fetched_at;         /* last successful fetch */
    int64_t last_unknown;       /* last refetch for an unknown kid */
    int64_t last_fail;          /* last failed fetch */
    unsigned long fetches;
};

/* ---- parsing ---------------------------------------------------------------- */

static BIGNUM *b64_bn(const json_t *jwk, const char *name, size_t want_len)
{
    const char *s = json_string_value(json_object_get(jwk, name));
    unsigned char *raw = NULL;
    size_t len = 0;
    BIGNUM *bn = NULL;

    if (!s || dlg_b64url_decode(s, strlen(s), &raw, &len) != 0 || len == 0 ||
        (want_len && len != want_len))
        goto out;
    bn = BN_bin2bn(raw, (int)len, NULL);
out:
    free(raw);
    return bn;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *key = NULL;

    if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static EVP_PKEY *rsa_key(const json_t *jwk)
{
    BIGNUM *n = b64_bn(jwk, "n", 0), *e = b64_bn(jwk, "e", 0);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *key = NULL;

    if (n && e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
        key = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return key;
}

static EVP_PKEY *ec_key(const json_t *jwk)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *xs = json_string_value(json_object_get(jwk, "x"));
    const char *ys = json_string_value(json_object_get(jwk, "y"));
    unsigned char *x = NULL, *y = NULL, pt[65];
    size_t xl = 0, yl = 0;
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *chk = NULL;

    if (!crv || strcmp(crv, "P-256") != 0 || !xs || !ys ||
        dlg_b64url_decode(xs, strlen(xs), &x, &xl) != 0 ||
        dlg_b64url_decode(ys, strlen(ys), &y, &yl) != 0 || xl != 32 || yl != 32)
        goto out;
    pt[0] = 0x04;
    memcpy(pt + 1, x, 32);
    memcpy(pt + 33, y, 32);
    bld = OSSL_PARAM_BLD_new();
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)) != 1)
        goto out;
    key = from_params("EC", bld);
    /* the point must be on the curve */
    chk = key ? EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL) : NULL;
    if (key && (!chk || EVP_PKEY_public_check(chk) != 1)) {
        EVP_PKEY_free(key);
        key = NULL;
    }
out:
    EVP_PKEY_CTX_free(chk);
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return key;
}

void x_jwks_free_keys(struct x_jwk *keys, size_t n)
{
    for (size_t i = 0; keys && i < n; i++) {
        free(keys[i].kid);
        free(keys[i].alg);
        EVP_PKEY_free(keys[i].key);
    }
    free(keys);
}

long x_jwks_parse(const char *text, size_t len, struct x_jwk **out, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *arr = json_object_get(doc, "keys"), *jwk;
    struct x_jwk *keys = NULL;
    size_t i, n = 0;

    *out = NULL;
    if (!doc || !json_is_array(arr)) {
        snprintf(why, whylen, "not a JWKS (%s)", doc ? "no \"keys\" array" : jerr.text);
        json_decref(doc);
        return -1;
    }
    keys = calloc(json_array_size(arr) + 1, sizeof(*keys));
    if (!keys) {
        json_decref(doc);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    json_array_foreach(arr, i, jwk) {
        const char *kty = json_string_value(json_object_get(jwk, "kty"));
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        const char *use = json_string_value(json_object_get(jwk, "use"));
        const char *alg = json_string_value(json_object_get(jwk, "alg"));
        const char *kwhy = NULL;
        EVP_PKEY *key = NULL;
        int type;

        if (!json_is_object(jwk) || !kty || !kid || !kid[0] || (use && strcmp(use, "sig") != 0))
            continue;
        if (strcmp(kty, "RSA") == 0 && (!alg || strcmp(alg, "RS256") == 0))
            key = rsa_key(jwk);
        else if (strcmp(kty, "EC") == 0 && (!alg || strcmp(alg, "ES256") == 0))
            key = ec_key(jwk);
        if (!key)
            continue;
        type = dlg_alg_key_type(key, &kwhy);    /* RSA >= 2048 bits, EC P-256 */
        if (type != DLG_KEY_RSA && type != DLG_KEY_EC_P256) {
            EVP_PKEY_free(key);
            continue;
        }
        keys[n].kid = strdup(kid);
        keys[n].alg = alg ? strdup(alg) : NULL;
        keys[n].key = key;
        if (!keys[n].kid || (alg && !keys[n].alg)) {
            n++;
            x_jwks_free_keys(keys, n);
            json_decref(doc);
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        n++;
    }
    ERR_clear_error();
    json_decref(doc);
    *out = keys;
    if (n == 0)
        snprintf(why, whylen, "the JWKS has no usable key (RSA >= 2048 bits or EC P-256, with a kid)");
    return (long)n;
}

/* ---- fetching ----------------------------------------------------------------- */

struct buf {
    char *p;
    size_t len;
    bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    size_t n = size * nmemb;
    char *np;

    if (b->len + n > X_JWKS_MAX) {
        b->too_big = true;
        return 0;
    }
    np = realloc(b->p, b->len + n + 1);
    if (!np)
        return 0;
    memcpy(np + b->len, ptr, n);
    b->p = np;
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

static int fetch_url(const struct x_provider *p, struct buf *b, char *why, size_t whylen)
{
    CURL *c = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;
    long code = 0;

    if (!c) {
        snprintf(why, whylen, "curl_easy_init failed");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, p->jwks_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "delegate-exchange/" DLG_VERSION);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    if (p->ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, p->ca);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    if (b->too_big) {
        snprintf(why, whylen, "%s: larger than %d bytes", p->jwks_url, X_JWKS_MAX);
        return -1;
    }
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "%s: %s", p->jwks_url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return -1;
    }
    if (code != 200) {
        snprintf(why, whylen, "%s: HTTP status %ld", p->jwks_url, code);
        return -1;
    }
    return 0;
}

/* Fetch and parse; on success replace the cached keys.  Locked by caller. */
static int fetch_locked(struct x_provider *p, int64_t now, char *why, size_t whylen)
{
    struct x_jwks *j = p->jwks;
    struct buf b = { 0 };
    struct x_jwk *keys = NULL;
    long n = -1;
    int rc;

    j->fetches++;
    if (p->jwks_file)
        rc = dlg_read_trusted(p->jwks_file, X_JWKS_MAX, &b.p, &b.len, NULL, why, whylen);
    else
        rc = fetch_url(p, &b, why, whylen);
    if (rc == 0)
        n = x_jwks_parse(b.p ? b.p : "", b.len, &keys, why, whylen);
    free(b.p);
    if (n <= 0) {
        x_jwks_free_keys(keys, n > 0 ? (size_t)n : 0);
        j->last_fail = now;
        return -1;
    }
    x_jwks_free_keys(j->keys, j->n);
    j->keys = keys;
    j->n = (size_t)n;
    j->have = true;
    j->fetched_at = now;
    return 0;
}

int x_jwks_attach(struct x_config *cfg)
{
    for (size_t i = 0; i < cfg->nproviders; i++) {
        struct x_jwks *j = calloc(1, sizeof(*j));

        if (!j)
            return -1;
        pthread_mutex_init(&j->mu, NULL);
        j->last_unknown = j->last_fail = NEVER;
        cfg->providers[i].jwks = j;
    }
    return 0;
}

void x_jwks_detach(struct x_provider *p)
{
    struct x_jwks *j = p->jwks;

    if (!j)
        return;
    x_jwks_free_keys(j->keys, j->n);
    pthread_mutex_destroy(&j->mu);
    free(j);
    p->jwks = NULL;
}

int x_jwks_refresh(struct x_provider *p, int64_t now, char *why, size_t whylen)
{
    int rc;

    pthread_mutex_lock(&p->jwks->mu);
    rc = fetch_locked(p, now, why, whylen);
    pthread_mutex_unlock(&p->jwks->mu);
    return rc;
}

unsigned long x_jwks_fetches(const struct x_provider *p)
{
    return p->jwks ? p->jwks->fetches : 0;
}

static const struct x_jwk *find(const struct x_jwks *j, const char *kid)
{
    for (size_t i = 0; j->have && i < j->n; i++)
        if (strcmp(j->keys[i].kid, kid) == 0)
            return &j->keys[i];
    return NULL;
}

enum x_reason x_jwks_key(struct x_provider *p, const char *kid, int64_t now, EVP_PKEY **key,
                         char **alg, char *why, size_t whylen)
{
    struct x_jwks *j = p->jwks;
    const struct x_jwk *k;
    enum x_reason r = XR_OK;

    *key = NULL;
    *alg = NULL;
    pthread_mutex_lock(&j->mu);
    /* too old: refresh, and an old set is not used once its max_age is over */
    if (!j->have || dlg_time_sub(now, j->fetched_at) >= p->max_age) {
        if (j->last_fail != NEVER && j->last_fail > (j->have ? j->fetched_at : NEVER) &&
            dlg_time_sub(now, j->last_fail) < X_RETRY_FAILED) {
            snprintf(why, whylen, "no usable JWKS (the last fetch failed %llds ago)",
                     (long long)dlg_time_sub(now, j->last_fail));
            j->have = false;
            r = XR_UNAVAILABLE;
            goto out;
        }
        if (fetch_locked(p, now, why, whylen) != 0) {
            j->have = false;
            r = XR_UNAVAILABLE;
            goto out;
        }
    }
    k = find(j, kid);
    if (!k && (j->last_unknown == NEVER || dlg_time_sub(now, j->last_unknown) >= X_REFETCH_MIN)) {
        /* a kid we do not know: the provider may have rotated its keys */
        j->last_unknown = now;
        if (fetch_locked(p, now, why, whylen) == 0)
            k = find(j, kid);
    }
    if (!k) {
        snprintf(why, whylen, "kid \"%.64s\" is not in the JWKS of provider %s", kid, p->id);
        r = XR_UNKNOWN_KEY;
        goto out;
    }
    if (k->alg && !(*alg = strdup(k->alg))) {
        snprintf(why, whylen, "out of memory");
        r = XR_INTERNAL;
        goto out;
    }
    if (EVP_PKEY_up_ref(k->key) != 1) {
        free(*alg);
        *alg = NULL;
        snprintf(why, whylen, "out of memory");
        r = XR_INTERNAL;
        goto out;
    }
    *key = k->key;
out:
    pthread_mutex_unlock(&j->mu);
    return r;
}
