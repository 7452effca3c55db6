/* Strict parsing of delegation tickets: compact JWS (RFC 7515) carrying the
 * claims of DESIGN.md §2.  Nothing here verifies a signature or looks at the
 * config; policy.c does that.
 *
 * Limits (all refusals are DLG_MALFORMED): whole ticket <= DLG_TICKET_MAX
 * bytes; strings 1..TICKET_MAX_STR bytes without control characters; arrays
 * at most TICKET_MAX_ARRAY entries; JSON nesting at most TICKET_MAX_DEPTH;
 * times are integers in 0..TICKET_MAX_TIME; exp must be later than iat (a
 * ticket whose validity window is empty is malformed, not merely expired);
 * sub, act.sub and every runas and apv entry are names (dlg_valid_name, the
 * grammar the config and the CLI use too), kid and jti follow dlg_valid_jti. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ticket/alg.h"
#include "ticket/sshkey.h"
#include "ticket/ticket.h"

#define TICKET_MAX_STR    256
#define TICKET_MAX_ARRAY  64
#define TICKET_MAX_DEPTH  16
#define TICKET_MAX_TIME   INT64_C(253402300799)   /* 9999-12-31T23:59:59Z */

/* Headers that would let the ticket choose its own key: keys come only from
 * the config. */
static const char *const refused_headers[] = { "jwk", "jku", "x5u", "x5c", "crit" };

static char *dup_mem(const void *p, size_t n)
{
    char *s = malloc(n + 1);

    if (!s)
        return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void free_wiped(void *p, size_t n)
{
    if (p) {
        explicit_bzero(p, n);
        free(p);
    }
}

static bool json_depth_ok(json_t *v, int depth)
{
    const char *key;
    json_t *item;
    size_t i;

    if (depth > TICKET_MAX_DEPTH)
        return false;
    if (json_is_object(v)) {
        json_object_foreach(v, key, item)
            if (!json_depth_ok(item, depth + 1))
                return false;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            if (!json_depth_ok(item, depth + 1))
                return false;
    }
    return true;
}

/* Decode one base64url part into a JSON object; NULL when it is not one. */
static json_t *load_part(const char *p, size_t n)
{
    unsigned char *raw = NULL;
    size_t rawlen = 0;
    json_error_t jerr;
    json_t *obj = NULL;

    if (n == 0 || dlg_b64url_decode(p, n, &raw, &rawlen) != 0)
        return NULL;
    /* No JSON_DECODE_ANY, no JSON_ALLOW_NUL, no JSON_DISABLE_EOF_CHECK:
     * an object and nothing but whitespace after it. */
    obj = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, &jerr);
    free_wiped(raw, rawlen);
    if (obj && (!json_is_object(obj) || !json_depth_ok(obj, 0))) {
        json_decref(obj);
        obj = NULL;
    }
    return obj;
}

static bool good_text(json_t *v)
{
    const char *s;
    size_t len, i;

    if (!json_is_string(v))
        return false;
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || len > TICKET_MAX_STR || strlen(s) != len)
        return false;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

/* Required (or optional, when absent_ok) string member. 0 ok, -1 bad. */
static int get_text(json_t *obj, const char *name, bool absent_ok, char **out)
{
    json_t *v = json_object_get(obj, name);

    *out = NULL;
    if (!v)
        return absent_ok ? 0 : -1;
    if (!good_text(v))
        return -1;
    *out = strdup(json_string_value(v));
    return *out ? 0 : -1;
}

/* A name (DESIGN.md §2 "Names"): sub, act.sub, runas and apv entries. */
static int get_name(json_t *obj, const char *name, bool absent_ok, char **out)
{
    if (get_text(obj, name, absent_ok, out) != 0)
        return -1;
    if (*out && !dlg_valid_name(*out)) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int names_ok(const struct dlg_strv *sv)
{
    size_t i;

    for (i = 0; i < sv->n; i++)
        if (!dlg_valid_name(sv->v[i]))
            return -1;
    return 0;
}

static int get_token(json_t *obj, const char *name, bool absent_ok, char **out)
{
    if (get_text(obj, name, absent_ok, out) != 0)
        return -1;
    if (*out && !dlg_valid_jti(*out)) {     /* kid and jti: the same token rule */
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Array of strings (or, with single_ok, one string) into sv. */
static int get_list(json_t *v, bool single_ok, bool nonempty, struct dlg_strv *sv)
{
    json_t *item;
    size_t i;

    if (single_ok && json_is_string(v)) {
        if (!good_text(v))
            return -1;
        return dlg_strv_push(sv, json_string_value(v));
    }
    if (!json_is_array(v))
        return -1;
    if (json_array_size(v) > TICKET_MAX_ARRAY || (nonempty && json_array_size(v) == 0))
        return -1;
    json_array_foreach(v, i, item) {
        if (!good_text(item) || dlg_strv_push(sv, json_string_value(item)) != 0)
            return -1;
    }
    return 0;
}

static int get_time(json_t *obj, const char *name, bool *present, int64_t *out)
{
    json_t *v = json_object_get(obj, name);
    json_int_t n;

    *out = 0;
    if (present)
        *present = v != NULL;
    if (!v)
        return present ? 0 : -1;
    /* A fraction is a JSON real: refused (json_integer_value would say 0). */
    if (!json_is_integer(v))
        return -1;
    n = json_integer_value(v);
    if (n < 0 || n > TICKET_MAX_TIME)
        return -1;
    *out = (int64_t)n;
    return 0;
}

static enum dlg_reason check_alg(const char *alg, char **out)
{
    /* none and HS* are not in the table; Ed25519 (RFC 9864) is EdDSA's alias */
    const struct dlg_alg *a = dlg_alg_find(alg);

    if (!a)
        return DLG_UNSUPPORTED_ALG;
    *out = strdup(a->name);
    return *out ? DLG_ADMIT : DLG_MALFORMED;
}

static enum dlg_reason parse_header(json_t *hdr, struct dlg_ticket *t)
{
    json_t *alg;
    size_t i;

    for (i = 0; i < sizeof(refused_headers) / sizeof(refused_headers[0]); i++)
        if (json_object_get(hdr, refused_headers[i]))
            return DLG_MALFORMED;
    alg = json_object_get(hdr, "alg");
    if (!json_is_string(alg) || strlen(json_string_value(alg)) != json_string_length(alg))
        return DLG_MALFORMED;
    if (get_text(hdr, "typ", true, &t->typ) != 0)
        return DLG_MALFORMED;
    if (get_token(hdr, "kid", true, &t->kid) != 0)
        return DLG_MALFORMED;
    return check_alg(json_string_value(alg), &t->alg);
}

static int check_sources(const struct dlg_strv *src)
{
    struct dlg_cidr c;
    size_t i;

    for (i = 0; i < src->n; i++)
        if (dlg_cidr_parse(src->v[i], &c) != 0)
            return -1;
    return 0;
}

/* cnf = {"ssh": "SHA256:..."}: an object with exactly that member, a
 * canonical OpenSSH SHA256 fingerprint (DESIGN.md §2). */
static int get_cnf(json_t *v, struct dlg_ticket *t)
{
    json_t *ssh;

    if (!json_is_object(v) || json_object_size(v) != 1)
        return -1;
    ssh = json_object_get(v, "ssh");
    if (!good_text(ssh) || !dlg_ssh_fp_valid(json_string_value(ssh)))
        return -1;
    t->cnf_ssh = strdup(json_string_value(ssh));
    return t->cnf_ssh ? 0 : -1;
}

static enum dlg_reason parse_claims(json_t *cl, struct dlg_ticket *t)
{
    json_t *act, *v;

    if (get_text(cl, "iss", false, &t->iss) != 0 || get_name(cl, "sub", false, &t->sub) != 0 ||
        get_token(cl, "jti", false, &t->jti) != 0)
        return DLG_MALFORMED;

    act = json_object_get(cl, "act");
    if (!json_is_object(act) || get_name(act, "sub", false, &t->actor) != 0)
        return DLG_MALFORMED;

    v = json_object_get(cl, "aud");
    if (!v || get_list(v, true, true, &t->aud) != 0)
        return DLG_MALFORMED;
    v = json_object_get(cl, "svc");
    if (!v || get_list(v, false, true, &t->svc) != 0)
        return DLG_MALFORMED;

    if (get_time(cl, "iat", NULL, &t->iat) != 0 || get_time(cl, "exp", NULL, &t->exp) != 0 ||
        get_time(cl, "nbf", &t->has_nbf, &t->nbf) != 0)
        return DLG_MALFORMED;
    if (t->exp <= t->iat)
        return DLG_MALFORMED;

    if ((v = json_object_get(cl, "runas"))) {
        t->has_runas = true;
        if (get_list(v, false, false, &t->runas) != 0 || names_ok(&t->runas) != 0)
            return DLG_MALFORMED;
    }
    if ((v = json_object_get(cl, "src"))) {
        t->has_src = true;
        if (get_list(v, false, false, &t->src) != 0 || check_sources(&t->src) != 0)
            return DLG_MALFORMED;
    }
    if ((v = json_object_get(cl, "apv"))) {
        t->has_apv = true;
        if (get_list(v, false, false, &t->apv) != 0 || names_ok(&t->apv) != 0)
            return DLG_MALFORMED;
    }
    if ((v = json_object_get(cl, "once"))) {
        if (!json_is_boolean(v))
            return DLG_MALFORMED;
        t->once = json_is_true(v);
    }
    if ((v = json_object_get(cl, "cnf")) && get_cnf(v, t) != 0)
        return DLG_MALFORMED;
    return DLG_ADMIT;
}

static bool all_space(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

enum dlg_reason dlg_ticket_parse(const char *text, size_t len, struct dlg_ticket *t)
{
    struct dlg_jws_parts jws;
    json_t *hdr = NULL, *claims = NULL;
    enum dlg_reason r = DLG_MALFORMED;

    memset(t, 0, sizeof(*t));
    if (!text || len == 0 || (len <= DLG_TICKET_MAX && all_space(text, len)))
        return DLG_NO_TICKET;
    if (len > DLG_TICKET_MAX)
        return DLG_MALFORMED;

    if (dlg_jws_split(text, len, &jws) != 0)
        goto out;

    /* The header first: a refused alg (typically "none" with an empty
     * signature) is reported as such, not as a malformed ticket. */
    hdr = load_part(jws.header, jws.header_len);
    if (!hdr)
        goto out;
    r = parse_header(hdr, t);
    if (r != DLG_ADMIT)
        goto out;
    r = DLG_MALFORMED;
    if (jws.payload_len == 0 || jws.sig_len == 0)
        goto out;
    claims = load_part(jws.payload, jws.payload_len);
    if (!claims)
        goto out;
    r = parse_claims(claims, t);
    if (r != DLG_ADMIT)
        goto out;
    r = DLG_MALFORMED;
    if (dlg_b64url_decode(jws.sig, jws.sig_len, &t->sig, &t->sig_len) != 0 || t->sig_len == 0)
        goto out;
    t->signing_input_len = jws.header_len + 1 + jws.payload_len;
    t->signing_input = (unsigned char *)dup_mem(text, t->signing_input_len);
    if (!t->signing_input)
        goto out;
    r = DLG_ADMIT;
out:
    json_decref(hdr);
    json_decref(claims);
    if (r != DLG_ADMIT)
        dlg_ticket_free(t);
    return r;
}

void dlg_ticket_free(struct dlg_ticket *t)
{
    if (!t)
        return;
    free(t->alg);
    free(t->typ);
    free(t->kid);
    free(t->iss);
    free(t->sub);
    free(t->actor);
    free(t->jti);
    dlg_strv_free(&t->aud);
    dlg_strv_free(&t->svc);
    dlg_strv_free(&t->runas);
    dlg_strv_free(&t->src);
    dlg_strv_free(&t->apv);
    free(t->cnf_ssh);
    free_wiped(t->signing_input, t->signing_input_len);
    free_wiped(t->sig, t->sig_len);
    memset(t, 0, sizeof(*t));
}

static int decode_text(const char *p, size_t n, char **out)
{
    unsigned char *raw = NULL;
    size_t rawlen = 0;

    if (dlg_b64url_decode(p, n, &raw, &rawlen) != 0)
        return -1;
    *out = (char *)raw;       /* NUL-terminated by the decoder */
    return 0;
}

int dlg_ticket_decode_json(const char *text, size_t len, char **header_json, char **claims_json)
{
    const char *dot1, *payload, *end;

    *header_json = NULL;
    *claims_json = NULL;
    if (!text || len == 0 || len > DLG_TICKET_MAX)
        return -1;
    dot1 = memchr(text, '.', len);
    if (!dot1)
        return -1;
    payload = dot1 + 1;
    end = memchr(payload, '.', len - (size_t)(payload - text));
    if (!end)
        end = text + len;
    if (decode_text(text, (size_t)(dot1 - text), header_json) != 0)
        return -1;
    if (decode_text(payload, (size_t)(end - payload), claims_json) != 0) {
        free(*header_json);
        *header_json = NULL;
        return -1;
    }
    return 0;
}
