/* The feed format (feed.h): strict verification and parsing, signing.
 *
 * Verification order: the text's shape (three base64url parts, size), the
 * header (exactly alg and typ; alg EdDSA or ES256 and fitting the key),
 * the signature over the exact signing input, and only then the payload
 * (jansson, duplicate keys refused, every member known and of its type,
 * every name in the grammar the config and the CLI use). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "feed/feed.h"
#include "ticket/alg.h"
#include "ticket/sign.h"
#include "ticket/ticket.h"

#define FEED_MAX_TIME   INT64_C(253402300799)   /* 9999-12-31T23:59:59Z */
#define FEED_MAX_VER    INT64_C(9007199254740991) /* 2^53 - 1: exact in every JSON reader */

void dlg_feed_revs_free(struct dlg_feed_revs *r)
{
    for (size_t i = 0; i < r->ntickets; i++)
        free(r->tickets[i].id);
    free(r->tickets);
    dlg_strv_free(&r->actors);
    dlg_strv_free(&r->principals);
    dlg_strv_free(&r->issuers);
    dlg_strv_free(&r->keys);
    memset(r, 0, sizeof(*r));
}

void dlg_feed_doc_free(struct dlg_feed_doc *d)
{
    free(d->iss);
    dlg_feed_revs_free(&d->revs);
    memset(d, 0, sizeof(*d));
}

static int fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

/* ---- the payload --------------------------------------------------------- */

static bool get_time(json_t *v, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > FEED_MAX_TIME)
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

static int names(json_t *arr, bool (*valid)(const char *), struct dlg_strv *out)
{
    size_t i;
    json_t *e;

    if (!json_is_array(arr))
        return -1;
    json_array_foreach(arr, i, e) {
        const char *s = json_string_value(e);
        if (!json_is_string(e) || strlen(s) != json_string_length(e) || !valid(s))
            return -1;
        if (!dlg_strv_contains(out, s) && dlg_strv_push(out, s) != 0)
            return -1;
    }
    return 0;
}

static int tickets(json_t *arr, struct dlg_feed_revs *r, char *err, size_t errlen)
{
    size_t i, n;
    json_t *e;

    if (!json_is_array(arr))
        return fail(err, errlen, "payload: revoke.tickets must be an array");
    n = json_array_size(arr);
    if (n == 0)
        return 0;
    r->tickets = calloc(n, sizeof(*r->tickets));
    if (r->tickets == NULL)
        return fail(err, errlen, "out of memory");
    json_array_foreach(arr, i, e) {
        const char *k;
        json_t *v, *id = NULL;
        int64_t until = 0;

        if (!json_is_object(e))
            return fail(err, errlen, "payload: each revoke.tickets entry must be an object");
        json_object_foreach(e, k, v) {
            if (strcmp(k, "id") == 0)
                id = v;
            else if (strcmp(k, "until") != 0 || !get_time(v, &until))
                return fail(err, errlen, strcmp(k, "until") == 0
                                             ? "payload: revoke.tickets until must be integer seconds"
                                             : "payload: unknown member in a revoke.tickets entry");
        }
        if (!json_is_string(id) || strlen(json_string_value(id)) != json_string_length(id) ||
            !dlg_valid_jti(json_string_value(id)))
            return fail(err, errlen, "payload: revoke.tickets id must be a ticket id "
                                     "(1..64 of A-Z a-z 0-9 . _ -)");
        r->tickets[r->ntickets].id = strdup(json_string_value(id));
        if (r->tickets[r->ntickets].id == NULL)
            return fail(err, errlen, "out of memory");
        r->tickets[r->ntickets++].until = until;
    }
    return 0;
}

static int revocations(json_t *rv, struct dlg_feed_revs *r, char *err, size_t errlen)
{
    const char *k;
    json_t *v;

    if (!json_is_object(rv))
        return fail(err, errlen, "payload: revoke must be an object");
    json_object_foreach(rv, k, v) {
        if (strcmp(k, "tickets") == 0) {
            if (tickets(v, r, err, errlen) != 0)
                return -1;
        } else if (strcmp(k, "actors") == 0) {
            if (names(v, dlg_valid_username, &r->actors) != 0)
                return fail(err, errlen, "payload: revoke.actors must be an array of user names");
        } else if (strcmp(k, "principals") == 0) {
            if (names(v, dlg_valid_name, &r->principals) != 0)
                return fail(err, errlen, "payload: revoke.principals must be an array of names");
        } else if (strcmp(k, "issuers") == 0) {
            if (names(v, dlg_valid_name_token, &r->issuers) != 0)
                return fail(err, errlen, "payload: revoke.issuers must be an array of issuer ids");
        } else if (strcmp(k, "keys") == 0) {
            if (names(v, dlg_valid_jti, &r->keys) != 0)
                return fail(err, errlen, "payload: revoke.keys must be an array of key ids");
        } else if (strcmp(k, "issued_before") == 0) {
            if (!get_time(v, &r->issued_before))
                return fail(err, errlen, "payload: revoke.issued_before must be integer seconds");
            r->has_issued_before = true;
        } else {
            snprintf(err, errlen, "payload: unknown member revoke.%.40s", k);
            return -1;
        }
    }
    return 0;
}

static int payload(json_t *p, const char *id, struct dlg_feed_doc *d, char *err, size_t errlen)
{
    const char *k;
    json_t *v, *iss = NULL, *ver = NULL, *iat = NULL, *exp = NULL, *rv = NULL;

    json_object_foreach(p, k, v) {
        json_t **slot = strcmp(k, "iss") == 0 ? &iss : strcmp(k, "ver") == 0 ? &ver
                      : strcmp(k, "iat") == 0 ? &iat : strcmp(k, "exp") == 0 ? &exp
                      : strcmp(k, "revoke") == 0 ? &rv : NULL;
        if (slot == NULL) {
            snprintf(err, errlen, "payload: unknown member '%.40s'", k);
            return -1;
        }
        *slot = v;
    }
    if (iss == NULL || ver == NULL || iat == NULL || exp == NULL || rv == NULL)
        return fail(err, errlen, "payload: iss, ver, iat, exp and revoke are required");
    if (!json_is_string(iss) || strlen(json_string_value(iss)) != json_string_length(iss) ||
        !dlg_valid_jti(json_string_value(iss)))
        return fail(err, errlen, "payload: iss must be a feed id");
    if (strcmp(json_string_value(iss), id) != 0) {
        snprintf(err, errlen, "unknown publisher: iss is '%s', not the feed '%s'",
                 json_string_value(iss), id);
        return -1;
    }
    if (!json_is_integer(ver) || json_integer_value(ver) < 1 || json_integer_value(ver) > FEED_MAX_VER)
        return fail(err, errlen, "payload: ver must be an integer of at least 1");
    if (!get_time(iat, &d->iat) || !get_time(exp, &d->exp))
        return fail(err, errlen, "payload: iat and exp must be integer seconds");
    if (d->exp <= d->iat)
        return fail(err, errlen, "payload: exp must be after iat");
    d->ver = (int64_t)json_integer_value(ver);
    d->iss = strdup(json_string_value(iss));
    if (d->iss == NULL)
        return fail(err, errlen, "out of memory");
    return revocations(rv, &d->revs, err, errlen);
}

/* ---- the envelope -------------------------------------------------------- */

static json_t *part_json(const char *p, size_t n)
{
    unsigned char *raw = NULL;
    size_t rawlen = 0;
    json_error_t jerr;
    json_t *obj = NULL;

    if (n == 0 || dlg_b64url_decode(p, n, &raw, &rawlen) != 0)
        return NULL;
    obj = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, &jerr);
    free(raw);
    if (obj != NULL && !json_is_object(obj)) {
        json_decref(obj);
        obj = NULL;
    }
    return obj;
}

/* The header: exactly {"alg", "typ"}; alg "EdDSA" or "ES256", fitting the key. */
static const struct dlg_alg *header_alg(json_t *h, enum dlg_keytype kt, char *err, size_t errlen)
{
    const char *k, *typ = NULL, *alg = NULL;
    json_t *v;
    const struct dlg_alg *a;

    json_object_foreach(h, k, v) {
        if (strcmp(k, "alg") == 0 && json_is_string(v))
            alg = json_string_value(v);
        else if (strcmp(k, "typ") == 0 && json_is_string(v))
            typ = json_string_value(v);
        else {
            snprintf(err, errlen, "header: member '%.20s' refused (only alg and typ)", k);
            return NULL;
        }
    }
    if (typ == NULL || alg == NULL) {
        fail(err, errlen, "header: alg and typ are required");
        return NULL;
    }
    if (strncasecmp(typ, "application/", 12) == 0)
        typ += 12;
    if (strcasecmp(typ, DLG_FEED_TYP) != 0) {
        fail(err, errlen, "header: typ is not " DLG_FEED_TYP);
        return NULL;
    }
    if (strcmp(alg, "EdDSA") != 0 && strcmp(alg, "ES256") != 0) {
        fail(err, errlen, "header: alg must be EdDSA or ES256");
        return NULL;
    }
    a = dlg_alg_find(alg);
    if (a == NULL || a->key != kt) {
        fail(err, errlen, "key mismatch: the feed's alg does not fit the configured key");
        return NULL;
    }
    return a;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static size_t trimmed(const char *text, size_t len)
{
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > 0 && text[len - 1] == '\r')
        len--;
    return len;
}

int dlg_feed_verify(const char *text, size_t len, const char *id, EVP_PKEY *key, int64_t now,
                    struct dlg_feed_doc *out, char *err, size_t errlen)
{
    struct dlg_jws_parts jws;
    json_t *h = NULL, *p = NULL;
    unsigned char *sig = NULL, digest[SHA256_DIGEST_LENGTH];
    size_t siglen = 0;
    const struct dlg_alg *a;
    const char *why = NULL;
    int kt, rc = -1;

    memset(out, 0, sizeof(*out));
    if (text == NULL || key == NULL || id == NULL)
        return fail(err, errlen, "nothing to verify");
    if (len > DLG_FEED_MAX_BYTES)
        return fail(err, errlen, "oversized: larger than 16 MiB");
    len = trimmed(text, len);
    if (len == 0)
        return fail(err, errlen, "truncated: the file is empty");
    if (memchr(text, '\0', len) != NULL)
        return fail(err, errlen, "malformed: contains a NUL byte");
    if (dlg_jws_split(text, len, &jws) != 0)
        return fail(err, errlen, "truncated or malformed: not a compact JWS (three parts)");
    kt = dlg_alg_key_type(key, &why);
    if (kt != DLG_KEY_ED25519 && kt != DLG_KEY_EC_P256)
        return fail(err, errlen, "the configured key is neither Ed25519 nor P-256");
    h = part_json(jws.header, jws.header_len);
    if (h == NULL) {
        fail(err, errlen, "malformed: the header is not a JSON object in base64url");
        goto out;
    }
    a = header_alg(h, (enum dlg_keytype)kt, err, errlen);
    if (a == NULL)
        goto out;
    if (dlg_b64url_decode(jws.sig, jws.sig_len, &sig, &siglen) != 0 ||
        siglen == 0) {
        fail(err, errlen, "truncated or malformed: bad signature encoding");
        goto out;
    }
    if (!dlg_alg_verify(a, key, (const unsigned char *)text, jws.header_len + 1 + jws.payload_len,
                        sig, siglen)) {
        fail(err, errlen, "bad signature: the feed does not verify with the configured key");
        goto out;
    }
    p = part_json(jws.payload, jws.payload_len);
    if (p == NULL) {
        fail(err, errlen, "malformed: the payload is not a JSON object (duplicate keys refused)");
        goto out;
    }
    if (payload(p, id, out, err, errlen) != 0)
        goto out;
    if (now >= 0 && out->exp <= now) {
        snprintf(err, errlen, "expired: version %lld expired %lld s ago", (long long)out->ver,
                 (long long)(now - out->exp));
        goto out;
    }
    snprintf(out->alg, sizeof(out->alg), "%s", a->name);
    SHA256((const unsigned char *)text, len, digest);
    hex(digest, sizeof(digest), out->sha256);
    rc = 0;
out:
    if (rc != 0)
        dlg_feed_doc_free(out);
    free(sig);
    json_decref(h);
    json_decref(p);
    return rc;
}

int dlg_feed_peek_ver(const char *text, size_t len, int64_t *ver, char *err, size_t errlen)
{
    struct dlg_jws_parts jws;
    json_t *p, *v;

    len = trimmed(text, len);
    if (dlg_jws_split(text, len, &jws) != 0)
        return fail(err, errlen, "not a feed (a compact JWS)");
    p = part_json(jws.payload, jws.payload_len);
    v = p ? json_object_get(p, "ver") : NULL;
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) >= FEED_MAX_VER) {
        json_decref(p);
        return fail(err, errlen, "no valid ver in its payload");
    }
    *ver = (int64_t)json_integer_value(v);
    json_decref(p);
    return 0;
}

/* ---- signing ------------------------------------------------------------- */

static int add_names(json_t *rv, const char *name, const struct dlg_strv *sv)
{
    json_t *a = json_array();

    if (a == NULL || json_object_set_new(rv, name, a) != 0)
        return -1;
    for (size_t i = 0; i < sv->n; i++)
        if (json_array_append_new(a, json_string(sv->v[i])) != 0)
            return -1;
    return 0;
}

static json_t *revs_json(const struct dlg_feed_revs *r)
{
    json_t *rv = json_object(), *t = json_array();

    if (rv == NULL || t == NULL || json_object_set_new(rv, "tickets", t) != 0)
        goto fail;
    for (size_t i = 0; i < r->ntickets; i++) {
        json_t *e = json_object();
        if (e == NULL || json_array_append_new(t, e) != 0 ||
            json_object_set_new(e, "id", json_string(r->tickets[i].id)) != 0 ||
            (r->tickets[i].until != 0 &&
             json_object_set_new(e, "until", json_integer(r->tickets[i].until)) != 0))
            goto fail;
    }
    if (add_names(rv, "actors", &r->actors) != 0 || add_names(rv, "principals", &r->principals) != 0 ||
        add_names(rv, "issuers", &r->issuers) != 0 || add_names(rv, "keys", &r->keys) != 0)
        goto fail;
    if (r->has_issued_before &&
        json_object_set_new(rv, "issued_before", json_integer(r->issued_before)) != 0)
        goto fail;
    return rv;
fail:
    json_decref(rv);
    return NULL;
}

char *dlg_feed_sign(EVP_PKEY *priv, const char *id, int64_t ver, int64_t iat, int64_t exp,
                    const struct dlg_feed_revs *revs, char *err, size_t errlen)
{
    json_t *p = json_object(), *h = json_object();
    char *ptxt = NULL, *htxt = NULL, *out = NULL;
    const char *alg = dlg_key_default_alg(priv);

    if (alg == NULL || (strcmp(alg, "EdDSA") != 0 && strcmp(alg, "ES256") != 0)) {
        fail(err, errlen, "a feed key must be Ed25519 (EdDSA) or P-256 (ES256)");
        goto out;
    }
    if (p == NULL || h == NULL || json_object_set_new(h, "alg", json_string(alg)) != 0 ||
        json_object_set_new(h, "typ", json_string(DLG_FEED_TYP)) != 0 ||
        json_object_set_new(p, "iss", json_string(id)) != 0 ||
        json_object_set_new(p, "ver", json_integer(ver)) != 0 ||
        json_object_set_new(p, "iat", json_integer(iat)) != 0 ||
        json_object_set_new(p, "exp", json_integer(exp)) != 0 ||
        json_object_set_new(p, "revoke", revs_json(revs)) != 0) {
        fail(err, errlen, "out of memory");
        goto out;
    }
    htxt = json_dumps(h, JSON_COMPACT);
    ptxt = json_dumps(p, JSON_COMPACT);
    if (htxt == NULL || ptxt == NULL) {
        fail(err, errlen, "cannot encode JSON");
        goto out;
    }
    out = dlg_sign_compact(priv, alg, htxt, ptxt, err, errlen);
out:
    free(htxt);
    free(ptxt);
    json_decref(h);
    json_decref(p);
    return out;
}
